/* The one home of byte-order helpers: little-endian fixed-width and
 * protobuf varint coding, used by every format (checkpoints, TFRecord, zip,
 * npy, safetensors).  Decoders take a
 * [p, end) range and never read past `end`. */
#ifndef TFCKPT_CORE_CODING_H
#define TFCKPT_CORE_CODING_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* 1 on a little-endian host (the in-memory layout of tensor values). */
static inline int tfckpt__host_is_le(void) {
  const uint16_t x = 1;
  return *(const uint8_t *)&x == 1;
}

static inline uint16_t tfckpt__get_u16le(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static inline void tfckpt__put_u16le(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}
static inline uint32_t tfckpt__get_u32le(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t tfckpt__get_u64le(const uint8_t *p) {
  return (uint64_t)tfckpt__get_u32le(p) | (uint64_t)tfckpt__get_u32le(p + 4) << 32;
}
static inline void tfckpt__put_u32le(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static inline void tfckpt__put_u64le(uint8_t *p, uint64_t v) {
  tfckpt__put_u32le(p, (uint32_t)v);
  tfckpt__put_u32le(p + 4, (uint32_t)(v >> 32));
}

/* Decodes a varint of at most 10 bytes.  Returns the pointer after it, or
 * NULL if the input ends first or the varint is longer than 10 bytes. */
static inline const uint8_t *tfckpt__get_varint64(const uint8_t *p, const uint8_t *end,
                                                 uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70 && p < end; shift += 7) {
    uint8_t b = *p++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return p;
    }
  }
  return NULL;
}

/* Same, but the value must fit in 32 bits. */
static inline const uint8_t *tfckpt__get_varint32(const uint8_t *p, const uint8_t *end,
                                                 uint32_t *out) {
  uint64_t v;
  p = tfckpt__get_varint64(p, end, &v);
  if (!p || v > UINT32_MAX) return NULL;
  *out = (uint32_t)v;
  return p;
}

/* Writes `v` as a varint into p (room for 10 bytes); returns bytes written. */
static inline size_t tfckpt__put_varint64(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

static inline size_t tfckpt__varint_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) v >>= 7, n++;
  return n;
}

#endif
