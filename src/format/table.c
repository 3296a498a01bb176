#include "format/table.h"

#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "core/coding.h"
#include "core/crc32c.h"

typedef struct block_handle {
  uint64_t offset, size;
} block_handle;

typedef struct index_entry {
  uint8_t *key; /* separator: >= every key of the block, < the next block's */
  size_t klen;
  block_handle handle;
} index_entry;

struct tfckpt__table {
  const uint8_t *data;
  size_t size;
  char *name;
  index_entry *index;
  size_t nindex;
};

/* Block contents after checksum verification (and decompression). */
typedef struct block {
  const uint8_t *data;
  size_t size;
  uint8_t *owned;
} block;

static const uint8_t *decode_handle(const uint8_t *p, const uint8_t *end, block_handle *h) {
  p = tfckpt__get_varint64(p, end, &h->offset);
  if (!p) return NULL;
  return tfckpt__get_varint64(p, end, &h->size);
}

static int read_block(const tfckpt__table *t, block_handle h, block *out, tfckpt__err *err) {
  out->owned = NULL;
  if (h.offset > t->size || h.size > t->size - h.offset ||
      t->size - h.offset - h.size < TFCKPT_BLOCK_TRAILER_SIZE)
    return tfckpt__seterr(err, TFCKPT_ECORRUPT,
                         "%s: truncated block read (block at offset %llu, size %llu, file %zu bytes)",
                         t->name, (unsigned long long)h.offset, (unsigned long long)h.size,
                         t->size);
  const uint8_t *p = t->data + h.offset;
  size_t n = (size_t)h.size;
  uint8_t type = p[n];
  uint32_t stored = tfckpt__crc_unmask(tfckpt__get_u32le(p + n + 1));
  uint32_t actual = tfckpt__crc32c(p, n + 1);
  if (stored != actual)
    return tfckpt__seterr(err, TFCKPT_ECHECKSUM, "%s: block checksum mismatch at offset %llu",
                         t->name, (unsigned long long)h.offset);
  if (type == 0) {
    out->data = p;
    out->size = n;
    return TFCKPT_OK;
  }
  if (type != 1)
    return tfckpt__seterr(err, TFCKPT_ECORRUPT,
                         "%s: bad block compression type %u at offset %llu", t->name, type,
                         (unsigned long long)h.offset);
  size_t ulen;
  if (snappy_uncompressed_length((const char *)p, n, &ulen) != SNAPPY_OK)
    return tfckpt__seterr(err, TFCKPT_ECORRUPT, "%s: corrupted snappy block at offset %llu",
                         t->name, (unsigned long long)h.offset);
  /* A snappy block expands at most ~ 2^32/5 per byte in theory; refuse sizes
   * no checkpoint writer could produce relative to the input. */
  if (ulen > (size_t)1 << 31 || ulen / 64 > n + 64)
    return tfckpt__seterr(err, TFCKPT_ECORRUPT,
                         "%s: snappy block at offset %llu claims %zu bytes uncompressed",
                         t->name, (unsigned long long)h.offset, ulen);
  uint8_t *buf = malloc(ulen ? ulen : 1);
  if (!buf) return tfckpt__seterr(err, TFCKPT_ENOMEM, "%s: out of memory", t->name);
  size_t got = ulen;
  if (snappy_uncompress((const char *)p, n, (char *)buf, &got) != SNAPPY_OK || got != ulen) {
    free(buf);
    return tfckpt__seterr(err, TFCKPT_ECORRUPT, "%s: corrupted snappy block at offset %llu",
                         t->name, (unsigned long long)h.offset);
  }
  out->data = buf;
  out->size = ulen;
  out->owned = buf;
  return TFCKPT_OK;
}

/* Iterates the entries of one block, rebuilding prefix-compressed keys. */
typedef struct block_iter {
  const uint8_t *p, *limit; /* entries end where the restart array starts */
  uint8_t *key;
  size_t klen, kcap;
  const uint8_t *value;
  size_t vlen;
} block_iter;

