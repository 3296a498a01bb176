/* Turns one chunk of complete records into rows.  Runs in parser threads:
 * touches only its chunk and the read-only config.  Line numbers are kept
 * relative to the chunk; the batcher, which sees chunks in file order, turns
 * them into absolute file:line positions. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/internal.h"
#include "data/numparse.h"

void tfd_colstat_init(tfd_colstat *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    s[i].min = INFINITY;
    s[i].max = -INFINITY;
    s[i].sum = 0;
    s[i].count = s[i].missing = 0;
    s[i].nonint = 0;
  }
}

void tfd_colstat_merge(tfd_colstat *into, const tfd_colstat *from, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (from[i].min < into[i].min) into[i].min = from[i].min;
    if (from[i].max > into[i].max) into[i].max = from[i].max;
    into[i].sum += from[i].sum;
    into[i].count += from[i].count;
    into[i].missing += from[i].missing;
    into[i].nonint |= from[i].nonint;
  }
}

static inline void stat_add(tfd_colstat *s, double v) {
  if (v != v) return; /* NaN takes no part in min/max/mean */
  if (v < s->min) s->min = v;
  if (v > s->max) s->max = v;
  s->sum += v;
  s->count++;
}

int tfd_chunk_reserve_rows(const tfd_cfg *cfg, tfd_chunk *c, size_t rows) {
  if (rows <= c->rows_cap) return 0;
  size_t nc = c->rows_cap ? c->rows_cap : 256;
  while (nc < rows) nc *= 2;
  if (!cfg->sparse) {
    float *f = realloc(c->feat, (nc * cfg->width + 1) * sizeof *f);
    if (!f) return -1;
    c->feat = f;
  }
  {
    uint32_t *l = realloc(c->lab, (nc * cfg->nlabels + 1) * sizeof *l);
    if (!l) return -1;
    c->lab = l;
  }
  if (cfg->sparse) {
    int64_t *r = realloc(c->rowptr, (nc + 1) * sizeof *r);
    if (!r) return -1;
    c->rowptr = r;
  }
  c->rows_cap = nc;
  return 0;
}

static int reserve_nnz(tfd_chunk *c, size_t n) {
  if (n <= c->nnz_cap) return 0;
  size_t nc = c->nnz_cap ? c->nnz_cap * 2 : 4096;
  while (nc < n) nc *= 2;
  int32_t *i = realloc(c->idx, nc * sizeof *i);
  if (!i) return -1;
  c->idx = i;
  float *v = realloc(c->val, nc * sizeof *v);
  if (!v) return -1;
  c->val = v;
  c->nnz_cap = nc;
  return 0;
}

/* Records a bad row.  Returns 1 when parsing must stop (on_error FAIL). */
static int row_error(const tfd_cfg *cfg, tfd_chunk *c, uint64_t line, size_t col,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int row_error(const tfd_cfg *cfg, tfd_chunk *c, uint64_t line, size_t col,
                     const char *fmt, ...) {
  if (cfg->on_error == TFCKPT_ON_ERROR_SKIP) {
    c->skipped++;
    return 0;
  }
  c->perr = 1;
  c->perr_line = line;
  c->perr_col = col;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->perr_msg, sizeof c->perr_msg, fmt, ap);
  va_end(ap);
  return 1;
}

static void oom(tfd_chunk *c) {
  c->rd_code = TFCKPT_ENOMEM;
  tfckpt__seterr(&c->rd_err, TFCKPT_ENOMEM, "out of memory while parsing");
}

/* Stores label value v of output column m (>= width) in row slot lr. */
static int put_label(const tfd_cfg *cfg, uint32_t *lr, size_t m, double v) {
  uint32_t bits;
  if (cfg->label_int) {
    if (!(v >= -2147483648.0 && v <= 2147483647.0) || v != (double)(int32_t)v) return -1;
    int32_t iv = (int32_t)v;
    memcpy(&bits, &iv, 4);
  } else {
    float fv = (float)v;
    memcpy(&bits, &fv, 4);
  }
  lr[m - cfg->width] = bits;
  return 0;
}


#define SHOWN(n) ((int)((n) > 60 ? 60 : (n)))

static const double kP10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The common case fused into one pass: an unquoted decimal number that ends
 * at a delimiter or the end of the line, converted exactly (Clinger's fast
 * path, see numparse.c).  Anything else returns 0 and the record goes
 * through the general tokenizer, which produces the same values or the
 * error message. */
