/* Mini-batch gradient descent over files.
 *
 * The batches come from the data pipeline: one stream covers all the epochs
 * of a run (its parser threads work ahead of training, across epoch ends),
 * with the pipeline's hold-out split removing the validation rows (a hash of
 * the row's file-order number and the seed, so the split is the same every
 * epoch and after a resume), its shuffle buffer seeded by (seed, epoch) and
 * its batcher cutting batches that never span epochs.  Because the batches
 * of an epoch depend only on the data, the seed and the epoch -- not on the
 * thread count -- resuming at global_step s opens the stream at epoch
 * s / iterations_per_epoch and skips its first s % iterations_per_epoch
 * batches: the run continues exactly where it stopped.
 *
 * A first streaming pass (at open, file order) counts the rows, finds the
 * classes, collects the validation split in memory and computes the
 * per-feature mean and variance of the training rows for standardisation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tfckpt/internal/file.h"
#include "nn/events.h"
#include "nn/nn.h"

struct tfckpt_trainer {
  tfckpt__err err;
  tfckpt_train_options o;
  char **paths, **val_paths;
  char *label, *out_dir, *logdir;
  tfckpt_dataset_options dopt;
  char *feature_columns, *na_values;
  tfckpt_mlp_spec spec;
  size_t *hidden;

  tfckpt_model *model;
  size_t width, label_width;
  tfckpt_dtype label_dtype;
  int64_t num_classes;
  uint64_t train_rows, val_rows;
  float *val_x;
  uint32_t *val_y; /* raw 4-byte labels (int32 or float) */
  uint64_t ipe;    /* iterations per epoch */
  int resumed;
  char *last_ckpt;
  int64_t last_saved_step;
  char **class_names;
  int64_t nclass_names;
};

void tfckpt_mlp_spec_init(tfckpt_mlp_spec *s) {
  memset(s, 0, sizeof *s);
  s->activation = TFCKPT_ACT_RELU;
  s->leaky_alpha = 0.2;
  s->use_bias = 1;
  s->init = TFCKPT_INIT_GLOROT_UNIFORM;
  s->loss = TFCKPT_LOSS_SOFTMAX_CE;
  tfckpt_optimizer_config_init(&s->opt, TFCKPT_OPT_ADAM);
}

