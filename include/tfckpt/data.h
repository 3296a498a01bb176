/*
 * tfckpt data — stream CSV / TXT / LibSVM files into training batches.
 *
 * Usage:
 *
 *   tfckpt_dataset_options opt;
 *   tfckpt_dataset_options_init(&opt);
 *   const char *files[] = {"train-*.csv.gz"};
 *   opt.paths = files; opt.npaths = 1;
 *   opt.label_columns = "species";      // or "-1": the last column
 *   opt.batch_size = 32; opt.shuffle_buffer = 10000; opt.seed = 7;
 *   opt.num_epochs = 5; opt.num_threads = 2;
 *
 *   tfckpt_dataset *ds;
 *   int rc = tfckpt_dataset_open(&opt, &ds);
 *   if (rc) { fprintf(stderr, "%s\n", tfckpt_dataset_errmsg(ds));
 *             tfckpt_dataset_close(ds); return rc; }
 *   const tfckpt_batch *b;
 *   while ((rc = tfckpt_dataset_next(ds, &b)) == 0 && b) {
 *     // b->features: b->rows x b->width float32, row-major
 *     // b->labels_i32 or b->labels_f32: b->rows x b->label_width
 *     train_step(b->features, b->labels_i32, b->rows, b->epoch, b->iteration);
 *   }
 *   if (rc) fprintf(stderr, "%s\n", tfckpt_dataset_errmsg(ds));
 *   tfckpt_dataset_close(ds);
 *
 * Ownership rules:
 *   - tfckpt_dataset_open() always sets *out when out != NULL: to a handle on
 *     success, and on failure to a handle that only carries the error message
 *     (or NULL when even that could not be allocated).  Either way the caller
 *     calls tfckpt_dataset_close() on it; closing NULL is a no-op.
 *   - The options struct and the strings it points to are copied by
 *     tfckpt_dataset_open(); the caller may free them right after.
 *   - A batch returned by tfckpt_dataset_next() belongs to the dataset and
 *     stays valid until the next tfckpt_dataset_next() or _close() call.
 *   - Strings and stats returned by accessors live as long as the dataset.
 *   - Closing a dataset in the middle of the stream is fine: it stops and
 *     joins every reader/parser thread and frees all memory.
 *
 * Pipeline: one I/O thread reads the files in large blocks (gzip through
 * zlib), cuts each block at the last complete record (quote-aware), and hands
 * the blocks to num_threads parser threads through a bounded pool of chunks.
 * Parsed chunks are put back in file order, lose the rows of an optional
 * hold-out split, go through a shuffle buffer and are cut into batches that
 * a batcher thread prefetches.  Memory is bounded
 * by (chunk pool + shuffle buffer + prefetched batches), whatever the file
 * size.  The order of batches depends only on the files, the options and the
 * seed: never on thread timing or the number of threads.
 *
 * Numbers: every value is parsed to the double that strtod() gives in the C
 * locale for the same text (independent of the process locale), then rounded
 * to float32: a feature equals (float)strtod(text, NULL).
 */
#ifndef TFCKPT_DATA_H
#define TFCKPT_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "tfckpt/tfckpt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tfckpt_dataset tfckpt_dataset;

/* Input formats. */
typedef enum tfckpt_data_format {
  TFCKPT_DATA_AUTO = 0, /* from the extension, else sniffed from line 1 */
  TFCKPT_DATA_CSV = 1,  /* delimited text, RFC 4180 quoting */
  TFCKPT_DATA_TXT = 2,  /* fields separated by runs of spaces/tabs */
  TFCKPT_DATA_LIBSVM = 3 /* "label idx:val idx:val ..." (SVMlight) */
} tfckpt_data_format;

/* Header handling for CSV/TXT. */
typedef enum tfckpt_header_mode {
  TFCKPT_HEADER_AUTO = -1,   /* detect names, sklearn counts line, or none */
  TFCKPT_HEADER_NONE = 0,    /* columns are named c0, c1, ... */
  TFCKPT_HEADER_NAMES = 1,   /* first record holds column names */
  TFCKPT_HEADER_SKLEARN = 2  /* "n_samples,n_features,class names...":
                                the last column is the label by default */
} tfckpt_header_mode;

