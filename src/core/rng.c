#include "core/rng.h"

#include <math.h>

uint64_t tfckpt__rng_below(tfckpt__rng *r, uint64_t n) {
  /* Rejection on top of the plain remainder: a draw is refused only when it
   * falls into the final, incomplete run of n values, which for the buffer
   * sizes used here (n < 2^40) happens less than once in 2^24 draws.  So the
   * accepted draws, and thus shuffle orders, equal the old `next % n` ones
   * in practice, and the remainder is exactly uniform.  One division per
   * draw, as before. */
  for (;;) {
    uint64_t x = tfckpt__rng_next(r), v = x % n;
    /* x - v is the start of x's run of n; the run is complete unless it
     * starts beyond 2^64 - n. */
    if (x - v <= (uint64_t)0 - n) return v;
  }
}

double tfckpt__rng_normal(tfckpt__rng *r) {
  double u1 = tfckpt__rng_uniform(r), u2 = tfckpt__rng_uniform(r);
  if (u1 < 1e-300) u1 = 1e-300; /* log(0) */
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double tfckpt__rng_truncated_normal(tfckpt__rng *r) {
  for (;;) {
    double v = tfckpt__rng_normal(r);
    if (v >= -2.0 && v <= 2.0) return v;
  }
}
