/* safetensors headers: an 8-byte little-endian length N, then N bytes of JSON
 * {"__metadata__": {str: str}, "name": {"dtype": "F32", "shape": [..],
 * "data_offsets": [begin, end]}, ...}, then the data block.  The rules
 * checked here are the reference implementation's: the header starts with
 * '{', may be padded with spaces, names are unique, and the byte ranges tile
 * the data block exactly (no holes, no overlaps). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "convert/internal.h"
#include "tfckpt/internal/json.h"

static const struct {
  const char *name;
  tfckpt_dtype dtype;
} kSt[] = {
    {"F64", TFCKPT_DOUBLE},  {"F32", TFCKPT_FLOAT},   {"F16", TFCKPT_HALF},
    {"BF16", TFCKPT_BFLOAT16}, {"I64", TFCKPT_INT64},  {"I32", TFCKPT_INT32},
    {"I16", TFCKPT_INT16},   {"I8", TFCKPT_INT8},     {"U64", TFCKPT_UINT64},
    {"U32", TFCKPT_UINT32},  {"U16", TFCKPT_UINT16},  {"U8", TFCKPT_UINT8},
    {"BOOL", TFCKPT_BOOL},   {"F8_E5M2", TFCKPT_FLOAT8_E5M2}, {"F8_E4M3", TFCKPT_FLOAT8_E4M3FN},
};

const char *cv_st_dtype_name(tfckpt_dtype dtype) {
  for (size_t i = 0; i < sizeof kSt / sizeof kSt[0]; i++)
    if (kSt[i].dtype == dtype) return kSt[i].name;
  return NULL;
}

int cv_st_dtype_from_name(const char *s, size_t n) {
  for (size_t i = 0; i < sizeof kSt / sizeof kSt[0]; i++)
    if (strlen(kSt[i].name) == n && !memcmp(kSt[i].name, s, n)) return kSt[i].dtype;
  return TFCKPT_INVALID;
}

/* ---- writing ------------------------------------------------------------- */

static void sb_str(tfckpt__buf *b, const char *s) { tfckpt__buf_append(b, s, strlen(s)); }
static void sb_json(tfckpt__buf *b, const char *s) { tfckpt__json_put_str(b, s, strlen(s)); }

char *cv_st_format_header(const cv_st_entry *e, size_t count, char *const *meta, size_t nmeta,
                          size_t *len, tfckpt__err *err) {
  tfckpt__buf b = {0};
  sb_str(&b, "{");
  int first = 1;
  if (nmeta) {
    sb_str(&b, "\"__metadata__\":{");
    for (size_t i = 0; i < nmeta; i++) {
      for (int k = 0; k < 2; k++)
        if (!tfckpt__utf8_valid(meta[2 * i + k], strlen(meta[2 * i + k]))) {
          tfckpt__buf_free(&b);
          tfckpt__seterr(err, TFCKPT_EINVAL, "metadata \"%s\" is not valid UTF-8", meta[2 * i]);
          return NULL;
        }
      if (i) sb_str(&b, ",");
      sb_json(&b, meta[2 * i]);
      sb_str(&b, ":");
      sb_json(&b, meta[2 * i + 1]);
    }
    sb_str(&b, "}");
    first = 0;
  }
  for (size_t i = 0; i < count; i++) {
    char num[48];
    if (!first) sb_str(&b, ",");
    first = 0;
    sb_json(&b, e[i].name);
    sb_str(&b, ":{\"dtype\":\"");
    sb_str(&b, cv_st_dtype_name(e[i].dtype));
    sb_str(&b, "\",\"shape\":[");
    for (int d = 0; d < e[i].rank; d++) {
      snprintf(num, sizeof num, "%s%lld", d ? "," : "", (long long)e[i].dims[d]);
      sb_str(&b, num);
    }
    snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)e[i].begin,
             (unsigned long long)e[i].end);
    sb_str(&b, num);
  }
  sb_str(&b, "}");
  while (!b.oom && b.len % 8) sb_str(&b, " "); /* 8-aligned data, as the reference writer does */
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
  return (char *)b.data;
}

/* ---- parsing --------------------------------------------------------------- */

