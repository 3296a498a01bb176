/* INTERNAL, UNSTABLE: for tfckpt's own CLI and Python module only; may
 * change in any release.
 *
 * Read-only file access: whole-file reads for small files, pread for data
 * shards, memory maps only where a caller opts in.  Every open refuses
 * non-regular files without blocking on them.  Atomic writes live in
 * core/atomic_file.h. */
#ifndef TFCKPT_CORE_FILE_H
#define TFCKPT_CORE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "tfckpt/internal/error.h"

/* Opens `path` read-only (close-on-exec) and returns its descriptor and
 * size.  A FIFO, device, socket or directory is refused at once, with a
 * message saying what it is ("PATH: not a regular file (a FIFO)").  When open itself fails, errno is
 * left as it set it. */
TFCKPT_API int tfckpt__open_regular(const char *path, int *fd, int64_t *size, tfckpt__err *err);

/* Reads exactly n bytes at offset `off`.  A file that ends early gives
 * TFCKPT_ECORRUPT "PATH: truncated while reading (expected N bytes at
 * offset O, ...)"; `path` is only used in messages. */
TFCKPT_API int tfckpt__pread_full(int fd, void *buf, size_t n, int64_t off, const char *path,
                                  tfckpt__err *err);

/* tfckpt__seterr with the message "PATH: <fmt>"; a path too long for the
 * message is shortened in the middle so that the reason is never cut. */
TFCKPT_API int tfckpt__seterr_path(tfckpt__err *err, int code, const char *path, const char *fmt,
                                   ...) __attribute__((format(printf, 4, 5)));

/* A read-only view of a whole file.  `data` is a private mapping (or NULL for
 * an empty file); unmap with tfckpt__mapped_close.  Touching a mapping of a
 * file that another process truncated raises SIGBUS: map only files that
 * cannot change (or accept that). */
typedef struct tfckpt__mapped {
  const uint8_t *data;
  size_t size;
} tfckpt__mapped;

TFCKPT_API int tfckpt__map_file(const char *path, tfckpt__mapped *out, tfckpt__err *err);
TFCKPT_API void tfckpt__mapped_close(tfckpt__mapped *m);

/* 1 if `path` names an existing regular file / directory. */
TFCKPT_API int tfckpt__is_file(const char *path);
TFCKPT_API int tfckpt__is_dir(const char *path);

/* Reads a whole (small) file into a malloc'd, NUL-terminated buffer.  Files
 * larger than `max_size` are refused with TFCKPT_ERANGE. */
TFCKPT_API int tfckpt__read_file(const char *path, size_t max_size, char **out, size_t *len,
                     tfckpt__err *err);

/* Joins dir and name with one '/' into a malloc'd string (NULL on OOM). */
TFCKPT_API char *tfckpt__path_join(const char *dir, const char *name);

/* printf into a malloc'd string; NULL on OOM. */
TFCKPT_API char *tfckpt__strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
