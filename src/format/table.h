/* Reader for TensorFlow's copy of LevelDB's immutable sorted table, the
 * container of V2 `.index` files and of whole V1 checkpoints
 * (formats.md section a).
 *
 * The table does not own the file bytes: the caller maps the file and keeps
 * the mapping alive until tfckpt__table_close.  Every block's CRC is checked
 * before a byte of it is parsed. */
#ifndef TFCKPT_FORMAT_TABLE_H
#define TFCKPT_FORMAT_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "tfckpt/internal/error.h"

#define TFCKPT_TABLE_MAGIC 0xdb4775248b80fb57ull
#define TFCKPT_TABLE_FOOTER_SIZE 48
#define TFCKPT_BLOCK_TRAILER_SIZE 5

typedef struct tfckpt__table tfckpt__table;

/* Parses the footer and the index block of the table held in data[0, size).
 * `name` is used in error messages only ("model.ckpt.index"). */
int tfckpt__table_open(const uint8_t *data, size_t size, const char *name,
                      tfckpt__table **out, tfckpt__err *err);
void tfckpt__table_close(tfckpt__table *t);

/* Called once per entry in key order.  key/value stay valid only during the
 * call.  A non-zero return stops the iteration and is returned by
 * tfckpt__table_foreach. */
typedef int (*tfckpt__table_visit)(void *ctx, const uint8_t *key, size_t klen,
                                  const uint8_t *value, size_t vlen);

int tfckpt__table_foreach(tfckpt__table *t, tfckpt__table_visit visit, void *ctx,
                         tfckpt__err *err);

/* A value returned by a point lookup.  `data` points into the file mapping
 * (uncompressed blocks) or into `owned`; release with tfckpt__table_value_free. */
typedef struct tfckpt__table_value {
  const uint8_t *data;
  size_t len;
  void *owned;
} tfckpt__table_value;

/* Looks up `key`.  TFCKPT_ENOTFOUND (with no message set) when absent. */
int tfckpt__table_get(tfckpt__table *t, const uint8_t *key, size_t klen,
                     tfckpt__table_value *out, tfckpt__err *err);
void tfckpt__table_value_free(tfckpt__table_value *v);

/* Number of data blocks (for stats and the corruption tests). */
size_t tfckpt__table_num_blocks(const tfckpt__table *t);

#endif
