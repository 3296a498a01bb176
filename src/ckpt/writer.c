/* The V2 checkpoint writer: data files appended tensor by tensor under
 * temporary names, the index built in memory at finish, then everything
 * renamed into place (include/tfckpt/writer.h describes the guarantees). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tfckpt/internal/atomic_file.h"
#include "core/crc32c.h"
#include "tfckpt/internal/error.h"
#include "tfckpt/internal/file.h"
#include "format/bundle.h"
#include "format/bundle_write.h"
#include "format/state.h"
#include "format/table_builder.h"
#include "tensor/tensor_impl.h"
#include "tfckpt/writer.h"

#define SHARD_BUF_SIZE ((size_t)4 << 20)
#define MAX_SHARDS 100000

typedef struct wshard {
  tfckpt__atomic_file f;
  uint8_t *buf;
  size_t len;
  int64_t offset; /* bytes appended so far (buffered included) */
} wshard;

typedef struct wentry {
  uint8_t *key;
  size_t klen;
  tfckpt__bundle_entry e; /* owns dims and slices */
  int is_parent;
} wentry;

enum { W_OPEN = 0, W_FAILED = 1, W_FINISHED = 2 };

struct tfckpt_writer {
  tfckpt__err err;
  char *prefix;
  tfckpt_writer_options opts;
  int status;
  tfckpt__fault fault;
  wshard *shards;
  int nshards;
  int next_shard;
  wentry *entries;
  size_t n, cap;
  size_t *slots; /* hash of entries: index + 1, 0 = empty */
  size_t nslots;
  char **warnings;
  size_t nwarnings;
};

void tfckpt_writer_options_init(tfckpt_writer_options *o) {
  memset(o, 0, sizeof *o);
  o->num_shards = 1;
}

const char *tfckpt_writer_errmsg(const tfckpt_writer *w) {
  return w ? tfckpt__err_text(&w->err) : "out of memory";
}

const char *tfckpt_writer_warning(const tfckpt_writer *w, size_t i) {
  return w && i < w->nwarnings ? w->warnings[i] : NULL;
}

/* Warnings are best effort: one that cannot be recorded is dropped. */
static void warn(tfckpt_writer *w, char *msg) {
  if (!msg) return;
  char **nw = realloc(w->warnings, (w->nwarnings + 1) * sizeof *nw);
  if (!nw) {
    free(msg);
    return;
  }
  w->warnings = nw;
  w->warnings[w->nwarnings++] = msg;
}

/* Writers that update one directory's `checkpoint` file take turns: an
 * exclusive flock on the directory itself (no lock file is left behind, and
 * the state file cannot carry the lock because it is replaced by rename)
 * from reading the old state to renaming the new one into place. */
static int lock_dir(tfckpt_writer *w, const char *dir, int *fd) {
  *fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    return tfckpt__seterr(&w->err, TFCKPT_EIO, "%s: cannot open the directory to lock it: %s", dir,
                          strerror(errno));
  while (flock(*fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int e = errno;
    close(*fd);
    *fd = -1;
    return tfckpt__seterr(&w->err, TFCKPT_EIO, "%s: cannot lock the directory: %s", dir, strerror(e));
  }
  return TFCKPT_OK;
}

/* Whether `path`'s directory is `dir` itself (same device and inode, so
 * "run/./ckpt-1" counts and "run/../other/ckpt-1" does not). */
static int in_dir(const char *path, const char *dir) {
  char *pd = tfckpt__dirname(path);
  struct stat a, b;
  int same = pd && stat(pd, &a) == 0 && stat(dir, &b) == 0 && a.st_dev == b.st_dev &&
             a.st_ino == b.st_ino;
  free(pd);
  return same;
}

/* ---- name lookup -------------------------------------------------------- */

static uint64_t hash_key(const uint8_t *k, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ k[i]) * 1099511628211ull;
  return h;
}

