/* numpy-like printing of tensors.
 *
 * Two passes over the same traversal: the first formats every element that
 * will be shown (so columns can be aligned as numpy aligns them), the second
 * lays them out with brackets, separators and "..." summaries. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/half.h"
#include "tensor/tensor_impl.h"

void tfckpt_print_options_init(tfckpt_print_options *o) {
  o->precision = 8;
  o->full = 0;
  o->threshold = 1000;
  o->edgeitems = 3;
  o->linewidth = 75;
}

static int is_floatish(int dt) {
  return dt == TFCKPT_FLOAT || dt == TFCKPT_DOUBLE || dt == TFCKPT_HALF ||
         dt == TFCKPT_BFLOAT16 || dt == TFCKPT_COMPLEX64 || dt == TFCKPT_COMPLEX128;
}

/* Real and imaginary parts of element i of a float-like tensor. */
static void float_parts(const tfckpt_tensor *t, int64_t i, double *re, double *im) {
  const uint8_t *p = t->data;
  *im = 0;
  switch (t->dtype) {
    case TFCKPT_FLOAT: {
      float f;
      memcpy(&f, p + 4 * i, 4);
      *re = f;
      break;
    }
    case TFCKPT_DOUBLE: memcpy(re, p + 8 * i, 8); break;
    case TFCKPT_HALF:
    case TFCKPT_BFLOAT16: {
      uint16_t h;
      memcpy(&h, p + 2 * i, 2);
      *re = t->dtype == TFCKPT_HALF ? tfckpt__half_to_float(h) : tfckpt__bf16_to_float(h);
      break;
    }
    case TFCKPT_COMPLEX64: {
      float f[2];
      memcpy(f, p + 8 * i, 8);
      *re = f[0], *im = f[1];
      break;
    }
    case TFCKPT_COMPLEX128: {
      double d[2];
      memcpy(d, p + 16 * i, 16);
      *re = d[0], *im = d[1];
      break;
    }
    default: *re = NAN;
  }
}

/* Whether text parses back to the same value of dtype `dt` (unique
 * shortest formatting, as numpy's dragon4 "unique" mode gives). */
static int round_trips(const char *text, double v, int dt) {
  double x = strtod(text, NULL);
  switch (dt) {
    case TFCKPT_FLOAT:
    case TFCKPT_COMPLEX64: return (float)x == (float)v;
    case TFCKPT_HALF: return tfckpt__float_to_half((float)x) == tfckpt__float_to_half((float)v);
    case TFCKPT_BFLOAT16: return tfckpt__float_to_bf16((float)x) == tfckpt__float_to_bf16((float)v);
    default: return x == v;
  }
}

/* Fewest digits (after the point, or of the mantissa in scientific mode)
 * that still identify v, capped at `precision`. */
static int needed_digits(double v, int dt, int precision, int sci) {
  char buf[400];
  if (!isfinite(v)) return 0;
  for (int d = 0; d < precision; d++) {
    snprintf(buf, sizeof buf, sci ? "%.*e" : "%.*f", d, v);
    if (round_trips(buf, v, dt)) return d;
  }
  /* No shorter form identifies v: numpy rounds to `precision` digits and
   * then drops the trailing zeros of that ("-0.0008729", not "-0.00087290"). */
  snprintf(buf, sizeof buf, sci ? "%.*e" : "%.*f", precision, v);
  const char *end = sci ? strchr(buf, 'e') : buf + strlen(buf);
  int d = precision;
  while (d > 0 && end && end[-1] == '0') end--, d--;
  return d;
}

static size_t fmt_float(double v, int digits, int sci, char *buf, size_t cap) {
  if (isnan(v)) return (size_t)snprintf(buf, cap, "nan");
  if (isinf(v)) return (size_t)snprintf(buf, cap, v < 0 ? "-inf" : "inf");
  int n = snprintf(buf, cap, sci ? "%.*e" : "%.*f", digits, v);
  if (!sci && digits == 0 && n > 0 && (size_t)n + 1 < cap) buf[n++] = '.', buf[n] = '\0';
  return n < 0 ? 0 : (size_t)n;
}

