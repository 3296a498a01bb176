/* Crash-safe file creation: write under a temporary name in the target
 * directory, fsync, rename onto the final name, fsync the directory.
 *
 *   tfckpt_atomic_file f;
 *   if (tfckpt_atomic_open(&f, "dir/model.ckpt.index", NULL, &err)) return err.code;
 *   rc = tfckpt_atomic_write(&f, bytes, n, &err);
 *   if (!rc) rc = tfckpt_atomic_sync(&f, &err);      // fsync + close
 *   if (!rc) rc = tfckpt_atomic_commit(&f, &err);    // rename into place
 *   tfckpt_atomic_release(&f);                       // unlinks the temp file unless committed
 *
 * Until commit, only "<final>.tempstate<random>" exists (TF's own temporary
 * naming), so a killed process never leaves a half-written file under the
 * final name.  tfckpt_atomic_release on an uncommitted file removes it. */
#ifndef TFCKPT_CORE_ATOMIC_FILE_H
#define TFCKPT_CORE_ATOMIC_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Fault injection for the crash tests: when `countdown` > 0 it is decremented
 * before every write, fsync, rename and unlink, and the process kills itself
 * with SIGKILL when it reaches 0.  Owned by whoever drives the writes. */
typedef struct tfckpt_fault {
  int64_t countdown;
} tfckpt_fault;

/* Called before every I/O step that changes files. */
void tfckpt_fault_point(tfckpt_fault *f);

typedef struct tfckpt_atomic_file {
  char *final_path;
  char *temp_path;
  int fd;          /* -1 once closed */
  int committed;
  tfckpt_fault *fault; /* may be NULL */
} tfckpt_atomic_file;

/* Creates the temporary file next to `final_path` (mode 0644 before umask).
 * On failure nothing is left on disk and *f is safe to release. */
int tfckpt_atomic_open(tfckpt_atomic_file *f, const char *final_path, tfckpt_fault *fault,
                       tfckpt_err *err);
/* Writes all n bytes (retrying short writes and EINTR). */
int tfckpt_atomic_write(tfckpt_atomic_file *f, const void *data, size_t n, tfckpt_err *err);
/* fsync + close of the temporary file. */
int tfckpt_atomic_sync(tfckpt_atomic_file *f, tfckpt_err *err);
/* Renames the (synced) temporary file onto the final name.  The directory is
 * not fsynced here: call tfckpt_fsync_dir once after the last rename. */
int tfckpt_atomic_commit(tfckpt_atomic_file *f, tfckpt_err *err);
/* Closes, removes the temporary file unless committed, frees the names. */
void tfckpt_atomic_release(tfckpt_atomic_file *f);

/* fsync of the directory holding `path` (making renames durable). */
int tfckpt_fsync_dir(const char *path, tfckpt_err *err);

/* Whole small file in one call: open, write, sync, commit, fsync dir. */
int tfckpt_atomic_write_file(const char *path, const void *data, size_t n, tfckpt_fault *fault,
                             tfckpt_err *err);

/* The directory part of `path` ("." when there is none); malloc'd. */
char *tfckpt_dirname(const char *path);

#endif
