#include "format/proto.h"

#include <stdlib.h>
#include <string.h>

#include "core/coding.h"

int tfckpt_pb_next(tfckpt_pb *pb, tfckpt_pb_field *f) {
  if (pb->p >= pb->end) return 0;
  uint64_t key;
  const uint8_t *p = tfckpt_get_varint64(pb->p, pb->end, &key);
  if (!p) return -1;
  uint64_t num = key >> 3;
  if (num == 0 || num > 0x1fffffff) return -1;
  f->num = (uint32_t)num;
  f->wire = (int)(key & 7);
  f->v = 0;
  f->data = NULL;
  f->len = 0;
  switch (f->wire) {
    case PB_VARINT:
      p = tfckpt_get_varint64(p, pb->end, &f->v);
      if (!p) return -1;
      break;
    case PB_FIXED64:
      if (pb->end - p < 8) return -1;
      f->v = tfckpt_get_u64le(p);
      p += 8;
      break;
    case PB_FIXED32:
      if (pb->end - p < 4) return -1;
      f->v = tfckpt_get_u32le(p);
      p += 4;
      break;
    case PB_LEN: {
      uint64_t len;
      p = tfckpt_get_varint64(p, pb->end, &len);
      if (!p || len > (uint64_t)(pb->end - p)) return -1;
      f->data = p;
      f->len = (size_t)len;
      p += len;
      break;
    }
    default:
      return -1;
  }
  pb->p = p;
  return 1;
}

int64_t tfckpt_pb_count_packed(const uint8_t *data, size_t len, int elem_wire) {
  if (elem_wire == PB_FIXED32) return len % 4 ? -1 : (int64_t)(len / 4);
  if (elem_wire == PB_FIXED64) return len % 8 ? -1 : (int64_t)(len / 8);
  int64_t n = 0;
  const uint8_t *p = data, *end = data + len;
  while (p < end) {
    uint64_t v;
    p = tfckpt_get_varint64(p, end, &v);
    if (!p) return -1;
    n++;
  }
  return n;
}

void tfckpt_buf_free(tfckpt_buf *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

void tfckpt_buf_reserve(tfckpt_buf *b, size_t extra) {
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

void tfckpt_buf_append(tfckpt_buf *b, const void *data, size_t n) {
  if (!n) return;
  tfckpt_buf_reserve(b, n);
  if (b->oom) return;
  memcpy(b->data + b->len, data, n);
  b->len += n;
}

void tfckpt_pb_put_varint(tfckpt_buf *b, uint64_t v) {
  uint8_t tmp[10];
  tfckpt_buf_append(b, tmp, tfckpt_put_varint64(tmp, v));
}

void tfckpt_pb_put_tag(tfckpt_buf *b, uint32_t num, int wire) {
  tfckpt_pb_put_varint(b, ((uint64_t)num << 3) | (uint64_t)wire);
}

void tfckpt_pb_put_uint(tfckpt_buf *b, uint32_t num, uint64_t v) {
  tfckpt_pb_put_tag(b, num, PB_VARINT);
  tfckpt_pb_put_varint(b, v);
}

void tfckpt_pb_put_fixed32(tfckpt_buf *b, uint32_t num, uint32_t v) {
  uint8_t tmp[4];
  tfckpt_put_u32le(tmp, v);
  tfckpt_pb_put_tag(b, num, PB_FIXED32);
  tfckpt_buf_append(b, tmp, 4);
}

void tfckpt_pb_put_fixed64(tfckpt_buf *b, uint32_t num, uint64_t v) {
  uint8_t tmp[8];
  tfckpt_put_u64le(tmp, v);
  tfckpt_pb_put_tag(b, num, PB_FIXED64);
  tfckpt_buf_append(b, tmp, 8);
}

void tfckpt_pb_put_bytes(tfckpt_buf *b, uint32_t num, const void *data, size_t n) {
  tfckpt_pb_put_tag(b, num, PB_LEN);
  tfckpt_pb_put_varint(b, n);
  tfckpt_buf_append(b, data, n);
}
