/* safetensors headers: an 8-byte little-endian length N, then N bytes of JSON
 * {"__metadata__": {str: str}, "name": {"dtype": "F32", "shape": [..],
 * "data_offsets": [begin, end]}, ...}, then the data block.  The rules
 * checked here are the reference implementation's: the header starts with
 * '{', may be padded with spaces, names are unique, and the byte ranges tile
 * the data block exactly (no holes, no overlaps). */
#include <stdlib.h>
#include <string.h>

#include "convert/internal.h"
#include "tfckpt/internal/buf.h"

static const struct {
  const char *name;
  int dtype;
} kSt[] = {
    {"F64", TFCKPT_DOUBLE},  {"F32", TFCKPT_FLOAT},   {"F16", TFCKPT_HALF},
    {"BF16", TFCKPT_BFLOAT16}, {"I64", TFCKPT_INT64},  {"I32", TFCKPT_INT32},
    {"I16", TFCKPT_INT16},   {"I8", TFCKPT_INT8},     {"U64", TFCKPT_UINT64},
    {"U32", TFCKPT_UINT32},  {"U16", TFCKPT_UINT16},  {"U8", TFCKPT_UINT8},
    {"BOOL", TFCKPT_BOOL},   {"F8_E5M2", TFCKPT_FLOAT8_E5M2}, {"F8_E4M3", TFCKPT_FLOAT8_E4M3FN},
};

const char *cv_st_dtype_name(int dtype) {
  for (size_t i = 0; i < sizeof kSt / sizeof kSt[0]; i++)
    if (kSt[i].dtype == dtype) return kSt[i].name;
  return NULL;
}

int cv_st_dtype_from_name(const char *s, size_t n) {
  for (size_t i = 0; i < sizeof kSt / sizeof kSt[0]; i++)
    if (strlen(kSt[i].name) == n && !memcmp(kSt[i].name, s, n)) return kSt[i].dtype;
  return TFCKPT_INVALID;
}

int cv_utf8_valid(const char *str, size_t n) {
  const uint8_t *s = (const uint8_t *)str;
  for (size_t i = 0; i < n;) {
    uint8_t c = s[i];
    size_t k;
    uint32_t cp;
    if (c < 0x80) { i++; continue; }
    if ((c & 0xe0) == 0xc0) k = 1, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0) k = 2, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0) k = 3, cp = c & 0x07;
    else return 0;
    if (n - i <= k) return 0;
    for (size_t j = 1; j <= k; j++) {
      if ((s[i + j] & 0xc0) != 0x80) return 0;
      cp = cp << 6 | (s[i + j] & 0x3f);
    }
    if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    i += k + 1;
  }
  return 1;
}

/* ---- writing ------------------------------------------------------------- */

static void sb_json(tfckpt__buf *b, const char *s) {
  tfckpt__buf_append(b, "\"", 1);
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    char esc[8];
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      tfckpt__buf_append(b, esc, 2);
    } else if (c < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", c);
      tfckpt__buf_append(b, esc, 6);
    } else {
      tfckpt__buf_append(b, (const char *)p, 1);
    }
  }
  tfckpt__buf_append(b, "\"", 1);
}

