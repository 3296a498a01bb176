/* INTERNAL, UNSTABLE: for tfckpt's own CLI and Python module only.  Not part
 * of the public API; names, types and behaviour may change in any release.
 *
 * The one JSON reader and the one JSON writer of the project (model.json,
 * safetensors headers, every --json output and dump's names).
 *
 * Reading (RFC 8259, strict):
 *   - the input must be valid UTF-8 (no overlongs, no surrogates, nothing
 *     above U+10FFFF); \u escapes must be well formed and a high surrogate
 *     must be followed by an escaped low one (lone surrogates are refused);
 *   - numbers follow the JSON grammar exactly (no leading zeros, no "+",
 *     no NaN/Infinity).  An integer literal (no fraction, no exponent) that
 *     fits int64 or uint64 is kept exactly, never through a double; every
 *     number also gets its nearest double (strtod in the C locale), and a
 *     number too large for a double is refused;
 *   - nesting deeper than TFCKPT__JSON_MAX_DEPTH arrays/objects is refused;
 *     neither the pull reader nor the tree builder recurses on the input;
 *   - duplicate keys: the pull reader reports keys as they come (its caller
 *     decides); the tree (tfckpt__json_parse) refuses an object holding the
 *     same key twice, so a lookup never has to pick one;
 *   - errors are TFCKPT_ECORRUPT "<what>: <problem> at byte <offset>", the
 *     offset counted from the start of the input plus a caller's base (the
 *     position of the JSON inside its file).
 *
 * Writing strings (one rule, every command): '"' and '\\' are escaped with a
 * backslash; \b \f \n \r \t get their short escapes; the other control
 * characters and DEL become \u00xx (lower-case hex); valid UTF-8 passes
 * through unchanged; each byte that does not belong to a valid UTF-8
 * sequence becomes \ufffd, so the output is always valid JSON in valid UTF-8
 * (names that are not UTF-8 are shown, not preserved).  tfckpt__json_bytes
 * is the one exception, for binary payloads (dump's string values): there
 * every byte >= 0x7f is its own \u00xx code point, so the bytes survive.
 *
 * Writing numbers: integers exactly; doubles as the shortest of 15..17
 * significant digits that reads back exactly (tfckpt_fmt_f64); NaN and the
 * infinities, which JSON cannot hold, as null. */
#ifndef TFCKPT_INTERNAL_JSON_H
#define TFCKPT_INTERNAL_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tfckpt/internal/buf.h"
#include "tfckpt/internal/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TFCKPT__JSON_MAX_DEPTH 64

/* ---- numbers ---- */

enum {
  TFCKPT__JSON_I64 = 1, /* `u` holds an int64 (as its two's complement) */
  TFCKPT__JSON_U64 = 2  /* `u` holds a uint64 */
};

typedef struct tfckpt__json_num {
  double d;   /* nearest double, always set */
  uint64_t u; /* the exact integer when flags says so */
  int flags;  /* TFCKPT__JSON_I64 | TFCKPT__JSON_U64; 0 for fractions,
               * exponents and integers outside both ranges */
} tfckpt__json_num;

/* ---- pull reader ---- */

enum {
  TFCKPT__JSON_END = 0, /* the one top-level value is complete (only whitespace followed) */
  TFCKPT__JSON_OBJECT_BEGIN,
  TFCKPT__JSON_OBJECT_END,
  TFCKPT__JSON_ARRAY_BEGIN,
  TFCKPT__JSON_ARRAY_END,
  TFCKPT__JSON_KEY, /* an object key (the ':' after it is consumed) */
  TFCKPT__JSON_STRING,
  TFCKPT__JSON_NUMBER,
  TFCKPT__JSON_TRUE,
  TFCKPT__JSON_FALSE,
  TFCKPT__JSON_NULL
};

typedef struct tfckpt__json_token {
  int type;
  size_t off;      /* byte offset of the token in the input (without base) */
  const char *str; /* KEY / STRING: decoded UTF-8, NUL-terminated (may also
                    * hold NUL: use len); valid until the next call */
  size_t len;
  tfckpt__json_num num; /* NUMBER */
} tfckpt__json_token;

