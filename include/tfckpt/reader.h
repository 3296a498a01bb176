/*
 * Reading checkpoints: the C counterpart of TensorFlow's CheckpointReader.
 *
 *   tfckpt_reader *r;
 *   if (tfckpt_reader_open("train_dir/", &r) != TFCKPT_OK) {
 *     fprintf(stderr, "%s\n", tfckpt_reader_errmsg(r));
 *     tfckpt_reader_close(r);
 *     return 1;
 *   }
 *   for (int64_t i = 0; i < tfckpt_reader_num_variables(r); i++) {
 *     tfckpt_var_info v;
 *     tfckpt_reader_var(r, i, &v);
 *     printf("%s %s\n", v.name, tfckpt_dtype_name(v.dtype));
 *   }
 *   tfckpt_tensor *t;
 *   if (tfckpt_reader_get_tensor(r, "dense/kernel", &t) == TFCKPT_OK) {
 *     ... tfckpt_tensor_data(t) ...
 *     tfckpt_tensor_free(t);
 *   }
 *   tfckpt_reader_close(r);
 *
 * Paths accepted by tfckpt_reader_open:
 *   - a V2 prefix ("model.ckpt-1000"), its ".index" file, or one of its
 *     ".data-NNNNN-of-NNNNN" files;
 *   - a directory holding a `checkpoint` state file (its latest checkpoint;
 *     a stale absolute path is retried by its base name inside the directory);
 *   - a SavedModel directory (its variables/variables bundle);
 *   - a directory holding exactly one checkpoint (V2, or V1 table files);
 *   - a legacy V1 checkpoint file.
 *
 * Ownership and lifetime: the reader owns everything it returns by pointer
 * (names, dims); those stay valid until tfckpt_reader_close.  Tensors returned
 * by tfckpt_reader_get_tensor belong to the caller (tfckpt_tensor_free) and
 * own their values; only tfckpt_reader_get_view returns views, which must be
 * freed before the reader is closed.
 *
 * Reading: open reads the index (into memory, never mapped) and opens the
 * data files, keeping their descriptors; it reads none of their bytes, so
 * listing works even when they are missing, and a missing or unreadable data
 * file fails only the reads that need it.  Because the descriptors are kept,
 * a checkpoint replaced after open (tfckpt set --in-place, a new save to the
 * same prefix: both rename new files over the old) does not change what the
 * reader sees: it goes on reading the checkpoint it opened, consistently.
 * Values are read with pread into memory the tensor owns, with the CRC32C
 * computed on the bytes read, so a data file truncated while it is read
 * gives an error naming the file ("... truncated while reading (expected N
 * bytes at offset O, ...)"), never a signal.  Files that are not regular
 * (FIFOs, devices, directories) are refused at once, without blocking.
 * Legacy V1 files are read into memory whole at open.
 *
 * Threads: after open, any number of threads may read from one reader.  The
 * error message then belongs to whichever failing call came last.
 */
#ifndef TFCKPT_READER_H
#define TFCKPT_READER_H

#include "tfckpt/tensor.h"
#include "tfckpt/tfckpt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tfckpt_reader tfckpt_reader;

/* Checkpoint generations. */
typedef enum tfckpt_ckpt_format {
  TFCKPT_CKPT_V1 = 1, /* legacy single-table files (tf.train.Saver write_version=V1) */
  TFCKPT_CKPT_V2 = 2  /* tensor bundles: <prefix>.index + .data-NNNNN-of-NNNNN */
} tfckpt_ckpt_format;

/*! tfckpt_reader_open() :
 *  Resolves `path` (see above) and reads the checkpoint's index.
 *  @return TFCKPT_OK, or an error; in both cases *out is a handle (unless
 *          memory ran out, then NULL) that must be closed, and whose
 *          tfckpt_reader_errmsg() explains the failure, e.g.
 *          "model.ckpt.index: block checksum mismatch at offset 0". */
TFCKPT_API int tfckpt_reader_open(const char *path, tfckpt_reader **out /* OUT */);
TFCKPT_API void tfckpt_reader_close(tfckpt_reader *r);

/* The message of the last failure on `r` ("out of memory" for NULL). */
TFCKPT_API const char *tfckpt_reader_errmsg(const tfckpt_reader *r);

/* The resolved checkpoint: prefix for V2 ("dir/model.ckpt-1000"), file for V1. */
TFCKPT_API const char *tfckpt_reader_prefix(const tfckpt_reader *r);
TFCKPT_API tfckpt_ckpt_format tfckpt_reader_format(const tfckpt_reader *r);   /* TFCKPT_CKPT_V1 / _V2 */
TFCKPT_API int tfckpt_reader_num_shards(const tfckpt_reader *r);

/* Variables, sorted by name.  A partitioned variable is one variable under
 * its full name and shape; its slice entries are not listed. */
TFCKPT_API int64_t tfckpt_reader_num_variables(const tfckpt_reader *r);

