#include "tfckpt/internal/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tfckpt/internal/file.h"

#if TFCKPT_TEST_HOOKS
#include <signal.h>

int tfckpt__fault_point(tfckpt__fault *f) {
  if (!f || f->countdown <= 0 || --f->countdown > 0) return 0;
  if (f->fail_errno) return f->fail_errno;
  raise(SIGKILL);
  return EINTR; /* not reached */
}

void tfckpt__fault_from_env(tfckpt__fault *f) {
  const char *kill = getenv("TFCKPT_WRITER_KILL_AT");
  f->countdown = kill && *kill ? strtoll(kill, NULL, 10) : 0;
  f->fail_errno = 0;
}
#endif

/* Runs one file-changing step: the fault hook may fail it with an injected
 * errno before the real call is made. */
#define STEP(f, call) ((errno = tfckpt__fault_point((f)->fault)) != 0 ? -1 : (call))

/* Up to 1 MiB per call: cheap in syscalls, and a crash test can stop the
 * writer in the middle of a large tensor. */
#define WRITE_CHUNK ((size_t)1 << 20)
#define BUF_SIZE ((size_t)1 << 20)

static int io_status(int e) {
  if (e == ENOENT || e == ENOTDIR) return TFCKPT_ENOTFOUND;
  if (e == ENOMEM) return TFCKPT_ENOMEM;
  if (e == EEXIST) return TFCKPT_EEXIST;
  return TFCKPT_EIO;
}

static uint64_t random_u64(void) {
  uint64_t v = 0;
  if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v) {
    /* no entropy yet: uniqueness is what matters, O_EXCL catches clashes */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    v = (uint64_t)ts.tv_nsec * 6364136223846793005ull ^ (uint64_t)getpid() << 32 ^
        (uint64_t)ts.tv_sec;
  }
  return v;
}

char *tfckpt__temp_name(const char *final_path) {
  return tfckpt__strdupf("%s.tempstate%llu", final_path, (unsigned long long)random_u64());
}

