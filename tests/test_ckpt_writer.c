/* The writer API: exact bytes on the examples of formats.md, round trips of
 * every dtype / partitioned variables / shards, the state file, and errors
 * (with their messages and no files left behind). */
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "tfckpt/reader.h"
#include "tfckpt/writer.h"
#include "harness.h"

static unsigned char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)n + 1);
  *len = fread(b, 1, (size_t)n, f);
  fclose(f);
  return b;
}

static tfckpt_tensor *make(tfckpt_dtype dtype, int rank, const int64_t *dims) {
  tfckpt_tensor *t = NULL;
  int rc = tfckpt_tensor_new(dtype, rank, dims, &t);
  if (rc) {
    fprintf(stderr, "tensor_new(%d) failed: %d\n", dtype, rc);
    exit(1);
  }
  return t;
}

/* formats.md section a, "Complete example": w = float32 [1.0, 2.0]. */
static void test_tiny_exact_bytes(const char *dir) {
  /* formats.md rows 0x00-0x4f; then zero padding and the magic */
  static const char hex[] =
      "00000608011a02080100010f77080112"
      "0412020802280835593ce53500000000"
      "01000000000921adc300000000010000"
      "0000c0f2a1b000010278002400000000"
      "0100000000ab30707f2908360e000000";
  unsigned char want_index[121];
  memset(want_index, 0, sizeof want_index);
  size_t k = 0;
  for (const char *h = hex; h[0] && h[1]; h += 2) {
    unsigned v;
    sscanf(h, "%2x", &v);
    want_index[k++] = (unsigned char)v;
  }
  static const unsigned char magic[9] = {0x00, 0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb};
  memcpy(want_index + 0x70, magic, 9);
  CHECK_EQ(k, 0x50);
  char prefix[4096], path[4200];
  snprintf(prefix, sizeof prefix, "%s/tiny", dir);
  tfckpt_writer *w;
  CHECK_EQ(tfckpt_writer_open(prefix, NULL, &w), TFCKPT_OK);
  int64_t d = 2;
  tfckpt_tensor *t = make(TFCKPT_FLOAT, 1, &d);
  float *v = tfckpt_tensor_mutable_data(t);
  v[0] = 1.0f, v[1] = 2.0f;
  CHECK_EQ(tfckpt_writer_add(w, "w", t), TFCKPT_OK);
  tfckpt_tensor_free(t);
  CHECK_EQ(tfckpt_writer_finish(w), TFCKPT_OK);
  tfckpt_writer_close(w);
  size_t n;
  snprintf(path, sizeof path, "%s.index", prefix);
  unsigned char *b = read_all(path, &n);
  CHECK(b && n == sizeof want_index && !memcmp(b, want_index, n));
  free(b);
  snprintf(path, sizeof path, "%s.data-00000-of-00001", prefix);
  b = read_all(path, &n);
  static const unsigned char want_data[8] = {0, 0, 0x80, 0x3f, 0, 0, 0, 0x40};
  CHECK(b && n == 8 && !memcmp(b, want_data, 8));
  free(b);
  CHECK_EQ(tu_count_files(dir, "tempstate"), 0);
}

/* formats.md section b: ["ab", ""] is 02 00 78 27 0b 34 61 62, CRC 0x4db08891. */
static void test_string_exact_bytes(const char *dir) {
  char prefix[4096], path[4200];
  snprintf(prefix, sizeof prefix, "%s/str", dir);
  tfckpt_writer *w;
  CHECK_EQ(tfckpt_writer_open(prefix, NULL, &w), TFCKPT_OK);
  int64_t d = 2;
  tfckpt_tensor *t = make(TFCKPT_STRING, 1, &d);
  tfckpt_tensor_set_string(t, 0, "ab", 2);
  tfckpt_tensor_set_string(t, 1, "", 0);
  CHECK_EQ(tfckpt_writer_add(w, "s", t), TFCKPT_OK);
  tfckpt_tensor_free(t);
  CHECK_EQ(tfckpt_writer_finish(w), TFCKPT_OK);
  tfckpt_writer_close(w);
  size_t n;
  snprintf(path, sizeof path, "%s.data-00000-of-00001", prefix);
  unsigned char *b = read_all(path, &n);
  static const unsigned char want[8] = {0x02, 0x00, 0x78, 0x27, 0x0b, 0x34, 0x61, 0x62};
  CHECK(b && n == 8 && !memcmp(b, want, 8));
  free(b);
  /* the entry's CRC field: 35 91 88 b0 4d */
  snprintf(path, sizeof path, "%s.index", prefix);
  b = read_all(path, &n);
  static const unsigned char crc[5] = {0x35, 0x91, 0x88, 0xb0, 0x4d};
  CHECK(b && memmem(b, n, crc, 5) != NULL);
  free(b);
}

