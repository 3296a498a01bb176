#include "core/error.h"

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

int tfckpt_vseterr(tfckpt_err *err, int code, const char *fmt, va_list ap) {
  if (!err) return code;
  err->code = code;
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  return code;
}

int tfckpt_seterr(tfckpt_err *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tfckpt_vseterr(err, code, fmt, ap);
  va_end(ap);
  return code;
}

int tfckpt_err_prefix(tfckpt_err *err, const char *fmt, ...) {
  if (!err) return 0;
  char prefix[TFCKPT_ERRMSG_MAX];
  char old[TFCKPT_ERRMSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->msg, sizeof old);
  snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
  return err->code;
}

void tfckpt_err_clear(tfckpt_err *err) {
  if (!err) return;
  err->code = 0;
  err->msg[0] = '\0';
}

const char *tfckpt_err_text(const tfckpt_err *err) {
  if (!err) return "out of memory";
  if (err->msg[0]) return err->msg;
  return tfckpt_errstr(err->code);
}
