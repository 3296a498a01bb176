/* Open-time schema: format, header, columns, label type and LibSVM width,
 * decided from the first MiB of the first file (and, for LibSVM without a
 * width, one index-only pre-scan of all files). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/internal.h"
#include "tfckpt/internal/buf.h"
#include "data/numparse.h"
#include "data/source.h"

#define SAMPLE_BYTES ((size_t)1 << 20)
#define SAMPLE_MAX_BYTES ((size_t)64 << 20)

static int read_sample(tfckpt_dataset *ds, const char *path, char **buf, size_t *len,
                       int *eof) {
  tfd_source *src;
  int rc = tfd_source_open(path, &src, &ds->err);
  if (rc) return rc;
  /* The sample must hold the header and at least one whole record: a file
   * whose first record is longer than SAMPLE_BYTES makes it grow (up to
   * SAMPLE_MAX_BYTES) instead of seeming to have no rows. */
  size_t cap = SAMPLE_BYTES, have = 0, newlines = 0;
  char *b = malloc(cap + 1);
  int at_eof = 0;
  while (b) {
    ssize_t n = tfd_source_read(src, b + have, cap - have, &ds->err);
    if (n < 0) {
      free(b);
      tfd_source_close(src);
      return ds->err.code;
    }
    for (ssize_t i = 0; i < n; i++) newlines += b[have + (size_t)i] == '\n';
    have += (size_t)n;
    if (have < cap) {
      at_eof = 1;
      break;
    }
    if (newlines >= 2 + ds->opt.skip_lines || cap >= SAMPLE_MAX_BYTES) break;
    char *nb = realloc(b, cap * 2 + 1);
    if (!nb) free(b);
    b = nb;
    cap *= 2;
  }
  tfd_source_close(src);
  if (!b) return tfckpt__seterr(&ds->err, TFCKPT_ENOMEM, "out of memory");
  *buf = b;
  *len = have;
  *eof = at_eof;
  return 0;
}

static const char *ext_of(const char *path, char *tmp, size_t tmpn) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  snprintf(tmp, tmpn, "%s", base);
  size_t n = strlen(tmp);
  if (n > 3 && !strcmp(tmp + n - 3, ".gz")) tmp[n - 3] = '\0';
  const char *dot = strrchr(tmp, '.');
  return dot ? dot + 1 : "";
}

/* Whitespace tokens after the first all look like "index:value". */
static int looks_libsvm(const char *s, const char *e) {
  int tok = 0, good = 0;
  while (s < e) {
    while (s < e && (*s == ' ' || *s == '\t' || *s == '\r')) s++;
    if (s == e || *s == '#') break;
    const char *t = s;
    while (s < e && *s != ' ' && *s != '\t' && *s != '\r') s++;
    if (tok++ == 0) continue;
    const char *c = memchr(t, ':', (size_t)(s - t));
    if (!c || c == t) return 0;
    for (const char *q = t; q < c; q++)
      if (!isdigit((unsigned char)*q) && !(c - t == 3 && !memcmp(t, "qid", 3))) return 0;
    good++;
  }
  return good > 0 || tok == 1;
}

/* A .csv file is ','-separated unless its first line has more ';' than ','
 * (spreadsheets in locales with a decimal comma write "a;b;c" and "1,5;2"). */
static char csv_delimiter(const tfckpt_dataset *ds, const char *buf, size_t len) {
  size_t pos = 0, skip = ds->opt.skip_lines;
  while (pos < len) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t e = nl ? (size_t)(nl - buf) : len;
    const char *s = buf + pos;
    size_t n = e - pos, commas = 0, semis = 0;
    pos = nl ? e + 1 : len;
    if (skip) {
      skip--;
      continue;
    }
    if (!n || (ds->opt.comment && s[0] == ds->opt.comment)) continue;
    for (size_t k = 0; k < n; k++) commas += s[k] == ',', semis += s[k] == ';';
    return semis > commas ? ';' : ',';
  }
  return ',';
}

