/* INTERNAL, UNSTABLE: for tfckpt's own CLI and Python module only; may
 * change in any release.
 *
 * Read-only file access: whole-file reads for small files, memory maps for
 * data shards.  Atomic writes live in core/atomic_file.h. */
#ifndef TFCKPT_CORE_FILE_H
#define TFCKPT_CORE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "tfckpt/internal/error.h"

/* A read-only view of a whole file.  `data` is a private mapping (or NULL for
 * an empty file); unmap with tfckpt__mapped_close. */
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