static wentry *find_entry(tfckpt_writer *w, const uint8_t *k, size_t n) {
  if (!w->nslots) return NULL;
  for (size_t i = hash_key(k, n) & (w->nslots - 1);; i = (i + 1) & (w->nslots - 1)) {
    size_t s = w->slots[i];
    if (!s) return NULL;
    wentry *e = &w->entries[s - 1];
    if (e->klen == n && !memcmp(e->key, k, n)) return e;
  }
}

static int rehash(tfckpt_writer *w, size_t nslots) {
  size_t *ns = calloc(nslots, sizeof *ns);
  if (!ns) return TFCKPT_ENOMEM;
  for (size_t j = 0; j < w->n; j++) {
    size_t i = hash_key(w->entries[j].key, w->entries[j].klen) & (nslots - 1);
    while (ns[i]) i = (i + 1) & (nslots - 1);
    ns[i] = j + 1;
  }
  free(w->slots);
  w->slots = ns;
  w->nslots = nslots;
  return TFCKPT_OK;
}

/* Appends a new entry (key copied); returns it or NULL on OOM. */
static wentry *new_entry(tfckpt_writer *w, const uint8_t *k, size_t n) {
  if (w->n == w->cap) {
    size_t ncap = w->cap ? w->cap * 2 : 64;
    wentry *ne = realloc(w->entries, ncap * sizeof *ne);
    if (!ne) return NULL;
    w->entries = ne;
    w->cap = ncap;
  }
  if ((w->n + 1) * 2 > w->nslots && rehash(w, w->nslots ? w->nslots * 2 : 128)) return NULL;
  wentry *e = &w->entries[w->n];
  memset(e, 0, sizeof *e);
  e->key = malloc(n + 1);
  if (!e->key) return NULL;
  memcpy(e->key, k, n);
  e->key[n] = 0;
  e->klen = n;
  size_t i = hash_key(k, n) & (w->nslots - 1);
  while (w->slots[i]) i = (i + 1) & (w->nslots - 1);
  w->slots[i] = ++w->n;
  return e;
}

/* ---- data files --------------------------------------------------------- */

static int fail(tfckpt_writer *w, int rc) {
  if (rc && rc != TFCKPT_EEXIST && rc != TFCKPT_EINVAL && rc != TFCKPT_EUNSUPPORTED)
    w->status = W_FAILED;
  return rc;
}

static int shard_flush(tfckpt_writer *w, wshard *s) {
  if (!s->len) return TFCKPT_OK;
  int rc = tfckpt__atomic_write(&s->f, s->buf, s->len, &w->err);
  s->len = 0;
  return rc;
}

static int shard_append(tfckpt_writer *w, wshard *s, const void *data, size_t n) {
  if (!n) return TFCKPT_OK;
  if (s->len + n > SHARD_BUF_SIZE) {
    int rc = shard_flush(w, s);
    if (rc) return rc;
  }
  if (n >= SHARD_BUF_SIZE) {
    int rc = tfckpt__atomic_write(&s->f, data, n, &w->err);
    if (rc) return rc;
  } else {
    memcpy(s->buf + s->len, data, n);
    s->len += n;
  }
  s->offset += (int64_t)n;
  return TFCKPT_OK;
}

