/*
 * tfckpt model — a small TensorFlow-style model (dense layers, dropout,
 * losses, optimizers) trained by mini-batch gradient descent, saved as
 * TensorFlow checkpoints with the names TensorFlow gives the same model.
 *
 * Usage (low level: the caller feeds arrays):
 *
 *   tfckpt_model *m;
 *   tfckpt_model_new(4, &m);                          // 4 input features
 *   tfckpt_model_add_dense(m, 64, TFCKPT_ACT_RELU, 1, TFCKPT_INIT_GLOROT_UNIFORM);
 *   tfckpt_model_add_dropout(m, 0.1);
 *   tfckpt_model_add_dense(m, 3, TFCKPT_ACT_IDENTITY, 1, TFCKPT_INIT_GLOROT_UNIFORM);
 *   tfckpt_model_set_loss(m, TFCKPT_LOSS_SOFTMAX_CE, 0.0);  // last layer = logits
 *   tfckpt_optimizer_config oc;
 *   tfckpt_optimizer_config_init(&oc, TFCKPT_OPT_ADAM);     // TF's defaults
 *   tfckpt_model_set_optimizer(m, &oc);
 *   if (tfckpt_model_build(m, 42) != TFCKPT_OK) { ...tfckpt_model_errmsg(m)... }
 *   tfckpt_step_result r;
 *   tfckpt_model_train_step(m, x, labels_i32, NULL, rows, &r);   // one iteration
 *   tfckpt_model_save(m, "runs/m/model.ckpt-1", NULL);          // dense/kernel, ...
 *   tfckpt_model_free(m);
 *
 * Usage (high level: train from files, like `tfckpt train`):
 *
 *   tfckpt_train_options to;  tfckpt_train_options_init(&to);
 *   to.paths = files; to.npaths = 1; to.label = "-1"; to.out_dir = "runs/m";
 *   tfckpt_mlp_spec spec;     tfckpt_mlp_spec_init(&spec);
 *   tfckpt_trainer *t;
 *   int rc = tfckpt_trainer_open(&to, &spec, &t);
 *   if (!rc) rc = tfckpt_trainer_run(t, my_progress_cb, NULL);
 *   if (rc) fprintf(stderr, "%s\n", tfckpt_trainer_errmsg(t));
 *   tfckpt_trainer_close(t);
 *
 * Ownership rules:
 *   - _new/_open/_load always set *out (a handle carrying the error message on
 *     failure, NULL only when memory ran out); the caller frees it with the
 *     matching _free/_close.  Freeing NULL is a no-op.
 *   - Option/spec structs and the strings/arrays they point to are copied.
 *   - Pointers returned by accessors (names, variable data, the trainer's
 *     model) stay valid until the owning handle is freed, or until the model's
 *     structure changes (add_*, build).
 *
 * Math: forward and backward passes run in float32, matrix products through
 * BLAS (OpenBLAS) sgemm.  Layout follows TensorFlow: activations are
 * [batch, units] row-major, a dense kernel is [in, out], its bias [out].
 * Checkpoint names (see docs/training.md): dense/kernel, dense/bias,
 * dense_1/..., normalization/mean|variance|count, global_step (int64),
 * optimizer slots <var>/Adam, <var>/Adam_1, <var>/Momentum, beta1_power,
 * beta2_power.
 */
#ifndef TFCKPT_MODEL_H
#define TFCKPT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "tfckpt/data.h"
#include "tfckpt/tfckpt.h"
#include "tfckpt/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tfckpt_model tfckpt_model;

/* Activations applied by a dense layer to its output. */
typedef enum tfckpt_activation {
  TFCKPT_ACT_UNKNOWN = -1,   /* tfckpt_activation_from_name: no such name */
  TFCKPT_ACT_IDENTITY = 0,
  TFCKPT_ACT_RELU = 1,
  TFCKPT_ACT_LEAKY_RELU = 2, /* x > 0 ? x : alpha*x (alpha default 0.2, as tf.nn.leaky_relu) */
  TFCKPT_ACT_SIGMOID = 3,
  TFCKPT_ACT_TANH = 4,
  TFCKPT_ACT_SOFTMAX = 5     /* over the units of each row */
} tfckpt_activation;

