/* The model: layers, variables, forward/backward passes and the training step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "nn/nn.h"

#define NORM_EPS 1e-7

int tfckpt_model_new(size_t input_width, tfckpt_model **out) {
  tfckpt_model *m = calloc(1, sizeof *m);
  if (out) *out = m;
  if (!m) return TFCKPT_ENOMEM;
  m->in_width = input_width;
  m->leaky_alpha = 0.2f;
  m->loss = TFCKPT_LOSS_SOFTMAX_CE;
  tfckpt_optimizer_config_init(&m->opt, TFCKPT_OPT_ADAM);
  m->v_global_step = m->v_beta1_power = m->v_beta2_power = -1;
  m->v_norm_mean = m->v_norm_var = m->v_norm_count = -1;
  if (input_width == 0) return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "model: input width is 0");
  return TFCKPT_OK;
}

static void free_buffers(tfckpt_model *m) {
  for (size_t i = 0; i < m->nlayers; i++) {
    free(m->layers[i].y);
    free(m->layers[i].mask);
    free(m->layers[i].dy);
    m->layers[i].y = m->layers[i].mask = m->layers[i].dy = NULL;
  }
  free(m->x0);
  m->x0 = NULL;
  m->cap_rows = 0;
}

void tfckpt_model_free(tfckpt_model *m) {
  if (!m) return;
  free_buffers(m);
  if (m->has_norm && m->v_norm_mean < 0) free(m->norm_mean), free(m->norm_var);
  free(m->layers);
  for (size_t i = 0; i < m->nvars; i++) {
    free(m->vars[i].name);
    free(m->vars[i].data);
    free(m->vars[i].grad);
  }
  free(m->vars);
  free(m->norm_scale);
  free(m->label);
  for (int64_t i = 0; i < m->nclass_names; i++) free(m->class_names[i]);
  free(m->class_names);
  free(m);
}

const char *tfckpt_model_errmsg(const tfckpt_model *m) {
  return m ? tfckpt__err_text(&m->err) : "out of memory";
}

static int add_layer(tfckpt_model *m, nn_layer **out) {
  if (m->built) return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "model: layers must be added before build");
  if (m->nlayers == m->cap_layers) {
    size_t nc = m->cap_layers ? 2 * m->cap_layers : 8;
    nn_layer *nl = realloc(m->layers, nc * sizeof *nl);
    if (!nl) return tfckpt__seterr(&m->err, TFCKPT_ENOMEM, "out of memory");
    m->layers = nl;
    m->cap_layers = nc;
  }
  nn_layer *l = &m->layers[m->nlayers];
  memset(l, 0, sizeof *l);
  l->in = m->nlayers ? m->layers[m->nlayers - 1].out : m->in_width;
  l->kernel = l->bias = -1;
  *out = l;
  return TFCKPT_OK;
}

int tfckpt_model_add_dense(tfckpt_model *m, size_t units, tfckpt_activation activation, int use_bias,
                           tfckpt_init init) {
  if (units == 0 || units > (1u << 24))
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "dense layer: bad number of units %zu", units);
  if (activation < TFCKPT_ACT_IDENTITY || activation > TFCKPT_ACT_SOFTMAX)
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "dense layer: unknown activation %d", activation);
  if (init < TFCKPT_INIT_GLOROT_UNIFORM || init > TFCKPT_INIT_ZEROS)
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "dense layer: unknown initializer %d", init);
  nn_layer *l = NULL;
  int rc = add_layer(m, &l);
  if (rc) return rc;
  l->type = NN_DENSE;
  l->out = units;
  l->act = activation;
  l->use_bias = use_bias != 0;
  l->init = init;
  /* tf.layers / Keras name layers per class: dense, dense_1, dense_2, ... */
  if (m->ndense) snprintf(l->name, sizeof l->name, "dense_%d", m->ndense);
  else snprintf(l->name, sizeof l->name, "dense");
  m->ndense++;
  m->nlayers++;
  return TFCKPT_OK;
}

int tfckpt_model_add_dropout(tfckpt_model *m, double rate) {
  if (!(rate >= 0.0 && rate < 1.0))
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "dropout: rate %g not in [0, 1)", rate);
  nn_layer *l = NULL;
  int rc = add_layer(m, &l);
  if (rc) return rc;
  l->type = NN_DROPOUT;
  l->out = l->in;
  l->rate = (float)rate;
  if (m->ndropout) snprintf(l->name, sizeof l->name, "dropout_%d", m->ndropout);
  else snprintf(l->name, sizeof l->name, "dropout");
  m->ndropout++;
  m->nlayers++;
  return TFCKPT_OK;
}

