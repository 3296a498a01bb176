#include "core/crc32c.h"

#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif
#ifdef TFCKPT_HAVE_ISAL
#include <isa-l/crc.h>
#endif

#define P 0x82F63B78u
#include "core/crc32c_table.h"
#define kTable kCrc32cTable

uint32_t tfckpt__crc32c_portable(uint32_t crc, const void *data, size_t n) {
  const uint8_t *p = data;
  uint32_t c = ~crc;
  while (n && ((uintptr_t)p & 7)) {
    c = kTable[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    n--;
  }
  while (n >= 8) {
    uint32_t lo, hi;
    memcpy(&lo, p, 4);
    memcpy(&hi, p + 4, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    lo = __builtin_bswap32(lo);
    hi = __builtin_bswap32(hi);
#endif
    lo ^= c;
    c = kTable[7][lo & 0xff] ^ kTable[6][(lo >> 8) & 0xff] ^ kTable[5][(lo >> 16) & 0xff] ^
        kTable[4][lo >> 24] ^ kTable[3][hi & 0xff] ^ kTable[2][(hi >> 8) & 0xff] ^
        kTable[1][(hi >> 16) & 0xff] ^ kTable[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = kTable[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}

#if defined(__x86_64__)
int tfckpt__crc32c_have_sse42(void) { return __builtin_cpu_supports("sse4.2"); }

/* The crc32 instruction has a 3-cycle latency but a throughput of one per
 * cycle, so long buffers are processed as three independent streams over
 * consecutive 8 KiB blocks, whose states are then combined by multiplying
 * with x^(8*len) in GF(2) (CRC is linear).  Short buffers use one stream. */
static uint32_t gf2_multiply(uint32_t a, uint32_t b) {
  /* a * b modulo the reflected CRC polynomial */
  uint32_t product = 0;
  for (int i = 0; i < 32; i++) {
    if (b & 0x80000000u) product ^= a;
    b <<= 1;
    a = (a >> 1) ^ (P & (0u - (a & 1u)));
  }
  return product;
}

/* x^(8*len) mod P in reflected form: the multiplier that shifts a CRC state
 * over `len` zero bytes. */
static uint32_t shift_constant(size_t len) {
  uint32_t result = 0x80000000u; /* x^0 */
  /* x^8 in reflected representation is 0x00800000 */
  uint32_t x8 = 0x00800000u;
  size_t k = len;
  uint32_t sq = x8;
  while (k) {
    if (k & 1) result = gf2_multiply(result, sq);
    sq = gf2_multiply(sq, sq);
    k >>= 1;
  }
  return result;
}

__attribute__((target("sse4.2"))) static uint32_t crc_u64_run(uint32_t c, const uint8_t *p, size_t n) {
  uint64_t c64 = c;
  while (n >= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    c64 = _mm_crc32_u64(c64, v);
    p += 8;
    n -= 8;
  }
  c = (uint32_t)c64;
  while (n--) c = _mm_crc32_u8(c, *p++);
  return c;
}

#define STREAM_BLOCK 8192
__attribute__((target("sse4.2"))) uint32_t tfckpt__crc32c_sse42(uint32_t crc, const void *data,
                                                                size_t n) {
  const uint8_t *p = data;
  uint32_t c = ~crc;
  if (n >= 3 * STREAM_BLOCK) {
    const uint32_t k = shift_constant(STREAM_BLOCK);
    const uint32_t k2 = shift_constant(2 * STREAM_BLOCK);
    while (n >= 3 * STREAM_BLOCK) {
      uint64_t a = c, b = 0, d = 0;
      const uint8_t *pa = p, *pb = p + STREAM_BLOCK, *pd = p + 2 * STREAM_BLOCK;
      for (size_t i = 0; i < STREAM_BLOCK; i += 8) {
        uint64_t va, vb, vd;
        memcpy(&va, pa + i, 8);
        memcpy(&vb, pb + i, 8);
        memcpy(&vd, pd + i, 8);
        a = _mm_crc32_u64(a, va);
        b = _mm_crc32_u64(b, vb);
        d = _mm_crc32_u64(d, vd);
      }
      /* state(A||B||D) = shift(state A, |B|+|D|) ^ shift(state B, |D|) ^ state D
       * (states without the final inversion; crc32 is linear over GF(2)). */
      c = gf2_multiply((uint32_t)a, k2) ^ gf2_multiply((uint32_t)b, k) ^ (uint32_t)d;
      p += 3 * STREAM_BLOCK;
      n -= 3 * STREAM_BLOCK;
    }
  }
  c = crc_u64_run(c, p, n);
  return ~c;
}
#else
int tfckpt__crc32c_have_sse42(void) { return 0; }
uint32_t tfckpt__crc32c_sse42(uint32_t crc, const void *data, size_t n) {
  return tfckpt__crc32c_portable(crc, data, n);
}
#endif

#ifdef TFCKPT_HAVE_ISAL
int tfckpt__crc32c_have_isal(void) { return 1; }
uint32_t tfckpt__crc32c_isal(uint32_t crc, const void *data, size_t n) {
  /* ISA-L takes and returns the raw register state (no final inversion). */
  return ~crc32_iscsi((unsigned char *)(uintptr_t)data, (int)n, ~crc);
}
#else
int tfckpt__crc32c_have_isal(void) { return 0; }
uint32_t tfckpt__crc32c_isal(uint32_t crc, const void *data, size_t n) {
  (void)crc, (void)data, (void)n;
  return 0;
}
#endif

uint32_t tfckpt__crc32c_extend(uint32_t crc, const void *data, size_t n) {
#ifdef TFCKPT_HAVE_ISAL
  /* crc32_iscsi takes an int length */
  const uint8_t *p = data;
  while (n > (1u << 30)) {
    crc = tfckpt__crc32c_isal(crc, p, 1u << 30);
    p += 1u << 30;
    n -= 1u << 30;
  }
  return tfckpt__crc32c_isal(crc, p, n);
#else
  if (tfckpt__crc32c_have_sse42()) return tfckpt__crc32c_sse42(crc, data, n);
  return tfckpt__crc32c_portable(crc, data, n);
#endif
}