static inline int fast_number(const char *p, const char *end, char delim, double *out,
                              int *is_int, const char **after) {
  int neg = 0;
  if (p < end && *p == '-') neg = 1, p++;
  const char *d0 = p;
  uint64_t m = 0;
  while (p < end && (unsigned)(*p - '0') < 10) m = m * 10 + (uint64_t)(*p++ - '0');
  long nd = p - d0;
  int e10 = 0;
  *is_int = 1;
  if (p < end && *p == '.') {
    *is_int = 0;
    const char *f0 = ++p;
    while (p < end && (unsigned)(*p - '0') < 10) m = m * 10 + (uint64_t)(*p++ - '0');
    e10 = (int)-(p - f0);
    nd += p - f0;
  }
  if (nd == 0 || nd > 19) return 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    *is_int = 0;
    p++;
    int eneg = 0;
    if (p < end && (*p == '-' || *p == '+')) eneg = *p++ == '-';
    const char *x0 = p;
    int ev = 0;
    while (p < end && (unsigned)(*p - '0') < 10 && p - x0 < 4) ev = ev * 10 + (*p++ - '0');
    if (p == x0) return 0;
    e10 += eneg ? -ev : ev;
  }
  if (p < end && *p != delim && *p != '\n' && *p != '\r') return 0;
  if (m > (UINT64_C(1) << 53) || e10 < -22 || e10 > 22) return 0;
  double v = (double)m;
  v = e10 < 0 ? v / kP10[-e10] : v * kP10[e10];
  *out = neg ? -v : v;
  *after = p;
  return 1;
}

/* One record in one pass, when it is plain numbers (or ignored unquoted
 * fields).  Returns 1 and advances *pp, or 0 to let the tokenizer decide. */
static int fast_record(const tfd_cfg *cfg, char **pp, char *end, float *fr, uint32_t *lr,
                       double *dv, unsigned char *nonint, uint64_t *lines) {
  const char *p = *pp;
  const char d = cfg->delim;
  size_t nf = cfg->nfields;
  if (cfg->ws || (cfg->comment && *p == cfg->comment)) return 0;
  for (size_t i = 0; i < nf; i++) {
    int m = cfg->field_map[i];
    const char *q;
    if (m < 0) {
      q = p;
      while (q < end && *q != d && *q != '\n') {
        if (*q == cfg->quote) return 0;
        q++;
      }
    } else {
      double v;
      int is_int;
      if (!fast_number(p, end, d, &v, &is_int, &q)) return 0;
      dv[m] = v;
      nonint[m] = (unsigned char)!is_int;
      if ((size_t)m < cfg->width) fr[m] = (float)v;
      else if (put_label(cfg, lr, (size_t)m, v)) return 0;
    }
    if (i + 1 < nf) {
      if (q == end || *q != d) return 0;
      p = q + 1;
    } else {
      if (q < end && *q == '\r') q++;
      if (q < end && *q != '\n') return 0;
      if (q < end) q++, (*lines)++;
      *pp = (char *)q;
      return 1;
    }
  }
  return 0;
}

