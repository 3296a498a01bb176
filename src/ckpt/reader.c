/* The public reader: open, list, look up, read (assembling partitioned
 * variables), verify.  Format details live in the backends. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/reader_impl.h"
#include "core/strutil.h"

void ckpt_var_free(ckpt_var *v) {
  for (int i = 0; i < v->nparts; i++) {
    ckpt_part *p = &v->parts[i];
    tfckpt__slice_free(&p->extent);
    free(p->dims);
    free(p->backend);
  }
  free(v->parts);
  free(v->dims);
  free(v->name);
  memset(v, 0, sizeof *v);
}

static int var_cmp(const void *a, const void *b) {
  return strcmp(((const ckpt_var *)a)->name, ((const ckpt_var *)b)->name);
}

void ckpt_sort_vars(tfckpt_reader *r) {
  if (r->nvars > 1) qsort(r->vars, r->nvars, sizeof *r->vars, var_cmp);
}

int tfckpt_reader_open(const char *path, tfckpt_reader **out) {
  tfckpt_reader *r = calloc(1, sizeof *r);
  *out = r;
  if (!r) return TFCKPT_ENOMEM;
  pthread_mutex_init(&r->lock, NULL);
  ckpt_location loc;
  int rc = ckpt_resolve(path, &loc, CKPT_ERR(r));
  if (rc) return rc;
  r->format = loc.format;
  if (loc.format == TFCKPT_CKPT_V2) {
    rc = ckpt_open_bundle(r, loc.prefix);
  } else {
    rc = ckpt_open_v1(r, loc.prefix, loc.files, loc.nfiles);
    loc.files = NULL; /* owned by the backend now */
    loc.nfiles = 0;
  }
  if (rc == TFCKPT_OK) {
    r->prefix = loc.prefix;
    loc.prefix = NULL;
  }
  ckpt_location_free(&loc);
  r->opened = 1;
  return rc;
}

void tfckpt_reader_close(tfckpt_reader *r) {
  if (!r) return;
  if (r->backend && r->backend->close) r->backend->close(r);
  for (size_t i = 0; i < r->nvars; i++) ckpt_var_free(&r->vars[i]);
  free(r->vars);
  free(r->prefix);
  pthread_mutex_destroy(&r->lock);
  free(r);
}

const char *tfckpt_reader_errmsg(const tfckpt_reader *r) {
  return r ? tfckpt__err_text_for(&r->err) : "out of memory";
}

const char *tfckpt_reader_prefix(const tfckpt_reader *r) { return r->prefix ? r->prefix : ""; }
tfckpt_ckpt_format tfckpt_reader_format(const tfckpt_reader *r) { return r->format; }
int tfckpt_reader_num_shards(const tfckpt_reader *r) { return r->num_shards; }
int64_t tfckpt_reader_num_variables(const tfckpt_reader *r) { return (int64_t)r->nvars; }

int64_t tfckpt_reader_data_bytes(const tfckpt_reader *r) {
  return r->backend && r->backend->data_bytes ? r->backend->data_bytes(r) : 0;
}

int tfckpt_reader_var(const tfckpt_reader *r, int64_t i, tfckpt_var_info *out) {
  if (i < 0 || (size_t)i >= r->nvars) return TFCKPT_EINVAL;
  const ckpt_var *v = &r->vars[i];
  out->name = v->name;
  out->dtype = v->dtype;
  out->rank = v->rank;
  out->dims = v->dims;
  out->num_elements = v->num_elements;
  out->nbytes = v->nbytes;
  out->num_slices = v->partitioned ? v->nparts : 0;
  out->shard = !v->partitioned && v->nparts == 1 && r->format == TFCKPT_CKPT_V2 ? v->parts[0].shard : -1;
  out->offset = out->shard >= 0 ? v->parts[0].offset : -1;
  return TFCKPT_OK;
}

int64_t tfckpt_reader_find(const tfckpt_reader *r, const char *name) {
  return tfckpt__find_sorted_name(r->vars, r->nvars, sizeof *r->vars, offsetof(ckpt_var, name),
                                 name);
}

