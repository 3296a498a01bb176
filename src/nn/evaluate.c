/* Streaming evaluation of a model over a dataset. */
#include <string.h>

#include "nn/nn.h"

/* Checks that a batch's labels fit the model's loss. */
int nn_check_labels(tfckpt_model *m, const tfckpt_batch *b) {
  size_t k = tfckpt_model_output_width(m);
  if (b->width != m->in_width)
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "the data has %zu features, the model expects %zu",
                         b->width, m->in_width);
  if (b->label_dtype == TFCKPT_INVALID)
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "the data has no label column");
  if (m->loss == TFCKPT_LOSS_SOFTMAX_CE) {
    if (b->label_dtype != TFCKPT_INT32 || b->label_width != 1)
      return tfckpt__seterr(&m->err, TFCKPT_EINVAL,
                           "softmax_ce needs one integer label column (got %zu %s columns)",
                           b->label_width, tfckpt_dtype_name(b->label_dtype));
  } else if (b->label_width != k) {
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "%s needs %zu label columns, the data has %zu",
                         tfckpt_loss_name(m->loss), k, b->label_width);
  }
  return TFCKPT_OK;
}

int tfckpt_model_evaluate_dataset(tfckpt_model *m, tfckpt_dataset *ds, tfckpt_step_result *out) {
  memset(out, 0, sizeof *out);
  double lsum = 0, msum = 0;
  size_t rows = 0;
  const tfckpt_batch *b;
  int rc;
  while ((rc = tfckpt_dataset_next(ds, &b)) == 0 && b) {
    if ((rc = nn_check_labels(m, b))) return rc;
    tfckpt_step_result r;
    rc = tfckpt_model_evaluate(m, b->features, b->labels_i32, b->labels_f32, b->rows, &r);
    if (rc) return rc;
    lsum += r.loss * (double)b->rows;
    msum += r.metric * (double)b->rows;
    rows += b->rows;
  }
  if (rc) return tfckpt__seterr(&m->err, rc, "%s", tfckpt_dataset_errmsg(ds));
  out->rows = rows;
  out->loss = rows ? lsum / (double)rows : 0;
  out->metric = rows ? msum / (double)rows : 0;
  return TFCKPT_OK;
}
