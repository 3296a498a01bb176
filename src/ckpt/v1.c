/* Legacy V1 checkpoints: one or more table files of SavedTensorSlices
 * (formats.md section d).  Every file is read into memory at open (not
 * mapped: a file truncated or replaced under the reader must not crash it,
 * and the reader then sees one consistent checkpoint); each file's table of
 * contents (key "") is decoded at open, slice records on demand.
 *
 * Checksums: V1 has no per-tensor CRC, only the table's per-block CRC32C,
 * which tfckpt__table_get checks on every lookup.  Verifying a V1 variable
 * therefore means: the blocks holding its slices pass their CRC, and every
 * slice decodes to exactly the element count of its extent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/reader_impl.h"
#include "format/v1.h"

typedef struct v1_file {
  char *path;
  char *bytes;
  size_t size;
  tfckpt__table *table;
} v1_file;

typedef struct v1_state {
  int nfiles;
  v1_file *files;
} v1_state;

/* A part's backend blob: the records to read for it.  Normally one; a
 * string variable stored as several slices gets one synthetic whole part
 * listing all its records (the generic reader assembles fixed-size types
 * only). */
typedef struct v1_ref {
  int32_t file;
  uint32_t klen;
  size_t key_off; /* into the blob */
} v1_ref;

typedef struct v1_blob {
  int nrefs;
  v1_ref refs[];
  /* followed by the key bytes */
} v1_blob;

/* Gathered from every file's table of contents. */
typedef struct toc_item {
  const tfckpt__v1_tensor_meta *t;
  const tfckpt__slice *slice;
  int file;
  size_t seq; /* keeps a file's slice order among equal names */
} toc_item;

static void v1_close(tfckpt_reader *r) {
  v1_state *s = r->backend_state;
  if (!s) return;
  for (int i = 0; i < s->nfiles; i++) {
    if (s->files[i].table) tfckpt__table_close(s->files[i].table);
    free(s->files[i].bytes);
    free(s->files[i].path);
  }
  free(s->files);
  free(s);
  r->backend_state = NULL;
}

static char *slice_text(char *buf, size_t cap, const tfckpt__slice *sl) {
  size_t k = 0;
  buf[0] = '\0';
  if (sl->rank == 0) {
    snprintf(buf, cap, "(whole)");
    return buf;
  }
  for (int d = 0; d < sl->rank && k + 1 < cap; d++) {
    int n = sl->length[d] == -1
                ? snprintf(buf + k, cap - k, "%s-", d ? ":" : "")
                : snprintf(buf + k, cap - k, "%s%lld,%lld", d ? ":" : "",
                           (long long)sl->start[d], (long long)sl->length[d]);
    if (n < 0) break;
    k += (size_t)n;
    if (k >= cap) k = cap - 1;
  }
  return buf;
}

/* Places src (shape sdims, at start within full shape fdims) element by
 * element; used for string tensors, whose elements are pointers. */
static void place_strings(tfckpt_tensor *full, const int64_t *start, const int64_t *sdims,
                          int rank, const uint8_t *const *strs, const size_t *lens, int64_t n,
                          int *oom) {
  int64_t idx[TFCKPT_MAX_RANK] = {0};
  for (int64_t e = 0; e < n; e++) {
    int64_t off = 0;
    for (int d = 0; d < rank; d++) off = off * full->dims[d] + start[d] + idx[d];
    if (tfckpt_tensor_set_string(full, off, strs[e], lens[e])) *oom = 1;
    for (int d = rank - 1; d >= 0; d--) {
      if (++idx[d] < sdims[d]) break;
      idx[d] = 0;
    }
  }
}

/* Reads record `ref`, checks it belongs to `v`, decodes its values. For
 * fixed-size dtypes into `dst` (n elements); for strings into a new string
 * tensor placed at the record's slice within `full`. */
