#include "tfckpt/internal/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tfckpt/internal/file.h"

void tfckpt__fault_point(tfckpt__fault *f) {
  if (f && f->countdown > 0 && --f->countdown == 0) raise(SIGKILL);
}

static int io_status(int e) {
  if (e == ENOENT || e == ENOTDIR) return TFCKPT_ENOTFOUND;
  if (e == ENOMEM) return TFCKPT_ENOMEM;
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

char *tfckpt__dirname(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return strdup(".");
  if (slash == path) return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

int tfckpt__atomic_open(tfckpt__atomic_file *f, const char *final_path, tfckpt__fault *fault,
                       tfckpt__err *err) {
  memset(f, 0, sizeof *f);
  f->fd = -1;
  f->fault = fault;
  f->final_path = strdup(final_path);
  if (!f->final_path) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  for (int attempt = 0; attempt < 16; attempt++) {
    free(f->temp_path);
    f->temp_path = tfckpt__strdupf("%s.tempstate%llu", final_path,
                                  (unsigned long long)random_u64());
    if (!f->temp_path) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
    f->fd = open(f->temp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f->fd >= 0) return TFCKPT_OK;
    if (errno != EEXIST) break;
  }
  int e = errno;
  free(f->temp_path);
  f->temp_path = NULL;
  char *dir = tfckpt__dirname(final_path);
  int rc = tfckpt__seterr(err, io_status(e), "%s: cannot create a file in directory %s: %s",
                         final_path, dir ? dir : "?", strerror(e));
  free(dir);
  return rc;
}

int tfckpt__atomic_write(tfckpt__atomic_file *f, const void *data, size_t n, tfckpt__err *err) {
  const uint8_t *p = data;
  while (n > 0) {
    tfckpt__fault_point(f->fault);
    /* 1 MiB chunks: cheap in syscalls, and a crash test can stop the
     * writer in the middle of a large tensor */
    size_t chunk = n > ((size_t)1 << 20) ? ((size_t)1 << 20) : n;
    ssize_t w = write(f->fd, p, chunk);
    if (w < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      return tfckpt__seterr(err, io_status(e), "%s: write failed: %s", f->final_path,
                           strerror(e));
    }
    p += w;
    n -= (size_t)w;
  }
  return TFCKPT_OK;
}

int tfckpt__atomic_sync(tfckpt__atomic_file *f, tfckpt__err *err) {
  if (f->fd < 0) return TFCKPT_OK;
  tfckpt__fault_point(f->fault);
  int rc = TFCKPT_OK;
  if (fsync(f->fd) != 0) {
    int e = errno;
    rc = tfckpt__seterr(err, TFCKPT_EIO, "%s: fsync failed: %s", f->final_path, strerror(e));
  }
  if (close(f->fd) != 0 && rc == TFCKPT_OK) {
    int e = errno;
    rc = tfckpt__seterr(err, TFCKPT_EIO, "%s: close failed: %s", f->final_path, strerror(e));
  }
  f->fd = -1;
  return rc;
}

int tfckpt__atomic_commit(tfckpt__atomic_file *f, tfckpt__err *err) {
  int rc = tfckpt__atomic_sync(f, err);
  if (rc) return rc;
  tfckpt__fault_point(f->fault);
  if (rename(f->temp_path, f->final_path) != 0) {
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
  free(f->temp_path);
  free(f->final_path);
  f->temp_path = f->final_path = NULL;
}

int tfckpt__fsync_dir(const char *path, tfckpt__err *err) {
  char *dir = tfckpt__dirname(path);
  if (!dir) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int rc = TFCKPT_OK;
  if (fd < 0) {
    int e = errno;
    rc = tfckpt__seterr(err, io_status(e), "%s: cannot open directory: %s", dir, strerror(e));
  } else {
    /* some filesystems refuse fsync on directories (EINVAL): nothing to do */
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
      int e = errno;
      rc = tfckpt__seterr(err, TFCKPT_EIO, "%s: directory fsync failed: %s", dir, strerror(e));
    }
    close(fd);
  }
  free(dir);
  return rc;
}

int tfckpt__atomic_write_file(const char *path, const void *data, size_t n, tfckpt__fault *fault,
                             tfckpt__err *err) {
  tfckpt__atomic_file f;
  int rc = tfckpt__atomic_open(&f, path, fault, err);
  if (!rc) rc = tfckpt__atomic_write(&f, data, n, err);
  if (!rc) rc = tfckpt__atomic_commit(&f, err);
  tfckpt__atomic_release(&f);
  if (!rc) rc = tfckpt__fsync_dir(path, err);
  return rc;
}