int tfckpt_model_set_leaky_alpha(tfckpt_model *m, double alpha) {
  if (!(alpha > 0.0 && alpha < 1.0))
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "leaky relu alpha %g not in (0, 1)", alpha);
  m->leaky_alpha = (float)alpha;
  return TFCKPT_OK;
}

int tfckpt_model_set_loss(tfckpt_model *m, tfckpt_loss loss, double l2) {
  if (loss < TFCKPT_LOSS_SOFTMAX_CE || loss > TFCKPT_LOSS_MSE)
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "unknown loss %d", loss);
  if (!(l2 >= 0.0)) return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "l2 %g must be >= 0", l2);
  m->loss = loss;
  m->l2 = l2;
  return TFCKPT_OK;
}

int tfckpt_model_set_optimizer(tfckpt_model *m, const tfckpt_optimizer_config *c) {
  if (m->built) return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "optimizer must be set before build");
  if (c->kind < TFCKPT_OPT_SGD || c->kind > TFCKPT_OPT_ADAM)
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "unknown optimizer %d", c->kind);
  if (!(c->lr > 0.0) || !isfinite(c->lr))
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "learning rate %g must be > 0", c->lr);
  if (c->nboundaries < 0 || c->nboundaries > TFCKPT_LR_MAX_BOUNDARIES)
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "too many learning-rate boundaries");
  for (int i = 1; i < c->nboundaries; i++)
    if (c->boundaries[i] <= c->boundaries[i - 1])
      return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "learning-rate boundaries must increase");
  if (c->kind == TFCKPT_OPT_ADAM &&
      !(c->beta1 >= 0 && c->beta1 < 1 && c->beta2 >= 0 && c->beta2 < 1 && c->epsilon > 0))
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "adam: beta1/beta2 must be in [0,1), epsilon > 0");
  m->opt = *c;
  return TFCKPT_OK;
}

int nn_add_var(tfckpt_model *m, const char *name, tfckpt_dtype dtype, int rank, const int64_t *dims,
               int trainable) {
  if (m->nvars == m->cap_vars) {
    size_t nc = m->cap_vars ? 2 * m->cap_vars : 16;
    nn_var *nv = realloc(m->vars, nc * sizeof *nv);
    if (!nv) return tfckpt__seterr(&m->err, TFCKPT_ENOMEM, "out of memory");
    m->vars = nv;
    m->cap_vars = nc;
  }
  nn_var *v = &m->vars[m->nvars];
  memset(v, 0, sizeof *v);
  v->dtype = dtype;
  v->rank = rank;
  v->n = 1;
  for (int i = 0; i < rank; i++) v->dims[i] = dims[i], v->n *= (size_t)dims[i];
  v->slot_of = -1;
  v->trainable = trainable;
  v->name = strdup(name);
  v->data = calloc(v->n ? v->n : 1, dtype == TFCKPT_INT64 ? 8 : sizeof(float));
  if (trainable) v->grad = calloc(v->n ? v->n : 1, sizeof(float));
  if (!v->name || !v->data || (trainable && !v->grad)) {
    free(v->name);
    free(v->data);
    free(v->grad);
    return tfckpt__seterr(&m->err, TFCKPT_ENOMEM, "out of memory");
  }
  return (int)m->nvars++;
}

static void init_kernel(float *w, size_t fan_in, size_t fan_out, int init, tfckpt__rng *rng) {
  size_t n = fan_in * fan_out;
  /* 0.87962566... is the stddev of a standard normal truncated at +-2: TF
   * divides by it so the truncated samples keep the intended variance. */
  const double trunc_sd = 0.87962566103423978;
  double sd;
  switch (init) {
    case TFCKPT_INIT_GLOROT_UNIFORM: {
      double lim = sqrt(6.0 / (double)(fan_in + fan_out));
      for (size_t i = 0; i < n; i++) w[i] = (float)((2.0 * tfckpt__rng_uniform(rng) - 1.0) * lim);
      return;
    }
    case TFCKPT_INIT_GLOROT_NORMAL:
      sd = sqrt(2.0 / (double)(fan_in + fan_out)) / trunc_sd;
      break;
    case TFCKPT_INIT_HE_NORMAL:
      sd = sqrt(2.0 / (double)fan_in) / trunc_sd;
      break;
    default:
      memset(w, 0, n * sizeof *w);
      return;
  }
  for (size_t i = 0; i < n; i++) w[i] = (float)(tfckpt__rng_truncated_normal(rng) * sd);
}