static const int kDtypes[] = {
    TFCKPT_FLOAT,  TFCKPT_DOUBLE, TFCKPT_INT32,      TFCKPT_UINT8,   TFCKPT_INT16,
    TFCKPT_INT8,   TFCKPT_STRING, TFCKPT_COMPLEX64,  TFCKPT_INT64,   TFCKPT_BOOL,
    TFCKPT_QINT8,  TFCKPT_QUINT8, TFCKPT_QINT32,     TFCKPT_BFLOAT16, TFCKPT_QINT16,
    TFCKPT_QUINT16, TFCKPT_UINT16, TFCKPT_COMPLEX128, TFCKPT_HALF,    TFCKPT_VARIANT,
    TFCKPT_UINT32, TFCKPT_UINT64, TFCKPT_FLOAT8_E5M2, TFCKPT_FLOAT8_E4M3FN, TFCKPT_INT4};
#define NDT ((int)(sizeof kDtypes / sizeof kDtypes[0]))

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void fill(tfckpt_tensor *t) {
  int dt = tfckpt_tensor_dtype(t);
  int64_t n = tfckpt_tensor_num_elements(t);
  if (dt == TFCKPT_STRING || dt == TFCKPT_VARIANT) {
    for (int64_t i = 0; i < n; i++) {
      char buf[400];
      size_t len = next_rand() % (i == 1 ? 300 : 12);
      for (size_t k = 0; k < len; k++) buf[k] = (char)next_rand(); /* any bytes, NULs too */
      tfckpt_tensor_set_string(t, i, buf, len);
    }
    return;
  }
  uint8_t *p = tfckpt_tensor_mutable_data(t);
  size_t nb = tfckpt_tensor_nbytes(t);
  for (size_t k = 0; k < nb; k++) p[k] = (uint8_t)next_rand();
  if (dt == TFCKPT_BOOL)
    for (size_t k = 0; k < nb; k++) p[k] &= 1;
}

static int same_tensor(const tfckpt_tensor *a, const tfckpt_tensor *b) {
  if (tfckpt_tensor_dtype(a) != tfckpt_tensor_dtype(b) || tfckpt_tensor_rank(a) != tfckpt_tensor_rank(b))
    return 0;
  for (int d = 0; d < tfckpt_tensor_rank(a); d++)
    if (tfckpt_tensor_dims(a)[d] != tfckpt_tensor_dims(b)[d]) return 0;
  int dt = tfckpt_tensor_dtype(a);
  if (dt == TFCKPT_STRING || dt == TFCKPT_VARIANT) {
    for (int64_t i = 0; i < tfckpt_tensor_num_elements(a); i++) {
      const uint8_t *x, *y;
      size_t lx, ly;
      tfckpt_tensor_get_string(a, i, &x, &lx);
      tfckpt_tensor_get_string(b, i, &y, &ly);
      if (lx != ly || (lx && memcmp(x, y, lx))) return 0;
    }
    return 1;
  }
  return tfckpt_tensor_nbytes(a) == tfckpt_tensor_nbytes(b) &&
         (!tfckpt_tensor_nbytes(a) ||
          !memcmp(tfckpt_tensor_data(a), tfckpt_tensor_data(b), tfckpt_tensor_nbytes(a)));
}

/* Every dtype in three shapes (scalar, [3,5], empty [0,4]), in shuffled
 * order over 3 shards, plus a partitioned variable; read back exactly. */
