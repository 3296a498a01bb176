#include "tfckpt/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t tfckpt_fmt_u64(uint64_t v, char *buf) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  buf[n] = '\0';
  return n;
}

size_t tfckpt_fmt_i64(int64_t v, char *buf) {
  if (v >= 0) return tfckpt_fmt_u64((uint64_t)v, buf);
  buf[0] = '-';
  return 1 + tfckpt_fmt_u64(0 - (uint64_t)v, buf + 1);
}

size_t tfckpt_fmt_f64(double v, char *buf) {
  /* the shortest of 15, 16 or 17 digits that reads back as v */
  int n = 0;
  for (int digits = 15; digits <= 17; digits++) {
    n = snprintf(buf, TFCKPT_NUMFMT_MAX, "%.*g", digits, v);
    if (digits == 17 || strtod(buf, NULL) == v || v != v) break;
  }
  return n < 0 ? 0 : (size_t)n;
}

/* 10^k for k in [-31, 54]: the scales float32 magnitudes need. */
#define P10_MIN (-31)
#define P10_MAX 54
static const double kPow10[] = {
    1e-31, 1e-30, 1e-29, 1e-28, 1e-27, 1e-26, 1e-25, 1e-24, 1e-23, 1e-22, 1e-21, 1e-20,
    1e-19, 1e-18, 1e-17, 1e-16, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9,  1e-8,
    1e-7,  1e-6,  1e-5,  1e-4,  1e-3,  1e-2,  1e-1,  1e0,   1e1,   1e2,   1e3,   1e4,
    1e5,   1e6,   1e7,   1e8,   1e9,   1e10,  1e11,  1e12,  1e13,  1e14,  1e15,  1e16,
    1e17,  1e18,  1e19,  1e20,  1e21,  1e22,  1e23,  1e24,  1e25,  1e26,  1e27,  1e28,
    1e29,  1e30,  1e31,  1e32,  1e33,  1e34,  1e35,  1e36,  1e37,  1e38,  1e39,  1e40,
    1e41,  1e42,  1e43,  1e44,  1e45,  1e46,  1e47,  1e48,  1e49,  1e50,  1e51,  1e52,
    1e53,  1e54};

static double pow10_at(int k) { return kPow10[k - P10_MIN]; }

/* Why this is exact enough: the scaled value x = |v| * 10^(8-e) carries a
 * relative error below 3e-16, so the rounded 9-digit integer is the correctly
 * rounded one or off by one unit (1e-8 relative).  Either way it lies within
 * 1.5e-8 of v, inside half a float32 ulp (>= 2.98e-8), so it reads back as v. */
static const char kDigitPairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

size_t tfckpt_fmt_f32(float f, char *buf) {
  char *p = buf;
  if (isnan(f)) return (size_t)sprintf(buf, "nan");
  if (signbit(f)) *p++ = '-';
  if (isinf(f)) return (size_t)(p - buf) + (size_t)sprintf(p, "inf");
  double d = fabs((double)f);
  if (d == 0) {
    *p++ = '0';
    *p = '\0';
    return (size_t)(p - buf);
  }
  /* decimal exponent estimate from the binary one: floor(e2 * log10(2)),
   * exact for |e2| < 1650 as (e2 * 78913) >> 18 */
  uint32_t bits;
  memcpy(&bits, &f, 4);
  int biased = (int)((bits >> 23) & 0xff), e2;
  if (biased) {
    e2 = biased - 127;
  } else {
    frexp(d, &e2); /* subnormal */
    e2 -= 1;
  }
  int e = e2 >= 0 ? (e2 * 78913) >> 18 : -((-e2 * 78913 + (1 << 18) - 1) >> 18);
  double x = d * pow10_at(8 - e);
  if (x >= 1e9) {
    e++;
    x = d * pow10_at(8 - e);
  } else if (x < 1e8) {
    e--;
    x = d * pow10_at(8 - e);
  }
  uint32_t q = (uint32_t)(x + 0.5);
  if (q >= 1000000000u) {
    q /= 10;
    e++;
  }
  char dig[10];
  dig[0] = (char)('0' + q / 100000000u);
  q %= 100000000u;
  for (int i = 0; i < 4; i++) {
    uint32_t pair = q / 1000000u;
    q = (q % 1000000u) * 100u;
    memcpy(dig + 1 + 2 * i, kDigitPairs + 2 * pair, 2);
  }
  int nd = 9;
  while (nd > 1 && dig[nd - 1] == '0') nd--;
  if (e < -4 || e >= 9) {
    *p++ = dig[0];
    if (nd > 1) {
      *p++ = '.';
      memcpy(p, dig + 1, (size_t)nd - 1);
      p += nd - 1;
    }
    *p++ = 'e';
    *p++ = e < 0 ? '-' : '+';
    int ae = e < 0 ? -e : e;
    if (ae >= 100) *p++ = (char)('0' + ae / 100);
    *p++ = (char)('0' + ae / 10 % 10);
    *p++ = (char)('0' + ae % 10);
  } else if (e < 0) {
    *p++ = '0';
    *p++ = '.';
    for (int i = 0; i < -e - 1; i++) *p++ = '0';
    memcpy(p, dig, (size_t)nd);
    p += nd;
  } else {
    int intd = e + 1;
    for (int i = 0; i < intd; i++) *p++ = i < nd ? dig[i] : '0';
    if (nd > intd) {
      *p++ = '.';
      memcpy(p, dig + intd, (size_t)(nd - intd));
      p += nd - intd;
    }
  }
  *p = '\0';
  return (size_t)(p - buf);
}
