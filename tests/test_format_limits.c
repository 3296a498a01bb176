/* Limits checked before allocation (issue 7, item 3): inputs of a few bytes
 * that declare sizes beyond the file, shape products that overflow, absurd
 * counts, deep nesting and self references.  Every parser must refuse them
 * with a clear message, quickly (no allocation proportional to the declared
 * size: the sanitizer build would abort on a huge malloc), and the deep
 * nesting must not recurse (a stack overflow would crash).
 * (Bundle entries pointing past their data file and string tensors declaring
 * billions of elements are covered by test_ckpt_reader_errors.c.) */
#include <stdlib.h>
#include <string.h>

#include "core/crc32c.h"
#include "format/bundle.h"
#include "format/metagraph.h"
#include "format/proto.h"
#include "format/state.h"
#include "format/table.h"
#include "format/v1.h"
#include "harness.h"
#include "tfckpt/convert.h"
#include "tfckpt/objgraph.h"
#include "tfckpt/reader.h"

static void put_varint(tfckpt__buf *b, uint64_t v) { tfckpt__pb_put_varint(b, v); }

static void put_len(tfckpt__buf *b, uint32_t field, const void *p, size_t n) {
  put_varint(b, (uint64_t)field << 3 | 2);
  put_varint(b, n);
  tfckpt__buf_append(b, p, n);
}

static void put_u32(tfckpt__buf *b, uint32_t v) {
  uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  tfckpt__buf_append(b, x, 4);
}

/* A table file whose only data block is `blk` (type byte `type`), with a
 * correct block CRC, a valid index block and footer. */
static void make_table(tfckpt__buf *t, const uint8_t *blk, size_t n, uint8_t type,
                       uint64_t fake_size) {
  memset(t, 0, sizeof *t);
  tfckpt__buf_append(t, blk, n);
  uint8_t ty = type;
  tfckpt__buf_append(t, &ty, 1);
  put_u32(t, tfckpt__crc_mask(tfckpt__crc32c(t->data, n + 1)));
  /* index block: one entry "\xff" -> handle(0, fake_size or n) */
  size_t io = t->len;
  tfckpt__buf h;
  memset(&h, 0, sizeof h);
  put_varint(&h, 0);
  put_varint(&h, fake_size ? fake_size : n);
  put_varint(t, 0);
  put_varint(t, 1);
  put_varint(t, h.len);
  tfckpt__buf_append(t, "\xff", 1);
  tfckpt__buf_append(t, h.data, h.len);
  put_u32(t, 0); /* restart[0] */
  put_u32(t, 1); /* num_restarts */
  size_t is = t->len - io;
  ty = 0;
  tfckpt__buf_append(t, &ty, 1);
  put_u32(t, tfckpt__crc_mask(tfckpt__crc32c(t->data + io, is + 1)));
  /* footer: metaindex handle (empty), index handle, padding, magic */
  size_t fo = t->len;
  put_varint(t, 0);
  put_varint(t, 0);
  put_varint(t, io);
  put_varint(t, is);
  while (t->len < fo + 40) tfckpt__buf_append(t, "", 1);
  uint64_t m = TFCKPT_TABLE_MAGIC;
  put_u32(t, (uint32_t)m);
  put_u32(t, (uint32_t)(m >> 32));
  tfckpt__buf_free(&h);
}

static int count_visit(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
  (void)k, (void)kl, (void)v, (void)vl;
  ++*(int *)ctx;
  return 0;
}