static void test_roundtrip_all_dtypes(const char *dir) {
  char prefix[4096];
  snprintf(prefix, sizeof prefix, "%s/all", dir);
  tfckpt_writer_options o;
  tfckpt_writer_options_init(&o);
  o.num_shards = 3;
  tfckpt_writer *w;
  CHECK_EQ(tfckpt_writer_open(prefix, &o, &w), TFCKPT_OK);
  enum { NSH = 3 };
  tfckpt_tensor *ts[NDT * NSH];
  char names[NDT * NSH][64];
  int order[NDT * NSH];
  static const int64_t shapes[NSH][2] = {{0, 0}, {3, 5}, {0, 4}};
  static const int ranks[NSH] = {0, 2, 2};
  for (int i = 0; i < NDT * NSH; i++) {
    int dt = kDtypes[i / NSH], s = i % NSH;
    ts[i] = make(dt, ranks[s], shapes[s]);
    fill(ts[i]);
    snprintf(names[i], sizeof names[i], "%s/shape%d", tfckpt_dtype_name(dt), s);
    order[i] = i;
  }
  for (int i = NDT * NSH - 1; i > 0; i--) {
    int j = (int)(next_rand() % (uint64_t)(i + 1)), tmp = order[i];
    order[i] = order[j], order[j] = tmp;
  }
  for (int k = 0; k < NDT * NSH; k++)
    CHECK_EQ(tfckpt_writer_add(w, names[order[k]], ts[order[k]]), TFCKPT_OK);
  /* part/w [10,4] float32: rows 0-2 and 7-9 in shard 0, rows 3-6 in shard 2 */
  int64_t full[2] = {10, 4};
  tfckpt_tensor *whole = make(TFCKPT_FLOAT, 2, full);
  float *wv = tfckpt_tensor_mutable_data(whole);
  for (int i = 0; i < 40; i++) wv[i] = (float)i;
  static const int64_t rows[3][2] = {{0, 3}, {7, 3}, {3, 4}};
  static const int shard_of[3] = {0, 0, 2};
  for (int k = 0; k < 3; k++) {
    int64_t sd[2] = {rows[k][1], 4}, start[2] = {rows[k][0], 0}, len[2] = {rows[k][1], -1};
    tfckpt_tensor *sl = make(TFCKPT_FLOAT, 2, sd);
    memcpy(tfckpt_tensor_mutable_data(sl), wv + rows[k][0] * 4, (size_t)rows[k][1] * 16);
    CHECK_EQ(tfckpt_writer_add_slice(w, "part/w", 2, full, start, len, sl, shard_of[k]),
                 TFCKPT_OK);
    if (k == 0) /* the same slice again is refused */
      CHECK_EQ(tfckpt_writer_add_slice(w, "part/w", 2, full, start, len, sl, 1),
                   TFCKPT_EEXIST);
    tfckpt_tensor_free(sl);
  }
  CHECK_EQ(tfckpt_writer_finish(w), TFCKPT_OK);
  tfckpt_writer_close(w);

  tfckpt_reader *r;
  CHECK_EQ(tfckpt_reader_open(prefix, &r), TFCKPT_OK);
  CHECK_EQ(tfckpt_reader_num_shards(r), 3);
  CHECK_EQ(tfckpt_reader_num_variables(r), NDT * NSH + 1);
  for (int i = 0; i < NDT * NSH; i++) {
    tfckpt_tensor *t = NULL;
    int rc = tfckpt_reader_get_tensor(r, names[i], &t);
    CHECK_EQ(rc, TFCKPT_OK);
    if (rc) {
      fprintf(stderr, "  %s: %s\n", names[i], tfckpt_reader_errmsg(r));
      continue;
    }
    CHECKF(same_tensor(t, ts[i]), "%s differs after the round trip", names[i]);
    tfckpt_tensor_free(t);
  }
  int64_t pi = tfckpt_reader_find(r, "part/w");
  CHECK(pi >= 0);
  tfckpt_var_info vi;
  tfckpt_reader_var(r, pi, &vi);
  CHECK_EQ(vi.num_slices, 3);
  tfckpt_slice_info si;
  tfckpt_reader_slice(r, pi, 2, &si);
  CHECK_EQ(si.shard, 2);
  CHECK_EQ(si.start[0], 3);
  CHECK_EQ(si.length[1], -1);
  tfckpt_tensor *t;
  CHECK_EQ(tfckpt_reader_get_tensor(r, "part/w", &t), TFCKPT_OK);
  CHECK(t && same_tensor(t, whole));
  tfckpt_tensor_free(t);
  for (int64_t i = 0; i < tfckpt_reader_num_variables(r); i++)
    CHECK_EQ(tfckpt_reader_verify(r, i), TFCKPT_OK);
  tfckpt_reader_close(r);
  for (int i = 0; i < NDT * NSH; i++) tfckpt_tensor_free(ts[i]);
  tfckpt_tensor_free(whole);
}