static void detect_format(tfckpt_dataset *ds, const char *buf, size_t len) {
  tfd_cfg *cfg = &ds->cfg;
  char tmp[256];
  const char *ext = ext_of(ds->files[0], tmp, sizeof tmp);
  int fmt = ds->opt.format;
  char delim = ds->opt.delimiter;
  if (fmt == TFCKPT_DATA_AUTO && delim) fmt = TFCKPT_DATA_CSV;
  if (fmt == TFCKPT_DATA_AUTO) {
    if (!strcasecmp(ext, "csv")) fmt = TFCKPT_DATA_CSV, delim = csv_delimiter(ds, buf, len);
    else if (!strcasecmp(ext, "tsv") || !strcasecmp(ext, "tab")) fmt = TFCKPT_DATA_CSV, delim = '\t';
    else if (!strcasecmp(ext, "svm") || !strcasecmp(ext, "libsvm") || !strcasecmp(ext, "svmlight"))
      fmt = TFCKPT_DATA_LIBSVM;
  }
  if (fmt == TFCKPT_DATA_AUTO) {
    /* sniff the first data line */
    size_t pos = 0, skip = ds->opt.skip_lines;
    while (pos < len) {
      const char *nl = memchr(buf + pos, '\n', len - pos);
      size_t e = nl ? (size_t)(nl - buf) : len;
      const char *s = buf + pos;
      size_t n = e - pos;
      pos = nl ? e + 1 : len;
      if (skip) { skip--; continue; }
      size_t k = 0;
      while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r')) k++;
      if (k == n || (ds->opt.comment && s[0] == ds->opt.comment)) continue;
      if (memchr(s, ',', n)) fmt = TFCKPT_DATA_CSV, delim = ',';
      else if (looks_libsvm(s, s + n) && memchr(s, ':', n)) fmt = TFCKPT_DATA_LIBSVM;
      else if (memchr(s, '\t', n) && !memchr(s, ' ', n)) fmt = TFCKPT_DATA_CSV, delim = '\t';
      else if (memchr(s, ';', n)) fmt = TFCKPT_DATA_CSV, delim = ';';
      else fmt = TFCKPT_DATA_TXT;
      break;
    }
    if (fmt == TFCKPT_DATA_AUTO) fmt = TFCKPT_DATA_CSV;
  }
  if (fmt == TFCKPT_DATA_CSV && !delim) delim = ',';
  cfg->format = fmt;
  cfg->delim = fmt == TFCKPT_DATA_CSV ? delim : ' ';
  cfg->quote = fmt == TFCKPT_DATA_CSV ? ds->opt.quote : 0;
  cfg->comment = ds->opt.comment;
  cfg->ws = fmt == TFCKPT_DATA_TXT;
}

static int field_is_number(const tfd_cfg *cfg, const char *p, size_t n, double *v, int *is_int) {
  double d;
  int ii;
  if (tfd_is_missing(p, n)) return 1;
  if (tfd_parse_number(p, n, cfg->cloc, v ? v : &d, is_int ? is_int : &ii)) return 0;
  return 1;
}

static char *dupn(const char *p, size_t n) {
  char *s = malloc(n + 1);
  if (s) {
    memcpy(s, p, n);
    s[n] = '\0';
  }
  return s;
}

/* Resolves one column token (name or index, negative from the end). */
static int resolve(tfckpt_dataset *ds, char **names, size_t n, const char *tok, size_t *out) {
  char *end;
  long v = strtol(tok, &end, 10);
  if (*tok && !*end) {
    if (v < 0) v += (long)n;
    if (v < 0 || (size_t)v >= n)
      return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "column index %s out of range (%zu columns)",
                           tok, n);
    *out = (size_t)v;
    return 0;
  }
  for (size_t i = 0; i < n; i++)
    if (!strcmp(names[i], tok)) {
      *out = i;
      return 0;
    }
  return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "unknown column \"%s\"", tok);
}

/* Splits a comma-separated list into trimmed tokens (modifies s). */
static size_t split_list(char *s, char **tok, size_t max) {
  size_t n = 0;
  while (s && n < max) {
    char *c = strchr(s, ',');
    if (c) *c = '\0';
    while (*s == ' ') s++;
    size_t l = strlen(s);
    while (l && s[l - 1] == ' ') s[--l] = '\0';
    if (*s) tok[n++] = s;
    s = c ? c + 1 : NULL;
  }
  return n;
}