char *cv_st_format_header(const cv_st_entry *e, size_t count, char *const *meta, size_t nmeta,
                          size_t *len, tfckpt__err *err) {
  tfckpt__buf b = {0};
  tfckpt__buf_append_str(&b, "{");
  int first = 1;
  if (nmeta) {
    tfckpt__buf_append_str(&b, "\"__metadata__\":{");
    for (size_t i = 0; i < nmeta; i++) {
      for (int k = 0; k < 2; k++)
        if (!cv_utf8_valid(meta[2 * i + k], strlen(meta[2 * i + k]))) {
          tfckpt__buf_free(&b);
          tfckpt__seterr(err, TFCKPT_EINVAL, "metadata \"%s\" is not valid UTF-8", meta[2 * i]);
          return NULL;
        }
      if (i) tfckpt__buf_append_str(&b, ",");
      sb_json(&b, meta[2 * i]);
      tfckpt__buf_append_str(&b, ":");
      sb_json(&b, meta[2 * i + 1]);
    }
    tfckpt__buf_append_str(&b, "}");
    first = 0;
  }
  for (size_t i = 0; i < count; i++) {
    if (!first) tfckpt__buf_append_str(&b, ",");
    first = 0;
    sb_json(&b, e[i].name);
    tfckpt__buf_append_str(&b, ":{\"dtype\":\"");
    tfckpt__buf_append_str(&b, cv_st_dtype_name(e[i].dtype));
    tfckpt__buf_append_str(&b, "\",\"shape\":[");
    for (int d = 0; d < e[i].rank; d++)
      tfckpt__buf_appendf(&b, "%s%lld", d ? "," : "", (long long)e[i].dims[d]);
    tfckpt__buf_appendf(&b, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)e[i].begin,
                        (unsigned long long)e[i].end);
  }
  tfckpt__buf_append_str(&b, "}");
  while (!b.oom && b.len % 8) tfckpt__buf_append_str(&b, " "); /* 8-aligned data, as the reference writer does */
  if (b.oom) {
    tfckpt__buf_free(&b);
    tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
    return NULL;
  }
  if (b.len > CV_ST_MAX_HEADER) {
    tfckpt__buf_free(&b);
    tfckpt__seterr(err, TFCKPT_ERANGE, "safetensors header of %zu bytes exceeds the %u-byte limit",
                  b.len, CV_ST_MAX_HEADER);
    return NULL;
  }
  *len = b.len;
  return tfckpt__buf_detach(&b);
}

/* ---- parsing --------------------------------------------------------------- */

typedef struct jp {
  const char *p, *end, *start;
  tfckpt__err *err;
} jp;

static int jfail(jp *j, const char *what) {
  return tfckpt__seterr(j->err, TFCKPT_ECORRUPT, "safetensors header: %s at byte %zu", what,
                       (size_t)(j->p - j->start) + 8);
}
static void jws(jp *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}
static int jeat(jp *j, char c) {
  jws(j);
  if (j->p < j->end && *j->p == c) {
    j->p++;
    return 1;
  }
  return 0;
}
static int hex4(const char *p, uint32_t *v) {
  *v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    *v <<= 4;
    if (c >= '0' && c <= '9') *v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') *v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') *v |= (uint32_t)(c - 'A' + 10);
    else return -1;
  }
  return 0;
}
/* A JSON string, decoded to UTF-8 in a malloc'd buffer. */
static int jstr(jp *j, char **out) {
  *out = NULL;
  jws(j);
  if (j->p >= j->end || *j->p != '"') return jfail(j, "expected a string");
  j->p++;
  tfckpt__buf b = {0};
  while (j->p < j->end && *j->p != '"') {
    unsigned char c = (unsigned char)*j->p;
    if (c < 0x20) {
      tfckpt__buf_free(&b);
      return jfail(j, "control character in string");
    }
    if (c != '\\') {
      const char *s = j->p;
      while (j->p < j->end && *j->p != '"' && *j->p != '\\' && (unsigned char)*j->p >= 0x20) j->p++;
      tfckpt__buf_append(&b, s, (size_t)(j->p - s));
      continue;
    }
    if (j->end - j->p < 2) break;
    char e = j->p[1];
    j->p += 2;
    char ch;
    switch (e) {
      case '"': ch = '"'; break;
      case '\\': ch = '\\'; break;
      case '/': ch = '/'; break;
      case 'b': ch = '\b'; break;
      case 'f': ch = '\f'; break;
      case 'n': ch = '\n'; break;
      case 'r': ch = '\r'; break;
      case 't': ch = '\t'; break;
      case 'u': {
        uint32_t cp, lo;
        if (j->end - j->p < 4 || hex4(j->p, &cp)) goto bad_escape;
        j->p += 4;
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || hex4(j->p + 2, &lo) ||
              lo < 0xdc00 || lo > 0xdfff)
            goto bad_escape;
          j->p += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
          goto bad_escape;
        }
        char u[4];
        size_t k;
        if (cp < 0x80) u[0] = (char)cp, k = 1;
        else if (cp < 0x800) u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 63)), k = 2;
        else if (cp < 0x10000)
          u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 63)),
          u[2] = (char)(0x80 | (cp & 63)), k = 3;
        else
          u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 63)),
          u[2] = (char)(0x80 | ((cp >> 6) & 63)), u[3] = (char)(0x80 | (cp & 63)), k = 4;
        tfckpt__buf_append(&b, u, k);
        continue;
      }
      default:
        goto bad_escape;
    }
    tfckpt__buf_append(&b, &ch, 1);
  }
  if (j->p >= j->end) {
    tfckpt__buf_free(&b);
    return jfail(j, "unterminated string");
  }
  j->p++;
  if (b.oom) {
    tfckpt__buf_free(&b);
    return tfckpt__seterr(j->err, TFCKPT_ENOMEM, "out of memory");
  }
  const char *text = tfckpt__buf_cstr(&b);
  if (!text) return tfckpt__seterr(j->err, TFCKPT_ENOMEM, "out of memory");
  if (!cv_utf8_valid(text, b.len) || strlen(text) != b.len) {
    tfckpt__buf_free(&b);
    return jfail(j, "string is not valid UTF-8 (or holds NUL)");
  }
  *out = tfckpt__buf_detach(&b);
  return TFCKPT_OK;