void tfckpt_train_options_init(tfckpt_train_options *o) {
  memset(o, 0, sizeof *o);
  o->epochs = 10;
  o->batch_size = 32;
  o->shuffle_buffer = 10000;
  o->seed = 42;
  o->normalize = 1;
  o->threads = 2;
  o->keep = 5;
  o->max_rows_in_memory = (uint64_t)1 << 24;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char **dup_list(const char *const *v, size_t n) {
  char **r = calloc(n ? n : 1, sizeof *r);
  if (!r) return NULL;
  for (size_t i = 0; i < n; i++)
    if (!(r[i] = strdup(v[i]))) return r; /* caller frees; a NULL marks failure */
  return r;
}

static int list_ok(char **r, size_t n) {
  if (!r) return 0;
  for (size_t i = 0; i < n; i++)
    if (!r[i]) return 0;
  return 1;
}

static void free_list(char **r, size_t n) {
  if (!r) return;
  for (size_t i = 0; i < n; i++) free(r[i]);
  free(r);
}

void tfckpt_trainer_close(tfckpt_trainer *t) {
  if (!t) return;
  free_list(t->paths, t->o.npaths);
  free_list(t->val_paths, t->o.nval_paths);
  free(t->label);
  free(t->out_dir);
  free(t->logdir);
  free(t->feature_columns);
  free(t->na_values);
  free(t->hidden);
  free(t->val_x);
  free(t->val_y);
  free(t->last_ckpt);
  for (int64_t c = 0; c < t->nclass_names; c++) free(t->class_names[c]);
  free(t->class_names);
  tfckpt_model_free(t->model);
  free(t);
}

const char *tfckpt_trainer_errmsg(const tfckpt_trainer *t) {
  return t ? tfckpt__err_text(&t->err) : "out of memory";
}
tfckpt_model *tfckpt_trainer_model(tfckpt_trainer *t) { return t->model; }
const char *tfckpt_trainer_last_checkpoint(const tfckpt_trainer *t) {
  return t->last_ckpt ? t->last_ckpt : "";
}

/* Data options shared by every stream of a run; `d` then reads the files
 * once, in file order. */
static void data_options(const tfckpt_trainer *t, char **paths, size_t npaths,
                         tfckpt_dataset_options *d) {
  *d = t->dopt;
  d->paths = (const char *const *)paths;
  d->npaths = npaths;
  d->label_columns = t->label;
  d->feature_columns = t->feature_columns;
  d->na_values = t->na_values;
  d->shuffle_buffer = 0;
  d->num_epochs = 1;
  d->start_epoch = 0;
  d->drop_remainder = 0;
  d->holdout_fraction = 0;
  d->batch_size = 1024;
  d->num_threads = t->o.threads ? t->o.threads : 2;
  if (t->label_dtype != TFCKPT_INVALID) d->label_dtype = t->label_dtype;
}

static int open_stream(tfckpt_trainer *t, const tfckpt_dataset_options *d, tfckpt_dataset **ds) {
  int rc = tfckpt_dataset_open(d, ds);
  if (rc) tfckpt__seterr(&t->err, rc, "%s", tfckpt_dataset_errmsg(*ds));
  return rc;
}

/* Opens the files in file order, one pass. */
static int open_data(tfckpt_trainer *t, char **paths, size_t npaths, tfckpt_dataset **ds) {
  tfckpt_dataset_options d;
  data_options(t, paths, npaths, &d);
  return open_stream(t, &d, ds);
}

static int split_active(const tfckpt_trainer *t) {
  return t->o.validation_split > 0 && !t->o.nval_paths;
}

static int is_val_row(const tfckpt_trainer *t, uint64_t row) {
  return split_active(t) && tfckpt_dataset_holdout_row(t->o.seed, t->o.validation_split, row);
}

/* The first pass: rows, classes, validation split, normalisation stats. */
static int prepass(tfckpt_trainer *t, double **mean_out, double **var_out) {
  tfckpt_dataset *ds;
  int rc = open_data(t, t->paths, t->o.npaths, &ds);
  if (rc) {
    tfckpt_dataset_close(ds);
    return rc;
  }
  size_t w = t->width = tfckpt_dataset_width(ds);
  size_t lw = t->label_width = tfckpt_dataset_label_width(ds);
  t->label_dtype = tfckpt_dataset_label_dtype(ds);
  if (!lw || t->label_dtype == TFCKPT_INVALID) {
    tfckpt_dataset_close(ds);
    return tfckpt__seterr(&t->err, TFCKPT_EINVAL, "%s: no label column (use --label)", t->paths[0]);
  }
  double *shift = calloc(w, sizeof(double)), *sum = calloc(w, sizeof(double)),
         *sumsq = calloc(w, sizeof(double));
  size_t val_cap = 0;
  int64_t max_label = -1;
  uint64_t row = 0;
  const tfckpt_batch *b;
  if (!shift || !sum || !sumsq) rc = tfckpt__seterr(&t->err, TFCKPT_ENOMEM, "out of memory");
  while (!rc && (rc = tfckpt_dataset_next(ds, &b)) == 0 && b) {
    for (size_t r = 0; r < b->rows; r++, row++) {
      const float *x = b->features + r * w;
      const void *y = t->label_dtype == TFCKPT_INT32 ? (const void *)(b->labels_i32 + r * lw)
                                                     : (const void *)(b->labels_f32 + r * lw);
      if (t->label_dtype == TFCKPT_INT32)
        for (size_t j = 0; j < lw; j++)
          if (b->labels_i32[r * lw + j] > max_label) max_label = b->labels_i32[r * lw + j];
      if (is_val_row(t, row)) {
        if (t->val_rows >= t->o.max_rows_in_memory) {
          rc = tfckpt__seterr(&t->err, TFCKPT_ERANGE,
                             "the validation split holds more than %llu rows; use a validation file",
                             (unsigned long long)t->o.max_rows_in_memory);
          break;
        }
        if (t->val_rows == val_cap) {
          size_t nc = val_cap ? 2 * val_cap : 256;
          float *nx = realloc(t->val_x, nc * w * sizeof(float));
          if (nx) t->val_x = nx;
          uint32_t *ny = nx ? realloc(t->val_y, nc * lw * sizeof(uint32_t)) : NULL;
          if (ny) t->val_y = ny;
          if (!nx || !ny) {
            rc = tfckpt__seterr(&t->err, TFCKPT_ENOMEM, "out of memory");
            break;
          }
          val_cap = nc;
        }
        memcpy(t->val_x + t->val_rows * w, x, w * sizeof(float));
        memcpy(t->val_y + t->val_rows * lw, y, lw * sizeof(uint32_t));
        t->val_rows++;
        continue;
      }
      if (t->train_rows == 0)
        for (size_t j = 0; j < w; j++) shift[j] = x[j];
      /* shifted sums keep the variance accurate when |mean| >> std */
      for (size_t j = 0; j < w; j++) {
        double d = (double)x[j] - shift[j];
        sum[j] += d;
        sumsq[j] += d * d;
      }
      t->train_rows++;
    }
  }
  if (rc && !t->err.code) tfckpt__seterr(&t->err, rc, "%s", tfckpt_dataset_errmsg(ds));
  if (!rc && t->train_rows == 0)
    rc = tfckpt__seterr(&t->err, TFCKPT_EDATA, "%s: no training rows", t->paths[0]);
  if (!rc) {
    int64_t nc = tfckpt_dataset_num_classes(ds);
    t->num_classes = max_label + 1 > nc ? max_label + 1 : nc;
    for (size_t j = 0; j < w; j++) {
      double n = (double)t->train_rows, m = sum[j] / n;
      double v = sumsq[j] / n - m * m;
      sum[j] = shift[j] + m;
      sumsq[j] = v > 0 ? v : 0;
    }
    /* class names from an sklearn header, for model.json */
    int64_t nn = t->num_classes < 4096 ? t->num_classes : 4096;
    t->class_names = calloc((size_t)(nn > 0 ? nn : 1), sizeof(char *));
    if (!t->class_names) rc = tfckpt__seterr(&t->err, TFCKPT_ENOMEM, "out of memory");
    for (int64_t c = 0; !rc && c < nn; c++) {
      const char *name = tfckpt_dataset_class_name(ds, c);
      if (name && !(t->class_names[c] = strdup(name)))
        rc = tfckpt__seterr(&t->err, TFCKPT_ENOMEM, "out of memory");
      t->nclass_names = c + 1;
    }
  }
  free(shift);
  if (rc) {
    free(sum);
    free(sumsq);
  } else {
    *mean_out = sum;
    *var_out = sumsq;
  }
  tfckpt_dataset_close(ds);
  return rc;
}

static int build_model(tfckpt_trainer *t, const double *mean, const double *var) {
  tfckpt_model *m;
  int rc = tfckpt_model_new(t->width, &m);
  t->model = m;
  if (rc) return tfckpt__seterr(&t->err, rc, "%s", tfckpt_model_errmsg(m));
  const tfckpt_mlp_spec *s = &t->spec;
  size_t out = s->loss == TFCKPT_LOSS_SOFTMAX_CE ? (size_t)t->num_classes : t->label_width;
  if (s->loss == TFCKPT_LOSS_SOFTMAX_CE && (t->label_dtype != TFCKPT_INT32 || t->label_width != 1))
    return tfckpt__seterr(&t->err, TFCKPT_EINVAL,
                         "softmax_ce needs one integer label column; use --loss mse or sigmoid_ce");
  if (s->loss == TFCKPT_LOSS_SOFTMAX_CE && out < 2)
    return tfckpt__seterr(&t->err, TFCKPT_EINVAL, "softmax_ce needs at least 2 classes, the labels have %zu", out);
  for (size_t i = 0; !rc && i < s->nhidden; i++) {
    rc = tfckpt_model_add_dense(m, t->hidden[i], s->activation, s->use_bias, s->init);
    if (!rc && s->dropout > 0) rc = tfckpt_model_add_dropout(m, s->dropout);
  }
  if (!rc) rc = tfckpt_model_add_dense(m, out, TFCKPT_ACT_IDENTITY, s->use_bias, s->init);
  if (!rc) rc = tfckpt_model_set_loss(m, s->loss, s->l2);
  if (!rc && s->activation == TFCKPT_ACT_LEAKY_RELU) rc = tfckpt_model_set_leaky_alpha(m, s->leaky_alpha);
  if (!rc) rc = tfckpt_model_set_optimizer(m, &s->opt);
  if (!rc && t->o.normalize) {
    float *fm = malloc(t->width * sizeof(float)), *fv = malloc(t->width * sizeof(float));
    if (!fm || !fv) {
      rc = tfckpt__seterr(&m->err, TFCKPT_ENOMEM, "out of memory");
    } else {
      for (size_t j = 0; j < t->width; j++) fm[j] = (float)mean[j], fv[j] = (float)var[j];
      rc = tfckpt_model_set_normalization(m, fm, fv, (int64_t)t->train_rows);
    }
    free(fm);
    free(fv);
  }
  if (!rc) rc = tfckpt_model_build(m, t->o.seed);
  if (!rc) rc = tfckpt_model_set_label(m, t->label, s->loss == TFCKPT_LOSS_SOFTMAX_CE ? t->num_classes : 0);
  if (rc) return tfckpt__seterr(&t->err, rc, "%s", tfckpt_model_errmsg(m));
  return TFCKPT_OK;
}

int tfckpt_trainer_open(const tfckpt_train_options *o, const tfckpt_mlp_spec *spec,
                        tfckpt_trainer **out) {
  tfckpt_trainer *t = calloc(1, sizeof *t);
  *out = t;
  if (!t) return TFCKPT_ENOMEM;
  t->o = *o;
  t->spec = *spec;
  t->last_saved_step = -1;
  if (!o->npaths || !o->out_dir)
    return tfckpt__seterr(&t->err, TFCKPT_EINVAL, "training needs data files and an output directory");
  if (!o->batch_size || o->batch_size > ((size_t)1 << 20))
    return tfckpt__seterr(&t->err, TFCKPT_EINVAL, "bad batch size %zu", o->batch_size);
  if (!(o->validation_split >= 0 && o->validation_split < 1))
    return tfckpt__seterr(&t->err, TFCKPT_EINVAL, "validation split %g not in [0, 1)", o->validation_split);
  t->paths = dup_list(o->paths, o->npaths);
  t->val_paths = dup_list(o->val_paths, o->nval_paths);
  t->hidden = malloc((spec->nhidden ? spec->nhidden : 1) * sizeof(size_t));
  t->out_dir = strdup(o->out_dir);
  t->label = o->label ? strdup(o->label) : NULL;
  t->logdir = o->logdir ? strdup(o->logdir) : NULL;
  if (o->data) {
    t->dopt = *o->data;
    t->feature_columns = o->data->feature_columns ? strdup(o->data->feature_columns) : NULL;
    t->na_values = o->data->na_values ? strdup(o->data->na_values) : NULL;
    t->label_dtype = o->data->label_dtype;
  } else {
    tfckpt_dataset_options_init(&t->dopt);
  }
  if (!list_ok(t->paths, o->npaths) || !list_ok(t->val_paths, o->nval_paths) || !t->hidden ||
      !t->out_dir || (o->label && !t->label) || (o->logdir && !t->logdir))
    return tfckpt__seterr(&t->err, TFCKPT_ENOMEM, "out of memory");
  if (spec->nhidden) memcpy(t->hidden, spec->hidden, spec->nhidden * sizeof(size_t));
  t->spec.hidden = t->hidden;
  t->o.paths = NULL, t->o.val_paths = NULL, t->o.label = NULL, t->o.out_dir = NULL,
  t->o.logdir = NULL, t->o.data = NULL;

  char *state = tfckpt__path_join(t->out_dir, "checkpoint");
  char *json = tfckpt__path_join(t->out_dir, "model.json");
  int rc = TFCKPT_OK;
  if (!state || !json) rc = tfckpt__seterr(&t->err, TFCKPT_ENOMEM, "out of memory");
  int have_ckpt = !rc && tfckpt__is_file(state);
  if (!rc && have_ckpt && !o->resume)
    rc = tfckpt__seterr(&t->err, TFCKPT_EEXIST,
                       "%s already holds a checkpoint: pass --resume to continue training it, "
                       "or choose another output directory", t->out_dir);
  if (!rc && o->resume && have_ckpt) {
    rc = tfckpt_model_load(t->out_dir, &t->model);
    if (rc) tfckpt__seterr(&t->err, rc, "%s", tfckpt_model_errmsg(t->model));
    else t->resumed = 1;
    /* softmax needs int labels; regression float labels */
    if (!rc) t->label_dtype = tfckpt_model_loss(t->model) == TFCKPT_LOSS_SOFTMAX_CE ? TFCKPT_INT32 : TFCKPT_FLOAT;
    /* the same batches as the interrupted run, whatever the call says */
    if (!rc && t->model->has_train_info) {
      t->o.batch_size = (size_t)t->model->ti_batch_size;
      t->o.shuffle_buffer = (size_t)t->model->ti_shuffle_buffer;
      t->o.seed = t->model->ti_seed;
      if (!t->o.nval_paths) t->o.validation_split = t->model->ti_validation_split;
    }
    if (!rc && tfckpt_model_label(t->model)) {
      free(t->label);
      t->label = strdup(tfckpt_model_label(t->model));
    }
  } else if (!rc && t->label_dtype == TFCKPT_INVALID) {
    t->label_dtype = spec->loss == TFCKPT_LOSS_SOFTMAX_CE ? TFCKPT_INT32 : TFCKPT_FLOAT;
  }
  double *mean = NULL, *var = NULL;
  if (!rc) rc = prepass(t, &mean, &var);
  if (!rc && !t->resumed) {
    rc = build_model(t, mean, var);
    if (!rc) {
      t->model->has_train_info = 1;
      t->model->ti_batch_size = t->o.batch_size;
      t->model->ti_shuffle_buffer = t->o.shuffle_buffer;
      t->model->ti_seed = t->o.seed;
      t->model->ti_validation_split = t->o.nval_paths ? 0 : t->o.validation_split;
    }
    for (int64_t c = 0; !rc && c < t->nclass_names; c++)
      if (t->class_names[c]) rc = tfckpt_model_set_class_name(t->model, c, t->class_names[c]);
    if (!rc) rc = nn_mkdirs(t->out_dir, &t->err);
    if (!rc && (rc = tfckpt_model_write_json(t->model, json)))
      tfckpt__seterr(&t->err, rc, "%s", tfckpt_model_errmsg(t->model));
  } else if (!rc && tfckpt_model_input_width(t->model) != t->width) {
    rc = tfckpt__seterr(&t->err, TFCKPT_EINVAL, "%s: the data has %zu features, the model %zu",
                       t->paths[0], t->width, tfckpt_model_input_width(t->model));
  }
  if (!rc) t->ipe = (t->train_rows + t->o.batch_size - 1) / t->o.batch_size;
  free(mean);
  free(var);
  free(state);
  free(json);
  return rc;
}

/* ---- the epoch loop ---- */

typedef struct {
  tfckpt_trainer *t;
  tfckpt_train_callback cb;
  void *user;
  nn_events *ev;
  const char *metric_name;
  /* epoch accounting */
  uint64_t epoch, iter_in_epoch;
  double loss_sum, metric_sum;
  uint64_t rows_trained;
  int stop;
} run_state;

static int save_checkpoint(tfckpt_trainer *t) {
  int64_t step = tfckpt_model_global_step(t->model);
  char *prefix = tfckpt__strdupf("%s/model.ckpt-%lld", t->out_dir, (long long)step);
  if (!prefix) return tfckpt__seterr(&t->err, TFCKPT_ENOMEM, "out of memory");
  tfckpt_writer_options wo;
  tfckpt_writer_options_init(&wo);
  wo.update_state = 1;
  wo.max_to_keep = t->o.keep;
  int rc = tfckpt_model_save(t->model, prefix, &wo);
  if (rc) {
    tfckpt__seterr(&t->err, rc, "%s", tfckpt_model_errmsg(t->model));
    free(prefix);
    return rc;
  }
  free(t->last_ckpt);
  t->last_ckpt = prefix;
  t->last_saved_step = step;
  return TFCKPT_OK;
}

static void fill_progress(run_state *s, tfckpt_train_progress *p, int kind) {
  tfckpt_trainer *t = s->t;
  memset(p, 0, sizeof *p);
  p->kind = kind;
  p->epoch = s->epoch;
  p->epochs = t->o.epochs;
  p->iteration_in_epoch = s->iter_in_epoch;
  p->iterations_per_epoch = t->ipe;
  p->global_step = tfckpt_model_global_step(t->model);
  p->train_rows = t->train_rows;
  p->val_rows = t->val_rows;
  p->metric_name = s->metric_name;
  p->resumed = t->resumed;
  if (s->rows_trained) {
    p->loss = s->loss_sum / (double)s->rows_trained;
    p->metric = s->metric_sum / (double)s->rows_trained;
  }
  p->lr = tfckpt_learning_rate(tfckpt_model_optimizer(t->model), p->global_step);
}

static int train_batch(run_state *s, const tfckpt_batch *b) {
  tfckpt_trainer *t = s->t;
  tfckpt_step_result r;
  int rc = tfckpt_model_train_step(t->model, b->features, b->labels_i32, b->labels_f32, b->rows, &r);
  if (rc) return tfckpt__seterr(&t->err, rc, "%s", tfckpt_model_errmsg(t->model));
  s->loss_sum += r.loss * (double)b->rows;
  s->metric_sum += r.metric * (double)b->rows;
  s->rows_trained += b->rows;
  s->iter_in_epoch++;
  int64_t step = tfckpt_model_global_step(t->model);
  if (s->ev) {
    if ((rc = nn_events_scalar(s->ev, step, "loss", r.loss, &t->err)) ||
        (rc = nn_events_scalar(s->ev, step, s->metric_name, r.metric, &t->err)) ||
        (rc = nn_events_scalar(s->ev, step, "learning_rate", r.lr, &t->err)))
      return rc;
  }
  if (t->o.save_every > 0 && step % t->o.save_every == 0 && (rc = save_checkpoint(t))) return rc;
  if (s->cb) {
    tfckpt_train_progress p;
    fill_progress(s, &p, TFCKPT_PROGRESS_ITERATION);
    if (s->cb(&p, s->user)) s->stop = 1;
  }
  return TFCKPT_OK;
}

/* One stream for epochs [start_epoch, epochs): training rows only, shuffled
 * and batched by the pipeline. */
static int open_train_stream(tfckpt_trainer *t, uint64_t start_epoch, tfckpt_dataset **ds) {
  tfckpt_dataset_options d;
  data_options(t, t->paths, t->o.npaths, &d);
  /* A buffer holding every row already is a full shuffle; a larger one
   * would only cost memory and give the same order. */
  d.shuffle_buffer = t->o.shuffle_buffer > t->train_rows ? (size_t)t->train_rows : t->o.shuffle_buffer;
  d.seed = t->o.seed;
  d.batch_size = t->o.batch_size;
  d.start_epoch = start_epoch;
  d.num_epochs = t->o.epochs - start_epoch;
  if (split_active(t)) {
    d.holdout_fraction = t->o.validation_split;
    d.holdout_seed = t->o.seed;
    d.holdout_select = TFCKPT_HOLDOUT_EXCLUDE;
  }
  return open_stream(t, &d, ds);
}

/* Trains epoch s->epoch from the stream, skipping its first `skip` batches
 * (trained before the checkpoint a run resumes from). */
static int run_epoch(run_state *s, tfckpt_dataset *ds, uint64_t skip) {
  tfckpt_trainer *t = s->t;
  while (!s->stop && s->iter_in_epoch < t->ipe) {
    const tfckpt_batch *b;
    int rc = tfckpt_dataset_next(ds, &b);
    if (rc) return tfckpt__seterr(&t->err, rc, "%s", tfckpt_dataset_errmsg(ds));
    /* the first pass fixed the iterations per epoch; resume relies on it */
    if (!b || b->epoch != s->epoch || b->iteration_in_epoch != s->iter_in_epoch)
      return tfckpt__seterr(&t->err, TFCKPT_EDATA,
                            "%s: the data changed between passes (%llu training rows at the start)",
                            t->paths[0], (unsigned long long)t->train_rows);
    if (b->width != t->width || b->label_width != t->label_width || b->label_dtype != t->label_dtype)
      return tfckpt__seterr(&t->err, TFCKPT_EDATA, "the data changed shape between passes");
    if (s->iter_in_epoch < skip) {
      s->iter_in_epoch++;
      continue;
    }
    if ((rc = train_batch(s, b))) return rc;
  }
  return TFCKPT_OK;
}

static int validate(tfckpt_trainer *t, tfckpt_step_result *out) {
  memset(out, 0, sizeof *out);
  if (t->o.nval_paths) {
    tfckpt_dataset *ds;
    int rc = open_data(t, t->val_paths, t->o.nval_paths, &ds);
    if (!rc) {
      rc = tfckpt_model_evaluate_dataset(t->model, ds, out);
      if (rc) tfckpt__seterr(&t->err, rc, "%s", tfckpt_model_errmsg(t->model));
    }
    tfckpt_dataset_close(ds);
    return rc;
  }
  double ls = 0, ms = 0;
  const size_t chunk = 4096;
  for (uint64_t r0 = 0; r0 < t->val_rows; r0 += chunk) {
    size_t n = t->val_rows - r0 < chunk ? (size_t)(t->val_rows - r0) : chunk;
    const uint32_t *y = t->val_y + r0 * t->label_width;
    tfckpt_step_result r;
    int rc = tfckpt_model_evaluate(t->model, t->val_x + r0 * t->width,
                                   t->label_dtype == TFCKPT_INT32 ? (const int32_t *)(const void *)y : NULL,
                                   t->label_dtype == TFCKPT_INT32 ? NULL : (const float *)(const void *)y, n, &r);
    if (rc) return tfckpt__seterr(&t->err, rc, "validation: %s", tfckpt_model_errmsg(t->model));
    ls += r.loss * (double)n;
    ms += r.metric * (double)n;
  }
  out->rows = (size_t)t->val_rows;
  if (t->val_rows) out->loss = ls / (double)t->val_rows, out->metric = ms / (double)t->val_rows;
  return TFCKPT_OK;
}

/* Trainable weights, for early stopping's restore_best_weights. */
static size_t weights_size(const tfckpt_model *m) {
  size_t n = 0;
  for (size_t i = 0; i < m->nvars; i++)
    if (m->vars[i].trainable) n += m->vars[i].n;
  return n;
}

static void copy_weights(tfckpt_model *m, float *buf, int to_model) {
  for (size_t i = 0; i < m->nvars; i++) {
    nn_var *v = &m->vars[i];
    if (!v->trainable) continue;
    if (to_model) memcpy(v->data, buf, v->n * sizeof(float));
    else memcpy(buf, v->data, v->n * sizeof(float));
    buf += v->n;
  }
}

int tfckpt_trainer_run(tfckpt_trainer *t, tfckpt_train_callback cb, void *user) {
  if (!t->model) return tfckpt__seterr(&t->err, TFCKPT_EINVAL, "trainer not open");
  run_state s;
  memset(&s, 0, sizeof s);
  s.t = t;
  s.cb = cb;
  s.user = user;
  s.metric_name = tfckpt_model_loss(t->model) == TFCKPT_LOSS_MSE ? "mae" : "accuracy";
  int rc = TFCKPT_OK;
  size_t nweights = weights_size(t->model);
  float *best = t->o.patience > 0 ? malloc(nweights * sizeof(float)) : NULL;
  if (t->o.patience > 0 && !best) rc = tfckpt__seterr(&t->err, TFCKPT_ENOMEM, "out of memory");
  if (!rc && t->logdir) rc = nn_events_open(t->logdir, &s.ev, &t->err);

  int64_t step0 = tfckpt_model_global_step(t->model);
  uint64_t start_epoch = t->ipe ? (uint64_t)step0 / t->ipe : 0;
  uint64_t skip = t->ipe ? (uint64_t)step0 % t->ipe : 0;
  int has_val = t->o.nval_paths || t->val_rows;
  double best_monitor = INFINITY;
  int wait = 0, restored = 0;
  tfckpt_dataset *ds = NULL;
  if (!rc && cb) {
    s.epoch = start_epoch;
    s.iter_in_epoch = skip;
    tfckpt_train_progress p;
    fill_progress(&s, &p, TFCKPT_PROGRESS_START);
    if (cb(&p, user)) s.stop = 1;
  }
  if (!rc && !s.stop && start_epoch < t->o.epochs) rc = open_train_stream(t, start_epoch, &ds);
  for (uint64_t e = start_epoch; !rc && !s.stop && e < t->o.epochs; e++) {
    s.epoch = e;
    s.iter_in_epoch = 0;
    s.loss_sum = s.metric_sum = 0;
    s.rows_trained = 0;
    double t0 = now();
    rc = run_epoch(&s, ds, e == start_epoch ? skip : 0);
    double dt = now() - t0;
    if (rc) break;
    tfckpt_train_progress p;
    fill_progress(&s, &p, TFCKPT_PROGRESS_EPOCH);
    p.samples_per_sec = dt > 0 ? (double)s.rows_trained / dt : 0;
    if (has_val) {
      tfckpt_step_result vr;
      if ((rc = validate(t, &vr))) break;
      p.has_val = 1;
      p.val_loss = vr.loss;
      p.val_metric = vr.metric;
    }
    double monitor = has_val ? p.val_loss : p.loss;
    if (monitor < best_monitor - t->o.min_delta) {
      best_monitor = monitor;
      wait = 0;
      p.improved = 1;
      if (best) copy_weights(t->model, best, 0);
    } else if (t->o.patience > 0 && ++wait >= t->o.patience) {
      p.stopping = 1;
    }
    if (s.ev) {
      int64_t step = p.global_step;
      if (has_val &&
          ((rc = nn_events_scalar(s.ev, step, "val_loss", p.val_loss, &t->err)) ||
           (rc = nn_events_scalar(s.ev, step, s.metric_name[0] == 'a' ? "val_accuracy" : "val_mae",
                                  p.val_metric, &t->err))))
        break;
      if ((rc = nn_events_flush(s.ev, &t->err))) break;
    }
    if (cb && cb(&p, user)) s.stop = 1;
    if (p.stopping) {
      copy_weights(t->model, best, 1);
      restored = 1;
      s.stop = 1;
    }
  }
  tfckpt_dataset_close(ds);
  if (!rc && (restored || tfckpt_model_global_step(t->model) != t->last_saved_step))
    rc = save_checkpoint(t);
  if (s.ev) {
    tfckpt__err e2 = {0};
    if (!rc) rc = nn_events_flush(s.ev, &t->err);
    else nn_events_flush(s.ev, &e2);
    nn_events_close(s.ev);
  }
  free(best);
  return rc;
}