static int select_columns(tfckpt_dataset *ds, char **names, size_t nf, int default_last_label) {
  tfd_cfg *cfg = &ds->cfg;
  int rc = 0;
  size_t *lab = calloc(nf + 1, sizeof *lab), *feat = calloc(nf + 1, sizeof *feat);
  char *lspec = NULL, *fspec = NULL;
  char **tok = calloc(nf + 1, sizeof *tok);
  cfg->field_map = malloc((nf + 1) * sizeof *cfg->field_map);
  if (!lab || !feat || !tok || !cfg->field_map) { rc = TFCKPT_ENOMEM; goto out; }
  for (size_t i = 0; i < nf; i++) cfg->field_map[i] = -1;
  size_t nl = 0, nfe = 0;
  const char *ls = ds->opt.label_columns;
  if (!ls) {
    if (default_last_label && nf > 1) lab[nl++] = nf - 1;
  } else {
    if (!(lspec = strdup(ls))) { rc = TFCKPT_ENOMEM; goto out; }
    size_t nt = split_list(lspec, tok, nf + 1);
    for (size_t i = 0; i < nt; i++) {
      if ((rc = resolve(ds, names, nf, tok[i], &lab[nl]))) goto out;
      if (cfg->field_map[lab[nl]] >= 0) {
        rc = tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "column \"%s\" selected twice", tok[i]);
        goto out;
      }
      cfg->field_map[lab[nl]] = 0;
      nl++;
    }
  }
  for (size_t i = 0; i < nl; i++) cfg->field_map[lab[i]] = 0;
  if (!ds->opt.feature_columns) {
    for (size_t i = 0; i < nf; i++)
      if (cfg->field_map[i] < 0) feat[nfe++] = i;
  } else {
    if (!(fspec = strdup(ds->opt.feature_columns))) { rc = TFCKPT_ENOMEM; goto out; }
    size_t nt = split_list(fspec, tok, nf + 1);
    for (size_t i = 0; i < nt; i++) {
      if ((rc = resolve(ds, names, nf, tok[i], &feat[nfe]))) goto out;
      if (cfg->field_map[feat[nfe]] >= 0) {
        rc = tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "column \"%s\" selected twice", tok[i]);
        goto out;
      }
      cfg->field_map[feat[nfe]] = 0;
      nfe++;
    }
  }
  for (size_t i = 0; i < nf; i++) cfg->field_map[i] = -1;
  cfg->width = nfe;
  cfg->nlabels = nl;
  cfg->ncols = nfe + nl;
  ds->colnames = calloc(cfg->ncols + 1, sizeof *ds->colnames);
  if (!ds->colnames) { rc = TFCKPT_ENOMEM; goto out; }
  for (size_t i = 0; i < cfg->ncols; i++) {
    size_t f = i < nfe ? feat[i] : lab[i - nfe];
    cfg->field_map[f] = (int)i;
    if (!(ds->colnames[i] = strdup(names[f]))) { rc = TFCKPT_ENOMEM; goto out; }
  }
out:
  if (rc == TFCKPT_ENOMEM) tfckpt__seterr(&ds->err, rc, "out of memory");
  free(lab);
  free(feat);
  free(tok);
  free(lspec);
  free(fspec);
  return rc;
}

static int parse_na_values(tfckpt_dataset *ds, char **fieldnames, size_t nf) {
  tfd_cfg *cfg = &ds->cfg;
  cfg->has_default = calloc(cfg->ncols + 1, 1);
  cfg->def = calloc(cfg->ncols + 1, sizeof *cfg->def);
  if (!cfg->has_default || !cfg->def) return tfckpt__seterr(&ds->err, TFCKPT_ENOMEM, "out of memory");
  if (!ds->opt.na_values) return 0;
  char *spec = strdup(ds->opt.na_values);
  char **tok = calloc(strlen(ds->opt.na_values) + 1, sizeof *tok);
  int rc = 0;
  if (!spec || !tok) { rc = tfckpt__seterr(&ds->err, TFCKPT_ENOMEM, "out of memory"); goto out; }
  size_t nt = split_list(spec, tok, strlen(ds->opt.na_values) + 1);
  for (size_t i = 0; i < nt; i++) {
    char *eq = strrchr(tok[i], '=');
    const char *val = eq ? eq + 1 : tok[i];
    double v;
    int ii;
    if (tfd_parse_number(val, strlen(val), cfg->cloc, &v, &ii)) {
      rc = tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "--na-value: \"%s\" is not a number", val);
      goto out;
    }
    if (!eq) {
      for (size_t m = 0; m < cfg->ncols; m++) cfg->has_default[m] = 1, cfg->def[m] = v;
      continue;
    }
    *eq = '\0';
    size_t col;
    if (cfg->format == TFCKPT_DATA_LIBSVM) {
      rc = tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "--na-value: LibSVM has no missing values");
      goto out;
    }
    if ((rc = resolve(ds, fieldnames, nf, tok[i], &col))) goto out;
    int m = cfg->field_map[col];
    if (m < 0) {
      rc = tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "--na-value: column \"%s\" is not selected",
                         tok[i]);
      goto out;
    }
    cfg->has_default[m] = 1;
    cfg->def[m] = v;
  }
