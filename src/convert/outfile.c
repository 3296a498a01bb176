/* Atomic output: write a hidden temporary sibling, fsync, rename. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convert/internal.h"
#include "tfckpt/internal/file.h"

#define CV_BUF (1u << 20)

static int alloc_buf(cv_out *o, tfckpt__err *err) {
  o->buf = malloc(CV_BUF);
  if (!o->buf) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  o->bcap = CV_BUF;
  return TFCKPT_OK;
}

int cv_out_open_atomic(cv_out *o, const char *path, tfckpt__err *err) {
  memset(o, 0, sizeof *o);
  o->fd = -1;
  char *d = strdup(path), *b = strdup(path);
  if (!d || !b) {
    free(d);
    free(b);
    return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  }
  o->tmp = tfckpt__strdupf("%s/.%s.tmp-XXXXXX", dirname(d), basename(b));
  free(d);
  free(b);
  o->path = strdup(path);
  if (!o->tmp || !o->path) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  if (tfckpt__is_dir(path))
    return tfckpt__seterr(err, TFCKPT_EEXIST, "%s: is a directory", path);
  o->fd = mkostemp(o->tmp, O_CLOEXEC);
  if (o->fd < 0) {
    int e = errno;
    free(o->tmp);
    o->tmp = NULL;
    return tfckpt__seterr(err, e == ENOENT ? TFCKPT_ENOTFOUND : TFCKPT_EIO,
                         "%s: cannot create output: %s", path, strerror(e));
  }
  (void)fchmod(o->fd, 0644); /* mkstemp's 0600 would surprise users */
  return alloc_buf(o, err);
}

int cv_out_open_plain(cv_out *o, const char *path, tfckpt__err *err) {
  memset(o, 0, sizeof *o);
  o->tmp = strdup(path);
  if (!o->tmp) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  o->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (o->fd < 0) {
    int e = errno;
    free(o->tmp);
    o->tmp = NULL;
    return tfckpt__seterr(err, e == EEXIST ? TFCKPT_EEXIST : TFCKPT_EIO, "%s: %s", path,
                         strerror(e));
  }
  return alloc_buf(o, err);
}

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t k = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static int flush(cv_out *o, tfckpt__err *err) {
  if (o->blen && write_all(o->fd, o->buf, o->blen) != 0)
    return tfckpt__seterr(err, TFCKPT_EIO, "%s: write failed: %s", o->path ? o->path : o->tmp,
                         strerror(errno));
  o->blen = 0;
  return TFCKPT_OK;
}

int cv_out_write(cv_out *o, const void *p, size_t n, tfckpt__err *err) {
  if (n >= o->bcap) { /* large tensors go straight from the mapping */
    int rc = flush(o, err);
    if (rc) return rc;
    if (write_all(o->fd, p, n) != 0)
      return tfckpt__seterr(err, TFCKPT_EIO, "%s: write failed: %s",
                           o->path ? o->path : o->tmp, strerror(errno));
  } else {
    if (o->blen + n > o->bcap) {
      int rc = flush(o, err);
      if (rc) return rc;
    }
    memcpy(o->buf + o->blen, p, n);
    o->blen += n;
  }
  o->pos += n;
  return TFCKPT_OK;
}

int cv_out_pwrite(cv_out *o, const void *p, size_t n, uint64_t off, tfckpt__err *err) {
  int rc = flush(o, err);
  if (rc) return rc;
  const uint8_t *q = p;
  while (n) {
    ssize_t k = pwrite(o->fd, q, n, (off_t)off);
    if (k < 0) {
      if (errno == EINTR) continue;
      return tfckpt__seterr(err, TFCKPT_EIO, "%s: write failed: %s",
                           o->path ? o->path : o->tmp, strerror(errno));
    }
    q += k;
    n -= (size_t)k;
    off += (uint64_t)k;
  }
  return TFCKPT_OK;
}

void cv_sync_parent(const char *path) {
  char *d = strdup(path);
  if (!d) return;
  int fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
  free(d);
}

int cv_out_commit(cv_out *o, tfckpt__err *err) {
  const char *name = o->path ? o->path : o->tmp;
  int rc = flush(o, err);
  if (rc) return rc;
  if (fsync(o->fd) != 0)
    return tfckpt__seterr(err, TFCKPT_EIO, "%s: fsync failed: %s", name, strerror(errno));
  int fd = o->fd;
  o->fd = -1;
  if (close(fd) != 0)
    return tfckpt__seterr(err, TFCKPT_EIO, "%s: close failed: %s", name, strerror(errno));
  if (o->path) {
    if (rename(o->tmp, o->path) != 0)
      return tfckpt__seterr(err, TFCKPT_EIO, "%s: rename failed: %s", o->path, strerror(errno));
    cv_sync_parent(o->path);
  }
  free(o->tmp);
  o->tmp = NULL;
  free(o->path);
  o->path = NULL;
  free(o->buf);
  o->buf = NULL;
  return TFCKPT_OK;
}

void cv_out_abort(cv_out *o) {
  if (o->fd >= 0 && (o->tmp || o->path)) close(o->fd);
  o->fd = -1;
  if (o->tmp) unlink(o->tmp);
  free(o->tmp);
  free(o->path);
  free(o->buf);
  o->tmp = o->path = NULL;
  o->buf = NULL;
}