int tfckpt_reader_has_tensor(const tfckpt_reader *r, const char *name) {
  return tfckpt_reader_find(r, name) >= 0;
}

/* Levenshtein distance, capped for long strings to stay cheap. */
static size_t edit_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 256) n = 256;
  if (m > 256) m = 256;
  size_t prev[257], cur[257];
  for (size_t j = 0; j <= m; j++) prev[j] = j;
  for (size_t i = 1; i <= n; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= m; j++) {
      size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
      size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
    memcpy(prev, cur, (m + 1) * sizeof *prev);
  }
  return prev[m];
}

int tfckpt_reader_suggest(const tfckpt_reader *r, const char *name, const char **out, int max) {
  if (max <= 0) return 0;
  size_t best_d[16];
  if (max > 16) max = 16;
  int n = 0;
  size_t limit = strlen(name) / 2 + 3;
  for (size_t i = 0; i < r->nvars; i++) {
    const char *cand = r->vars[i].name;
    size_t d = edit_distance(name, cand);
    /* a name that contains the query, or ends like it, is a good hint too */
    if (strstr(cand, name)) d = d < 2 ? d : 2;
    if (d > limit) continue;
    int pos = n;
    while (pos > 0 && best_d[pos - 1] > d) pos--;
    if (pos >= max) continue;
    int last = n < max ? n : max - 1;
    for (int k = last; k > pos; k--) {
      best_d[k] = best_d[k - 1];
      out[k] = out[k - 1];
    }
    best_d[pos] = d;
    out[pos] = cand;
    if (n < max) n++;
  }
  return n;
}

void ckpt_byteswap(void *data, size_t nbytes, tfckpt_dtype dtype) {
  size_t es = tfckpt_dtype_size(dtype);
  if (dtype == TFCKPT_COMPLEX64) es = 4;
  if (dtype == TFCKPT_COMPLEX128) es = 8;
  uint8_t *p = data;
  if (es == 2)
    for (size_t i = 0; i + 2 <= nbytes; i += 2) {
      uint16_t v;
      memcpy(&v, p + i, 2);
      v = __builtin_bswap16(v);
      memcpy(p + i, &v, 2);
    }
  else if (es == 4)
    for (size_t i = 0; i + 4 <= nbytes; i += 4) {
      uint32_t v;
      memcpy(&v, p + i, 4);
      v = __builtin_bswap32(v);
      memcpy(p + i, &v, 4);
    }
  else if (es == 8)
    for (size_t i = 0; i + 8 <= nbytes; i += 8) {
      uint64_t v;
      memcpy(&v, p + i, 8);
      v = __builtin_bswap64(v);
      memcpy(p + i, &v, 8);
    }
}

/* Copies a part (row-major, shape p->dims) to its extent within the full
 * variable at dst (shape v->dims). */