out:
  free(spec);
  free(tok);
  return rc;
}

/* Parses the sample's complete records to learn column types and labels. */
static int infer_types(tfckpt_dataset *ds, const char *sample, size_t len, int eof,
                       int has_header) {
  tfd_cfg *cfg = &ds->cfg;
  size_t consumed = 0, hs, he;
  uint64_t lines;
  ds->sample_nonint = calloc(cfg->ncols + 1, sizeof *ds->sample_nonint);
  if (!ds->sample_nonint) return tfckpt__seterr(&ds->err, TFCKPT_ENOMEM, "out of memory");
  if (tfd_preamble(cfg, ds->opt.skip_lines, has_header, sample, len, 1, &consumed, &lines,
                   &hs, &he))
    return 0;
  size_t end = eof ? len : tfd_last_record_end(cfg, sample, len);
  if (end <= consumed) end = consumed;
  tfd_chunk c = {0};
  tfckpt__buf_append(&c.text, sample + consumed, end - consumed);
  tfckpt__buf_cstr(&c.text);
  c.stats = malloc((cfg->ncols + 1) * sizeof *c.stats);
  if (c.text.oom || !c.stats) {
    tfckpt__buf_free(&c.text);
    free(c.stats);
    return tfckpt__seterr(&ds->err, TFCKPT_ENOMEM, "out of memory");
  }
  tfd_cfg tmp = *cfg;
  tmp.on_error = TFCKPT_ON_ERROR_SKIP;
  tmp.label_int = 0;
  /* LibSVM rows may be very wide: learn only the label from the sample */
  tmp.sparse = cfg->format == TFCKPT_DATA_LIBSVM;
  unsigned char *hd = calloc(cfg->ncols + 1, 1);
  if (!hd) {
    tfckpt__buf_free(&c.text);
    free(c.stats);
    return tfckpt__seterr(&ds->err, TFCKPT_ENOMEM, "out of memory");
  }
  memset(hd, 1, cfg->ncols); /* missing values must not hide the types */
  tmp.has_default = hd;
  tfd_parse_chunk(&tmp, &c);
  for (size_t m = 0; m < cfg->ncols; m++) ds->sample_nonint[m] = c.stats[m].nonint;
  if (cfg->nlabels) {
    int allint = 1;
    double lmin = INFINITY, lmax = -INFINITY;
    for (size_t m = cfg->width; m < cfg->ncols; m++) {
      if (c.stats[m].nonint || c.stats[m].count == 0) allint = 0;
      if (c.stats[m].min < lmin) lmin = c.stats[m].min;
      if (c.stats[m].max > lmax) lmax = c.stats[m].max;
    }
    if (ds->opt.label_dtype == TFCKPT_INT32) cfg->label_int = 1;
    else if (ds->opt.label_dtype == TFCKPT_FLOAT) cfg->label_int = 0;
    else cfg->label_int = allint;
    if (cfg->label_int && !ds->num_classes && lmin >= 0 && lmax < 1e6 && lmax >= lmin)
      ds->num_classes = (int64_t)lmax + 1;
  }
  free(hd);
  tfckpt__buf_free(&c.text);
  free(c.stats);
  free(c.feat);
  free(c.lab);
  free(c.rowptr);
  free(c.idx);
  free(c.val);
  return 0;
}

