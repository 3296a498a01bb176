/* The public dataset handle: options, open/close, next(), accessors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/internal.h"
#include "data/source.h"

void tfckpt_dataset_options_init(tfckpt_dataset_options *opt) {
  if (!opt) return;
  memset(opt, 0, sizeof *opt);
  opt->format = TFCKPT_DATA_AUTO;
  opt->quote = '"';
  opt->header = TFCKPT_HEADER_AUTO;
  opt->libsvm_zero_based = -1;
  opt->num_threads = 2;
  opt->batch_size = 32;
  opt->num_epochs = 1;
  opt->prefetch = 2;
  opt->chunk_bytes = (size_t)1 << 20;
  opt->on_error = TFCKPT_ON_ERROR_FAIL;
}

int tfckpt_dataset_holdout_row(uint64_t seed, double fraction, uint64_t row) {
  /* the key constant keeps the split independent of the shuffle stream
   * drawn from the same seed (and equal to the trainer's former split) */
  return tfckpt__unit_hash(seed ^ UINT64_C(0x5851F42D4C957F2D), row) < fraction;
}

static int check_options(tfckpt_dataset *ds, const tfckpt_dataset_options *o) {
  if (!o->paths || !o->npaths)
    return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "no input files");
  if (o->format < TFCKPT_DATA_AUTO || o->format > TFCKPT_DATA_LIBSVM)
    return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "unknown format %d", o->format);
  if (o->header < TFCKPT_HEADER_AUTO || o->header > TFCKPT_HEADER_SKLEARN)
    return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "unknown header mode %d", o->header);
  if (o->batch_size == 0 || o->batch_size > ((size_t)1 << 28))
    return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "batch size must be between 1 and 2^28");
  if (o->num_threads == 0 || o->num_threads > 256)
    return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "thread count must be between 1 and 256");
  if (o->chunk_bytes < 16 || o->chunk_bytes > ((size_t)1 << 30))
    return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "chunk size must be between 16 bytes and 1 GiB");
  if (o->prefetch > 4096 || o->queue_chunks > 4096)
    return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "prefetch/queue depth too large");
  if (o->label_dtype != TFCKPT_INVALID && o->label_dtype != TFCKPT_INT32 &&
      o->label_dtype != TFCKPT_FLOAT)
    return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "label dtype must be int32 or float32");
  if (o->on_error != TFCKPT_ON_ERROR_FAIL && o->on_error != TFCKPT_ON_ERROR_SKIP)
    return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "unknown on_error mode %d", o->on_error);
  if (!(o->holdout_fraction >= 0 && o->holdout_fraction < 1))
    return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "hold-out fraction %g not in [0, 1)",
                          o->holdout_fraction);
  if (o->holdout_select != TFCKPT_HOLDOUT_EXCLUDE && o->holdout_select != TFCKPT_HOLDOUT_ONLY)
    return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "unknown holdout_select %d", o->holdout_select);
  if (o->delimiter == '\n' || o->delimiter == '\r' || (o->quote && o->quote == o->delimiter))
    return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "bad delimiter or quote character");
  return 0;
}

int tfckpt_dataset_open(const tfckpt_dataset_options *opt, tfckpt_dataset **out) {
  if (out) *out = NULL;
  if (!opt || !out) return TFCKPT_EINVAL;
  tfckpt_dataset *ds = calloc(1, sizeof *ds);
  if (!ds) return TFCKPT_ENOMEM;
  *out = ds;
  int rc = check_options(ds, opt);
  if (rc) return rc;
  ds->opt = *opt;
  ds->opt.paths = NULL;
  ds->cfg.sparse = opt->sparse != 0;
  ds->cfg.on_error = opt->on_error;
  ds->cfg.cloc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
  if (!ds->cfg.cloc) return tfckpt__seterr(&ds->err, TFCKPT_ENOMEM, "cannot create the C locale");
  if ((rc = tfd_expand_paths(opt->paths, opt->npaths, &ds->files, &ds->nfiles, &ds->err)))
    return rc;
  if ((rc = tfd_schema_init(ds))) return rc;
  /* strings were only needed to build the schema */
  ds->opt.label_columns = ds->opt.feature_columns = ds->opt.na_values = NULL;
  return tfd_pipeline_start(ds);
}

int tfckpt_dataset_next(tfckpt_dataset *ds, const tfckpt_batch **out) {
  if (out) *out = NULL;
  if (!ds || !out) return TFCKPT_EINVAL;
  if (!ds->mu_init) return tfckpt__seterr(&ds->err, TFCKPT_EINVAL, "dataset is not open");
  pthread_mutex_lock(&ds->mu);
  if (ds->held) {
    ds->bfree[ds->nbfree++] = ds->held;
    ds->held = NULL;
    pthread_cond_signal(&ds->cv_bfree);
  }
  while (!ds->bready_n && !ds->bdone) pthread_cond_wait(&ds->cv_bready, &ds->mu);
  if (ds->bready_n) {
    tfd_batch_obj *o = ds->bready[ds->bready_head];
    ds->bready_head = (ds->bready_head + 1) % ds->nbatches;
    ds->bready_n--;
    ds->held = o;
    pthread_mutex_unlock(&ds->mu);
    *out = &o->pub;
    return 0;
  }
  int code = ds->stream_err.code;
  if (code) ds->err = ds->stream_err;
  pthread_mutex_unlock(&ds->mu);
  return code;
}

