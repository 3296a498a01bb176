#include "harness.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "format/proto.h"
#include "tfckpt/tfckpt.h"

/* --- checks --- */

static atomic_int g_checks, g_failures;
/* One failure report at a time, so lines from several threads do not mix. */
static pthread_mutex_t g_report_lock = PTHREAD_MUTEX_INITIALIZER;

static int pass(void) {
  atomic_fetch_add(&g_checks, 1);
  return 1;
}

static int fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(const char *file, int line, const char *fmt, ...) {
  atomic_fetch_add(&g_checks, 1);
  atomic_fetch_add(&g_failures, 1);
  va_list ap;
  va_start(ap, fmt);
  pthread_mutex_lock(&g_report_lock);
  fprintf(stderr, "%s:%d: ", file, line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  pthread_mutex_unlock(&g_report_lock);
  va_end(ap);
  return 0;
}

int tu__check(int ok, const char *file, int line, const char *expr) {
  return ok ? pass() : fail(file, line, "CHECK failed: %s", expr);
}

int tu__check_eq(int64_t a, int64_t b, const char *file, int line, const char *ea, const char *eb) {
  if (a == b) return pass();
  return fail(file, line, "CHECK_EQ failed: %s is %lld, %s is %lld", ea, (long long)a, eb,
              (long long)b);
}

int tu__check_str(const char *a, const char *b, const char *file, int line, const char *ea,
                  const char *eb) {
  if (a && b && !strcmp(a, b)) return pass();
  return fail(file, line, "CHECK_STR failed: %s is \"%s\", %s is \"%s\"", ea, a ? a : "(null)", eb,
              b ? b : "(null)");
}

int tu__check_mem(const void *a, const void *b, size_t n, const char *file, int line,
                  const char *ea, const char *eb) {
  if (!a || !b) {
    if (n == 0) return pass();
    return fail(file, line, "CHECK_MEM failed: %s is %p, %s is %p", ea, a, eb, b);
  }
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i])
      return fail(file, line,
                  "CHECK_MEM failed: %s and %s (%zu bytes) differ first at offset %zu: "
                  "0x%02x vs 0x%02x",
                  ea, eb, n, i, x[i], y[i]);
  return pass();
}

int tu__check_near(double a, double b, double tol, const char *file, int line, const char *ea,
                   const char *eb) {
  /* written so that a NaN on either side fails */
  if (a - b <= tol && b - a <= tol) return pass();
  return fail(file, line, "CHECK_NEAR failed: %s is %.17g, %s is %.17g, tolerance %g", ea, a, eb,
              b, tol);
}

int tu__check_contains(const char *hay, const char *needle, const char *file, int line,
                       const char *ehay) {
  if (hay && needle && strstr(hay, needle)) return pass();
  return fail(file, line, "CHECK_CONTAINS failed: %s is \"%s\", lacks \"%s\"", ehay,
              hay ? hay : "(null)", needle ? needle : "(null)");
}

int tu__checkf(int ok, const char *file, int line, const char *expr, const char *fmt, ...) {
  if (ok) return pass();
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return fail(file, line, "CHECK failed: %s: %s", expr, msg);
}

int tu_count(int ok) {
  atomic_fetch_add(&g_checks, 1);
  if (!ok) atomic_fetch_add(&g_failures, 1);
  return ok;
}

int tu_failed(void) { return atomic_load(&g_failures); }

int tu__finish(const char *file) {
  const char *base = strrchr(file, '/');
  base = base ? base + 1 : file;
  int len = (int)strcspn(base, ".");
  int checks = atomic_load(&g_checks), failures = atomic_load(&g_failures);
  printf("%.*s: %d passed, %d failed\n", len, base, checks - failures, failures);
  fflush(stdout);
  return failures ? 1 : 0;
}

#if defined(__SANITIZE_THREAD__)
#define TU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TU_TSAN 1
#endif
#endif
#ifndef TU_TSAN
#define TU_TSAN 0
#endif

int tu_quick(void) {
  const char *q = getenv("TFCKPT_QUICK");
  return TU_TSAN || (q && *q && strcmp(q, "0"));
}

const char *tu_fixture(const char *rel) {
  static _Thread_local char bufs[8][4096];
  static _Thread_local unsigned next;
  char *buf = bufs[next++ % 8];
  const char *root = getenv("TFCKPT_FIXTURES");
  snprintf(buf, sizeof bufs[0], "%s/%s", root && *root ? root : "../shared/fixtures", rel);
  return buf;
}

/* --- temporary directories --- */

