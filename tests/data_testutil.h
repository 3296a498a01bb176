/* Tiny helpers shared by the tests/test_data_*.c programs. */
#ifndef TFCKPT_DATA_TESTUTIL_H
#define TFCKPT_DATA_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tfckpt/data.h"

static int dt_failures;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      dt_failures++;                                                       \
    }                                                                      \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                 \
  do {                                                                     \
    long long va_ = (long long)(a), vb_ = (long long)(b);                  \
    if (va_ != vb_) {                                                      \
      fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, \
              __LINE__, #a, va_, #b, vb_);                                 \
      dt_failures++;                                                       \
    }                                                                      \
  } while (0)

#define CHECK_STR(a, b)                                                    \
  do {                                                                     \
    const char *sa_ = (a), *sb_ = (b);                                     \
    if (!sa_ || !sb_ || strcmp(sa_, sb_)) {                                \
      fprintf(stderr, "%s:%d: got \"%s\", expected \"%s\"\n", __FILE__,   \
              __LINE__, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");       \
      dt_failures++;                                                       \
    }                                                                      \
  } while (0)

/* A private temporary directory, removed (with its files) by dt_rmtmp. */
static char dt_tmpdir[256];

static inline const char *dt_mktmp(void) {
  const char *base = getenv("TMPDIR");
  snprintf(dt_tmpdir, sizeof dt_tmpdir, "%s/tfckpt-data-XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(dt_tmpdir)) {
    perror("mkdtemp");
    exit(2);
  }
  return dt_tmpdir;
}

static inline void dt_rmtmp(void) {
  if (!dt_tmpdir[0]) return;
  DIR *d = opendir(dt_tmpdir);
  if (d) {
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      snprintf(p, sizeof p, "%s/%s", dt_tmpdir, e->d_name);
      unlink(p);
    }
    closedir(d);
  }
  rmdir(dt_tmpdir);
  dt_tmpdir[0] = '\0';
}

/* Writes `text` to <tmpdir>/<name>; returns the path (static ring buffer). */
static inline const char *dt_write(const char *name, const char *text) {
  static char paths[16][512];
  static int next;
  char *p = paths[next++ % 16];
  snprintf(p, 512, "%s/%s", dt_tmpdir, name);
  FILE *f = fopen(p, "wb");
  if (!f) {
    perror(p);
    exit(2);
  }
  fwrite(text, 1, strlen(text), f);
  fclose(f);
  return p;
}

/* Everything one stream delivered, flattened. */
typedef struct dt_rows {
  size_t rows, width, label_width, batches;
  float *feat;
  double *lab; /* int32 or float32 labels as doubles */
  tfckpt_dtype label_dtype;
  size_t *batch_rows;
  unsigned long long *batch_epoch, *batch_iter, *batch_iter_in_epoch;
  int rc;
  char err[1024];
  tfckpt_dataset_stats stats;
} dt_rows;

static inline void dt_rows_free(dt_rows *r) {
  free(r->feat);
  free(r->lab);
  free(r->batch_rows);
  free(r->batch_epoch);
  free(r->batch_iter);
  free(r->batch_iter_in_epoch);
  memset(r, 0, sizeof *r);
}

/* Opens with `opt`, drains the stream, records everything. */
static inline int dt_collect(const tfckpt_dataset_options *opt, dt_rows *out) {
  memset(out, 0, sizeof *out);
  tfckpt_dataset *ds;
  int rc = tfckpt_dataset_open(opt, &ds);
  if (rc) {
    snprintf(out->err, sizeof out->err, "%s", tfckpt_dataset_errmsg(ds));
    tfckpt_dataset_close(ds);
    return out->rc = rc;
  }
  out->width = tfckpt_dataset_width(ds);
  out->label_width = tfckpt_dataset_label_width(ds);
  out->label_dtype = tfckpt_dataset_label_dtype(ds);
  size_t cap = 0, bcap = 0;
  const tfckpt_batch *b;
  while ((rc = tfckpt_dataset_next(ds, &b)) == 0 && b) {
    if (out->rows + b->rows > cap) {
      cap = (out->rows + b->rows) * 2 + 16;
      out->feat = realloc(out->feat, cap * (out->width + 1) * sizeof(float));
      out->lab = realloc(out->lab, cap * (out->label_width + 1) * sizeof(double));
    }
    if (out->batches == bcap) {
      bcap = bcap * 2 + 16;
      out->batch_rows = realloc(out->batch_rows, bcap * sizeof(size_t));
      out->batch_epoch = realloc(out->batch_epoch, bcap * sizeof(unsigned long long));
      out->batch_iter = realloc(out->batch_iter, bcap * sizeof(unsigned long long));
      out->batch_iter_in_epoch = realloc(out->batch_iter_in_epoch, bcap * sizeof(unsigned long long));
    }
    out->batch_rows[out->batches] = b->rows;
    out->batch_epoch[out->batches] = b->epoch;
    out->batch_iter[out->batches] = b->iteration;
    out->batch_iter_in_epoch[out->batches] = b->iteration_in_epoch;
    out->batches++;
    for (size_t r = 0; r < b->rows; r++) {
      float *dst = out->feat + (out->rows + r) * out->width;
      if (b->features) {
        memcpy(dst, b->features + r * b->width, b->width * sizeof(float));
      } else {
        memset(dst, 0, out->width * sizeof(float));
        for (int64_t k = b->row_ptr[r]; k < b->row_ptr[r + 1]; k++) dst[b->indices[k]] = b->values[k];
      }
      for (size_t j = 0; j < b->label_width; j++)
        out->lab[(out->rows + r) * out->label_width + j] =
            b->label_dtype == TFCKPT_INT32 ? (double)b->labels_i32[r * b->label_width + j]
                                           : (double)b->labels_f32[r * b->label_width + j];
    }
    out->rows += b->rows;
  }
  if (rc) snprintf(out->err, sizeof out->err, "%s", tfckpt_dataset_errmsg(ds));
  tfckpt_dataset_stats_get(ds, &out->stats);
  tfckpt_dataset_close(ds);
  return out->rc = rc;
}

static inline int dt_finish(const char *name) {
  if (dt_failures) {
    fprintf(stderr, "%s: %d check(s) failed\n", name, dt_failures);
    return 1;
  }
  printf("%s: all checks passed\n", name);
  return 0;
}

#endif
