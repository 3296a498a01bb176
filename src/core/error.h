/* Error state kept by every handle: the last status and its message. */
#ifndef TFCKPT_CORE_ERROR_H
#define TFCKPT_CORE_ERROR_H

#include <stdarg.h>
#include "tfckpt/tfckpt.h"

#define TFCKPT_ERRMSG_MAX 1024

typedef struct tfckpt_err {
  int code;
  char msg[TFCKPT_ERRMSG_MAX];
} tfckpt_err;

/* Records `code` and a printf-style message; returns `code` so that callers
 * can write `return tfckpt_seterr(err, TFCKPT_ECORRUPT, "...")`.
 * `err` may be NULL (the message is dropped). */
int tfckpt_seterr(tfckpt_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int tfckpt_vseterr(tfckpt_err *err, int code, const char *fmt, va_list ap);

/* Prefixes the current message with "<prefix>: " (adding context on the way
 * up, like "model.ckpt.index: " + "block checksum mismatch"). Returns code. */
int tfckpt_err_prefix(tfckpt_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void tfckpt_err_clear(tfckpt_err *err);

/* Message for `err`: its text, or the static description of its code. */
const char *tfckpt_err_text(const tfckpt_err *err);

#endif