/* Kernel initialisers (biases always start at zero). */
typedef enum tfckpt_init {
  TFCKPT_INIT_UNKNOWN = -1,
  TFCKPT_INIT_GLOROT_UNIFORM = 0, /* U(-l, l), l = sqrt(6/(fan_in+fan_out)) */
  TFCKPT_INIT_GLOROT_NORMAL = 1,  /* truncated normal, sd sqrt(2/(fan_in+fan_out))/.8796 */
  TFCKPT_INIT_HE_NORMAL = 2,      /* truncated normal, sd sqrt(2/fan_in)/.8796 */
  TFCKPT_INIT_ZEROS = 3
} tfckpt_init;

/* Losses.  The last layer's output is the logits for the cross-entropies. */
typedef enum tfckpt_loss {
  TFCKPT_LOSS_UNKNOWN = -1,
  TFCKPT_LOSS_SOFTMAX_CE = 0, /* int32 class labels; metric: accuracy */
  TFCKPT_LOSS_SIGMOID_CE = 1, /* 0/1 labels per output; metric: accuracy (logit > 0) */
  TFCKPT_LOSS_MSE = 2         /* float targets; metric: mean absolute error */
} tfckpt_loss;

typedef enum tfckpt_optimizer_kind {
  TFCKPT_OPT_UNKNOWN = -1,
  TFCKPT_OPT_SGD = 0,
  TFCKPT_OPT_MOMENTUM = 1,
  TFCKPT_OPT_ADAM = 2
} tfckpt_optimizer_kind;

/* Learning-rate schedules, with TensorFlow's formulas (step = global_step
 * before the update):
 *   CONSTANT:    lr
 *   EXPONENTIAL: lr * decay_rate ^ (step / decay_steps)   (tf.train.exponential_decay;
 *                the exponent is floored when staircase)
 *   STEP:        with boundaries b[0..n-1] and values v[0..n]:
 *                v[0] if step <= b[0], v[i] if b[i-1] < step <= b[i], v[n] after
 *                (tf.train.piecewise_constant); with no boundaries:
 *                lr * decay_rate ^ floor(step / decay_steps). */
typedef enum tfckpt_lr_schedule {
  TFCKPT_LR_UNKNOWN = -1,
  TFCKPT_LR_CONSTANT = 0,
  TFCKPT_LR_EXPONENTIAL = 1,
  TFCKPT_LR_STEP = 2
} tfckpt_lr_schedule;

#define TFCKPT_LR_MAX_BOUNDARIES 16

typedef struct tfckpt_optimizer_config {
  tfckpt_optimizer_kind kind;
  double lr;         /* learning rate (Adam 0.001, others 0.01 by default) */
  double momentum;   /* MOMENTUM: 0.9 by default */
  int nesterov;      /* MOMENTUM: Nesterov's variant */
  double beta1, beta2, epsilon; /* ADAM: 0.9, 0.999, 1e-8 (tf.train.AdamOptimizer) */
  tfckpt_lr_schedule schedule;
  double decay_rate;
  int64_t decay_steps;
  int staircase;
  int nboundaries;
  int64_t boundaries[TFCKPT_LR_MAX_BOUNDARIES];
  double values[TFCKPT_LR_MAX_BOUNDARIES + 1];
} tfckpt_optimizer_config;

/* Defaults for optimizer `kind` (constant learning rate). */
TFCKPT_API void tfckpt_optimizer_config_init(tfckpt_optimizer_config *c, tfckpt_optimizer_kind kind);
/* The learning rate the schedule gives at `step`. */
TFCKPT_API double tfckpt_learning_rate(const tfckpt_optimizer_config *c, int64_t step);

/* Names used by the CLI and the model JSON ("relu", "glorot_uniform",
 * "softmax_ce", "adam", "exponential", ...), and back (TFCKPT_*_UNKNOWN, -1,
 * for a name that is not one of them). */