static int add_norm_vars(tfckpt_model *m) {
  int64_t d = (int64_t)m->in_width;
  int a = nn_add_var(m, "normalization/mean", TFCKPT_FLOAT, 1, &d, 0);
  if (a < 0) return a;
  int b = nn_add_var(m, "normalization/variance", TFCKPT_FLOAT, 1, &d, 0);
  if (b < 0) return b;
  int c = nn_add_var(m, "normalization/count", TFCKPT_INT64, 0, NULL, 0);
  if (c < 0) return c;
  m->v_norm_mean = a, m->v_norm_var = b, m->v_norm_count = c;
  return TFCKPT_OK;
}

int tfckpt_model_build(tfckpt_model *m, uint64_t seed) {
  if (m->built) return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "model: already built");
  if (!m->nlayers) return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "model: no layers");
  size_t k = m->layers[m->nlayers - 1].out;
  if (m->loss == TFCKPT_LOSS_SOFTMAX_CE && k < 2)
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL,
                         "softmax_ce needs an output layer of >= 2 units (one per class), got %zu", k);
  m->seed = seed;
  for (size_t i = 0; i < m->nlayers; i++) {
    nn_layer *l = &m->layers[i];
    if (l->type != NN_DENSE) continue;
    char name[64];
    int64_t kd[2] = {(int64_t)l->in, (int64_t)l->out};
    snprintf(name, sizeof name, "%s/kernel", l->name);
    int rc = nn_add_var(m, name, TFCKPT_FLOAT, 2, kd, 1);
    if (rc < 0) return rc;
    l->kernel = rc;
    m->vars[rc].is_kernel = 1;
    tfckpt__rng rng;
    tfckpt__rng_seed(&rng, seed * 1000003u + i);
    init_kernel(m->vars[rc].data, l->in, l->out, l->init, &rng);
    if (l->use_bias) {
      snprintf(name, sizeof name, "%s/bias", l->name);
      rc = nn_add_var(m, name, TFCKPT_FLOAT, 1, &kd[1], 1);
      if (rc < 0) return rc;
      l->bias = rc;
    }
  }
  int rc = nn_add_var(m, "global_step", TFCKPT_INT64, 0, NULL, 0);
  if (rc < 0) return rc;
  m->v_global_step = rc;
  if (m->has_norm) {
    if ((rc = add_norm_vars(m))) return rc;
    memcpy(m->vars[m->v_norm_mean].data, m->norm_mean, m->in_width * sizeof(float));
    memcpy(m->vars[m->v_norm_var].data, m->norm_var, m->in_width * sizeof(float));
    *(int64_t *)m->vars[m->v_norm_count].data = m->norm_count;
    free(m->norm_mean);
    free(m->norm_var);
    m->norm_mean = m->vars[m->v_norm_mean].data;
    m->norm_var = m->vars[m->v_norm_var].data;
  }
  if ((rc = nn_optim_create_slots(m))) return rc;
  m->global_step = 0;
  m->built = 1;
  return TFCKPT_OK;
}