static int read_record(tfckpt_reader *r, const ckpt_var *v, const v1_blob *b, int k, int64_t n,
                       void *dst, tfckpt_tensor *full) {
  v1_state *s = r->backend_state;
  const v1_ref *ref = &b->refs[k];
  const uint8_t *key = (const uint8_t *)b + ref->key_off;
  v1_file *f = &s->files[ref->file];
  tfckpt__err e = {0, ""};
  tfckpt__table_value val;
  int rc = tfckpt__table_get(f->table, key, ref->klen, &val, &e);
  if (rc == TFCKPT_ENOTFOUND)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                         "%s: tensor \"%s\": a slice listed in the table of contents has no "
                         "record",
                         f->path, v->name);
  if (rc) return tfckpt__seterr(CKPT_ERR(r), rc, "%s (tensor \"%s\")", e.msg, v->name);
  tfckpt__v1_record rec;
  rc = tfckpt__v1_decode_record(val.data, val.len, &rec, &e);
  char sl[160];
  if (rc) {
    tfckpt__table_value_free(&val);
    return tfckpt__seterr(CKPT_ERR(r), rc, "%s: tensor \"%s\": %s", f->path, v->name, e.msg);
  }
  if (rec.name && (rec.name_len != strlen(v->name) || memcmp(rec.name, v->name, rec.name_len))) {
    rc = tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                       "%s: the record stored for tensor \"%s\" names \"%.*s\"", f->path,
                       v->name, (int)(rec.name_len > 200 ? 200 : rec.name_len),
                       (const char *)rec.name);
    goto out;
  }
  if (!rec.has_tensor) {
    rc = tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT, "%s: tensor \"%s\": slice record has no values",
                       f->path, v->name);
    goto out;
  }
  if (!full) {
    rc = tfckpt__v1_decode_values(rec.tensor, rec.tensor_len, v->dtype, n, dst, NULL, NULL, &e);
    if (rc)
      tfckpt__seterr(CKPT_ERR(r), rc, "%s: tensor \"%s\": %s", f->path, v->name, e.msg);
    goto out;
  }
  /* string slice: its own extent decides where it goes */
  int64_t start[TFCKPT_MAX_RANK], sdims[TFCKPT_MAX_RANK];
  int rank = v->rank;
  if (rec.has_slice && rec.slice.rank != rank && !(rec.slice.rank == 0)) {
    rc = tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT, "%s: tensor \"%s\": slice of rank %d, tensor %d",
                       f->path, v->name, rec.slice.rank, rank);
    goto out;
  }
  for (int d = 0; d < rank; d++) {
    int whole = !rec.has_slice || rec.slice.rank == 0 || rec.slice.length[d] == -1;
    start[d] = whole ? 0 : rec.slice.start[d];
    sdims[d] = whole ? v->dims[d] : rec.slice.length[d];
    if (start[d] > v->dims[d] || sdims[d] > v->dims[d] - start[d]) {
      rc = tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT, "%s: tensor \"%s\": slice %s lies outside %s",
                         f->path, v->name, slice_text(sl, sizeof sl, &rec.slice), "its shape");
      goto out;
    }
  }
  int64_t m = tfckpt__num_elements(rank, sdims);
  size_t *starts = calloc((size_t)(m ? m : 1), sizeof *starts);
  size_t *lens = calloc((size_t)(m ? m : 1), sizeof *lens);
  const uint8_t **ptrs = calloc((size_t)(m ? m : 1), sizeof *ptrs);
  if (!starts || !lens || !ptrs) {
    rc = tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "%s: out of memory", v->name);
  } else {
    rc = tfckpt__v1_decode_values(rec.tensor, rec.tensor_len, v->dtype, m, NULL, starts, lens, &e);
    if (rc) {
      tfckpt__seterr(CKPT_ERR(r), rc, "%s: tensor \"%s\" slice %s: %s", f->path, v->name,
                    slice_text(sl, sizeof sl, &rec.slice), e.msg);
    } else {
      int oom = 0;
      for (int64_t i = 0; i < m; i++) ptrs[i] = rec.tensor + starts[i];
      place_strings(full, start, sdims, rank, ptrs, lens, m, &oom);
      if (oom) rc = tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "%s: out of memory", v->name);
    }
  }
  free(starts);
  free(lens);
  free(ptrs);
out:
  tfckpt__slice_free(&rec.slice);
  tfckpt__table_value_free(&val);
  return rc;
}

static int v1_read_part(tfckpt_reader *r, const ckpt_var *v, const ckpt_part *p, int flags,
                        tfckpt_tensor **out) {
  (void)flags; /* block CRCs are always checked; there is nothing else */
  *out = NULL;
  const v1_blob *b = p->backend;
  tfckpt_tensor *t;
  int rc = tfckpt_tensor_new(v->dtype, p->rank, p->dims, &t);
  if (rc) return tfckpt__seterr(CKPT_ERR(r), rc, "%s: cannot allocate %lld elements", v->name,
                               (long long)p->num_elements);
  if (tfckpt_dtype_size(v->dtype)) {
    rc = read_record(r, v, b, 0, p->num_elements, t->data, NULL);
  } else {
    for (int k = 0; rc == 0 && k < b->nrefs; k++) rc = read_record(r, v, b, k, 0, NULL, t);
  }
  if (rc) {
    tfckpt_tensor_free(t);
    return rc;
  }
  *out = t;
  return TFCKPT_OK;
}