/* Appends t's bytes as TF lays them out; fills size and masked crc. */
static int write_tensor(tfckpt_writer *w, const char *shown, const tfckpt_tensor *t, wshard *s,
                        int64_t *size, uint32_t *masked_crc) {
  int rc;
  int64_t start = s->offset;
  uint32_t crc = 0;
  if (tfckpt_dtype_size(t->dtype)) {
    size_t nb = tfckpt_tensor_nbytes(t);
    const void *data = tfckpt_tensor_data(t);
    if (nb && !data)
      return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: tensor \"%s\" has no values", w->prefix,
                           shown);
    crc = tfckpt__crc32c(data, nb);
    if ((rc = shard_append(w, s, data, nb))) return fail(w, rc);
  } else if (t->dtype == TFCKPT_STRING) {
    size_t n = (size_t)t->n;
    size_t *lens = malloc((n ? n : 1) * sizeof *lens);
    if (!lens) return fail(w, tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory"));
    for (size_t i = 0; i < n; i++) {
      const uint8_t *d;
      if (tfckpt_tensor_get_string(t, (int64_t)i, &d, &lens[i]) != TFCKPT_OK) {
        free(lens);
        return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: string tensor \"%s\" has no elements",
                             w->prefix, shown);
      }
    }
    tfckpt__buf head = {0};
    tfckpt__string_tensor_prefix(&head, lens, t->n, &crc);
    free(lens);
    rc = head.oom ? tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory")
                  : shard_append(w, s, head.data, head.len);
    tfckpt__buf_free(&head);
    if (rc) return fail(w, rc);
    for (size_t i = 0; i < n; i++) {
      const uint8_t *d = NULL;
      size_t len = 0;
      tfckpt_tensor_get_string(t, (int64_t)i, &d, &len); /* checked above */
      crc = tfckpt__crc32c_extend(crc, d, len);
      if ((rc = shard_append(w, s, d, len))) return fail(w, rc);
    }
  } else if (t->dtype == TFCKPT_VARIANT) {
    tfckpt__buf el = {0};
    for (int64_t i = 0; i < t->n; i++) {
      const uint8_t *d = NULL;
      size_t len = 0;
      if (tfckpt_tensor_get_string(t, i, &d, &len) != TFCKPT_OK) {
        tfckpt__buf_free(&el);
        return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: variant tensor \"%s\" has no elements",
                             w->prefix, shown);
      }
      el.len = 0;
      tfckpt__variant_element(&el, d, len, &crc);
      rc = el.oom ? tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory")
                  : shard_append(w, s, el.data, el.len);
      if (rc) {
        tfckpt__buf_free(&el);
        return fail(w, rc);
      }
    }
    tfckpt__buf_free(&el);
  } else {
    return tfckpt__seterr(&w->err, TFCKPT_EUNSUPPORTED,
                         "%s: tensor \"%s\": dtype %s cannot be written to a checkpoint",
                         w->prefix, shown, tfckpt_dtype_name(t->dtype));
  }
  *size = s->offset - start;
  *masked_crc = tfckpt__crc_mask(crc);
  return TFCKPT_OK;
}

/* ---- open / add --------------------------------------------------------- */

int tfckpt_writer_open(const char *prefix, const tfckpt_writer_options *opts,
                       tfckpt_writer **out) {
  tfckpt_writer *w = calloc(1, sizeof *w);
  *out = w;
  if (!w) return TFCKPT_ENOMEM;
  if (opts) w->opts = *opts;
  else tfckpt_writer_options_init(&w->opts);
  w->status = W_FAILED; /* until fully opened */
  tfckpt__fault_from_env(&w->fault); /* a no-op unless built with TFCKPT_TEST_HOOKS */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return tfckpt__seterr(&w->err, TFCKPT_EUNSUPPORTED,
                       "writing checkpoints on a big-endian host is not supported");
#endif
  if (!prefix || !*prefix || prefix[strlen(prefix) - 1] == '/')
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL,
                         "checkpoint prefix \"%s\" is empty or names a directory",
                         prefix ? prefix : "");
  if (!(w->prefix = strdup(prefix))) return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
  if (w->opts.num_shards < 1 || w->opts.num_shards > MAX_SHARDS)
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: num_shards %d is not in 1..%d", prefix,
                         w->opts.num_shards, MAX_SHARDS);
  if (w->opts.max_to_keep < 0)
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: max_to_keep %d is negative", prefix,
                         w->opts.max_to_keep);
  char *dir = tfckpt__dirname(prefix);
  int isdir = dir && tfckpt__is_dir(dir);
  if (!isdir) {
    int rc = tfckpt__seterr(&w->err, dir ? TFCKPT_ENOTFOUND : TFCKPT_ENOMEM,
                           "%s: output directory %s does not exist", prefix, dir ? dir : "?");
    free(dir);
    return rc;
  }
  free(dir);
  w->shards = calloc((size_t)w->opts.num_shards, sizeof *w->shards);
  if (!w->shards) return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
  for (int i = 0; i < w->opts.num_shards; i++) {
    wshard *s = &w->shards[i];
    s->f.fd = -1;
    w->nshards = i + 1;
    char *path = tfckpt__strdupf("%s.data-%05d-of-%05d", prefix, i, w->opts.num_shards);
    if (!path) return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
    int rc = tfckpt__atomic_open(&s->f, path, &w->fault, &w->err);
    free(path);
    if (rc) return rc;
    if (!(s->buf = malloc(SHARD_BUF_SIZE)))
      return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
  }
  w->status = W_OPEN;
  return TFCKPT_OK;
}

