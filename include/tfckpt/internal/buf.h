/* INTERNAL, UNSTABLE: for tfckpt's own CLI and Python module only.  Not part
 * of the public API; names, types and behaviour may change in any release.
 *
 * The one growable byte buffer of the project (protos, small files, CSV and
 * JSON text).  Allocation failures are sticky: once `oom` is set, appends do
 * nothing, so a builder checks once at the end instead of after every call. */
#ifndef TFCKPT_INTERNAL_BUF_H
#define TFCKPT_INTERNAL_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "tfckpt/tfckpt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tfckpt__buf {
  uint8_t *data;
  size_t len, cap;
  int oom; /* set once an allocation failed; later appends do nothing */
} tfckpt__buf;

TFCKPT_API void tfckpt__buf_free(tfckpt__buf *b);
TFCKPT_API void tfckpt__buf_append(tfckpt__buf *b, const void *data, size_t n);
/* Makes room for `extra` more bytes (sets oom if it cannot). */
TFCKPT_API void tfckpt__buf_reserve(tfckpt__buf *b, size_t extra);

#ifdef __cplusplus
}
#endif
#endif
