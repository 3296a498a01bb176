/* Optimizers (tf.train.GradientDescent/Momentum/AdamOptimizer semantics),
 * learning-rate schedules, and the names of every enum used in JSON/CLI. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn.h"

void tfckpt_optimizer_config_init(tfckpt_optimizer_config *c, tfckpt_optimizer_kind kind) {
  memset(c, 0, sizeof *c);
  c->kind = kind;
  c->lr = kind == TFCKPT_OPT_ADAM ? 0.001 : 0.01;
  c->momentum = 0.9;
  c->beta1 = 0.9;
  c->beta2 = 0.999;
  c->epsilon = 1e-8;
  c->schedule = TFCKPT_LR_CONSTANT;
  c->decay_rate = 0.96;
  c->decay_steps = 1000;
}

double tfckpt_learning_rate(const tfckpt_optimizer_config *c, int64_t step) {
  double p;
  switch (c->schedule) {
    case TFCKPT_LR_EXPONENTIAL:
      if (c->decay_steps <= 0) return c->lr;
      p = (double)step / (double)c->decay_steps;
      if (c->staircase) p = floor(p);
      return c->lr * pow(c->decay_rate, p);
    case TFCKPT_LR_STEP:
      if (c->nboundaries > 0) {
        for (int i = 0; i < c->nboundaries; i++)
          if (step <= c->boundaries[i]) return c->values[i];
        return c->values[c->nboundaries];
      }
      if (c->decay_steps <= 0) return c->lr;
      return c->lr * pow(c->decay_rate, floor((double)step / (double)c->decay_steps));
    default:
      return c->lr;
  }
}

static int find_name(const char *const *names, int n, const char *name) {
  if (!name) return -1;
  for (int i = 0; i < n; i++)
    if (!strcmp(names[i], name)) return i;
  return -1;
}

static const char *const act_names[] = {"identity", "relu", "leaky_relu",
                                        "sigmoid",  "tanh", "softmax"};
static const char *const init_names[] = {"glorot_uniform", "glorot_normal", "he_normal", "zeros"};
static const char *const loss_names[] = {"softmax_ce", "sigmoid_ce", "mse"};
static const char *const opt_names[] = {"sgd", "momentum", "adam"};
static const char *const sched_names[] = {"constant", "exponential", "step"};
#define N_(a) ((int)(sizeof a / sizeof a[0]))
#define NAME_(a, i) ((i) >= 0 && (i) < N_(a) ? a[i] : "unknown")

const char *tfckpt_activation_name(tfckpt_activation v) { return NAME_(act_names, (int)v); }
tfckpt_activation tfckpt_activation_from_name(const char *s) {
  if (s && !strcmp(s, "linear")) return TFCKPT_ACT_IDENTITY;
  return find_name(act_names, N_(act_names), s);
}
const char *tfckpt_init_name(tfckpt_init v) { return NAME_(init_names, (int)v); }
tfckpt_init tfckpt_init_from_name(const char *s) { return find_name(init_names, N_(init_names), s); }
const char *tfckpt_loss_name(tfckpt_loss v) { return NAME_(loss_names, (int)v); }
tfckpt_loss tfckpt_loss_from_name(const char *s) { return find_name(loss_names, N_(loss_names), s); }
const char *tfckpt_optimizer_name(tfckpt_optimizer_kind v) { return NAME_(opt_names, (int)v); }
tfckpt_optimizer_kind tfckpt_optimizer_from_name(const char *s) { return find_name(opt_names, N_(opt_names), s); }
const char *tfckpt_schedule_name(tfckpt_lr_schedule v) { return NAME_(sched_names, (int)v); }
tfckpt_lr_schedule tfckpt_schedule_from_name(const char *s) {
  if (s && !strcmp(s, "exp")) return TFCKPT_LR_EXPONENTIAL;
  return find_name(sched_names, N_(sched_names), s);
}

int nn_optim_create_slots(tfckpt_model *m) {
  const char *suffix[2] = {NULL, NULL};
  if (m->opt.kind == TFCKPT_OPT_MOMENTUM) suffix[0] = "Momentum";
  if (m->opt.kind == TFCKPT_OPT_ADAM) suffix[0] = "Adam", suffix[1] = "Adam_1";
  size_t nv = m->nvars;
  for (size_t i = 0; i < nv; i++) {
    if (!m->vars[i].trainable) continue;
    for (int s = 0; s < 2; s++) {
      if (!suffix[s]) continue;
      char name[256];
      snprintf(name, sizeof name, "%s/%s", m->vars[i].name, suffix[s]);
      int64_t dims[2] = {m->vars[i].dims[0], m->vars[i].dims[1]};
      int rc = nn_add_var(m, name, TFCKPT_FLOAT, m->vars[i].rank, dims, 0);
      if (rc < 0) return rc;
      m->vars[rc].slot_of = (int)i;
      m->vars[rc].slot_kind = s;
    }
  }
  if (m->opt.kind == TFCKPT_OPT_ADAM) {
    /* TF1 keeps beta^t as float32 non-slot variables starting at beta. */
    int rc = nn_add_var(m, "beta1_power", TFCKPT_FLOAT, 0, NULL, 0);
    if (rc < 0) return rc;
    m->v_beta1_power = rc;
    rc = nn_add_var(m, "beta2_power", TFCKPT_FLOAT, 0, NULL, 0);
    if (rc < 0) return rc;
    m->v_beta2_power = rc;
    m->vars[m->v_beta1_power].data[0] = (float)m->opt.beta1;
    m->vars[m->v_beta2_power].data[0] = (float)m->opt.beta2;
  }
  return TFCKPT_OK;
}