/* What to do with a malformed row. */
typedef enum tfckpt_on_error {
  TFCKPT_ON_ERROR_FAIL = 0, /* stop the stream with TFCKPT_EDATA */
  TFCKPT_ON_ERROR_SKIP = 1  /* drop the row and count it (stats.skipped) */
} tfckpt_on_error;

/* Which rows a dataset with a hold-out split delivers. */
typedef enum tfckpt_holdout_select {
  TFCKPT_HOLDOUT_EXCLUDE = 0, /* the rows not held out (training rows) */
  TFCKPT_HOLDOUT_ONLY = 1     /* only the held-out rows (validation rows) */
} tfckpt_holdout_select;

typedef struct tfckpt_dataset_options {
  /* Files or glob patterns (data/train-?.csv.gz), read in this order. */
  const char *const *paths;
  size_t npaths;

  tfckpt_data_format format; /* default AUTO */
  char delimiter;    /* CSV: any single byte; 0 = ',' ('\t' for .tsv) */
  char quote;        /* CSV quote character; default '"'; 0 = no quoting */
  char comment;      /* lines starting with it are skipped; 0 = none */
  tfckpt_header_mode header; /* default AUTO */
  size_t skip_lines; /* physical lines dropped at the start of every file */

  /* Comma-separated column names or 0-based indices (negative counts from
   * the end: "-1" is the last column).  label_columns: NULL picks the
   * default (last column for sklearn headers, the label of LibSVM, none
   * otherwise); "" means no label.  feature_columns: NULL = every column
   * that is not a label. */
  const char *label_columns;
  const char *feature_columns;

  /* TFCKPT_INT32, TFCKPT_FLOAT, or TFCKPT_INVALID (0) to infer from a
   * sample of the first file: int32 if every sampled label is an integer. */
  tfckpt_dtype label_dtype;
  /* Classes of an int32 label; 0 = from the sklearn header, else the
   * largest sampled label + 1. */
  int64_t num_classes;

  /* Defaults for missing fields (empty, NA, N/A, n/a, null, NULL, None, ?):
   * "VALUE" for every column and/or "COL=VALUE" entries, comma-separated
   * ("0", "age=30,income=nan").  A missing value in a column without a
   * default is a malformed row: never filled silently.  ("nan" in the data
   * itself is a number, not a missing value.) */
  const char *na_values;

  /* LibSVM */
  size_t libsvm_width;   /* dense width; 0 = max index seen (pre-scan) */
  int libsvm_zero_based; /* 1: indices start at 0; 0: at 1; -1: auto */
  int sparse;            /* 1: hand out CSR rows instead of dense ones */

  /* Pipeline */
  size_t num_threads;    /* parser threads; default 2 */
  size_t batch_size;     /* rows per batch; default 32 */
  size_t shuffle_buffer; /* rows; 0 or 1 = file order; default 0 */
  uint64_t seed;         /* shuffle seed; default 0 */
  int drop_remainder;    /* drop each epoch's last short batch */
  uint64_t num_epochs;   /* passes over the data; 0 = repeat forever; default 1 */
  size_t prefetch;       /* batches prepared ahead; default 2 */
  size_t queue_chunks;   /* chunks in flight between threads; 0 = 2*threads+2 */
  size_t chunk_bytes;    /* bytes per chunk; default 1 MiB */
  tfckpt_on_error on_error; /* default FAIL */

  /* First pass number (default 0).  Pass p of the stream is epoch
   * start_epoch + p: its shuffle is seeded from (seed, start_epoch + p) and
   * its batches report that epoch, so a stream opened at start_epoch = e
   * gives exactly the batches that epoch e of a stream opened at 0 gives
   * (resuming a training run).  num_epochs still counts passes. */
  uint64_t start_epoch;

  /* Hold-out split, decided per row before the shuffle: row i of a pass
   * (0-based, file order, malformed skipped rows not counted) is held out
   * when tfckpt_dataset_holdout_row(holdout_seed, holdout_fraction, i), so
   * the split is the same in every pass, with any seed, thread count or
   * chunk size.  holdout_fraction 0 (default) disables it. */
  double holdout_fraction; /* in [0, 1) */
  uint64_t holdout_seed;
  tfckpt_holdout_select holdout_select; /* default EXCLUDE */
} tfckpt_dataset_options;


