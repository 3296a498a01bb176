#include "tfckpt/internal/error.h"

#include <stdio.h>
#include <string.h>

const char *tfckpt_errstr(int status) {
  switch (status) {
    case TFCKPT_OK: return "not an error";
    case TFCKPT_ENOMEM: return "out of memory";
    case TFCKPT_EIO: return "I/O error";
    case TFCKPT_ENOTFOUND: return "not found";
    case TFCKPT_ECORRUPT: return "corrupt file";
    case TFCKPT_ECHECKSUM: return "checksum mismatch";
    case TFCKPT_EINVAL: return "invalid argument";
    case TFCKPT_EUNSUPPORTED: return "unsupported";
    case TFCKPT_ERANGE: return "out of range";
    case TFCKPT_EEXIST: return "already exists";
    case TFCKPT_EDATA: return "bad data";
    default: return "unknown error";
  }
}

/* The calling thread's last failure, and the handle error it belongs to. */
static _Thread_local struct {
  const tfckpt__err *owner;
  tfckpt__err err;
} last;

static void remember(const tfckpt__err *err) {
  if (err == &last.err) return;
  last.owner = err;
  last.err.code = err->code;
  memcpy(last.err.msg, err->msg, sizeof last.err.msg);
}

tfckpt__err *tfckpt__err_slot(tfckpt__err *owner, int shared) {
  if (!shared) return owner;
  if (last.owner != owner) {
    last.owner = owner;
    tfckpt__err_clear(&last.err);
  }
  return &last.err;
}

const char *tfckpt__err_text_for(const tfckpt__err *owner) {
  if (last.owner == owner && last.err.code) return tfckpt__err_text(&last.err);
  return tfckpt__err_text(owner);
}

const char *tfckpt_errmsg(void) {
  return last.err.code ? tfckpt__err_text(&last.err) : "not an error";
}

int tfckpt_errcode(void) { return last.err.code; }

int tfckpt__vseterr(tfckpt__err *err, int code, const char *fmt, va_list ap) {
  if (!err) return code;
  err->code = code;
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  remember(err);
  return code;
}

int tfckpt__seterr(tfckpt__err *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tfckpt__vseterr(err, code, fmt, ap);
  va_end(ap);
  return code;
}

int tfckpt__err_prefix(tfckpt__err *err, const char *fmt, ...) {
  if (!err) return 0;
  char prefix[TFCKPT_ERRMSG_MAX];
  char old[TFCKPT_ERRMSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->msg, sizeof old);
  snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
  remember(err);
  return err->code;
}

void tfckpt__err_clear(tfckpt__err *err) {
  if (!err) return;
  err->code = 0;
  err->msg[0] = '\0';
}

const char *tfckpt__err_text(const tfckpt__err *err) {
  if (!err) return "out of memory";
  if (err->msg[0]) return err->msg;
  return tfckpt_errstr(err->code);
}
