/* Batches as tfckpt_tensor values, for code that works with tensors. */
#include <string.h>

#include "tfckpt/data.h"
#include "tfckpt/tensor.h"

int tfckpt_batch_to_tensors(const tfckpt_batch *b, tfckpt_tensor **features,
                            tfckpt_tensor **labels) {
  if (features) *features = NULL;
  if (labels) *labels = NULL;
  if (!b || !features) return TFCKPT_EINVAL;
  int64_t fd[2] = {(int64_t)b->rows, (int64_t)b->width};
  tfckpt_tensor *f = NULL, *l = NULL;
  int rc = tfckpt_tensor_new(TFCKPT_FLOAT, 2, fd, &f);
  if (rc) return rc;
  float *fv = tfckpt_tensor_mutable_data(f);
  if (b->rows && b->width) {
    if (!fv) {
      tfckpt_tensor_free(f);
      return TFCKPT_ENOMEM;
    }
    if (b->features) {
      memcpy(fv, b->features, b->rows * b->width * sizeof(float));
    } else { /* CSR rows onto the zeros of the new tensor */
      for (size_t r = 0; r < b->rows; r++)
        for (int64_t k = b->row_ptr[r]; k < b->row_ptr[r + 1]; k++)
          fv[r * b->width + (size_t)b->indices[k]] = b->values[k];
    }
  }
  if (labels && b->label_width && b->label_dtype != TFCKPT_INVALID) {
    int64_t ld[2] = {(int64_t)b->rows, (int64_t)b->label_width};
    rc = tfckpt_tensor_new(b->label_dtype, b->label_width > 1 ? 2 : 1, ld, &l);
    if (rc) {
      tfckpt_tensor_free(f);
      return rc;
    }
    void *lv = tfckpt_tensor_mutable_data(l);
    size_t n = b->rows * b->label_width * 4;
    const void *src = b->label_dtype == TFCKPT_INT32 ? (const void *)b->labels_i32
                                                     : (const void *)b->labels_f32;
    if (n) {
      if (!lv || !src) {
        tfckpt_tensor_free(f);
        tfckpt_tensor_free(l);
        return TFCKPT_ENOMEM;
      }
      memcpy(lv, src, n);
    }
    *labels = l;
  }
  *features = f;
  return 0;
}
