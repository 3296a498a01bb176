/* The tensor struct, shared by the modules that build tensors (reader,
 * converters).  Outside src/ only the opaque type is visible. */
#ifndef TFCKPT_TENSOR_IMPL_H
#define TFCKPT_TENSOR_IMPL_H

#include "tfckpt/tensor.h"

struct tfckpt_tensor {
  tfckpt_dtype dtype;
  int rank;
  int64_t *dims;
  int64_t n;          /* number of elements */
  void *data;         /* fixed-size values */
  size_t nbytes;
  int owns_data;      /* 0: a view into a mapped file */
  /* string / variant elements */
  const uint8_t **str;
  size_t *slen;
  uint8_t **sown;     /* per element: owned copy or NULL */
  void *backing;      /* owned bytes the str pointers point into, or NULL */
};

/* A tensor shell with dims copied and nothing allocated for values. */
int tfckpt__tensor_shell(tfckpt_dtype dtype, int rank, const int64_t *dims, tfckpt_tensor **out);

/* Product of dims, or -1 when a dim is negative or the product overflows
 * int64. */
int64_t tfckpt__num_elements(int rank, const int64_t *dims);

#endif
