/* INTERNAL, UNSTABLE: for tfckpt's own CLI and Python module only; may
 * change in any release.
 *
 * Error state kept by every handle: the last status and its message.  Every
 * message set is also remembered per thread, which is what tfckpt_errmsg()
 * and the handles' _errmsg() functions return for calls made after a handle
 * may be shared (see tfckpt__err_slot). */
#ifndef TFCKPT_CORE_ERROR_H
#define TFCKPT_CORE_ERROR_H

#include <stdarg.h>
#include "tfckpt/tfckpt.h"

#define TFCKPT_ERRMSG_MAX 1024

typedef struct tfckpt__err {
  int code;
  char msg[TFCKPT_ERRMSG_MAX];
} tfckpt__err;

/* Records `code` and a printf-style message; returns `code` so that callers
 * can write `return tfckpt__seterr(err, TFCKPT_ECORRUPT, "...")`.
 * `err` may be NULL (the message is dropped). */
TFCKPT_API int tfckpt__seterr(tfckpt__err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
TFCKPT_API int tfckpt__vseterr(tfckpt__err *err, int code, const char *fmt, va_list ap);

/* Prefixes the current message with "<prefix>: " (adding context on the way
 * up, like "model.ckpt.index: " + "block checksum mismatch"). Returns code. */
TFCKPT_API int tfckpt__err_prefix(tfckpt__err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

TFCKPT_API void tfckpt__err_clear(tfckpt__err *err);

/* Message for `err`: its text, or the static description of its code. */
TFCKPT_API const char *tfckpt__err_text(const tfckpt__err *err);

/* Where a call on a handle that other threads may be using records its
 * failure: `owner` (the handle's own error) while the handle is private to
 * one thread (`shared` == 0, e.g. during open), else this thread's slot, so
 * concurrent failing calls never write the same memory and each thread reads
 * back the message of its own call. */
TFCKPT_API tfckpt__err *tfckpt__err_slot(tfckpt__err *owner, int shared);

/* The message for a handle's _errmsg(): this thread's last failure on that
 * handle if there was one, else the handle's own. */
TFCKPT_API const char *tfckpt__err_text_for(const tfckpt__err *owner);

#endif
