/* INTERNAL, UNSTABLE: for tfckpt's own CLI and Python module only; may
 * change in any release.
 *
 * The one crash-safe file writer of the project (checkpoints, state files,
 * converter outputs, CLI text outputs): write under a temporary name in the
 * target directory, fsync, rename onto the final name, fsync the directory.
 *
 *   tfckpt__atomic_file f;
 *   if (tfckpt__atomic_open(&f, "dir/model.ckpt.index", NULL, &err)) return err.code;
 *   rc = tfckpt__atomic_write(&f, bytes, n, &err);
 *   if (!rc) rc = tfckpt__atomic_sync(&f, &err);      // flush + fsync + close
 *   if (!rc) rc = tfckpt__atomic_commit(&f, &err);    // rename into place
 *   if (!rc) rc = tfckpt__fsync_dir("dir/model.ckpt.index", &err);  // the rename, durable
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

/* Fault injection for the crash and error-path tests.  The type exists in
 * every build so that struct layouts and signatures do not depend on
 * TFCKPT_TEST_HOOKS, but only a test-hooks build ever acts on it: when
 * `countdown` > 0 it is decremented before every write, fsync, rename, unlink
 * and directory fsync, and when it reaches 0 the step fails with
 * `fail_errno`, or, when that is 0, the process kills itself with SIGKILL.
 * Owned by whoever drives the writes. */
typedef struct tfckpt__fault {
  int64_t countdown;
  int fail_errno;
} tfckpt__fault;

#if TFCKPT_TEST_HOOKS
/* (Test builds link these statically; they are never exported.)
 * Called before every I/O step that changes files; returns 0 to go on or the
 * errno the step must fail with. */
int tfckpt__fault_point(tfckpt__fault *f);
/* Arms `f` from TFCKPT_WRITER_KILL_AT=N (kill before the N-th step). */
void tfckpt__fault_from_env(tfckpt__fault *f);
#else
/* A shipped build has no hook: macros, so that not even an unoptimised
 * build keeps a symbol for them. */
#define tfckpt__fault_point(f) ((void)(f), 0)
#define tfckpt__fault_from_env(f) ((void)(f))
#endif

/* Options of tfckpt__atomic_open_ex. */
enum {
  /* Small writes gather in a 1 MiB buffer (large ones still go straight
   * through); for writers of many small records (zip headers). */
  TFCKPT__ATOMIC_BUFFERED = 1,
  /* Create `final_path` itself (O_EXCL, TFCKPT_EEXIST if it exists) and never
   * rename: for files inside a directory that is itself written under a
   * temporary name and renamed as a whole. */
  TFCKPT__ATOMIC_IN_PLACE = 2
};

typedef struct tfckpt__atomic_file {
  char *final_path;
  char *temp_path; /* the name written under; == final_path's text when IN_PLACE */
  int fd;          /* -1 once closed */
  int committed;
  int in_place;
  tfckpt__fault *fault; /* may be NULL */
  uint64_t size;        /* bytes appended so far (buffered ones included) */
  uint8_t *buf;         /* BUFFERED: pending bytes */
  size_t blen, bcap;
} tfckpt__atomic_file;

/* Creates the temporary file next to `final_path` (mode 0644 before umask).
 * On failure nothing is left on disk and *f is safe to release. */
TFCKPT_API int tfckpt__atomic_open(tfckpt__atomic_file *f, const char *final_path,
                                   tfckpt__fault *fault, tfckpt__err *err);
/* Same, with TFCKPT__ATOMIC_* `flags`.  A final path naming a directory is
 * refused with TFCKPT_EEXIST (the rename would fail only at the end). */
TFCKPT_API int tfckpt__atomic_open_ex(tfckpt__atomic_file *f, const char *final_path, int flags,
                                      tfckpt__fault *fault, tfckpt__err *err);
/* Appends all n bytes (retrying short writes and EINTR). */
TFCKPT_API int tfckpt__atomic_write(tfckpt__atomic_file *f, const void *data, size_t n,
                                    tfckpt__err *err);
/* Overwrites n bytes at `offset`, which must lie within what was appended
 * (headers patched once the data after them is known).  Buffered bytes are
 * flushed first. */
TFCKPT_API int tfckpt__atomic_pwrite(tfckpt__atomic_file *f, const void *data, size_t n,
                                     uint64_t offset, tfckpt__err *err);
/* Flush + fsync + close of the temporary file. */
TFCKPT_API int tfckpt__atomic_sync(tfckpt__atomic_file *f, tfckpt__err *err);
/* Syncs if still open, then renames the temporary file onto the final name.
 * The directory is not fsynced here (several files often share one
 * directory): call tfckpt__fsync_dir once after the last rename. */
TFCKPT_API int tfckpt__atomic_commit(tfckpt__atomic_file *f, tfckpt__err *err);
/* Closes, removes the temporary file unless committed, frees the names.
 * Safe on a zeroed, failed-open, committed or already released file. */
TFCKPT_API void tfckpt__atomic_release(tfckpt__atomic_file *f);

/* fsync of the directory holding `path` (making renames durable).  Only the
 * filesystems that cannot fsync a directory at all (EINVAL, EROFS) pass
 * silently; every other failure is an error. */
TFCKPT_API int tfckpt__fsync_dir(const char *path, tfckpt__err *err);
#if TFCKPT_TEST_HOOKS
/* Same, counted as a step of `fault` (may be NULL). */
int tfckpt__fsync_dir_fault(const char *path, tfckpt__fault *fault, tfckpt__err *err);
#else
#define tfckpt__fsync_dir_fault(path, fault, err) ((void)(fault), tfckpt__fsync_dir(path, err))
#endif

/* Whole small file in one call: open, write, sync, commit, fsync dir. */
TFCKPT_API int tfckpt__atomic_write_file(const char *path, const void *data, size_t n,
                                         tfckpt__fault *fault, tfckpt__err *err);

/* "<final_path>.tempstate<random>", the temporary name of every output
 * (files here, directories for the .npy folder writer); malloc'd. */
TFCKPT_API char *tfckpt__temp_name(const char *final_path);

/* The directory part of `path` ("." when there is none); malloc'd. */
TFCKPT_API char *tfckpt__dirname(const char *path);

#endif
