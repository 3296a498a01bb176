/* Finite-difference checks of every layer's, activation's and loss's
 * gradient.  The model runs in float32; losses are summed in double, central
 * differences use eps = 2e-3 and the check is |num - ana| <= 1e-3 + 2e-2|ana|.
 * A negative control (analytic gradient scaled by 1.1) must fail the same
 * check, so the comparison is known to be sensitive. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "harness.h"
#include "nn/nn.h"

enum { ROWS = 6, IN = 5, HID = 7 };

typedef struct {
  float x[ROWS * IN];
  int32_t yi[ROWS * 4];
  float yf[ROWS * 4];
} batch;

/* Mean loss (+ L2) of the current weights with a fixed dropout seed. */
static double loss_of(tfckpt_model *m, const batch *b, int training) {
  const float *o = nn_forward(m, b->x, ROWS, training, 1234);
  size_t k = tfckpt_model_output_width(m);
  double ls, ms;
  tfckpt__err err = {0};
  int rc = nn_loss(m->loss, o, ROWS, k, b->yi, b->yf, NULL, &ls, &ms, &err);
  if (rc) {
    fprintf(stderr, "loss failed: %s\n", err.msg);
    exit(1);
  }
  double l2 = 0;
  for (size_t v = 0; v < m->nvars; v++)
    if (m->vars[v].is_kernel)
      for (size_t i = 0; i < m->vars[v].n; i++) l2 += (double)m->vars[v].data[i] * m->vars[v].data[i];
  return ls / nn_loss_denominator(m->loss, ROWS, k) + m->l2 * l2;
}

/* Fills every trainable grad analytically (training mode, same dropout seed). */
static void analytic(tfckpt_model *m, const batch *b) {
  const float *o = nn_forward(m, b->x, ROWS, 1, 1234);
  nn_layer *last = &m->layers[m->nlayers - 1];
  double ls, ms;
  tfckpt__err err = {0};
  nn_loss(m->loss, o, ROWS, last->out, b->yi, b->yf, last->dy, &ls, &ms, &err);
  nn_backward(m, ROWS);
  for (size_t v = 0; v < m->nvars; v++)
    if (m->vars[v].is_kernel)
      for (size_t i = 0; i < m->vars[v].n; i++)
        m->vars[v].grad[i] += (float)(2.0 * m->l2) * m->vars[v].data[i];
}

/* Returns the number of mismatching elements; *checked counts comparisons.
 * scale multiplies the analytic gradient (1.1 for the negative control). */
static int gradcheck(tfckpt_model *m, const batch *b, double scale, int *checked) {
  analytic(m, b);
  int bad = 0;
  const float eps = 2e-3f;
  for (size_t v = 0; v < m->nvars; v++) {
    nn_var *var = &m->vars[v];
    if (!var->trainable) continue;
    for (size_t i = 0; i < var->n; i++) {
      float w0 = var->data[i];
      var->data[i] = w0 + eps;
      double lp = loss_of(m, b, 1);
      var->data[i] = w0 - eps;
      double lm = loss_of(m, b, 1);
      var->data[i] = w0;
      double num = (lp - lm) / (2.0 * (double)eps);
      double ana = var->grad[i] * scale;
      (*checked)++;
      if (fabs(num - ana) > 1e-3 + 2e-2 * fabs(ana)) {
        if (scale == 1.0)
          fprintf(stderr, "  %s[%zu]: numeric %.6g analytic %.6g\n", var->name, i, num, ana);
        bad++;
      }
    }
  }
  return bad;
}

static void make_batch(batch *b, int classes, uint64_t seed) {
  tfckpt__rng r;
  tfckpt__rng_seed(&r, seed);
  for (int i = 0; i < ROWS * IN; i++) b->x[i] = (float)(2.0 * tfckpt__rng_uniform(&r) - 1.0);
  for (int i = 0; i < ROWS * 4; i++) {
    b->yi[i] = (int32_t)tfckpt__rng_below(&r, (uint64_t)classes);
    b->yf[i] = (float)tfckpt__rng_uniform(&r);
  }
}

/* dense(IN->HID, act) [dropout] -> dense(HID->k) with `loss`: the first
 * kernel's gradient flows through the activation and the second layer's dX. */
static void run_case(const char *label, int act, int loss, size_t k, double dropout,
                     double l2, int use_bias, int normalize) {
  tfckpt_model *m;
  CHECK(tfckpt_model_new(IN, &m) == 0);
  CHECK(tfckpt_model_add_dense(m, HID, act, use_bias, TFCKPT_INIT_GLOROT_NORMAL) == 0);
  if (dropout > 0) CHECK(tfckpt_model_add_dropout(m, dropout) == 0);
  CHECK(tfckpt_model_add_dense(m, k, TFCKPT_ACT_IDENTITY, 1, TFCKPT_INIT_GLOROT_UNIFORM) == 0);
  CHECK(tfckpt_model_set_loss(m, loss, l2) == 0);
  if (normalize) {
    float mean[IN], var[IN];
    for (int i = 0; i < IN; i++) mean[i] = 0.1f * (float)i, var[i] = 0.5f + 0.3f * (float)i;
    CHECK(tfckpt_model_set_normalization(m, mean, var, 10) == 0);
  }
  CHECK(tfckpt_model_build(m, 7) == 0);
  /* Biases start at zero; move them so their gradients are not trivial. */
  for (size_t v = 0; v < m->nvars; v++)
    if (m->vars[v].trainable && !m->vars[v].is_kernel)
      for (size_t i = 0; i < m->vars[v].n; i++) m->vars[v].data[i] = 0.05f * (float)(i % 5) - 0.1f;
  CHECK(nn_reserve_rows(m, ROWS) == 0);
  batch b;
  make_batch(&b, (int)k, 99);
  int checked = 0, control = 0;
  int bad = gradcheck(m, &b, 1.0, &checked);
  int bad_control = gradcheck(m, &b, 1.1, &control);
  printf("%-28s %4d gradients checked, %d mismatches; control %d/%d flagged\n", label, checked,
         bad, bad_control, control);
  if (bad) fprintf(stderr, "FAIL %s\n", label);
  CHECK(bad == 0);
  CHECK(checked > 50);
  CHECK(bad_control > control / 4);
  tfckpt_model_free(m);
}

