#include "cli/cli_util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "tfckpt %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

tfckpt_reader *cli_open(const char *cmd, const char *path) {
  tfckpt_reader *r;
  if (tfckpt_reader_open(path, &r) != TFCKPT_OK) {
    cli_error(cmd, "%s", tfckpt_reader_errmsg(r));
    tfckpt_reader_close(r);
    return NULL;
  }
  return r;
}

char *cli_shape_str(char *buf, size_t cap, int rank, const int64_t *dims) {
  size_t n = 0;
  buf[0] = '\0';
  n += (size_t)snprintf(buf + n, cap - n, "[");
  for (int i = 0; i < rank && n < cap; i++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? ", " : "", (long long)dims[i]);
  if (n < cap) snprintf(buf + n, cap - n, "]");
  return buf;
}

char *cli_graph_shape_str(char *buf, size_t cap, int rank, const int64_t *dims) {
  if (rank < 0) {
    snprintf(buf, cap, "<unknown rank>");
    return buf;
  }
  size_t k = (size_t)snprintf(buf, cap, "[");
  for (int d = 0; d < rank && k + 1 < cap; d++) {
    int n = dims[d] < 0 ? snprintf(buf + k, cap - k, "%s?", d ? ", " : "")
                        : snprintf(buf + k, cap - k, "%s%lld", d ? ", " : "", (long long)dims[d]);
    if (n < 0) break;
    k += (size_t)n;
  }
  if (k + 1 < cap) snprintf(buf + k, cap - k, "]");
  return buf;
}

char *cli_commas(char *buf, size_t cap, long long v) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%lld", v);
  size_t k = 0;
  for (int i = 0; i < n && k + 1 < cap; i++) {
    if (i && (n - i) % 3 == 0 && tmp[i - 1] != '-') buf[k++] = ',';
    buf[k++] = tmp[i];
  }
  buf[k] = '\0';
  return buf;
}

char *cli_bytes_str(char *buf, size_t cap, double bytes) {
  static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) bytes /= 1024, u++;
  if (u == 0) snprintf(buf, cap, "%.0f B", bytes);
  else snprintf(buf, cap, "%.1f %s", bytes, units[u]);
  return buf;
}

void cli_progress_start(cli_progress *p, const char *label, double total) {
  p->active = isatty(STDERR_FILENO) && total > 0;
  p->total = total;
  p->last_shown = -1;
  p->label = label;
}

void cli_progress_update(cli_progress *p, double done) {
  if (!p->active) return;
  double frac = done / p->total;
  if (frac > 1) frac = 1;
  if (frac - p->last_shown < 0.01 && frac < 1) return;
  p->last_shown = frac;
  int width = 30, filled = (int)(frac * width);
  fprintf(stderr, "\r%s [", p->label);
  for (int i = 0; i < width; i++) fputc(i < filled ? '#' : '.', stderr);
  fprintf(stderr, "] %3.0f%%", frac * 100);
  fflush(stderr);
}

void cli_progress_end(cli_progress *p) {
  if (!p->active) return;
  fprintf(stderr, "\r%*s\r", 50 + (int)strlen(p->label), "");
  fflush(stderr);
  p->active = 0;
}
