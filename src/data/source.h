/* A readable input file: plain or gzip (detected by magic bytes). */
#ifndef TFCKPT_DATA_SOURCE_H
#define TFCKPT_DATA_SOURCE_H

#include <stddef.h>
#include <sys/types.h>

#include "tfckpt/internal/error.h"

typedef struct tfd_source tfd_source;

/* Opens `path`; TFCKPT_ENOTFOUND / TFCKPT_EIO with a message in err. */
int tfd_source_open(const char *path, tfd_source **out, tfckpt__err *err);
/* Reads up to n bytes; returns bytes read (0 at EOF) or -1 with err set. */
ssize_t tfd_source_read(tfd_source *s, void *buf, size_t n, tfckpt__err *err);
void tfd_source_close(tfd_source *s);

/* Expands glob patterns (paths without *?[ are kept as given and must
 * exist).  *files is a malloc'ed array of malloc'ed strings. */
int tfd_expand_paths(const char *const *paths, size_t npaths, char ***files,
                     size_t *nfiles, tfckpt__err *err);
void tfd_free_paths(char **files, size_t nfiles);

#endif
