#include "tfckpt/tensor.h"

#include <math.h>
#include <string.h>

#include "tensor/half.h"

/* nearbyint rounds to nearest, ties to even, in the default rounding mode;
 * scaling by powers of two is exact, so each result is rounded only once. */
uint16_t tfckpt_f64_to_f16(double d) {
  uint16_t sign = signbit(d) ? 0x8000 : 0;
  double a = fabs(d);
  if (isnan(d)) return sign | 0x7e00;
  if (a >= 65520.0) return sign | 0x7c00; /* halfway past 65504 rounds to even = inf */
  if (a < 0x1p-14) /* subnormal: multiples of 2^-24 (1024 is the smallest normal) */
    return sign | (uint16_t)nearbyint(a * 0x1p24);
  int e;
  frexp(a, &e); /* a = m * 2^e, m in [0.5, 1) */
  int E = e - 1;
  double r = nearbyint(ldexp(a, 10 - E)); /* in [1024, 2048] */
  if (r >= 2048.0) r = 1024.0, E++;
  if (E > 15) return sign | 0x7c00;
  return sign | (uint16_t)((E + 15) << 10) | (uint16_t)((int)r - 1024);
}

uint16_t tfckpt_f64_to_bf16(double d) {
  uint16_t sign = signbit(d) ? 0x8000 : 0;
  double a = fabs(d);
  if (isnan(d)) return sign | 0x7fc0;
  if (isinf(d)) return sign | 0x7f80;
  if (a < 0x1p-126) /* subnormal: multiples of 2^-133 */
    return sign | (uint16_t)nearbyint(a * 0x1p133);
  int e;
  frexp(a, &e);
  int E = e - 1;
  if (E > 127) return sign | 0x7f80;
  double r = nearbyint(ldexp(a, 7 - E)); /* in [128, 256] */
  if (r >= 256.0) r = 128.0, E++;
  if (E > 127) return sign | 0x7f80;
  return sign | (uint16_t)((E + 127) << 7) | (uint16_t)((int)r - 128);
}

int tfckpt_dtype_is_float(tfckpt_dtype dtype) {
  return dtype == TFCKPT_FLOAT || dtype == TFCKPT_DOUBLE || dtype == TFCKPT_HALF ||
         dtype == TFCKPT_BFLOAT16;
}

double tfckpt_float_elem(const void *data, tfckpt_dtype dtype, int64_t i) {
  const uint8_t *p = (const uint8_t *)data;
  switch (dtype) {
    case TFCKPT_FLOAT: {
      float f;
      memcpy(&f, p + 4 * i, 4);
      return f;
    }
    case TFCKPT_DOUBLE: {
      double v;
      memcpy(&v, p + 8 * i, 8);
      return v;
    }
    case TFCKPT_HALF: {
      uint16_t h;
      memcpy(&h, p + 2 * i, 2);
      return tfckpt__half_to_float(h);
    }
    case TFCKPT_BFLOAT16: {
      uint16_t h;
      memcpy(&h, p + 2 * i, 2);
      return tfckpt__bf16_to_float(h);
    }
    default: return NAN;
  }
}

void tfckpt_float_store(void *data, tfckpt_dtype dtype, int64_t i, double d) {
  uint8_t *p = data;
  switch (dtype) {
    case TFCKPT_FLOAT: {
      float f = (float)d; /* the FPU rounds to nearest even */
      memcpy(p + 4 * i, &f, 4);
      break;
    }
    case TFCKPT_DOUBLE: memcpy(p + 8 * i, &d, 8); break;
    case TFCKPT_HALF: {
      uint16_t h = tfckpt_f64_to_f16(d);
      memcpy(p + 2 * i, &h, 2);
      break;
    }
    case TFCKPT_BFLOAT16: {
      uint16_t h = tfckpt_f64_to_bf16(d);
      memcpy(p + 2 * i, &h, 2);
      break;
    }
    default: break;
  }
}

int tfckpt_tensor_cast_float(const tfckpt_tensor *in, tfckpt_dtype dtype, tfckpt_tensor **out) {
  *out = NULL;
  int src = tfckpt_tensor_dtype(in);
  if (!tfckpt_dtype_is_float(src) || !tfckpt_dtype_is_float(dtype)) return TFCKPT_EINVAL;
  tfckpt_tensor *t;
  int rc = tfckpt_tensor_new(dtype, tfckpt_tensor_rank(in), tfckpt_tensor_dims(in), &t);
  if (rc) return rc;
  const void *s = tfckpt_tensor_data(in);
  void *d = tfckpt_tensor_mutable_data(t);
  int64_t n = tfckpt_tensor_num_elements(in);
  for (int64_t i = 0; i < n; i++) tfckpt_float_store(d, dtype, i, tfckpt_float_elem(s, src, i));
  *out = t;
  return TFCKPT_OK;
}

/* Out-of-line entry points for library users; the library itself uses the
 * inline versions in tensor/half.h. */
float tfckpt_half_to_float(uint16_t h) { return tfckpt__half_to_float(h); }
float tfckpt_bf16_to_float(uint16_t b) { return tfckpt__bf16_to_float(b); }
uint16_t tfckpt_float_to_half(float f) { return tfckpt__float_to_half(f); }
uint16_t tfckpt_float_to_bf16(float f) { return tfckpt__float_to_bf16(f); }
