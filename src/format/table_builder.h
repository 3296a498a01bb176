/* Writer for TF's LevelDB-style table (formats.md section a), producing the
 * exact bytes TensorFlow's TableBuilder writes for checkpoint indexes:
 * block_size 262144, restart interval 16 for data blocks and 1 for the index
 * block, shortest-separator / short-successor index keys, no compression.
 *
 *   tfckpt__table_builder tb;
 *   tfckpt__table_builder_init(&tb, &out);      // out: a tfckpt__buf
 *   tfckpt__table_builder_add(&tb, "", 0, header, hlen);   // keys ascending
 *   ...
 *   rc = tfckpt__table_builder_finish(&tb);     // out holds the whole table
 *   tfckpt__table_builder_free(&tb);
 *
 * The table is built in memory (`out` is the caller's buffer): an index holds
 * one small entry per tensor. */
#ifndef TFCKPT_FORMAT_TABLE_BUILDER_H
#define TFCKPT_FORMAT_TABLE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "format/proto.h"

#define TFCKPT_TABLE_BLOCK_SIZE 262144 /* TF's table::Options default */

typedef struct tfckpt__block_builder {
  tfckpt__buf buf;
  uint32_t *restarts;
  size_t nrestarts, cap_restarts;
  int interval, counter;
  tfckpt__buf last_key;
  int empty;
} tfckpt__block_builder;

typedef struct tfckpt__table_builder {
  tfckpt__buf *out;
  tfckpt__block_builder data, index;
  tfckpt__buf last_key;
  int64_t num_entries;
  int pending;
  uint64_t pending_offset, pending_size;
  size_t block_size;
  int oom;
} tfckpt__table_builder;

void tfckpt__table_builder_init(tfckpt__table_builder *tb, tfckpt__buf *out);
/* Keys must be strictly increasing (memcmp order).  Returns TFCKPT_EINVAL for
 * an out-of-order key, TFCKPT_ENOMEM when memory ran out. */
int tfckpt__table_builder_add(tfckpt__table_builder *tb, const void *key, size_t klen,
                             const void *value, size_t vlen);
/* Writes the last data block, the empty metaindex block, the index block and
 * the footer. */
int tfckpt__table_builder_finish(tfckpt__table_builder *tb);
void tfckpt__table_builder_free(tfckpt__table_builder *tb);

/* The index-key helpers, exposed for tests: both modify `key` in place. */
void tfckpt__shortest_separator(tfckpt__buf *start, const uint8_t *limit, size_t limit_len);
void tfckpt__short_successor(tfckpt__buf *key);

#endif
