/* V2 tensor bundles: prefix.index (a table of BundleEntryProtos) plus data
 * shards prefix.data-NNNNN-of-NNNNN.
 *
 * The index is read into memory and every data file is opened at open, and
 * the descriptors are kept: a checkpoint replaced by rename afterwards
 * (`set --in-place`, a new save to the same prefix) is not seen, so the
 * index and the data read always belong together.  Values are read with
 * pread into memory the tensor owns, so a file truncated under the reader
 * gives an error ("truncated while reading"), where a mapping would raise
 * SIGBUS; mappings exist only for the explicit views of
 * tfckpt_reader_get_view. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/reader_impl.h"
#include "core/crc32c.h"
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Refuse headers claiming more data files than any real save produces. */
#define MAX_SHARDS 1000000

typedef struct raw_entry {
  uint8_t *key;
  size_t klen;
  tfckpt__bundle_entry e;
} raw_entry;

/* Reads go through buffers of this size at most: large enough that the
 * per-call cost vanishes, small enough that the CRC pass finds the bytes
 * still in cache. */
#define READ_CHUNK ((size_t)4 << 20)

enum { SHARD_LATER = 1 }; /* no descriptor was left at open: open on first read */

typedef struct shard {
  int fd;         /* -1 unless open */
  int64_t size;   /* when opened */
  int rc;         /* 0 open, SHARD_LATER, or the error status of the open */
  int lazy;       /* rc was SHARD_LATER after open: rc changes under r->lock */
  char *msg;      /* that error's message */
  const uint8_t *map; /* for views only, made on first use */
  int map_rc;     /* 0 not tried, 1 mapped, else the error */
} shard;

typedef struct bundle_state {
  char *index_path;
  char *index;
  size_t index_size;
  int nshards;
  char **shard_paths;
  shard *shards;
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
    if (s->shards) {
      shard *sh = &s->shards[i];
      if (sh->map_rc == 1 && sh->size > 0) munmap((void *)(uintptr_t)sh->map, (size_t)sh->size);
      if (sh->fd >= 0) close(sh->fd);
      free(sh->msg);
    }
    if (s->shard_paths) free(s->shard_paths[i]);
  }
  free(s->shard_paths);
  free(s->shards);
  free(s->index);
  free(s->index_path);
  free(s);
  r->backend_state = NULL;
}

static void open_shard(bundle_state *s, int i) {
  shard *sh = &s->shards[i];
  tfckpt__err err = {0, ""};
  int rc = tfckpt__open_regular(s->shard_paths[i], &sh->fd, &sh->size, &err);
  if (rc && (errno == EMFILE || errno == ENFILE)) {
    /* Thousands of shards: fall back to opening at read time (the
     * replaced-checkpoint guarantee then holds only for the open ones). */
    sh->rc = SHARD_LATER;
    sh->lazy = 1;
    return;
  }
  sh->rc = rc;
  if (rc) {
    sh->msg = strdup(err.msg);
    return;
  }
#ifdef POSIX_FADV_SEQUENTIAL
  /* tensors are read front to back; a larger readahead window pays off */
  posix_fadvise(sh->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
}

/* The open data file `i`, or the error of opening it (the same error on
 * every read: a missing data file only fails the reads that need it). */
static int get_shard(tfckpt_reader *r, bundle_state *s, int i, const shard **out) {
  shard *sh = &s->shards[i];
  if (sh->lazy) { /* set at open only: other shards' rc never changes after it */
    pthread_mutex_lock(&r->lock);
    if (sh->rc == SHARD_LATER) open_shard(s, i);
    if (sh->rc == SHARD_LATER) {
      sh->rc = TFCKPT_EIO;
      sh->msg = tfckpt__strdupf("%s: no file descriptor left to open it", s->shard_paths[i]);
    }
    pthread_mutex_unlock(&r->lock);
  }
  if (sh->rc == 0) {
    *out = sh;
    return TFCKPT_OK;
  }
  if (sh->rc == TFCKPT_ENOTFOUND)
    return tfckpt__seterr_path(CKPT_ERR(r), sh->rc, s->shard_paths[i],
                               "data file missing (shard %d of %d of %s)", i, s->nshards,
                               r->prefix);
  return tfckpt__seterr(CKPT_ERR(r), sh->rc, "%s (cannot open data file %d of %d)",
                        sh->msg ? sh->msg : tfckpt_errstr(sh->rc), i, s->nshards);
}

static int check_extent(tfckpt_reader *r, bundle_state *s, const ckpt_var *v, const ckpt_part *p,
                        const shard *sh) {
  if ((uint64_t)p->offset > (uint64_t)sh->size ||
      (uint64_t)p->size > (uint64_t)sh->size - (uint64_t)p->offset)
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECORRUPT,
                         "%s: tensor \"%s\" points past the end of its data file %s (offset %lld "
                         "+ size %lld > %lld bytes)",
                         s->index_path, v->name, s->shard_paths[p->shard], (long long)p->offset,
                         (long long)p->size, (long long)sh->size);
  return TFCKPT_OK;
}