static int block_iter_init(block_iter *it, const block *b) {
  memset(it, 0, sizeof *it);
  if (b->size < 4) return -1;
  uint32_t nrestarts = tfckpt__get_u32le(b->data + b->size - 4);
  if (nrestarts == 0 || nrestarts > (b->size - 4) / 4) return -1;
  it->p = b->data;
  it->limit = b->data + b->size - 4 - 4 * (size_t)nrestarts;
  return 0;
}

/* 1: entry read; 0: end; -1: corrupt. */
static int block_iter_next(block_iter *it) {
  if (it->p >= it->limit) return 0;
  uint32_t shared, unshared, vlen;
  const uint8_t *p = tfckpt__get_varint32(it->p, it->limit, &shared);
  if (p) p = tfckpt__get_varint32(p, it->limit, &unshared);
  if (p) p = tfckpt__get_varint32(p, it->limit, &vlen);
  if (!p || shared > it->klen || (uint64_t)unshared + vlen > (uint64_t)(it->limit - p))
    return -1;
  size_t need = (size_t)shared + unshared;
  if (need > it->kcap) {
    size_t ncap = need < 64 ? 64 : need * 2;
    uint8_t *nk = realloc(it->key, ncap);
    if (!nk) return -2;
    it->key = nk;
    it->kcap = ncap;
  }
  if (unshared) memcpy(it->key + shared, p, unshared); /* key is NULL for "" keys */
  it->klen = need;
  it->value = p + unshared;
  it->vlen = vlen;
  it->p = p + unshared + vlen;
  return 1;
}

static void block_iter_free(block_iter *it) { free(it->key); }

static int iter_error(const tfckpt__table *t, int rc, block_handle h, tfckpt__err *err) {
  if (rc == -2) return tfckpt__seterr(err, TFCKPT_ENOMEM, "%s: out of memory", t->name);
  return tfckpt__seterr(err, TFCKPT_ECORRUPT, "%s: bad block contents at offset %llu", t->name,
                       (unsigned long long)h.offset);
}

void tfckpt__table_close(tfckpt__table *t) {
  if (!t) return;
  for (size_t i = 0; i < t->nindex; i++) free(t->index[i].key);
  free(t->index);
  free(t->name);
  free(t);
}

int tfckpt__table_open(const uint8_t *data, size_t size, const char *name, tfckpt__table **out,
                      tfckpt__err *err) {
  *out = NULL;
  if (size < TFCKPT_TABLE_FOOTER_SIZE)
    return tfckpt__seterr(err, TFCKPT_ECORRUPT,
                         "%s: not a checkpoint table (file is %zu bytes, shorter than the "
                         "48-byte footer)",
                         name, size);
  const uint8_t *footer = data + size - TFCKPT_TABLE_FOOTER_SIZE;
  if (tfckpt__get_u64le(footer + 40) != TFCKPT_TABLE_MAGIC)
    return tfckpt__seterr(err, TFCKPT_ECORRUPT, "%s: not an sstable (bad magic number)", name);
  block_handle meta, index;
  const uint8_t *p = decode_handle(footer, footer + 40, &meta);
  if (p) p = decode_handle(p, footer + 40, &index);
  if (!p) return tfckpt__seterr(err, TFCKPT_ECORRUPT, "%s: bad block handle in footer", name);

  tfckpt__table *t = calloc(1, sizeof *t);
  if (!t || !(t->name = strdup(name))) {
    free(t);
    return tfckpt__seterr(err, TFCKPT_ENOMEM, "%s: out of memory", name);
  }
  t->data = data;
  t->size = size;
  block b;
  int rc = read_block(t, index, &b, err);
  if (rc) {
    tfckpt__table_close(t);
    return rc;
  }
  block_iter it;
  if (block_iter_init(&it, &b) != 0) {
    free(b.owned);
    tfckpt__table_close(t);
    return tfckpt__seterr(err, TFCKPT_ECORRUPT, "%s: bad index block contents", name);
  }
  size_t cap = 0;
  for (;;) {
    int r = block_iter_next(&it);
    if (r == 0) break;
    block_handle h;
    if (r < 0 || !decode_handle(it.value, it.value + it.vlen, &h)) {
      rc = r == -2 ? tfckpt__seterr(err, TFCKPT_ENOMEM, "%s: out of memory", name)
                   : tfckpt__seterr(err, TFCKPT_ECORRUPT, "%s: bad index block contents", name);
      break;
    }
    if (t->nindex == cap) {
      cap = cap ? cap * 2 : 16;
      index_entry *ni = realloc(t->index, cap * sizeof *ni);
      if (!ni) {
        rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "%s: out of memory", name);
        break;
      }
      t->index = ni;
    }
    index_entry *e = &t->index[t->nindex];
    e->key = malloc(it.klen ? it.klen : 1);
    if (!e->key) {
      rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "%s: out of memory", name);
      break;
    }
    if (it.klen) memcpy(e->key, it.key, it.klen);
    e->klen = it.klen;
    e->handle = h;
    t->nindex++;
  }
  block_iter_free(&it);
  free(b.owned);
  if (rc) {
    tfckpt__table_close(t);
    return rc;
  }
  *out = t;
  return TFCKPT_OK;
}