TFCKPT_API const char *tfckpt_activation_name(tfckpt_activation act);
TFCKPT_API tfckpt_activation tfckpt_activation_from_name(const char *name);
TFCKPT_API const char *tfckpt_init_name(tfckpt_init init);
TFCKPT_API tfckpt_init tfckpt_init_from_name(const char *name);
TFCKPT_API const char *tfckpt_loss_name(tfckpt_loss loss);
TFCKPT_API tfckpt_loss tfckpt_loss_from_name(const char *name);
TFCKPT_API const char *tfckpt_optimizer_name(tfckpt_optimizer_kind kind);
TFCKPT_API tfckpt_optimizer_kind tfckpt_optimizer_from_name(const char *name);
TFCKPT_API const char *tfckpt_schedule_name(tfckpt_lr_schedule schedule);
TFCKPT_API tfckpt_lr_schedule tfckpt_schedule_from_name(const char *name);

/* Sets the number of BLAS threads (OpenBLAS is process-wide). */
TFCKPT_API void tfckpt_nn_set_threads(int n);

/* ---- Model ---- */

/* A model taking rows of `input_width` float32 features. */
TFCKPT_API int tfckpt_model_new(size_t input_width, tfckpt_model **out /* OUT */);
TFCKPT_API void tfckpt_model_free(tfckpt_model *m);
/* Message of the last failure; "not an error" when none. */
TFCKPT_API const char *tfckpt_model_errmsg(const tfckpt_model *m);

/* Layers, in order; each runs on the previous layer's output.  Dense layers
 * are named like tf.layers/Keras do: dense, dense_1, dense_2, ... */
TFCKPT_API int tfckpt_model_add_dense(tfckpt_model *m, size_t units, tfckpt_activation activation,
                                      int use_bias, tfckpt_init init);
/* Inverted dropout of `rate` in [0, 1) while training; identity otherwise. */
TFCKPT_API int tfckpt_model_add_dropout(tfckpt_model *m, double rate);
/* Slope of leaky relu for negative inputs (default 0.2). */
TFCKPT_API int tfckpt_model_set_leaky_alpha(tfckpt_model *m, double alpha);
/* Loss on the last layer's output; l2 > 0 adds l2 * sum(kernel^2) over all
 * kernels (Keras' l2 regulariser). */
TFCKPT_API int tfckpt_model_set_loss(tfckpt_model *m, tfckpt_loss loss, double l2);
TFCKPT_API int tfckpt_model_set_optimizer(tfckpt_model *m, const tfckpt_optimizer_config *c);
/* Allocates and initialises the variables (seeded: same seed, same weights)
 * and the optimizer's slots; global_step = 0. */
TFCKPT_API int tfckpt_model_build(tfckpt_model *m, uint64_t seed);

/* Feature standardisation applied before the first layer:
 * x' = (x - mean) / max(sqrt(variance), 1e-7) per feature.  NULL disables. */
TFCKPT_API int tfckpt_model_set_normalization(tfckpt_model *m, const float *mean, const float *variance,
                                   int64_t count);
TFCKPT_API int tfckpt_model_has_normalization(const tfckpt_model *m);

TFCKPT_API size_t tfckpt_model_input_width(const tfckpt_model *m);
TFCKPT_API size_t tfckpt_model_output_width(const tfckpt_model *m);
TFCKPT_API int tfckpt_model_loss(const tfckpt_model *m);
TFCKPT_API int64_t tfckpt_model_global_step(const tfckpt_model *m);
TFCKPT_API void tfckpt_model_set_global_step(tfckpt_model *m, int64_t step);
TFCKPT_API const tfckpt_optimizer_config *tfckpt_model_optimizer(const tfckpt_model *m);

/* Result of a training step or an evaluation. */
typedef struct tfckpt_step_result {
  double loss;    /* mean loss over the rows (plus the L2 term when training) */
  double metric;  /* accuracy (classification) or mean absolute error */
  double lr;      /* learning rate used (train step only) */
  size_t rows;
} tfckpt_step_result;

/* One iteration: forward, backward, optimizer update, global_step += 1.
 * Labels: softmax_ce takes labels_i32 (rows values in [0, classes));
 * sigmoid_ce/mse take labels_f32 (rows x output_width), or labels_i32 which
 * are converted.  TFCKPT_EDATA for a label out of range or a non-finite loss. */
TFCKPT_API int tfckpt_model_train_step(tfckpt_model *m, const float *x, const int32_t *labels_i32,
                            const float *labels_f32, size_t rows, tfckpt_step_result *out);