static int schema_delimited(tfckpt_dataset *ds, const char *sample, size_t len, int eof) {
  tfd_cfg *cfg = &ds->cfg;
  int rc = 0;
  char *copy = malloc(len + 1);
  tfd_fields f1 = {0}, f2 = {0};
  char **names = NULL;
  size_t nf = 0;
  f1.grow = f2.grow = 1;
  if (!copy) return tfckpt__seterr(&ds->err, TFCKPT_ENOMEM, "out of memory");
  memcpy(copy, sample, len);
  size_t pos;
  uint64_t lines;
  tfd_preamble(cfg, ds->opt.skip_lines, 0, copy, len, 1, &pos, &lines, NULL, NULL);
  char *p = copy + pos, *end = copy + (eof ? len : pos + tfd_last_record_end(cfg, copy + pos, len - pos));
  int got = 0;
  size_t ef;
  while (p < end && got < 2) {
    int r = tfd_tokenize(cfg, &p, end, got ? &f2 : &f1, &lines, &ef);
    if (r == TFD_REC_SKIP) continue;
    if (r == TFD_REC_NOMEM) { rc = tfckpt__seterr(&ds->err, TFCKPT_ENOMEM, "out of memory"); goto out; }
    if (r < 0 && got == 0) {
      rc = tfckpt__seterr(&ds->err, TFCKPT_EDATA, "%s: bad quoting in the first record",
                         ds->files[0]);
      goto out;
    }
    if (r < 0) break;
    got++;
  }
  if (got == 0 && !eof && len >= SAMPLE_MAX_BYTES) {
    rc = tfckpt__seterr(&ds->err, TFCKPT_EDATA,
                        "%s: no complete record in the first %zu MiB (longer records are not supported)",
                        ds->files[0], SAMPLE_MAX_BYTES >> 20);
    goto out;
  }
  if (got == 0) {
    rc = tfckpt__seterr(&ds->err, TFCKPT_EDATA, "%s: no data rows found", ds->files[0]);
    goto out;
  }
  int mode = ds->opt.header;
  size_t n1 = f1.n, n2 = got > 1 ? f2.n : 0;
  if (mode == TFCKPT_HEADER_AUTO) {
    mode = TFCKPT_HEADER_NONE;
    size_t nonnum1 = 0, nonnum2 = 0;
    for (size_t i = 0; i < n1; i++) nonnum1 += !field_is_number(cfg, f1.p[i], f1.len[i], NULL, NULL);
    for (size_t i = 0; i < n2; i++) nonnum2 += !field_is_number(cfg, f2.p[i], f2.len[i], NULL, NULL);
    double a, b;
    int ia = 0, ib = 0;
    int sk = n1 >= 2 && got > 1 && !tfd_is_missing(f1.p[0], f1.len[0]) &&
             !tfd_is_missing(f1.p[1], f1.len[1]) &&
             field_is_number(cfg, f1.p[0], f1.len[0], &a, &ia) && ia && a >= 0 &&
             field_is_number(cfg, f1.p[1], f1.len[1], &b, &ib) && ib && b + 1 == (double)n2 &&
             nonnum1 == n1 - 2 && (n1 != n2 || n1 > 2);
    for (size_t i = 2; sk && i < n1; i++)
      if (tfd_is_missing(f1.p[i], f1.len[i])) sk = 0;
    if (sk) mode = TFCKPT_HEADER_SKLEARN;
    else if (nonnum1 > 0 && (got == 1 || nonnum1 > nonnum2)) mode = TFCKPT_HEADER_NAMES;
  }
  ds->header_mode = (size_t)mode;
  if (mode == TFCKPT_HEADER_SKLEARN) {
    if (n1 < 2) {
      rc = tfckpt__seterr(&ds->err, TFCKPT_EDATA, "%s: not an sklearn header (n_samples,n_features,...)",
                         ds->files[0]);
      goto out;
    }
    double a = 0, b = 0;
    int ia, ib;
    if (!field_is_number(cfg, f1.p[0], f1.len[0], &a, &ia) ||
        !field_is_number(cfg, f1.p[1], f1.len[1], &b, &ib) || !(b >= 0 && b < 1e8) ||
        !(a >= 0 && a < 9e18)) { /* (int64_t)a below must not overflow */
      rc = tfckpt__seterr(&ds->err, TFCKPT_EDATA, "%s:1: bad sklearn header", ds->files[0]);
      goto out;
    }
    ds->declared_rows = (int64_t)a;
    nf = got > 1 ? n2 : (size_t)b + 1;
    ds->nclass_names = n1 - 2;
    ds->class_names = calloc(ds->nclass_names + 1, sizeof *ds->class_names);
    if (!ds->class_names) goto oom;
    for (size_t i = 0; i < ds->nclass_names; i++)
      if (!(ds->class_names[i] = dupn(f1.p[i + 2], f1.len[i + 2]))) goto oom;
    if (ds->nclass_names) ds->num_classes = (int64_t)ds->nclass_names;
  } else if (mode == TFCKPT_HEADER_NAMES) {
    nf = n1;
  } else {
    nf = n1;
  }
  names = calloc(nf + 1, sizeof *names);
  if (!names) goto oom;
  for (size_t i = 0; i < nf; i++) {
    char buf[32];
    if (mode == TFCKPT_HEADER_NAMES && f1.len[i]) names[i] = dupn(f1.p[i], f1.len[i]);
    else if (mode == TFCKPT_HEADER_SKLEARN && i == nf - 1) names[i] = strdup("target");
    else {
      snprintf(buf, sizeof buf, "c%zu", i);
      names[i] = strdup(buf);
    }
    if (!names[i]) goto oom;
  }
  cfg->nfields = nf;
  if ((rc = select_columns(ds, names, nf, mode == TFCKPT_HEADER_SKLEARN))) goto out;
  if ((rc = parse_na_values(ds, names, nf))) goto out;
  rc = infer_types(ds, sample, len, eof, mode != TFCKPT_HEADER_NONE);
  goto out;
oom:
  rc = tfckpt__seterr(&ds->err, TFCKPT_ENOMEM, "out of memory");
out:
  if (names)
    for (size_t i = 0; i < nf; i++) free(names[i]);
  free(names);
  free((void *)f1.p);
  free(f1.len);
  free((void *)f2.p);
  free(f2.len);
  free(copy);
  return rc;
}

