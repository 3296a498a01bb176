#include "tfckpt/internal/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tfckpt__buf_free(tfckpt__buf *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

void tfckpt__buf_reserve(tfckpt__buf *b, size_t extra) {
  if (b->oom) return;
  if (b->cap - b->len >= extra) return;
  size_t ncap = b->cap ? b->cap : 64;
  while (ncap - b->len < extra) {
    if (ncap > SIZE_MAX / 2) {
      b->oom = 1;
      return;
    }
    ncap *= 2;
  }
  uint8_t *nd = realloc(b->data, ncap);
  if (!nd) {
    b->oom = 1;
    return;
  }
  b->data = nd;
  b->cap = ncap;
}

void tfckpt__buf_append(tfckpt__buf *b, const void *data, size_t n) {
  if (!n) return;
  tfckpt__buf_reserve(b, n);
  if (b->oom) return;
  memcpy(b->data + b->len, data, n);
  b->len += n;
}

void tfckpt__buf_append_byte(tfckpt__buf *b, uint8_t c) {
  if (b->len == b->cap) tfckpt__buf_reserve(b, 1);
  if (b->oom) return;
  b->data[b->len++] = c;
}

void tfckpt__buf_append_str(tfckpt__buf *b, const char *s) { tfckpt__buf_append(b, s, strlen(s)); }

void tfckpt__buf_appendf(tfckpt__buf *b, const char *fmt, ...) {
  if (b->oom) return;
  va_list ap;
  va_start(ap, fmt);
  /* one try into the spare room first: most pieces are short */
  size_t room = b->cap - b->len;
  int n = vsnprintf(room ? (char *)b->data + b->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->oom = 1;
    return;
  }
  if ((size_t)n >= room) {
    tfckpt__buf_reserve(b, (size_t)n + 1);
    if (b->oom) return;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  b->len += (size_t)n;
}

char *tfckpt__buf_cstr(tfckpt__buf *b) {
  if (b->len == b->cap) tfckpt__buf_reserve(b, 1);
  if (b->oom) return NULL;
  b->data[b->len] = '\0';
  return (char *)b->data;
}

char *tfckpt__buf_detach(tfckpt__buf *b) {
  char *s = tfckpt__buf_cstr(b);
  if (!s) tfckpt__buf_free(b);
  memset(b, 0, sizeof *b);
  return s;
}