static int check_usable(tfckpt_writer *w) {
  if (w->status == W_FINISHED)
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: the writer is already finished", w->prefix);
  if (w->status == W_FAILED) return w->err.code ? w->err.code : TFCKPT_EIO;
  return TFCKPT_OK;
}

static int check_tensor(tfckpt_writer *w, const char *name, const tfckpt_tensor *t) {
  if (!name || !*name)
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: a tensor name must not be empty", w->prefix);
  if (!t) return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: tensor \"%s\" is NULL", w->prefix, name);
  if (!tfckpt_dtype_size(t->dtype) && t->dtype != TFCKPT_STRING && t->dtype != TFCKPT_VARIANT)
    return tfckpt__seterr(&w->err, TFCKPT_EUNSUPPORTED,
                         "%s: tensor \"%s\": dtype %s cannot be written to a checkpoint",
                         w->prefix, name, tfckpt_dtype_name(t->dtype));
  return TFCKPT_OK;
}

static int copy_dims(int64_t **dst, int rank, const int64_t *src) {
  *dst = malloc((size_t)(rank ? rank : 1) * sizeof **dst);
  if (!*dst) return TFCKPT_ENOMEM;
  if (rank) memcpy(*dst, src, (size_t)rank * sizeof *src);
  return TFCKPT_OK;
}

/* Writes t's data and records an entry under key. */
static int add_entry(tfckpt_writer *w, const uint8_t *key, size_t klen, const char *shown,
                     const tfckpt_tensor *t, int shard) {
  wshard *s = &w->shards[shard];
  int64_t offset = s->offset, size = 0;
  uint32_t crc = 0;
  int rc = write_tensor(w, shown, t, s, &size, &crc);
  if (rc) return rc;
  wentry *e = new_entry(w, key, klen);
  if (!e || copy_dims(&e->e.dims, t->rank, t->dims))
    return fail(w, tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory"));
  e->e.dtype = t->dtype;
  e->e.rank = t->rank;
  e->e.shard_id = shard;
  e->e.offset = offset;
  e->e.size = size;
  e->e.crc32c = crc;
  e->e.has_crc = 1;
  return TFCKPT_OK;
}

int tfckpt_writer_add_to_shard(tfckpt_writer *w, const char *name, const tfckpt_tensor *t,
                               int shard) {
  int rc = check_usable(w);
  if (rc || (rc = check_tensor(w, name, t))) return rc;
  if (shard < 0 || shard >= w->nshards)
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: tensor \"%s\": shard %d is not in 0..%d",
                         w->prefix, name, shard, w->nshards - 1);
  if (find_entry(w, (const uint8_t *)name, strlen(name)))
    return tfckpt__seterr(&w->err, TFCKPT_EEXIST, "%s: tensor \"%s\" was already added",
                         w->prefix, name);
  return add_entry(w, (const uint8_t *)name, strlen(name), name, t, shard);
}

int tfckpt_writer_add(tfckpt_writer *w, const char *name, const tfckpt_tensor *t) {
  int rc = check_usable(w);
  if (rc) return rc;
  int shard = w->next_shard;
  rc = tfckpt_writer_add_to_shard(w, name, t, shard);
  if (rc == TFCKPT_OK) w->next_shard = (shard + 1) % w->nshards;
  return rc;
}

