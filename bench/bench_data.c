/* Data pipeline benchmark.
 *
 *   bench_data gen FILE MB [COLS]   write a numeric CSV of about MB megabytes
 *   bench_data run FILE THREADS     stream it once; print one JSON line with
 *                                   seconds, MB/s, rows and peak RSS
 *
 * bench/data_bench.sh runs both against pandas and numpy (data_baseline.py). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "tfckpt/data.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_u64(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static int gen(const char *path, double mb, int cols) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    return 1;
  }
  uint64_t target = (uint64_t)(mb * 1e6), written = 0;
  char line[4096];
  int n = 0;
  for (int c = 0; c < cols; c++) n += snprintf(line + n, sizeof line - (size_t)n, "%sf%d", c ? "," : "", c);
  n += snprintf(line + n, sizeof line - (size_t)n, ",label\n");
  fwrite(line, 1, (size_t)n, f);
  written += (uint64_t)n;
  while (written < target) {
    n = 0;
    for (int c = 0; c < cols; c++) {
      uint64_t r = next_u64();
      /* typical ML data: 4-7 significant digits, some integers, signs */
      double v = (double)(int64_t)(r % 2000000 - 1000000) / (double)(1 + (r >> 40) % 1000);
      if (c % 4 == 3) n += snprintf(line + n, sizeof line - (size_t)n, ",%d", (int)(r % 100));
      else n += snprintf(line + n, sizeof line - (size_t)n, "%s%.6g", c ? "," : "", v);
    }
    n += snprintf(line + n, sizeof line - (size_t)n, ",%d\n", (int)(next_u64() % 10));
    fwrite(line, 1, (size_t)n, f);
    written += (uint64_t)n;
  }
  if (fclose(f)) {
    perror(path);
    return 1;
  }
  return 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run(const char *path, size_t threads) {
  struct stat st;
  if (stat(path, &st)) {
    perror(path);
    return 1;
  }
  tfckpt_dataset_options o;
  tfckpt_dataset_options_init(&o);
  o.paths = &path;
  o.npaths = 1;
  o.num_threads = threads;
  o.batch_size = 1024;
  o.label_columns = "label";
  double t0 = now();
  tfckpt_dataset *ds;
  int rc = tfckpt_dataset_open(&o, &ds);
  uint64_t rows = 0;
  double check = 0;
  const tfckpt_batch *b;
  while (!rc && (rc = tfckpt_dataset_next(ds, &b)) == 0 && b) {
    rows += b->rows;
    check += b->features[0]; /* touch the data like a consumer would */
  }
  double dt = now() - t0;
  if (rc) {
    fprintf(stderr, "bench_data: %s\n", tfckpt_dataset_errmsg(ds));
    tfckpt_dataset_close(ds);
    return 1;
  }
  tfckpt_dataset_close(ds);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double mb = (double)st.st_size / 1e6;
  printf("{\"tool\": \"tfckpt\", \"threads\": %zu, \"mb\": %.1f, \"rows\": %llu, \"seconds\": %.3f, "
         "\"mb_per_s\": %.1f, \"peak_rss_mb\": %.1f, \"check\": %g}\n",
         threads, mb, (unsigned long long)rows, dt, mb / dt, (double)ru.ru_maxrss / 1024.0, check);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && !strcmp(argv[1], "gen"))
    return gen(argv[2], atof(argv[3]), argc > 4 ? atoi(argv[4]) : 16);
  if (argc >= 4 && !strcmp(argv[1], "run")) return run(argv[2], (size_t)atoi(argv[3]));
  fprintf(stderr, "usage: bench_data gen FILE MB [COLS] | bench_data run FILE THREADS\n");
  return 2;
}