bad_escape:
  tfckpt__buf_free(&b);
  return jfail(j, "bad escape in string");
}
static int juint(jp *j, uint64_t *v) {
  jws(j);
  if (j->p >= j->end || *j->p < '0' || *j->p > '9') return jfail(j, "expected a non-negative integer");
  *v = 0;
  while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
    if (*v > ((uint64_t)INT64_MAX - 9) / 10) return jfail(j, "integer too large");
    *v = *v * 10 + (uint64_t)(*j->p++ - '0');
  }
  if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E'))
    return jfail(j, "expected an integer");
  return TFCKPT_OK;
}
/* Skips any JSON value (unknown keys), with a depth limit. */
static int jskip(jp *j, int depth) {
  jws(j);
  if (depth > 64) return jfail(j, "nesting too deep");
  if (j->p >= j->end) return jfail(j, "unexpected end");
  char c = *j->p;
  if (c == '"') {
    char *s;
    int rc = jstr(j, &s);
    free(s);
    return rc;
  }
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    j->p++;
    if (jeat(j, close)) return TFCKPT_OK;
    for (;;) {
      if (c == '{') {
        char *k;
        int rc = jstr(j, &k);
        free(k);
        if (rc) return rc;
        if (!jeat(j, ':')) return jfail(j, "expected ':'");
      }
      int rc = jskip(j, depth + 1);
      if (rc) return rc;
      if (jeat(j, close)) return TFCKPT_OK;
      if (!jeat(j, ',')) return jfail(j, "expected ','");
    }
  }
  const char *s = j->p;
  while (j->p < j->end && (strchr("+-.eE", *j->p) || (*j->p >= '0' && *j->p <= '9') ||
                           (*j->p >= 'a' && *j->p <= 'z')))
    j->p++;
  if (j->p == s) return jfail(j, "unexpected character");
  return TFCKPT_OK;
}

