#include "format/table_builder.h"

#include <stdlib.h>
#include <string.h>

#include "core/coding.h"
#include "core/crc32c.h"
#include "format/table.h"
#include "tfckpt/tfckpt.h"

static void block_init(tfckpt__block_builder *b, int interval) {
  memset(b, 0, sizeof *b);
  b->interval = interval;
  b->empty = 1;
}

static void block_reset(tfckpt__block_builder *b) {
  b->buf.len = 0;
  b->nrestarts = 0;
  b->counter = 0;
  b->last_key.len = 0;
  b->empty = 1;
}

static void block_free(tfckpt__block_builder *b) {
  tfckpt__buf_free(&b->buf);
  tfckpt__buf_free(&b->last_key);
  free(b->restarts);
  memset(b, 0, sizeof *b);
}

static int push_restart(tfckpt__block_builder *b, uint32_t off) {
  if (b->nrestarts == b->cap_restarts) {
    size_t ncap = b->cap_restarts ? b->cap_restarts * 2 : 16;
    uint32_t *nr = realloc(b->restarts, ncap * sizeof *nr);
    if (!nr) return TFCKPT_ENOMEM;
    b->restarts = nr;
    b->cap_restarts = ncap;
  }
  b->restarts[b->nrestarts++] = off;
  return TFCKPT_OK;
}

/* Bytes the block would take if finished now (TF's CurrentSizeEstimate). */
static size_t block_size_estimate(const tfckpt__block_builder *b) {
  size_t nr = b->nrestarts ? b->nrestarts : 1;
  return b->buf.len + 4 * nr + 4;
}

static int block_add(tfckpt__block_builder *b, const uint8_t *key, size_t klen,
                     const uint8_t *value, size_t vlen) {
  size_t shared = 0;
  if (b->empty) {
    /* the first entry is restart point 0 */
    if (push_restart(b, 0)) return TFCKPT_ENOMEM;
    b->counter = 0;
  } else if (b->counter < b->interval) {
    size_t m = b->last_key.len < klen ? b->last_key.len : klen;
    while (shared < m && b->last_key.data[shared] == key[shared]) shared++;
  } else {
    if (push_restart(b, (uint32_t)b->buf.len)) return TFCKPT_ENOMEM;
    b->counter = 0;
  }
  uint8_t hdr[30];
  size_t h = tfckpt__put_varint64(hdr, shared);
  h += tfckpt__put_varint64(hdr + h, klen - shared);
  h += tfckpt__put_varint64(hdr + h, vlen);
  tfckpt__buf_append(&b->buf, hdr, h);
  tfckpt__buf_append(&b->buf, key + shared, klen - shared);
  tfckpt__buf_append(&b->buf, value, vlen);
  b->last_key.len = 0;
  tfckpt__buf_append(&b->last_key, key, klen);
  b->counter++;
  b->empty = 0;
  return b->buf.oom || b->last_key.oom ? TFCKPT_ENOMEM : TFCKPT_OK;
}

/* Appends restarts + count to the block's bytes (TF's BlockBuilder::Finish). */
static int block_finish(tfckpt__block_builder *b) {
  if (b->empty && push_restart(b, 0)) return TFCKPT_ENOMEM;
  uint8_t tmp[4];
  for (size_t i = 0; i < b->nrestarts; i++) {
    tfckpt__put_u32le(tmp, b->restarts[i]);
    tfckpt__buf_append(&b->buf, tmp, 4);
  }
  tfckpt__put_u32le(tmp, (uint32_t)b->nrestarts);
  tfckpt__buf_append(&b->buf, tmp, 4);
  return b->buf.oom ? TFCKPT_ENOMEM : TFCKPT_OK;
}

/* Writes a finished block plus its trailer; returns its handle. */
static int write_block(tfckpt__table_builder *tb, tfckpt__block_builder *b, uint64_t *off,
                       uint64_t *size) {
  if (block_finish(b)) return TFCKPT_ENOMEM;
  *off = tb->out->len;
  *size = b->buf.len;
  uint8_t trailer[5];
  trailer[0] = 0; /* no compression, as TF's bundle writer forces */
  uint32_t crc = tfckpt__crc32c_extend(tfckpt__crc32c(b->buf.data, b->buf.len), trailer, 1);
  tfckpt__put_u32le(trailer + 1, tfckpt__crc_mask(crc));
  tfckpt__buf_append(tb->out, b->buf.data, b->buf.len);
  tfckpt__buf_append(tb->out, trailer, 5);
  block_reset(b);
  return tb->out->oom ? TFCKPT_ENOMEM : TFCKPT_OK;
}

