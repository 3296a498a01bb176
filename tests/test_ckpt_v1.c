/* Legacy V1 checkpoints: the real TF-written fixtures (names, dtypes, shapes,
 * values), synthetic files covering every dtype the V1 TensorProto fields
 * can hold (packed and unpacked), multi-slice and multi-shard tensors, and
 * malformed inputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format/bundle.h"
#include "format/proto.h"
#include "format/table_builder.h"
#include "format/v1.h"
#include "harness.h"
#include "tfckpt/reader.h"
#include "tfckpt/tensor.h"

/* ---------- real fixtures ---------- */

static float fval(const tfckpt_tensor *t, int64_t i) {
  float f;
  memcpy(&f, (const uint8_t *)tfckpt_tensor_data(t) + 4 * i, 4);
  return f;
}

static void test_acrobot(void) {
  tfckpt_reader *r;
  int rc = tfckpt_reader_open(tu_fixture("v1_acrobot_tf0x"), &r);
  CHECK_EQ(rc, TFCKPT_OK);
  if (rc) {
    fprintf(stderr, "%s\n", tfckpt_reader_errmsg(r));
    tfckpt_reader_close(r);
    return;
  }
  CHECK_EQ(tfckpt_reader_format(r), TFCKPT_CKPT_V1);
  CHECK_EQ(tfckpt_reader_num_variables(r), 34);
  tfckpt_var_info v;
  CHECK_EQ(tfckpt_reader_var(r, 0, &v), 0);
  CHECK(!strcmp(v.name, "policy/Stack/fully_connected_1/biases"));
  CHECK_EQ(v.dtype, TFCKPT_FLOAT);
  CHECK_EQ(v.rank, 1);
  CHECK_EQ(v.dims[0], 6);
  CHECK_EQ(v.num_slices, 0);
  int64_t i = tfckpt_reader_find(r, "value/value/Stack/fully_connected_3/weights/Adam_1");
  CHECK(i >= 0);
  tfckpt_reader_var(r, i, &v);
  CHECK_EQ(v.rank, 2);
  CHECK_EQ(v.dims[0], 6);
  CHECK_EQ(v.dims[1], 1);
  i = tfckpt_reader_find(r, "policy/beta1_power");
  tfckpt_reader_var(r, i, &v);
  CHECK_EQ(v.rank, 0);

  tfckpt_tensor *t;
  CHECK_EQ(tfckpt_reader_get_tensor(r, "policy/Stack/fully_connected_1/biases", &t), 0);
  if (t) {
    CHECK_EQ(tfckpt_tensor_num_elements(t), 6);
    CHECK(fval(t, 0) == 0.67410481f);
    CHECK(fval(t, 1) == -2.14627814f);
    CHECK(fval(t, 2) == -1.2345531f);
    CHECK(fval(t, 3) == 0.894192934f);
    tfckpt_tensor_free(t);
  }
  CHECK_EQ(tfckpt_reader_get_tensor(r, "policy/Stack/fully_connected_2/weights", &t), 0);
  if (t) {
    CHECK_EQ(tfckpt_tensor_num_elements(t), 18);
    CHECK(fval(t, 0) == 0.668195486f);
    CHECK(fval(t, 1) == -1.65609944f);
    CHECK(fval(t, 2) == 1.95877922f);
    CHECK(fval(t, 3) == -0.162406027f);
    tfckpt_tensor_free(t);
  }
  for (int64_t k = 0; k < tfckpt_reader_num_variables(r); k++)
    CHECK_EQ(tfckpt_reader_verify(r, k), 0);
  /* not found: the message suggests a close name */
  CHECK_EQ(tfckpt_reader_get_tensor(r, "policy/beta1_powr", &t), TFCKPT_ENOTFOUND);
  CHECK_CONTAINS(tfckpt_reader_errmsg(r), "did you mean \"policy/beta1_power\"");
  tfckpt_reader_close(r);
}

static void check_two_scalars(const char *rel, const char *a, const char *b) {
  tfckpt_reader *r;
  int rc = tfckpt_reader_open(tu_fixture(rel), &r);
  CHECK_EQ(rc, TFCKPT_OK);
  if (rc) {
    fprintf(stderr, "%s: %s\n", rel, tfckpt_reader_errmsg(r));
    tfckpt_reader_close(r);
    return;
  }
  CHECK_EQ(tfckpt_reader_format(r), TFCKPT_CKPT_V1);
  CHECK_EQ(tfckpt_reader_num_variables(r), 2);
  float x = 0, y = 0;
  CHECK_EQ(tfckpt_reader_read_into(r, a, &x, sizeof x), 0);
  CHECK_EQ(tfckpt_reader_read_into(r, b, &y, sizeof y), 0);
  CHECK(x == 0.5f);
  CHECK(y == 2.0f);
  tfckpt_var_info v;
  tfckpt_reader_var(r, 0, &v);
  CHECK(!strcmp(v.name, a));
  CHECK_EQ(v.rank, 0);
  CHECK_EQ(v.dtype, TFCKPT_FLOAT);
  CHECK_EQ(tfckpt_reader_verify(r, 0), 0);
  CHECK_EQ(tfckpt_reader_verify(r, 1), 0);
  tfckpt_reader_close(r);
}