static int v1_read_into(tfckpt_reader *r, const ckpt_var *v, const ckpt_part *p, void *dst) {
  return read_record(r, v, p->backend, 0, p->num_elements, dst, NULL);
}

static const ckpt_backend kV1Backend = {v1_read_part, v1_read_into, NULL, v1_close, NULL};

static int toc_cmp(const void *a, const void *b) {
  const toc_item *x = a, *y = b;
  int c = strcmp(x->t->name, y->t->name);
  if (c) return c;
  if (x->file != y->file) return x->file < y->file ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int same_shape(const tfckpt__v1_tensor_meta *a, const tfckpt__v1_tensor_meta *b) {
  return a->rank == b->rank &&
         (a->rank <= 0 || !memcmp(a->dims, b->dims, (size_t)a->rank * sizeof *a->dims));
}

/* Builds a blob for records items[0..n). */
static v1_blob *make_blob(const toc_item *items, int n) {
  size_t keys = 0;
  tfckpt__buf *bufs = calloc((size_t)n, sizeof *bufs);
  if (!bufs) return NULL;
  for (int k = 0; k < n; k++) {
    tfckpt__encode_slice_key(&bufs[k], items[k].t->name, strlen(items[k].t->name),
                            items[k].slice);
    keys += bufs[k].len;
  }
  size_t head = sizeof(v1_blob) + (size_t)n * sizeof(v1_ref);
  v1_blob *b = malloc(head + keys + 1);
  int oom = !b;
  for (int k = 0; k < n; k++) oom |= bufs[k].oom;
  if (!oom) {
    b->nrefs = n;
    size_t off = head;
    for (int k = 0; k < n; k++) {
      b->refs[k].file = items[k].file;
      b->refs[k].klen = (uint32_t)bufs[k].len;
      b->refs[k].key_off = off;
      memcpy((uint8_t *)b + off, bufs[k].data, bufs[k].len);
      off += bufs[k].len;
    }
  }
  for (int k = 0; k < n; k++) tfckpt__buf_free(&bufs[k]);
  free(bufs);
  if (oom) {
    free(b);
    return NULL;
  }
  return b;
}

enum { kMaxPairwise = 4096 };

/* One variable from the toc items that name it (all files). */
static int build_var(tfckpt_reader *r, v1_state *s, const toc_item *items, int n, ckpt_var *v) {
  const tfckpt__v1_tensor_meta *t = items[0].t;
  const char *path = s->files[items[0].file].path;
  char sl[160];
  if (!(v->name = strdup(t->name))) return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
  for (int k = 1; k < n; k++)
    if (items[k].t->dtype != t->dtype || !same_shape(items[k].t, t))
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                           "%s: tensor \"%s\" has another dtype or shape in %s", path, t->name,
                           s->files[items[k].file].path);
  if (!tfckpt_dtype_is_valid(t->dtype))
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT, "%s: tensor \"%s\" has invalid dtype %d",
                         path, t->name, t->dtype);
  if (t->rank < 0)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT, "%s: tensor \"%s\" has an unknown rank", path,
                         t->name);
  v->dtype = t->dtype;
  v->rank = t->rank;
  v->dims = malloc((size_t)(t->rank ? t->rank : 1) * sizeof *v->dims);
  if (!v->dims) return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
  if (t->rank) memcpy(v->dims, t->dims, (size_t)t->rank * sizeof *v->dims);
  v->num_elements = tfckpt__num_elements(v->rank, v->dims);
  if (v->num_elements < 0)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                         "%s: tensor \"%s\": the product of its dimensions overflows", path,
                         t->name);
  size_t es = tfckpt_dtype_size(v->dtype);
  if (es && (uint64_t)v->num_elements > INT64_MAX / es)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT, "%s: tensor \"%s\" is too large", path,
                         t->name);
  v->nbytes = (int64_t)es * v->num_elements;
  if (n == 0) return TFCKPT_OK;

  /* Extents: a rank-0 slice of a ranked tensor means "all of it". */
  v->parts = calloc((size_t)n, sizeof *v->parts);
  if (!v->parts) return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
  int64_t covered = 0;
  for (int k = 0; k < n; k++) {
    const tfckpt__slice *x = items[k].slice;
    ckpt_part *p = &v->parts[k];
    v->nparts = k + 1;
    if (x->rank != v->rank && x->rank != 0)
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                           "%s: tensor \"%s\": slice %s has rank %d, the tensor %d", path,
                           v->name, slice_text(sl, sizeof sl, x), x->rank, v->rank);
    p->rank = v->rank;
    p->dims = malloc((size_t)(v->rank ? v->rank : 1) * sizeof *p->dims);
    p->extent.rank = v->rank;
    p->extent.start = calloc((size_t)(v->rank ? v->rank : 1), sizeof(int64_t));
    p->extent.length = calloc((size_t)(v->rank ? v->rank : 1), sizeof(int64_t));
    if (!p->dims || !p->extent.start || !p->extent.length)
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
    for (int d = 0; d < v->rank; d++) {
      int whole = x->rank == 0 || x->length[d] == -1;
      p->extent.start[d] = whole ? 0 : x->start[d];
      p->extent.length[d] = whole ? -1 : x->length[d];
      p->dims[d] = whole ? v->dims[d] : x->length[d];
      if (!whole && (x->start[d] > v->dims[d] || x->length[d] > v->dims[d] - x->start[d]))
        return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                             "%s: tensor \"%s\": slice %s lies outside its shape", path, v->name,
                             slice_text(sl, sizeof sl, x));
    }
    p->num_elements = tfckpt__num_elements(p->rank, p->dims);
    covered += p->num_elements;
  }
  /* Pairwise overlap test; beyond kMaxPairwise slices only the element
   * count is checked (reads stay in bounds either way). */
  for (int a = 0; n <= kMaxPairwise && a < n; a++)
    for (int b = a + 1; b < n; b++) {
      int overlap = v->parts[a].num_elements && v->parts[b].num_elements;
      for (int d = 0; d < v->rank && overlap; d++) {
        int64_t as = v->parts[a].extent.start[d], bs = v->parts[b].extent.start[d];
        if (as + v->parts[a].dims[d] <= bs || bs + v->parts[b].dims[d] <= as) overlap = 0;
      }
      if (overlap)
        return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                             "%s: tensor \"%s\": slices %d and %d overlap", path, v->name, a, b);
    }
  if (covered != v->num_elements)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                         "%s: tensor \"%s\": its slices cover %lld of %lld elements", path,
                         v->name, (long long)covered, (long long)v->num_elements);

  if (n == 1 || !es) {
    /* Stored whole, or a string tensor we assemble ourselves: one part. */
    for (int k = 0; k < v->nparts; k++) {
      tfckpt__slice_free(&v->parts[k].extent);
      free(v->parts[k].dims);
    }
    memset(v->parts, 0, (size_t)n * sizeof *v->parts);
    v->nparts = 1;
    ckpt_part *p = &v->parts[0];
    p->whole = 1;
    p->rank = v->rank;
    p->dims = malloc((size_t)(v->rank ? v->rank : 1) * sizeof *p->dims);
    if (!p->dims) return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
    if (v->rank) memcpy(p->dims, v->dims, (size_t)v->rank * sizeof *p->dims);
    p->num_elements = v->num_elements;
    p->shard = items[0].file;
    if (!(p->backend = make_blob(items, n)))
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
    return TFCKPT_OK;
  }
  v->partitioned = 1;
  for (int k = 0; k < n; k++) {
    v->parts[k].shard = items[k].file;
    if (!(v->parts[k].backend = make_blob(&items[k], 1)))
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
  }
  return TFCKPT_OK;
}

