/* CRC-32C (Castagnoli), as TensorFlow and LevelDB use it, plus TF's masking. */
#ifndef TFCKPT_CORE_CRC32C_H
#define TFCKPT_CORE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* crc32c(A || data) given crc = crc32c(A); start from 0 for a fresh CRC.
 * Uses ISA-L when built with it, else SSE4.2 when the CPU has it, else the
 * portable slicing-by-8 code. */
uint32_t tfckpt__crc32c_extend(uint32_t crc, const void *data, size_t n);

static inline uint32_t tfckpt__crc32c(const void *data, size_t n) {
  return tfckpt__crc32c_extend(0, data, n);
}

/* The individual implementations, exposed for tests and benchmarks. */
uint32_t tfckpt__crc32c_portable(uint32_t crc, const void *data, size_t n);
uint32_t tfckpt__crc32c_sse42(uint32_t crc, const void *data, size_t n); /* x86-64 only */
uint32_t tfckpt__crc32c_isal(uint32_t crc, const void *data, size_t n);  /* 0 if absent */
int tfckpt__crc32c_have_sse42(void);
int tfckpt__crc32c_have_isal(void);

/* TF stores CRCs "masked" so that a CRC of data holding CRCs stays well
 * behaved (formats.md section h). */
static inline uint32_t tfckpt__crc_mask(uint32_t c) {
  return ((c >> 15) | (c << 17)) + 0xA282EAD8u;
}
static inline uint32_t tfckpt__crc_unmask(uint32_t m) {
  uint32_t r = m - 0xA282EAD8u;
  return (r >> 17) | (r << 15);
}

#endif
