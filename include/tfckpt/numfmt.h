/* Fast number-to-text conversion for bulk output (dump, predict, CSV).  Every
 * formatted float parses back (strtof/strtod) to exactly the same value. */
#ifndef TFCKPT_NUMFMT_H
#define TFCKPT_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#include "tfckpt/tfckpt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Room for any output of these functions, with a NUL. */
#define TFCKPT_NUMFMT_MAX 32

/* float32 with 9 significant digits (enough to identify every float32),
 * trailing zeros dropped, %g-style exponent choice: "0.25", "1e-07",
 * "3.40282347e+38", "nan", "-inf".  About 10x faster than printf. */
TFCKPT_API size_t tfckpt_fmt_f32(float v, char *buf);
/* float64 with the fewest of 15..17 significant digits that read back exactly. */
TFCKPT_API size_t tfckpt_fmt_f64(double v, char *buf);
TFCKPT_API size_t tfckpt_fmt_i64(int64_t v, char *buf);
TFCKPT_API size_t tfckpt_fmt_u64(uint64_t v, char *buf);

#ifdef __cplusplus
}
#endif
#endif