char *tfckpt__dirname(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return strdup(".");
  if (slash == path) return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

static int open_failed(tfckpt__atomic_file *f, const char *final_path, int e, tfckpt__err *err) {
  /* in place, the name may be someone else's existing file: never unlink it */
  if (!f->in_place) free(f->temp_path);
  f->temp_path = NULL;
  if (f->in_place && e == EEXIST)
    return tfckpt__seterr(err, TFCKPT_EEXIST, "%s: already exists", final_path);
  char *dir = tfckpt__dirname(final_path);
  int rc = tfckpt__seterr(err, io_status(e), "%s: cannot create a file in directory %s: %s",
                          final_path, dir ? dir : "?", strerror(e));
  free(dir);
  return rc;
}

int tfckpt__atomic_open_ex(tfckpt__atomic_file *f, const char *final_path, int flags,
                           tfckpt__fault *fault, tfckpt__err *err) {
  memset(f, 0, sizeof *f);
  f->fd = -1;
  f->fault = fault;
  f->in_place = (flags & TFCKPT__ATOMIC_IN_PLACE) != 0;
  f->final_path = strdup(final_path);
  if (!f->final_path) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  if (tfckpt__is_dir(final_path))
    return tfckpt__seterr(err, TFCKPT_EEXIST, "%s: is a directory", final_path);
  if (flags & TFCKPT__ATOMIC_BUFFERED) {
    if (!(f->buf = malloc(BUF_SIZE))) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
    f->bcap = BUF_SIZE;
  }
  if (f->in_place) {
    f->temp_path = f->final_path;
    f->fd = open(final_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    return f->fd >= 0 ? TFCKPT_OK : open_failed(f, final_path, errno, err);
  }
  for (int attempt = 0; attempt < 16; attempt++) {
    free(f->temp_path);
    if (!(f->temp_path = tfckpt__temp_name(final_path)))
      return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
    f->fd = open(f->temp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f->fd >= 0) return TFCKPT_OK;
    if (errno != EEXIST) break;
  }
  return open_failed(f, final_path, errno, err);
}

int tfckpt__atomic_open(tfckpt__atomic_file *f, const char *final_path, tfckpt__fault *fault,
                        tfckpt__err *err) {
  return tfckpt__atomic_open_ex(f, final_path, 0, fault, err);
}

static int write_failed(tfckpt__atomic_file *f, int e, tfckpt__err *err) {
  return tfckpt__seterr(err, io_status(e), "%s: write failed: %s", f->final_path, strerror(e));
}

/* pwrite when `off` >= 0, else write at the file position. */
static int write_fd(tfckpt__atomic_file *f, const uint8_t *p, size_t n, int64_t off,
                    tfckpt__err *err) {
  if (f->fd < 0)
    return tfckpt__seterr(err, TFCKPT_EINVAL, "%s: write after the file was closed",
                          f->final_path);
  while (n > 0) {
    size_t chunk = n > WRITE_CHUNK ? WRITE_CHUNK : n;
    ssize_t w = off >= 0 ? STEP(f, pwrite(f->fd, p, chunk, (off_t)off))
                         : STEP(f, write(f->fd, p, chunk));
    if (w < 0) {
      if (errno == EINTR) continue;
      return write_failed(f, errno, err);
    }
    if (w == 0) return write_failed(f, ENOSPC, err);
    p += w;
    n -= (size_t)w;
    if (off >= 0) off += w;
  }
  return TFCKPT_OK;
}

static int flush_buf(tfckpt__atomic_file *f, tfckpt__err *err) {
  if (!f->blen) return TFCKPT_OK;
  int rc = write_fd(f, f->buf, f->blen, -1, err);
  f->blen = 0;
  return rc;
}

int tfckpt__atomic_write(tfckpt__atomic_file *f, const void *data, size_t n, tfckpt__err *err) {
  int rc = TFCKPT_OK;
  if (f->bcap && n < f->bcap) {
    if (f->blen + n > f->bcap && (rc = flush_buf(f, err))) return rc;
    if (n) memcpy(f->buf + f->blen, data, n);
    f->blen += n;
  } else {
    /* large blocks go straight from the caller's memory (often a mapping) */
    if ((rc = flush_buf(f, err)) || (rc = write_fd(f, data, n, -1, err))) return rc;
  }
  f->size += n;
  return TFCKPT_OK;
}

int tfckpt__atomic_pwrite(tfckpt__atomic_file *f, const void *data, size_t n, uint64_t offset,
                          tfckpt__err *err) {
  if (offset > f->size || n > f->size - offset)
    return tfckpt__seterr(err, TFCKPT_EINVAL,
                          "%s: patch of %zu bytes at %llu is past the %llu bytes written",
                          f->final_path, n, (unsigned long long)offset,
                          (unsigned long long)f->size);
  int rc = flush_buf(f, err);
  return rc ? rc : write_fd(f, data, n, (int64_t)offset, err);
}

int tfckpt__atomic_sync(tfckpt__atomic_file *f, tfckpt__err *err) {
  if (f->fd < 0) return TFCKPT_OK;
  int rc = flush_buf(f, err);
  if (!rc && STEP(f, fsync(f->fd)) != 0) {
    int e = errno;
    rc = tfckpt__seterr(err, io_status(e), "%s: fsync failed: %s", f->final_path, strerror(e));
  }
  /* close reports delayed write errors (NFS): they count as failures */
  if (close(f->fd) != 0 && rc == TFCKPT_OK) {
    int e = errno;
    rc = tfckpt__seterr(err, TFCKPT_EIO, "%s: close failed: %s", f->final_path, strerror(e));
  }
  f->fd = -1;
  free(f->buf);
  f->buf = NULL;
  f->bcap = 0;
  return rc;
}

int tfckpt__atomic_commit(tfckpt__atomic_file *f, tfckpt__err *err) {
  int rc = tfckpt__atomic_sync(f, err);
  if (rc) return rc;
  if (!f->in_place && STEP(f, rename(f->temp_path, f->final_path)) != 0) {
    int e = errno;
    return tfckpt__seterr(err, io_status(e), "%s: cannot rename %s into place: %s",
                          f->final_path, f->temp_path, strerror(e));
  }
  f->committed = 1;
  return TFCKPT_OK;
}

void tfckpt__atomic_release(tfckpt__atomic_file *f) {
  if (f->fd >= 0) close(f->fd);
  f->fd = -1;
  if (f->temp_path && !f->committed) unlink(f->temp_path);
  if (f->temp_path != f->final_path) free(f->temp_path);
  free(f->final_path);
  free(f->buf);
  f->temp_path = f->final_path = NULL;
  f->buf = NULL;
  f->blen = f->bcap = 0;
}

static int fsync_dir(const char *path, tfckpt__fault *fault, tfckpt__err *err) {
  char *dir = tfckpt__dirname(path);
  if (!dir) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int rc = TFCKPT_OK;
  if (fd < 0) {
    int e = errno;
    rc = tfckpt__seterr(err, io_status(e), "%s: cannot open directory: %s", dir, strerror(e));
  } else {
    int r = (errno = tfckpt__fault_point(fault)) != 0 ? -1 : fsync(fd);
    /* EINVAL/EROFS: the filesystem cannot sync directories at all, so there
     * is nothing more to make durable */
    if (r != 0 && errno != EINVAL && errno != EROFS) {
      int e = errno;
      rc = tfckpt__seterr(err, TFCKPT_EIO, "%s: directory fsync failed: %s", dir, strerror(e));
    }
    close(fd);
  }
  free(dir);
  return rc;
}

int tfckpt__fsync_dir(const char *path, tfckpt__err *err) { return fsync_dir(path, NULL, err); }

#if TFCKPT_TEST_HOOKS
int tfckpt__fsync_dir_fault(const char *path, tfckpt__fault *fault, tfckpt__err *err) {
  return fsync_dir(path, fault, err);
}
#endif

int tfckpt__atomic_write_file(const char *path, const void *data, size_t n, tfckpt__fault *fault,
                              tfckpt__err *err) {
  tfckpt__atomic_file f;
  int rc = tfckpt__atomic_open(&f, path, fault, err);
  if (!rc) rc = tfckpt__atomic_write(&f, data, n, err);
  if (!rc) rc = tfckpt__atomic_commit(&f, err);
  tfckpt__atomic_release(&f);
  if (!rc) rc = fsync_dir(path, fault, err);
  return rc;
}
