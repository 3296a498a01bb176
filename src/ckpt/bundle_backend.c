/* V2 tensor bundles: prefix.index (a table of BundleEntryProtos) plus data
 * shards prefix.data-NNNNN-of-NNNNN, mapped on first use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/reader_impl.h"
#include "core/crc32c.h"

/* Refuse headers claiming more data files than any real save produces. */
#define MAX_SHARDS 1000000

typedef struct raw_entry {
  uint8_t *key;
  size_t klen;
  tfckpt__bundle_entry e;
} raw_entry;

typedef struct bundle_state {
  char *index_path;
  tfckpt__mapped index;
  int nshards;
  char **shard_paths;
  tfckpt__mapped *shards;
  int *shard_rc; /* 0: not mapped yet, 1: mapped, <0: the error of the attempt */
  int64_t data_bytes_known;
} bundle_state;

typedef struct collect_ctx {
  tfckpt_reader *r;
  bundle_state *s;
  int have_header;
  tfckpt__bundle_header header;
  raw_entry *entries;
  size_t n, cap;
} collect_ctx;

static int collect(void *vctx, const uint8_t *key, size_t klen, const uint8_t *value, size_t vlen) {
  collect_ctx *c = vctx;
  tfckpt_reader *r = c->r;
  if (klen == 0) {
    if (c->have_header)
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT, "%s: two bundle headers", c->s->index_path);
    if (tfckpt__bundle_decode_header(value, vlen, &c->header) != 0)
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT, "%s: malformed BundleHeaderProto",
                           c->s->index_path);
    c->have_header = 1;
    return 0;
  }
  if (!c->have_header)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                         "%s: no bundle header (the first key must be empty): not a V2 index",
                         c->s->index_path);
  if (c->n == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 64;
    raw_entry *ne = realloc(c->entries, ncap * sizeof *ne);
    if (!ne) return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "%s: out of memory", c->s->index_path);
    c->entries = ne;
    c->cap = ncap;
  }
  raw_entry *re = &c->entries[c->n];
  re->key = malloc(klen + 1);
  if (!re->key) return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "%s: out of memory", c->s->index_path);
  memcpy(re->key, key, klen);
  re->key[klen] = '\0';
  re->klen = klen;
  int rc = tfckpt__bundle_decode_entry(value, vlen, &re->e, CKPT_ERR(r));
  if (rc) {
    free(re->key);
    char shown[120];
    snprintf(shown, sizeof shown, "%.*s", (int)(klen > 100 ? 100 : klen), key[0] ? (const char *)key : "<slice key>");
    return tfckpt__err_prefix(CKPT_ERR(r), "%s: entry \"%s\"", c->s->index_path, shown);
  }
  c->n++;
  return 0;
}

static void free_entries(collect_ctx *c) {
  for (size_t i = 0; i < c->n; i++) {
    free(c->entries[i].key);
    tfckpt__bundle_entry_free(&c->entries[i].e);
  }
  free(c->entries);
}

static const char *shown_name(const raw_entry *re) {
  return re->key[0] ? (const char *)re->key : "<slice entry>";
}

/* Checks an entry's dtype/shape/size/location; fills n. */
static int check_entry(tfckpt_reader *r, bundle_state *s, const raw_entry *re, int64_t *n) {
  const tfckpt__bundle_entry *e = &re->e;
  const char *name = shown_name(re);
  if (!tfckpt_dtype_is_valid(e->dtype))
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT, "%s: tensor \"%s\" has invalid dtype %d",
                         s->index_path, name, e->dtype);
  if (e->rank < 0)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT, "%s: tensor \"%s\" has an unknown rank",
                         s->index_path, name);
  *n = tfckpt__num_elements(e->rank, e->dims);
  if (*n < 0)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                         "%s: tensor \"%s\": the product of its dimensions overflows",
                         s->index_path, name);
  if (e->nslices) return TFCKPT_OK; /* a parent owns no data */
  if (e->shard_id >= s->nshards)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                         "%s: tensor \"%s\" is in data file %d, but the bundle has %d",
                         s->index_path, name, e->shard_id, s->nshards);
  if (e->offset > INT64_MAX - e->size)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT, "%s: tensor \"%s\": offset + size overflows",
                         s->index_path, name);
  size_t es = tfckpt_dtype_size(e->dtype);
  if (es) {
    if (*n > INT64_MAX / (int64_t)es || *n * (int64_t)es != e->size)
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                           "%s: tensor \"%s\" stores %lld bytes, but %s with %lld elements "
                           "needs %lld",
                           s->index_path, name, (long long)e->size, tfckpt_dtype_name(e->dtype),
                           (long long)*n,
                           *n > INT64_MAX / (int64_t)es ? -1LL : (long long)(*n * (int64_t)es));
  } else if (e->dtype == TFCKPT_STRING && *n > e->size) {
    /* every element needs at least one length byte */
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                         "%s: string tensor \"%s\" has %lld elements in %lld bytes", s->index_path,
                         name, (long long)*n, (long long)e->size);
  }
  return TFCKPT_OK;
}