static void test_spec_slices(void) {
  tfckpt_reader *r;
  int rc = tfckpt_reader_open(tu_fixture("spec_synthetic/v1_slices/model.ckpt-5"), &r);
  CHECK_EQ(rc, TFCKPT_OK);
  if (rc) {
    tfckpt_reader_close(r);
    return;
  }
  CHECK_EQ(tfckpt_reader_num_variables(r), 4);
  int64_t i = tfckpt_reader_find(r, "w");
  tfckpt_var_info v;
  tfckpt_reader_var(r, i, &v);
  CHECK_EQ(v.num_slices, 2);
  CHECK_EQ(v.dims[0], 4);
  CHECK_EQ(v.dims[1], 3);
  float w[12];
  CHECK_EQ(tfckpt_reader_read_into(r, "w", w, sizeof w), 0);
  for (int k = 0; k < 12; k++) CHECK(w[k] == (float)k);
  tfckpt_slice_info si;
  CHECK_EQ(tfckpt_reader_slice(r, i, 1, &si), 0);
  CHECK_EQ(si.start[0], 2);
  CHECK_EQ(si.length[0], 2);
  CHECK_EQ(si.length[1], -1);
  tfckpt_tensor *t;
  CHECK_EQ(tfckpt_reader_get_slice_tensor(r, i, 1, &t), 0);
  if (t) {
    CHECK_EQ(tfckpt_tensor_num_elements(t), 6);
    CHECK(fval(t, 0) == 6.0f);
    tfckpt_tensor_free(t);
  }
  int64_t step = 0;
  CHECK_EQ(tfckpt_reader_read_into(r, "step", &step, sizeof step), 0);
  CHECK_EQ(step, 5);
  int32_t ids[3];
  CHECK_EQ(tfckpt_reader_read_into(r, "ids", ids, sizeof ids), 0);
  CHECK(ids[0] == -1 && ids[1] == 0 && ids[2] == 7);
  CHECK_EQ(tfckpt_reader_get_tensor(r, "names", &t), 0);
  if (t) {
    const uint8_t *s;
    size_t n;
    CHECK_EQ(tfckpt_tensor_get_string(t, 0, &s, &n), 0);
    CHECK(n == 2 && !memcmp(s, "ab", 2));
    CHECK_EQ(tfckpt_tensor_get_string(t, 1, &s, &n), 0);
    CHECK_EQ(n, 0);
    tfckpt_tensor_free(t);
  }
  tfckpt_reader_close(r);
}

/* ---------- synthetic V1 writer ---------- */

typedef struct tslice {
  int rank; /* 0: the whole tensor (rank-0 slice of a scalar, or all-full) */
  int64_t start[4], length[4]; /* length -1: full */
  tfckpt__buf tensor;           /* TensorProto bytes */
  const char *record_name;     /* NULL: the tensor's */
} tslice;

typedef struct ttensor {
  const char *name;
  tfckpt_dtype dtype;
  int rank;
  int64_t dims[4];
  int nslices;
  tslice slices[4];
} ttensor;

static void put_slice(tfckpt__buf *b, uint32_t field, const tslice *s) {
  tfckpt__buf sp = {0};
  for (int d = 0; d < s->rank; d++) {
    tfckpt__buf ex = {0};
    if (s->length[d] != -1) {
      if (s->start[d]) tfckpt__pb_put_uint(&ex, 1, (uint64_t)s->start[d]);
      tfckpt__pb_put_uint(&ex, 2, (uint64_t)s->length[d]);
    }
    tfckpt__pb_put_bytes(&sp, 1, ex.data, ex.len);
    tfckpt__buf_free(&ex);
  }
  tfckpt__pb_put_bytes(b, field, sp.data, sp.len);
  tfckpt__buf_free(&sp);
}

static tfckpt__slice as_slice(const tslice *s, int64_t *st, int64_t *ln) {
  tfckpt__slice x = {s->rank, st, ln};
  for (int d = 0; d < s->rank; d++) {
    st[d] = s->length[d] == -1 ? 0 : s->start[d];
    ln[d] = s->length[d];
  }
  return x;
}

typedef struct kv {
  tfckpt__buf key, val;
} kv;

static int kv_cmp(const void *a, const void *b) {
  const kv *x = a, *y = b;
  size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
  int c = n ? memcmp(x->key.data, y->key.data, n) : 0;
  if (c) return c;
  return x->key.len < y->key.len ? -1 : x->key.len > y->key.len;
}

