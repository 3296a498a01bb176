/* Numeric kernels: GEMM, activations and their derivatives. */
#include <math.h>
#include <string.h>

#include "nn/nn.h"

#ifdef TFCKPT_HAVE_BLAS
#include <cblas.h>
#endif

void tfckpt_nn_set_threads(int n) {
#ifdef TFCKPT_HAVE_BLAS
  if (n > 0) openblas_set_num_threads(n);
#else
  (void)n;
#endif
}

void nn_gemm(int ta, int tb, size_t M, size_t N, size_t K, float alpha, const float *A,
             size_t lda, const float *B, size_t ldb, float beta, float *C, size_t ldc) {
  if (M == 0 || N == 0) return;
#ifdef TFCKPT_HAVE_BLAS
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              (int)M, (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
#else
  /* Portable fallback: i-k-j order so the inner loop streams rows of B. */
  for (size_t i = 0; i < M; i++) {
    float *c = C + i * ldc;
    for (size_t j = 0; j < N; j++) c[j] = beta == 0.0f ? 0.0f : beta * c[j];
    for (size_t k = 0; k < K; k++) {
      float a = alpha * (ta ? A[k * lda + i] : A[i * lda + k]);
      if (a == 0.0f) continue;
      if (!tb) {
        const float *b = B + k * ldb;
        for (size_t j = 0; j < N; j++) c[j] += a * b[j];
      } else {
        for (size_t j = 0; j < N; j++) c[j] += a * B[j * ldb + k];
      }
    }
  }
#endif
}

void nn_act_forward(int act, float alpha, float *y, size_t rows, size_t n) {
  size_t total = rows * n;
  switch (act) {
    case TFCKPT_ACT_RELU:
      for (size_t i = 0; i < total; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
      break;
    case TFCKPT_ACT_LEAKY_RELU:
      for (size_t i = 0; i < total; i++) y[i] = y[i] > 0.0f ? y[i] : alpha * y[i];
      break;
    case TFCKPT_ACT_SIGMOID:
      for (size_t i = 0; i < total; i++) y[i] = 1.0f / (1.0f + expf(-y[i]));
      break;
    case TFCKPT_ACT_TANH:
      for (size_t i = 0; i < total; i++) y[i] = tanhf(y[i]);
      break;
    case TFCKPT_ACT_SOFTMAX:
      for (size_t r = 0; r < rows; r++) {
        float *v = y + r * n, mx = v[0], s = 0.0f;
        for (size_t j = 1; j < n; j++) mx = v[j] > mx ? v[j] : mx;
        for (size_t j = 0; j < n; j++) s += (v[j] = expf(v[j] - mx));
        for (size_t j = 0; j < n; j++) v[j] /= s;
      }
      break;
    default:
      break;
  }
}

void nn_act_backward(int act, float alpha, const float *y, float *d, size_t rows, size_t n) {
  size_t total = rows * n;
  switch (act) {
    case TFCKPT_ACT_RELU:
      for (size_t i = 0; i < total; i++) d[i] = y[i] > 0.0f ? d[i] : 0.0f;
      break;
    case TFCKPT_ACT_LEAKY_RELU:
      /* y > 0 exactly when x > 0 because alpha > 0 */
      for (size_t i = 0; i < total; i++) d[i] = y[i] > 0.0f ? d[i] : alpha * d[i];
      break;
    case TFCKPT_ACT_SIGMOID:
      for (size_t i = 0; i < total; i++) d[i] *= y[i] * (1.0f - y[i]);
      break;
    case TFCKPT_ACT_TANH:
      for (size_t i = 0; i < total; i++) d[i] *= 1.0f - y[i] * y[i];
      break;
    case TFCKPT_ACT_SOFTMAX:
      for (size_t r = 0; r < rows; r++) {
        const float *p = y + r * n;
        float *g = d + r * n, dot = 0.0f;
        for (size_t j = 0; j < n; j++) dot += g[j] * p[j];
        for (size_t j = 0; j < n; j++) g[j] = p[j] * (g[j] - dot);
      }
      break;
    default:
      break;
  }
}

double nn_loss_denominator(int loss, size_t rows, size_t k) {
  return loss == TFCKPT_LOSS_SOFTMAX_CE ? (double)rows : (double)rows * (double)k;
}

int nn_loss(int loss, const float *out, size_t rows, size_t k, const int32_t *yi,
            const float *yf, float *grad, double *loss_sum, double *metric_sum,
            tfckpt__err *err) {
  double ls = 0.0, ms = 0.0;
  float inv = (float)(1.0 / nn_loss_denominator(loss, rows, k));
  if (loss == TFCKPT_LOSS_SOFTMAX_CE) {
    if (!yi) return tfckpt__seterr(err, TFCKPT_EINVAL, "softmax_ce needs integer class labels");
    for (size_t r = 0; r < rows; r++) {
      const float *z = out + r * k;
      int32_t y = yi[r];
      if (y < 0 || (size_t)y >= k)
        return tfckpt__seterr(err, TFCKPT_EDATA,
                             "label %d out of range: the model has %zu classes", (int)y, k);
      size_t am = 0;
      float mx = z[0];
      for (size_t j = 1; j < k; j++)
        if (z[j] > mx) mx = z[j], am = j;
      double s = 0.0;
      for (size_t j = 0; j < k; j++) s += exp((double)(z[j] - mx));
      double lse = log(s) + mx;
      ls += lse - z[y];
      ms += am == (size_t)y;
      if (grad) {
        float *g = grad + r * k;
        for (size_t j = 0; j < k; j++) g[j] = (float)exp((double)z[j] - lse) * inv;
        g[y] -= inv;
      }
    }
  } else {
    size_t total = rows * k;
    for (size_t i = 0; i < total; i++) {
      float t = yf ? yf[i] : (float)yi[i];
      float x = out[i];
      if (loss == TFCKPT_LOSS_SIGMOID_CE) {
        /* max(x,0) - x*t + log(1+exp(-|x|)): TF's stable formula */
        ls += (x > 0 ? x : 0) - (double)x * t + log1p(exp(-fabs((double)x)));
        ms += (x > 0.0f) == (t > 0.5f);
        if (grad) grad[i] = (1.0f / (1.0f + expf(-x)) - t) * inv;
      } else {
        double e = (double)x - t;
        ls += e * e;
        ms += fabs(e);
        if (grad) grad[i] = (float)(2.0 * e) * inv;
      }
    }
  }
  if (!isfinite(ls)) return tfckpt__seterr(err, TFCKPT_EDATA, "the loss is not finite (diverged?)");
  *loss_sum = ls;
  *metric_sum = ms;
  return TFCKPT_OK;
}
