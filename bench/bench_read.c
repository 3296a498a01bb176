/* Reader benchmark (issue: inspect commands).
 *
 *   bench_read [--vars N] [--mib M] [--dir DIR]
 *
 * Writes a checkpoint of N float32 variables totalling M MiB (default 10,000
 * and 1024), then measures in the same run:
 *   - `ls` (open + list every variable) in milliseconds, and again with the
 *     data file moved away, proving listing never touches it;
 *   - `verify` (CRC32C of every tensor, read with pread through a buffer of
 *     at most 4 MiB: the reader maps no data file) in GB/s next to a plain memory
 *     read of the same bytes through a mapping (summing them), and the ratio
 *     (target >= 70 %);
 *   - the CRC32C implementations on an in-memory buffer: portable
 *     slicing-by-8, our SSE4.2 three-stream code, and ISA-L.
 * The files are deleted at the end. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "tfckpt/reader.h"
#include "tfckpt/writer.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int run_cli(const char *bin, const char *args, double *secs) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s %s >/dev/null", bin, args);
  double t0 = now();
  int rc = system(cmd);
  *secs = now() - t0;
  return rc;
}

/* Sums the file's bytes as 64-bit words: the memory-read baseline. */
static double baseline_read(const char *path, double *secs) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  fstat(fd, &st);
  double t0 = now();
  const uint64_t *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  size_t n = (size_t)st.st_size / 8;
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) s0 += p[i], s1 += p[i + 1], s2 += p[i + 2], s3 += p[i + 3];
  for (; i < n; i++) s0 += p[i];
  munmap((void *)p, (size_t)st.st_size);
  *secs = now() - t0;
  close(fd);
  return (double)(s0 + s1 + s2 + s3);
}

