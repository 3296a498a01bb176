/* IEEE binary16 and bfloat16 <-> float32 conversion (round to nearest even). */
#ifndef TFCKPT_TENSOR_HALF_H
#define TFCKPT_TENSOR_HALF_H

#include <stdint.h>
#include <string.h>

static inline float tfckpt__bits_to_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static inline uint32_t tfckpt__f32_to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static inline float tfckpt__half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  if (exp == 0x1f) return tfckpt__bits_to_f32(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    /* zero or subnormal: value = man * 2^-24 */
    float v = (float)man * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  return tfckpt__bits_to_f32(sign | ((exp + 112) << 23) | (man << 13));
}

static inline uint16_t tfckpt__float_to_half(float f) {
  uint32_t u = tfckpt__f32_to_bits(f);
  uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
  uint32_t abs = u & 0x7fffffffu;
  if (abs >= 0x7f800000u) /* inf or nan: keep nan-ness */
    return sign | 0x7c00 | (abs > 0x7f800000u ? (0x200 | ((abs >> 13) & 0x3ff)) : 0);
  if (abs >= 0x477ff000u) return sign | 0x7c00; /* rounds to >= 65520: inf */
  if (abs < 0x38800000u) {
    /* result is subnormal or zero: round abs * 2^24 to an integer (RNE) */
    if (abs < 0x33000000u) return sign; /* < 2^-25: rounds to zero */
    uint32_t e = abs >> 23;
    uint32_t m = (abs & 0x7fffff) | 0x800000;
    uint32_t shift = 126 - e; /* 14..24 */
    uint32_t q = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    return sign | (uint16_t)q;
  }
  uint32_t r = abs + 0xfff + ((abs >> 13) & 1); /* round to nearest even */
  r -= 112u << 23;
  return sign | (uint16_t)(r >> 13);
}

static inline float tfckpt__bf16_to_float(uint16_t b) { return tfckpt__bits_to_f32((uint32_t)b << 16); }

static inline uint16_t tfckpt__float_to_bf16(float f) {
  uint32_t u = tfckpt__f32_to_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet nan */
  u += 0x7fff + ((u >> 16) & 1);
  return (uint16_t)(u >> 16);
}

#endif
