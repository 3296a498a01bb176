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

/* Text helpers for the builders of strings (headers, state files, option
 * lists); the same sticky oom rule applies. */
TFCKPT_API void tfckpt__buf_append_byte(tfckpt__buf *b, uint8_t c);
TFCKPT_API void tfckpt__buf_append_str(tfckpt__buf *b, const char *s);
TFCKPT_API void tfckpt__buf_appendf(tfckpt__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The contents as a NUL-terminated string (the NUL is not counted in len);
 * NULL once oom is set. */
TFCKPT_API char *tfckpt__buf_cstr(tfckpt__buf *b);
/* Hands the (NUL-terminated) contents to the caller, who frees them, and
 * empties the buffer; NULL (and the buffer freed) once oom is set. */
TFCKPT_API char *tfckpt__buf_detach(tfckpt__buf *b);

#ifdef __cplusplus
}
#endif
#endif