/* Recomputes 1/std after the statistics changed. */
static int refresh_norm_scale(tfckpt_model *m) {
  if (!m->norm_scale) {
    m->norm_scale = malloc(m->in_width * sizeof(float));
    if (!m->norm_scale) return tfckpt__seterr(&m->err, TFCKPT_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < m->in_width; i++) {
    double sd = sqrt(m->norm_var[i] > 0 ? m->norm_var[i] : 0.0);
    m->norm_scale[i] = (float)(1.0 / (sd > NORM_EPS ? sd : NORM_EPS));
  }
  return TFCKPT_OK;
}

int tfckpt_model_set_normalization(tfckpt_model *m, const float *mean, const float *variance,
                                   int64_t count) {
  if (!mean || !variance) {
    if (m->v_norm_mean >= 0)
      return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "normalization cannot be removed after build");
    if (m->has_norm) free(m->norm_mean), free(m->norm_var);
    m->norm_mean = m->norm_var = NULL;
    m->has_norm = 0;
    return TFCKPT_OK;
  }
  size_t w = m->in_width;
  if (m->built && m->v_norm_mean < 0) {
    int rc = add_norm_vars(m);
    if (rc) return rc;
    m->norm_mean = m->vars[m->v_norm_mean].data;
    m->norm_var = m->vars[m->v_norm_var].data;
  } else if (!m->built && !m->has_norm) {
    m->norm_mean = malloc(w * sizeof(float));
    m->norm_var = malloc(w * sizeof(float));
    if (!m->norm_mean || !m->norm_var) {
      free(m->norm_mean), free(m->norm_var);
      m->norm_mean = m->norm_var = NULL;
      return tfckpt__seterr(&m->err, TFCKPT_ENOMEM, "out of memory");
    }
  }
  memmove(m->norm_mean, mean, w * sizeof(float));
  memmove(m->norm_var, variance, w * sizeof(float));
  m->norm_count = count;
  if (m->v_norm_count >= 0) *(int64_t *)m->vars[m->v_norm_count].data = count;
  m->has_norm = 1;
  return refresh_norm_scale(m);
}

int tfckpt_model_has_normalization(const tfckpt_model *m) { return m->has_norm; }
size_t tfckpt_model_input_width(const tfckpt_model *m) { return m->in_width; }
size_t tfckpt_model_output_width(const tfckpt_model *m) {
  return m->nlayers ? m->layers[m->nlayers - 1].out : 0;
}
int tfckpt_model_loss(const tfckpt_model *m) { return m->loss; }
int64_t tfckpt_model_global_step(const tfckpt_model *m) { return m->global_step; }
void tfckpt_model_set_global_step(tfckpt_model *m, int64_t step) { m->global_step = step; }
const tfckpt_optimizer_config *tfckpt_model_optimizer(const tfckpt_model *m) { return &m->opt; }

int nn_reserve_rows(tfckpt_model *m, size_t rows) {
  if (rows <= m->cap_rows) return TFCKPT_OK;
  if (rows > ((size_t)1 << 24))
    return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "batch of %zu rows is too large", rows);
  free_buffers(m);
  m->x0 = malloc(rows * m->in_width * sizeof(float));
  if (!m->x0) return tfckpt__seterr(&m->err, TFCKPT_ENOMEM, "out of memory");
  for (size_t i = 0; i < m->nlayers; i++) {
    nn_layer *l = &m->layers[i];
    l->y = malloc(rows * l->out * sizeof(float));
    l->dy = malloc(rows * l->out * sizeof(float));
    if (l->type == NN_DROPOUT) l->mask = malloc(rows * l->out * sizeof(float));
    if (!l->y || !l->dy || (l->type == NN_DROPOUT && !l->mask)) {
      free_buffers(m);
      return tfckpt__seterr(&m->err, TFCKPT_ENOMEM, "out of memory");
    }
  }
  m->cap_rows = rows;
  return TFCKPT_OK;
}

static const float *layer_input(const tfckpt_model *m, size_t i, const float *x) {
  return i ? m->layers[i - 1].y : x;
}

const float *nn_forward(tfckpt_model *m, const float *x, size_t rows, int training,
                        uint64_t dropout_seed) {
  const float *in = x;
  if (m->has_norm) {
    size_t w = m->in_width;
    for (size_t r = 0; r < rows; r++) {
      const float *src = x + r * w;
      float *dst = m->x0 + r * w;
      for (size_t j = 0; j < w; j++) dst[j] = (src[j] - m->norm_mean[j]) * m->norm_scale[j];
    }
    in = m->x0;
  }
  m->fwd_in = in;
  for (size_t i = 0; i < m->nlayers; i++) {
    nn_layer *l = &m->layers[i];
    const float *li = i ? m->layers[i - 1].y : in;
    if (l->type == NN_DENSE) {
      const float *w = m->vars[l->kernel].data;
      if (l->bias >= 0) {
        const float *b = m->vars[l->bias].data;
        for (size_t r = 0; r < rows; r++) memcpy(l->y + r * l->out, b, l->out * sizeof(float));
      }
      nn_gemm(0, 0, rows, l->out, l->in, 1.0f, li, l->in, w, l->out, l->bias >= 0 ? 1.0f : 0.0f,
              l->y, l->out);
      nn_act_forward(l->act, m->leaky_alpha, l->y, rows, l->out);
    } else {
      size_t n = rows * l->out;
      if (training && l->rate > 0.0f) {
        tfckpt__rng rng;
        tfckpt__rng_seed(&rng, dropout_seed ^ (0x9E3779B97F4A7C15ull * (i + 1)));
        float keep = 1.0f / (1.0f - l->rate);
        /* float uniforms against the rate, as TF keeps a value when
         * uniform >= rate */
        for (size_t k = 0; k < n; k++) {
          l->mask[k] = tfckpt__rng_uniform_float(&rng) >= l->rate ? keep : 0.0f;
          l->y[k] = li[k] * l->mask[k];
        }
      } else {
        memcpy(l->y, li, n * sizeof(float));
      }
    }
  }
  return m->layers[m->nlayers - 1].y;
}