static void parse_delimited(const tfd_cfg *cfg, tfd_chunk *c) {
  size_t nf = cfg->nfields, nc = cfg->ncols;
  tfd_fields f = {0};
  f.cap = nf + 1;
  f.p = malloc(f.cap * sizeof *f.p);
  f.len = malloc(f.cap * sizeof *f.len);
  unsigned char *miss = malloc(nc + 1), *nonint = malloc(nc + 1);
  /* stats use the parsed doubles, not the float32 rounding */
  double *dv = malloc((nc + 1) * sizeof *dv);
  char *p = (char *)c->text.data, *end = p + c->text.len;
  uint64_t lines = 0;
  if (!f.p || !f.len || !miss || !nonint || !dv) { oom(c); goto out; }
  while (p < end) {
    uint64_t rec_line = lines;
    size_t ef = 0;
    if (tfd_chunk_reserve_rows(cfg, c, c->nrows + 1)) { oom(c); goto out; }
    {
      float *fr = c->feat ? c->feat + c->nrows * cfg->width : NULL;
      uint32_t *lr = c->lab ? c->lab + c->nrows * cfg->nlabels : NULL;
      if (fast_record(cfg, &p, end, fr, lr, dv, nonint, &lines)) {
        if (c->stats) {
          for (size_t m = 0; m < nc; m++) {
            stat_add(&c->stats[m], dv[m]);
            c->stats[m].nonint |= nonint[m];
          }
        }
        c->nrows++;
        continue;
      }
    }
    int r = tfd_tokenize(cfg, &p, end, &f, &lines, &ef);
    if (r == TFD_REC_SKIP) continue;
    if (r == TFD_REC_NOMEM) { oom(c); goto out; }
    if (r == TFD_REC_UNTERMINATED) {
      if (row_error(cfg, c, rec_line, ef, "unterminated quoted field")) goto out;
      continue;
    }
    if (r == TFD_REC_BADQUOTE) {
      if (row_error(cfg, c, rec_line, ef, "unexpected character after a closing quote"))
        goto out;
      continue;
    }
    if (f.n != nf) {
      if (row_error(cfg, c, rec_line, (f.n < nf ? f.n : nf) + 1,
                    "expected %zu fields, found %zu", nf, f.n))
        goto out;
      continue;
    }
    if (tfd_chunk_reserve_rows(cfg, c, c->nrows + 1)) { oom(c); goto out; }
    float *fr = c->feat ? c->feat + c->nrows * cfg->width : NULL;
    uint32_t *lr = c->lab ? c->lab + c->nrows * cfg->nlabels : NULL;
    memset(miss, 0, nc);
    memset(nonint, 0, nc);
    int bad = 0;
    for (size_t i = 0; i < nf && !bad; i++) {
      int m = cfg->field_map[i];
      if (m < 0) continue;
      const char *s = f.p[i];
      size_t n = f.len[i];
      double v;
      int is_int = 1;
      if (tfd_is_missing(s, n)) {
        if (!cfg->has_default[m]) {
          bad = 1;
          if (row_error(cfg, c, rec_line, i + 1,
                        "missing value%s%.*s%s (no --na-value default for this column)",
                        n ? " \"" : "", SHOWN(n), s, n ? "\"" : ""))
            goto out;
          break;
        }
        v = cfg->def[m];
        miss[m] = 1;
      } else if (tfd_parse_number(s, n, cfg->cloc, &v, &is_int)) {
        bad = 1;
        if (row_error(cfg, c, rec_line, i + 1, "cannot parse \"%.*s\" as a number",
                      SHOWN(n), s))
          goto out;
        break;
      }
      nonint[m] = !is_int;
      dv[m] = v;
      if ((size_t)m < cfg->width) {
        fr[m] = (float)v;
      } else if (put_label(cfg, lr, (size_t)m, v)) {
        bad = 1;
        if (row_error(cfg, c, rec_line, i + 1,
                      "cannot use \"%.*s\" as an int32 class label", SHOWN(n), s))
          goto out;
        break;
      }
    }
    if (bad) continue;
    if (c->stats) {
      for (size_t m = 0; m < nc; m++) {
        if (miss[m]) { c->stats[m].missing++; continue; }
        stat_add(&c->stats[m], dv[m]);
        c->stats[m].nonint |= nonint[m];
      }
    }
    c->nrows++;
  }
out:
  c->nlines = lines;
  free(f.p);
  free(f.len);
  free(miss);
  free(nonint);
  free(dv);
}

static int parse_index(const char *s, size_t n, uint64_t *out) {
  if (!n || n > 18) return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if ((unsigned)(s[i] - '0') >= 10) return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  *out = v;
  return 0;
}

/* Entries of the current LibSVM row, for stats once the row is accepted.
 * Stats cover the explicit entries only; the accessor adds the implicit
 * zeros (rows - count) afterwards, so wide rows cost O(nnz), not O(width). */
typedef struct entry { size_t idx; double v; int nonint; } entry;