static size_t fmt_bytes(const uint8_t *s, size_t len, char *buf, size_t cap) {
  size_t k = 0;
#define PUT(c) do { if (k + 1 < cap) buf[k] = (c); k++; } while (0)
  PUT('b');
  PUT('\'');
  for (size_t i = 0; i < len; i++) {
    uint8_t c = s[i];
    if (c == '\\' || c == '\'') {
      PUT('\\');
      PUT((char)c);
    } else if (c == '\n') {
      PUT('\\');
      PUT('n');
    } else if (c == '\t') {
      PUT('\\');
      PUT('t');
    } else if (c == '\r') {
      PUT('\\');
      PUT('r');
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[5];
      snprintf(hex, sizeof hex, "\\x%02x", c);
      for (int j = 0; j < 4; j++) PUT(hex[j]);
    } else {
      PUT((char)c);
    }
  }
  PUT('\'');
#undef PUT
  if (cap) buf[k < cap ? k : cap - 1] = '\0';
  return k < cap ? k : cap - 1;
}

static size_t fmt_element(const tfckpt_tensor *t, int64_t i, int precision, int sci, char *buf,
                          size_t cap) {
  if (t->str) {
    if (t->dtype == TFCKPT_VARIANT) return (size_t)snprintf(buf, cap, "<variant %zu bytes>", t->slen[i]);
    return fmt_bytes(t->str[i] ? t->str[i] : (const uint8_t *)"", t->slen[i], buf, cap);
  }
  if (is_floatish(t->dtype)) {
    double re, im;
    float_parts(t, i, &re, &im);
    if (t->dtype == TFCKPT_COMPLEX64 || t->dtype == TFCKPT_COMPLEX128) {
      char a[400], b[400];
      fmt_float(re, needed_digits(re, t->dtype, precision, sci), sci, a, sizeof a);
      fmt_float(fabs(im), needed_digits(fabs(im), t->dtype, precision, sci), sci, b, sizeof b);
      return (size_t)snprintf(buf, cap, "%s%s%sj", a, (im < 0 || (im == 0 && signbit(im))) ? "-" : "+", b);
    }
    return fmt_float(re, needed_digits(re, t->dtype, precision, sci), sci, buf, cap);
  }
  const uint8_t *p = (const uint8_t *)t->data + (size_t)i * tfckpt_dtype_size(t->dtype);
  switch (t->dtype) {
    case TFCKPT_BOOL: return (size_t)snprintf(buf, cap, "%s", *p ? "True" : "False");
    case TFCKPT_UINT64: {
      uint64_t v;
      memcpy(&v, p, 8);
      return (size_t)snprintf(buf, cap, "%" PRIu64, v);
    }
    case TFCKPT_INT64: {
      int64_t v;
      memcpy(&v, p, 8);
      return (size_t)snprintf(buf, cap, "%" PRId64, v);
    }
    case TFCKPT_FLOAT8_E5M2:
    case TFCKPT_FLOAT8_E4M3FN:
    case TFCKPT_FLOAT8_E4M3FNUZ:
    case TFCKPT_FLOAT8_E4M3B11FNUZ:
    case TFCKPT_FLOAT8_E5M2FNUZ: return (size_t)snprintf(buf, cap, "0x%02x", *p);
    default: return (size_t)snprintf(buf, cap, "%.0f", tfckpt_tensor_get_double(t, i));
  }
}

size_t tfckpt_tensor_format_element(const tfckpt_tensor *t, int64_t i, int precision, char *buf,
                                    size_t cap) {
  if (i < 0 || i >= t->n) return 0;
  int sci = 0;
  if (is_floatish(t->dtype)) {
    double re, im;
    float_parts(t, i, &re, &im);
    double a = fabs(re);
    sci = isfinite(a) && a != 0 && (a >= 1e16 || a < 1e-4);
  }
  return fmt_element(t, i, precision, sci, buf, cap);
}

typedef struct printer {
  const tfckpt_tensor *t;
  const tfckpt_print_options *o;
  int summarise;
  char **items; /* formatted elements in traversal order */
  size_t nitems, cap, pos;
  int oom;
  int sci;
  double vmin, vmax; /* smallest / largest non-zero finite magnitude shown */
  int digits;        /* real floats: digits shown for every element */
  size_t width;      /* column width after alignment */
  FILE *out;
  size_t col;
  size_t pending; /* alignment spaces after the last item, written only if
                    the line goes on (numpy strips them at line ends) */        /* current output column */
} printer;

