/* V2 tensor bundle protos (BundleHeaderProto, BundleEntryProto), slice keys
 * and the checksums of variable-length tensors (formats.md section b). */
#ifndef TFCKPT_FORMAT_BUNDLE_H
#define TFCKPT_FORMAT_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "format/proto.h"

/* Upper bound on ranks accepted from files (TensorShape's own limit is 254). */
#define TFCKPT_MAX_FILE_RANK 254

typedef struct tfckpt_bundle_header {
  int32_t num_shards;
  int big_endian;
  int32_t producer, min_consumer;
  int bad_consumer_1; /* bad_consumers lists version 1 (this reader) */
} tfckpt_bundle_header;

/* One extent list; length[i] == -1 means "the whole dimension". */
typedef struct tfckpt_slice {
  int rank;
  int64_t *start;
  int64_t *length;
} tfckpt_slice;

typedef struct tfckpt_bundle_entry {
  int dtype;
  int rank;          /* -1 for unknown_rank */
  int64_t *dims;     /* rank values, malloc'd */
  int32_t shard_id;
  int64_t offset, size;
  uint32_t crc32c;   /* masked, as stored */
  int has_crc;
  int nslices;
  tfckpt_slice *slices;
} tfckpt_bundle_entry;

int tfckpt_bundle_decode_header(const uint8_t *data, size_t len, tfckpt_bundle_header *out);

/* Decodes an entry; fields it owns are freed by tfckpt_bundle_entry_free.
 * Returns 0 or TFCKPT_ECORRUPT/ENOMEM with a message (no file name) in err. */
int tfckpt_bundle_decode_entry(const uint8_t *data, size_t len, tfckpt_bundle_entry *out,
                               tfckpt_err *err);
void tfckpt_bundle_entry_free(tfckpt_bundle_entry *e);
void tfckpt_slice_free(tfckpt_slice *s);

/* Decodes a TensorShapeProto into a malloc'd dims array. */
int tfckpt_decode_shape(const uint8_t *data, size_t len, int *rank, int64_t **dims,
                        tfckpt_err *err);
/* Reads the size of one TensorShapeProto.Dim message into *size (0 when
 * absent; unchecked, may be negative).  Returns 0, or -1 when malformed. */
int tfckpt_decode_dim_size(const uint8_t *data, size_t len, int64_t *size);
/* Decodes a TensorSliceProto. */
int tfckpt_decode_slice(const uint8_t *data, size_t len, tfckpt_slice *out, tfckpt_err *err);

/* Product of dims, or -1 when a dim is negative or the product overflows
 * int64. */
int64_t tfckpt_num_elements(int rank, const int64_t *dims);

/* EncodeTensorNameSlice: the key under which a slice of `name` is stored
 * (TF's OrderedCode). Appends to `out`. */
void tfckpt_encode_slice_key(tfckpt_buf *out, const char *name, size_t name_len,
                             const tfckpt_slice *slice);

/* Parses a string tensor's bytes (varint lengths, masked length CRC, then the
 * bytes) and checks the running CRC against `masked_crc` (when check != 0).
 * On success element i is data[starts[i], starts[i] + lens[i]); both arrays
 * hold n entries. */
int tfckpt_parse_string_tensor(const uint8_t *data, size_t size, int64_t n, int big_endian,
                               uint32_t masked_crc, int check, size_t *starts, size_t *lens,
                               tfckpt_err *err);

/* Same for DT_VARIANT: per element varint64 length, bytes, masked CRC. */
int tfckpt_parse_variant_tensor(const uint8_t *data, size_t size, int64_t n,
                                uint32_t masked_crc, int check, size_t *starts, size_t *lens,
                                tfckpt_err *err);

#endif