static void test_table(void) {
  tfckpt__err err;
  tfckpt__table *t = NULL;
  tfckpt__buf b;
  /* a block handle far beyond the file */
  make_table(&b, (const uint8_t *)"\0\0\0\0\1\0\0\0", 8, 0, (uint64_t)1 << 60);
  int rc = tfckpt__table_open(b.data, b.len, "big.index", &t, &err);
  int visits = 0;
  if (rc == TFCKPT_OK) rc = tfckpt__table_foreach(t, count_visit, &visits, &err);
  CHECK_EQ(rc, TFCKPT_ECORRUPT);
  CHECK_CONTAINS(err.msg, "big.index: truncated block read");
  tfckpt__table_close(t);
  t = NULL;
  tfckpt__buf_free(&b);

  /* a snappy block declaring 2 GiB uncompressed in 6 bytes */
  uint8_t snap[] = {0x80, 0x80, 0x80, 0x80, 0x08, 0x00};
  make_table(&b, snap, sizeof snap, 1, 0);
  rc = tfckpt__table_open(b.data, b.len, "snappy.index", &t, &err);
  if (rc == TFCKPT_OK) rc = tfckpt__table_foreach(t, count_visit, &visits, &err);
  CHECK_EQ(rc, TFCKPT_ECORRUPT);
  CHECK_CONTAINS(err.msg, "snappy.index: snappy block at offset 0 claims");
  tfckpt__table_close(t);
  t = NULL;
  tfckpt__buf_free(&b);

  /* a block claiming 2^30 restart points */
  uint8_t rs[] = {0, 0, 0, 0x40};
  make_table(&b, rs, sizeof rs, 0, 0);
  rc = tfckpt__table_open(b.data, b.len, "restarts.index", &t, &err);
  if (rc == TFCKPT_OK) rc = tfckpt__table_foreach(t, count_visit, &visits, &err);
  CHECK_EQ(rc, TFCKPT_ECORRUPT);
  CHECK_CONTAINS(err.msg, "restarts.index");
  CHECK_EQ(visits, 0);
  tfckpt__table_close(t);
  tfckpt__buf_free(&b);
}