size_t tfckpt__table_num_blocks(const tfckpt__table *t) { return t->nindex; }

int tfckpt__table_foreach(tfckpt__table *t, tfckpt__table_visit visit, void *ctx, tfckpt__err *err) {
  for (size_t i = 0; i < t->nindex; i++) {
    block b;
    int rc = read_block(t, t->index[i].handle, &b, err);
    if (rc) return rc;
    block_iter it;
    if (block_iter_init(&it, &b) != 0) {
      free(b.owned);
      return iter_error(t, -1, t->index[i].handle, err);
    }
    int r;
    while ((r = block_iter_next(&it)) > 0) {
      rc = visit(ctx, it.key, it.klen, it.value, it.vlen);
      if (rc) break;
    }
    block_iter_free(&it);
    free(b.owned);
    if (rc) return rc;
    if (r < 0) return iter_error(t, r, t->index[i].handle, err);
  }
  return TFCKPT_OK;
}

static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  size_t n = alen < blen ? alen : blen;
  int c = n ? memcmp(a, b, n) : 0; /* "" keys may have NULL data */
  if (c) return c;
  return alen < blen ? -1 : alen > blen;
}

int tfckpt__table_get(tfckpt__table *t, const uint8_t *key, size_t klen, tfckpt__table_value *out,
                     tfckpt__err *err) {
  memset(out, 0, sizeof *out);
  /* first index entry whose key >= target */
  size_t lo = 0, hi = t->nindex;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (key_cmp(t->index[mid].key, t->index[mid].klen, key, klen) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == t->nindex) return TFCKPT_ENOTFOUND;
  block b;
  int rc = read_block(t, t->index[lo].handle, &b, err);
  if (rc) return rc;
  block_iter it;
  if (block_iter_init(&it, &b) != 0) {
    free(b.owned);
    return iter_error(t, -1, t->index[lo].handle, err);
  }
  int r;
  rc = TFCKPT_ENOTFOUND;
  while ((r = block_iter_next(&it)) > 0) {
    int c = key_cmp(it.key, it.klen, key, klen);
    if (c == 0) {
      out->data = it.value;
      out->len = it.vlen;
      out->owned = b.owned;
      b.owned = NULL;
      rc = TFCKPT_OK;
      break;
    }
    if (c > 0) break;
  }
  block_iter_free(&it);
  free(b.owned);
  if (r < 0) return iter_error(t, r, t->index[lo].handle, err);
  return rc;
}

void tfckpt__table_value_free(tfckpt__table_value *v) {
  free(v->owned);
  memset(v, 0, sizeof *v);
}