static void test_errors(const char *dir) {
  char prefix[4096];
  snprintf(prefix, sizeof prefix, "%s/err/model", dir);
  tfckpt_writer *w;
  /* missing directory */
  CHECK_EQ(tfckpt_writer_open(prefix, NULL, &w), TFCKPT_ENOTFOUND);
  CHECK_CONTAINS(tfckpt_writer_errmsg(w), "does not exist");
  tfckpt_writer_close(w);
  /* a path below a regular file (tests run as root: chmod cannot deny) */
  char file[4096];
  snprintf(file, sizeof file, "%s/plainfile", dir);
  FILE *f = fopen(file, "w");
  fclose(f);
  snprintf(prefix, sizeof prefix, "%s/plainfile/model", dir);
  CHECK(tfckpt_writer_open(prefix, NULL, &w) != TFCKPT_OK);
  CHECK_CONTAINS(tfckpt_writer_errmsg(w), "plainfile");
  tfckpt_writer_close(w);
  /* a directory where files cannot be created */
  CHECK(tfckpt_writer_open("/proc/model.ckpt", NULL, &w) != TFCKPT_OK);
  CHECK_CONTAINS(tfckpt_writer_errmsg(w), "cannot create a file in directory /proc");
  tfckpt_writer_close(w);
  unlink(file);

  tfckpt_writer_options o;
  tfckpt_writer_options_init(&o);
  o.num_shards = 0;
  snprintf(prefix, sizeof prefix, "%s/bad", dir);
  CHECK_EQ(tfckpt_writer_open(prefix, &o, &w), TFCKPT_EINVAL);
  CHECK_CONTAINS(tfckpt_writer_errmsg(w), "num_shards 0");
  tfckpt_writer_close(w);

  int before = tu_count_files(dir, NULL);
  CHECK_EQ(tfckpt_writer_open(prefix, NULL, &w), TFCKPT_OK);
  int64_t d = 3;
  tfckpt_tensor *t = make(TFCKPT_INT32, 1, &d);
  CHECK_EQ(tfckpt_writer_add(w, "x", t), TFCKPT_OK);
  CHECK_EQ(tfckpt_writer_add(w, "x", t), TFCKPT_EEXIST);
  CHECK_CONTAINS(tfckpt_writer_errmsg(w), "tensor \"x\" was already added");
  CHECK_EQ(tfckpt_writer_add(w, "", t), TFCKPT_EINVAL);
  CHECK_CONTAINS(tfckpt_writer_errmsg(w), "must not be empty");
  CHECK_EQ(tfckpt_writer_add_to_shard(w, "y", t, 1), TFCKPT_EINVAL);
  CHECK_CONTAINS(tfckpt_writer_errmsg(w), "shard 1 is not in 0..0");
  int64_t full = 2, start = 1, len = 3;
  CHECK_EQ(tfckpt_writer_add_slice(w, "p", 1, &full, &start, &len, t, 0), TFCKPT_EINVAL);
  CHECK_CONTAINS(tfckpt_writer_errmsg(w), "does not fit");
  full = 6, start = 0;
  CHECK_EQ(tfckpt_writer_add_slice(w, "x", 1, &full, &start, &len, t, 0), TFCKPT_EEXIST);
  CHECK_CONTAINS(tfckpt_writer_errmsg(w), "already added as a whole tensor");
  tfckpt_tensor_free(t);
  /* resource tensors cannot even be built, so cannot reach the writer */
  t = NULL;
  CHECK(tfckpt_tensor_new(TFCKPT_RESOURCE, 0, NULL, &t) != TFCKPT_OK);
  /* the writer is still usable after refused adds; an unfinished writer
   * leaves nothing behind */
  CHECK(tu_count_files(dir, NULL) > before);
  tfckpt_writer_close(w);
  CHECK_EQ(tu_count_files(dir, NULL), before);
}