/* One pass over every LibSVM file reading only the indices. */
static int libsvm_prescan(tfckpt_dataset *ds, uint64_t *maxi, uint64_t *mini, int *any) {
  tfckpt__buf raw = {0};
  tfckpt__buf_reserve(&raw, SAMPLE_BYTES);
  if (raw.oom) return tfckpt__seterr(&ds->err, TFCKPT_ENOMEM, "out of memory");
  *maxi = 0;
  *mini = UINT64_MAX;
  *any = 0;
  int rc = 0;
  for (size_t fi = 0; fi < ds->nfiles && !rc; fi++) {
    tfd_source *src;
    if ((rc = tfd_source_open(ds->files[fi], &src, &ds->err))) break;
    raw.len = 0;
    uint64_t skip = ds->opt.skip_lines;
    for (;;) {
      if (raw.len == raw.cap) tfckpt__buf_reserve(&raw, raw.cap); /* a line longer than the buffer */
      if (raw.oom) { rc = tfckpt__seterr(&ds->err, TFCKPT_ENOMEM, "out of memory"); break; }
      char *buf = (char *)raw.data;
      ssize_t n = tfd_source_read(src, buf + raw.len, raw.cap - raw.len, &ds->err);
      if (n < 0) { rc = ds->err.code; break; }
      int eof = n == 0;
      raw.len += (size_t)n;
      size_t endp = raw.len;
      if (!eof) {
        const char *nl = memrchr(buf, '\n', raw.len);
        if (!nl) continue;
        endp = (size_t)(nl - buf) + 1;
      }
      const char *p = buf, *e = buf + endp;
      while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *le = nl ? nl : e;
        const char *next = nl ? nl + 1 : e;
        if (skip) { skip--; p = next; continue; }
        const char *h = memchr(p, '#', (size_t)(le - p));
        if (h) le = h;
        int tok = 0;
        while (p < le) {
          while (p < le && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
          const char *t = p;
          while (p < le && *p != ' ' && *p != '\t' && *p != '\r') p++;
          if (p == t) break;
          if (tok++ == 0) continue;
          uint64_t v = 0;
          const char *q = t;
          while (q < p && (unsigned)(*q - '0') < 10 && v < (UINT64_C(1) << 40))
            v = v * 10 + (uint64_t)(*q++ - '0');
          if (q == t || q >= p || *q != ':') continue;
          if (v > *maxi) *maxi = v;
          if (v < *mini) *mini = v;
          *any = 1;
        }
        p = next;
      }
      memmove(buf, buf + endp, raw.len - endp);
      raw.len -= endp;
      if (eof) break;
    }
    tfd_source_close(src);
  }
  tfckpt__buf_free(&raw);
  return rc;
}

