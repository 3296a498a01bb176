/*
 * Writing V2 checkpoints (tensor bundles) the way TensorFlow's BundleWriter
 * does, byte for byte.
 *
 *   tfckpt_writer_options o;
 *   tfckpt_writer_options_init(&o);
 *   o.update_state = 1;                 // also rewrite dir/checkpoint
 *   tfckpt_writer *w;
 *   if (tfckpt_writer_open("runs/model.ckpt-100", &o, &w) != TFCKPT_OK) {
 *     fprintf(stderr, "%s\n", tfckpt_writer_errmsg(w));
 *     tfckpt_writer_close(w);
 *     return 1;
 *   }
 *   tfckpt_writer_add(w, "dense/kernel", kernel);   // any order, any dtype
 *   tfckpt_writer_add(w, "global_step", step);
 *   int rc = tfckpt_writer_finish(w);               // the checkpoint appears
 *   tfckpt_writer_close(w);
 *
 * Atomicity: every file is written under a temporary name in the target
 * directory, fsynced, then renamed (data files first, the .index last, the
 * `checkpoint` state file after that).  Until finish returns TFCKPT_OK
 * nothing exists under the final names, and an existing checkpoint with the
 * same prefix is replaced only by the final renames.  Closing a writer that
 * was not finished removes its temporary files.
 *
 * Ownership: the writer copies what it needs from each tensor during the add
 * call (values go straight to the data file), so the caller may free the
 * tensor right after.  Close the writer with tfckpt_writer_close.
 */
#ifndef TFCKPT_WRITER_H
#define TFCKPT_WRITER_H

#include "tfckpt/tensor.h"
#include "tfckpt/tfckpt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tfckpt_writer tfckpt_writer;

typedef struct tfckpt_writer_options {
  int num_shards;      /* data files (default 1); tensors go round-robin
                          unless added with tfckpt_writer_add_to_shard */
  int update_state;    /* 1: rewrite the directory's `checkpoint` file so this
                          checkpoint is the latest (default 0) */
  int max_to_keep;     /* with update_state: keep at most this many
                          checkpoints listed, deleting older files (0: keep
                          all; default 0) */
} tfckpt_writer_options;

void tfckpt_writer_options_init(tfckpt_writer_options *o);

/* Starts a checkpoint with prefix `prefix` ("dir/model.ckpt-100").
 * `opts` may be NULL for the defaults.  As with the reader, *out is set even
 * on failure (NULL only when memory ran out) and must be closed. */
int tfckpt_writer_open(const char *prefix, const tfckpt_writer_options *opts,
                       tfckpt_writer **out /* OUT */);
const char *tfckpt_writer_errmsg(const tfckpt_writer *w);

/* Adds a whole tensor.  Names must be unique and non-empty.
 * @return TFCKPT_OK, TFCKPT_EEXIST (name already added), TFCKPT_EINVAL,
 *         TFCKPT_EIO. */
int tfckpt_writer_add(tfckpt_writer *w, const char *name, const tfckpt_tensor *t);
int tfckpt_writer_add_to_shard(tfckpt_writer *w, const char *name, const tfckpt_tensor *t,
                               int shard);

/* Adds one slice of a partitioned variable `full_name` of shape full_dims.
 * start/length give the slice's extent per dimension (length -1: the whole
 * dimension); `t` holds the slice's values with the slice's shape. */
int tfckpt_writer_add_slice(tfckpt_writer *w, const char *full_name, int full_rank,
                            const int64_t *full_dims, const int64_t *start,
                            const int64_t *length, const tfckpt_tensor *t, int shard);

/* Writes the index, syncs and renames everything into place. */
int tfckpt_writer_finish(tfckpt_writer *w);

/* Frees the writer; if it was not finished, removes its temporary files. */
void tfckpt_writer_close(tfckpt_writer *w);

#ifdef __cplusplus
}
#endif
#endif
