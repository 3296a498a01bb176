/* Helpers for the C tests: CHECK macros, temporary directories, file
 * surgery, and a minimal V2 bundle writer for crafting (and corrupting)
 * checkpoints independently of the library's writer. */
#ifndef TFCKPT_TESTUTIL_H
#define TFCKPT_TESTUTIL_H

#include <stdint.h>

#include "tfckpt/tfckpt.h"
#include <stdio.h>
#include <string.h>

extern int tu_failures;
extern int tu_checks;

#define CHECK(cond)                                                              \
  do {                                                                           \
    tu_checks++;                                                                 \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
      tu_failures++;                                                             \
    }                                                                            \
  } while (0)

#define CHECK_EQ(a, b)                                                           \
  do {                                                                           \
    long long a_ = (long long)(a), b_ = (long long)(b);                          \
    tu_checks++;                                                                 \
    if (a_ != b_) {                                                              \
      fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #a, a_, b_); \
      tu_failures++;                                                             \
    }                                                                            \
  } while (0)

/* haystack contains needle */
#define CHECK_CONTAINS(haystack, needle)                                         \
  do {                                                                           \
    const char *h_ = (haystack), *n_ = (needle);                                 \
    tu_checks++;                                                                 \
    if (!h_ || !strstr(h_, n_)) {                                                \
      fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, \
              h_ ? h_ : "(null)", n_);                                           \
      tu_failures++;                                                             \
    }                                                                            \
  } while (0)

/* Prints the summary line and returns the exit status for main(). */
int tu_finish(const char *name);

/* $TFCKPT_FIXTURES/<rel> in a static buffer (one at a time). */
const char *tu_fixture(const char *rel);
/* A fresh temporary directory (removed by tu_rmtree). */
char *tu_mkdtemp(void);
void tu_rmtree(const char *dir);
/* dir/name in a malloc'd string. */
char *tu_path(const char *dir, const char *name);

int tu_copy_file(const char *from, const char *to);
int tu_write_file(const char *path, const void *data, size_t n);
/* Reads a whole file (malloc'd); NULL on error. */
uint8_t *tu_read_file(const char *path, size_t *n);
int tu_truncate(const char *path, long long size);
/* XORs the byte at `offset` (negative: from the end) with `mask`. */
int tu_flip_byte(const char *path, long long offset, uint8_t mask);

/* Runs a shell command, capturing stdout+stderr into a malloc'd string.
 * Returns the exit status (or -1). */
int tu_run(const char *cmd, char **output);

/* Minimal bundle writer: one data file, entries given in any order. */
typedef struct tu_entry {
  const char *name;
  tfckpt_dtype dtype;
  int rank;
  const int64_t *dims;
  const void *data;      /* stored bytes (for strings: already encoded) */
  size_t size;
  int64_t size_override; /* >= 0: written as the entry's size instead */
  int bad_crc;           /* 1: store a wrong CRC */
} tu_entry;

int tu_write_bundle(const char *prefix, const tu_entry *entries, int n);
/* Same, with the header's endianness field set to BIG (the caller supplies
 * big-endian value bytes). */
int tu_write_bundle_be(const char *prefix, const tu_entry *entries, int n);

#endif
