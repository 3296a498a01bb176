/* Internals of the model: kernels (GEMM, activations, losses) and the model
 * struct shared by model.c, optim.c, model_io.c. */
#ifndef TFCKPT_NN_NN_H
#define TFCKPT_NN_NN_H

#include <stddef.h>
#include <stdint.h>

#include "tfckpt/internal/error.h"
#include "tfckpt/model.h"

/* ---- Kernels (row-major) ---- */

/* C[M,N] = alpha * op(A) op(B) + beta * C, op = transpose when t* != 0. */
void nn_gemm(int ta, int tb, size_t M, size_t N, size_t K, float alpha, const float *A,
             size_t lda, const float *B, size_t ldb, float beta, float *C, size_t ldc);

/* In-place activation of y (rows x n); softmax works per row. */
void nn_act_forward(int act, float alpha, float *y, size_t rows, size_t n);
/* dz = dy * act'(.) given the activation's OUTPUT y; in place on d. */
void nn_act_backward(int act, float alpha, const float *y, float *d, size_t rows, size_t n);

/* Loss of logits/predictions out (rows x k) against labels; writes the
 * gradient (of the mean loss) into grad when non-NULL.  Sums the metric
 * numerator into *metric_sum (correct predictions or absolute errors) and
 * returns the SUM of per-row losses in *loss_sum (mean = sum / rows for
 * softmax, / (rows*k) for the others: see nn_loss_denominator). */
int nn_loss(int loss, const float *out, size_t rows, size_t k, const int32_t *yi,
            const float *yf, float *grad, double *loss_sum, double *metric_sum,
            tfckpt__err *err);
/* Number of terms the loss and metric sums are averaged over. */
double nn_loss_denominator(int loss, size_t rows, size_t k);

/* ---- Model ---- */

enum { NN_DENSE = 1, NN_DROPOUT = 2 };

typedef struct nn_var {
  char *name;
  tfckpt_dtype dtype; /* TFCKPT_FLOAT or TFCKPT_INT64 */
  int rank;
  int64_t dims[2];
  size_t n;        /* elements */
  float *data;     /* float variables */
  float *grad;     /* trainable only */
  int trainable;
  int is_kernel;   /* gets the L2 term */
  int slot_of;     /* optimizer slot: index of its variable, else -1 */
  int slot_kind;   /* 0 = m/Momentum, 1 = v (Adam_1) */
} nn_var;

typedef struct nn_layer {
  int type;
  char name[32];    /* dense, dense_1, dropout, ... */
  size_t in, out;
  int act;
  int use_bias;
  int init;
  float rate;       /* dropout */
  int kernel, bias; /* variable indices; bias -1 when absent */
  float *y;         /* output (cap rows x out) */
  float *mask;      /* dropout: 0 or 1/(1-rate) */
  float *dy;        /* gradient w.r.t. the output */
} nn_layer;

struct tfckpt_model {
  tfckpt__err err;
  size_t in_width;
  nn_layer *layers;
  size_t nlayers, cap_layers;
  int ndense, ndropout;
  float leaky_alpha;
  int loss;
  double l2;
  tfckpt_optimizer_config opt;
  int built;
  uint64_t seed;

  nn_var *vars;
  size_t nvars, cap_vars;
  int64_t global_step;
  float beta1_power, beta2_power;
  int v_global_step, v_beta1_power, v_beta2_power; /* indices or -1 */

  int has_norm;
  float *norm_mean, *norm_var, *norm_scale; /* scale = 1/max(sqrt(var),eps) */
  int64_t norm_count;
  int v_norm_mean, v_norm_var, v_norm_count;

  size_t cap_rows;
  float *x0;        /* normalised input (cap_rows x in_width) */
  const float *fwd_in; /* first layer's input in the last forward pass */

  /* data-order settings of the run that trained it, so that a resumed run
   * replays exactly the same batches (model.json "training") */
  int has_train_info;
  uint64_t ti_batch_size, ti_shuffle_buffer, ti_seed;
  double ti_validation_split;

  char *label;
  int64_t num_classes;
  char **class_names;
  int64_t nclass_names;
};

/* Optimizer (optim.c): creates the slots for every trainable variable. */
int nn_optim_create_slots(tfckpt_model *m);
/* Applies one update with every variable's grad at learning rate lr. */
void nn_optim_apply(tfckpt_model *m, double lr);

/* Adds a variable; returns its index or a negative status. */
int nn_add_var(tfckpt_model *m, const char *name, tfckpt_dtype dtype, int rank, const int64_t *dims,
               int trainable);

/* Forward pass for rows (training: dropout on).  Returns the last layer's
 * output. */
const float *nn_forward(tfckpt_model *m, const float *x, size_t rows, int training,
                        uint64_t dropout_seed);
/* Backward pass from the last layer's dy (the loss gradient); fills every trainable variable's grad. */
void nn_backward(tfckpt_model *m, size_t rows);
int nn_reserve_rows(tfckpt_model *m, size_t rows);

/* Checks a batch's width and labels against the model (evaluate.c). */
int nn_check_labels(tfckpt_model *m, const tfckpt_batch *b);

#endif