void nn_backward(tfckpt_model *m, size_t rows) {
  const float *x_in = m->fwd_in;
  for (size_t ii = m->nlayers; ii-- > 0;) {
    nn_layer *l = &m->layers[ii];
    const float *li = layer_input(m, ii, x_in);
    float *d_in = ii ? m->layers[ii - 1].dy : NULL;
    if (l->type == NN_DENSE) {
      nn_act_backward(l->act, m->leaky_alpha, l->y, l->dy, rows, l->out);
      nn_gemm(1, 0, l->in, l->out, rows, 1.0f, li, l->in, l->dy, l->out, 0.0f,
              m->vars[l->kernel].grad, l->out);
      if (l->bias >= 0) {
        float *gb = m->vars[l->bias].grad;
        memset(gb, 0, l->out * sizeof(float));
        for (size_t r = 0; r < rows; r++) {
          const float *d = l->dy + r * l->out;
          for (size_t j = 0; j < l->out; j++) gb[j] += d[j];
        }
      }
      if (d_in)
        nn_gemm(0, 1, rows, l->in, l->out, 1.0f, l->dy, l->out, m->vars[l->kernel].data, l->out,
                0.0f, d_in, l->in);
    } else if (d_in) {
      size_t n = rows * l->out;
      if (l->rate > 0.0f)
        for (size_t k = 0; k < n; k++) d_in[k] = l->dy[k] * l->mask[k];
      else
        memcpy(d_in, l->dy, n * sizeof(float));
    }
  }
}

static int check_ready(tfckpt_model *m, const float *x, size_t rows) {
  if (!m->built) return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "model: not built");
  if (!x && rows) return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "model: no input");
  return nn_reserve_rows(m, rows);
}

static double l2_term(const tfckpt_model *m, int add_grad) {
  if (m->l2 <= 0.0) return 0.0;
  double s = 0.0;
  float two_l2 = (float)(2.0 * m->l2);
  for (size_t k = 0; k < m->nvars; k++) {
    nn_var *v = &m->vars[k];
    if (!v->is_kernel) continue;
    for (size_t i = 0; i < v->n; i++) {
      s += (double)v->data[i] * v->data[i];
      if (add_grad) v->grad[i] += two_l2 * v->data[i];
    }
  }
  return m->l2 * s;
}

int tfckpt_model_train_step(tfckpt_model *m, const float *x, const int32_t *labels_i32,
                            const float *labels_f32, size_t rows, tfckpt_step_result *out) {
  int rc = check_ready(m, x, rows);
  if (rc) return rc;
  if (!rows) return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "train step: empty batch");
  uint64_t st = m->seed ^ ((uint64_t)m->global_step * 0xD1B54A32D192ED03ull);
  const float *o = nn_forward(m, x, rows, 1, tfckpt__splitmix64(&st));
  nn_layer *last = &m->layers[m->nlayers - 1];
  double ls, ms;
  rc = nn_loss(m->loss, o, rows, last->out, labels_i32, labels_f32, last->dy, &ls, &ms, &m->err);
  if (rc) return rc;
  nn_backward(m, rows);
  double den = nn_loss_denominator(m->loss, rows, last->out);
  double loss = ls / den + l2_term(m, 1);
  double lr = tfckpt_learning_rate(&m->opt, m->global_step);
  nn_optim_apply(m, lr);
  m->global_step++;
  if (out) {
    out->loss = loss;
    out->metric = ms / den;
    out->lr = lr;
    out->rows = rows;
  }
  return TFCKPT_OK;
}