typedef struct tfckpt_var_info {
  const char *name;
  tfckpt_dtype dtype;
  int rank;
  const int64_t *dims;    /* rank values */
  int64_t num_elements;
  int64_t nbytes;         /* bytes stored in the data files (all slices) */
  int num_slices;         /* 0: stored whole; >0: partitioned into slices */
  int shard;              /* data file of an unpartitioned variable, else -1 */
  int64_t offset;         /* its byte offset in that file, else -1 */
} tfckpt_var_info;

/* Fills *out for variable i (0 <= i < num_variables). */
TFCKPT_API int tfckpt_reader_var(const tfckpt_reader *r, int64_t i, tfckpt_var_info *out /* OUT */);

/* Index of the variable called `name`, or -1. */
TFCKPT_API int64_t tfckpt_reader_find(const tfckpt_reader *r, const char *name);
TFCKPT_API int tfckpt_reader_has_tensor(const tfckpt_reader *r, const char *name);

/*! tfckpt_reader_get_tensor() :
 *  Reads a whole variable (partitioned ones assembled), checking every CRC,
 *  into a tensor owning its values (suitably aligned).
 *  @return TFCKPT_OK, TFCKPT_ENOTFOUND (no such variable; the message
 *          suggests close names), TFCKPT_ECHECKSUM, TFCKPT_ECORRUPT, ... */
TFCKPT_API int tfckpt_reader_get_tensor(tfckpt_reader *r, const char *name, tfckpt_tensor **out /* OUT */);
TFCKPT_API int tfckpt_reader_get_tensor_at(tfckpt_reader *r, int64_t i, tfckpt_tensor **out /* OUT */);

/*! tfckpt_reader_get_view() :
 *  Opt-in zero copy: like tfckpt_reader_get_tensor (CRC checked), but when
 *  no conversion is needed (a fixed-size V2 variable stored whole,
 *  little-endian) the tensor is a read-only view of the memory-mapped data
 *  file (tfckpt_tensor_is_view), valid until the reader is closed; its data
 *  may be unaligned for the element type (read it with memcpy).  Otherwise
 *  the tensor owns its values, as from tfckpt_reader_get_tensor.
 *
 *  CAUTION: the kernel reports a mapped file that shrinks with SIGBUS.  If
 *  another process truncates the data file while a view exists, touching
 *  the view kills the process (the CRC check at this call only covers the
 *  moment of the call).  Use views only on files nothing rewrites in place;
 *  files replaced by rename are safe (the view keeps the old file). */
TFCKPT_API int tfckpt_reader_get_view(tfckpt_reader *r, const char *name, tfckpt_tensor **out /* OUT */);

/* Reads a fixed-size variable's values (host byte order, CRC checked)
 * straight into buf, which must hold num_elements * dtype size bytes: the
 * bytes of a variable stored whole go from the file to buf with no other
 * copy. */
TFCKPT_API int tfckpt_reader_read_into(tfckpt_reader *r, const char *name, void *buf, size_t cap);

/* Checks the CRC32C of every stored piece of variable i without keeping the
 * values.  TFCKPT_ECHECKSUM with a message naming the tensor on mismatch. */
TFCKPT_API int tfckpt_reader_verify(tfckpt_reader *r, int64_t i);

/* The stored pieces of a partitioned variable (num_slices of them), for
 * tools that copy checkpoints slice by slice. */
typedef struct tfckpt_slice_info {
  int rank;
  const int64_t *start;   /* rank values */
  const int64_t *length;  /* rank values; -1: the whole dimension */
  const int64_t *dims;    /* the slice's own shape */
  int shard;              /* V2: data file and offset of the slice's bytes */
  int64_t offset;
} tfckpt_slice_info;

TFCKPT_API int tfckpt_reader_slice(const tfckpt_reader *r, int64_t i, int k, tfckpt_slice_info *out /* OUT */);
/* Reads slice k of variable i (CRC checked) as a tensor of the slice's shape. */
TFCKPT_API int tfckpt_reader_get_slice_tensor(tfckpt_reader *r, int64_t i, int k, tfckpt_tensor **out /* OUT */);

/* The shard_id field stored in partitioned variable i's parent entry (it owns
 * no data; TF's MergeBundles may still set it); 0 for other variables.  For
 * byte-exact copies (tfckpt_writer_set_parent_shard). */
TFCKPT_API int tfckpt_reader_parent_shard(const tfckpt_reader *r, int64_t i);

/* Up to `max` names closest to `name` (edit distance on the last path
 * component and the whole name), for "did you mean" hints.  Returns how many
 * were written to out; pointers are owned by the reader. */
TFCKPT_API int tfckpt_reader_suggest(const tfckpt_reader *r, const char *name, const char **out, int max);

/* Number of bytes the data files hold in all (0 for V1 files). */
TFCKPT_API int64_t tfckpt_reader_data_bytes(const tfckpt_reader *r);

#ifdef __cplusplus
}
#endif
#endif
