/* INTERNAL, UNSTABLE: for tfckpt's own CLI and Python module only; may
 * change in any release.
 *
 * Crash-safe file creation: write under a temporary name in the target
 * directory, fsync, rename onto the final name, fsync the directory.
 *
 *   tfckpt__atomic_file f;
 *   if (tfckpt__atomic_open(&f, "dir/model.ckpt.index", NULL, &err)) return err.code;
 *   rc = tfckpt__atomic_write(&f, bytes, n, &err);
 *   if (!rc) rc = tfckpt__atomic_sync(&f, &err);      // fsync + close
 *   if (!rc) rc = tfckpt__atomic_commit(&f, &err);    // rename into place
 *   tfckpt__atomic_release(&f);                       // unlinks the temp file unless committed
 *
 * Until commit, only "<final>.tempstate<random>" exists (TF's own temporary
 * naming), so a killed process never leaves a half-written file under the
 * final name.  tfckpt__atomic_release on an uncommitted file removes it. */
#ifndef TFCKPT_CORE_ATOMIC_FILE_H
#define TFCKPT_CORE_ATOMIC_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "tfckpt/internal/error.h"

/* Fault injection for the crash tests: when `countdown` > 0 it is decremented
 * before every write, fsync, rename and unlink, and the process kills itself
 * with SIGKILL when it reaches 0.  Owned by whoever drives the writes. */
typedef struct tfckpt__fault {
  int64_t countdown;
} tfckpt__fault;

/* Called before every I/O step that changes files. */
TFCKPT_API void tfckpt__fault_point(tfckpt__fault *f);

typedef struct tfckpt__atomic_file {
  char *final_path;
  char *temp_path;
  int fd;          /* -1 once closed */
  int committed;
  tfckpt__fault *fault; /* may be NULL */
} tfckpt__atomic_file;

/* Creates the temporary file next to `final_path` (mode 0644 before umask).
 * On failure nothing is left on disk and *f is safe to release. */
TFCKPT_API int tfckpt__atomic_open(tfckpt__atomic_file *f, const char *final_path, tfckpt__fault *fault,
                       tfckpt__err *err);
/* Writes all n bytes (retrying short writes and EINTR). */
TFCKPT_API int tfckpt__atomic_write(tfckpt__atomic_file *f, const void *data, size_t n, tfckpt__err *err);
/* fsync + close of the temporary file. */
TFCKPT_API int tfckpt__atomic_sync(tfckpt__atomic_file *f, tfckpt__err *err);
/* Renames the (synced) temporary file onto the final name.  The directory is
 * not fsynced here: call tfckpt__fsync_dir once after the last rename. */
TFCKPT_API int tfckpt__atomic_commit(tfckpt__atomic_file *f, tfckpt__err *err);
/* Closes, removes the temporary file unless committed, frees the names. */
TFCKPT_API void tfckpt__atomic_release(tfckpt__atomic_file *f);

/* fsync of the directory holding `path` (making renames durable). */
TFCKPT_API int tfckpt__fsync_dir(const char *path, tfckpt__err *err);

/* Whole small file in one call: open, write, sync, commit, fsync dir. */
TFCKPT_API int tfckpt__atomic_write_file(const char *path, const void *data, size_t n, tfckpt__fault *fault,
                             tfckpt__err *err);

/* The directory part of `path` ("." when there is none); malloc'd. */
TFCKPT_API char *tfckpt__dirname(const char *path);

#endif
