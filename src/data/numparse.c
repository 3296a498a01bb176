/* Clinger's fast path: when the decimal significand fits in 53 bits and the
 * power of ten is at most 10^22 (exactly representable), one IEEE multiply
 * or divide gives the correctly rounded result — the same double strtod
 * returns.  Everything else (long significands, large exponents, denormals,
 * inf/nan spellings, hex floats) goes to strtod_l with a C locale so the
 * result never depends on the process locale. */
#include "data/numparse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tfckpt/data.h"

static const double kPow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int slow_path(const char *p, size_t len, locale_t cloc, double *out) {
  char small[128];
  char *buf = small;
  if (len >= sizeof small) {
    buf = malloc(len + 1);
    if (!buf) return -1;
  }
  memcpy(buf, p, len);
  buf[len] = '\0';
  char *end;
  double v;
  if (cloc) {
    v = strtod_l(buf, &end, cloc);
  } else {
    locale_t l = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!l) {
      if (buf != small) free(buf);
      return -1;
    }
    v = strtod_l(buf, &end, l);
    freelocale(l);
  }
  /* strtod skips leading spaces; a field must be the number and only it. */
  int ok = len > 0 && end == buf + len && buf[0] != ' ' && buf[0] != '\t' &&
           buf[0] != '\n' && buf[0] != '\r' && buf[0] != '\v' && buf[0] != '\f';
  if (buf != small) free(buf);
  if (!ok) return -1;
  *out = v;
  return 0;
}

int tfd_parse_number(const char *p, size_t len, locale_t cloc, double *out,
                     int *is_int) {
  const char *s = p, *e = p + len;
  *is_int = 0;
  if (s == e) return -1;
  int neg = 0;
  if (*s == '-' || *s == '+') {
    neg = *s == '-';
    s++;
  }
  uint64_t mant = 0;
  int ndig = 0;      /* significant digits kept in mant */
  int exp10 = 0;
  int any = 0;
  const char *q = s;
  while (q < e && *q == '0') q++, any = 1; /* leading zeros are not significant */
  for (; q < e && (unsigned)(*q - '0') < 10; q++) {
    any = 1;
    if (ndig < 19) mant = mant * 10 + (uint64_t)(*q - '0'), ndig++;
    else return slow_path(p, len, cloc, out);
  }
  int plain_int = 1;
  if (q < e && *q == '.') {
    plain_int = 0;
    q++;
    if (mant == 0)
      while (q < e && *q == '0') q++, exp10--, any = 1;
    for (; q < e && (unsigned)(*q - '0') < 10; q++) {
      any = 1;
      if (ndig < 19) mant = mant * 10 + (uint64_t)(*q - '0'), ndig++, exp10--;
      else return slow_path(p, len, cloc, out);
    }
  }
  if (!any) return slow_path(p, len, cloc, out); /* inf, nan, 0x..., junk */
  if (q < e && (*q == 'e' || *q == 'E')) {
    plain_int = 0;
    q++;
    int eneg = 0;
    if (q < e && (*q == '-' || *q == '+')) eneg = *q++ == '-';
    if (q == e || (unsigned)(*q - '0') >= 10) return -1;
    int ev = 0;
    for (; q < e && (unsigned)(*q - '0') < 10; q++)
      if (ev < 100000) ev = ev * 10 + (*q - '0');
    exp10 += eneg ? -ev : ev;
  }
  if (q != e) return slow_path(p, len, cloc, out);
  *is_int = plain_int;
  if (mant == 0) {
    *out = neg ? -0.0 : 0.0;
    return 0;
  }
  if (mant > (UINT64_C(1) << 53) || exp10 > 22 || exp10 < -22)
    return slow_path(p, len, cloc, out);
  double v = (double)mant;
  v = exp10 < 0 ? v / kPow10[-exp10] : v * kPow10[exp10];
  *out = neg ? -v : v;
  return 0;
}

int tfckpt_parse_double(const char *text, size_t len, double *out) {
  int is_int;
  if (!text || !out) return TFCKPT_EINVAL;
  return tfd_parse_number(text, len, (locale_t)0, out, &is_int) ? TFCKPT_EDATA : 0;
}