/* Calls visit(flat index) for every shown element, in order. */
static void walk(printer *pr, int dim, int64_t base, void (*visit)(printer *, int64_t)) {
  const tfckpt_tensor *t = pr->t;
  if (dim == t->rank) {
    visit(pr, base);
    return;
  }
  int64_t n = t->dims[dim], edge = pr->o->edgeitems;
  int64_t stride = 1;
  for (int d = dim + 1; d < t->rank; d++) stride *= t->dims[d];
  for (int64_t i = 0; i < n; i++) {
    if (pr->summarise && n > 2 * edge && i == edge) i = n - edge;
    walk(pr, dim + 1, base + i * stride, visit);
  }
}

static void collect_visit(printer *pr, int64_t idx) {
  if (pr->oom) return;
  char buf[512];
  const tfckpt_tensor *t = pr->t;
  if (is_floatish(t->dtype) && t->dtype != TFCKPT_COMPLEX64 && t->dtype != TFCKPT_COMPLEX128) {
    double re, im;
    float_parts(t, idx, &re, &im);
    if (pr->sci || !isfinite(re)) {
      fmt_float(re, pr->digits, pr->sci, buf, sizeof buf);
    } else {
      /* numpy pads the fraction with spaces so the points line up */
      int d = needed_digits(re, t->dtype, pr->o->precision, 0);
      size_t n = fmt_float(re, d, 0, buf, sizeof buf - 64);
      for (int k = d; k < pr->digits; k++) buf[n++] = ' ';
      buf[n] = '\0';
    }
  } else {
    fmt_element(t, idx, pr->o->precision, pr->sci, buf, sizeof buf);
  }
  if (pr->nitems == pr->cap) {
    size_t ncap = pr->cap ? pr->cap * 2 : 64;
    char **ni = realloc(pr->items, ncap * sizeof *ni);
    if (!ni) {
      pr->oom = 1;
      return;
    }
    pr->items = ni;
    pr->cap = ncap;
  }
  if (!(pr->items[pr->nitems] = strdup(buf))) {
    pr->oom = 1;
    return;
  }
  pr->nitems++;
}

/* Decides scientific notation as numpy does, over the shown elements. */
static void range_visit(printer *pr, int64_t idx) {
  double re, im;
  float_parts(pr->t, idx, &re, &im);
  double v[2] = {fabs(re), fabs(im)};
  int nv = pr->t->dtype == TFCKPT_COMPLEX64 || pr->t->dtype == TFCKPT_COMPLEX128 ? 2 : 1;
  for (int k = 0; k < nv; k++) {
    if (!isfinite(v[k]) || v[k] == 0) continue;
    if (v[k] > pr->vmax) pr->vmax = v[k];
    if (v[k] < pr->vmin) pr->vmin = v[k];
  }
}

static void digits_visit(printer *pr, int64_t idx) {
  double re, im;
  float_parts(pr->t, idx, &re, &im);
  int d = needed_digits(re, pr->t->dtype, pr->o->precision, pr->sci);
  if (d > pr->digits) pr->digits = d;
}

/* Every element gets the width of the widest (numpy right-aligns numbers;
 * byte strings are not padded).  Real floats were all formatted with the
 * same number of digits, so their decimal points line up. */
static void align_items(printer *pr) {
  if (pr->t->str) return;
  for (size_t i = 0; i < pr->nitems; i++) {
    size_t l = strlen(pr->items[i]);
    if (l > pr->width) pr->width = l;
  }
}

static void emit(printer *pr, const char *s) {
  if (pr->pending && s[0] != '\n') fprintf(pr->out, "%*s", (int)pr->pending, "");
  pr->col += s[0] != '\n' ? pr->pending : 0;
  pr->pending = 0;
  fputs(s, pr->out);
  const char *nl = strrchr(s, '\n');
  pr->col = nl ? strlen(nl + 1) : pr->col + strlen(s);
}

/* One element of the innermost dimension, preceded by a space or, when
 * the line would grow past linewidth, by a line break. */
static void emit_item(printer *pr, int dim, int sep) {
  char buf[700];
  snprintf(buf, sizeof buf, "%*s", (int)pr->width, pr->items[pr->pos++]);
  if (sep && pr->col + pr->pending + 1 + strlen(buf) + 1 > (size_t)pr->o->linewidth) {
    pr->pending = 0;
    fputc('\n', pr->out);
    fprintf(pr->out, "%*s", dim + 1, "");
    pr->col = (size_t)dim + 1;
  } else if (sep) {
    emit(pr, " ");
  }
  size_t len = strlen(buf), pad = 0;
  while (pad < len && buf[len - 1 - pad] == ' ') pad++;
  buf[len - pad] = '\0';
  emit(pr, buf);
  pr->pending = pad;
}