/* Writes a V1 file holding ts; `meta_override` replaces the "" value. */
static int write_v1(const char *path, ttensor *ts, int n, const tfckpt__buf *meta_override) {
  kv items[64];
  int m = 0;
  tfckpt__buf meta = {0}, toc = {0};
  for (int i = 0; i < n; i++) {
    tfckpt__buf sm = {0}, shape = {0};
    tfckpt__pb_put_bytes(&sm, 1, ts[i].name, strlen(ts[i].name));
    for (int d = 0; d < ts[i].rank; d++) {
      tfckpt__buf dim = {0};
      if (ts[i].dims[d]) tfckpt__pb_put_uint(&dim, 1, (uint64_t)ts[i].dims[d]);
      tfckpt__pb_put_bytes(&shape, 2, dim.data, dim.len);
      tfckpt__buf_free(&dim);
    }
    tfckpt__pb_put_bytes(&sm, 2, shape.data, shape.len);
    tfckpt__pb_put_uint(&sm, 3, (uint64_t)ts[i].dtype);
    for (int k = 0; k < ts[i].nslices; k++) put_slice(&sm, 4, &ts[i].slices[k]);
    tfckpt__pb_put_bytes(&toc, 1, sm.data, sm.len);
    tfckpt__buf_free(&sm);
    tfckpt__buf_free(&shape);
    for (int k = 0; k < ts[i].nslices; k++) {
      tslice *s = &ts[i].slices[k];
      kv *e = &items[m++];
      memset(e, 0, sizeof *e);
      int64_t st[4], ln[4];
      tfckpt__slice x = as_slice(s, st, ln);
      tfckpt__encode_slice_key(&e->key, ts[i].name, strlen(ts[i].name), &x);
      tfckpt__buf ss = {0};
      const char *rn = s->record_name ? s->record_name : ts[i].name;
      tfckpt__pb_put_bytes(&ss, 1, rn, strlen(rn));
      put_slice(&ss, 2, s);
      tfckpt__pb_put_bytes(&ss, 3, s->tensor.data ? s->tensor.data : (uint8_t *)"", s->tensor.len);
      tfckpt__pb_put_bytes(&e->val, 2, ss.data, ss.len);
      tfckpt__buf_free(&ss);
    }
  }
  tfckpt__buf ver = {0};
  tfckpt__pb_put_uint(&ver, 1, 1);
  tfckpt__pb_put_bytes(&toc, 2, ver.data, ver.len);
  tfckpt__buf_free(&ver);
  tfckpt__pb_put_bytes(&meta, 1, toc.data, toc.len);
  tfckpt__buf_free(&toc);
  kv *first = &items[m++];
  memset(first, 0, sizeof *first);
  if (meta_override)
    tfckpt__buf_append(&first->val, meta_override->data, meta_override->len);
  else
    tfckpt__buf_append(&first->val, meta.data, meta.len);
  tfckpt__buf_free(&meta);
  qsort(items, (size_t)m, sizeof *items, kv_cmp);
  tfckpt__buf out = {0};
  tfckpt__table_builder tb;
  tfckpt__table_builder_init(&tb, &out);
  int rc = 0;
  for (int i = 0; i < m && !rc; i++)
    rc = tfckpt__table_builder_add(&tb, items[i].key.data ? items[i].key.data : (uint8_t *)"",
                                  items[i].key.len, items[i].val.data, items[i].val.len);
  if (!rc) rc = tfckpt__table_builder_finish(&tb);
  tfckpt__table_builder_free(&tb);
  if (!rc) rc = tu_write_file(path, out.data, out.len);
  tfckpt__buf_free(&out);
  for (int i = 0; i < m; i++) {
    tfckpt__buf_free(&items[i].key);
    tfckpt__buf_free(&items[i].val);
  }
  for (int i = 0; i < n; i++)
    for (int k = 0; k < ts[i].nslices; k++) tfckpt__buf_free(&ts[i].slices[k].tensor);
  return rc;
}

static void whole(ttensor *t) {
  t->nslices = 1;
  t->slices[0].rank = t->rank;
  for (int d = 0; d < t->rank; d++) t->slices[0].length[d] = -1;
}

static void packed_varints(tfckpt__buf *b, uint32_t field, const int64_t *v, int n) {
  tfckpt__buf p = {0};
  for (int i = 0; i < n; i++) tfckpt__pb_put_varint(&p, (uint64_t)v[i]);
  tfckpt__pb_put_bytes(b, field, p.data, p.len);
  tfckpt__buf_free(&p);
}

