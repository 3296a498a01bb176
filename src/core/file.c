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

/* "PATH: reason" in err->msg.  A path too long for the message is cut in
 * the middle (its end names the file, its start the tree), so the reason
 * always survives. */
int tfckpt__seterr_path(tfckpt__err *err, int code, const char *path, const char *fmt, ...) {
  char reason[TFCKPT_ERRMSG_MAX / 2];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  size_t room = TFCKPT_ERRMSG_MAX - strlen(reason) - 3; /* ": " and NUL */
  size_t plen = strlen(path);
  if (plen <= room) return tfckpt__seterr(err, code, "%s: %s", path, reason);
  size_t head = (room - 3) / 3, tail = room - 3 - head;
  return tfckpt__seterr(err, code, "%.*s...%s: %s", (int)head, path, path + plen - tail, reason);
}

static const char *kind_of(mode_t m) {
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "an unknown kind of file";
}

int tfckpt__open_regular(const char *path, int *fd_out, int64_t *size, tfckpt__err *err) {
  *fd_out = -1;
  /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
   * writer forever, before fstat could tell what it is. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    tfckpt__seterr_path(err, errno_status(e), path, "%s", strerror(e));
    errno = e; /* callers tell "no descriptor left" (EMFILE) from a real failure */
    return errno_status(e);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return tfckpt__seterr_path(err, TFCKPT_EIO, path, "%s", strerror(e));
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return tfckpt__seterr_path(err, TFCKPT_EINVAL, path, "is a directory, not a file");
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return tfckpt__seterr_path(err, TFCKPT_EINVAL, path, "not a regular file (%s)",
                               kind_of(st.st_mode));
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  *fd_out = fd;
  if (size) *size = (int64_t)st.st_size;
  return TFCKPT_OK;
}

int tfckpt__pread_full(int fd, void *buf, size_t n, int64_t off, const char *path,
                       tfckpt__err *err) {
  uint8_t *p = buf;
  size_t done = 0;
  while (done < n) {
    /* Linux moves at most ~2 GiB per call */
    size_t want = n - done > ((size_t)1 << 30) ? (size_t)1 << 30 : n - done;
    ssize_t got = pread(fd, p + done, want, (off_t)(off + (int64_t)done));
    if (got < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      return tfckpt__seterr_path(err, TFCKPT_EIO, path, "read error at offset %lld: %s",
                                 (long long)(off + (int64_t)done), strerror(e));
    }
    if (got == 0)
      return tfckpt__seterr_path(err, TFCKPT_ECORRUPT, path,
                                 "truncated while reading (expected %zu bytes at offset %lld, "
                                 "the file ends after %zu; it changed while being read)",
                                 n, (long long)off, done);
    done += (size_t)got;
  }
  return TFCKPT_OK;
}

int tfckpt__map_file(const char *path, tfckpt__mapped *out, tfckpt__err *err) {
  out->data = NULL;
  out->size = 0;
  int fd;
  int64_t size;
  int rc = tfckpt__open_regular(path, &fd, &size, err);
  if (rc) return rc;
  if (size > 0) {
    void *p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      close(fd);
      return tfckpt__seterr_path(err, errno_status(e), path, "mmap: %s", strerror(e));
    }
    out->data = p;
    out->size = (size_t)size;
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
  int fd;
  int64_t size;
  int rc = tfckpt__open_regular(path, &fd, &size, err);
  if (rc) return rc;
  if ((uint64_t)size > max_size) {
    close(fd);
    return tfckpt__seterr_path(err, TFCKPT_ERANGE, path, "file larger than %zu bytes", max_size);
  }
  /* one byte more than fstat said: reaching it means the file grew */
  size_t cap = (size_t)size + 1, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf) {
    close(fd);
    return tfckpt__seterr_path(err, TFCKPT_ENOMEM, path, "out of memory");
  }
  for (;;) {
    if (n == cap) {
      if (cap >= max_size) {
        free(buf);
        close(fd);
        return tfckpt__seterr_path(err, TFCKPT_ERANGE, path, "file larger than %zu bytes",
                                   max_size);
      }
      size_t ncap = cap > max_size / 2 ? max_size : cap * 2;
      char *nb = realloc(buf, ncap + 1);
      if (!nb) {
        free(buf);
        close(fd);
        return tfckpt__seterr_path(err, TFCKPT_ENOMEM, path, "out of memory");
      }
      buf = nb;
      cap = ncap;
    }
    ssize_t got = read(fd, buf + n, cap - n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int e = errno;
      free(buf);
      close(fd);
      return tfckpt__seterr_path(err, TFCKPT_EIO, path, "read error: %s", strerror(e));
    }
    if (got == 0) break;
    n += (size_t)got;
  }
  close(fd);
  buf[n] = '\0';
  *out = buf;
  if (len) *len = n;
  return TFCKPT_OK;
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