static int crc_mismatch(tfckpt_reader *r, bundle_state *s, const ckpt_var *v, const ckpt_part *p,
                        uint32_t actual) {
  return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ECHECKSUM,
                        "%s: checksum mismatch in tensor \"%s\" (%s at offset %lld: stored "
                        "crc32c 0x%08x, computed 0x%08x)",
                        r->prefix, v->name, s->shard_paths[p->shard], (long long)p->offset,
                        tfckpt__crc_unmask(p->masked_crc), tfckpt__crc_unmask(actual));
}

/* A truncation racing with a read can hand back zeroed pages at full
 * length, which then fail their CRC: when the file is now too short for
 * part p, this reports what happened instead of blaming the stored bytes
 * (returns 0 otherwise). */
static int truncated_meanwhile(tfckpt_reader *r, const ckpt_var *v, const ckpt_part *p) {
  bundle_state *s = r->backend_state;
  struct stat st;
  if (fstat(s->shards[p->shard].fd, &st) != 0 || st.st_size >= p->offset + p->size) return 0;
  return tfckpt__seterr_path(CKPT_ERR(r), TFCKPT_ECORRUPT, s->shard_paths[p->shard],
                             "truncated while reading (expected %lld bytes at offset %lld, the "
                             "file now has %lld; it changed while being read) (tensor \"%s\" of "
                             "%s)",
                             (long long)p->size, (long long)p->offset, (long long)st.st_size,
                             v->name, r->prefix);
}

/* Reads part p's stored bytes into dst (dst NULL: through a small scratch
 * buffer, for verify), computing the CRC32C chunk by chunk while the bytes
 * are in cache. */
static int read_bytes(tfckpt_reader *r, const ckpt_var *v, const ckpt_part *p, uint8_t *dst,
                      int check) {
  bundle_state *s = r->backend_state;
  const shard *sh;
  int rc = get_shard(r, s, p->shard, &sh);
  if (rc) return rc;
  if ((rc = check_extent(r, s, v, p, sh))) return rc;
  size_t size = (size_t)p->size;
  uint8_t *scratch = NULL;
  if (!dst && size) {
    scratch = malloc(size < READ_CHUNK ? size : READ_CHUNK);
    if (!scratch) return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "%s: out of memory", v->name);
  }
  uint32_t crc = 0;
  tfckpt__err e = {0, ""};
  for (size_t done = 0; done < size;) {
    size_t n = size - done < READ_CHUNK ? size - done : READ_CHUNK;
    uint8_t *buf = dst ? dst + done : scratch;
    rc = tfckpt__pread_full(sh->fd, buf, n, p->offset + (int64_t)done, s->shard_paths[p->shard],
                            &e);
    if (rc) {
      free(scratch);
      return tfckpt__seterr(CKPT_ERR(r), rc, "%s (tensor \"%s\" of %s)", e.msg, v->name,
                            r->prefix);
    }
    if (check) crc = tfckpt__crc32c_extend(crc, buf, n);
    done += n;
  }
  free(scratch);
  if (check && tfckpt__crc_mask(crc) != p->masked_crc) {
    rc = truncated_meanwhile(r, v, p);
    return rc ? rc : crc_mismatch(r, s, v, p, tfckpt__crc_mask(crc));
  }
  if (dst && r->big_endian) ckpt_byteswap(dst, size, v->dtype);
  return TFCKPT_OK;
}

/* A read-only view of the mapped bytes of part p (views only). */
static int map_part(tfckpt_reader *r, const ckpt_var *v, const ckpt_part *p, const uint8_t **out) {
  bundle_state *s = r->backend_state;
  const shard *csh;
  int rc = get_shard(r, s, p->shard, &csh);
  if (rc) return rc;
  if ((rc = check_extent(r, s, v, p, csh))) return rc;
  shard *sh = &s->shards[p->shard];
  pthread_mutex_lock(&r->lock);
  if (sh->map_rc == 0) {
    if (sh->size == 0) {
      sh->map = (const uint8_t *)"";
      sh->map_rc = 1;
    } else {
      void *m = mmap(NULL, (size_t)sh->size, PROT_READ, MAP_PRIVATE, sh->fd, 0);
      sh->map_rc = m == MAP_FAILED ? TFCKPT_EIO : 1;
      if (m != MAP_FAILED) sh->map = m;
    }
  }
  rc = sh->map_rc;
  pthread_mutex_unlock(&r->lock);
  if (rc != 1)
    return tfckpt__seterr_path(CKPT_ERR(r), rc, s->shard_paths[p->shard], "cannot map data file");
  *out = sh->map + p->offset;
  return TFCKPT_OK;
}