static void copy_part(uint8_t *dst, const ckpt_var *v, const ckpt_part *p, const uint8_t *s) {
  size_t es = tfckpt_dtype_size(v->dtype);
  int rank = v->rank;
  if (p->num_elements == 0) return;
  if (rank == 0) {
    memcpy(dst, s, es);
    return;
  }
  int64_t idx[TFCKPT_MAX_RANK] = {0};
  int64_t start[TFCKPT_MAX_RANK];
  for (int d = 0; d < rank; d++) start[d] = p->extent.length[d] == -1 ? 0 : p->extent.start[d];
  size_t run = (size_t)p->dims[rank - 1] * es;
  for (;;) {
    int64_t off = 0;
    for (int d = 0; d < rank; d++) off = off * v->dims[d] + start[d] + idx[d];
    memcpy(dst + (size_t)off * es, s, run);
    s += run;
    int d = rank - 2;
    while (d >= 0) {
      if (++idx[d] < p->dims[d]) break;
      idx[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
}

/* A V2 partitioned variable only partly saved cannot be read whole (TF:
 * "Does not have sufficient slices for partitioned tensor"); its slices can. */
static int check_complete(tfckpt_reader *r, const ckpt_var *v) {
  if (!v->partitioned || r->format != TFCKPT_CKPT_V2 || v->covered >= v->num_elements)
    return TFCKPT_OK;
  return tfckpt__seterr(CKPT_ERR(r), TFCKPT_EDATA,
                       "%s: partitioned variable \"%s\": its saved slices cover only %lld of "
                       "%lld elements, so it cannot be read whole",
                       tfckpt_reader_prefix(r), v->name, (long long)v->covered,
                       (long long)v->num_elements);
}

/* Byte offset of part p within its variable when the part is one
 * contiguous run there (it splits only the first dimension), else -1. */
static int64_t contiguous_offset(const ckpt_var *v, const ckpt_part *p) {
  int64_t row = (int64_t)tfckpt_dtype_size(v->dtype);
  for (int d = 1; d < v->rank; d++) {
    if (p->dims[d] != v->dims[d]) return -1;
    row *= v->dims[d];
  }
  if (v->rank == 0) return 0;
  int64_t start = p->extent.length[0] == -1 ? 0 : p->extent.start[0];
  return start * row;
}

/* A fixed-size variable's values into dst (v->nbytes... of host-order
 * elements): each part is read where it belongs when it is contiguous
 * there, else through one temporary. */
static int read_var_into(tfckpt_reader *r, const ckpt_var *v, uint8_t *dst) {
  for (int k = 0; k < v->nparts; k++) {
    const ckpt_part *p = &v->parts[k];
    int64_t off = p->whole ? 0 : contiguous_offset(v, p);
    if (off >= 0 && r->backend->read_into) {
      int rc = r->backend->read_into(r, v, p, dst + off);
      if (rc) return rc;
      continue;
    }
    tfckpt_tensor *part;
    int rc = r->backend->read_part(r, v, p, CKPT_CHECK, &part);
    if (rc) return rc;
    if (p->whole) memcpy(dst, part->data, part->nbytes);
    else copy_part(dst, v, p, part->data);
    tfckpt_tensor_free(part);
  }
  return TFCKPT_OK;
}

static int read_var(tfckpt_reader *r, int64_t i, int flags, tfckpt_tensor **out) {
  *out = NULL;
  if (i < 0 || (size_t)i >= r->nvars)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_EINVAL, "variable index %lld out of range", (long long)i);
  const ckpt_var *v = &r->vars[i];
  if (!v->partitioned && v->nparts == 1) return r->backend->read_part(r, v, &v->parts[0], flags, out);
  int incomplete = check_complete(r, v);
  if (incomplete) return incomplete;
  if (!tfckpt_dtype_size(v->dtype))
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_EUNSUPPORTED,
                         "%s: partitioned %s variables cannot be assembled", v->name,
                         tfckpt_dtype_name(v->dtype));
  tfckpt_tensor *full;
  int rc = tfckpt_tensor_new(v->dtype, v->rank, v->dims, &full);
  if (rc) return tfckpt__seterr(CKPT_ERR(r), rc, "%s: cannot allocate %lld elements", v->name,
                               (long long)v->num_elements);
  rc = read_var_into(r, v, full->data);
  if (rc) {
    tfckpt_tensor_free(full);
    return rc;
  }
  *out = full;
  return TFCKPT_OK;
}

int tfckpt_reader_get_tensor_at(tfckpt_reader *r, int64_t i, tfckpt_tensor **out) {
  return read_var(r, i, CKPT_CHECK, out);
}

/* The variable called `name`, or -1 with a "did you mean" message. */
static int64_t find_or_explain(tfckpt_reader *r, const char *name) {
  int64_t i = tfckpt_reader_find(r, name);
  if (i < 0) {
    const char *s[3];
    int n = tfckpt_reader_suggest(r, name, s, 3);
    if (n == 0) {
      tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOTFOUND, "%s: no variable named \"%s\"",
                     tfckpt_reader_prefix(r), name);
      return -1;
    }
    char hint[600] = "";
    size_t len = 0;
    for (int k = 0; k < n; k++) {
      int w = snprintf(hint + len, sizeof hint - len, "%s\"%.150s\"", k ? ", " : "", s[k]);
      if (w > 0 && (size_t)w < sizeof hint - len) len += (size_t)w;
    }
    tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOTFOUND, "%s: no variable named \"%s\"; did you mean %s?",
                   tfckpt_reader_prefix(r), name, hint);
  }
  return i;
}

