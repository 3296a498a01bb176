/* Shared pieces of the converters: the streaming of tensor values (with the
 * one explicit conversion, bfloat16 -> float32), and the dtype tables. */
#ifndef TFCKPT_CONVERT_INTERNAL_H
#define TFCKPT_CONVERT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#include "core/coding.h"
#include "tfckpt/internal/error.h"
#include "tfckpt/convert.h"
#ifdef TFCKPT_HAVE_ISAL
#include <isa-l/crc.h>
#endif

/* How a tensor's values go to a file: element bytes as stored, or bfloat16
 * widened to float32. */
typedef struct cv_layout {
  tfckpt_dtype file_dtype;       /* dtype written */
  uint64_t nbytes;      /* bytes of values in the file */
} cv_layout;

/* Decides file dtype and size for writing `t` as npy; error if impossible. */
int cv_npy_layout(const tfckpt_tensor *t, const char *name, int bf16_as_f32, cv_layout *out,
                  tfckpt__err *err);

/* Streams t's values (converted per `file_dtype`) through `sink`, in chunks. */
typedef int (*cv_sink)(void *ctx, const void *p, size_t n);
int cv_stream_values(const tfckpt_tensor *t, tfckpt_dtype file_dtype, cv_sink sink, void *ctx);

/* safetensors dtype names. */
const char *cv_st_dtype_name(tfckpt_dtype dtype);
int cv_st_dtype_from_name(const char *s, size_t n);

/* One tensor of a safetensors header; offsets relative to the data block. */
typedef struct cv_st_entry {
  char *name;
  tfckpt_dtype dtype;
  int rank;
  int64_t *dims; /* rank entries, malloc'd: headers may list many tensors */
  uint64_t begin, end;
} cv_st_entry;

/* Headers above this size are refused (the reference implementation's limit). */
#define CV_ST_MAX_HEADER 100000000u

/* Parses and validates a safetensors JSON header (`n` bytes) whose data block
 * holds `data_len` bytes: dtypes known, shapes match byte ranges, ranges
 * contiguous from 0 to data_len without holes or overlaps, names unique,
 * metadata string -> string.  Entries come back sorted by offset; meta as
 * key/value pairs (2 * *nmeta strings).  Free with cv_st_free. */
int cv_st_parse_header(const uint8_t *json, size_t n, uint64_t data_len, cv_st_entry **entries,
                       size_t *count, char ***meta, size_t *nmeta, tfckpt__err *err);
void cv_st_free(cv_st_entry *e, size_t count, char **meta, size_t nmeta);

/* The JSON header for `count` entries and `nmeta` pairs, padded with spaces to
 * a multiple of 8 bytes; malloc'd, NULL on OOM or invalid UTF-8 (err set). */
char *cv_st_format_header(const cv_st_entry *e, size_t count, char *const *meta, size_t nmeta,
                          size_t *len, tfckpt__err *err);


/* The zip CRC-32 (zlib's crc32; ISA-L's identical crc32_gzip_refl, ~3x
 * faster, when available).  Chain by passing the previous value; start at 0. */
static inline uint32_t cv_crc32(uint32_t crc, const void *p, size_t n) {
#ifdef TFCKPT_HAVE_ISAL
  return crc32_gzip_refl(crc, (const unsigned char *)p, n);
#else
  const uint8_t *q = p;
  while (n) {
    uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
    crc = (uint32_t)crc32(crc, q, k);
    q += k;
    n -= k;
  }
  return crc;
#endif
}

#endif
