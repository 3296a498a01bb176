/* Read-only file access: whole-file reads for small files, memory maps for
 * data shards.  Atomic writes live in core/atomic_file.h. */
#ifndef TFCKPT_CORE_FILE_H
#define TFCKPT_CORE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* A read-only view of a whole file.  `data` is a private mapping (or NULL for
 * an empty file); unmap with tfckpt_mapped_close. */
typedef struct tfckpt_mapped {
  const uint8_t *data;
  size_t size;
} tfckpt_mapped;

int tfckpt_map_file(const char *path, tfckpt_mapped *out, tfckpt_err *err);
void tfckpt_mapped_close(tfckpt_mapped *m);

/* 1 if `path` names an existing regular file / directory. */
int tfckpt_is_file(const char *path);
int tfckpt_is_dir(const char *path);

/* Reads a whole (small) file into a malloc'd, NUL-terminated buffer.  Files
 * larger than `max_size` are refused with TFCKPT_ERANGE. */
int tfckpt_read_file(const char *path, size_t max_size, char **out, size_t *len,
                     tfckpt_err *err);

/* Joins dir and name with one '/' into a malloc'd string (NULL on OOM). */
char *tfckpt_path_join(const char *dir, const char *name);

/* printf into a malloc'd string; NULL on OOM. */
char *tfckpt_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