/* Byte offsets in messages count from the start of the file: the JSON
 * follows the 8-byte length. */
#define ST_BASE 8

static int st_fail(tfckpt__json_reader *j, const tfckpt__json_token *t, const char *what) {
  return tfckpt__json_fail(j, t->off, what);
}

/* A string token as a malloc'd C string; names and metadata may not hold NUL. */
static int st_strdup(tfckpt__json_reader *j, const tfckpt__json_token *t, char **out) {
  if (strlen(t->str) != t->len) return st_fail(j, t, "string holds NUL");
  if (!(*out = strdup(t->str))) return tfckpt__seterr(j->err, TFCKPT_ENOMEM, "out of memory");
  return TFCKPT_OK;
}

/* Offsets and dimensions: exact integers up to INT64_MAX. */
static int st_uint(tfckpt__json_reader *j, const tfckpt__json_token *t, uint64_t *v) {
  if (t->type != TFCKPT__JSON_NUMBER || t->num.d < 0 || signbit(t->num.d))
    return st_fail(j, t, "expected a non-negative integer");
  if (!(t->num.flags & TFCKPT__JSON_U64))
    return st_fail(j, t, t->num.d >= 9.2e18 ? "integer too large" : "expected an integer");
  if (t->num.u > (uint64_t)INT64_MAX) return st_fail(j, t, "integer too large");
  *v = t->num.u;
  return TFCKPT_OK;
}

static int key_is(const tfckpt__json_token *t, const char *k) {
  return t->len == strlen(k) && !memcmp(t->str, k, t->len);
}

