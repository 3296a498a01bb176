#include "tfckpt/internal/buf.h"

#include <stdint.h>
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