/* 1 if row `row` is held out by a split of `fraction` with `seed`: a hash of
 * (seed, row) below `fraction`, the rule the pipeline applies.  For callers
 * that read every row once and need both sides of the split. */
TFCKPT_API int tfckpt_dataset_holdout_row(uint64_t seed, double fraction, uint64_t row);

/* Fills `opt` with the defaults listed above. */
TFCKPT_API void tfckpt_dataset_options_init(tfckpt_dataset_options *opt);

/* Opens the files, detects format and schema from the start of the first
 * file and starts the reader threads.  See the ownership rules above for
 * *out on failure.  Returns TFCKPT_ENOTFOUND when a file or pattern matches
 * nothing, TFCKPT_EDATA for a bad header, TFCKPT_EINVAL for bad options. */
TFCKPT_API int tfckpt_dataset_open(const tfckpt_dataset_options *opt, tfckpt_dataset **out);

/* One batch of the stream.  Rows of an epoch never spill into the next
 * epoch's batches: the last batch of an epoch may be short (rows <
 * batch_size) unless drop_remainder is set. */
typedef struct tfckpt_batch {
  size_t rows;
  size_t width;          /* features per row */
  const float *features; /* rows * width, row-major; NULL when sparse */

  tfckpt_dtype label_dtype;/* TFCKPT_INT32, TFCKPT_FLOAT, TFCKPT_INVALID (none) */
  size_t label_width;    /* label columns (usually 1) */
  const int32_t *labels_i32; /* rows * label_width when label_dtype INT32 */
  const float *labels_f32;   /* rows * label_width when label_dtype FLOAT */

  /* Sparse (CSR) rows when options.sparse: row r has the entries
   * [row_ptr[r], row_ptr[r+1]) of indices (0-based) and values. */
  const int64_t *row_ptr; /* rows + 1 */
  const int32_t *indices;
  const float *values;
  size_t nnz;

  uint64_t epoch;              /* 0-based pass this batch belongs to */
  uint64_t iteration;          /* 0-based batch number since the start */
  uint64_t iteration_in_epoch; /* 0-based batch number within the epoch */
} tfckpt_batch;

/* Next batch: returns 0 and sets *out to the batch, or 0 with *out = NULL
 * at the end of the stream; a negative status on error (the message names
 * file:line:column; batches before the bad row may have been delivered). */
TFCKPT_API int tfckpt_dataset_next(tfckpt_dataset *ds, const tfckpt_batch **out);

typedef struct tfckpt_tensor tfckpt_tensor; /* <tfckpt/tensor.h> */

/* Copies a batch into new tensors: *features float32 [rows, width] (sparse
 * rows are densified), *labels int32 or float32 [rows] (or [rows,
 * label_width] when label_width > 1), *labels = NULL for unlabelled data.
 * `labels` may be NULL.  The caller frees them with tfckpt_tensor_free();
 * they stay valid after the batch is gone.  Returns 0 or TFCKPT_ENOMEM /
 * TFCKPT_EINVAL (then nothing is allocated). */
TFCKPT_API int tfckpt_batch_to_tensors(const tfckpt_batch *b, tfckpt_tensor **features,
                            tfckpt_tensor **labels);

/* Stops the threads and frees everything.  NULL is a no-op. */
TFCKPT_API void tfckpt_dataset_close(tfckpt_dataset *ds);

/* Message of the last failure ("train.csv:17:3: cannot parse "abc" as a
 * number"); "not an error" when there is none; "out of memory" for NULL. */
TFCKPT_API const char *tfckpt_dataset_errmsg(const tfckpt_dataset *ds);

/* ---- Schema (known after open) ---- */