int tfckpt_model_evaluate(tfckpt_model *m, const float *x, const int32_t *labels_i32,
                          const float *labels_f32, size_t rows, tfckpt_step_result *out) {
  int rc = check_ready(m, x, rows);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if (!rows) return TFCKPT_OK;
  const float *o = nn_forward(m, x, rows, 0, 0);
  size_t k = m->layers[m->nlayers - 1].out;
  double ls, ms;
  rc = nn_loss(m->loss, o, rows, k, labels_i32, labels_f32, NULL, &ls, &ms, &m->err);
  if (rc) return rc;
  double den = nn_loss_denominator(m->loss, rows, k);
  out->loss = ls / den;
  out->metric = ms / den;
  out->rows = rows;
  return TFCKPT_OK;
}

int tfckpt_model_predict(tfckpt_model *m, const float *x, size_t rows, float *out) {
  int rc = check_ready(m, x, rows);
  if (rc) return rc;
  if (!rows) return TFCKPT_OK;
  const float *o = nn_forward(m, x, rows, 0, 0);
  size_t k = m->layers[m->nlayers - 1].out;
  memcpy(out, o, rows * k * sizeof(float));
  if (m->loss == TFCKPT_LOSS_SOFTMAX_CE) nn_act_forward(TFCKPT_ACT_SOFTMAX, 0, out, rows, k);
  else if (m->loss == TFCKPT_LOSS_SIGMOID_CE) nn_act_forward(TFCKPT_ACT_SIGMOID, 0, out, rows, k);
  return TFCKPT_OK;
}

int64_t tfckpt_model_num_variables(const tfckpt_model *m) { return (int64_t)m->nvars; }

int tfckpt_model_variable(const tfckpt_model *m, int64_t i, tfckpt_model_var *out) {
  if (i < 0 || (size_t)i >= m->nvars) return TFCKPT_ERANGE;
  const nn_var *v = &m->vars[i];
  if ((int)i == m->v_global_step) *(int64_t *)v->data = m->global_step;
  out->name = v->name;
  out->dtype = v->dtype;
  out->rank = v->rank;
  out->dims[0] = v->dims[0];
  out->dims[1] = v->dims[1];
  out->data = v->data;
  out->trainable = v->trainable;
  return TFCKPT_OK;
}

int64_t tfckpt_model_find_variable(const tfckpt_model *m, const char *name) {
  for (size_t i = 0; i < m->nvars; i++)
    if (!strcmp(m->vars[i].name, name)) return (int64_t)i;
  return -1;
}

int tfckpt_model_set_label(tfckpt_model *m, const char *label_spec, int64_t num_classes) {
  char *s = label_spec ? strdup(label_spec) : NULL;
  if (label_spec && !s) return tfckpt__seterr(&m->err, TFCKPT_ENOMEM, "out of memory");
  free(m->label);
  m->label = s;
  m->num_classes = num_classes;
  return TFCKPT_OK;
}

const char *tfckpt_model_label(const tfckpt_model *m) { return m->label; }
int64_t tfckpt_model_num_classes(const tfckpt_model *m) { return m->num_classes; }

int tfckpt_model_set_class_name(tfckpt_model *m, int64_t cls, const char *name) {
  if (cls < 0 || cls >= (1 << 20)) return tfckpt__seterr(&m->err, TFCKPT_ERANGE, "class %lld out of range", (long long)cls);
  if (cls >= m->nclass_names) {
    char **nn = realloc(m->class_names, (size_t)(cls + 1) * sizeof *nn);
    if (!nn) return tfckpt__seterr(&m->err, TFCKPT_ENOMEM, "out of memory");
    for (int64_t i = m->nclass_names; i <= cls; i++) nn[i] = NULL;
    m->class_names = nn;
    m->nclass_names = cls + 1;
  }
  char *s = name ? strdup(name) : NULL;
  if (name && !s) return tfckpt__seterr(&m->err, TFCKPT_ENOMEM, "out of memory");
  free(m->class_names[cls]);
  m->class_names[cls] = s;
  return TFCKPT_OK;
}

const char *tfckpt_model_class_name(const tfckpt_model *m, int64_t cls) {
  return cls >= 0 && cls < m->nclass_names ? m->class_names[cls] : NULL;
}
