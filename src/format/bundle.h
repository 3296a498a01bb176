/* V2 tensor bundle protos (BundleHeaderProto, BundleEntryProto), slice keys
 * and the checksums of variable-length tensors (formats.md section b). */
#ifndef TFCKPT_FORMAT_BUNDLE_H
#define TFCKPT_FORMAT_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "tensor/tensor_impl.h"
#include "tfckpt/internal/error.h"
#include "format/proto.h"

/* Upper bound on ranks accepted from files (TensorShape's own limit is 254). */

typedef struct tfckpt__bundle_header {
  int32_t num_shards;
  int big_endian;
  int32_t producer, min_consumer;
  int bad_consumer_1; /* bad_consumers lists version 1 (this reader) */
} tfckpt__bundle_header;

/* One extent list; length[i] == -1 means "the whole dimension". */
typedef struct tfckpt__slice {
  int rank;
  int64_t *start;
  int64_t *length;
} tfckpt__slice;

typedef struct tfckpt__bundle_entry {
  tfckpt_dtype dtype;
  int rank;          /* -1 for unknown_rank */
  int64_t *dims;     /* rank values, malloc'd */
  int32_t shard_id;
  int64_t offset, size;
  uint32_t crc32c;   /* masked, as stored */
  int has_crc;
  int nslices;
  tfckpt__slice *slices;
} tfckpt__bundle_entry;

int tfckpt__bundle_decode_header(const uint8_t *data, size_t len, tfckpt__bundle_header *out);

/* Decodes an entry; fields it owns are freed by tfckpt__bundle_entry_free.
 * Returns 0 or TFCKPT_ECORRUPT/ENOMEM with a message (no file name) in err. */
int tfckpt__bundle_decode_entry(const uint8_t *data, size_t len, tfckpt__bundle_entry *out,
                               tfckpt__err *err);
void tfckpt__bundle_entry_free(tfckpt__bundle_entry *e);
void tfckpt__slice_free(tfckpt__slice *s);

/* Decodes a TensorShapeProto into a malloc'd dims array. */
int tfckpt__decode_shape(const uint8_t *data, size_t len, int *rank, int64_t **dims,
                        tfckpt__err *err);
/* Reads the size of one TensorShapeProto.Dim message into *size (0 when
 * absent; unchecked, may be negative).  Returns 0, or -1 when malformed. */
int tfckpt__decode_dim_size(const uint8_t *data, size_t len, int64_t *size);
/* Decodes a TensorSliceProto. */
int tfckpt__decode_slice(const uint8_t *data, size_t len, tfckpt__slice *out, tfckpt__err *err);


/* EncodeTensorNameSlice: the key under which a slice of `name` is stored
 * (TF's OrderedCode). Appends to `out`. */
void tfckpt__encode_slice_key(tfckpt__buf *out, const char *name, size_t name_len,
                             const tfckpt__slice *slice);

/* Parses a string tensor's bytes (varint lengths, masked length CRC, then the
 * bytes) and checks the running CRC against `masked_crc` (when check != 0).
 * On success element i is data[starts[i], starts[i] + lens[i]); both arrays
 * hold n entries. */
int tfckpt__parse_string_tensor(const uint8_t *data, size_t size, int64_t n, int big_endian,
                               uint32_t masked_crc, int check, size_t *starts, size_t *lens,
                               tfckpt__err *err);

/* Same for DT_VARIANT: per element varint64 length, bytes, masked CRC. */
int tfckpt__parse_variant_tensor(const uint8_t *data, size_t size, int64_t n,
                                uint32_t masked_crc, int check, size_t *starts, size_t *lens,
                                tfckpt__err *err);

#endif