/* update_state with max_to_keep: 5 saves, 3 kept, the oldest files gone. */
static void test_state_file(const char *dir) {
  char sub[4096], prefix[4200], path[4300];
  snprintf(sub, sizeof sub, "%s/state", dir);
  mkdir(sub, 0755);
  tfckpt_writer_options o;
  tfckpt_writer_options_init(&o);
  o.update_state = 1;
  o.max_to_keep = 3;
  for (int step = 1; step <= 5; step++) {
    snprintf(prefix, sizeof prefix, "%s/ckpt-%d", sub, step);
    tfckpt_writer *w;
    CHECK_EQ(tfckpt_writer_open(prefix, &o, &w), TFCKPT_OK);
    tfckpt_tensor *t = make(TFCKPT_INT64, 0, NULL);
    *(int64_t *)tfckpt_tensor_mutable_data(t) = step;
    CHECK_EQ(tfckpt_writer_add(w, "step", t), TFCKPT_OK);
    tfckpt_tensor_free(t);
    CHECK_EQ(tfckpt_writer_finish(w), TFCKPT_OK);
    tfckpt_writer_close(w);
  }
  snprintf(path, sizeof path, "%s/checkpoint", sub);
  size_t n;
  char *text = (char *)read_all(path, &n);
  CHECK(text != NULL);
  if (text) {
    text[n] = 0;
    CHECK(!strncmp(text, "model_checkpoint_path: \"ckpt-5\"\n"
                         "all_model_checkpoint_paths: \"ckpt-3\"\n"
                         "all_model_checkpoint_paths: \"ckpt-4\"\n"
                         "all_model_checkpoint_paths: \"ckpt-5\"\n"
                         "all_model_checkpoint_timestamps: ",
                   strlen("model_checkpoint_path: \"ckpt-5\"\n"
                          "all_model_checkpoint_paths: \"ckpt-3\"\n"
                          "all_model_checkpoint_paths: \"ckpt-4\"\n"
                          "all_model_checkpoint_paths: \"ckpt-5\"\n"
                          "all_model_checkpoint_timestamps: ")));
    int nts = 0;
    for (char *p = text; (p = strstr(p, "all_model_checkpoint_timestamps")); p++) nts++;
    CHECK_EQ(nts, 3);
    free(text);
  }
  /* ckpt-1 and ckpt-2 deleted: 3 checkpoints x 2 files + `checkpoint` */
  CHECK_EQ(tu_count_files(sub, NULL), 7);
  CHECK_EQ(tu_count_files(sub, "ckpt-1."), 0);
  CHECK_EQ(tu_count_files(sub, "ckpt-2."), 0);
  tfckpt_reader *r;
  CHECK_EQ(tfckpt_reader_open(sub, &r), TFCKPT_OK); /* resolves to the latest */
  int64_t v = 0;
  CHECK_EQ(tfckpt_reader_read_into(r, "step", &v, sizeof v), TFCKPT_OK);
  CHECK_EQ(v, 5);
  tfckpt_reader_close(r);

  /* rewriting ckpt-5 with 2 shards removes its old single data file */
  snprintf(prefix, sizeof prefix, "%s/ckpt-5", sub);
  tfckpt_writer_options_init(&o);
  o.num_shards = 2;
  tfckpt_writer *w;
  CHECK_EQ(tfckpt_writer_open(prefix, &o, &w), TFCKPT_OK);
  tfckpt_tensor *t = make(TFCKPT_INT64, 0, NULL);
  *(int64_t *)tfckpt_tensor_mutable_data(t) = 55;
  CHECK_EQ(tfckpt_writer_add(w, "step", t), TFCKPT_OK);
  tfckpt_tensor_free(t);
  CHECK_EQ(tfckpt_writer_finish(w), TFCKPT_OK);
  tfckpt_writer_close(w);
  CHECK_EQ(tu_count_files(sub, "ckpt-5.data-00000-of-00001"), 0);
  CHECK_EQ(tu_count_files(sub, "ckpt-5.data-"), 2);
  CHECK_EQ(tfckpt_reader_open(prefix, &r), TFCKPT_OK);
  CHECK_EQ(tfckpt_reader_read_into(r, "step", &v, sizeof v), TFCKPT_OK);
  CHECK_EQ(v, 55);
  tfckpt_reader_close(r);
}

int main(void) {
  char *dir = tu_mkdtemp();
  test_tiny_exact_bytes(dir);
  test_string_exact_bytes(dir);
  test_roundtrip_all_dtypes(dir);
  test_errors(dir);
  test_state_file(dir);
  free(dir);
  return tu_finish();
}