static uint32_t fbits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static uint64_t dbits(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

static char *g_tmp;

static tfckpt_reader *open_ok(const char *path) {
  tfckpt_reader *r;
  int rc = tfckpt_reader_open(path, &r);
  CHECK_EQ(rc, TFCKPT_OK);
  if (rc) {
    fprintf(stderr, "open %s: %s\n", path, tfckpt_reader_errmsg(r));
    tfckpt_reader_close(r);
    return NULL;
  }
  return r;
}

static void test_all_dtypes(void) {
  ttensor ts[20];
  memset(ts, 0, sizeof ts);
  int n = 0;
  /* float32 [2,2], packed */
  ttensor *t = &ts[n++];
  *t = (ttensor){.name = "f32", .dtype = TFCKPT_FLOAT, .rank = 2, .dims = {2, 2}};
  whole(t);
  float f[4] = {1.5f, -2.0f, 3.0f, 4.25f};
  tfckpt__pb_put_bytes(&t->slices[0].tensor, 5, f, sizeof f);
  /* float64 [2], unpacked */
  t = &ts[n++];
  *t = (ttensor){.name = "f64", .dtype = TFCKPT_DOUBLE, .rank = 1, .dims = {2}};
  whole(t);
  tfckpt__pb_put_fixed64(&t->slices[0].tensor, 6, dbits(1e300));
  tfckpt__pb_put_fixed64(&t->slices[0].tensor, 6, dbits(-2.5));
  /* int32 [3], packed, negative as 10-byte varints */
  t = &ts[n++];
  *t = (ttensor){.name = "i32", .dtype = TFCKPT_INT32, .rank = 1, .dims = {3}};
  whole(t);
  packed_varints(&t->slices[0].tensor, 7, (int64_t[]){-1, 0, 2147483647}, 3);
  /* int16, int8, uint8, qint8, quint8, qint32 through int_val */
  t = &ts[n++];
  *t = (ttensor){.name = "i16", .dtype = TFCKPT_INT16, .rank = 1, .dims = {2}};
  whole(t);
  packed_varints(&t->slices[0].tensor, 7, (int64_t[]){-32768, 7}, 2);
  t = &ts[n++];
  *t = (ttensor){.name = "i8", .dtype = TFCKPT_INT8, .rank = 1, .dims = {2}};
  whole(t);
  tfckpt__pb_put_uint(&t->slices[0].tensor, 7, (uint64_t)(int64_t)-128); /* unpacked */
  tfckpt__pb_put_uint(&t->slices[0].tensor, 7, 127);
  t = &ts[n++];
  *t = (ttensor){.name = "u8", .dtype = TFCKPT_UINT8, .rank = 1, .dims = {2}};
  whole(t);
  packed_varints(&t->slices[0].tensor, 7, (int64_t[]){0, 255}, 2);
  t = &ts[n++];
  *t = (ttensor){.name = "qi32", .dtype = TFCKPT_QINT32, .rank = 0};
  whole(t);
  packed_varints(&t->slices[0].tensor, 7, (int64_t[]){-5}, 1);
  /* int64 scalar */
  t = &ts[n++];
  *t = (ttensor){.name = "i64", .dtype = TFCKPT_INT64, .rank = 0};
  whole(t);
  packed_varints(&t->slices[0].tensor, 10, (int64_t[]){-4611686018427387904LL}, 1);
  /* bool, unpacked */
  t = &ts[n++];
  *t = (ttensor){.name = "bool", .dtype = TFCKPT_BOOL, .rank = 1, .dims = {3}};
  whole(t);
  tfckpt__pb_put_uint(&t->slices[0].tensor, 11, 1);
  tfckpt__pb_put_uint(&t->slices[0].tensor, 11, 0);
  tfckpt__pb_put_uint(&t->slices[0].tensor, 11, 1);
  /* half */
  t = &ts[n++];
  *t = (ttensor){.name = "half", .dtype = TFCKPT_HALF, .rank = 1, .dims = {2}};
  whole(t);
  packed_varints(&t->slices[0].tensor, 13, (int64_t[]){0x3C00, 0xC000}, 2);
  /* complex64 / complex128 */
  t = &ts[n++];
  *t = (ttensor){.name = "c64", .dtype = TFCKPT_COMPLEX64, .rank = 1, .dims = {1}};
  whole(t);
  float c[2] = {1.0f, 2.0f};
  tfckpt__pb_put_bytes(&t->slices[0].tensor, 9, c, sizeof c);
  t = &ts[n++];
  *t = (ttensor){.name = "c128", .dtype = TFCKPT_COMPLEX128, .rank = 0};
  whole(t);
  tfckpt__pb_put_fixed64(&t->slices[0].tensor, 12, dbits(-3.5));
  tfckpt__pb_put_fixed64(&t->slices[0].tensor, 12, dbits(0.25));
  /* strings */
  t = &ts[n++];
  *t = (ttensor){.name = "str", .dtype = TFCKPT_STRING, .rank = 1, .dims = {3}};
  whole(t);
  tfckpt__pb_put_bytes(&t->slices[0].tensor, 8, "", 0);
  tfckpt__pb_put_bytes(&t->slices[0].tensor, 8, "hello", 5);
  tfckpt__pb_put_bytes(&t->slices[0].tensor, 8, "\0\xff", 2);
  /* uint32 / uint64 */
  t = &ts[n++];
  *t = (ttensor){.name = "u32", .dtype = TFCKPT_UINT32, .rank = 1, .dims = {1}};
  whole(t);
  tfckpt__pb_put_uint(&t->slices[0].tensor, 16, 4294967295u);
  t = &ts[n++];
  *t = (ttensor){.name = "u64", .dtype = TFCKPT_UINT64, .rank = 1, .dims = {1}};
  whole(t);
  tfckpt__pb_put_uint(&t->slices[0].tensor, 17, UINT64_MAX);
  /* tensor_content (tolerated) */
  t = &ts[n++];
  *t = (ttensor){.name = "tc", .dtype = TFCKPT_FLOAT, .rank = 1, .dims = {2}};
  whole(t);
  float tc[2] = {7.0f, -8.0f};
  tfckpt__pb_put_uint(&t->slices[0].tensor, 1, TFCKPT_FLOAT);
  tfckpt__pb_put_bytes(&t->slices[0].tensor, 4, tc, sizeof tc);
  /* a string tensor stored as two slices */
  t = &ts[n++];
  *t = (ttensor){.name = "sparts", .dtype = TFCKPT_STRING, .rank = 2, .dims = {2, 2}, .nslices = 2};
  t->slices[0] = (tslice){.rank = 2, .start = {0, 0}, .length = {1, -1}};
  t->slices[1] = (tslice){.rank = 2, .start = {1, 0}, .length = {1, -1}};
  tfckpt__pb_put_bytes(&t->slices[0].tensor, 8, "a", 1);
  tfckpt__pb_put_bytes(&t->slices[0].tensor, 8, "bb", 2);
  tfckpt__pb_put_bytes(&t->slices[1].tensor, 8, "ccc", 3);
  tfckpt__pb_put_bytes(&t->slices[1].tensor, 8, "", 0);
  /* an empty tensor listed with no slice */
  t = &ts[n++];
  *t = (ttensor){.name = "empty", .dtype = TFCKPT_FLOAT, .rank = 2, .dims = {0, 3}};

  char *path = tu_path(g_tmp, "dtypes.ckpt");
  CHECK_EQ(write_v1(path, ts, n, NULL), 0);
  tfckpt_reader *r = open_ok(path);
  free(path);
  if (!r) return;
  CHECK_EQ(tfckpt_reader_num_variables(r), n);
  for (int64_t i = 0; i < tfckpt_reader_num_variables(r); i++) {
    int rc = tfckpt_reader_verify(r, i);
    CHECK_EQ(rc, 0);
    if (rc) fprintf(stderr, "verify: %s\n", tfckpt_reader_errmsg(r));
  }
  float fo[4];
  CHECK_EQ(tfckpt_reader_read_into(r, "f32", fo, sizeof fo), 0);
  CHECK(!memcmp(fo, f, sizeof f));
  double d[2];
  CHECK_EQ(tfckpt_reader_read_into(r, "f64", d, sizeof d), 0);
  CHECK(d[0] == 1e300 && d[1] == -2.5);
  int32_t i32[3];
  CHECK_EQ(tfckpt_reader_read_into(r, "i32", i32, sizeof i32), 0);
  CHECK(i32[0] == -1 && i32[1] == 0 && i32[2] == 2147483647);
  int16_t i16[2];
  CHECK_EQ(tfckpt_reader_read_into(r, "i16", i16, sizeof i16), 0);
  CHECK(i16[0] == -32768 && i16[1] == 7);
  int8_t i8[2];
  CHECK_EQ(tfckpt_reader_read_into(r, "i8", i8, sizeof i8), 0);
  CHECK(i8[0] == -128 && i8[1] == 127);
  uint8_t u8[2];
  CHECK_EQ(tfckpt_reader_read_into(r, "u8", u8, sizeof u8), 0);
  CHECK(u8[0] == 0 && u8[1] == 255);
  int32_t q = 0;
  CHECK_EQ(tfckpt_reader_read_into(r, "qi32", &q, sizeof q), 0);
  CHECK_EQ(q, -5);
  int64_t i64 = 0;
  CHECK_EQ(tfckpt_reader_read_into(r, "i64", &i64, sizeof i64), 0);
  CHECK(i64 == -4611686018427387904LL);
  uint8_t b[3];
  CHECK_EQ(tfckpt_reader_read_into(r, "bool", b, sizeof b), 0);
  CHECK(b[0] == 1 && b[1] == 0 && b[2] == 1);
  tfckpt_tensor *t2;
  CHECK_EQ(tfckpt_reader_get_tensor(r, "half", &t2), 0);
  if (t2) {
    CHECK(tfckpt_tensor_get_double(t2, 0) == 1.0);
    CHECK(tfckpt_tensor_get_double(t2, 1) == -2.0);
    tfckpt_tensor_free(t2);
  }
  float c64[2];
  CHECK_EQ(tfckpt_reader_read_into(r, "c64", c64, sizeof c64), 0);
  CHECK(c64[0] == 1.0f && c64[1] == 2.0f);
  double c128[2];
  CHECK_EQ(tfckpt_reader_read_into(r, "c128", c128, sizeof c128), 0);
  CHECK(c128[0] == -3.5 && c128[1] == 0.25);
  uint32_t u32 = 0;
  CHECK_EQ(tfckpt_reader_read_into(r, "u32", &u32, sizeof u32), 0);
  CHECK(u32 == 4294967295u);
  uint64_t u64 = 0;
  CHECK_EQ(tfckpt_reader_read_into(r, "u64", &u64, sizeof u64), 0);
  CHECK(u64 == UINT64_MAX);
  float tco[2];
  CHECK_EQ(tfckpt_reader_read_into(r, "tc", tco, sizeof tco), 0);
  CHECK(tco[0] == 7.0f && tco[1] == -8.0f);
  CHECK_EQ(tfckpt_reader_get_tensor(r, "str", &t2), 0);
  if (t2) {
    const uint8_t *s;
    size_t len;
    tfckpt_tensor_get_string(t2, 0, &s, &len);
    CHECK_EQ(len, 0);
    tfckpt_tensor_get_string(t2, 1, &s, &len);
    CHECK(len == 5 && !memcmp(s, "hello", 5));
    tfckpt_tensor_get_string(t2, 2, &s, &len);
    CHECK(len == 2 && s[0] == 0 && s[1] == 0xff);
    tfckpt_tensor_free(t2);
  }
  CHECK_EQ(tfckpt_reader_get_tensor(r, "sparts", &t2), 0);
  if (t2) {
    static const char *const want[4] = {"a", "bb", "ccc", ""};
    for (int k = 0; k < 4; k++) {
      const uint8_t *s;
      size_t len;
      CHECK_EQ(tfckpt_tensor_get_string(t2, k, &s, &len), 0);
      CHECK(len == strlen(want[k]) && !memcmp(s, want[k], len));
    }
    tfckpt_tensor_free(t2);
  }
  CHECK_EQ(tfckpt_reader_get_tensor(r, "empty", &t2), 0);
  if (t2) {
    CHECK_EQ(tfckpt_tensor_num_elements(t2), 0);
    tfckpt_tensor_free(t2);
  }
  tfckpt_reader_close(r);
}

static void test_sharded(void) {
  ttensor a[2], b[2];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  a[0] = (ttensor){.name = "x", .dtype = TFCKPT_INT32, .rank = 1, .dims = {4}, .nslices = 1};
  a[0].slices[0] = (tslice){.rank = 1, .start = {0}, .length = {2}};
  packed_varints(&a[0].slices[0].tensor, 7, (int64_t[]){10, 11}, 2);
  b[0] = (ttensor){.name = "x", .dtype = TFCKPT_INT32, .rank = 1, .dims = {4}, .nslices = 1};
  b[0].slices[0] = (tslice){.rank = 1, .start = {2}, .length = {2}};
  packed_varints(&b[0].slices[0].tensor, 7, (int64_t[]){12, 13}, 2);
  b[1] = (ttensor){.name = "y", .dtype = TFCKPT_FLOAT, .rank = 0};
  whole(&b[1]);
  tfckpt__pb_put_fixed32(&b[1].slices[0].tensor, 5, fbits(9.5f));
  char *p0 = tu_path(g_tmp, "sh.ckpt-00000-of-00002"), *p1 = tu_path(g_tmp, "sh.ckpt-00001-of-00002");
  char *prefix = tu_path(g_tmp, "sh.ckpt");
  CHECK_EQ(write_v1(p0, a, 1, NULL), 0);
  /* only shard 0 present: the missing shard is named */
  tfckpt_reader *r;
  CHECK_EQ(tfckpt_reader_open(prefix, &r), TFCKPT_ENOTFOUND);
  CHECK_CONTAINS(tfckpt_reader_errmsg(r), "a shard is missing");
  tfckpt_reader_close(r);
  CHECK_EQ(write_v1(p1, b, 2, NULL), 0);
  r = open_ok(prefix);
  if (r) {
    CHECK_EQ(tfckpt_reader_num_shards(r), 2);
    CHECK_EQ(tfckpt_reader_num_variables(r), 2);
    tfckpt_var_info v;
    tfckpt_reader_var(r, 0, &v);
    CHECK(!strcmp(v.name, "x"));
    CHECK_EQ(v.num_slices, 2);
    int32_t x[4];
    CHECK_EQ(tfckpt_reader_read_into(r, "x", x, sizeof x), 0);
    CHECK(x[0] == 10 && x[1] == 11 && x[2] == 12 && x[3] == 13);
    float y = 0;
    CHECK_EQ(tfckpt_reader_read_into(r, "y", &y, sizeof y), 0);
    CHECK(y == 9.5f);
    tfckpt_reader_close(r);
  }
  free(p0);
  free(p1);
  free(prefix);
}

/* Opens a one-tensor file; returns the open status and the message (and
 * the read status of the tensor when the open succeeded). */
static int try_one(ttensor *t, const tfckpt__buf *meta, int *read_rc, char *msg, size_t cap) {
  static int seq;
  char name[64];
  snprintf(name, sizeof name, "bad%d.ckpt", seq++);
  char *path = tu_path(g_tmp, name);
  write_v1(path, t, t ? 1 : 0, meta);
  tfckpt_reader *r;
  int rc = tfckpt_reader_open(path, &r);
  *read_rc = 0;
  snprintf(msg, cap, "%s", tfckpt_reader_errmsg(r));
  if (rc == 0 && tfckpt_reader_num_variables(r) > 0) {
    tfckpt_tensor *x;
    *read_rc = tfckpt_reader_get_tensor_at(r, 0, &x);
    if (*read_rc == 0) tfckpt_tensor_free(x);
    else snprintf(msg, cap, "%s", tfckpt_reader_errmsg(r));
    int vrc = tfckpt_reader_verify(r, 0);
    CHECK_EQ(vrc, *read_rc); /* verify finds what a read finds */
  }
  tfckpt_reader_close(r);
  free(path);
  return rc;
}

static void test_bad_inputs(void) {
  char msg[TFCKPT_ERRMSG_MAX];
  int rrc;
  ttensor t;
  /* too few values */
  t = (ttensor){.name = "v", .dtype = TFCKPT_FLOAT, .rank = 1, .dims = {4}};
  whole(&t);
  tfckpt__pb_put_bytes(&t.slices[0].tensor, 5, (float[]){1, 2, 3}, 12);
  CHECK_EQ(try_one(&t, NULL, &rrc, msg, sizeof msg), 0);
  CHECK_EQ(rrc, TFCKPT_ECORRUPT);
  CHECK_CONTAINS(msg, "tensor \"v\": holds 3 values, the slice needs 4");
  /* too many values */
  t = (ttensor){.name = "v", .dtype = TFCKPT_INT64, .rank = 1, .dims = {1}};
  whole(&t);
  packed_varints(&t.slices[0].tensor, 10, (int64_t[]){1, 2}, 2);
  CHECK_EQ(try_one(&t, NULL, &rrc, msg, sizeof msg), 0);
  CHECK_CONTAINS(msg, "holds more values than the slice's 1");
  /* wrong wire type: float_val as a varint */
  t = (ttensor){.name = "v", .dtype = TFCKPT_FLOAT, .rank = 0};
  whole(&t);
  tfckpt__pb_put_uint(&t.slices[0].tensor, 5, 3);
  CHECK_EQ(try_one(&t, NULL, &rrc, msg, sizeof msg), 0);
  CHECK_CONTAINS(msg, "TensorProto field 5 has wire type 0");
  /* a huge declared length inside the TensorProto */
  t = (ttensor){.name = "v", .dtype = TFCKPT_FLOAT, .rank = 0};
  whole(&t);
  tfckpt__pb_put_tag(&t.slices[0].tensor, 5, PB_LEN);
  tfckpt__pb_put_varint(&t.slices[0].tensor, 1ull << 40);
  tfckpt__buf_append(&t.slices[0].tensor, "abcd", 4);
  CHECK_EQ(try_one(&t, NULL, &rrc, msg, sizeof msg), 0);
  CHECK_CONTAINS(msg, "malformed TensorProto");
  /* the record names another tensor */
  t = (ttensor){.name = "v", .dtype = TFCKPT_FLOAT, .rank = 0};
  whole(&t);
  t.slices[0].record_name = "other";
  tfckpt__pb_put_fixed32(&t.slices[0].tensor, 5, fbits(1));
  CHECK_EQ(try_one(&t, NULL, &rrc, msg, sizeof msg), 0);
  CHECK_CONTAINS(msg, "the record stored for tensor \"v\" names \"other\"");
  /* a TensorProto dtype that disagrees */
  t = (ttensor){.name = "v", .dtype = TFCKPT_FLOAT, .rank = 0};
  whole(&t);
  tfckpt__pb_put_uint(&t.slices[0].tensor, 1, TFCKPT_DOUBLE);
  tfckpt__pb_put_fixed64(&t.slices[0].tensor, 6, dbits(1));
  CHECK_EQ(try_one(&t, NULL, &rrc, msg, sizeof msg), 0);
  CHECK_CONTAINS(msg, "TensorProto says dtype float64, expected float32");
  /* slices outside the shape, overlapping, not covering */
  t = (ttensor){.name = "v", .dtype = TFCKPT_FLOAT, .rank = 1, .dims = {4}, .nslices = 1};
  t.slices[0] = (tslice){.rank = 1, .start = {3}, .length = {2}};
  CHECK_EQ(try_one(&t, NULL, &rrc, msg, sizeof msg), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(msg, "tensor \"v\": slice 3,2 lies outside its shape");
  t = (ttensor){.name = "v", .dtype = TFCKPT_FLOAT, .rank = 1, .dims = {4}, .nslices = 2};
  t.slices[0] = (tslice){.rank = 1, .start = {0}, .length = {3}};
  t.slices[1] = (tslice){.rank = 1, .start = {2}, .length = {2}};
  CHECK_EQ(try_one(&t, NULL, &rrc, msg, sizeof msg), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(msg, "slices 0 and 1 overlap");
  t = (ttensor){.name = "v", .dtype = TFCKPT_FLOAT, .rank = 1, .dims = {4}, .nslices = 1};
  t.slices[0] = (tslice){.rank = 1, .start = {0}, .length = {2}};
  CHECK_EQ(try_one(&t, NULL, &rrc, msg, sizeof msg), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(msg, "its slices cover 2 of 4 elements");
  /* listed with no slice although it has elements */
  t = (ttensor){.name = "v", .dtype = TFCKPT_FLOAT, .rank = 1, .dims = {4}};
  CHECK_EQ(try_one(&t, NULL, &rrc, msg, sizeof msg), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(msg, "tensor \"v\" is listed with no stored slice");
  /* invalid dtype */
  t = (ttensor){.name = "v", .dtype = 99, .rank = 0};
  whole(&t);
  CHECK_EQ(try_one(&t, NULL, &rrc, msg, sizeof msg), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(msg, "tensor \"v\" has invalid dtype 99");
  /* a slice whose rank differs from the tensor's */
  t = (ttensor){.name = "v", .dtype = TFCKPT_FLOAT, .rank = 2, .dims = {2, 2}, .nslices = 1};
  t.slices[0] = (tslice){.rank = 1, .start = {0}, .length = {-1}};
  CHECK_EQ(try_one(&t, NULL, &rrc, msg, sizeof msg), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(msg, "has rank 1, the tensor 2");

  /* table of contents: truncated, wrong wire type, data instead of meta */
  tfckpt__buf meta = {0};
  tfckpt__pb_put_tag(&meta, 1, PB_LEN);
  tfckpt__pb_put_varint(&meta, 50);
  tfckpt__buf_append(&meta, "\x0a\x05", 2);
  CHECK_EQ(try_one(NULL, &meta, &rrc, msg, sizeof msg), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(msg, "malformed SavedTensorSlices (truncated protobuf)");
  tfckpt__buf_free(&meta);
  tfckpt__pb_put_uint(&meta, 1, 5);
  CHECK_EQ(try_one(NULL, &meta, &rrc, msg, sizeof msg), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(msg, "SavedTensorSlices.meta has wire type 0");
  tfckpt__buf_free(&meta);
  tfckpt__pb_put_bytes(&meta, 2, "", 0);
  CHECK_EQ(try_one(NULL, &meta, &rrc, msg, sizeof msg), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(msg, "holds slice data, not the table of contents");
  tfckpt__buf_free(&meta);
  /* a SavedSliceMeta with a truncated slice list */
  tfckpt__buf sm = {0}, toc = {0};
  tfckpt__pb_put_bytes(&sm, 1, "v", 1);
  tfckpt__pb_put_tag(&sm, 4, PB_LEN);
  tfckpt__pb_put_varint(&sm, 9);
  tfckpt__pb_put_bytes(&toc, 1, sm.data, sm.len);
  tfckpt__pb_put_bytes(&meta, 1, toc.data, toc.len);
  CHECK_EQ(try_one(NULL, &meta, &rrc, msg, sizeof msg), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(msg, "tensor 0 of the table of contents: malformed SavedSliceMeta");
  tfckpt__buf_free(&meta);
  tfckpt__buf_free(&sm);
  tfckpt__buf_free(&toc);

  /* a corrupted block: its CRC catches it */
  t = (ttensor){.name = "v", .dtype = TFCKPT_FLOAT, .rank = 0};
  whole(&t);
  tfckpt__pb_put_fixed32(&t.slices[0].tensor, 5, fbits(1));
  char *path = tu_path(g_tmp, "crc.ckpt");
  CHECK_EQ(write_v1(path, &t, 1, NULL), 0);
  CHECK_EQ(tu_flip_byte(path, 10, 0x01), 0);
  tfckpt_reader *r;
  CHECK_EQ(tfckpt_reader_open(path, &r), TFCKPT_ECHECKSUM);
  CHECK_CONTAINS(tfckpt_reader_errmsg(r), "block checksum mismatch at offset 0");
  tfckpt_reader_close(r);
  /* truncated file: no longer a table */
  CHECK_EQ(write_v1(path, (t.slices[0].tensor = (tfckpt__buf){0}, &t), 1, NULL), 0);
  CHECK_EQ(tu_truncate(path, 30), 0);
  CHECK(tfckpt_reader_open(path, &r) != TFCKPT_OK);
  tfckpt_reader_close(r);
  free(path);
}

/* decode_values directly: every dtype without a V1 field is refused. */
static void test_decode_values(void) {
  tfckpt__err err = {0, ""};
  uint8_t out[16];
  CHECK_EQ(tfckpt__v1_decode_values((const uint8_t *)"", 0, TFCKPT_VARIANT, 1, out, NULL, NULL,
                                   &err),
           TFCKPT_EUNSUPPORTED);
  CHECK_CONTAINS(err.msg, "V1 checkpoints cannot hold variant values");
  CHECK(!tfckpt__v1_dtype_supported(TFCKPT_RESOURCE));
  CHECK(tfckpt__v1_dtype_supported(TFCKPT_HALF));
  /* empty proto for zero elements is fine, for one element it is not */
  CHECK_EQ(tfckpt__v1_decode_values((const uint8_t *)"", 0, TFCKPT_FLOAT, 0, out, NULL, NULL, &err), 0);
  CHECK_EQ(tfckpt__v1_decode_values((const uint8_t *)"", 0, TFCKPT_FLOAT, 1, out, NULL, NULL, &err),
           TFCKPT_ECORRUPT);
  CHECK_CONTAINS(err.msg, "holds 0 values, the slice needs 1");
  /* truncated packed fixed64 */
  uint8_t p[] = {0x32, 0x03, 1, 2, 3};
  CHECK_EQ(tfckpt__v1_decode_values(p, sizeof p, TFCKPT_DOUBLE, 1, out, NULL, NULL, &err),
           TFCKPT_ECORRUPT);
  CHECK_CONTAINS(err.msg, "truncated packed values");
}

/* Truncations and bit flips of real files: an error or a success, never a
 * crash (run under ASan/UBSan in CI). */
static void test_mutations(void) {
  static const char *const files[] = {"spec_synthetic/v1_slices/model.ckpt-5",
                                      "v1_serving_bad_half_plus_two/export"};
  int quick = getenv("TFCKPT_QUICK") != NULL;
  for (size_t fi = 0; fi < sizeof files / sizeof *files; fi++) {
    size_t n;
    uint8_t *orig = tu_read_file(tu_fixture(files[fi]), &n);
    CHECK(orig != NULL);
    if (!orig) continue;
    char *path = tu_path(g_tmp, "mut.ckpt");
    int opened = 0, failed = 0;
    for (size_t pos = 0; pos < n; pos += quick ? 3 : 1) {
      for (int mode = 0; mode < 2; mode++) {
        uint8_t *m = malloc(n);
        memcpy(m, orig, n);
        size_t len = n;
        if (mode == 0) m[pos] ^= (uint8_t)(1u << (pos % 8));
        else len = pos;
        tu_write_file(path, m, len);
        free(m);
        tfckpt_reader *r;
        if (tfckpt_reader_open(path, &r) == TFCKPT_OK) {
          opened++;
          for (int64_t i = 0; i < tfckpt_reader_num_variables(r); i++) {
            tfckpt_tensor *t;
            if (tfckpt_reader_get_tensor_at(r, i, &t) == 0) tfckpt_tensor_free(t);
            tfckpt_reader_verify(r, i);
          }
        } else {
          failed++;
          CHECK(strlen(tfckpt_reader_errmsg(r)) > 0);
        }
        tfckpt_reader_close(r);
      }
    }
    CHECK(failed > 0);
    free(path);
    free(orig);
    (void)opened;
  }
}

int main(void) {
  g_tmp = tu_mkdtemp();
  test_acrobot();
  check_two_scalars("v1_serving_bad_half_plus_two", "Variable", "Variable_1");
  check_two_scalars("v1_serving_session_bundle_half_plus_two/export-00000-of-00001", "a", "b");
  check_two_scalars("v1_serving_session_bundle_half_plus_two/export", "a", "b");
  test_spec_slices();
  test_all_dtypes();
  test_sharded();
  test_bad_inputs();
  test_decode_values();
  test_mutations();
  free(g_tmp);
  return tu_finish();
}