static int fill_part_location(ckpt_part *p, const tfckpt__bundle_entry *e) {
  p->shard = e->shard_id;
  p->offset = e->offset;
  p->size = e->size;
  p->masked_crc = e->crc32c;
  return 0;
}

static int copy_dims(int64_t **dst, int rank, const int64_t *src) {
  *dst = malloc((size_t)(rank ? rank : 1) * sizeof **dst);
  if (!*dst) return TFCKPT_ENOMEM;
  if (rank) memcpy(*dst, src, (size_t)rank * sizeof *src);
  return 0;
}

static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  int c = memcmp(a, b, alen < blen ? alen : blen);
  if (c) return c;
  return alen < blen ? -1 : alen > blen;
}

static const raw_entry *find_slice_entry(const collect_ctx *c, size_t nhidden, const uint8_t *key,
                                         size_t klen) {
  size_t lo = 0, hi = nhidden;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int cmp = key_cmp(c->entries[mid].key, c->entries[mid].klen, key, klen);
    if (cmp == 0) return &c->entries[mid];
    if (cmp < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* Builds the parts of a partitioned variable from its parent's slices. */
static int build_partitioned(tfckpt_reader *r, bundle_state *s, const collect_ctx *c,
                             size_t nhidden, const raw_entry *parent, ckpt_var *v) {
  const tfckpt__bundle_entry *pe = &parent->e;
  v->parts = calloc((size_t)pe->nslices, sizeof *v->parts);
  if (!v->parts) return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
  v->partitioned = 1;
  int64_t covered = 0;
  for (int k = 0; k < pe->nslices; k++) {
    const tfckpt__slice *sl = &pe->slices[k];
    ckpt_part *p = &v->parts[k];
    v->nparts = k + 1;
    if (sl->rank != v->rank)
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                           "%s: partitioned variable \"%s\": slice %d has rank %d, variable %d",
                           s->index_path, v->name, k, sl->rank, v->rank);
    p->rank = v->rank;
    if (copy_dims(&p->dims, v->rank, v->dims))
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
    p->extent.rank = sl->rank;
    p->extent.start = malloc((size_t)(sl->rank ? sl->rank : 1) * sizeof(int64_t));
    p->extent.length = malloc((size_t)(sl->rank ? sl->rank : 1) * sizeof(int64_t));
    if (!p->extent.start || !p->extent.length)
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
    for (int d = 0; d < sl->rank; d++) {
      p->extent.start[d] = sl->start[d];
      p->extent.length[d] = sl->length[d];
      if (sl->length[d] == -1) continue;
      if (sl->start[d] > v->dims[d] || sl->length[d] > v->dims[d] - sl->start[d])
        return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                             "%s: partitioned variable \"%s\": slice %d lies outside its shape",
                             s->index_path, v->name, k);
      p->dims[d] = sl->length[d];
    }
    p->num_elements = tfckpt__num_elements(p->rank, p->dims);
    covered += p->num_elements;
    tfckpt__buf key = {0};
    tfckpt__encode_slice_key(&key, v->name, strlen(v->name), sl);
    if (key.oom) return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
    const raw_entry *se = find_slice_entry(c, nhidden, key.data, key.len);
    tfckpt__buf_free(&key);
    if (!se)
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                           "%s: partitioned variable \"%s\": the entry of slice %d is missing",
                           s->index_path, v->name, k);
    int64_t n;
    int rc = check_entry(r, s, se, &n);
    if (rc) return rc;
    if (se->e.dtype != v->dtype || se->e.rank != p->rank ||
        (p->rank && memcmp(se->e.dims, p->dims, (size_t)p->rank * sizeof *p->dims)))
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                           "%s: partitioned variable \"%s\": slice %d's entry has another dtype "
                           "or shape than the slice",
                           s->index_path, v->name, k);
    fill_part_location(p, &se->e);
    v->nbytes += se->e.size;
  }
  /* The slices must tile the variable: same element count and no overlap.
   * The pairwise test is quadratic, so a forged index with a huge number of
   * slices gets only the element-count check. */
  for (int a = 0; a < v->nparts && v->nparts <= 4096; a++)
    for (int b = a + 1; b < v->nparts; b++) {
      int overlap = 1;
      for (int d = 0; d < v->rank && overlap; d++) {
        int64_t as = v->parts[a].extent.length[d] == -1 ? 0 : v->parts[a].extent.start[d];
        int64_t bs = v->parts[b].extent.length[d] == -1 ? 0 : v->parts[b].extent.start[d];
        if (as + v->parts[a].dims[d] <= bs || bs + v->parts[b].dims[d] <= as) overlap = 0;
      }
      if (overlap && v->parts[a].num_elements && v->parts[b].num_elements)
        return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                             "%s: partitioned variable \"%s\": slices %d and %d overlap",
                             s->index_path, v->name, a, b);
    }
  /* Fewer elements than the shape (SaveV2 with a shape_and_slices spec that
   * saves only part of a variable): listed, like TF, and refused when read
   * whole (read_var). More would need an overlap. */
  v->covered = covered;
  if (covered > v->num_elements)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                         "%s: partitioned variable \"%s\": its slices cover %lld of %lld elements",
                         s->index_path, v->name, (long long)covered, (long long)v->num_elements);
  return TFCKPT_OK;
}

