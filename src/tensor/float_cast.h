/* Rounding a double to float16 / bfloat16 / float32 with round-to-nearest-
 * even, directly from the double (no double rounding through float32), and
 * whole-tensor float dtype conversion for `tfckpt cast` and `average`. */
#ifndef TFCKPT_TENSOR_FLOAT_CAST_H
#define TFCKPT_TENSOR_FLOAT_CAST_H

#include <stdint.h>

#include "tfckpt/tensor.h"

/* IEEE binary16 bits of the value nearest to d (ties to even); overflow gives
 * +-inf, NaN stays NaN (quiet, sign kept). */
uint16_t tfckpt_f64_to_f16(double d);
/* bfloat16 bits (8-bit exponent, 7 stored mantissa bits), same rules. */
uint16_t tfckpt_f64_to_bf16(double d);

/* 1 for float32, float64, float16, bfloat16. */
int tfckpt_dtype_is_float(int dtype);

/* Element i of a float tensor (float32/64/16/bf16) as a double, exactly. */
double tfckpt_float_elem(const void *data, int dtype, int64_t i);
/* Stores d rounded (RNE) to `dtype` as element i. */
void tfckpt_float_store(void *data, int dtype, int64_t i, double d);

/* A new tensor with in's shape and values converted to `dtype` (both float
 * dtypes).  TFCKPT_EINVAL when either dtype is not a float dtype. */
int tfckpt_tensor_cast_float(const tfckpt_tensor *in, int dtype, tfckpt_tensor **out /* OUT */);

#endif
