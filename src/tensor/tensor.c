#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/half.h"
#include "tensor/tensor_impl.h"

int64_t tfckpt__num_elements(int rank, const int64_t *dims) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0) return -1;
    if (dims[i] != 0 && n > INT64_MAX / dims[i]) return -1;
    n *= dims[i];
  }
  return n;
}

int tfckpt__tensor_shell(tfckpt_dtype dtype, int rank, const int64_t *dims, tfckpt_tensor **out) {
  *out = NULL;
  if (!tfckpt_dtype_is_valid(dtype) || rank < 0 || rank > TFCKPT_MAX_RANK ||
      (rank > 0 && !dims))
    return TFCKPT_EINVAL;
  int64_t n = tfckpt__num_elements(rank, dims);
  if (n < 0) return TFCKPT_ERANGE;
  size_t esize = tfckpt_dtype_size(dtype);
  if (esize && (uint64_t)n > SIZE_MAX / esize) return TFCKPT_ERANGE;
  tfckpt_tensor *t = calloc(1, sizeof *t);
  if (!t) return TFCKPT_ENOMEM;
  t->dtype = dtype;
  t->rank = rank;
  t->n = n;
  t->nbytes = esize * (size_t)n;
  t->dims = malloc((size_t)(rank ? rank : 1) * sizeof *t->dims);
  if (!t->dims) {
    free(t);
    return TFCKPT_ENOMEM;
  }
  if (rank) memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
  *out = t;
  return TFCKPT_OK;
}

int tfckpt_tensor_new(tfckpt_dtype dtype, int rank, const int64_t *dims, tfckpt_tensor **out) {
  int rc = tfckpt__tensor_shell(dtype, rank, dims, out);
  if (rc) return rc;
  tfckpt_tensor *t = *out;
  if (tfckpt_dtype_size(dtype)) {
    t->data = calloc(1, t->nbytes ? t->nbytes : 1);
    t->owns_data = 1;
    if (!t->data) goto oom;
  } else {
    size_t n = (size_t)t->n ? (size_t)t->n : 1;
    if ((uint64_t)t->n > SIZE_MAX / sizeof(void *)) goto oom;
    t->str = calloc(n, sizeof *t->str);
    t->slen = calloc(n, sizeof *t->slen);
    t->sown = calloc(n, sizeof *t->sown);
    t->owns_data = 1;
    if (!t->str || !t->slen || !t->sown) goto oom;
  }
  return TFCKPT_OK;
oom:
  tfckpt_tensor_free(t);
  *out = NULL;
  return TFCKPT_ENOMEM;
}

void tfckpt_tensor_free(tfckpt_tensor *t) {
  if (!t) return;
  if (t->owns_data) free(t->data);
  if (t->sown)
    for (int64_t i = 0; i < t->n; i++) free(t->sown[i]);
  free(t->sown);
  free(t->backing);
  free(t->str);
  free(t->slen);
  free(t->dims);
  free(t);
}

tfckpt_dtype tfckpt_tensor_dtype(const tfckpt_tensor *t) { return t->dtype; }
int tfckpt_tensor_rank(const tfckpt_tensor *t) { return t->rank; }
const int64_t *tfckpt_tensor_dims(const tfckpt_tensor *t) { return t->dims; }
int64_t tfckpt_tensor_num_elements(const tfckpt_tensor *t) { return t->n; }
const void *tfckpt_tensor_data(const tfckpt_tensor *t) { return t->data; }
size_t tfckpt_tensor_nbytes(const tfckpt_tensor *t) { return t->nbytes; }
void *tfckpt_tensor_mutable_data(tfckpt_tensor *t) { return t->owns_data ? t->data : NULL; }
int tfckpt_tensor_is_view(const tfckpt_tensor *t) { return !t->owns_data; }

int tfckpt_tensor_get_string(const tfckpt_tensor *t, int64_t i, const uint8_t **data,
                             size_t *len) {
  if (!t->str || i < 0 || i >= t->n) return TFCKPT_EINVAL;
  *data = t->str[i] ? t->str[i] : (const uint8_t *)"";
  *len = t->slen[i];
  return TFCKPT_OK;
}

int tfckpt_tensor_set_string(tfckpt_tensor *t, int64_t i, const void *data, size_t len) {
  if (!t->str || !t->sown || i < 0 || i >= t->n) return TFCKPT_EINVAL;
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy) return TFCKPT_ENOMEM;
  if (len) memcpy(copy, data, len);
  free(t->sown[i]);
  t->sown[i] = copy;
  t->str[i] = copy;
  t->slen[i] = len;
  return TFCKPT_OK;
}

double tfckpt_tensor_get_double(const tfckpt_tensor *t, int64_t i) {
  if (!t->data || i < 0 || i >= t->n) return NAN;
  const uint8_t *p = (const uint8_t *)t->data + (size_t)i * tfckpt_dtype_size(t->dtype);
  union {
    float f;
    double d;
    int8_t i8;
    uint8_t u8;
    int16_t i16;
    uint16_t u16;
    int32_t i32;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
  } v;
  memcpy(&v, p, tfckpt_dtype_size(t->dtype) > 8 ? 8 : tfckpt_dtype_size(t->dtype));
  switch (t->dtype) {
    case TFCKPT_FLOAT:
    case TFCKPT_COMPLEX64: return v.f;
    case TFCKPT_DOUBLE:
    case TFCKPT_COMPLEX128: return v.d;
    case TFCKPT_HALF: return tfckpt__half_to_float(v.u16);
    case TFCKPT_BFLOAT16: return tfckpt__bf16_to_float(v.u16);
    case TFCKPT_INT8:
    case TFCKPT_QINT8:
    case TFCKPT_INT4: return v.i8;
    case TFCKPT_UINT8:
    case TFCKPT_QUINT8:
    case TFCKPT_BOOL:
    case TFCKPT_UINT4: return v.u8;
    case TFCKPT_INT16:
    case TFCKPT_QINT16: return v.i16;
    case TFCKPT_UINT16:
    case TFCKPT_QUINT16: return v.u16;
    case TFCKPT_INT32:
    case TFCKPT_QINT32: return v.i32;
    case TFCKPT_UINT32: return v.u32;
    case TFCKPT_INT64: return (double)v.i64;
    case TFCKPT_UINT64: return (double)v.u64;
    default: return NAN; /* float8 formats: shown raw by the printer */
  }
}