static char *g_tmp_root;  /* the mkdtemp'd root every tu_mkdtemp lives under */
static char *g_tmp_first; /* the first tu_mkdtemp directory (tu_tmp_write's) */
static pid_t g_tmp_owner; /* forked children must not remove the parent's files */
static unsigned g_tmp_seq;
static pthread_mutex_t g_tmp_lock = PTHREAD_MUTEX_INITIALIZER;

static int keep_tmp(void) {
  const char *k = getenv("TFCKPT_KEEP_TMP");
  return k && !strcmp(k, "1");
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void remove_root(void) {
  if (!g_tmp_root || getpid() != g_tmp_owner) return;
  if (keep_tmp()) fprintf(stderr, "kept %s\n", g_tmp_root);
  else nftw(g_tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_mkdtemp(void) {
  pthread_mutex_lock(&g_tmp_lock);
  if (!g_tmp_root) {
    const char *base = getenv("TMPDIR");
    g_tmp_root = tu_path(base && *base ? base : "/tmp", "tfckpt-test-XXXXXX");
    if (!mkdtemp(g_tmp_root)) {
      perror("mkdtemp");
      exit(2);
    }
    g_tmp_owner = getpid();
    atexit(remove_root);
  }
  char name[32];
  snprintf(name, sizeof name, "d%u", g_tmp_seq++);
  char *dir = tu_path(g_tmp_root, name);
  if (mkdir(dir, 0700)) {
    perror(dir);
    exit(2);
  }
  if (!g_tmp_first) g_tmp_first = strdup(dir);
  pthread_mutex_unlock(&g_tmp_lock);
  return dir;
}

void tu_rmtree(const char *dir) {
  if (!keep_tmp()) nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tu_tmpdir(void) {
  if (!g_tmp_first) free(tu_mkdtemp());
  return g_tmp_first;
}

const char *tu_tmp_write(const char *name, const char *text) {
  static char paths[16][4096];
  static unsigned next;
  char *p = paths[next++ % 16];
  snprintf(p, sizeof paths[0], "%s/%s", tu_tmpdir(), name);
  if (tu_write_file(p, text, strlen(text))) {
    perror(p);
    exit(2);
  }
  return p;
}

char *tu_path(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (!p) abort();
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

long long tu_file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int tu_count_files(const char *dir, const char *substr) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && (!substr || strstr(e->d_name, substr)))
      n++;
  closedir(d);
  return n;
}

/* --- files --- */

uint8_t *tu_read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
  if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (n) *n = (size_t)len;
  return buf;
}

int tu_write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  int ok = fwrite(data, 1, n, f) == n;
  return fclose(f) == 0 && ok ? 0 : -1;
}

int tu_copy_file(const char *from, const char *to) {
  size_t n;
  uint8_t *d = tu_read_file(from, &n);
  if (!d) return -1;
  int rc = tu_write_file(to, d, n);
  free(d);
  return rc;
}

int tu_truncate(const char *path, long long size) { return truncate(path, size); }

int tu_flip_byte(const char *path, long long offset, uint8_t mask) {
  size_t n;
  uint8_t *d = tu_read_file(path, &n);
  if (!d) return -1;
  long long at = offset < 0 ? (long long)n + offset : offset;
  if (at < 0 || at >= (long long)n) {
    free(d);
    return -1;
  }
  d[at] ^= mask;
  int rc = tu_write_file(path, d, n);
  free(d);
  return rc;
}

int tu_run(const char *cmd, char **output) {
  char *full = malloc(strlen(cmd) + 16);
  sprintf(full, "%s 2>&1", cmd);
  FILE *p = popen(full, "r");
  free(full);
  if (!p) return -1;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
    n += got;
    if (cap - n < 1024) buf = realloc(buf, cap *= 2);
  }
  buf[n] = '\0';
  int st = pclose(p);
  if (output) *output = buf;
  else free(buf);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* --- minimal table + bundle writer (formats.md sections a and b) --- */

static void put_block(tfckpt__buf *file, tfckpt__buf *block) {
  uint8_t trailer[5] = {0};
  tfckpt__buf_append(file, block->data, block->len);
  uint32_t crc = tfckpt__crc32c_extend(tfckpt__crc32c(block->data, block->len), trailer, 1);
  uint32_t m = tfckpt__crc_mask(crc);
  memcpy(trailer + 1, &m, 4);
  tfckpt__buf_append(file, trailer, 5);
}

/* One block holding every entry, each a restart point (shared = 0). */
static void build_block(tfckpt__buf *b, const char **keys, const size_t *klens,
                        tfckpt__buf *values, int n) {
  uint32_t *restarts = malloc((size_t)(n ? n : 1) * sizeof *restarts);
  for (int i = 0; i < n; i++) {
    restarts[i] = (uint32_t)b->len;
    tfckpt__pb_put_varint(b, 0);
    tfckpt__pb_put_varint(b, klens[i]);
    tfckpt__pb_put_varint(b, values[i].len);
    tfckpt__buf_append(b, keys[i], klens[i]);
    tfckpt__buf_append(b, values[i].data, values[i].len);
  }
  uint32_t zero = 0;
  if (n == 0) tfckpt__buf_append(b, &zero, 4);
  else tfckpt__buf_append(b, restarts, 4 * (size_t)n);
  uint32_t cnt = n ? (uint32_t)n : 1;
  tfckpt__buf_append(b, &cnt, 4);
  free(restarts);
}

static int cmp_entry(const void *a, const void *b) {
  return strcmp(((const tu_entry *)a)->name, ((const tu_entry *)b)->name);
}

static int write_bundle(const char *prefix, const tu_entry *entries, int n, int big_endian);

int tu_write_bundle(const char *prefix, const tu_entry *entries, int n) {
  return write_bundle(prefix, entries, n, 0);
}

int tu_write_bundle_be(const char *prefix, const tu_entry *entries, int n) {
  return write_bundle(prefix, entries, n, 1);
}

static int write_bundle(const char *prefix, const tu_entry *entries, int n, int big_endian) {
  tu_entry *sorted = malloc((size_t)(n ? n : 1) * sizeof *sorted);
  memcpy(sorted, entries, (size_t)n * sizeof *sorted);
  qsort(sorted, (size_t)n, sizeof *sorted, cmp_entry);
  /* data file in the given order */
  char path[4096];
  snprintf(path, sizeof path, "%s.data-00000-of-00001", prefix);
  FILE *df = fopen(path, "wb");
  if (!df) return -1;
  int64_t *offsets = malloc((size_t)(n ? n : 1) * sizeof *offsets);
  int64_t off = 0;
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++)
      if (!strcmp(sorted[j].name, entries[i].name)) offsets[j] = off;
    if (entries[i].size) fwrite(entries[i].data, 1, entries[i].size, df);
    off += (int64_t)entries[i].size;
  }
  fclose(df);
  const char **keys = malloc((size_t)(n + 1) * sizeof *keys);
  size_t *klens = malloc((size_t)(n + 1) * sizeof *klens);
  tfckpt__buf *vals = calloc((size_t)n + 1, sizeof *vals);
  keys[0] = "";
  klens[0] = 0;
  uint8_t header[] = {0x08, 0x01, 0x1a, 0x02, 0x08, 0x01};
  uint8_t header_be[] = {0x08, 0x01, 0x10, 0x01, 0x1a, 0x02, 0x08, 0x01};
  if (big_endian) tfckpt__buf_append(&vals[0], header_be, sizeof header_be);
  else tfckpt__buf_append(&vals[0], header, sizeof header);
  for (int i = 0; i < n; i++) {
    const tu_entry *e = &sorted[i];
    keys[i + 1] = e->name;
    klens[i + 1] = strlen(e->name);
    tfckpt__buf *v = &vals[i + 1];
    tfckpt__pb_put_uint(v, 1, (uint64_t)e->dtype);
    tfckpt__buf shape = {0};
    for (int d = 0; d < e->rank; d++) {
      tfckpt__buf dim = {0};
      if (e->dims[d]) tfckpt__pb_put_uint(&dim, 1, (uint64_t)e->dims[d]);
      tfckpt__pb_put_bytes(&shape, 2, dim.data, dim.len);
      tfckpt__buf_free(&dim);
    }
    tfckpt__pb_put_bytes(v, 2, shape.data, shape.len);
    tfckpt__buf_free(&shape);
    if (offsets[i]) tfckpt__pb_put_uint(v, 4, (uint64_t)offsets[i]);
    int64_t size = e->size_override >= 0 ? e->size_override : (int64_t)e->size;
    if (size) tfckpt__pb_put_uint(v, 5, (uint64_t)size);
    uint32_t crc = tfckpt__crc_mask(tfckpt__crc32c(e->data, e->size));
    if (e->bad_crc) crc ^= 1;
    tfckpt__pb_put_fixed32(v, 6, crc);
  }
  tfckpt__buf file = {0}, data = {0}, meta = {0}, index = {0};
  build_block(&data, keys, klens, vals, n + 1);
  put_block(&file, &data);
  build_block(&meta, NULL, NULL, NULL, 0);
  size_t meta_off = file.len;
  put_block(&file, &meta);
  tfckpt__buf handle = {0};
  tfckpt__pb_put_varint(&handle, 0);
  tfckpt__pb_put_varint(&handle, data.len);
  const char *sep = "\xff";
  size_t seplen = 1;
  build_block(&index, &sep, &seplen, &handle, 1);
  size_t index_off = file.len;
  put_block(&file, &index);
  tfckpt__buf footer = {0};
  tfckpt__pb_put_varint(&footer, meta_off);
  tfckpt__pb_put_varint(&footer, meta.len);
  tfckpt__pb_put_varint(&footer, index_off);
  tfckpt__pb_put_varint(&footer, index.len);
  uint8_t pad[48] = {0};
  tfckpt__buf_append(&footer, pad, 40 - footer.len);
  uint8_t magic[8] = {0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb};
  tfckpt__buf_append(&footer, magic, 8);
  tfckpt__buf_append(&file, footer.data, footer.len);
  snprintf(path, sizeof path, "%s.index", prefix);
  int rc = tu_write_file(path, file.data, file.len);
  for (int i = 0; i <= n; i++) tfckpt__buf_free(&vals[i]);
  tfckpt__buf_free(&file), tfckpt__buf_free(&data), tfckpt__buf_free(&meta);
  tfckpt__buf_free(&index), tfckpt__buf_free(&handle), tfckpt__buf_free(&footer);
  free(vals), free(keys), free(klens), free(offsets), free(sorted);
  return rc;
}