static int build_vars(tfckpt_reader *r, bundle_state *s, collect_ctx *c) {
  /* Slice entries ("\0..." keys) sort first; every other key is a variable. */
  size_t nhidden = 0;
  while (nhidden < c->n && c->entries[nhidden].key[0] == '\0') nhidden++;
  size_t nvars = c->n - nhidden;
  r->vars = calloc(nvars ? nvars : 1, sizeof *r->vars);
  if (!r->vars) return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
  for (size_t i = nhidden; i < c->n; i++) {
    raw_entry *re = &c->entries[i];
    if (memchr(re->key, 0, re->klen))
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT, "%s: a tensor name contains a NUL byte",
                           s->index_path);
    int64_t n;
    int rc = check_entry(r, s, re, &n);
    if (rc) return rc;
    ckpt_var *v = &r->vars[r->nvars++];
    v->name = (char *)re->key; /* take ownership */
    re->key = NULL;
    v->dtype = re->e.dtype;
    v->rank = re->e.rank;
    v->dims = re->e.dims;
    re->e.dims = NULL;
    v->num_elements = n;
    if (re->e.nslices) {
      v->parent_shard = re->e.shard_id;
      rc = build_partitioned(r, s, c, nhidden, re, v);
      if (rc) return rc;
    } else {
      v->parts = calloc(1, sizeof *v->parts);
      if (!v->parts) return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
      v->nparts = 1;
      ckpt_part *p = v->parts;
      p->whole = 1;
      p->rank = v->rank;
      if (copy_dims(&p->dims, v->rank, v->dims))
        return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
      p->num_elements = n;
      fill_part_location(p, &re->e);
      v->nbytes = re->e.size;
    }
  }
  return TFCKPT_OK;
}

static void bundle_close(tfckpt_reader *r) {
  bundle_state *s = r->backend_state;
  if (!s) return;
  for (int i = 0; i < s->nshards; i++) {
    if (s->shards && s->shard_rc[i] == 1) tfckpt__mapped_close(&s->shards[i]);
    if (s->shard_paths) free(s->shard_paths[i]);
  }
  free(s->shard_paths);
  free(s->shards);
  free(s->shard_rc);
  tfckpt__mapped_close(&s->index);
  free(s->index_path);
  free(s);
  r->backend_state = NULL;
}