/* Loss and metric of a batch without training (dropout off, no L2 term). */
TFCKPT_API int tfckpt_model_evaluate(tfckpt_model *m, const float *x, const int32_t *labels_i32,
                          const float *labels_f32, size_t rows, tfckpt_step_result *out);
/* Outputs for rows: class probabilities (softmax_ce), sigmoid probabilities
 * (sigmoid_ce) or values (mse); out holds rows * output_width floats. */
TFCKPT_API int tfckpt_model_predict(tfckpt_model *m, const float *x, size_t rows, float *out);

/* ---- Variables (after build) ---- */

typedef struct tfckpt_model_var {
  const char *name;   /* checkpoint name: "dense/kernel", "dense/kernel/Adam", ... */
  tfckpt_dtype dtype; /* TFCKPT_FLOAT, or TFCKPT_INT64 for global_step */
  int rank;
  int64_t dims[2];
  void *data;         /* the live values (float* or int64_t*) */
  int trainable;
} tfckpt_model_var;

TFCKPT_API int64_t tfckpt_model_num_variables(const tfckpt_model *m);
TFCKPT_API int tfckpt_model_variable(const tfckpt_model *m, int64_t i, tfckpt_model_var *out /* OUT */);
/* Index of the variable `name`, or -1. */
TFCKPT_API int64_t tfckpt_model_find_variable(const tfckpt_model *m, const char *name);

/* ---- Saving and loading ---- */

/* Writes every variable as the checkpoint `prefix` ("dir/model.ckpt-100").
 * `wo` may be NULL (no state file update). */
TFCKPT_API int tfckpt_model_save(tfckpt_model *m, const char *prefix, const tfckpt_writer_options *wo);
/* Reads every variable of the built model from the checkpoint at `path`
 * (anything tfckpt_reader_open accepts); names and shapes must match. */
TFCKPT_API int tfckpt_model_restore(tfckpt_model *m, const char *path);

/* Data description stored with the architecture, so that evaluate/predict
 * need no flags: the label column spec and class names. */
TFCKPT_API int tfckpt_model_set_label(tfckpt_model *m, const char *label_spec, int64_t num_classes);
TFCKPT_API const char *tfckpt_model_label(const tfckpt_model *m);
TFCKPT_API int64_t tfckpt_model_num_classes(const tfckpt_model *m);
TFCKPT_API int tfckpt_model_set_class_name(tfckpt_model *m, int64_t cls, const char *name);
TFCKPT_API const char *tfckpt_model_class_name(const tfckpt_model *m, int64_t cls); /* NULL if none */

/* The architecture as JSON (layers, loss, optimizer, normalisation flag,
 * label), written atomically to `path`. */
TFCKPT_API int tfckpt_model_write_json(tfckpt_model *m, const char *path);
/* Creates an unbuilt-then-built model from a JSON file written by
 * tfckpt_model_write_json (weights initialised, not restored). */
TFCKPT_API int tfckpt_model_from_json(const char *path, tfckpt_model **out /* OUT */);
/* Loads `dir`/model.json and the latest checkpoint of `dir` (or the
 * checkpoint `dir` names, with model.json next to it). */
TFCKPT_API int tfckpt_model_load(const char *dir, tfckpt_model **out /* OUT */);

/* ---- Streaming evaluation ---- */

/* Evaluates the model on every batch of an open dataset (labels required). */
TFCKPT_API int tfckpt_model_evaluate_dataset(tfckpt_model *m, tfckpt_dataset *ds,
                                  tfckpt_step_result *out /* OUT */);

/* ---- Trainer: mini-batch gradient descent over files ---- */

typedef struct tfckpt_mlp_spec {
  const size_t *hidden;  /* hidden layer widths (e.g. {64, 64}); the output
                            layer (classes, or label width) is added */
  size_t nhidden;
  tfckpt_activation activation; /* hidden activation; default RELU */
  double leaky_alpha;    /* default 0.2 */
  double dropout;        /* dropout after each hidden layer; 0 = none */
  int use_bias;          /* default 1 */
  tfckpt_init init;      /* default GLOROT_UNIFORM */
  tfckpt_loss loss;      /* default SOFTMAX_CE */
  double l2;             /* default 0 */
  tfckpt_optimizer_config opt; /* default Adam */
} tfckpt_mlp_spec;