/* Widths above this must be asked for with --width (dense batches are
 * batch_size x width floats). */
#define LIBSVM_MAX_INFERRED_WIDTH (1u << 20)

static int schema_libsvm(tfckpt_dataset *ds, const char *sample, size_t len, int eof) {
  tfd_cfg *cfg = &ds->cfg;
  if (ds->opt.feature_columns)
    return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "feature column selection is not supported for LibSVM");
  ds->header_mode = TFCKPT_HEADER_NONE;
  int zb = ds->opt.libsvm_zero_based;
  size_t width = ds->opt.libsvm_width;
  uint64_t maxi = 0, mini = UINT64_MAX;
  int any = 0;
  if (width == 0 || zb < 0) {
    int rc;
    if (width == 0) {
      rc = libsvm_prescan(ds, &maxi, &mini, &any);
      if (rc) return rc;
    } else {
      /* the sample decides the base; the width is given */
      maxi = 0;
      mini = UINT64_MAX;
      any = 0;
      const char *p = sample, *e = sample + len;
      while (p < e) {
        const char *q = memchr(p, ':', (size_t)(e - p));
        if (!q) break;
        const char *s = q;
        while (s > p && (unsigned)(s[-1] - '0') < 10) s--;
        if (s < q) {
          uint64_t v = strtoull(s, NULL, 10);
          if (v < mini) mini = v;
          any = 1;
        }
        p = q + 1;
      }
    }
    if (zb < 0) zb = any && mini == 0;
    if (width == 0) {
      /* An inferred width comes from whatever index the data holds: one
       * stray "444444443:1" must not make every batch gigabytes wide. */
      uint64_t inferred = any ? (zb ? maxi + 1 : maxi) : 0;
      if (inferred > LIBSVM_MAX_INFERRED_WIDTH)
        return tfckpt__seterr(&ds->err, TFCKPT_ERANGE,
                             "LibSVM feature index %llu implies %llu columns (more than %u); "
                             "give the width with --width if that is right",
                             (unsigned long long)maxi, (unsigned long long)inferred,
                             LIBSVM_MAX_INFERRED_WIDTH);
      width = (size_t)inferred;
    }
  }
  if (width > ((size_t)1 << 31))
    return tfckpt__seterr(&ds->err, TFCKPT_ERANGE, "LibSVM width %zu is too large", width);
  cfg->zero_based = zb;
  cfg->width = width;
  cfg->nlabels = (ds->opt.label_columns && !*ds->opt.label_columns) ? 0 : 1;
  cfg->ncols = width + cfg->nlabels;
  cfg->nfields = 0;
  ds->colnames = calloc(cfg->ncols + 1, sizeof *ds->colnames);
  if (!ds->colnames)
    return tfckpt__seterr(&ds->err, TFCKPT_ENOMEM, "out of memory");
  for (size_t i = 0; i < cfg->ncols; i++) {
    char buf[32];
    if (i < width) snprintf(buf, sizeof buf, "%zu", i + !zb);
    else snprintf(buf, sizeof buf, "label");
    if (!(ds->colnames[i] = strdup(buf))) return tfckpt__seterr(&ds->err, TFCKPT_ENOMEM, "out of memory");
  }
  int rc = parse_na_values(ds, NULL, 0);
  if (rc) return rc;
  return infer_types(ds, sample, len, eof, 0);
}

int tfd_schema_init(tfckpt_dataset *ds) {
  char *sample = NULL;
  size_t len = 0;
  int eof = 1;
  int rc = read_sample(ds, ds->files[0], &sample, &len, &eof);
  if (rc) return rc;
  detect_format(ds, sample, len);
  ds->num_classes = ds->opt.num_classes;
  ds->declared_rows = -1;
  if (ds->cfg.format == TFCKPT_DATA_LIBSVM) rc = schema_libsvm(ds, sample, len, eof);
  else rc = schema_delimited(ds, sample, len, eof);
  free(sample);
  if (!rc && ds->cfg.sparse && ds->cfg.format != TFCKPT_DATA_LIBSVM)
    rc = tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "sparse output is only for LibSVM input");
  return rc;
}