/* --- data pipeline --- */

void tu_rows_free(tu_rows *r) {
  free(r->feat);
  free(r->lab);
  free(r->batch_rows);
  free(r->batch_epoch);
  free(r->batch_iter);
  free(r->batch_iter_in_epoch);
  memset(r, 0, sizeof *r);
}

int tu_collect(const tfckpt_dataset_options *opt, tu_rows *out) {
  memset(out, 0, sizeof *out);
  tfckpt_dataset *ds;
  int rc = tfckpt_dataset_open(opt, &ds);
  if (rc) {
    snprintf(out->err, sizeof out->err, "%s", tfckpt_dataset_errmsg(ds));
    tfckpt_dataset_close(ds);
    return out->rc = rc;
  }
  out->width = tfckpt_dataset_width(ds);
  out->label_width = tfckpt_dataset_label_width(ds);
  out->label_dtype = tfckpt_dataset_label_dtype(ds);
  size_t cap = 0, bcap = 0;
  const tfckpt_batch *b;
  while ((rc = tfckpt_dataset_next(ds, &b)) == 0 && b) {
    if (out->rows + b->rows > cap) {
      cap = (out->rows + b->rows) * 2 + 16;
      out->feat = realloc(out->feat, cap * (out->width + 1) * sizeof(float));
      out->lab = realloc(out->lab, cap * (out->label_width + 1) * sizeof(double));
    }
    if (out->batches == bcap) {
      bcap = bcap * 2 + 16;
      out->batch_rows = realloc(out->batch_rows, bcap * sizeof(size_t));
      out->batch_epoch = realloc(out->batch_epoch, bcap * sizeof(unsigned long long));
      out->batch_iter = realloc(out->batch_iter, bcap * sizeof(unsigned long long));
      out->batch_iter_in_epoch = realloc(out->batch_iter_in_epoch, bcap * sizeof(unsigned long long));
    }
    out->batch_rows[out->batches] = b->rows;
    out->batch_epoch[out->batches] = b->epoch;
    out->batch_iter[out->batches] = b->iteration;
    out->batch_iter_in_epoch[out->batches] = b->iteration_in_epoch;
    out->batches++;
    for (size_t r = 0; r < b->rows; r++) {
      float *dst = out->feat + (out->rows + r) * out->width;
      if (b->features) {
        memcpy(dst, b->features + r * b->width, b->width * sizeof(float));
      } else {
        memset(dst, 0, out->width * sizeof(float));
        for (int64_t k = b->row_ptr[r]; k < b->row_ptr[r + 1]; k++) dst[b->indices[k]] = b->values[k];
      }
      for (size_t j = 0; j < b->label_width; j++)
        out->lab[(out->rows + r) * out->label_width + j] =
            b->label_dtype == TFCKPT_INT32 ? (double)b->labels_i32[r * b->label_width + j]
                                           : (double)b->labels_f32[r * b->label_width + j];
    }
    out->rows += b->rows;
  }
  if (rc) snprintf(out->err, sizeof out->err, "%s", tfckpt_dataset_errmsg(ds));
  tfckpt_dataset_stats_get(ds, &out->stats);
  tfckpt_dataset_close(ds);
  return out->rc = rc;
}