static int parse_tensor(jp *j, cv_st_entry *e) {
  int have_dtype = 0, have_shape = 0, have_off = 0;
  if (!jeat(j, '{')) return jfail(j, "expected a tensor object");
  if (jeat(j, '}')) goto check;
  for (;;) {
    char *key;
    int rc = jstr(j, &key);
    if (rc) return rc;
    if (!jeat(j, ':')) {
      free(key);
      return jfail(j, "expected ':'");
    }
    if (!strcmp(key, "dtype")) {
      char *d;
      free(key);
      if ((rc = jstr(j, &d))) return rc;
      e->dtype = cv_st_dtype_from_name(d, strlen(d));
      if (e->dtype == TFCKPT_INVALID) {
        rc = tfckpt__seterr(j->err, TFCKPT_EUNSUPPORTED,
                           "safetensors header: tensor \"%s\": unknown dtype \"%s\"", e->name, d);
        free(d);
        return rc;
      }
      free(d);
      have_dtype = 1;
    } else if (!strcmp(key, "shape")) {
      free(key);
      if (!jeat(j, '[')) return jfail(j, "expected a shape array");
      int64_t shape[TFCKPT_MAX_RANK];
      int rank = 0;
      if (!jeat(j, ']'))
        for (;;) {
          uint64_t v;
          if ((rc = juint(j, &v))) return rc;
          if (rank >= TFCKPT_MAX_RANK) return jfail(j, "shape has too many dimensions");
          shape[rank++] = (int64_t)v;
          if (jeat(j, ']')) break;
          if (!jeat(j, ',')) return jfail(j, "expected ',' in shape");
        }
      free(e->dims); /* a repeated "shape" key: the last one counts */
      e->dims = NULL;
      e->rank = rank;
      if (rank && !(e->dims = malloc((size_t)rank * sizeof *e->dims)))
        return tfckpt__seterr(j->err, TFCKPT_ENOMEM, "out of memory");
      if (rank) memcpy(e->dims, shape, (size_t)rank * sizeof *shape);
      have_shape = 1;
    } else if (!strcmp(key, "data_offsets")) {
      free(key);
      if (!jeat(j, '[') || (rc = juint(j, &e->begin)) || !jeat(j, ',') ||
          (rc = juint(j, &e->end)) || !jeat(j, ']'))
        return rc ? rc : jfail(j, "data_offsets must be [begin, end]");
      have_off = 1;
    } else {
      free(key);
      if ((rc = jskip(j, 1))) return rc;
    }
    if (jeat(j, '}')) break;
    if (!jeat(j, ',')) return jfail(j, "expected ',' in tensor object");
  }
check:
  if (!have_dtype || !have_shape || !have_off)
    return tfckpt__seterr(j->err, TFCKPT_ECORRUPT,
                         "safetensors header: tensor \"%s\" lacks dtype, shape or data_offsets",
                         e->name);
  return TFCKPT_OK;
}

static int by_offset(const void *a, const void *b) {
  const cv_st_entry *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}
static int by_name(const void *a, const void *b) {
  return strcmp((*(const cv_st_entry *const *)a)->name, (*(const cv_st_entry *const *)b)->name);
}

void cv_st_free(cv_st_entry *e, size_t count, char **meta, size_t nmeta) {
  for (size_t i = 0; i < count; i++) {
    free(e[i].name);
    free(e[i].dims);
  }
  free(e);
  for (size_t i = 0; i < 2 * nmeta; i++) free(meta[i]);
  free(meta);
}

