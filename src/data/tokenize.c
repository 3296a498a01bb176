/* Record splitting.  The reader thread and the parsers must agree on where
 * records end, so both follow the same RFC 4180 rule: a quote opens a quoted
 * field only at the start of a field (after optional blanks), "" inside it is
 * a literal quote, and newlines inside it belong to the field. */
#include <string.h>
#include <stdlib.h>

#include "data/internal.h"

int tfd_is_missing(const char *p, size_t n) {
  switch (n) {
    case 0: return 1;
    case 1: return p[0] == '?';
    case 2: return !memcmp(p, "NA", 2);
    case 3: return !memcmp(p, "N/A", 3) || !memcmp(p, "n/a", 3);
    case 4: return !memcmp(p, "null", 4) || !memcmp(p, "NULL", 4) ||
                   !memcmp(p, "None", 4);
    default: return 0;
  }
}

static inline int is_blank(char c, char delim) {
  return (c == ' ' || c == '\t') && c != delim;
}

/* Quote-aware scan: offset past the first (or last) record-ending newline. */
static size_t scan_quoted(const tfd_cfg *cfg, const char *buf, size_t len, int first) {
  enum { FS, UNQ, QUOTED, QEND, COMMENT } st = FS;
  int rec_start = 1;
  size_t last = 0;
  const char q = cfg->quote, d = cfg->delim, cm = cfg->comment;
  for (size_t i = 0; i < len; i++) {
    char c = buf[i];
    switch (st) {
      case FS:
        if (rec_start && cm && c == cm) { st = COMMENT; break; }
        rec_start = 0;
        if (c == q) st = QUOTED;
        else if (c == '\n') { last = i + 1; rec_start = 1; if (first) return last; }
        else if (c == d || is_blank(c, d)) { /* still at a field start */ }
        else st = UNQ;
        break;
      case UNQ:
        if (c == d) st = FS;
        else if (c == '\n') { last = i + 1; st = FS; rec_start = 1; if (first) return last; }
        break;
      case QUOTED:
        if (c == q) st = QEND;
        break;
      case QEND:
        if (c == q) st = QUOTED;
        else if (c == d) st = FS;
        else if (c == '\n') { last = i + 1; st = FS; rec_start = 1; if (first) return last; }
        else st = UNQ;
        break;
      case COMMENT:
        if (c == '\n') { last = i + 1; st = FS; rec_start = 1; if (first) return last; }
        break;
    }
  }
  return first ? 0 : last;
}

size_t tfd_last_record_end(const tfd_cfg *cfg, const char *buf, size_t len) {
  if (cfg->format == TFCKPT_DATA_CSV && cfg->quote && memchr(buf, cfg->quote, len))
    return scan_quoted(cfg, buf, len, 0);
  const char *nl = memrchr(buf, '\n', len);
  return nl ? (size_t)(nl - buf) + 1 : 0;
}

size_t tfd_first_record_end(const tfd_cfg *cfg, const char *buf, size_t len, int eof) {
  size_t e;
  if (cfg->format == TFCKPT_DATA_CSV && cfg->quote) {
    e = scan_quoted(cfg, buf, len, 1);
  } else {
    const char *nl = memchr(buf, '\n', len);
    e = nl ? (size_t)(nl - buf) + 1 : 0;
  }
  if (!e && eof) e = len;
  return e;
}

static int add_field(tfd_fields *f, const char *p, size_t n) {
  if (f->n >= f->cap) {
    if (!f->grow) { f->n++; return 0; }
    size_t nc = f->cap ? f->cap * 2 : 16;
    const char **np = realloc(f->p, nc * sizeof *np);
    if (!np) return -1;
    f->p = np;
    size_t *nl = realloc(f->len, nc * sizeof *nl);
    if (!nl) return -1;
    f->len = nl;
    f->cap = nc;
  }
  f->p[f->n] = p;
  f->len[f->n] = n;
  f->n++;
  return 0;
}

/* After a quote error: the rest of the record up to the next newline. */
static void skip_rest(char **pp, char *end, uint64_t *lines) {
  char *nl = memchr(*pp, '\n', (size_t)(end - *pp));
  if (nl) { *pp = nl + 1; (*lines)++; } else *pp = end;
}