static void test_shapes(void) {
  tfckpt__err err;
  /* dims whose product overflows int64 */
  int64_t big[] = {INT64_C(1) << 40, INT64_C(1) << 40};
  CHECK_EQ(tfckpt__num_elements(2, big), -1);
  int64_t neg[] = {4, -3};
  CHECK_EQ(tfckpt__num_elements(2, neg), -1);
  /* a TensorShapeProto with 300 dimensions */
  tfckpt__buf s;
  memset(&s, 0, sizeof s);
  for (int i = 0; i < 300; i++) put_len(&s, 2, "\x08\x01", 2);
  int rank = 0;
  int64_t *dims = NULL;
  CHECK_EQ(tfckpt__decode_shape(s.data, s.len, &rank, &dims, &err), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(err.msg, "more than 254 dimensions");
  CHECK(dims == NULL);
  tfckpt__buf_free(&s);

  /* a V1 table of contents whose tensor shape overflows: the reader refuses */
  tfckpt__buf shape, meta, tensor, toc, rec;
  memset(&shape, 0, sizeof shape);
  memset(&meta, 0, sizeof meta);
  memset(&tensor, 0, sizeof tensor);
  memset(&toc, 0, sizeof toc);
  memset(&rec, 0, sizeof rec);
  tfckpt__buf dim;
  memset(&dim, 0, sizeof dim);
  put_varint(&dim, 1 << 3);
  put_varint(&dim, (uint64_t)1 << 40);
  put_len(&shape, 2, dim.data, dim.len);
  put_len(&shape, 2, dim.data, dim.len);
  put_len(&tensor, 1, "w", 1);
  put_len(&tensor, 2, shape.data, shape.len);
  put_varint(&tensor, 3 << 3);
  put_varint(&tensor, TFCKPT_FLOAT);
  put_len(&meta, 1, tensor.data, tensor.len);
  put_len(&toc, 1, meta.data, meta.len);
  tfckpt__v1_meta m;
  int rc = tfckpt__v1_decode_meta(toc.data, toc.len, &m, &err);
  if (rc == TFCKPT_OK) {
    CHECK_EQ(m.ntensors, 1);
    CHECK_EQ(tfckpt__num_elements(m.tensors[0].rank, m.tensors[0].dims), -1);
    tfckpt__v1_meta_free(&m);
  }
  tfckpt__buf_free(&dim);
  tfckpt__buf_free(&shape);
  tfckpt__buf_free(&tensor);
  tfckpt__buf_free(&meta);

  /* ... and as a whole V1 file: the key "" holding that table of contents */
  tfckpt__buf blk;
  memset(&blk, 0, sizeof blk);
  put_varint(&blk, 0);
  put_varint(&blk, 0);
  put_varint(&blk, toc.len);
  tfckpt__buf_append(&blk, toc.data, toc.len);
  put_u32(&blk, 0);
  put_u32(&blk, 1);
  tfckpt__buf file;
  make_table(&file, blk.data, blk.len, 0, 0);
  char *dir = tu_mkdtemp();
  char *path = tu_path(dir, "overflow.ckpt");
  CHECK_EQ(tu_write_file(path, file.data, file.len), 0);
  tfckpt_reader *r = NULL;
  rc = tfckpt_reader_open(path, &r);
  if (rc == TFCKPT_OK) {
    /* if it lists the tensor, reading it must fail, not allocate 2^80 */
    tfckpt_tensor *t = NULL;
    rc = tfckpt_reader_get_tensor(r, "w", &t);
    tfckpt_tensor_free(t);
  }
  CHECK(rc != TFCKPT_OK);
  CHECK_CONTAINS(tfckpt_reader_errmsg(r), "overflow.ckpt");
  CHECK_CONTAINS(tfckpt_reader_errmsg(r), "product of its dimensions overflows");
  printf("  V1 overflowing shape: %s\n", tfckpt_reader_errmsg(r));
  tfckpt_reader_close(r);
  free(dir);
  free(path);
  tfckpt__buf_free(&blk);
  tfckpt__buf_free(&file);
  tfckpt__buf_free(&toc);
  tfckpt__buf_free(&rec);
}

/* 200000 levels of field 1 (length-delimited) wrapped around one another. */
static uint8_t *nested(uint32_t field, int depth, size_t *n) {
  size_t cap = (size_t)depth * 8 + 16, len = 0;
  uint8_t *b = malloc(cap), *tmp = malloc(cap);
  for (int i = 0; i < depth; i++) {
    /* prepend tag + length of what we have */
    uint8_t hdr[16];
    size_t h = 0;
    hdr[h++] = (uint8_t)(field << 3 | 2);
    uint64_t v = len;
    while (v >= 0x80) {
      hdr[h++] = (uint8_t)(v | 0x80);
      v >>= 7;
    }
    hdr[h++] = (uint8_t)v;
    memcpy(tmp, hdr, h);
    memcpy(tmp + h, b, len);
    uint8_t *sw = b;
    b = tmp;
    tmp = sw;
    len += h;
  }
  free(tmp);
  *n = len;
  return b;
}

static void test_nesting(void) {
  tfckpt__err err;
  size_t n;
  for (uint32_t field = 1; field <= 2; field++) {
    uint8_t *d = nested(field, 20000, &n);
    tfckpt_graph_info g;
    for (int kind = 0; kind <= 2; kind++)
      if (tfckpt__graph_parse(d, n, kind, &g, &err) == TFCKPT_OK) tfckpt_graph_info_free(&g);
    tfckpt_objgraph *og = NULL;
    if (tfckpt_objgraph_parse(d, n, &og) == TFCKPT_OK) CHECK(tfckpt_objgraph_num_nodes(og) >= 0);
    tfckpt_objgraph_free(og);
    tfckpt__v1_meta m;
    if (tfckpt__v1_decode_meta(d, n, &m, &err) == TFCKPT_OK) tfckpt__v1_meta_free(&m);
    tfckpt__bundle_entry e;
    if (tfckpt__bundle_decode_entry(d, n, &e, &err) == TFCKPT_OK) tfckpt__bundle_entry_free(&e);
    free(d);
  }
  CHECK(1); /* reaching here is the test: no stack overflow */
}

/* TrackableObjectGraph: nodes = field 1; ObjectReference children = field 1
 * {node_id = 1, local_name = 2}. */
static void test_objgraph_refs(void) {
  tfckpt__buf child, node, g;
  memset(&child, 0, sizeof child);
  memset(&node, 0, sizeof node);
  memset(&g, 0, sizeof g);
  /* node 0 -> node 0: a self reference */
  put_varint(&child, 1 << 3);
  put_varint(&child, 0);
  put_len(&child, 2, "me", 2);
  put_len(&node, 1, child.data, child.len);
  put_len(&g, 1, node.data, node.len);
  tfckpt_objgraph *og = NULL;
  CHECK_EQ(tfckpt_objgraph_parse(g.data, g.len, &og), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(tfckpt_objgraph_errmsg(og), "cycle");
  tfckpt_objgraph_free(og);
  /* a child id beyond the node count */
  tfckpt__buf_free(&child);
  tfckpt__buf_free(&node);
  tfckpt__buf_free(&g);
  memset(&child, 0, sizeof child);
  memset(&node, 0, sizeof node);
  memset(&g, 0, sizeof g);
  put_varint(&child, 1 << 3);
  put_varint(&child, 1000000);
  put_len(&child, 2, "x", 1);
  put_len(&node, 1, child.data, child.len);
  put_len(&g, 1, node.data, node.len);
  og = NULL;
  CHECK_EQ(tfckpt_objgraph_parse(g.data, g.len, &og), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(tfckpt_objgraph_errmsg(og), "child 1000000 (\"x\"), but the graph has 1 nodes");
  printf("  object graph bad child: %s\n", tfckpt_objgraph_errmsg(og));
  tfckpt_objgraph_free(og);
  tfckpt__buf_free(&child);
  tfckpt__buf_free(&node);
  tfckpt__buf_free(&g);
}

static void expect_arrays_error(const char *dir, const char *name, const void *data, size_t n,
                                const char *fragment) {
  char *path = tu_path(dir, name);
  CHECK_EQ(tu_write_file(path, data, n), 0);
  tfckpt_arrays_reader *r = NULL;
  int rc = tfckpt_arrays_reader_open(path, &r);
  if (rc == TFCKPT_OK) {
    /* the damage may only show when the values are read */
    for (int64_t i = 0; rc == TFCKPT_OK && i < tfckpt_arrays_reader_count(r); i++) {
      tfckpt_tensor *t = NULL;
      rc = tfckpt_arrays_reader_get(r, i, &t);
      tfckpt_tensor_free(t);
    }
  }
  CHECK(rc != TFCKPT_OK);
  CHECK_CONTAINS(tfckpt_arrays_reader_errmsg(r), fragment);
  printf("  %s: %s\n", name, tfckpt_arrays_reader_errmsg(r));
  tfckpt_arrays_reader_close(r);
  free(path);
}

static void test_arrays(void) {
  char *dir = tu_mkdtemp();
  /* .npy declaring 2^40 floats in a 128-byte file */
  char npy[128];
  memset(npy, ' ', sizeof npy);
  memcpy(npy, "\x93NUMPY\x01\x00\x76\x00", 10);
  const char *h = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }";
  memcpy(npy + 10, h, strlen(h));
  npy[127] = '\n';
  expect_arrays_error(dir, "huge.npy", npy, sizeof npy, "huge.npy: header declares 4398046511104 bytes");
  /* .npy whose shape product overflows */
  memset(npy, ' ', sizeof npy);
  memcpy(npy, "\x93NUMPY\x01\x00\x76\x00", 10);
  h = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }";
  memcpy(npy + 10, h, strlen(h));
  npy[127] = '\n';
  expect_arrays_error(dir, "overflow.npy", npy, sizeof npy, "overflow.npy: .npy shape overflows");
  /* safetensors header length far beyond the file */
  uint8_t st[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}', ' ', ' ',
                    ' ',  ' ',  ' ',  ' '};
  expect_arrays_error(dir, "big.safetensors", st, sizeof st, "exceeds the 100000000-byte limit");
  /* safetensors tensor whose byte range lies beyond the data block */
  const char *js = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1073741824,4],"
                   "\"data_offsets\":[0,17179869184]}}";
  tfckpt__buf b;
  memset(&b, 0, sizeof b);
  uint64_t jl = strlen(js);
  uint8_t l8[8];
  for (int i = 0; i < 8; i++) l8[i] = (uint8_t)(jl >> (8 * i));
  tfckpt__buf_append(&b, l8, 8);
  tfckpt__buf_append(&b, js, jl);
  tfckpt__buf_append(&b, "\0\0\0\0", 4);
  expect_arrays_error(dir, "range.safetensors", b.data, b.len, "range.safetensors: safetensors header: tensor \"a\" ends at 17179869184");
  tfckpt__buf_free(&b);
  /* zip end record claiming 65535 entries in a 22-byte directory */
  uint8_t eocd[22] = {0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
                      0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  expect_arrays_error(dir, "many.npz", eocd, sizeof eocd, "many.npz: 65535 entries cannot fit");
  free(dir);
}

static void test_state(void) {
  tfckpt__err err;
  tfckpt_state s;
  /* an unterminated string and a field nested without end */
  const char *bad[] = {"model_checkpoint_path: \"abc", "model_checkpoint_path {{{{{{{{{{{{{",
                       "all_model_checkpoint_timestamps: 1e999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = tfckpt__state_parse(bad[i], strlen(bad[i]), "checkpoint", &s, &err);
    if (rc == TFCKPT_OK) tfckpt_state_free(&s);
    else CHECK_CONTAINS(err.msg, "checkpoint");
    if (i < 2) CHECK(rc != TFCKPT_OK);
  }
}

int main(void) {
  test_table();
  test_shapes();
  test_nesting();
  test_objgraph_refs();
  test_arrays();
  test_state();
  return tu_finish();
}
