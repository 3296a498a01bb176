/* Event files are append-only streams that TensorBoard reads while they
 * grow, so they are written in place (TF does the same), one record per
 * scalar, flushed at the end of every epoch and on close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "tfckpt/internal/file.h"
#include "format/tfrecord.h"
#include "nn/events.h"

struct nn_events {
  FILE *f;
  char *path;
};

static double now_seconds(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (double)tv.tv_sec + tv.tv_usec * 1e-6;
}

int nn_mkdirs(const char *path, tfckpt__err *err) {
  char *p = strdup(path);
  if (!p) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  for (char *s = p + 1;; s++) {
    if (*s == '/' || *s == 0) {
      char c = *s;
      *s = 0;
      if (mkdir(p, 0777) && errno != EEXIST) {
        int e = errno;
        free(p);
        return tfckpt__seterr(err, TFCKPT_EIO, "%s: cannot create directory: %s", path, strerror(e));
      }
      *s = c;
      if (!c) break;
    }
  }
  free(p);
  struct stat st;
  if (stat(path, &st) || !S_ISDIR(st.st_mode))
    return tfckpt__seterr(err, TFCKPT_EIO, "%s: not a directory", path);
  return TFCKPT_OK;
}

static int write_record(nn_events *ev, const tfckpt__buf *rec, tfckpt__err *err) {
  tfckpt__buf framed = {0};
  tfckpt__tfrecord_append(&framed, rec->data, rec->len);
  int rc = TFCKPT_OK;
  if (framed.oom || rec->oom) rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  else if (fwrite(framed.data, 1, framed.len, ev->f) != framed.len)
    rc = tfckpt__seterr(err, TFCKPT_EIO, "%s: write failed: %s", ev->path, strerror(errno));
  tfckpt__buf_free(&framed);
  return rc;
}

int nn_events_open(const char *logdir, nn_events **out, tfckpt__err *err) {
  *out = NULL;
  int rc = nn_mkdirs(logdir, err);
  if (rc) return rc;
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = 0;
  double t = now_seconds();
  nn_events *ev = calloc(1, sizeof *ev);
  if (!ev) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  /* pid suffix: two runs in the same second must not share a file */
  ev->path = tfckpt__strdupf("%s/events.out.tfevents.%010lld.%s.%ld", logdir, (long long)t, host,
                            (long)getpid());
  if (!ev->path) {
    free(ev);
    return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  }
  ev->f = fopen(ev->path, "wb");
  if (!ev->f) {
    rc = tfckpt__seterr(err, TFCKPT_EIO, "%s: cannot create: %s", ev->path, strerror(errno));
    free(ev->path);
    free(ev);
    return rc;
  }
  tfckpt__buf b = {0};
  tfckpt__event_file_version(&b, t);
  rc = write_record(ev, &b, err);
  tfckpt__buf_free(&b);
  if (!rc) rc = nn_events_flush(ev, err);
  if (rc) {
    nn_events_close(ev);
    return rc;
  }
  *out = ev;
  return TFCKPT_OK;
}

int nn_events_scalar(nn_events *ev, int64_t step, const char *tag, double value, tfckpt__err *err) {
  tfckpt__buf b = {0};
  tfckpt__event_scalar(&b, now_seconds(), step, tag, (float)value);
  int rc = write_record(ev, &b, err);
  tfckpt__buf_free(&b);
  return rc;
}

int nn_events_flush(nn_events *ev, tfckpt__err *err) {
  if (fflush(ev->f))
    return tfckpt__seterr(err, TFCKPT_EIO, "%s: write failed: %s", ev->path, strerror(errno));
  return TFCKPT_OK;
}

const char *nn_events_path(const nn_events *ev) { return ev->path; }

void nn_events_close(nn_events *ev) {
  if (!ev) return;
  if (ev->f) fclose(ev->f);
  free(ev->path);
  free(ev);
}
