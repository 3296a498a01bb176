#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "format/proto.h"
#include "tfckpt/tfckpt.h"

int tu_failures = 0;
int tu_checks = 0;

int tu_finish(const char *name) {
  printf("%s: %d checks, %d passed, %d failed\n", name, tu_checks, tu_checks - tu_failures,
         tu_failures);
  return tu_failures ? 1 : 0;
}

const char *tu_fixture(const char *rel) {
  static char buf[4096];
  const char *root = getenv("TFCKPT_FIXTURES");
  snprintf(buf, sizeof buf, "%s/%s", root ? root : "../shared/fixtures", rel);
  return buf;
}

char *tu_mkdtemp(void) {
  const char *base = getenv("TMPDIR");
  char *tmpl = tu_path(base ? base : "/tmp", "tfckpt-test-XXXXXX");
  if (!mkdtemp(tmpl)) {
    perror("mkdtemp");
    exit(2);
  }
  return tmpl;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

void tu_rmtree(const char *dir) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

char *tu_path(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

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