static void parse_libsvm(const tfd_cfg *cfg, tfd_chunk *c) {
  char *p = (char *)c->text.data, *end = p + c->text.len;
  uint64_t lines = 0;
  size_t w = cfg->width;
  entry *ent = NULL;
  size_t nent = 0, ent_cap = 0;
  while (p < end) {
    uint64_t rec_line = lines;
    char *nl = memchr(p, '\n', (size_t)(end - p));
    char *le = nl ? nl : end;
    char *next = nl ? nl + 1 : end;
    if (nl) lines++;
    char *hash = memchr(p, '#', (size_t)(le - p));
    if (hash) le = hash;
    char *s = p;
    p = next;
    while (s < le && (*s == ' ' || *s == '\t' || *s == '\r')) s++;
    if (s == le) continue; /* blank or comment line */
    if (tfd_chunk_reserve_rows(cfg, c, c->nrows + 1)) { oom(c); break; }
    float *fr = !cfg->sparse ? c->feat + c->nrows * w : NULL;
    uint32_t *lr = c->lab + c->nrows * cfg->nlabels;
    if (fr && w) memset(fr, 0, w * sizeof *fr);
    size_t nnz0 = c->nnz;
    int bad = 0, label_nonint = 0;
    double label_v = 0;
    nent = 0;
    size_t tok = 0;
    while (s < le && !bad) {
      char *t = s;
      while (s < le && *s != ' ' && *s != '\t' && *s != '\r') s++;
      size_t tn = (size_t)(s - t);
      while (s < le && (*s == ' ' || *s == '\t' || *s == '\r')) s++;
      tok++;
      double v;
      int is_int;
      if (tok == 1) {
        if (tfd_parse_number(t, tn, cfg->cloc, &v, &is_int)) {
          bad = 1;
          if (row_error(cfg, c, rec_line, tok, "cannot parse label \"%.*s\" as a number",
                        SHOWN(tn), t))
            goto out;
          break;
        }
        label_nonint = !is_int;
        label_v = v;
        if (cfg->nlabels && put_label(cfg, lr, w, v)) {
          bad = 1;
          if (row_error(cfg, c, rec_line, tok, "cannot use \"%.*s\" as an int32 class label",
                        SHOWN(tn), t))
            goto out;
        }
        continue;
      }
      char *colon = memchr(t, ':', tn);
      if (!colon) {
        bad = 1;
        if (row_error(cfg, c, rec_line, tok, "expected index:value, found \"%.*s\"",
                      SHOWN(tn), t))
          goto out;
        break;
      }
      size_t in = (size_t)(colon - t);
      if (in == 3 && !memcmp(t, "qid", 3)) continue;
      uint64_t idx;
      if (parse_index(t, in, &idx)) {
        bad = 1;
        if (row_error(cfg, c, rec_line, tok, "bad feature index \"%.*s\"", SHOWN(in), t))
          goto out;
        break;
      }
      if (tfd_parse_number(colon + 1, tn - in - 1, cfg->cloc, &v, &is_int)) {
        bad = 1;
        if (row_error(cfg, c, rec_line, tok, "cannot parse \"%.*s\" as a number",
                      SHOWN(tn - in - 1), colon + 1))
          goto out;
        break;
      }
      if (!cfg->zero_based) {
        if (idx == 0) {
          bad = 1;
          if (row_error(cfg, c, rec_line, tok, "feature index 0 in a file with 1-based indices"))
            goto out;
          break;
        }
        idx--;
      }
      if (idx >= w) {
        bad = 1;
        if (row_error(cfg, c, rec_line, tok, "feature index %llu is beyond the width %zu",
                      (unsigned long long)idx + !cfg->zero_based, w))
          goto out;
        break;
      }
      if (c->stats) {
        if (nent == ent_cap) {
          size_t nc = ent_cap ? ent_cap * 2 : 64;
          entry *ne = realloc(ent, nc * sizeof *ne);
          if (!ne) { oom(c); goto out; }
          ent = ne;
          ent_cap = nc;
        }
        ent[nent].idx = (size_t)idx;
        ent[nent].v = v;
        ent[nent].nonint = !is_int;
        nent++;
      }
      if (fr) {
        fr[idx] = (float)v;
      } else {
        if (reserve_nnz(c, c->nnz + 1)) { oom(c); goto out; }
        c->idx[c->nnz] = (int32_t)idx;
        c->val[c->nnz] = (float)v;
        c->nnz++;
      }
    }
    if (bad) {
      c->nnz = nnz0;
      continue;
    }
    if (cfg->sparse) {
      c->rowptr[c->nrows] = (int64_t)nnz0;
      c->rowptr[c->nrows + 1] = (int64_t)c->nnz;
    }
    if (c->stats) {
      for (size_t k = 0; k < nent; k++) {
        stat_add(&c->stats[ent[k].idx], ent[k].v);
        c->stats[ent[k].idx].nonint |= ent[k].nonint;
      }
      if (cfg->nlabels) {
        stat_add(&c->stats[w], label_v);
        c->stats[w].nonint |= label_nonint;
      }
    }
    c->nrows++;
  }
out:
  c->nlines = lines;
  free(ent);
}

void tfd_parse_chunk(const tfd_cfg *cfg, tfd_chunk *c) {
  c->nrows = 0;
  c->nnz = 0;
  c->nlines = 0;
  c->skipped = 0;
  c->perr = 0;
  if (c->stats) tfd_colstat_init(c->stats, cfg->ncols);
  if (c->rd_code || c->text.len == 0) return;
  if (cfg->sparse && tfd_chunk_reserve_rows(cfg, c, 1)) { oom(c); return; }
  if (cfg->sparse) c->rowptr[0] = 0;
  if (cfg->format == TFCKPT_DATA_LIBSVM) parse_libsvm(cfg, c);
  else parse_delimited(cfg, c);
}