/* Loss gradients directly on logits, including extreme values. */
static void check_loss_direct(int loss) {
  enum { R = 3, K = 4 };
  float z[R * K] = {0.5f, -1.0f, 2.0f, 0.1f, 30.0f, -30.0f, 0.0f, 1.0f, -3.0f, -2.5f, 4.0f, 0.2f};
  int32_t yi[R * K] = {2, 1, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0};
  float yf[R * K] = {1, 0, 1, 0, 0.5f, 1, 0, 1, 0, 0, 1, 1};
  float g[R * K];
  double ls, ms;
  tfckpt__err err = {0};
  CHECK(nn_loss(loss, z, R, K, yi, yf, g, &ls, &ms, &err) == 0);
  double den = nn_loss_denominator(loss, R, K);
  for (int i = 0; i < R * K; i++) {
    double e = 1e-2, lp, lm, m2;
    float s = z[i];
    z[i] = s + (float)e;
    nn_loss(loss, z, R, K, yi, yf, NULL, &lp, &m2, &err);
    z[i] = s - (float)e;
    nn_loss(loss, z, R, K, yi, yf, NULL, &lm, &m2, &err);
    z[i] = s;
    double num = (lp - lm) / (2 * e) / den;
    CHECKF(fabs(num - g[i]) <= 1e-4 + 1e-2 * fabs(num), "loss %s logit %d: numeric %g analytic %g",
           tfckpt_loss_name(loss), i, num, g[i]);
  }
}

static void check_known_values(void) {
  /* softmax_ce of logits (0, ln 3) with label 1: -log(3/4) */
  float z[2] = {0.0f, (float)log(3.0)};
  int32_t y = 1;
  double ls, ms;
  tfckpt__err err = {0};
  CHECK(nn_loss(TFCKPT_LOSS_SOFTMAX_CE, z, 1, 2, &y, NULL, NULL, &ls, &ms, &err) == 0);
  CHECK(fabs(ls - (-log(0.75))) < 1e-6);
  CHECK(ms == 1.0);
  y = 2;
  CHECK(nn_loss(TFCKPT_LOSS_SOFTMAX_CE, z, 1, 2, &y, NULL, NULL, &ls, &ms, &err) == TFCKPT_EDATA);
  CHECK(strstr(err.msg, "label 2 out of range: the model has 2 classes") != NULL);
  /* sigmoid_ce(x=0, t=1) = log 2; mse of (1,3) vs (0,0) = 5 per element sum 10 */
  float x0 = 0.0f, t1 = 1.0f;
  CHECK(nn_loss(TFCKPT_LOSS_SIGMOID_CE, &x0, 1, 1, NULL, &t1, NULL, &ls, &ms, &err) == 0);
  CHECK(fabs(ls - log(2.0)) < 1e-6);
  float p[2] = {1.0f, 3.0f}, t[2] = {0, 0};
  CHECK(nn_loss(TFCKPT_LOSS_MSE, p, 1, 2, NULL, t, NULL, &ls, &ms, &err) == 0);
  CHECK(fabs(ls - 10.0) < 1e-9 && fabs(ms - 4.0) < 1e-9);
}

int main(void) {
  static const int acts[] = {TFCKPT_ACT_IDENTITY, TFCKPT_ACT_RELU, TFCKPT_ACT_LEAKY_RELU,
                             TFCKPT_ACT_SIGMOID, TFCKPT_ACT_TANH, TFCKPT_ACT_SOFTMAX};
  for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
    char label[64];
    snprintf(label, sizeof label, "act %s", tfckpt_activation_name(acts[i]));
    run_case(label, acts[i], TFCKPT_LOSS_SOFTMAX_CE, 3, 0, 0, 1, 0);
  }
  run_case("loss softmax_ce", TFCKPT_ACT_TANH, TFCKPT_LOSS_SOFTMAX_CE, 4, 0, 0, 1, 0);
  run_case("loss sigmoid_ce", TFCKPT_ACT_TANH, TFCKPT_LOSS_SIGMOID_CE, 3, 0, 0, 1, 0);
  run_case("loss mse", TFCKPT_ACT_TANH, TFCKPT_LOSS_MSE, 2, 0, 0, 1, 0);
  run_case("dropout 0.3", TFCKPT_ACT_TANH, TFCKPT_LOSS_SOFTMAX_CE, 3, 0.3, 0, 1, 0);
  run_case("l2 0.05", TFCKPT_ACT_SIGMOID, TFCKPT_LOSS_MSE, 2, 0, 0.05, 1, 0);
  run_case("no bias", TFCKPT_ACT_TANH, TFCKPT_LOSS_SOFTMAX_CE, 3, 0, 0, 0, 0);
  run_case("normalized input", TFCKPT_ACT_TANH, TFCKPT_LOSS_SOFTMAX_CE, 3, 0, 0, 1, 1);
  check_loss_direct(TFCKPT_LOSS_SOFTMAX_CE);
  check_loss_direct(TFCKPT_LOSS_SIGMOID_CE);
  check_loss_direct(TFCKPT_LOSS_MSE);
  check_known_values();
  return tu_finish();
}