static size_t put_handle(uint8_t *p, uint64_t off, uint64_t size) {
  size_t n = tfckpt__put_varint64(p, off);
  return n + tfckpt__put_varint64(p + n, size);
}

void tfckpt__shortest_separator(tfckpt__buf *start, const uint8_t *limit, size_t limit_len) {
  size_t m = start->len < limit_len ? start->len : limit_len;
  size_t i = 0;
  while (i < m && start->data[i] == limit[i]) i++;
  if (i >= m) return; /* one is a prefix of the other */
  uint8_t c = start->data[i];
  if (c < 0xff && (unsigned)c + 1 < limit[i]) {
    start->data[i]++;
    start->len = i + 1;
  }
}

void tfckpt__short_successor(tfckpt__buf *key) {
  for (size_t i = 0; i < key->len; i++) {
    if (key->data[i] != 0xff) {
      key->data[i]++;
      key->len = i + 1;
      return;
    }
  }
}

void tfckpt__table_builder_init(tfckpt__table_builder *tb, tfckpt__buf *out) {
  memset(tb, 0, sizeof *tb);
  tb->out = out;
  tb->block_size = TFCKPT_TABLE_BLOCK_SIZE;
  block_init(&tb->data, 16);
  block_init(&tb->index, 1);
}

static int add_pending_index(tfckpt__table_builder *tb, tfckpt__buf *sep) {
  uint8_t h[20];
  size_t hn = put_handle(h, tb->pending_offset, tb->pending_size);
  tb->pending = 0;
  return block_add(&tb->index, sep->data ? sep->data : (const uint8_t *)"", sep->len, h, hn);
}

static int flush(tfckpt__table_builder *tb) {
  if (tb->data.empty) return TFCKPT_OK;
  int rc = write_block(tb, &tb->data, &tb->pending_offset, &tb->pending_size);
  if (rc == TFCKPT_OK) tb->pending = 1;
  return rc;
}

static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  size_t m = alen < blen ? alen : blen;
  int c = m ? memcmp(a, b, m) : 0;
  if (c) return c;
  return alen < blen ? -1 : alen > blen;
}

int tfckpt__table_builder_add(tfckpt__table_builder *tb, const void *key, size_t klen,
                             const void *value, size_t vlen) {
  const uint8_t *k = key ? key : (const uint8_t *)"";
  if (tb->num_entries > 0 && key_cmp(tb->last_key.data, tb->last_key.len, k, klen) >= 0)
    return TFCKPT_EINVAL;
  int rc;
  if (tb->num_entries > 0 && klen + vlen >= 2 * tb->block_size && (rc = flush(tb))) return rc;
  if (tb->pending) {
    tfckpt__shortest_separator(&tb->last_key, k, klen);
    if ((rc = add_pending_index(tb, &tb->last_key))) return rc;
  }
  tb->last_key.len = 0;
  tfckpt__buf_append(&tb->last_key, k, klen);
  if (tb->last_key.oom) return TFCKPT_ENOMEM;
  tb->num_entries++;
  if ((rc = block_add(&tb->data, k, klen, value ? value : (const uint8_t *)"", vlen))) return rc;
  if (block_size_estimate(&tb->data) >= tb->block_size) return flush(tb);
  return TFCKPT_OK;
}

int tfckpt__table_builder_finish(tfckpt__table_builder *tb) {
  int rc = flush(tb);
  if (rc) return rc;
  tfckpt__block_builder meta;
  block_init(&meta, 16);
  uint64_t meta_off, meta_size, index_off, index_size;
  rc = write_block(tb, &meta, &meta_off, &meta_size);
  block_free(&meta);
  if (rc) return rc;
  if (tb->pending) {
    tfckpt__short_successor(&tb->last_key);
    if ((rc = add_pending_index(tb, &tb->last_key))) return rc;
  }
  if ((rc = write_block(tb, &tb->index, &index_off, &index_size))) return rc;
  uint8_t footer[TFCKPT_TABLE_FOOTER_SIZE];
  memset(footer, 0, sizeof footer);
  size_t n = put_handle(footer, meta_off, meta_size);
  put_handle(footer + n, index_off, index_size);
  tfckpt__put_u32le(footer + 40, (uint32_t)TFCKPT_TABLE_MAGIC);
  tfckpt__put_u32le(footer + 44, (uint32_t)(TFCKPT_TABLE_MAGIC >> 32));
  tfckpt__buf_append(tb->out, footer, sizeof footer);
  return tb->out->oom ? TFCKPT_ENOMEM : TFCKPT_OK;
}

void tfckpt__table_builder_free(tfckpt__table_builder *tb) {
  block_free(&tb->data);
  block_free(&tb->index);
  tfckpt__buf_free(&tb->last_key);
}
