/* Writing a checkpoint vs copying the same bytes with cp, in one run.
 *
 *   bench_write [DIR] [MiB] [TFCKPT_BIN]     (defaults: $TMPDIR or /tmp, 1024)
 *
 * 1. write:   tfckpt_writer_* writes MiB of float32 tensors (64 tensors of
 *             MiB/64 each from one reused buffer, so RAM use stays small):
 *             CRC32C, write, fsync, rename, directory fsync.
 * 2. cp:      `cp` of the resulting data file (page cache warm, like step 1),
 *             once alone and once followed by `sync FILE` (fsync), which is
 *             what the writer's durability costs.
 * 3. rewrite: `tfckpt rewrite` of that checkpoint (read + CRC check + write),
 *             when the CLI binary is given.
 * Every figure is wall-clock time of the best of 3 runs; ratios are vs cp+sync. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tfckpt/tensor.h"
#include "tfckpt/writer.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double timed_system(const char *cmd) {
  double t0 = now();
  if (system(cmd) != 0) {
    fprintf(stderr, "command failed: %s\n", cmd);
    exit(1);
  }
  return now() - t0;
}

static double write_ckpt(const char *prefix, const tfckpt_tensor *t, int ntensors) {
  double t0 = now();
  tfckpt_writer *w;
  if (tfckpt_writer_open(prefix, NULL, &w) != TFCKPT_OK) {
    fprintf(stderr, "%s\n", tfckpt_writer_errmsg(w));
    exit(1);
  }
  for (int i = 0; i < ntensors; i++) {
    char name[64];
    snprintf(name, sizeof name, "layer_%02d/kernel", i);
    if (tfckpt_writer_add(w, name, t) != TFCKPT_OK) {
      fprintf(stderr, "%s\n", tfckpt_writer_errmsg(w));
      exit(1);
    }
  }
  if (tfckpt_writer_finish(w) != TFCKPT_OK) {
    fprintf(stderr, "%s\n", tfckpt_writer_errmsg(w));
    exit(1);
  }
  tfckpt_writer_close(w);
  return now() - t0;
}

static double min3(double a, double b, double c) {
  double m = a < b ? a : b;
  return m < c ? m : c;
}

int main(int argc, char **argv) {
  const char *tmp = getenv("TMPDIR");
  const char *dir = argc > 1 ? argv[1] : (tmp && *tmp ? tmp : "/tmp");
  long mib = argc > 2 ? atol(argv[2]) : 1024;
  const char *bin = argc > 3 ? argv[3] : NULL;
  const int ntensors = 64;
  int64_t n = (int64_t)mib * 1048576 / 4 / ntensors;
  tfckpt_tensor *t;
  if (mib < 64 || tfckpt_tensor_new(TFCKPT_FLOAT, 1, &n, &t) != TFCKPT_OK) {
    fprintf(stderr, "usage: bench_write [DIR] [MiB >= 64] [TFCKPT_BIN]\n");
    return 2;
  }
  float *v = tfckpt_tensor_mutable_data(t);
  for (int64_t i = 0; i < n; i++) v[i] = (float)i * 1e-3f;
  char prefix[4096], data[4200], copy[4200], cmd[16384];
  snprintf(prefix, sizeof prefix, "%s/bench_write_%d", dir, (int)getpid());
  snprintf(data, sizeof data, "%s.data-00000-of-00001", prefix);
  snprintf(copy, sizeof copy, "%s.copy", prefix);
  double bytes = (double)n * 4 * ntensors;

  double w[3], cp[3], cps[3], rw[3] = {0, 0, 0};
  for (int r = 0; r < 3; r++) {
    /* start from an empty slot, as cp does: freeing the previous round's
     * file must not be charged to the writer */
    snprintf(cmd, sizeof cmd, "rm -f '%s'.*", prefix);
    timed_system(cmd);
    w[r] = write_ckpt(prefix, t, ntensors);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", data, copy);
    cp[r] = timed_system(cmd);
    unlink(copy);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && sync '%s'", data, copy, copy);
    cps[r] = timed_system(cmd);
    unlink(copy);
    if (bin) {
      snprintf(cmd, sizeof cmd, "'%s' rewrite --quiet --force '%s' '%s.rw'", bin, prefix, prefix);
      rw[r] = timed_system(cmd);
      snprintf(cmd, sizeof cmd, "rm -f '%s.rw'.*", prefix);
      timed_system(cmd);
    }
  }
  snprintf(cmd, sizeof cmd, "rm -f '%s'.*", prefix);
  timed_system(cmd);
  tfckpt_tensor_free(t);

  double bw = min3(w[0], w[1], w[2]), bcp = min3(cp[0], cp[1], cp[2]),
         bcps = min3(cps[0], cps[1], cps[2]);
  printf("checkpoint: %.0f MiB in %d float32 tensors, directory %s\n", bytes / 1048576, ntensors,
         dir);
  printf("%-34s %8.3f s  %7.2f GB/s\n", "tfckpt writer (crc+write+fsync)", bw, bytes / bw / 1e9);
  printf("%-34s %8.3f s  %7.2f GB/s\n", "cp (no fsync)", bcp, bytes / bcp / 1e9);
  printf("%-34s %8.3f s  %7.2f GB/s\n", "cp + sync FILE (fsync)", bcps, bytes / bcps / 1e9);
  if (bin) {
    double brw = min3(rw[0], rw[1], rw[2]);
    printf("%-34s %8.3f s  %7.2f GB/s\n", "tfckpt rewrite (read+verify+write)", brw,
           bytes / brw / 1e9);
    printf("ratio rewrite / (cp + sync): %.2f\n", brw / bcps);
  }
  printf("ratio writer / (cp + sync): %.2f   writer / cp: %.2f\n", bw / bcps, bw / bcp);
  return 0;
}
