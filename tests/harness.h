/* The one test harness for the C tests: checks with a single pass/fail
 * count, temporary directories, fixtures, file surgery, a shell runner, a
 * minimal V2 bundle writer (to craft and corrupt checkpoints without the
 * library's writer) and a dataset drain for the data-pipeline tests.
 *
 * Every CHECK* macro counts one check, prints file:line, the expressions and
 * the values on failure, and evaluates to 1 if it passed and 0 if not, so a
 * test can stop early (`if (!CHECK(p)) return;`).  The counters are atomic:
 * checks may run on several threads at once. */
#ifndef TFCKPT_TESTS_HARNESS_H
#define TFCKPT_TESTS_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfckpt/data.h"

#define CHECK(cond) tu__check(!!(cond), __FILE__, __LINE__, #cond)
/* int64 comparison, so sizes, enums and counts of any width print alike */
#define CHECK_EQ(a, b) tu__check_eq((int64_t)(a), (int64_t)(b), __FILE__, __LINE__, #a, #b)
/* NULL-safe strcmp equality */
#define CHECK_STR(a, b) tu__check_str((a), (b), __FILE__, __LINE__, #a, #b)
/* n bytes equal; a failure prints the first differing offset */
#define CHECK_MEM(a, b, n) tu__check_mem((a), (b), (size_t)(n), __FILE__, __LINE__, #a, #b)
/* |a - b| <= tol (NaN never passes) */
#define CHECK_NEAR(a, b, tol) \
  tu__check_near((double)(a), (double)(b), (double)(tol), __FILE__, __LINE__, #a, #b)
/* haystack is non-NULL and contains needle */
#define CHECK_CONTAINS(hay, needle) tu__check_contains((hay), (needle), __FILE__, __LINE__, #hay)
/* cond, with a printf-style explanation on failure (for computed values
 * the expression text alone would not show) */
#define CHECKF(cond, ...) tu__checkf(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)

int tu__check(int ok, const char *file, int line, const char *expr);
int tu__check_eq(int64_t a, int64_t b, const char *file, int line, const char *ea, const char *eb);
int tu__check_str(const char *a, const char *b, const char *file, int line, const char *ea,
                  const char *eb);
int tu__check_mem(const void *a, const void *b, size_t n, const char *file, int line,
                  const char *ea, const char *eb);
int tu__check_near(double a, double b, double tol, const char *file, int line, const char *ea,
                   const char *eb);
int tu__check_contains(const char *hay, const char *needle, const char *file, int line,
                       const char *ehay);
int tu__checkf(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Counts one check without printing anything: for loops over many inputs
 * that report only their first few failures themselves.  Returns ok. */
int tu_count(int ok);
/* Failed checks so far (for tests that stop once something went wrong). */
int tu_failed(void);
/* Prints "<test>: N passed, M failed" (N, M counted in checks; <test> is
 * the source file's name, so it cannot go stale) and returns the exit status
 * for main(): 1 if any check failed, else 0. */
#define tu_finish() tu__finish(__FILE__)
int tu__finish(const char *file);

/* 1 when TFCKPT_QUICK is set to anything but "" or "0", and in TSan builds
 * (5-15 times slower): tests then shrink their workloads. */
int tu_quick(void);

/* $TFCKPT_FIXTURES/<rel>; a per-thread ring of 8 buffers, so a few paths can
 * be live at once. */
const char *tu_fixture(const char *rel);

/* A fresh directory, malloc'd (the caller frees the string only).  All of
 * them live under one mkdtemp'd root in $TMPDIR (or /tmp) that is removed
 * recursively when the process that created it exits, unless
 * TFCKPT_KEEP_TMP=1 (then its path is printed). */
char *tu_mkdtemp(void);
/* Removes dir and everything below it now (kept under TFCKPT_KEEP_TMP=1). */
void tu_rmtree(const char *dir);
/* dir/name in a malloc'd string. */
char *tu_path(const char *dir, const char *name);
/* Writes text to <the first tu_mkdtemp directory>/name, creating it on first
 * use; returns the path (a ring of 16 static buffers).  Exits on error. */
const char *tu_tmp_write(const char *name, const char *text);
/* The directory tu_tmp_write writes into. */
const char *tu_tmpdir(void);

int tu_copy_file(const char *from, const char *to);
int tu_write_file(const char *path, const void *data, size_t n);
/* Reads a whole file (malloc'd); NULL on error. */
uint8_t *tu_read_file(const char *path, size_t *n);
int tu_truncate(const char *path, long long size);
/* XORs the byte at `offset` (negative: from the end) with `mask`. */
int tu_flip_byte(const char *path, long long offset, uint8_t mask);
/* Size of a file, -1 if it does not exist. */
long long tu_file_size(const char *path);
/* Entries in dir besides . and ..; only names containing substr when it is
 * non-NULL; -1 if dir cannot be opened. */
int tu_count_files(const char *dir, const char *substr);

/* Runs a shell command, capturing stdout+stderr into a malloc'd string.
 * Returns the exit status (or -1). */
int tu_run(const char *cmd, char **output);

/* Minimal bundle writer: one data file, entries given in any order. */
typedef struct tu_entry {
  const char *name;
  int dtype;
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

/* Everything one dataset stream delivered, flattened (dense features). */
typedef struct tu_rows {
  size_t rows, width, label_width, batches;
  float *feat;
  double *lab; /* int32 or float32 labels as doubles */
  int label_dtype;
  size_t *batch_rows;
  unsigned long long *batch_epoch, *batch_iter, *batch_iter_in_epoch;
  int rc;
  char err[1024];
  tfckpt_dataset_stats stats;
} tu_rows;

/* Opens a dataset with opt, drains it and records everything; returns the
 * first non-zero status (its message in out->err). */
int tu_collect(const tfckpt_dataset_options *opt, tu_rows *out);
void tu_rows_free(tu_rows *r);

#endif
