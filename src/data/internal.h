/* Shared state of the data pipeline: the parse configuration (read-only once
 * the dataset is open), the chunks that travel reader -> parsers -> batcher,
 * and the dataset handle itself. */
#ifndef TFCKPT_DATA_INTERNAL_H
#define TFCKPT_DATA_INTERNAL_H

#include <locale.h>
#include <pthread.h>
#include <stdint.h>

#include "tfckpt/internal/buf.h"
#include "tfckpt/internal/error.h"
#include "tfckpt/data.h"

/* Per-column running statistics (one set per chunk, merged in file order). */
typedef struct tfd_colstat {
  double min, max, sum;
  uint64_t count, missing;
  int nonint; /* some value was not written as an integer */
} tfd_colstat;

/* How text becomes rows; shared read-only by all parser threads. */
typedef struct tfd_cfg {
  int format;
  char delim, quote, comment;
  int ws; /* TXT: runs of blanks separate fields */
  size_t nfields;    /* fields per CSV/TXT record */
  int *field_map;    /* nfields entries: output column or -1 (ignored) */
  size_t width;      /* feature columns */
  size_t nlabels;    /* label columns, stored after the features */
  size_t ncols;      /* width + nlabels */
  int label_int;     /* labels are int32 (else float32) */
  int zero_based;    /* LibSVM indices start at 0 */
  int sparse;
  int on_error;
  unsigned char *has_default; /* ncols */
  double *def;                /* ncols */
  locale_t cloc;
} tfd_cfg;

/* A block of complete records and, once parsed, its rows. */
typedef struct tfd_chunk {
  tfckpt__buf text; /* the records' bytes */
  uint64_t seq, epoch;
  size_t file;
  int file_first;        /* first chunk of a file: lines_before is valid */
  uint64_t lines_before; /* physical lines dropped before this chunk */
  int epoch_end, stream_end; /* markers (len 0) */
  int rd_code;               /* reader error travelling in file order */
  tfckpt__err rd_err;
  int want_stats;

  /* parse results */
  size_t nrows, rows_cap;
  float *feat;    /* nrows * width (dense) */
  uint32_t *lab;  /* nrows * nlabels, int32 or float32 bits */
  int64_t *rowptr; /* sparse: nrows + 1 */
  int32_t *idx;
  float *val;
  size_t nnz, nnz_cap;
  uint64_t nlines;  /* newlines in buf */
  uint64_t skipped;
  int perr;              /* a row failed and on_error is FAIL */
  uint64_t perr_line;    /* newlines before the bad record */
  size_t perr_col;       /* 1-based field */
  char perr_msg[256];
  tfd_colstat *stats; /* ncols, when want_stats */
} tfd_chunk;

/* Field ranges of one record (tokenizer output). */
typedef struct tfd_fields {
  const char **p;
  size_t *len;
  size_t n, cap;
  int grow; /* realloc beyond cap (header parsing) instead of just counting */
} tfd_fields;

/* tokenize.c */
enum { TFD_REC_OK = 0, TFD_REC_SKIP = 1, TFD_REC_UNTERMINATED = -1,
       TFD_REC_BADQUOTE = -2, TFD_REC_NOMEM = -3 };
/* Tokenizes the record at *pp (< end); unescapes quoted fields in place.
 * Advances *pp past the record's newline, adds the newlines crossed to
 * *lines.  TFD_REC_SKIP for blank and comment lines.  On a quote error
 * *errfield is the 1-based field. */
int tfd_tokenize(const tfd_cfg *cfg, char **pp, char *end, tfd_fields *f,
                 uint64_t *lines, size_t *errfield);
/* End (offset past '\n') of the last complete record in buf, 0 if none. */
size_t tfd_last_record_end(const tfd_cfg *cfg, const char *buf, size_t len);
/* End of the first record (0 if incomplete and !eof; len if eof). */
size_t tfd_first_record_end(const tfd_cfg *cfg, const char *buf, size_t len,
                            int eof);
/* Skips skip_lines physical lines, then (has_header) blank/comment lines
 * and the header record, whose range is [*hs, *he).  Returns 1 if buf must
 * hold more data first, else 0 with the bytes and lines consumed. */
int tfd_preamble(const tfd_cfg *cfg, size_t skip_lines, int has_header,
                 const char *buf, size_t len, int eof, size_t *consumed,
                 uint64_t *lines, size_t *hs, size_t *he);
/* 1 if [p,p+n) spells a missing value ("", NA, N/A, null, NULL, None, ?). */
int tfd_is_missing(const char *p, size_t n);

/* parse.c */
void tfd_parse_chunk(const tfd_cfg *cfg, tfd_chunk *c);
int tfd_chunk_reserve_rows(const tfd_cfg *cfg, tfd_chunk *c, size_t rows);
void tfd_colstat_init(tfd_colstat *s, size_t n);
void tfd_colstat_merge(tfd_colstat *into, const tfd_colstat *from, size_t n);

typedef struct tfd_batch_obj {
  tfckpt_batch pub;
  float *feat;
  uint32_t *lab;
  int64_t *rowptr;
  int32_t *idx;
  float *val;
  size_t nnz_cap;
} tfd_batch_obj;

typedef struct tfd_srow { /* one sparse row in the shuffle buffer */
  int32_t *idx;
  float *val;
  size_t nnz, cap;
} tfd_srow;

struct tfckpt_dataset {
  tfckpt__err err;
  tfd_cfg cfg;
  tfckpt_dataset_options opt;
  char **files;
  size_t nfiles;
  size_t header_mode; /* resolved TFCKPT_HEADER_* */
  char **colnames;    /* ncols */
  int *sample_nonint; /* ncols */
  int64_t num_classes, declared_rows;
  char **class_names;
  size_t nclass_names;

  /* pipeline */
  pthread_mutex_t mu;
  pthread_cond_t cv_pool, cv_raw, cv_done, cv_bfree, cv_bready;
  int mu_init;
  int stop;
  tfd_chunk *chunks;
  size_t nchunks;
  tfd_chunk **pool;
  size_t npool;
  tfd_chunk **raw;
  size_t raw_head, raw_n;
  int reader_done;
  tfd_chunk **done; /* reorder slots, seq % nchunks */
  uint64_t consume_seq;
  tfd_batch_obj *batches;
  size_t nbatches;
  tfd_batch_obj **bfree;
  size_t nbfree;
  tfd_batch_obj **bready;
  size_t bready_head, bready_n;
  int bdone;          /* batcher finished: end or error */
  tfckpt__err stream_err;
  tfd_batch_obj *held; /* handed to the caller */
  pthread_t reader, batcher, *parsers;
  size_t nparsers_started;
  int reader_started, batcher_started;

  /* first-epoch results, written by the batcher under mu */
  tfd_colstat *stats;
  uint64_t rows0, skipped0, bytes0;
  int complete0;
};

/* pipeline.c */
int tfd_pipeline_start(tfckpt_dataset *ds);
void tfd_pipeline_stop(tfckpt_dataset *ds);

/* libsvm width/zero-base pre-scan (schema.c) */
int tfd_schema_init(tfckpt_dataset *ds);

#endif
