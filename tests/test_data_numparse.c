/* Every number the pipeline parses must equal strtod's result for the same
 * text (C locale), and a float32 feature must equal (float)strtod(text). */
#include <locale.h>
#include <math.h>
#include <stdint.h>

#include "harness.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next_u64(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static int same_double(double a, double b) {
  if (isnan(a) && isnan(b)) return 1;
  return memcmp(&a, &b, sizeof a) == 0;
}

static long mismatches;

static void check_text(const char *s) {
  char *end;
  double want = strtod(s, &end);
  int whole = *s && *end == '\0' && *s != ' ';
  double got;
  int rc = tfckpt_parse_double(s, strlen(s), &got);
  if (whole) {
    int ok = rc == 0 && same_double(got, want);
    if (!tu_count(ok) && mismatches++ < 20)
      fprintf(stderr, "mismatch for \"%s\": rc=%d got %.17g want %.17g\n", s, rc, got, want);
  } else {
    if (!tu_count(rc != 0) && mismatches++ < 20)
      fprintf(stderr, "\"%s\" accepted but strtod stops early\n", s);
  }
}

static const char *edge[] = {
    "0", "-0", "+0", "0.0", "00000", "1", "-1", "+1", ".5", "5.", "-.5e-3", "1e0", "1E+2",
    "1e-2", "0.1", "0.2", "0.3", "1e22", "1e23", "1e-22", "1e-23", "9007199254740992",
    "9007199254740993", "9007199254740994", "18446744073709551615", "18446744073709551616",
    "123456789012345678901234567890", "0.000000000000000000000000000001",
    "1.00000000000000011102230246251565404236316680908203125",
    "1.0000000000000001110223024625156540423631668090820312",
    "1.00000000000000011102230246251565404236316680908203126",
    "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "1e308",
    "1e309", "-1e309", "2.2250738585072011e-308", "2.2250738585072014e-308",
    "4.9406564584124654e-324", "4.9e-324", "2.4703282292062327e-324",
    "2.4703282292062328e-324", "1e-320", "1e-400", "-1e-400", "3.4028235e38",
    "3.4028236e38", "1.4e-45", "7e-46", "1.17549435e-38", "16777217", "0.1e1", "1e-0",
    "inf", "-inf", "+inf", "INF", "Inf", "infinity", "-Infinity", "INFINITY", "nan", "NaN",
    "-nan", "+NaN", "NAN", "nan(123)", "nan()", "0x1p-3", "0x1.8p1", "-0X10", "0x", "1e", "1e+",
    "e5", ".", "-", "+", "", "abc", "1.2.3", "1..2", "--1", "1 ", " 1", "1,5", "1e5x", "0.5f",
    "1_000", "١", "1e99999999999", "1e-99999999999", "0e99999999999",
    "000000000000000000000000000000000000001.5", "0.000000000000000000000000000000000000015e38",
    "4.35679e-310", "7.2057594037927933e16", "89255.0e-22", "8.9255e-18", "5e-324", "5e-325",
    "123.456", "-987654.321e-3", "2.718281828459045235360287471352662497757247093699959574966"};

int main(void) {
  setlocale(LC_ALL, "C");
  for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) check_text(edge[i]);

  char buf[128];
  /* random doubles printed at every precision, %g and %e */
  for (int i = 0; i < 200000; i++) {
    uint64_t bits = next_u64();
    double d;
    memcpy(&d, &bits, sizeof d);
    if (!isfinite(d)) continue;
    int prec = 1 + (int)(next_u64() % 20);
    snprintf(buf, sizeof buf, (i & 1) ? "%.*g" : "%.*e", prec, d);
    check_text(buf);
  }
  /* "ordinary" data: few digits, moderate exponents (the fast path) */
  for (int i = 0; i < 200000; i++) {
    double d = (double)(int64_t)(next_u64() % 2000000001ull - 1000000000ll) /
               pow(10, (double)(next_u64() % 12));
    snprintf(buf, sizeof buf, "%.*f", (int)(next_u64() % 10), d);
    check_text(buf);
  }
  /* random digit strings with random exponents, incl. long mantissas */
  for (int i = 0; i < 200000; i++) {
    int n = 1 + (int)(next_u64() % 30);
    int k = 0;
    if (next_u64() & 1) buf[k++] = '-';
    int dot = (int)(next_u64() % (unsigned)(n + 1));
    for (int j = 0; j < n; j++) {
      if (j == dot) buf[k++] = '.';
      buf[k++] = (char)('0' + next_u64() % 10);
    }
    if (next_u64() & 1) k += snprintf(buf + k, sizeof buf - (size_t)k, "e%d", (int)(next_u64() % 700) - 350);
    buf[k] = '\0';
    check_text(buf);
  }
  /* denormals and boundaries */
  for (int i = 0; i < 20000; i++) {
    uint64_t bits = next_u64() % (UINT64_C(1) << 52);
    double d;
    memcpy(&d, &bits, sizeof d);
    snprintf(buf, sizeof buf, "%.*g", 1 + (int)(next_u64() % 17), d);
    check_text(buf);
  }

  /* End to end: a CSV column of random values comes out as (float)strtod. */
  size_t n = 30000;
  char **texts = calloc(n, sizeof *texts);
  size_t cap = n * 40 + 16, len = 0;
  char *csv = malloc(cap);
  len += (size_t)snprintf(csv, cap, "x\n");
  for (size_t i = 0; i < n; i++) {
    uint64_t bits = next_u64();
    double d;
    memcpy(&d, &bits, sizeof d);
    if (i % 3 == 0) d = (double)(int64_t)(next_u64() % 100000) / 1000.0;
    if (i % 3 == 1) d = ldexp((double)(next_u64() % 1000000), (int)(next_u64() % 300) - 150);
    if (!isfinite(d)) d = 1.5;
    snprintf(buf, sizeof buf, "%.*g", 1 + (int)(next_u64() % 17), d);
    /* every tenth row: an edge-case spelling that strtod reads whole */
    if (i % 10 == 5) {
      const char *e = edge[(i / 10) % (sizeof edge / sizeof edge[0])];
      char *endp;
      strtod(e, &endp);
      if (*e && !*endp && !strpbrk(e, ", \"") && strcmp(e, "?")) snprintf(buf, sizeof buf, "%s", e);
    }
    texts[i] = strdup(buf);
    len += (size_t)snprintf(csv + len, cap - len, "%s\n", buf);
  }
  const char *path = tu_tmp_write("nums.csv", csv);
  tfckpt_dataset_options opt;
  tfckpt_dataset_options_init(&opt);
  opt.paths = &path;
  opt.npaths = 1;
  opt.batch_size = 1000;
  opt.chunk_bytes = 4096;
  tu_rows r;
  CHECK_EQ(tu_collect(&opt, &r), 0);
  CHECK_EQ(r.rows, n);
  CHECK_EQ(r.width, 1);
  long bad = 0;
  for (size_t i = 0; i < n && i < r.rows; i++) {
    float want = (float)strtod(texts[i], NULL);
    if (memcmp(&want, &r.feat[i], sizeof want) && !(isnan(want) && isnan(r.feat[i]))) {
      if (bad++ < 10) fprintf(stderr, "row %zu \"%s\": got %.9g want %.9g\n", i, texts[i], r.feat[i], want);
    }
  }
  CHECK_EQ(bad, 0);
  tu_rows_free(&r);
  for (size_t i = 0; i < n; i++) free(texts[i]);
  free(texts);
  free(csv);
  return tu_finish();
}