TFCKPT_API void tfckpt_mlp_spec_init(tfckpt_mlp_spec *s);

typedef struct tfckpt_train_options {
  const char *const *paths;   /* training files / globs */
  size_t npaths;
  const char *label;          /* label column (name or index; NULL: format default) */
  const tfckpt_dataset_options *data; /* format/delimiter/header/... (may be NULL);
                                 the trainer sets the order, split and batch
                                 options itself */
  const char *const *val_paths; /* validation files (optional) */
  size_t nval_paths;
  double validation_split;    /* fraction of training rows held out, used when
                                 no val_paths: the data pipeline's hold-out split
                                 (tfckpt_dataset_holdout_row(seed, split, row)) */
  uint64_t epochs;            /* default 10 */
  size_t batch_size;          /* default 32 */
  size_t shuffle_buffer;      /* rows; default 10000; 0/1 = file order */
  uint64_t seed;              /* default 42: init, shuffling, dropout, split */
  int normalize;              /* default 1 */
  size_t threads;             /* parser threads; default 2 */
  const char *out_dir;        /* required: model.json + checkpoints */
  int resume;                 /* 1: continue from out_dir's latest checkpoint; the
                                 architecture, optimizer, batch size, shuffle
                                 buffer, seed and split then come from model.json
                                 so the run continues with the same batches */
  int64_t save_every;         /* checkpoint every N iterations; 0 = end only */
  int keep;                   /* checkpoints kept (default 5, like Saver) */
  int patience;               /* early stopping after N epochs without
                                 improvement of val loss (train loss without
                                 validation); 0 = off; best weights restored */
  double min_delta;           /* improvement needed; default 0 */
  const char *logdir;         /* TensorBoard event files; NULL = none */
  uint64_t max_rows_in_memory; /* cap for the held-out split; default 1<<24 */
} tfckpt_train_options;

TFCKPT_API void tfckpt_train_options_init(tfckpt_train_options *o);

typedef enum tfckpt_progress_kind {
  TFCKPT_PROGRESS_START = 0,
  TFCKPT_PROGRESS_ITERATION = 1,
  TFCKPT_PROGRESS_EPOCH = 2
} tfckpt_progress_kind;

typedef struct tfckpt_train_progress {
  tfckpt_progress_kind kind;
  uint64_t epoch, epochs;    /* 0-based epoch, total */
  uint64_t iteration_in_epoch, iterations_per_epoch;
  int64_t global_step;
  uint64_t train_rows, val_rows;
  double loss, metric;       /* epoch running means */
  int has_val;
  double val_loss, val_metric;
  double samples_per_sec;
  double lr;
  int improved;              /* EPOCH: this epoch is the best so far */
  int stopping;              /* EPOCH: early stopping triggered */
  int resumed;               /* START: continuing from a checkpoint */
  const char *metric_name;   /* "accuracy" or "mae" */
} tfckpt_train_progress;

/* Return nonzero to stop training (a final checkpoint is still written). */
typedef int (*tfckpt_train_callback)(const tfckpt_train_progress *p, void *user);

typedef struct tfckpt_trainer tfckpt_trainer;

/* Reads the data once (rows, classes, normalisation statistics, validation
 * split), builds the model from `spec` or resumes it from out_dir. */
TFCKPT_API int tfckpt_trainer_open(const tfckpt_train_options *o, const tfckpt_mlp_spec *spec,
                        tfckpt_trainer **out /* OUT */);
/* Runs the epochs; `cb` (may be NULL) is called at the start, after every
 * iteration and after every epoch. */
TFCKPT_API int tfckpt_trainer_run(tfckpt_trainer *t, tfckpt_train_callback cb, void *user);
TFCKPT_API tfckpt_model *tfckpt_trainer_model(tfckpt_trainer *t);
/* Prefix of the last checkpoint written ("" before the first). */
TFCKPT_API const char *tfckpt_trainer_last_checkpoint(const tfckpt_trainer *t);
TFCKPT_API const char *tfckpt_trainer_errmsg(const tfckpt_trainer *t);
TFCKPT_API void tfckpt_trainer_close(tfckpt_trainer *t);

#ifdef __cplusplus
}
#endif
#endif
