/* Legacy V1 checkpoints: the SavedTensorSlices protos stored in a V1 table
 * and the TensorProto typed value fields (formats.md section d).
 *
 * A V1 file is a table whose key "" holds SavedTensorSlices{meta} (the table
 * of contents: per tensor its name, dtype, full shape and stored slices) and
 * whose other keys, EncodeTensorNameSlice(name, slice), each hold
 * SavedTensorSlices{data} with one slice's values in a TensorProto. */
#ifndef TFCKPT_FORMAT_V1_H
#define TFCKPT_FORMAT_V1_H

#include <stddef.h>
#include <stdint.h>

#include "tfckpt/internal/error.h"
#include "format/bundle.h"

/* One SavedSliceMeta: a tensor listed by a file's table of contents. */
typedef struct tfckpt__v1_tensor_meta {
  char *name;
  tfckpt_dtype dtype;
  int rank;           /* -1 for an unknown rank (refused by the reader) */
  int64_t *dims;
  int nslices;
  tfckpt__slice *slices;
} tfckpt__v1_tensor_meta;

typedef struct tfckpt__v1_meta {
  tfckpt__v1_tensor_meta *tensors;
  size_t ntensors;
  int32_t producer, min_consumer;
} tfckpt__v1_meta;

/* Decodes the value stored under key "" (a SavedTensorSlices whose `meta` is
 * set).  Messages in err name the problem, not the file. */
int tfckpt__v1_decode_meta(const uint8_t *data, size_t len, tfckpt__v1_meta *out, tfckpt__err *err);
void tfckpt__v1_meta_free(tfckpt__v1_meta *m);

/* A decoded SavedTensorSlices{data}: pointers into the input bytes. */
typedef struct tfckpt__v1_record {
  const uint8_t *name;
  size_t name_len;
  int has_slice;
  tfckpt__slice slice;          /* owned; free with tfckpt__slice_free */
  const uint8_t *tensor;       /* the TensorProto bytes */
  size_t tensor_len;
  int has_tensor;
} tfckpt__v1_record;

int tfckpt__v1_decode_record(const uint8_t *data, size_t len, tfckpt__v1_record *out,
                            tfckpt__err *err);

/* Decodes exactly `n` values of `dtype` from a TensorProto.
 * Fixed-size dtypes: `out` receives n * tfckpt_dtype_size(dtype) bytes
 * (host little-endian layout).  DT_STRING: element i is
 * proto[starts[i], starts[i] + lens[i]).  Typed fields may be packed or not;
 * `tensor_content` is accepted for fixed-size dtypes.  A count other than n
 * is TFCKPT_ECORRUPT ("holds 5 values, the slice needs 6"). */
int tfckpt__v1_decode_values(const uint8_t *proto, size_t len, tfckpt_dtype dtype, int64_t n, void *out,
                            size_t *starts, size_t *lens, tfckpt__err *err);

/* 1 if the V1 writer's TensorProto has a typed field for dtype. */
int tfckpt__v1_dtype_supported(tfckpt_dtype dtype);

#endif