int cv_st_parse_header(const uint8_t *json, size_t n, uint64_t data_len, cv_st_entry **entries,
                       size_t *count, char ***meta, size_t *nmeta, tfckpt__err *err) {
  jp j = {(const char *)json, (const char *)json + n, (const char *)json, err};
  cv_st_entry *e = NULL;
  size_t ne = 0, cap = 0, nm = 0, mcap = 0;
  char **m = NULL;
  int rc = TFCKPT_OK, have_meta = 0;
  *entries = NULL;
  *count = 0;
  *meta = NULL;
  *nmeta = 0;
  if (n == 0 || json[0] != '{') return jfail(&j, "must start with '{'");
  j.p++;
  if (jeat(&j, '}')) goto done_obj;
  for (;;) {
    char *key;
    if ((rc = jstr(&j, &key))) goto fail;
    if (!jeat(&j, ':')) {
      free(key);
      rc = jfail(&j, "expected ':'");
      goto fail;
    }
    if (!strcmp(key, "__metadata__")) {
      free(key);
      if (have_meta) {
        rc = jfail(&j, "duplicate __metadata__");
        goto fail;
      }
      have_meta = 1;
      if (!jeat(&j, '{')) {
        rc = jfail(&j, "__metadata__ must be an object of strings");
        goto fail;
      }
      if (!jeat(&j, '}'))
        for (;;) {
          if (nm * 2 + 2 > mcap) {
            size_t nc = mcap ? mcap * 2 : 8;
            char **q = realloc(m, nc * sizeof *q);
            if (!q) {
              rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
              goto fail;
            }
            m = q;
            mcap = nc;
          }
          m[2 * nm] = m[2 * nm + 1] = NULL;
          nm++;
          if ((rc = jstr(&j, &m[2 * nm - 2]))) goto fail;
          if (!jeat(&j, ':')) {
            rc = jfail(&j, "expected ':'");
            goto fail;
          }
          jws(&j);
          if (j.p < j.end && *j.p != '"') {
            rc = jfail(&j, "__metadata__ values must be strings");
            goto fail;
          }
          if ((rc = jstr(&j, &m[2 * nm - 1]))) goto fail;
          if (jeat(&j, '}')) break;
          if (!jeat(&j, ',')) {
            rc = jfail(&j, "expected ','");
            goto fail;
          }
        }
    } else {
      if (ne == cap) {
        size_t nc = cap ? cap * 2 : 16;
        cv_st_entry *q = realloc(e, nc * sizeof *q);
        if (!q) {
          free(key);
          rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
          goto fail;
        }
        e = q;
        cap = nc;
      }
      memset(&e[ne], 0, sizeof e[ne]);
      e[ne].name = key;
      ne++;
      if ((rc = parse_tensor(&j, &e[ne - 1]))) goto fail;
    }
    if (jeat(&j, '}')) break;
    if (!jeat(&j, ',')) {
      rc = jfail(&j, "expected ',' or '}'");
      goto fail;
    }
  }
done_obj:
  while (j.p < j.end && *j.p == ' ') j.p++;
  if (j.p != j.end) {
    rc = jfail(&j, "trailing bytes after the JSON object (only space padding is allowed)");
    goto fail;
  }
  /* names unique */
  if (ne > 1) {
    cv_st_entry **idx = malloc(ne * sizeof *idx);
    if (!idx) {
      rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
      goto fail;
    }
    for (size_t i = 0; i < ne; i++) idx[i] = &e[i];
    qsort(idx, ne, sizeof *idx, by_name);
    for (size_t i = 1; i < ne; i++)
      if (!strcmp(idx[i]->name, idx[i - 1]->name)) {
        rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "safetensors header: duplicate tensor \"%s\"",
                           idx[i]->name);
        free(idx);
        goto fail;
      }
    free(idx);
  }
  if (ne) qsort(e, ne, sizeof *e, by_offset); /* e is NULL for an empty header "{}" */
  uint64_t at = 0;
  for (size_t i = 0; i < ne; i++) {
    uint64_t nel = 1, es = tfckpt_dtype_size(e[i].dtype);
    for (int d = 0; d < e[i].rank; d++) {
      uint64_t v = (uint64_t)e[i].dims[d];
      if (v && nel > UINT64_MAX / v) nel = UINT64_MAX;
      else nel *= v;
    }
    if (e[i].end < e[i].begin) {
      rc = tfckpt__seterr(err, TFCKPT_ECORRUPT,
                         "safetensors header: tensor \"%s\": data_offsets [%llu, %llu] end before "
                         "they begin",
                         e[i].name, (unsigned long long)e[i].begin, (unsigned long long)e[i].end);
      goto fail;
    }
    if (nel > UINT64_MAX / es || nel * es != e[i].end - e[i].begin) {
      rc = tfckpt__seterr(err, TFCKPT_ECORRUPT,
                         "safetensors header: tensor \"%s\": shape and dtype need %s bytes but "
                         "data_offsets cover %llu",
                         e[i].name, nel > UINT64_MAX / es ? "more than 2^64" : "a different number of",
                         (unsigned long long)(e[i].end - e[i].begin));
      goto fail;
    }
    if (e[i].begin != at) {
      rc = tfckpt__seterr(err, TFCKPT_ECORRUPT,
                         "safetensors header: tensor \"%s\" starts at %llu, expected %llu (byte "
                         "ranges must tile the data without holes or overlaps)",
                         e[i].name, (unsigned long long)e[i].begin, (unsigned long long)at);
      goto fail;
    }
    if (e[i].end > data_len) {
      rc = tfckpt__seterr(err, TFCKPT_ECORRUPT,
                         "safetensors header: tensor \"%s\" ends at %llu, past the %llu data bytes "
                         "in the file",
                         e[i].name, (unsigned long long)e[i].end, (unsigned long long)data_len);
      goto fail;
    }
    at = e[i].end;
  }
  if (at != data_len) {
    rc = tfckpt__seterr(err, TFCKPT_ECORRUPT,
                       "safetensors header: tensors cover %llu bytes but the file holds %llu data "
                       "bytes",
                       (unsigned long long)at, (unsigned long long)data_len);
    goto fail;
  }
  *entries = e;
  *count = ne;
  *meta = m;
  *nmeta = nm;
  return TFCKPT_OK;
fail:
  cv_st_free(e, ne, m, nm);
  return rc;
}