static int map_shard(tfckpt_reader *r, bundle_state *s, int shard, const tfckpt__mapped **out) {
  pthread_mutex_lock(&r->lock);
  int rc = s->shard_rc[shard];
  if (rc == 0) {
    tfckpt__err err = {0, ""};
    rc = tfckpt__map_file(s->shard_paths[shard], &s->shards[shard], &err);
    s->shard_rc[shard] = rc == 0 ? 1 : rc;
    rc = s->shard_rc[shard];
  }
  pthread_mutex_unlock(&r->lock);
  if (rc == 1) {
    *out = &s->shards[shard];
    return TFCKPT_OK;
  }
  if (rc == TFCKPT_ENOTFOUND)
    return tfckpt__seterr(CKPT_ERR(r), rc, "%s: data file missing (shard %d of %d of %s)",
                         s->shard_paths[shard], shard, s->nshards, r->prefix);
  return tfckpt__seterr(CKPT_ERR(r), rc, "%s: cannot open data file: %s", s->shard_paths[shard],
                       tfckpt_errstr(rc));
}

static int bundle_read_part(tfckpt_reader *r, const ckpt_var *v, const ckpt_part *p, int check,
                            tfckpt_tensor **out) {
  bundle_state *s = r->backend_state;
  *out = NULL;
  const tfckpt__mapped *m = NULL;
  int rc = map_shard(r, s, p->shard, &m);
  if (rc) return rc;
  if ((uint64_t)p->offset > m->size || (uint64_t)p->size > m->size - (uint64_t)p->offset)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                         "%s: tensor \"%s\" points past the end of its data file %s (offset %lld "
                         "+ size %lld > %zu bytes)",
                         s->index_path, v->name, s->shard_paths[p->shard], (long long)p->offset,
                         (long long)p->size, m->size);
  const uint8_t *data = m->data ? m->data + p->offset : (const uint8_t *)"";
  size_t size = (size_t)p->size;
  tfckpt_tensor *t;
  rc = tfckpt__tensor_shell(v->dtype, p->rank, p->dims, &t);
  if (rc) return tfckpt__seterr(CKPT_ERR(r), rc, "%s: %s", v->name, tfckpt_errstr(rc));
  if (tfckpt_dtype_size(v->dtype)) {
    if (check) {
      uint32_t actual = tfckpt__crc_mask(tfckpt__crc32c(data, size));
      if (actual != p->masked_crc) {
        tfckpt_tensor_free(t);
        return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECHECKSUM,
                             "%s: checksum mismatch in tensor \"%s\" (%s at offset %lld: stored "
                             "crc32c 0x%08x, computed 0x%08x)",
                             r->prefix, v->name, s->shard_paths[p->shard], (long long)p->offset,
                             tfckpt__crc_unmask(p->masked_crc), tfckpt__crc_unmask(actual));
      }
    }
    if (r->big_endian) {
      void *copy = malloc(size ? size : 1);
      if (!copy) {
        tfckpt_tensor_free(t);
        return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "%s: out of memory", v->name);
      }
      memcpy(copy, data, size);
      ckpt_byteswap(copy, size, v->dtype);
      t->data = copy;
      t->owns_data = 1;
    } else {
      t->data = (void *)(uintptr_t)data;
      t->owns_data = 0;
    }
    *out = t;
    return TFCKPT_OK;
  }
  /* string / variant: element pointers into the mapping */
  size_t n = (size_t)p->num_elements;
  t->str = calloc(n ? n : 1, sizeof *t->str);
  t->slen = calloc(n ? n : 1, sizeof *t->slen);
  size_t *starts = calloc(n ? n : 1, sizeof *starts);
  if (!t->str || !t->slen || !starts) {
    free(starts);
    tfckpt_tensor_free(t);
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "%s: out of memory", v->name);
  }
  tfckpt__err perr = {0, ""};
  if (v->dtype == TFCKPT_STRING)
    rc = tfckpt__parse_string_tensor(data, size, p->num_elements, r->big_endian, p->masked_crc,
                                    check, starts, t->slen, &perr);
  else if (v->dtype == TFCKPT_VARIANT)
    rc = tfckpt__parse_variant_tensor(data, size, p->num_elements, p->masked_crc, check, starts,
                                     t->slen, &perr);
  else
    rc = tfckpt__seterr(&perr, TFCKPT_EUNSUPPORTED, "dtype %s cannot be read",
                       tfckpt_dtype_name(v->dtype));
  if (rc) {
    free(starts);
    tfckpt_tensor_free(t);
    return tfckpt__seterr(CKPT_ERR(r), rc, "%s: %s in tensor \"%s\" (%s at offset %lld)", r->prefix,
                         perr.msg, v->name, s->shard_paths[p->shard], (long long)p->offset);
  }
  for (size_t i = 0; i < n; i++) t->str[i] = data + starts[i];
  free(starts);
  t->owns_data = 0;
  *out = t;
  return TFCKPT_OK;
}

