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
 * Replacing a checkpoint with the same prefix: data files have fixed names
 * (prefix.data-SSSSS-of-NNNNN), so they cannot all change in one atomic step.
 * The writer therefore removes the old .index first (only when a new data
 * file would replace an old one), then renames the data files, then the new
 * .index.  A crash in that short window leaves no index under the prefix (no
 * checkpoint, never a half-written or mismatched one); a crash at any other
 * moment leaves the old or the new checkpoint complete.  Checkpoints under
 * other prefixes (the usual model.ckpt-<step> case) are never touched, except
 * the ones max_to_keep deletes after the state file names the new one.
 *
 * Layout: tensors are appended to their data file in the order added (TF's
 * BundleWriter does the same); the index is sorted by name at finish.  With
 * the same adds in the same order, the files are byte-identical to TF's.
 *
 * Ownership: the writer copies what it needs from each tensor during the add
 * call (values go straight to the data file), so the caller may free the
 * tensor right after.  Close the writer with tfckpt_writer_close.
 *
 * Testing hook, only in test builds (TFCKPT_TEST_HOOKS; never in the shipped
 * library, which reads nothing from the environment): when
 * TFCKPT_WRITER_KILL_AT=N (N > 0) is set at open, the writer kills its own
 * process with SIGKILL just before its N-th file-changing system call (write,
 * fsync, rename, unlink, directory fsync), so crash tests can stop it at
 * every point.
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

/* Fills *o with the defaults (1 shard, no state file update). */
TFCKPT_API void tfckpt_writer_options_init(tfckpt_writer_options *o);

/*! tfckpt_writer_open() :
 * Starts a checkpoint with prefix `prefix` ("dir/model.ckpt-100"): creates
 * the temporary data files in the prefix's directory (so an unwritable
 * directory fails here, not at finish).  `opts` may be NULL for the defaults.
 * As with the reader, *out is set even on failure (NULL only when memory ran
 * out) and must be closed.
 * @return TFCKPT_OK, TFCKPT_EINVAL (bad prefix or options), TFCKPT_ENOTFOUND
 *         (no such directory), TFCKPT_EIO (cannot create files there). */
TFCKPT_API int tfckpt_writer_open(const char *prefix, const tfckpt_writer_options *opts,
                       tfckpt_writer **out /* OUT */);
/* The message of the last failure on `w` ("out of memory" for NULL), e.g.
 * "out/model.ckpt: tensor \"dense/kernel\" was already added". */
TFCKPT_API const char *tfckpt_writer_errmsg(const tfckpt_writer *w);

/*! tfckpt_writer_add() :
 * Adds a whole tensor of any dtype except resource (string and variant
 * included), appending its bytes to a data file chosen round-robin.  Names
 * must be unique and non-empty.  After an I/O error the writer is failed:
 * every later call returns that error.
 * @return TFCKPT_OK, TFCKPT_EEXIST (name already added), TFCKPT_EINVAL,
 *         TFCKPT_EUNSUPPORTED (resource / unknown dtype), TFCKPT_EIO. */
TFCKPT_API int tfckpt_writer_add(tfckpt_writer *w, const char *name, const tfckpt_tensor *t);

/* Same, into data file `shard` (0 <= shard < num_shards). */
TFCKPT_API int tfckpt_writer_add_to_shard(tfckpt_writer *w, const char *name, const tfckpt_tensor *t,
                               int shard);

/*! tfckpt_writer_add_slice() :
 * Adds one slice of a partitioned variable `full_name` of shape full_dims.
 * start/length give the slice's extent per dimension (length -1: the whole
 * dimension, start then 0); `t` holds the slice's values with the slice's
 * shape, and goes to data file `shard`.  As in TF, a slice whose every
 * extent is -1 is stored as a plain tensor.  Otherwise the parent entry
 * (dtype, full shape, the list of slices in the order added) and one slice
 * entry are written.  Slices of one variable must agree on dtype and shape.
 * @return TFCKPT_OK, TFCKPT_EEXIST (same slice twice, or the name is a
 *         plain tensor), TFCKPT_EINVAL (extent outside the shape, dtype or
 *         shape mismatch), TFCKPT_EIO. */
TFCKPT_API int tfckpt_writer_add_slice(tfckpt_writer *w, const char *full_name, int full_rank,
                            const int64_t *full_dims, const int64_t *start,
                            const int64_t *length, const tfckpt_tensor *t, int shard);

/* Sets the shard_id field stored in a partitioned variable's parent entry
 * (0 by default).  The parent owns no data; TF's MergeBundles nevertheless
 * records a non-zero id for parents coming from a later shard, and byte-exact
 * copies need to reproduce it.  Call after the variable's first slice. */
TFCKPT_API int tfckpt_writer_set_parent_shard(tfckpt_writer *w, const char *full_name, int shard);

/*! tfckpt_writer_finish() :
 * Flushes and fsyncs the data files, writes the index (sorted by name) and,
 * with update_state, the `checkpoint` file; then renames the data files,
 * the index and the state file into place (in that order) and fsyncs the
 * directory; finally deletes checkpoints beyond max_to_keep.  Only
 * checkpoints inside the output directory are ever deleted: a state file
 * that names `../other/ckpt-1` or an absolute path elsewhere (one copied
 * from another machine) leaves those files alone, and the writer records a
 * warning (tfckpt_writer_warning).  Can be called once; on failure the
 * temporary files are removed by close.
 * @return TFCKPT_OK or the error (TFCKPT_EIO, TFCKPT_ECORRUPT for an
 *         unreadable existing `checkpoint` file, ...). */
TFCKPT_API int tfckpt_writer_finish(tfckpt_writer *w);

/* Warning i (0-based) of the last finish, e.g. "../other/ckpt-1: not deleted
 * by max_to_keep: outside the output directory run7"; NULL past the last.
 * Valid until the writer is closed. */
TFCKPT_API const char *tfckpt_writer_warning(const tfckpt_writer *w, size_t i);

/* Frees the writer; if it was not finished, removes its temporary files.
 * Accepts NULL. */
TFCKPT_API void tfckpt_writer_close(tfckpt_writer *w);

#ifdef __cplusplus
}
#endif
#endif
