/* File access for the reader thread.  Gzip is recognised by its magic
 * bytes rather than the name so that "data.csv" that is really gzip, or
 * "x.gz" that is plain, both work; zlib streams it in the I/O thread. */
#include "data/source.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct tfd_source {
  int fd;
  gzFile gz;
  char *path;
  int at_start; /* a UTF-8 byte-order mark may still be ahead */
};

int tfd_source_open(const char *path, tfd_source **out, tfckpt__err *err) {
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int code = (errno == ENOENT || errno == ENOTDIR) ? TFCKPT_ENOTFOUND : TFCKPT_EIO;
    return tfckpt__seterr(err, code, "%s: %s", path, strerror(errno));
  }
  unsigned char magic[2];
  ssize_t n = pread(fd, magic, 2, 0);
  tfd_source *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    close(fd);
    return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  }
  s->fd = fd;
  s->at_start = 1;
  if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    s->gz = gzdopen(fd, "rb");
    if (!s->gz) {
      close(fd);
      free(s->path);
      free(s);
      return tfckpt__seterr(err, TFCKPT_ENOMEM, "%s: cannot start gzip stream", path);
    }
    gzbuffer(s->gz, 1 << 18);
    s->fd = -1; /* owned by gz now */
  } else {
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  *out = s;
  return 0;
}

static ssize_t raw_read(tfd_source *s, void *buf, size_t n, tfckpt__err *err) {
  if (s->gz) {
    if (n > (1u << 30)) n = 1u << 30;
    int r = gzread(s->gz, buf, (unsigned)n);
    int zerr = Z_OK;
    const char *m = gzerror(s->gz, &zerr);
    /* a truncated stream ends with r == 0 and Z_BUF_ERROR, not r < 0 */
    if (r < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
      const char *colon = (m && m[0] == '<') ? strstr(m, ": ") : NULL;
      if (colon) m = colon + 2; /* zlib prefixes "<fd:N>: " */
      tfckpt__seterr(err, TFCKPT_EIO, "%s: gzip: %s", s->path,
                    zerr == Z_BUF_ERROR ? "truncated file" : (m ? m : "read error"));
      return -1;
    }
    return r;
  }
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(s->fd, (char *)buf + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      tfckpt__seterr(err, TFCKPT_EIO, "%s: %s", s->path, strerror(errno));
      return -1;
    }
    if (r == 0) break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

/* Spreadsheet exports often start with a UTF-8 byte-order mark; it is not
 * part of the first column's name or value, so it is dropped here, for
 * every reader of the file. */
ssize_t tfd_source_read(tfd_source *s, void *buf, size_t n, tfckpt__err *err) {
  ssize_t got = raw_read(s, buf, n, err);
  if (got < 0 || !s->at_start) return got;
  s->at_start = 0;
  if (got >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) {
    int full = (size_t)got == n;
    memmove(buf, (char *)buf + 3, (size_t)got - 3);
    got -= 3;
    if (full) { /* callers take a short read for the end of the file */
      ssize_t more = raw_read(s, (char *)buf + got, 3, err);
      if (more < 0) return -1;
      got += more;
    }
  }
  return got;
}

void tfd_source_close(tfd_source *s) {
  if (!s) return;
  if (s->gz) gzclose(s->gz);
  if (s->fd >= 0) close(s->fd);
  free(s->path);
  free(s);
}

void tfd_free_paths(char **files, size_t nfiles) {
  for (size_t i = 0; i < nfiles; i++) free(files[i]);
  free(files);
}

static int push(char ***files, size_t *n, size_t *cap, const char *p) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 8;
    char **nf = realloc(*files, nc * sizeof *nf);
    if (!nf) return -1;
    *files = nf;
    *cap = nc;
  }
  if (!((*files)[*n] = strdup(p))) return -1;
  (*n)++;
  return 0;
}

int tfd_expand_paths(const char *const *paths, size_t npaths, char ***files,
                     size_t *nfiles, tfckpt__err *err) {
  char **out = NULL;
  size_t n = 0, cap = 0;
  *files = NULL;
  *nfiles = 0;
  for (size_t i = 0; i < npaths; i++) {
    const char *p = paths[i];
    if (!p) continue;
    if (!strpbrk(p, "*?[")) {
      if (access(p, F_OK) != 0) {
        tfd_free_paths(out, n);
        return tfckpt__seterr(err, TFCKPT_ENOTFOUND, "%s: %s", p, strerror(errno));
      }
      if (push(&out, &n, &cap, p)) goto oom;
      continue;
    }
    glob_t g;
    int rc = glob(p, GLOB_ERR, NULL, &g);
    if (rc == GLOB_NOMATCH) {
      globfree(&g);
      tfd_free_paths(out, n);
      return tfckpt__seterr(err, TFCKPT_ENOTFOUND, "%s: no file matches", p);
    }
    if (rc != 0) {
      globfree(&g);
      tfd_free_paths(out, n);
      return tfckpt__seterr(err, TFCKPT_EIO, "%s: cannot expand pattern", p);
    }
    for (size_t j = 0; j < g.gl_pathc; j++)
      if (push(&out, &n, &cap, g.gl_pathv[j])) {
        globfree(&g);
        goto oom;
      }
    globfree(&g);
  }
  if (n == 0) return tfckpt__seterr(err, TFCKPT_EINVAL, "no input files");
  *files = out;
  *nfiles = n;
  return 0;
oom:
  tfd_free_paths(out, n);
  return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
}
