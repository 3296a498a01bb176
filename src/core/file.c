#include "tfckpt/internal/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tfckpt/internal/buf.h"

static int errno_status(int e) {
  if (e == ENOENT || e == ENOTDIR) return TFCKPT_ENOTFOUND;
  if (e == ENOMEM) return TFCKPT_ENOMEM;
  return TFCKPT_EIO;
}

int tfckpt__map_file(const char *path, tfckpt__mapped *out, tfckpt__err *err) {
  out->data = NULL;
  out->size = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return tfckpt__seterr(err, errno_status(e), "%s: %s", path, strerror(e));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return tfckpt__seterr(err, TFCKPT_EIO, "%s: %s", path, strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return tfckpt__seterr(err, TFCKPT_EINVAL, "%s: not a regular file", path);
  }
  if (st.st_size > 0) {
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      close(fd);
      return tfckpt__seterr(err, errno_status(e), "%s: mmap: %s", path, strerror(e));
    }
    out->data = p;
    out->size = (size_t)st.st_size;
  }
  close(fd);
  return TFCKPT_OK;
}

void tfckpt__mapped_close(tfckpt__mapped *m) {
  if (m->data) munmap((void *)(uintptr_t)m->data, m->size);
  m->data = NULL;
  m->size = 0;
}

int tfckpt__is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int tfckpt__is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int tfckpt__read_file(const char *path, size_t max_size, char **out, size_t *len,
                     tfckpt__err *err) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    int e = errno;
    return tfckpt__seterr(err, errno_status(e), "%s: %s", path, strerror(e));
  }
  tfckpt__buf b = {0};
  /* one byte past the limit is enough to tell a file that is too large */
  size_t limit = max_size == SIZE_MAX ? SIZE_MAX : max_size + 1;
  int rc = TFCKPT_OK;
  for (;;) {
    if (b.len > max_size) {
      rc = tfckpt__seterr(err, TFCKPT_ERANGE, "%s: file larger than %zu bytes", path, max_size);
      break;
    }
    if (b.len == b.cap) tfckpt__buf_reserve(&b, b.cap ? b.cap : 4096);
    if (b.oom) {
      rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "%s: out of memory", path);
      break;
    }
    size_t want = b.cap - b.len;
    if (want > limit - b.len) want = limit - b.len;
    size_t got = fread(b.data + b.len, 1, want, f);
    b.len += got;
    if (got == 0) break;
  }
  if (!rc && ferror(f)) rc = tfckpt__seterr(err, TFCKPT_EIO, "%s: read error", path);
  fclose(f);
  size_t n = b.len;
  if (!rc && !(*out = tfckpt__buf_detach(&b)))
    rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "%s: out of memory", path);
  tfckpt__buf_free(&b);
  if (!rc && len) *len = n;
  return rc;
}

char *tfckpt__strdupf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0) s = NULL;
  va_end(ap);
  return s;
}

char *tfckpt__path_join(const char *dir, const char *name) {
  size_t n = strlen(dir);
  if (n == 0) return strdup(name);
  if (dir[n - 1] == '/') return tfckpt__strdupf("%s%s", dir, name);
  return tfckpt__strdupf("%s/%s", dir, name);
}