void nn_optim_apply(tfckpt_model *m, double lr) {
  const tfckpt_optimizer_config *c = &m->opt;
  /* Slots follow their variable in creation order; find them by scanning. */
  for (size_t s = 0; s < m->nvars; s++) {
    nn_var *sv = &m->vars[s];
    if (sv->slot_of < 0 || sv->slot_kind != 0) continue;
    nn_var *v = &m->vars[sv->slot_of];
    float *w = v->data, *g = v->grad, *acc = sv->data;
    size_t n = v->n;
    if (c->kind == TFCKPT_OPT_MOMENTUM) {
      float mu = (float)c->momentum, a = (float)lr;
      if (c->nesterov) {
        for (size_t i = 0; i < n; i++) {
          acc[i] = mu * acc[i] + g[i];
          w[i] -= a * (g[i] + mu * acc[i]);
        }
      } else {
        for (size_t i = 0; i < n; i++) {
          acc[i] = mu * acc[i] + g[i];
          w[i] -= a * acc[i];
        }
      }
    } else if (c->kind == TFCKPT_OPT_ADAM) {
      float *vv = m->vars[s + 1].data; /* Adam_1 is created right after Adam */
      double b1p = m->vars[m->v_beta1_power].data[0], b2p = m->vars[m->v_beta2_power].data[0];
      float a = (float)(lr * sqrt(1.0 - b2p) / (1.0 - b1p));
      float b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->epsilon;
      float ob1 = 1.0f - b1, ob2 = 1.0f - b2;
      /* the four arrays never overlap; saying so lets the loop vectorise */
      float *restrict mr = acc, *restrict vr = vv, *restrict wr = w;
      const float *restrict gr = g;
      for (size_t i = 0; i < n; i++) {
        float gi = gr[i];
        float mi = b1 * mr[i] + ob1 * gi;
        float vi = b2 * vr[i] + ob2 * gi * gi;
        mr[i] = mi;
        vr[i] = vi;
        wr[i] -= a * mi / (sqrtf(vi) + eps);
      }
    }
  }
  if (c->kind == TFCKPT_OPT_SGD) {
    float a = (float)lr;
    for (size_t k = 0; k < m->nvars; k++) {
      nn_var *v = &m->vars[k];
      if (!v->trainable) continue;
      for (size_t i = 0; i < v->n; i++) v->data[i] -= a * v->grad[i];
    }
  }
  if (c->kind == TFCKPT_OPT_ADAM) {
    m->vars[m->v_beta1_power].data[0] *= (float)c->beta1;
    m->vars[m->v_beta2_power].data[0] *= (float)c->beta2;
  }
}