/* TFCKPT_DATA_CSV / _TXT / _LIBSVM as detected. */
TFCKPT_API int tfckpt_dataset_format(const tfckpt_dataset *ds);
/* Features per row (the batch's width). */
TFCKPT_API size_t tfckpt_dataset_width(const tfckpt_dataset *ds);
/* Label columns per row (0 = unlabelled). */
TFCKPT_API size_t tfckpt_dataset_label_width(const tfckpt_dataset *ds);
/* TFCKPT_INT32, TFCKPT_FLOAT or TFCKPT_INVALID (no label). */
TFCKPT_API tfckpt_dtype tfckpt_dataset_label_dtype(const tfckpt_dataset *ds);
/* Number of classes of an int32 label, 0 if unknown or not a class label. */
TFCKPT_API int64_t tfckpt_dataset_num_classes(const tfckpt_dataset *ds);
/* Rows per epoch announced by an sklearn header, else -1 (unknown before
 * the first pass; see stats.rows). */
TFCKPT_API int64_t tfckpt_dataset_declared_rows(const tfckpt_dataset *ds);
/* Class names of an sklearn header (NULL if none). */
TFCKPT_API const char *tfckpt_dataset_class_name(const tfckpt_dataset *ds, int64_t cls);

/* Output columns: the `width` features first, then the label columns. */
TFCKPT_API size_t tfckpt_dataset_ncolumns(const tfckpt_dataset *ds);
TFCKPT_API const char *tfckpt_dataset_column_name(const tfckpt_dataset *ds, size_t col);
/* 1 if the column is a label column. */
TFCKPT_API int tfckpt_dataset_column_is_label(const tfckpt_dataset *ds, size_t col);
/* TFCKPT_INT64 if every value seen so far (the open-time sample, then the
 * first epoch) was written as an integer, else TFCKPT_FLOAT. */
TFCKPT_API tfckpt_dtype tfckpt_dataset_column_dtype(const tfckpt_dataset *ds, size_t col);
/* The files after glob expansion. */
TFCKPT_API size_t tfckpt_dataset_nfiles(const tfckpt_dataset *ds);
TFCKPT_API const char *tfckpt_dataset_file(const tfckpt_dataset *ds, size_t i);

/* ---- Statistics of the first epoch (complete once it has been read) ----
 * They cover every row read, on both sides of a hold-out split. */

typedef struct tfckpt_column_stats {
  double min, max, mean; /* over non-missing values; NaN when none */
  uint64_t count;        /* non-missing values */
  uint64_t missing;      /* empty/NA fields replaced by the column default */
  tfckpt_dtype dtype;    /* TFCKPT_INT64 or TFCKPT_FLOAT (see column_dtype) */
} tfckpt_column_stats;

typedef struct tfckpt_dataset_stats {
  uint64_t rows;      /* rows read in the first epoch (before drop and hold-out) */
  uint64_t skipped;   /* malformed rows skipped (on_error = SKIP) */
  uint64_t bytes;     /* uncompressed bytes read in the first epoch */
  int complete;       /* 1 once the whole first epoch has been read */
} tfckpt_dataset_stats;

/* Copies the row counters into *st. */
TFCKPT_API int tfckpt_dataset_stats_get(const tfckpt_dataset *ds, tfckpt_dataset_stats *st);
/* Copies column `col`'s statistics into *cs (not computed for sparse
 * feature columns: count stays 0). */
TFCKPT_API int tfckpt_dataset_column_stats(const tfckpt_dataset *ds, size_t col,
                                tfckpt_column_stats *cs);

/* ---- Exact number parsing, exposed for tools and tests ---- */

/* Parses [text, text+len) as a whole number: *out is what strtod() returns
 * in the C locale ("1e-320", "-inf", "NaN", "0x1p-3" included).  Returns 0,
 * or TFCKPT_EDATA when the text is not one number (empty, trailing junk). */
TFCKPT_API int tfckpt_parse_double(const char *text, size_t len, double *out);

#ifdef __cplusplus
}
#endif
#endif