static int parse_tensor(tfckpt__json_reader *j, cv_st_entry *e) {
  int have_dtype = 0, have_shape = 0, have_off = 0, rc;
  tfckpt__json_token t;
  if ((rc = tfckpt__json_next(j, &t))) return rc;
  if (t.type != TFCKPT__JSON_OBJECT_BEGIN) return st_fail(j, &t, "expected a tensor object");
  for (;;) {
    if ((rc = tfckpt__json_next(j, &t))) return rc;
    if (t.type == TFCKPT__JSON_OBJECT_END) break;
    /* the reader only yields keys here */
    if (key_is(&t, "dtype")) {
      if (have_dtype) return st_fail(j, &t, "duplicate \"dtype\"");
      if ((rc = tfckpt__json_next(j, &t))) return rc;
      if (t.type != TFCKPT__JSON_STRING) return st_fail(j, &t, "expected a string");
      e->dtype = cv_st_dtype_from_name(t.str, t.len);
      if (e->dtype == TFCKPT_INVALID)
        return tfckpt__seterr(j->err, TFCKPT_EUNSUPPORTED,
                              "safetensors header: tensor \"%s\": unknown dtype \"%s\"", e->name, t.str);
      have_dtype = 1;
    } else if (key_is(&t, "shape")) {
      if (have_shape) return st_fail(j, &t, "duplicate \"shape\"");
      if ((rc = tfckpt__json_next(j, &t))) return rc;
      if (t.type != TFCKPT__JSON_ARRAY_BEGIN) return st_fail(j, &t, "expected a shape array");
      /* dims live on the heap, sized by the rank: a header may list very
       * many tensors */
      int64_t shape[TFCKPT_MAX_RANK];
      int rank = 0;
      for (;;) {
        uint64_t v;
        if ((rc = tfckpt__json_next(j, &t))) return rc;
        if (t.type == TFCKPT__JSON_ARRAY_END) break;
        if ((rc = st_uint(j, &t, &v))) return rc;
        if (rank >= TFCKPT_MAX_RANK) return st_fail(j, &t, "shape has too many dimensions");
        shape[rank++] = (int64_t)v;
      }
      e->rank = rank;
      if (rank && !(e->dims = malloc((size_t)rank * sizeof *e->dims)))
        return tfckpt__seterr(j->err, TFCKPT_ENOMEM, "out of memory");
      if (rank) memcpy(e->dims, shape, (size_t)rank * sizeof *shape);
      have_shape = 1;
    } else if (key_is(&t, "data_offsets")) {
      if (have_off) return st_fail(j, &t, "duplicate \"data_offsets\"");
      tfckpt__json_token a;
      if ((rc = tfckpt__json_next(j, &a))) return rc;
      if (a.type != TFCKPT__JSON_ARRAY_BEGIN) return st_fail(j, &a, "data_offsets must be [begin, end]");
      for (int k = 0; k < 2; k++) {
        if ((rc = tfckpt__json_next(j, &a))) return rc;
        if (a.type == TFCKPT__JSON_ARRAY_END) return st_fail(j, &a, "data_offsets must be [begin, end]");
        if ((rc = st_uint(j, &a, k ? &e->end : &e->begin))) return rc;
      }
      if ((rc = tfckpt__json_next(j, &a))) return rc;
      if (a.type != TFCKPT__JSON_ARRAY_END) return st_fail(j, &a, "data_offsets must be [begin, end]");
      have_off = 1;
    } else {
      if ((rc = tfckpt__json_next(j, &t)) || (rc = tfckpt__json_skip(j, &t))) return rc;
    }
  }
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
  tfckpt__json_reader j;
  tfckpt__json_token t;
  cv_st_entry *e = NULL;
  size_t ne = 0, cap = 0, nm = 0, mcap = 0;
  char **m = NULL;
  int rc = TFCKPT_OK, have_meta = 0;
  *entries = NULL;
  *count = 0;
  *meta = NULL;
  *nmeta = 0;
  /* The reference format allows only spaces after the object; JSON would
   * also allow tabs and newlines, so the reader sees the text without the
   * padding and must end exactly at the closing brace. */
  size_t len = n;
  while (len && json[len - 1] == ' ') len--;
  tfckpt__json_reader_init(&j, (const char *)json, len, "safetensors header", ST_BASE, err);
  if (n == 0 || json[0] != '{') {
    rc = tfckpt__json_fail(&j, 0, "must start with '{'");
    goto fail;
  }
  if ((rc = tfckpt__json_next(&j, &t))) goto fail;
  for (;;) {
    if ((rc = tfckpt__json_next(&j, &t))) goto fail;
    if (t.type == TFCKPT__JSON_OBJECT_END) break;
    if (key_is(&t, "__metadata__")) {
      if (have_meta) {
        rc = st_fail(&j, &t, "duplicate __metadata__");
        goto fail;
      }
      have_meta = 1;
      if ((rc = tfckpt__json_next(&j, &t))) goto fail;
      if (t.type != TFCKPT__JSON_OBJECT_BEGIN) {
        rc = st_fail(&j, &t, "__metadata__ must be an object of strings");
        goto fail;
      }
      for (;;) {
        if ((rc = tfckpt__json_next(&j, &t))) goto fail;
        if (t.type == TFCKPT__JSON_OBJECT_END) break;
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
        if ((rc = st_strdup(&j, &t, &m[2 * nm - 2]))) goto fail;
        if ((rc = tfckpt__json_next(&j, &t))) goto fail;
        if (t.type != TFCKPT__JSON_STRING) {
          rc = st_fail(&j, &t, "__metadata__ values must be strings");
          goto fail;
        }
        if ((rc = st_strdup(&j, &t, &m[2 * nm - 1]))) goto fail;
      }
    } else {
      if (ne == cap) {
        size_t nc = cap ? cap * 2 : 16;
        cv_st_entry *q = realloc(e, nc * sizeof *q);
        if (!q) {
          rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
          goto fail;
        }
        e = q;
        cap = nc;
      }
      memset(&e[ne], 0, sizeof e[ne]);
      if ((rc = st_strdup(&j, &t, &e[ne].name))) goto fail;
      ne++;
      if ((rc = parse_tensor(&j, &e[ne - 1]))) goto fail;
    }
  }
  if (j.p != j.end) {
    rc = tfckpt__json_fail(&j, (size_t)(j.p - j.start),
                           "trailing bytes after the JSON object (only space padding is allowed)");
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
  tfckpt__json_reader_free(&j);
  *entries = e;
  *count = ne;
  *meta = m;
  *nmeta = nm;
  return TFCKPT_OK;
fail:
  tfckpt__json_reader_free(&j);
  cv_st_free(e, ne, m, nm);
  return rc;
}