typedef struct tfckpt__json_reader {
  const char *start, *p, *end;
  size_t base;      /* added to offsets in messages */
  const char *what; /* message prefix ("JSON", "safetensors header") */
  tfckpt__err *err;
  int state;
  int depth;
  char stack[TFCKPT__JSON_MAX_DEPTH]; /* '{' or '[' per open container */
  tfckpt__buf str;                    /* decoded text of the last string */
} tfckpt__json_reader;

/* Starts reading text[0..len).  `what` and `base` shape error messages;
 * `err` receives them.  Release with tfckpt__json_reader_free. */
TFCKPT_API void tfckpt__json_reader_init(tfckpt__json_reader *r, const char *text, size_t len,
                                        const char *what, size_t base, tfckpt__err *err);
TFCKPT_API void tfckpt__json_reader_free(tfckpt__json_reader *r);
/* The next token; returns TFCKPT_OK or the error status (err set).  After an
 * error every later call fails again. */
TFCKPT_API int tfckpt__json_next(tfckpt__json_reader *r, tfckpt__json_token *t);
/* Consumes the value whose first token is `t` (a container is read to its
 * end; a scalar needs nothing more). */
TFCKPT_API int tfckpt__json_skip(tfckpt__json_reader *r, const tfckpt__json_token *t);
/* Fails with "<what>: <msg> at byte <base + off>" (ECORRUPT); returns the status. */
TFCKPT_API int tfckpt__json_fail(tfckpt__json_reader *r, size_t off, const char *msg);

/* ---- tree ---- */

typedef struct tfckpt__json tfckpt__json;
struct tfckpt__json {
  int type;       /* TFCKPT__JSON_OBJECT_BEGIN (object), _ARRAY_BEGIN (array),
                   * _STRING, _NUMBER, _TRUE, _FALSE, _NULL */
  size_t off;     /* byte offset of the value in the input */
  char *key;      /* member of an object: its key (NUL-terminated) */
  size_t klen;
  char *str;      /* STRING: decoded, NUL-terminated */
  size_t len;
  tfckpt__json_num num; /* NUMBER */
  tfckpt__json *items;  /* array elements / object members, in input order */
  size_t n, cap;
};

/* Parses text[0..len) into a tree (free with tfckpt__json_free).  At most
 * `max_values` values (0: no limit) bound the memory a hostile input can
 * claim.  Duplicate keys in an object are refused. */
TFCKPT_API int tfckpt__json_parse(const char *text, size_t len, const char *what, size_t base,
                                 size_t max_values, tfckpt__json **out, tfckpt__err *err);
TFCKPT_API void tfckpt__json_free(tfckpt__json *v);
/* The member `key` of an object (NULL when v is no object or lacks it). */
TFCKPT_API const tfckpt__json *tfckpt__json_get(const tfckpt__json *v, const char *key);
/* 1 and *out when v is an integer literal in range; else 0 (also for 1.0,
 * 1e3 and integers that overflow). */
TFCKPT_API int tfckpt__json_i64(const tfckpt__json *v, int64_t *out);
TFCKPT_API int tfckpt__json_u64(const tfckpt__json *v, uint64_t *out);
/* Serialises a tree compactly (no spaces) with the writer's rules. */
TFCKPT_API void tfckpt__json_write(tfckpt__buf *b, const tfckpt__json *v);

/* 1 when s[0..n) is valid UTF-8 by the reader's rule (no overlongs, no
 * surrogates, nothing above U+10FFFF). */
TFCKPT_API int tfckpt__utf8_valid(const char *s, size_t n);

/* ---- writer ---- */

/* s[0..n) as a JSON string literal, quotes included (rules above). */
TFCKPT_API void tfckpt__json_put_str(tfckpt__buf *b, const char *s, size_t n);
TFCKPT_API void tfckpt__json_fput_str(FILE *f, const char *s, size_t n);
/* Binary bytes as a JSON string, one code point per byte (rules above). */
TFCKPT_API void tfckpt__json_put_bytes(tfckpt__buf *b, const uint8_t *s, size_t n);
/* Numbers: shortest exact double (null when not finite), exact integers. */
TFCKPT_API void tfckpt__json_put_f64(tfckpt__buf *b, double v);
TFCKPT_API void tfckpt__json_fput_f64(FILE *f, double v);
TFCKPT_API void tfckpt__json_put_i64(tfckpt__buf *b, int64_t v);
TFCKPT_API void tfckpt__json_put_u64(tfckpt__buf *b, uint64_t v);

#ifdef __cplusplus
}
#endif
#endif