/* Between two sub-arrays of dimension `dim`: a line break, one blank line
 * per further dimension below it (numpy's layout), and the indentation. */
static void row_break(printer *pr, int dim) {
  for (int k = 0; k < pr->t->rank - dim - 1; k++) emit(pr, "\n");
  fprintf(pr->out, "%*s", dim + 1, "");
  pr->col = (size_t)dim + 1;
}

static void layout(printer *pr, int dim) {
  const tfckpt_tensor *t = pr->t;
  int innermost = dim == t->rank - 1;
  int64_t n = t->dims[dim], edge = pr->o->edgeitems;
  emit(pr, "[");
  for (int64_t i = 0; i < n; i++) {
    /* innermost separators are written by emit_item */
    if (i > 0 && !innermost) row_break(pr, dim);
    if (pr->summarise && n > 2 * edge && i == edge) {
      emit(pr, innermost ? " ..." : "...");
      if (!innermost) row_break(pr, dim);
      i = n - edge;
    }
    if (innermost) emit_item(pr, dim, i > 0);
    else layout(pr, dim + 1);
  }
  emit(pr, "]");
}

/* A 0-d float array prints as numpy's scalar repr: the shortest digits that
 * identify the value (no precision cap), positional for 1e-4 <= |v| < 1e16
 * with at least one fractional digit ("3.0"), scientific otherwise. */
static void print_float_scalar(FILE *out, double v, int dt) {
  char buf[400];
  if (isnan(v) || isinf(v)) {
    fmt_float(v, 0, 0, buf, sizeof buf);
  } else {
    double a = fabs(v);
    int sci = a != 0 && (a < 1e-4 || a >= 1e16);
    int d = 0;
    for (; d < 17; d++) {
      snprintf(buf, sizeof buf, sci ? "%.*e" : "%.*f", d, v);
      if (round_trips(buf, v, dt)) break;
    }
    snprintf(buf, sizeof buf, sci ? "%.*e" : "%.*f", d, v);
    if (!sci && d == 0) strcat(buf, ".0");
  }
  fprintf(out, "%s\n", buf);
}

int tfckpt_tensor_print(FILE *out, const tfckpt_tensor *t, const tfckpt_print_options *opts) {
  tfckpt_print_options o;
  if (!opts) {
    tfckpt_print_options_init(&o);
    opts = &o;
  }
  printer pr = {.t = t, .o = opts, .out = out};
  pr.summarise = !opts->full && t->n > opts->threshold;
  if (t->n == 0) {
    fputs("[]\n", out);
    return TFCKPT_OK;
  }
  if (t->rank == 0 && t->data && (t->dtype == TFCKPT_FLOAT || t->dtype == TFCKPT_DOUBLE ||
                                  t->dtype == TFCKPT_HALF || t->dtype == TFCKPT_BFLOAT16)) {
    double re, im;
    float_parts(t, 0, &re, &im);
    print_float_scalar(out, re, t->dtype);
    return ferror(out) ? TFCKPT_EIO : TFCKPT_OK;
  }
  if (is_floatish(t->dtype) && t->data) {
    pr.vmin = INFINITY;
    pr.vmax = 0;
    walk(&pr, 0, 0, range_visit);
    pr.sci = pr.vmax >= 1e8 || (pr.vmax > 0 && (pr.vmin < 1e-4 || pr.vmax / pr.vmin > 1e3));
    walk(&pr, 0, 0, digits_visit);
  }
  walk(&pr, 0, 0, collect_visit);
  if (!pr.oom) align_items(&pr);
  int rc = TFCKPT_OK;
  if (pr.oom) {
    rc = TFCKPT_ENOMEM;
  } else if (t->rank == 0) {
    fprintf(out, "%s\n", pr.items[0]);
  } else {
    layout(&pr, 0);
    fputc('\n', out);
  }
  for (size_t i = 0; i < pr.nitems; i++) free(pr.items[i]);
  free(pr.items);
  if (rc == TFCKPT_OK && ferror(out)) rc = TFCKPT_EIO;
  return rc;
}