static int bundle_read_part(tfckpt_reader *r, const ckpt_var *v, const ckpt_part *p, int flags,
                            tfckpt_tensor **out) {
  bundle_state *s = r->backend_state;
  int check = flags & CKPT_CHECK;
  *out = NULL;
  tfckpt_tensor *t;
  int rc = tfckpt__tensor_shell(v->dtype, p->rank, p->dims, &t);
  if (rc) return tfckpt__seterr(CKPT_ERR(r), rc, "%s: %s", v->name, tfckpt_errstr(rc));
  size_t size = (size_t)p->size;
  if (tfckpt_dtype_size(v->dtype)) {
    if ((flags & CKPT_VIEW) && !r->big_endian) {
      const uint8_t *data = NULL;
      rc = map_part(r, v, p, &data);
      if (rc == 0 && check) {
        uint32_t actual = tfckpt__crc_mask(tfckpt__crc32c(data, size));
        if (actual != p->masked_crc) rc = crc_mismatch(r, s, v, p, actual);
      }
      if (rc) {
        tfckpt_tensor_free(t);
        return rc;
      }
      t->data = (void *)(uintptr_t)data;
      t->owns_data = 0;
      *out = t;
      return TFCKPT_OK;
    }
    t->data = malloc(size ? size : 1);
    t->owns_data = 1;
    if (!t->data) {
      tfckpt_tensor_free(t);
      return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "%s: out of memory", v->name);
    }
    rc = read_bytes(r, v, p, t->data, check);
    if (rc) {
      tfckpt_tensor_free(t);
      return rc;
    }
    *out = t;
    return TFCKPT_OK;
  }
  /* string / variant: element pointers into the tensor's own copy */
  size_t n = (size_t)p->num_elements;
  t->owns_data = 1;
  t->str = calloc(n ? n : 1, sizeof *t->str);
  t->slen = calloc(n ? n : 1, sizeof *t->slen);
  t->backing = malloc(size ? size : 1);
  size_t *starts = calloc(n ? n : 1, sizeof *starts);
  if (!t->str || !t->slen || !t->backing || !starts) {
    free(starts);
    tfckpt_tensor_free(t);
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "%s: out of memory", v->name);
  }
  /* their CRC covers the length prefixes and bytes in another order: the
   * parsers check it */
  const uint8_t *data = t->backing;
  rc = read_bytes(r, v, p, t->backing, 0);
  if (rc) {
    free(starts);
    tfckpt_tensor_free(t);
    return rc;
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
    int why = truncated_meanwhile(r, v, p);
    if (why) return why;
    return tfckpt__seterr(CKPT_ERR(r), rc, "%s: %s in tensor \"%s\" (%s at offset %lld)", r->prefix,
                         perr.msg, v->name, s->shard_paths[p->shard], (long long)p->offset);
  }
  for (size_t i = 0; i < n; i++) t->str[i] = data + starts[i];
  free(starts);
  *out = t;
  return TFCKPT_OK;
}

/* Fixed-size parts straight into the caller's memory: no intermediate. */
static int bundle_read_into(tfckpt_reader *r, const ckpt_var *v, const ckpt_part *p, void *dst) {
  return read_bytes(r, v, p, dst, 1);
}

static int bundle_verify_part(tfckpt_reader *r, const ckpt_var *v, const ckpt_part *p) {
  if (!tfckpt_dtype_size(v->dtype)) {
    tfckpt_tensor *t;
    int rc = bundle_read_part(r, v, p, CKPT_CHECK, &t);
    tfckpt_tensor_free(t);
    return rc;
  }
  return read_bytes(r, v, p, NULL, 1);
}

static int64_t bundle_data_bytes(const tfckpt_reader *r) {
  int64_t total = 0;
  for (size_t i = 0; i < r->nvars; i++) total += r->vars[i].nbytes;
  return total;
}

static const ckpt_backend kBundleBackend = {bundle_read_part, bundle_read_into, bundle_verify_part,
                                            bundle_close, bundle_data_bytes};

int ckpt_open_bundle(tfckpt_reader *r, const char *prefix) {
  bundle_state *s = calloc(1, sizeof *s);
  if (!s) return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
  r->backend = &kBundleBackend;
  r->backend_state = s;
  r->format = TFCKPT_CKPT_V2;
  if (!(s->index_path = tfckpt__strdupf("%s.index", prefix)))
    return tfckpt__seterr(CKPT_ERR(r), TFCKPT_ENOMEM, "out of memory");
  /* a copy, not a mapping: an index rewritten under the reader must not
   * crash it, and the table parser holds pointers into these bytes */
  int rc = tfckpt__read_file(s->index_path, SIZE_MAX / 2, &s->index, &s->index_size, CKPT_ERR(r));
  if (rc) return rc;
  tfckpt__table *table;
  rc = tfckpt__table_open((const uint8_t *)s->index, s->index_size, s->index_path, &table,
                          CKPT_ERR(r));
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
    if (!s->shard_paths || !s->shards) rc = TFCKPT_ENOMEM;
    for (int i = 0; s->shards && i < s->nshards; i++) s->shards[i].fd = -1;
    for (int i = 0; rc == 0 && i < s->nshards; i++)
      if (!(s->shard_paths[i] = tfckpt__strdupf("%s.data-%05d-of-%05d", prefix, i, s->nshards)))
        rc = TFCKPT_ENOMEM;
    if (rc) tfckpt__seterr(CKPT_ERR(r), rc, "out of memory");
  }
  /* Now, with the index: the data files we keep are the ones that belong to
   * it.  A failure is remembered and reported by the reads that need it. */
  for (int i = 0; rc == 0 && i < s->nshards; i++) open_shard(s, i);
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