int tfckpt_writer_add_slice(tfckpt_writer *w, const char *full_name, int full_rank,
                            const int64_t *full_dims, const int64_t *start,
                            const int64_t *length, const tfckpt_tensor *t, int shard) {
  int rc = check_usable(w);
  if (rc || (rc = check_tensor(w, full_name, t))) return rc;
  if (shard < 0 || shard >= w->nshards)
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: tensor \"%s\": shard %d is not in 0..%d",
                         w->prefix, full_name, shard, w->nshards - 1);
  if (full_rank < 0 || full_rank > TFCKPT_MAX_RANK || t->rank != full_rank ||
      (full_rank && (!full_dims || !start || !length)))
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL,
                         "%s: slice of \"%s\": the slice has rank %d, the variable %d", w->prefix,
                         full_name, t->rank, full_rank);
  int all_full = 1;
  for (int d = 0; d < full_rank; d++) {
    int64_t want = length[d] == -1 ? full_dims[d] : length[d];
    int bad = full_dims[d] < 0 || (length[d] == -1 ? start[d] != 0
                                                    : (start[d] < 0 || length[d] < 0 ||
                                                       start[d] > full_dims[d] - length[d]));
    if (bad || t->dims[d] != want)
      return tfckpt__seterr(&w->err, TFCKPT_EINVAL,
                           "%s: slice of \"%s\": extent %lld,%lld of dimension %d does not fit "
                           "the shape (dimension %lld, slice tensor %lld)",
                           w->prefix, full_name, (long long)start[d], (long long)length[d], d,
                           (long long)full_dims[d], (long long)t->dims[d]);
    if (length[d] != -1) all_full = 0;
  }
  if (all_full) return tfckpt_writer_add_to_shard(w, full_name, t, shard);

  size_t nlen = strlen(full_name);
  wentry *parent = find_entry(w, (const uint8_t *)full_name, nlen);
  if (parent && !parent->is_parent)
    return tfckpt__seterr(&w->err, TFCKPT_EEXIST,
                         "%s: \"%s\" was already added as a whole tensor", w->prefix, full_name);
  if (parent && (parent->e.dtype != t->dtype || parent->e.rank != full_rank ||
                 (full_rank && memcmp(parent->e.dims, full_dims, (size_t)full_rank * 8))))
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL,
                         "%s: slice of \"%s\" has another dtype or full shape than its earlier "
                         "slices",
                         w->prefix, full_name);
  tfckpt__slice sl = {full_rank, (int64_t *)start, (int64_t *)length};
  tfckpt__buf key = {0};
  tfckpt__encode_slice_key(&key, full_name, nlen, &sl);
  if (key.oom) return fail(w, tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory"));
  if (find_entry(w, key.data, key.len)) {
    tfckpt__buf_free(&key);
    return tfckpt__seterr(&w->err, TFCKPT_EEXIST, "%s: this slice of \"%s\" was already added",
                         w->prefix, full_name);
  }
  rc = add_entry(w, key.data, key.len, full_name, t, shard);
  tfckpt__buf_free(&key);
  if (rc) return rc;
  if (!parent) {
    parent = new_entry(w, (const uint8_t *)full_name, nlen);
    if (!parent || copy_dims(&parent->e.dims, full_rank, full_dims))
      return fail(w, tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory"));
    parent->is_parent = 1;
    parent->e.dtype = t->dtype;
    parent->e.rank = full_rank;
  }
  tfckpt__slice *ns = realloc(parent->e.slices, (size_t)(parent->e.nslices + 1) * sizeof *ns);
  if (!ns) return fail(w, tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory"));
  parent->e.slices = ns;
  tfckpt__slice *dst = &ns[parent->e.nslices];
  dst->rank = full_rank;
  dst->start = malloc((size_t)(full_rank ? full_rank : 1) * sizeof(int64_t));
  dst->length = malloc((size_t)(full_rank ? full_rank : 1) * sizeof(int64_t));
  if (!dst->start || !dst->length) {
    free(dst->start);
    free(dst->length);
    return fail(w, tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory"));
  }
  for (int d = 0; d < full_rank; d++) {
    dst->start[d] = length[d] == -1 ? 0 : start[d];
    dst->length[d] = length[d];
  }
  parent->e.nslices++;
  return TFCKPT_OK;
}

int tfckpt_writer_set_parent_shard(tfckpt_writer *w, const char *full_name, int shard) {
  int rc = check_usable(w);
  if (rc) return rc;
  wentry *p = full_name ? find_entry(w, (const uint8_t *)full_name, strlen(full_name)) : NULL;
  if (!p || !p->is_parent)
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: \"%s\" is not a partitioned variable",
                         w->prefix, full_name ? full_name : "");
  if (shard < 0 || shard >= w->nshards)
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: \"%s\": shard %d is not in 0..%d",
                         w->prefix, full_name, shard, w->nshards - 1);
  p->e.shard_id = shard;
  return TFCKPT_OK;
}

/* ---- finish ------------------------------------------------------------- */

static int entry_cmp(const void *a, const void *b) {
  const wentry *x = *(const wentry *const *)a, *y = *(const wentry *const *)b;
  size_t m = x->klen < y->klen ? x->klen : y->klen;
  int c = memcmp(x->key, y->key, m);
  if (c) return c;
  return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static int build_index(tfckpt_writer *w, tfckpt__buf *out) {
  wentry **order = malloc((w->n ? w->n : 1) * sizeof *order);
  if (!order) return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
  for (size_t i = 0; i < w->n; i++) order[i] = &w->entries[i];
  qsort(order, w->n, sizeof *order, entry_cmp);
  tfckpt__table_builder tb;
  tfckpt__table_builder_init(&tb, out);
  tfckpt__buf val = {0};
  tfckpt__bundle_encode_header(&val, w->nshards);
  int rc = val.oom ? TFCKPT_ENOMEM : tfckpt__table_builder_add(&tb, "", 0, val.data, val.len);
  for (size_t i = 0; rc == TFCKPT_OK && i < w->n; i++) {
    val.len = 0;
    tfckpt__bundle_encode_entry(&val, &order[i]->e);
    rc = val.oom ? TFCKPT_ENOMEM
                 : tfckpt__table_builder_add(&tb, order[i]->key, order[i]->klen, val.data, val.len);
  }
  if (rc == TFCKPT_OK) rc = tfckpt__table_builder_finish(&tb);
  tfckpt__table_builder_free(&tb);
  tfckpt__buf_free(&val);
  free(order);
  if (rc) return tfckpt__seterr(&w->err, rc, "%s: cannot build the index: %s", w->prefix,
                               tfckpt_errstr(rc));
  return TFCKPT_OK;
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* Removes prefix.index, prefix.meta and prefix.data-?????-of-NNNNN files,
 * except data files with -of-`keep_shards` (when keep_shards > 0). */
static void remove_checkpoint_files(tfckpt_writer *w, const char *prefix, int keep_shards,
                                    int with_index) {
  if (with_index) {
    char *p = tfckpt__strdupf("%s.index", prefix);
    char *m = tfckpt__strdupf("%s.meta", prefix);
    if (!tfckpt__fault_point(&w->fault)) {
      if (p) unlink(p);
      if (m) unlink(m);
    }
    free(p);
    free(m);
  }
  char *dir = tfckpt__dirname(prefix);
  DIR *d = dir ? opendir(dir) : NULL;
  if (!d) {
    free(dir);
    return;
  }
  const char *base = base_name(prefix);
  size_t bl = strlen(base);
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *n = de->d_name;
    int a, b;
    char tail;
    if (strncmp(n, base, bl) || strncmp(n + bl, ".data-", 6) || strlen(n + bl) != 20 ||
        sscanf(n + bl, ".data-%5d-of-%5d%c", &a, &b, &tail) != 2)
      continue;
    if (keep_shards > 0 && b == keep_shards) continue;
    char *p = tfckpt__path_join(dir, n);
    if (p && !tfckpt__fault_point(&w->fault)) unlink(p);
    free(p);
  }
  closedir(d);
  free(dir);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The new `checkpoint` text; *dropped receives the paths max_to_keep
 * removes (caller frees both). */
static int make_state(tfckpt_writer *w, const char *state_path, char **text, char ***dropped,
                      size_t *ndropped) {
  tfckpt_state st;
  memset(&st, 0, sizeof st);
  *text = NULL;
  *dropped = NULL;
  *ndropped = 0;
  if (tfckpt__is_file(state_path)) {
    int rc = tfckpt__state_read(state_path, &st, &w->err);
    if (rc) return tfckpt__err_prefix(&w->err, "cannot update the checkpoint state file");
  }
  const char *me = base_name(w->prefix);
  double now = now_seconds();
  /* timestamps only make sense when there is one per path */
  int have_ts = st.ntimestamps == st.npaths;
  size_t n = 0;
  char **paths = calloc(st.npaths + 1, sizeof *paths);
  double *ts = calloc(st.npaths + 1, sizeof *ts);
  int rc = TFCKPT_OK;
  if (!paths || !ts) {
    free(paths);
    free(ts);
    tfckpt_state_free(&st);
    return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
  }
  for (size_t i = 0; rc == TFCKPT_OK && i < st.npaths; i++) {
    if (!strcmp(st.all_paths[i], me)) {
      free(st.all_paths[i]);
      continue;
    }
    paths[n] = st.all_paths[i];
    ts[n++] = have_ts ? st.timestamps[i] : now;
  }
  if (rc == TFCKPT_OK && !(paths[n] = strdup(me))) rc = TFCKPT_ENOMEM;
  if (rc == TFCKPT_OK) {
    ts[n++] = now;
    size_t first = 0;
    if (w->opts.max_to_keep > 0 && n > (size_t)w->opts.max_to_keep)
      first = n - (size_t)w->opts.max_to_keep;
    if (first) {
      *dropped = malloc(first * sizeof **dropped);
      if (!*dropped) rc = TFCKPT_ENOMEM;
      for (size_t i = 0; rc == TFCKPT_OK && i < first; i++) (*dropped)[(*ndropped)++] = paths[i];
    }
    if (rc == TFCKPT_OK) {
      tfckpt_state out = st;
      out.model_checkpoint_path = (char *)me;
      out.all_paths = paths + first;
      out.npaths = n - first;
      out.timestamps = ts + first;
      out.ntimestamps = n - first;
      *text = tfckpt_state_format(&out);
      if (!*text) rc = TFCKPT_ENOMEM;
      for (size_t i = first; i < n; i++) free(paths[i]);
    } else {
      for (size_t i = 0; i < n; i++) free(paths[i]);
    }
  } else {
    for (size_t i = 0; i < n; i++) free(paths[i]);
  }
  free(paths);
  free(ts);
  free(st.all_paths);
  st.all_paths = NULL;
  st.npaths = 0;
  tfckpt_state_free(&st);
  if (rc) {
    if (*dropped) {
      for (size_t i = 0; i < *ndropped; i++) free((*dropped)[i]);
      free(*dropped);
      *dropped = NULL;
      *ndropped = 0;
    }
    return tfckpt__seterr(&w->err, rc, "out of memory");
  }
  return TFCKPT_OK;
}

int tfckpt_writer_finish(tfckpt_writer *w) {
  int rc = check_usable(w);
  if (rc) return rc;
  tfckpt__buf index = {0};
  tfckpt__atomic_file fidx, fstate;
  memset(&fidx, 0, sizeof fidx);
  memset(&fstate, 0, sizeof fstate);
  fidx.fd = fstate.fd = -1;
  char *index_path = NULL, *state_path = NULL, *state_text = NULL, *dir = NULL;
  char **dropped = NULL;
  size_t ndropped = 0;
  int lock_fd = -1;

  /* 1. data files complete and durable under their temporary names */
  for (int i = 0; rc == TFCKPT_OK && i < w->nshards; i++) {
    rc = shard_flush(w, &w->shards[i]);
    if (!rc) rc = tfckpt__atomic_sync(&w->shards[i].f, &w->err);
  }
  /* 2. the index, and the state file, also under temporary names */
  if (!rc) rc = build_index(w, &index);
  if (!rc && !(index_path = tfckpt__strdupf("%s.index", w->prefix)))
    rc = tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
  if (!rc) rc = tfckpt__atomic_open(&fidx, index_path, &w->fault, &w->err);
  if (!rc) rc = tfckpt__atomic_write(&fidx, index.data, index.len, &w->err);
  if (!rc) rc = tfckpt__atomic_sync(&fidx, &w->err);
  if (!rc && w->opts.update_state) {
    dir = tfckpt__dirname(w->prefix);
    state_path = dir ? tfckpt__path_join(dir, "checkpoint") : NULL;
    if (!state_path) rc = tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
    if (!rc) rc = lock_dir(w, dir, &lock_fd);
    if (!rc) rc = make_state(w, state_path, &state_text, &dropped, &ndropped);
    if (!rc) rc = tfckpt__atomic_open(&fstate, state_path, &w->fault, &w->err);
    if (!rc) rc = tfckpt__atomic_write(&fstate, state_text, strlen(state_text), &w->err);
    if (!rc) rc = tfckpt__atomic_sync(&fstate, &w->err);
  }
  /* 3. an old checkpoint whose data files are about to be replaced loses its
   * index first, so that it is never paired with the new data */
  if (!rc) {
    int collide = 0;
    for (int i = 0; i < w->nshards && !collide; i++)
      collide = tfckpt__is_file(w->shards[i].f.final_path);
    if (collide && tfckpt__is_file(index_path)) {
      if (tfckpt__fault_point(&w->fault) || unlink(index_path) != 0)
        rc = tfckpt__seterr(&w->err, TFCKPT_EIO, "%s: cannot remove the old index", index_path);
    }
  }
  /* 4. commit: data files, the index, then the state file */
  for (int i = 0; rc == TFCKPT_OK && i < w->nshards; i++)
    rc = tfckpt__atomic_commit(&w->shards[i].f, &w->err);
  if (!rc) rc = tfckpt__atomic_commit(&fidx, &w->err);
  if (!rc) rc = tfckpt__fsync_dir_fault(index_path, &w->fault, &w->err);
  if (!rc && state_path) {
    rc = tfckpt__atomic_commit(&fstate, &w->err);
    if (!rc) rc = tfckpt__fsync_dir_fault(state_path, &w->fault, &w->err);
  }
  if (!rc) {
    w->status = W_FINISHED;
    /* 5. garbage: data files of an older layout of this prefix, and the
     * checkpoints max_to_keep dropped (only now that nothing names them) */
    remove_checkpoint_files(w, w->prefix, w->nshards, 0);
    for (size_t i = 0; i < ndropped; i++) {
      char *p = dropped[i][0] == '/' ? strdup(dropped[i]) : tfckpt__path_join(dir, dropped[i]);
      if (p && strcmp(p, w->prefix)) {
        if (in_dir(p, dir))
          remove_checkpoint_files(w, p, 0, 1);
        else
          warn(w, tfckpt__strdupf("%s: not deleted by max_to_keep: outside the output directory %s",
                                  dropped[i], dir));
      }
      free(p);
    }
  } else {
    fail(w, rc);
    w->status = W_FAILED;
  }
  if (lock_fd >= 0) close(lock_fd);
  for (size_t i = 0; i < ndropped; i++) free(dropped[i]);
  free(dropped);
  tfckpt__atomic_release(&fidx);
  tfckpt__atomic_release(&fstate);
  tfckpt__buf_free(&index);
  free(index_path);
  free(state_path);
  free(state_text);
  free(dir);
  return rc;
}

void tfckpt_writer_close(tfckpt_writer *w) {
  if (!w) return;
  for (int i = 0; i < w->nshards; i++) {
    tfckpt__atomic_release(&w->shards[i].f);
    free(w->shards[i].buf);
  }
  free(w->shards);
  for (size_t i = 0; i < w->n; i++) {
    free(w->entries[i].key);
    tfckpt__bundle_entry_free(&w->entries[i].e);
  }
  free(w->entries);
  free(w->slots);
  free(w->prefix);
  for (size_t i = 0; i < w->nwarnings; i++) free(w->warnings[i]);
  free(w->warnings);
  free(w);
}
