/*
 * tfckpt_tensor: a dtype, a shape and the values.
 *
 *   tfckpt_tensor *t;
 *   int64_t dims[2] = {2, 3};
 *   if (tfckpt_tensor_new(TFCKPT_FLOAT, 2, dims, &t) == TFCKPT_OK) {
 *     float *v = tfckpt_tensor_mutable_data(t);   // 6 zeros, row-major
 *     v[0] = 1.0f;
 *     tfckpt_tensor_free(t);
 *   }
 *
 * Ownership: a tensor from tfckpt_tensor_new or tfckpt_reader_get_tensor owns
 * its values.  One from tfckpt_reader_get_view (an explicit opt-in) or an
 * arrays reader may instead be a *view* of a mapped file
 * (tfckpt_tensor_is_view): it is read-only and valid until that reader is
 * closed (see the SIGBUS caveat in reader.h).  Either way the caller frees the tensor with tfckpt_tensor_free.
 *
 * Values are in host byte order, row-major.  float16 and bfloat16 are stored
 * as their 16-bit patterns (uint16_t); bool as one byte 0/1; complex as
 * (real, imag) pairs.  String and variant tensors hold byte strings, read with
 * tfckpt_tensor_get_string (for variant: each element's serialized
 * VariantTensorDataProto).
 */
#ifndef TFCKPT_TENSOR_H
#define TFCKPT_TENSOR_H

#include <stdio.h>

#include "tfckpt/tfckpt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tfckpt_tensor tfckpt_tensor;

/* A new tensor of zeros (or empty strings).  `dims` holds `rank` values >= 0.
 * @return TFCKPT_OK, TFCKPT_EINVAL (bad dtype/rank/dims), TFCKPT_ERANGE
 *         (element count or bytes overflow), TFCKPT_ENOMEM. */
TFCKPT_API int tfckpt_tensor_new(tfckpt_dtype dtype, int rank, const int64_t *dims, tfckpt_tensor **out /* OUT */);
TFCKPT_API void tfckpt_tensor_free(tfckpt_tensor *t);

TFCKPT_API tfckpt_dtype tfckpt_tensor_dtype(const tfckpt_tensor *t);
TFCKPT_API int tfckpt_tensor_rank(const tfckpt_tensor *t);
TFCKPT_API const int64_t *tfckpt_tensor_dims(const tfckpt_tensor *t);
TFCKPT_API int64_t tfckpt_tensor_num_elements(const tfckpt_tensor *t);

/* Fixed-size dtypes: the element bytes (num_elements * dtype size).
 * NULL for string/variant tensors (and possibly for empty tensors). */
TFCKPT_API const void *tfckpt_tensor_data(const tfckpt_tensor *t);
TFCKPT_API size_t tfckpt_tensor_nbytes(const tfckpt_tensor *t);
/* Writable data; NULL for views and string tensors. */
TFCKPT_API void *tfckpt_tensor_mutable_data(tfckpt_tensor *t);
TFCKPT_API int tfckpt_tensor_is_view(const tfckpt_tensor *t);

/* String/variant tensors: element i's bytes (not NUL-terminated). */
TFCKPT_API int tfckpt_tensor_get_string(const tfckpt_tensor *t, int64_t i, const uint8_t **data /* OUT */,
                             size_t *len /* OUT */);
/* Copies `len` bytes into element i of a string tensor. */
TFCKPT_API int tfckpt_tensor_set_string(tfckpt_tensor *t, int64_t i, const void *data, size_t len);

/* Element i of a numeric tensor as a double (float16/bfloat16 widened,
 * complex: the real part, bool 0/1).  NAN for string tensors. */
TFCKPT_API double tfckpt_tensor_get_double(const tfckpt_tensor *t, int64_t i);

/* Printing values the way numpy does (summarised with "..." beyond
 * `threshold` elements, aligned columns, 75-character lines). */
typedef struct tfckpt_print_options {
  int precision;      /* digits after the point for floats (default 8) */
  int full;           /* 1: never summarise */
  int64_t threshold;  /* summarise above this many elements (default 1000) */
  int edgeitems;      /* items kept at each edge when summarising (default 3) */
  int linewidth;      /* wrap rows longer than this (default 75) */
} tfckpt_print_options;

TFCKPT_API void tfckpt_print_options_init(tfckpt_print_options *o);

/* Writes `t` to `out` numpy-style; `o` may be NULL for the defaults.
 * @return TFCKPT_OK or TFCKPT_ENOMEM / TFCKPT_EIO. */
TFCKPT_API int tfckpt_tensor_print(FILE *out, const tfckpt_tensor *t, const tfckpt_print_options *o);

/* Formats element i as text into buf (numpy's repr of one value, e.g.
 * "0.25", "-3", "True", "b'ab\\x00'", "(1+2j)").  Returns the length. */
TFCKPT_API size_t tfckpt_tensor_format_element(const tfckpt_tensor *t, int64_t i, int precision, char *buf,
                                    size_t cap);

/* Float conversions, all round-to-nearest-even, NaN kept NaN (quiet, sign
 * kept), overflow to +-inf.  float16 is IEEE binary16; bfloat16 the top 16
 * bits of a float32. */
TFCKPT_API float tfckpt_half_to_float(uint16_t h);
TFCKPT_API float tfckpt_bf16_to_float(uint16_t b);
TFCKPT_API uint16_t tfckpt_float_to_half(float f);
TFCKPT_API uint16_t tfckpt_float_to_bf16(float f);
/* Directly from a double (no double rounding through float32). */
TFCKPT_API uint16_t tfckpt_f64_to_f16(double d);
TFCKPT_API uint16_t tfckpt_f64_to_bf16(double d);

/* 1 for float32, float64, float16, bfloat16. */
TFCKPT_API int tfckpt_dtype_is_float(tfckpt_dtype dtype);

/* Element i of a float tensor's data (float32/64/16/bf16) as a double,
 * exactly; and the reverse, rounding (RNE) to `dtype`. */
TFCKPT_API double tfckpt_float_elem(const void *data, tfckpt_dtype dtype, int64_t i);
TFCKPT_API void tfckpt_float_store(void *data, tfckpt_dtype dtype, int64_t i, double d);

/* A new tensor with in's shape and values converted to `dtype` (both float
 * dtypes); the caller frees it.  TFCKPT_EINVAL when either dtype is not a
 * float dtype. */
TFCKPT_API int tfckpt_tensor_cast_float(const tfckpt_tensor *in, tfckpt_dtype dtype,
                                        tfckpt_tensor **out /* OUT */);

#ifdef __cplusplus
}
#endif
#endif