void tfckpt_dataset_close(tfckpt_dataset *ds) {
  if (!ds) return;
  tfd_pipeline_stop(ds);
  if (ds->files) tfd_free_paths(ds->files, ds->nfiles);
  if (ds->colnames)
    for (size_t i = 0; i < ds->cfg.ncols; i++) free(ds->colnames[i]);
  free(ds->colnames);
  if (ds->class_names)
    for (size_t i = 0; i < ds->nclass_names; i++) free(ds->class_names[i]);
  free(ds->class_names);
  free(ds->sample_nonint);
  free(ds->cfg.field_map);
  free(ds->cfg.has_default);
  free(ds->cfg.def);
  if (ds->cfg.cloc) freelocale(ds->cfg.cloc);
  free(ds);
}

const char *tfckpt_dataset_errmsg(const tfckpt_dataset *ds) {
  if (!ds) return "out of memory";
  return tfckpt__err_text(&ds->err);
}

int tfckpt_dataset_format(const tfckpt_dataset *ds) { return ds ? ds->cfg.format : 0; }
size_t tfckpt_dataset_width(const tfckpt_dataset *ds) { return ds ? ds->cfg.width : 0; }
size_t tfckpt_dataset_label_width(const tfckpt_dataset *ds) { return ds ? ds->cfg.nlabels : 0; }

tfckpt_dtype tfckpt_dataset_label_dtype(const tfckpt_dataset *ds) {
  if (!ds || !ds->cfg.nlabels) return TFCKPT_INVALID;
  return ds->cfg.label_int ? TFCKPT_INT32 : TFCKPT_FLOAT;
}

int64_t tfckpt_dataset_num_classes(const tfckpt_dataset *ds) {
  return (ds && ds->cfg.nlabels && ds->cfg.label_int) ? ds->num_classes : 0;
}

int64_t tfckpt_dataset_declared_rows(const tfckpt_dataset *ds) {
  return ds ? ds->declared_rows : -1;
}

const char *tfckpt_dataset_class_name(const tfckpt_dataset *ds, int64_t cls) {
  if (!ds || cls < 0 || (uint64_t)cls >= ds->nclass_names) return NULL;
  return ds->class_names[cls];
}

size_t tfckpt_dataset_ncolumns(const tfckpt_dataset *ds) { return ds ? ds->cfg.ncols : 0; }

const char *tfckpt_dataset_column_name(const tfckpt_dataset *ds, size_t col) {
  if (!ds || !ds->colnames || col >= ds->cfg.ncols) return NULL;
  return ds->colnames[col];
}

int tfckpt_dataset_column_is_label(const tfckpt_dataset *ds, size_t col) {
  return ds && col < ds->cfg.ncols && col >= ds->cfg.width;
}

size_t tfckpt_dataset_nfiles(const tfckpt_dataset *ds) { return ds ? ds->nfiles : 0; }

const char *tfckpt_dataset_file(const tfckpt_dataset *ds, size_t i) {
  return (ds && i < ds->nfiles) ? ds->files[i] : NULL;
}

int tfckpt_dataset_column_stats(const tfckpt_dataset *ds, size_t col, tfckpt_column_stats *cs) {
  if (!ds || !cs || col >= ds->cfg.ncols) return TFCKPT_EINVAL;
  tfckpt_dataset *m = (tfckpt_dataset *)ds; /* the lock is not part of the value */
  memset(cs, 0, sizeof *cs);
  cs->min = cs->max = cs->mean = NAN;
  int nonint = ds->sample_nonint ? ds->sample_nonint[col] : 0;
  if (ds->mu_init) pthread_mutex_lock(&m->mu);
  if (ds->stats) {
    const tfd_colstat *s = &ds->stats[col];
    cs->missing = s->missing;
    uint64_t n = s->count;
    double mn = s->min, mx = s->max;
    if (ds->cfg.format == TFCKPT_DATA_LIBSVM && col < ds->cfg.width) {
      /* LibSVM stats saw the explicit entries; the others are zeros */
      uint64_t zeros = ds->rows0 > n ? ds->rows0 - n : 0;
      if (zeros) {
        if (mn > 0) mn = 0;
        if (mx < 0) mx = 0;
      }
      n += zeros;
    }
    cs->count = n;
    if (n) {
      cs->min = mn;
      cs->max = mx;
      cs->mean = s->sum / (double)n;
      nonint = s->nonint;
    }
  }
  if (ds->mu_init) pthread_mutex_unlock(&m->mu);
  cs->dtype = nonint ? TFCKPT_FLOAT : TFCKPT_INT64;
  return 0;
}

tfckpt_dtype tfckpt_dataset_column_dtype(const tfckpt_dataset *ds, size_t col) {
  tfckpt_column_stats cs;
  if (tfckpt_dataset_column_stats(ds, col, &cs)) return TFCKPT_INVALID;
  return cs.dtype;
}

int tfckpt_dataset_stats_get(const tfckpt_dataset *ds, tfckpt_dataset_stats *st) {
  if (!ds || !st) return TFCKPT_EINVAL;
  tfckpt_dataset *m = (tfckpt_dataset *)ds;
  memset(st, 0, sizeof *st);
  if (ds->mu_init) pthread_mutex_lock(&m->mu);
  st->rows = ds->rows0;
  st->skipped = ds->skipped0;
  st->bytes = ds->bytes0;
  st->complete = ds->complete0;
  if (ds->mu_init) pthread_mutex_unlock(&m->mu);
  return 0;
}
