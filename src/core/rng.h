/* The library's one random number generator (library-internal).
 *
 * The generator is splitmix64 used as a stream: the state advances by the
 * golden-ratio increment and each output is the state run through
 * splitmix64's finaliser.  This is the sequence the data pipeline's shuffle
 * buffer has always drawn from, so a given (data, seed) keeps its shuffle
 * order; the training layer's former xoshiro256** stream is gone.  A 64-bit
 * state is enough here: every user seeds a fresh stream per epoch, layer or
 * step, and none draws more than a few billion numbers from one stream.
 *
 * Seeding runs the seed through one splitmix64 step, so nearby seeds (0, 1,
 * 2, ...) give unrelated streams. */
#ifndef TFCKPT_CORE_RNG_H
#define TFCKPT_CORE_RNG_H

#include <stdint.h>

typedef struct tfckpt__rng {
  uint64_t s;
} tfckpt__rng;

/* Advances *state by the golden-ratio increment and returns its mix: the
 * splitmix64 step.  Also serves as a hash of a counter (see unit_hash). */
static inline uint64_t tfckpt__splitmix64(uint64_t *state) {
  uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static inline void tfckpt__rng_seed(tfckpt__rng *r, uint64_t seed) {
  r->s = tfckpt__splitmix64(&seed);
}

static inline uint64_t tfckpt__rng_next(tfckpt__rng *r) { return tfckpt__splitmix64(&r->s); }

/* Uniform in [0, 1): the top 53 bits (double) or 24 bits (float), so every
 * value is exact and 1 is never returned. */
static inline double tfckpt__rng_uniform(tfckpt__rng *r) {
  return (double)(tfckpt__rng_next(r) >> 11) * 0x1.0p-53;
}
static inline float tfckpt__rng_uniform_float(tfckpt__rng *r) {
  return (float)(tfckpt__rng_next(r) >> 40) * 0x1.0p-24f;
}

/* Uniform integer in [0, n), n >= 1, without modulo bias. */
uint64_t tfckpt__rng_below(tfckpt__rng *r, uint64_t n);

/* Standard normal (Box-Muller, two uniforms per value). */
double tfckpt__rng_normal(tfckpt__rng *r);
/* Standard normal restricted to [-2, 2] by redrawing, as TF's
 * truncated_normal. */
double tfckpt__rng_truncated_normal(tfckpt__rng *r);

/* A uniform [0, 1) value that depends only on (key, i): for decisions that
 * must come out the same whenever row i is seen again (validation split). */
static inline double tfckpt__unit_hash(uint64_t key, uint64_t i) {
  uint64_t s = key + i * UINT64_C(0x9E3779B97F4A7C15);
  return (double)(tfckpt__splitmix64(&s) >> 11) * 0x1.0p-53;
}

#endif
