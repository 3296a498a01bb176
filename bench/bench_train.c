/* Training throughput of the model core on in-memory data (the same setup
 * bench/train_torch.py runs in PyTorch): an MLP with ReLU hidden layers,
 * softmax cross-entropy, Adam (lr 0.001), a fixed batch size and thread
 * count.  Prints one line: "tfckpt samples/s N".
 *
 *   bench_train [--features 784] [--hidden 256,256] [--classes 10]
 *               [--batch 128] [--rows 16384] [--epochs 3] [--threads 1]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tfckpt/model.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 88172645463325252ull;
static double urand(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (double)(rng_state >> 11) * 0x1.0p-53;
}

int main(int argc, char **argv) {
  size_t features = 784, classes = 10, batch = 128, rows = 16384, hidden[16] = {256, 256};
  int nhidden = 2, epochs = 3, threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *a = argv[i], *v = argv[i + 1];
    if (!strcmp(a, "--features")) features = strtoul(v, NULL, 10);
    else if (!strcmp(a, "--classes")) classes = strtoul(v, NULL, 10);
    else if (!strcmp(a, "--batch")) batch = strtoul(v, NULL, 10);
    else if (!strcmp(a, "--rows")) rows = strtoul(v, NULL, 10);
    else if (!strcmp(a, "--epochs")) epochs = atoi(v);
    else if (!strcmp(a, "--threads")) threads = atoi(v);
    else if (!strcmp(a, "--hidden")) {
      nhidden = 0;
      for (char *s = (char *)v; *s && nhidden < 16;) {
        hidden[nhidden++] = strtoul(s, &s, 10);
        if (*s == ',') s++;
      }
    } else {
      fprintf(stderr, "bench_train: unknown option %s\n", a);
      return 2;
    }
  }
  tfckpt_nn_set_threads(threads);
  float *x = malloc(rows * features * sizeof(float));
  int32_t *y = malloc(rows * sizeof(int32_t));
  float *teacher = malloc(features * classes * sizeof(float));
  if (!x || !y || !teacher) return 1;
  for (size_t i = 0; i < features * classes; i++) teacher[i] = (float)(urand() - 0.5);
  for (size_t r = 0; r < rows; r++) {
    float best = -1e30f;
    for (size_t j = 0; j < features; j++) x[r * features + j] = (float)(2 * urand() - 1);
    for (size_t c = 0; c < classes; c++) {
      float s = 0;
      for (size_t j = 0; j < features; j++) s += x[r * features + j] * teacher[j * classes + c];
      if (s > best) best = s, y[r] = (int32_t)c;
    }
  }
  tfckpt_model *m;
  tfckpt_model_new(features, &m);
  for (int i = 0; i < nhidden; i++)
    tfckpt_model_add_dense(m, hidden[i], TFCKPT_ACT_RELU, 1, TFCKPT_INIT_GLOROT_UNIFORM);
  tfckpt_model_add_dense(m, classes, TFCKPT_ACT_IDENTITY, 1, TFCKPT_INIT_GLOROT_UNIFORM);
  tfckpt_model_set_loss(m, TFCKPT_LOSS_SOFTMAX_CE, 0);
  tfckpt_optimizer_config oc;
  tfckpt_optimizer_config_init(&oc, TFCKPT_OPT_ADAM);
  tfckpt_model_set_optimizer(m, &oc);
  if (tfckpt_model_build(m, 1)) {
    fprintf(stderr, "bench_train: %s\n", tfckpt_model_errmsg(m));
    return 1;
  }
  tfckpt_step_result r = {0};
  /* one warm-up epoch-sized pass is not needed: buffers are sized at step 1 */
  tfckpt_model_train_step(m, x, y, NULL, batch, &r);
  double t0 = now();
  size_t done = 0;
  for (int e = 0; e < epochs; e++)
    for (size_t b = 0; b + batch <= rows; b += batch) {
      if (tfckpt_model_train_step(m, x + b * features, y + b, NULL, batch, &r)) {
        fprintf(stderr, "bench_train: %s\n", tfckpt_model_errmsg(m));
        return 1;
      }
      done += batch;
    }
  double dt = now() - t0;
  printf("tfckpt samples/s %.0f (final batch loss %.4f accuracy %.3f, %zu samples in %.2f s)\n",
         (double)done / dt, r.loss, r.metric, done, dt);
  tfckpt_model_free(m);
  free(x);
  free(y);
  free(teacher);
  return 0;
}