static int64_t bundle_data_bytes(const tfckpt_reader *r) {
  int64_t total = 0;
  for (size_t i = 0; i < r->nvars; i++) total += r->vars[i].nbytes;
  return total;
}

static const ckpt_backend kBundleBackend = {bundle_read_part, bundle_close, bundle_data_bytes};

int ckpt_open_bundle(tfckpt_reader *r, const char *prefix) {
  bundle_state *s = calloc(1, sizeof *s);
  if (!s) return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
  r->backend = &kBundleBackend;
  r->backend_state = s;
  r->format = TFCKPT_CKPT_V2;
  if (!(s->index_path = tfckpt__strdupf("%s.index", prefix)))
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
  int rc = tfckpt__map_file(s->index_path, &s->index, CKPT_ERR(r));
  if (rc) return rc;
  tfckpt__table *table;
  rc = tfckpt__table_open(s->index.data, s->index.size, s->index_path, &table, CKPT_ERR(r));
  if (rc) return rc;
  collect_ctx c = {.r = r, .s = s};
  rc = tfckpt__table_foreach(table, collect, &c, CKPT_ERR(r));
  tfckpt__table_close(table);
  if (rc == 0 && !c.have_header)
    rc = tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT, "%s: empty index (no bundle header)",
                       s->index_path);
  if (rc == 0) {
    const tfckpt__bundle_header *h = &c.header;
    if (h->num_shards <= 0 || h->num_shards > MAX_SHARDS)
      rc = tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT, "%s: bundle header claims %d data files",
                         s->index_path, h->num_shards);
    else if (h->producer < 0 || h->min_consumer > 1 || h->bad_consumer_1)
      rc = tfckpt__seterr(CKPT_ERR(r), TFCKPT_EUNSUPPORTED,
                         "%s: bundle version (producer %d, min_consumer %d) is not readable by "
                         "this reader",
                         s->index_path, h->producer, h->min_consumer);
  }
  if (rc == 0) {
    r->num_shards = s->nshards = c.header.num_shards;
    r->big_endian = c.header.big_endian;
    s->shard_paths = calloc((size_t)s->nshards, sizeof *s->shard_paths);
    s->shards = calloc((size_t)s->nshards, sizeof *s->shards);
    s->shard_rc = calloc((size_t)s->nshards, sizeof *s->shard_rc);
    if (!s->shard_paths || !s->shards || !s->shard_rc) rc = TFCKPT_ENOMEM;
    for (int i = 0; rc == 0 && i < s->nshards; i++)
      if (!(s->shard_paths[i] = tfckpt__strdupf("%s.data-%05d-of-%05d", prefix, i, s->nshards)))
        rc = TFCKPT_ENOMEM;
    if (rc) tfckpt__seterr(CKPT_ERR(r), rc, "out of memory");
  }
  if (rc == 0) {
    /* store prefix early: messages built while checking entries use it */
    r->prefix = strdup(prefix);
    rc = build_vars(r, s, &c);
    free(r->prefix);
    r->prefix = NULL;
  }
  free_entries(&c);
  return rc;
}