/* The shard count a "...-NNNNN-of-MMMMM" name announces, or 0. */
static int announced_shards(const char *path) {
  size_t n = strlen(path);
  if (n < 15 || memcmp(path + n - 9, "-of-", 4)) return 0;
  int m = atoi(path + n - 5);
  return m;
}

int ckpt_open_v1(tfckpt_reader *r, const char *display, char **files, int nfiles) {
  v1_state *s = calloc(1, sizeof *s);
  if (!s) {
    for (int i = 0; i < nfiles; i++) free(files[i]);
    free(files);
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
  }
  r->backend = &kV1Backend;
  r->backend_state = s;
  r->format = TFCKPT_CKPT_V1;
  s->files = calloc((size_t)(nfiles ? nfiles : 1), sizeof *s->files);
  if (!s->files) {
    for (int i = 0; i < nfiles; i++) free(files[i]);
    free(files);
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
  }
  s->nfiles = nfiles;
  for (int i = 0; i < nfiles; i++) s->files[i].path = files[i];
  free(files);
  r->num_shards = nfiles;

  int want = nfiles ? announced_shards(s->files[0].path) : 0;
  if (want > 0 && want != nfiles)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOTFOUND,
                         "%s: the V1 checkpoint has %d shard files, but its names say %d "
                         "(a shard is missing)",
                         display, nfiles, want);

  tfckpt__v1_meta *metas = calloc((size_t)(nfiles ? nfiles : 1), sizeof *metas);
  if (!metas) return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
  int rc = TFCKPT_OK;
  size_t total = 0;
  for (int i = 0; rc == 0 && i < nfiles; i++) {
    v1_file *f = &s->files[i];
    if ((rc = tfckpt__read_file(f->path, SIZE_MAX / 2, &f->bytes, &f->size, CKPT_ERR(r)))) break;
    if ((rc = tfckpt__table_open((const uint8_t *)f->bytes, f->size, f->path, &f->table,
                                 CKPT_ERR(r))))
      break;
    tfckpt__table_value val;
    rc = tfckpt__table_get(f->table, (const uint8_t *)"", 0, &val, CKPT_ERR(r));
    if (rc == TFCKPT_ENOTFOUND) {
      rc = tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                         "%s: no table of contents (empty key): not a V1 checkpoint", f->path);
      break;
    }
    if (rc) break;
    tfckpt__err e = {0, ""};
    rc = tfckpt__v1_decode_meta(val.data, val.len, &metas[i], &e);
    tfckpt__table_value_free(&val);
    if (rc) {
      tfckpt__seterr(CKPT_ERR(r), rc, "%s: %s", f->path, e.msg);
      break;
    }
    if (metas[i].min_consumer > 1)
      rc = tfckpt__seterr(CKPT_ERR(r), TFCKPT_EUNSUPPORTED,
                         "%s: V1 checkpoint version (producer %d, min_consumer %d) is not "
                         "readable by this reader",
                         f->path, metas[i].producer, metas[i].min_consumer);
    for (size_t k = 0; k < metas[i].ntensors; k++)
      total += metas[i].tensors[k].nslices ? (size_t)metas[i].tensors[k].nslices : 1;
  }
  toc_item *items = NULL;
  if (rc == 0) {
    items = calloc(total ? total : 1, sizeof *items);
    if (!items) rc = tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
  }
  size_t m = 0;
  static const tfckpt__slice kNoSlice = {0, NULL, NULL};
  for (int i = 0; rc == 0 && i < nfiles; i++)
    for (size_t k = 0; k < metas[i].ntensors; k++) {
      const tfckpt__v1_tensor_meta *t = &metas[i].tensors[k];
      if (t->nslices == 0) { /* listed without data: keep the name, no parts */
        items[m] = (toc_item){t, &kNoSlice, -1 - i, m};
        m++;
        continue;
      }
      for (int j = 0; j < t->nslices; j++, m++) items[m] = (toc_item){t, &t->slices[j], i, m};
    }
  if (rc == 0) {
    qsort(items, m, sizeof *items, toc_cmp);
    size_t nvars = 0;
    for (size_t a = 0; a < m; a++)
      if (a == 0 || strcmp(items[a].t->name, items[a - 1].t->name)) nvars++;
    r->vars = calloc(nvars ? nvars : 1, sizeof *r->vars);
    if (!r->vars) rc = tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
    for (size_t a = 0; rc == 0 && a < m;) {
      size_t b = a + 1;
      while (b < m && !strcmp(items[b].t->name, items[a].t->name)) b++;
      /* entries without slices (negative file ids) sorted first */
      size_t first = a;
      while (first < b && items[first].file < 0) first++;
      ckpt_var *v = &r->vars[r->nvars++];
      if (first == b) {
        /* a tensor named but never stored: report it at read time */
        toc_item only = items[a];
        only.file = -1 - only.file;
        rc = build_var(r, s, &only, 0, v);
        if (rc == 0 && v->num_elements > 0)
          rc = tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                             "%s: tensor \"%s\" is listed with no stored slice",
                             s->files[only.file].path, v->name);
      } else {
        rc = build_var(r, s, &items[first], (int)(b - first), v);
      }
      a = b;
    }
    if (rc == 0) ckpt_sort_vars(r);
  }
  free(items);
  for (int i = 0; i < nfiles; i++) tfckpt__v1_meta_free(&metas[i]);
  free(metas);
  return rc;
}