int tfd_tokenize(const tfd_cfg *cfg, char **pp, char *end, tfd_fields *f,
                 uint64_t *lines, size_t *errfield) {
  char *p = *pp;
  const char d = cfg->delim, q = cfg->quote;
  f->n = 0;
  if (cfg->comment && *p == cfg->comment) {
    skip_rest(pp, end, lines);
    return TFD_REC_SKIP;
  }
  {
    char *s = p;
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\r')) s++;
    if (s == end || *s == '\n') {
      if (s < end) { s++; (*lines)++; }
      *pp = s;
      return TFD_REC_SKIP;
    }
  }
  if (cfg->ws) {
    for (;;) {
      while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
      if (p == end) break;
      if (*p == '\n') { p++; (*lines)++; break; }
      char *s = p;
      while (p < end && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') p++;
      if (add_field(f, s, (size_t)(p - s))) return TFD_REC_NOMEM;
    }
    *pp = p;
    return TFD_REC_OK;
  }
  for (;;) {
    while (p < end && is_blank(*p, d)) p++;
    const char *start;
    size_t flen;
    if (q && p < end && *p == q) {
      char *r = p + 1, *w = p + 1;
      start = w;
      for (;;) {
        if (r == end) {
          *errfield = f->n + 1;
          *pp = end;
          return TFD_REC_UNTERMINATED;
        }
        char c = *r;
        if (c == q) {
          if (r + 1 < end && r[1] == q) { *w++ = q; r += 2; continue; }
          r++;
          break;
        }
        if (c == '\n') (*lines)++;
        *w++ = c;
        r++;
      }
      flen = (size_t)(w - start);
      p = r;
      while (p < end && is_blank(*p, d)) p++;
      if (p < end && *p == '\r' && (p + 1 == end || p[1] == '\n')) p++;
      if (p < end && *p != d && *p != '\n') {
        *errfield = f->n + 1;
        *pp = p;
        skip_rest(pp, end, lines);
        return TFD_REC_BADQUOTE;
      }
    } else {
      start = p;
      while (p < end && *p != d && *p != '\n') p++;
      const char *e = p;
      while (e > start && (e[-1] == '\r' || is_blank(e[-1], d))) e--;
      flen = (size_t)(e - start);
    }
    if (add_field(f, start, flen)) return TFD_REC_NOMEM;
    if (p == end) break;
    if (*p == '\n') { p++; (*lines)++; break; }
    p++; /* delimiter */
  }
  *pp = p;
  return TFD_REC_OK;
}

int tfd_preamble(const tfd_cfg *cfg, size_t skip_lines, int has_header,
                 const char *buf, size_t len, int eof, size_t *consumed,
                 uint64_t *lines, size_t *hs, size_t *he) {
  size_t pos = 0;
  uint64_t nl = 0;
  for (size_t i = 0; i < skip_lines; i++) {
    const char *q = memchr(buf + pos, '\n', len - pos);
    if (!q) {
      if (!eof) return 1;
      pos = len;
      break;
    }
    pos = (size_t)(q - buf) + 1;
    nl++;
  }
  if (has_header) {
    /* blank and comment lines before the header are not the header */
    for (;;) {
      size_t s = pos;
      if (s < len && cfg->comment && buf[s] == cfg->comment) {
        const char *q = memchr(buf + s, '\n', len - s);
        if (!q) { if (!eof) return 1; pos = len; break; }
        pos = (size_t)(q - buf) + 1;
        nl++;
        continue;
      }
      while (s < len && (buf[s] == ' ' || buf[s] == '\t' || buf[s] == '\r')) s++;
      if (s < len && buf[s] == '\n') { pos = s + 1; nl++; continue; }
      if (s == len && !eof) return 1;
      break;
    }
    size_t e = tfd_first_record_end(cfg, buf + pos, len - pos, eof);
    if (!e && pos < len) return 1;
    if (hs) *hs = pos;
    if (he) *he = pos + e;
    for (size_t i = pos; i < pos + e; i++) nl += buf[i] == '\n';
    pos += e;
  }
  *consumed = pos;
  *lines = nl;
  return 0;
}