int main(int argc, char **argv) {
  long nvars = 10000, mib = 1024;
  const char *base = "/tmp";
  const char *bin = getenv("TFCKPT_BIN") ? getenv("TFCKPT_BIN") : "build/tfckpt";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--vars")) nvars = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--mib")) mib = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--dir")) base = argv[i + 1];
    else if (!strcmp(argv[i], "--bin")) bin = argv[i + 1];
  }
  char dir[4096], prefix[4200], data[4300], moved[4300], args[8700];
  snprintf(dir, sizeof dir, "%s/tfckpt-bench-read-XXXXXX", base);
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(prefix, sizeof prefix, "%s/model.ckpt-1000", dir);
  snprintf(data, sizeof data, "%s.data-00000-of-00001", prefix);
  snprintf(moved, sizeof moved, "%s.moved", data);

  int64_t per = (int64_t)mib * 1024 * 1024 / 4 / nvars;
  printf("bench_read: %ld variables x %lld float32 = %.2f GiB\n", nvars, (long long)per,
         (double)nvars * (double)per * 4 / (1 << 30));
  double t0 = now();
  tfckpt_writer *w;
  if (tfckpt_writer_open(prefix, NULL, &w) != TFCKPT_OK) {
    fprintf(stderr, "%s\n", tfckpt_writer_errmsg(w));
    return 1;
  }
  tfckpt_tensor *t;
  int64_t dims[1] = {per};
  tfckpt_tensor_new(TFCKPT_FLOAT, 1, dims, &t);
  float *v = tfckpt_tensor_mutable_data(t);
  for (long i = 0; i < nvars; i++) {
    char name[128];
    snprintf(name, sizeof name, "block_%03ld/layer_%02ld/conv/weights", i / 100, i % 100);
    for (int64_t k = 0; k < per; k += 64) v[k] = (float)(i * 31 + k);
    if (tfckpt_writer_add(w, name, t) != TFCKPT_OK) {
      fprintf(stderr, "%s\n", tfckpt_writer_errmsg(w));
      return 1;
    }
  }
  tfckpt_tensor_free(t);
  if (tfckpt_writer_finish(w) != TFCKPT_OK) {
    fprintf(stderr, "%s\n", tfckpt_writer_errmsg(w));
    return 1;
  }
  tfckpt_writer_close(w);
  printf("  written in %.2f s\n", now() - t0);

  /* ls through the library and through the CLI */
  double secs, best = 1e9;
  for (int rep = 0; rep < 5; rep++) {
    t0 = now();
    tfckpt_reader *r;
    tfckpt_reader_open(prefix, &r);
    int64_t total = 0;
    for (int64_t i = 0; i < tfckpt_reader_num_variables(r); i++) {
      tfckpt_var_info vi;
      tfckpt_reader_var(r, i, &vi);
      total += vi.num_elements;
    }
    if (total != (int64_t)nvars * per) {
      fprintf(stderr, "listing is wrong: %lld elements\n", (long long)total);
      return 1;
    }
    tfckpt_reader_close(r);
    secs = now() - t0;
    if (secs < best) best = secs;
  }
  printf("  open + list (library):        %8.2f ms\n", best * 1e3);
  snprintf(args, sizeof args, "ls %s", prefix);
  best = 1e9;
  for (int rep = 0; rep < 5; rep++) {
    run_cli(bin, args, &secs);
    if (secs < best) best = secs;
  }
  printf("  tfckpt ls (CLI, whole process): %6.2f ms\n", best * 1e3);
  rename(data, moved);
  int rc = run_cli(bin, args, &secs);
  printf("  tfckpt ls with the data file moved away: %s (%.2f ms)\n", rc == 0 ? "works" : "FAILED",
         secs * 1e3);
  rename(moved, data);

  /* verify vs reading the same bytes; warm the page cache first */
  double sink = baseline_read(data, &secs);
  double bytes = (double)nvars * (double)per * 4;
  double base_best = 1e9, ver_best = 1e9;
  for (int rep = 0; rep < 3; rep++) {
    sink += baseline_read(data, &secs);
    if (secs < base_best) base_best = secs;
    tfckpt_reader *r;
    tfckpt_reader_open(prefix, &r);
    t0 = now();
    for (int64_t i = 0; i < tfckpt_reader_num_variables(r); i++)
      if (tfckpt_reader_verify(r, i) != TFCKPT_OK) printf("verify failed: %s\n", tfckpt_reader_errmsg(r));
    tfckpt_reader_close(r);
    secs = now() - t0;
    if (secs < ver_best) ver_best = secs;
  }
  printf("  memory read baseline (sum of mapped bytes): %6.2f GB/s\n", bytes / base_best / 1e9);
  printf("  verify (CRC32C of every tensor):            %6.2f GB/s  = %.0f %% of the baseline\n",
         bytes / ver_best / 1e9, 100 * base_best / ver_best);

  /* CRC32C implementations on a 64 MiB in-memory buffer */
  size_t n = 64u << 20;
  uint8_t *buf = malloc(n);
  for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)(i * 2654435761u >> 13);
  struct {
    const char *name;
    uint32_t (*fn)(uint32_t, const void *, size_t);
    int avail;
  } impl[] = {{"portable slicing-by-8", tfckpt__crc32c_portable, 1},
              {"own SSE4.2, 3 streams", tfckpt__crc32c_sse42, tfckpt__crc32c_have_sse42()},
              {"ISA-L crc32_iscsi", tfckpt__crc32c_isal, tfckpt__crc32c_have_isal()}};
  uint32_t ref = tfckpt__crc32c_portable(0, buf, n);
  for (int k = 0; k < 3; k++) {
    if (!impl[k].avail) {
      printf("  crc32c %-24s not available\n", impl[k].name);
      continue;
    }
    best = 1e9;
    uint32_t c = 0;
    for (int rep = 0; rep < 5; rep++) {
      t0 = now();
      c = impl[k].fn(0, buf, n);
      secs = now() - t0;
      if (secs < best) best = secs;
    }
    printf("  crc32c %-24s %6.2f GB/s%s\n", impl[k].name, (double)n / best / 1e9,
           c == ref ? "" : "  (WRONG RESULT)");
  }
  free(buf);
  unlink(data);
  char idx[4300];
  snprintf(idx, sizeof idx, "%s.index", prefix);
  unlink(idx);
  rmdir(dir);
  return sink == 42 ? 1 : 0;
}
