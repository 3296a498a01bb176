/* Streams a multi-gigabyte CSV generated on the fly and checks that peak
 * resident memory stays far below the file size (bounded by the chunk pool
 * and the shuffle buffer).  TFCKPT_QUICK=1 (and a TSan build) shrinks the
 * file to 200 MB.
 *
 * The file is unlinked right after it is created and read through
 * /proc/self/fd/N, so it disappears however this process ends. */
#include <fcntl.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static long vm_hwm_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmHWM:", 6)) kb = strtol(line + 6, NULL, 10);
  if (f) fclose(f);
  return kb;
}

int main(void) {
  int is_quick = tu_quick();
  double target = is_quick ? 200e6 : 2.5e9;
  char path[4096];
  snprintf(path, sizeof path, "%s/big-XXXXXX.csv", tu_tmpdir());
  int fd = mkstemps(path, 4);
  if (fd < 0) {
    perror("mkstemps");
    return 1;
  }
  unlink(path);

  /* one ~1 MB block of rows, written over and over */
  size_t cap = 1 << 20, len = 0, block_rows = 0;
  char *block = malloc(cap + 256);
  double block_sum0 = 0, block_sumlab = 0;
  unsigned seed = 12345;
  while (len < cap) {
    double v0 = (double)(int)(rand_r(&seed) % 200000 - 100000) / 100.0;
    int lab = rand_r(&seed) % 10;
    len += (size_t)snprintf(block + len, 256, "%.2f,%d.5,%d,-%d.25,%de-3,%d,%d,%d,%d\n", v0,
                            rand_r(&seed) % 1000, rand_r(&seed) % 1000, rand_r(&seed) % 1000,
                            rand_r(&seed) % 1000, rand_r(&seed) % 7, rand_r(&seed) % 3,
                            rand_r(&seed) % 99, lab);
    block_rows++;
    block_sumlab += lab;
  }
  /* column-0 sum of the block by strtod, independently of the library */
  for (char *p = block; p < block + len;) {
    block_sum0 += strtod(p, NULL);
    p = strchr(p, '\n') + 1;
  }
  const char *hdr = "a,b,c,d,e,f,g,h,label\n";
  size_t reps = (size_t)(target / (double)len) + 1;
  int ok = write(fd, hdr, strlen(hdr)) == (ssize_t)strlen(hdr);
  for (size_t i = 0; ok && i < reps; i++) ok = write(fd, block, len) == (ssize_t)len;
  if (!ok) {
    perror("write");
    close(fd);
    return 1;
  }
  double bytes = (double)reps * (double)len;
  printf("generated %.0f MB (%zu rows)\n", bytes / 1e6, reps * block_rows);

  char procpath[64];
  snprintf(procpath, sizeof procpath, "/proc/self/fd/%d", fd);
  const char *p = procpath;
  tfckpt_dataset_options o;
  tfckpt_dataset_options_init(&o);
  o.paths = &p;
  o.npaths = 1;
  o.format = TFCKPT_DATA_CSV;
  o.label_columns = "label";
  o.num_threads = 2;
  o.queue_chunks = 6;
  o.shuffle_buffer = 10000;
  o.seed = 1;
  o.batch_size = 256;
  long hwm_before = vm_hwm_kb();
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  tfckpt_dataset *ds;
  CHECK_EQ(tfckpt_dataset_open(&o, &ds), 0);
  const tfckpt_batch *b;
  uint64_t rows = 0;
  double labsum = 0;
  int rc;
  while ((rc = tfckpt_dataset_next(ds, &b)) == 0 && b) {
    rows += b->rows;
    for (size_t i = 0; i < b->rows; i++) labsum += b->labels_i32[i];
  }
  CHECK_EQ(rc, 0);
  if (rc) fprintf(stderr, "%s\n", tfckpt_dataset_errmsg(ds));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  tfckpt_column_stats cs;
  tfckpt_dataset_column_stats(ds, 0, &cs);
  tfckpt_dataset_close(ds);
  close(fd);

  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  long hwm = vm_hwm_kb();
  printf("streamed %llu rows in %.2f s (%.0f MB/s); VmHWM %ld kB (before: %ld kB)\n",
         (unsigned long long)rows, secs, bytes / 1e6 / secs, hwm, hwm_before);
  CHECK_EQ(rows, reps * block_rows);
  CHECK(labsum == block_sumlab * (double)reps);
  double want_mean = block_sum0 / (double)block_rows;
  CHECK(fabs(cs.mean - want_mean) < 1e-6 * (1 + fabs(want_mean)));
  /* the memory bound: far below the file size */
  CHECK(hwm > 0 && hwm < 200 * 1024);
  if (!is_quick) CHECK((double)hwm * 1024 < bytes / 10);
  free(block);
  return tu_finish();
}
