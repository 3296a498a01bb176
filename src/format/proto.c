#include "format/proto.h"

#include <stdlib.h>
#include <string.h>

#include "core/coding.h"

int tfckpt__pb_next(tfckpt__pb *pb, tfckpt__pb_field *f) {
  if (pb->p >= pb->end) return 0;
  uint64_t key;
  const uint8_t *p = tfckpt__get_varint64(pb->p, pb->end, &key);
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
      p = tfckpt__get_varint64(p, pb->end, &f->v);
      if (!p) return -1;
      break;
    case PB_FIXED64:
      if (pb->end - p < 8) return -1;
      f->v = tfckpt__get_u64le(p);
      p += 8;
      break;
    case PB_FIXED32:
      if (pb->end - p < 4) return -1;
      f->v = tfckpt__get_u32le(p);
      p += 4;
      break;
    case PB_LEN: {
      uint64_t len;
      p = tfckpt__get_varint64(p, pb->end, &len);
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

int64_t tfckpt__pb_count_packed(const uint8_t *data, size_t len, int elem_wire) {
  if (elem_wire == PB_FIXED32) return len % 4 ? -1 : (int64_t)(len / 4);
  if (elem_wire == PB_FIXED64) return len % 8 ? -1 : (int64_t)(len / 8);
  int64_t n = 0;
  const uint8_t *p = data, *end = data + len;
  while (p < end) {
    uint64_t v;
    p = tfckpt__get_varint64(p, end, &v);
    if (!p) return -1;
    n++;
  }
  return n;
}

void tfckpt__pb_put_varint(tfckpt__buf *b, uint64_t v) {
  uint8_t tmp[10];
  tfckpt__buf_append(b, tmp, tfckpt__put_varint64(tmp, v));
}

void tfckpt__pb_put_tag(tfckpt__buf *b, uint32_t num, int wire) {
  tfckpt__pb_put_varint(b, ((uint64_t)num << 3) | (uint64_t)wire);
}

void tfckpt__pb_put_uint(tfckpt__buf *b, uint32_t num, uint64_t v) {
  tfckpt__pb_put_tag(b, num, PB_VARINT);
  tfckpt__pb_put_varint(b, v);
}

void tfckpt__pb_put_fixed32(tfckpt__buf *b, uint32_t num, uint32_t v) {
  uint8_t tmp[4];
  tfckpt__put_u32le(tmp, v);
  tfckpt__pb_put_tag(b, num, PB_FIXED32);
  tfckpt__buf_append(b, tmp, 4);
}

void tfckpt__pb_put_fixed64(tfckpt__buf *b, uint32_t num, uint64_t v) {
  uint8_t tmp[8];
  tfckpt__put_u64le(tmp, v);
  tfckpt__pb_put_tag(b, num, PB_FIXED64);
  tfckpt__buf_append(b, tmp, 8);
}

void tfckpt__pb_put_bytes(tfckpt__buf *b, uint32_t num, const void *data, size_t n) {
  tfckpt__pb_put_tag(b, num, PB_LEN);
  tfckpt__pb_put_varint(b, n);
  tfckpt__buf_append(b, data, n);
}