int tfckpt_reader_get_tensor(tfckpt_reader *r, const char *name, tfckpt_tensor **out) {
  *out = NULL;
  int64_t i = find_or_explain(r, name);
  return i < 0 ? TFCKPT_ENOTFOUND : read_var(r, i, CKPT_CHECK, out);
}

int tfckpt_reader_get_view(tfckpt_reader *r, const char *name, tfckpt_tensor **out) {
  *out = NULL;
  int64_t i = find_or_explain(r, name);
  return i < 0 ? TFCKPT_ENOTFOUND : read_var(r, i, CKPT_CHECK | CKPT_VIEW, out);
}

int tfckpt_reader_read_into(tfckpt_reader *r, const char *name, void *buf, size_t cap) {
  int64_t i = find_or_explain(r, name);
  if (i < 0) return TFCKPT_ENOTFOUND;
  const ckpt_var *v = &r->vars[i];
  size_t es = tfckpt_dtype_size(v->dtype);
  if (!es)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_EINVAL, "%s: %s tensors cannot be read into a buffer",
                         name, tfckpt_dtype_name(v->dtype));
  if ((uint64_t)v->num_elements > SIZE_MAX / es || cap < (size_t)v->num_elements * es)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ERANGE, "%s: buffer of %zu bytes, %lld needed", name,
                         cap, (long long)v->num_elements * (long long)es);
  int incomplete = check_complete(r, v);
  if (incomplete) return incomplete;
  return read_var_into(r, v, buf);
}

int tfckpt_reader_verify(tfckpt_reader *r, int64_t i) {
  if (i < 0 || (size_t)i >= r->nvars)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_EINVAL, "variable index %lld out of range", (long long)i);
  const ckpt_var *v = &r->vars[i];
  for (int k = 0; k < v->nparts; k++) {
    int rc;
    if (r->backend->verify_part) {
      rc = r->backend->verify_part(r, v, &v->parts[k]);
    } else {
      tfckpt_tensor *part;
      rc = r->backend->read_part(r, v, &v->parts[k], CKPT_CHECK, &part);
      tfckpt_tensor_free(part);
    }
    if (rc) return rc;
  }
  return check_complete(r, v);
}

int tfckpt_reader_slice(const tfckpt_reader *r, int64_t i, int k, tfckpt_slice_info *out) {
  if (i < 0 || (size_t)i >= r->nvars) return TFCKPT_EINVAL;
  const ckpt_var *v = &r->vars[i];
  if (!v->partitioned || k < 0 || k >= v->nparts) return TFCKPT_EINVAL;
  const ckpt_part *p = &v->parts[k];
  out->rank = p->extent.rank;
  out->start = p->extent.start;
  out->length = p->extent.length;
  out->dims = p->dims;
  out->shard = r->format == TFCKPT_CKPT_V2 ? p->shard : -1;
  out->offset = r->format == TFCKPT_CKPT_V2 ? p->offset : -1;
  return TFCKPT_OK;
}

int tfckpt_reader_get_slice_tensor(tfckpt_reader *r, int64_t i, int k, tfckpt_tensor **out) {
  *out = NULL;
  if (i < 0 || (size_t)i >= r->nvars)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_EINVAL, "variable index %lld out of range", (long long)i);
  const ckpt_var *v = &r->vars[i];
  if (k < 0 || k >= v->nparts)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_EINVAL, "%s: no slice %d", v->name, k);
  return r->backend->read_part(r, v, &v->parts[k], CKPT_CHECK, out);
}

int tfckpt_reader_parent_shard(const tfckpt_reader *r, int64_t i) {
  if (i < 0 || (size_t)i >= r->nvars || !r->vars[i].partitioned) return 0;
  return r->vars[i].parent_shard;
}
