/* Rounding used by `tfckpt cast` and `average`: round to nearest, ties to
 * even, from the exact value.  Edge cases by hand, and float32 inputs
 * cross-checked against the independent bit-twiddling converters of
 * tensor/half.h (every 61st float32 bit pattern; every 9973rd in quick mode). */
#include <math.h>

#include "tfckpt/tensor.h"
#include "tensor/half.h"
#include "harness.h"

static void check_f16(double d, unsigned want) {
  unsigned got = tfckpt_f64_to_f16(d);
  CHECKF(got == want, "f16(%.17g) = 0x%04x, want 0x%04x", d, got, want);
}

static void check_bf16(double d, unsigned want) {
  unsigned got = tfckpt_f64_to_bf16(d);
  CHECKF(got == want, "bf16(%.17g) = 0x%04x, want 0x%04x", d, got, want);
}

int main(void) {
  /* float16: 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1) */
  check_f16(1.0, 0x3c00);
  check_f16(1.0 + 0x1p-11, 0x3c00);
  check_f16(1.0 + 3 * 0x1p-11, 0x3c02);           /* tie, rounds up to even */
  check_f16(1.0 + 0x1p-11 + 0x1p-40, 0x3c01);     /* just above the tie */
  check_f16(-2.0, 0xc000);
  check_f16(65504.0, 0x7bff);                      /* largest finite */
  check_f16(65519.99, 0x7bff);
  check_f16(65520.0, 0x7c00);                      /* tie to even -> inf */
  check_f16(1e10, 0x7c00);
  check_f16(-INFINITY, 0xfc00);
  check_f16(0x1p-14, 0x0400);                      /* smallest normal */
  check_f16(0x1p-24, 0x0001);                      /* smallest subnormal */
  check_f16(0x1p-25, 0x0000);                      /* tie -> even (0) */
  check_f16(3 * 0x1p-25, 0x0002);                  /* tie -> even (2) */
  check_f16(0x1p-25 + 0x1p-60, 0x0001);
  check_f16(-0.0, 0x8000);
  check_f16(0x1p-14 - 0x1p-25, 0x0400);            /* subnormal rounding up to normal */
  CHECK((tfckpt_f64_to_f16(NAN) & 0x7c00) == 0x7c00 && (tfckpt_f64_to_f16(NAN) & 0x3ff));
  /* bfloat16 */
  check_bf16(1.0, 0x3f80);
  check_bf16(1.0 + 0x1p-8, 0x3f80);                /* tie -> even */
  check_bf16(1.0 + 3 * 0x1p-8, 0x3f82);
  check_bf16(1.0 / 3.0, 0x3eab);
  check_bf16(-2.0, 0xc000);
  check_bf16(INFINITY, 0x7f80);
  check_bf16(3.4e38, 0x7f80);                      /* rounds past the largest finite */
  check_bf16(0x1.fep127, 0x7f7f);                  /* largest finite */
  check_bf16(0x1p-133, 0x0001);                    /* smallest subnormal */
  check_bf16(0x1p-134, 0x0000);                    /* tie -> 0 */
  check_bf16(1e300, 0x7f80);
  check_bf16(1e-300, 0x0000);
  CHECK((tfckpt_f64_to_bf16(NAN) & 0x7f80) == 0x7f80 && (tfckpt_f64_to_bf16(NAN) & 0x7f));
  /* float32 stores: RNE by the FPU, exact from double */
  float f;
  tfckpt_float_store(&f, TFCKPT_FLOAT, 0, 1.0 + 0x1p-24); /* tie -> 1 */
  CHECK(f == 1.0f);
  tfckpt_float_store(&f, TFCKPT_FLOAT, 0, 1.0 + 3 * 0x1p-24);
  CHECK(f == 1.0f + 0x1p-22f);

  /* cross-check with half.h over float32 bit patterns */
  const char *quick = getenv("TFCKPT_QUICK");
  uint32_t step = quick && *quick && strcmp(quick, "0") ? 9973 : 61;
  long long checked = 0, bad = 0;
  for (uint64_t u = 0; u <= 0xffffffffull; u += step) {
    float x = tfckpt__bits_to_f32((uint32_t)u);
    if (isnan(x)) continue;
    uint16_t a = tfckpt_f64_to_f16(x), b = tfckpt__float_to_half(x);
    uint16_t c = tfckpt_f64_to_bf16(x), e = tfckpt__float_to_bf16(x);
    if (a != b || c != e) {
      if (bad < 5)
        fprintf(stderr, "0x%08llx: f16 %04x vs %04x, bf16 %04x vs %04x\n", (unsigned long long)u,
                a, b, c, e);
      bad++;
    }
    checked++;
  }
  printf("cross-checked %lld float32 values against half.h: %lld mismatches\n", checked, bad);
  CHECK_EQ(bad, 0);

  /* a round trip float32 -> float16 -> float32 stays within half an ulp of
   * float16 (relative 2^-11) for normal values */
  int64_t n = 1000;
  tfckpt_tensor *t, *h, *back;
  CHECK_EQ(tfckpt_tensor_new(TFCKPT_FLOAT, 1, &n, &t), TFCKPT_OK);
  float *v = tfckpt_tensor_mutable_data(t);
  for (int64_t i = 0; i < n; i++) v[i] = (float)(sin((double)i) * pow(10.0, (double)(i % 9) - 4));
  CHECK_EQ(tfckpt_tensor_cast_float(t, TFCKPT_HALF, &h), TFCKPT_OK);
  CHECK_EQ(tfckpt_tensor_cast_float(h, TFCKPT_FLOAT, &back), TFCKPT_OK);
  const float *bv = tfckpt_tensor_data(back);
  for (int64_t i = 0; i < n; i++) {
    double a = fabs((double)v[i]);
    double tol = a >= 0x1p-14 ? a * 0x1p-11 : 0x1p-25; /* subnormal: half a step */
    if (!CHECKF(fabs((double)bv[i] - (double)v[i]) <= tol, "round trip of %.9g gave %.9g",
                (double)v[i], (double)bv[i]))
      break;
  }
  tfckpt_tensor_free(h);
  CHECK_EQ(tfckpt_tensor_cast_float(t, TFCKPT_INT32, &h), TFCKPT_EINVAL);
  CHECK(h == NULL);
  tfckpt_tensor_free(t);
  tfckpt_tensor_free(back);
  return tu_finish();
}
