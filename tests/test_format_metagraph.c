/* .meta / saved_model.pb: variables (names, dtypes, shapes, what the Saver
 * restores), op histograms, partitioned variables, SavedObjectGraph keys,
 * and malformed files. */
#include <stdlib.h>
#include <string.h>

#include "format/metagraph.h"
#include "format/proto.h"
#include "harness.h"
#include "tfckpt/tfckpt.h"

static const tfckpt_graph_var *var(const tfckpt_graph_info *g, const char *name) {
  long i = tfckpt__graph_find(g, name);
  return i >= 0 ? &g->vars[i] : NULL;
}

static int64_t op_count(const tfckpt_graph_info *g, const char *op) {
  for (size_t i = 0; i < g->nops; i++)
    if (!strcmp(g->ops[i].op, op)) return g->ops[i].count;
  return 0;
}

static int load(const char *rel, tfckpt_graph_info *g) {
  tfckpt__err err = {0, ""};
  int rc = tfckpt__graph_load(tu_fixture(rel), g, &err);
  CHECK_EQ(rc, 0);
  if (rc) fprintf(stderr, "%s: %s\n", rel, err.msg);
  return rc;
}

static void test_acrobot(void) {
  tfckpt_graph_info g;
  if (load("v1_acrobot_tf0x/model.ckpt.meta", &g)) return;
  CHECK_EQ(g.kind, TFCKPT_GRAPH_META);
  CHECK_EQ(g.nvars, 34);
  CHECK_EQ(g.num_nodes, 661);
  CHECK_EQ(g.saver_version, 0);
  CHECK_EQ(g.saver_keys, 34);
  CHECK_EQ(op_count(&g, "Const"), 151);
  CHECK(!strcmp(g.ops[0].op, "Const")); /* most frequent first */
  const tfckpt_graph_var *v = var(&g, "policy/Stack/fully_connected_2/weights");
  CHECK(v != NULL);
  if (v) {
    CHECK_EQ(v->dtype, TFCKPT_FLOAT);
    CHECK_EQ(v->rank, 2);
    CHECK(v->rank == 2 && v->dims[0] == 6 && v->dims[1] == 3);
    CHECK(!strcmp(v->op, "Variable"));
    CHECK_EQ(v->saved, 1);
  }
  v = var(&g, "value/beta2_power");
  CHECK(v && v->rank == 0 && v->saved);
  tfckpt_graph_info_free(&g);
}

static void test_session_bundle(void) {
  tfckpt_graph_info g;
  if (load("v1_serving_session_bundle_half_plus_two/export.meta", &g)) return;
  CHECK_EQ(g.nvars, 6);
  CHECK_EQ(g.saver_version, 1);
  CHECK_EQ(g.saver_keys, 2);
  const tfckpt_graph_var *a = var(&g, "a"), *gs = var(&g, "global_step");
  CHECK(a && a->saved && a->dtype == TFCKPT_FLOAT && a->rank == 0);
  /* in the "variables" collection, but the export's Saver restores a, b only */
  CHECK(gs && !gs->saved && gs->dtype == TFCKPT_INT32);
  const tfckpt_graph_var *fn = var(&g, "filename1");
  CHECK(fn && fn->dtype == TFCKPT_STRING && !fn->saved);
  tfckpt_graph_info_free(&g);
}

static void test_saved_models(void) {
  tfckpt_graph_info g;
  if (!load("savedmodel_tf1_serving_half_plus_two_cpu", &g)) {
    CHECK_EQ(g.kind, TFCKPT_GRAPH_SAVED_MODEL);
    CHECK_EQ(g.num_meta_graphs, 1);
    CHECK(g.tags && !strcmp(g.tags, "serve"));
    CHECK_EQ(g.saver_version, 2);
    CHECK_EQ(g.saver_keys, 5);
    CHECK_EQ(g.object_based, 0);
    static const char *const names[] = {"a", "a2", "b", "c", "c2"};
    for (int i = 0; i < 5; i++) {
      const tfckpt_graph_var *v = var(&g, names[i]);
      CHECK(v && v->saved && v->dtype == TFCKPT_FLOAT && v->rank == 0 && !strcmp(v->op, "VariableV2"));
    }
    const tfckpt_graph_var *f = var(&g, "filename_tensor");
    CHECK(f && !f->saved);
    tfckpt_graph_info_free(&g);
  }
  if (!load("savedmodel_tf2_serving_half_plus_two/saved_model.pb", &g)) {
    CHECK_EQ(g.object_based, 1);
    CHECK_EQ(g.nvars, 3);
    const tfckpt_graph_var *v = var(&g, "b/.ATTRIBUTES/VARIABLE_VALUE");
    CHECK(v && v->dtype == TFCKPT_FLOAT && v->rank == 0 && !strcmp(v->node, "b"));
    CHECK_EQ(g.num_functions, 14);
    CHECK_EQ(op_count(&g, "VarHandleOp"), 4);
    tfckpt_graph_info_free(&g);
  }
  if (!load("savedmodel_tf2_keras_tfx", &g)) {
    CHECK_EQ(g.object_based, 1);
    const tfckpt_graph_var *v = var(&g, "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE");
    CHECK(v && v->rank == 2 && v->dims[0] == 4 && v->dims[1] == 8);
    tfckpt_graph_info_free(&g);
  }
  if (!load("tf1_estimator_tfx_chicago_taxi/model.ckpt-0.meta", &g)) {
    CHECK_EQ(g.nvars, 60);
    const tfckpt_graph_var *v = var(&g, "dnn/hiddenlayer_0/kernel");
    CHECK(v && !strcmp(v->op, "VarHandleOp") && v->rank == 2 && v->dims[0] == 3 &&
          v->dims[1] == 100);
    v = var(&g, "global_step");
    CHECK(v && v->dtype == TFCKPT_INT64 && v->saved);
    tfckpt_graph_info_free(&g);
  }
}

/* ---- synthetic MetaGraphDefs ---- */

static void put_shape(tfckpt__buf *b, uint32_t field, int rank, const int64_t *dims) {
  tfckpt__buf s = {0};
  if (rank < 0) tfckpt__pb_put_uint(&s, 3, 1);
  for (int d = 0; d < rank; d++) {
    tfckpt__buf dim = {0};
    tfckpt__pb_put_uint(&dim, 1, (uint64_t)dims[d]);
    tfckpt__pb_put_bytes(&s, 2, dim.data, dim.len);
    tfckpt__buf_free(&dim);
  }
  tfckpt__pb_put_bytes(b, field, s.data ? s.data : (uint8_t *)"", s.len);
  tfckpt__buf_free(&s);
}

static void put_attr(tfckpt__buf *node, const char *key, const tfckpt__buf *val) {
  tfckpt__buf e = {0};
  tfckpt__pb_put_bytes(&e, 1, key, strlen(key));
  tfckpt__pb_put_bytes(&e, 2, val->data, val->len);
  tfckpt__pb_put_bytes(node, 5, e.data, e.len);
  tfckpt__buf_free(&e);
}

static void put_var_node(tfckpt__buf *graph, const char *name, const char *op, tfckpt_dtype dtype, int rank,
                         const int64_t *dims) {
  tfckpt__buf node = {0}, a = {0};
  tfckpt__pb_put_bytes(&node, 1, name, strlen(name));
  tfckpt__pb_put_bytes(&node, 2, op, strlen(op));
  tfckpt__pb_put_uint(&a, 6, (uint64_t)dtype);
  put_attr(&node, "dtype", &a);
  tfckpt__buf_free(&a);
  put_shape(&a, 7, rank, dims);
  put_attr(&node, "shape", &a);
  tfckpt__buf_free(&a);
  tfckpt__pb_put_bytes(graph, 1, node.data, node.len);
  tfckpt__buf_free(&node);
}

static void put_var_def(tfckpt__buf *list, const char *name, const char *full, int rank,
                        const int64_t *full_shape) {
  tfckpt__buf vd = {0};
  tfckpt__pb_put_bytes(&vd, 1, name, strlen(name));
  if (full) {
    tfckpt__buf si = {0}, packed = {0};
    tfckpt__pb_put_bytes(&si, 1, full, strlen(full));
    for (int d = 0; d < rank; d++) tfckpt__pb_put_varint(&packed, (uint64_t)full_shape[d]);
    tfckpt__pb_put_bytes(&si, 2, packed.data, packed.len);
    tfckpt__pb_put_bytes(&vd, 4, si.data, si.len);
    tfckpt__buf_free(&si);
    tfckpt__buf_free(&packed);
  }
  tfckpt__pb_put_bytes(list, 1, vd.data, vd.len);
  tfckpt__buf_free(&vd);
}

static void test_partitioned(void) {
  tfckpt__buf graph = {0}, meta = {0}, list = {0};
  put_var_node(&graph, "w/part_0", "VariableV2", 101 /* DT_FLOAT_REF */, 2, (int64_t[]){2, 4});
  put_var_node(&graph, "w/part_1", "VariableV2", TFCKPT_FLOAT, 2, (int64_t[]){3, 4});
  put_var_node(&graph, "h", "VarHandleOp", TFCKPT_INT64, 2, (int64_t[]){-1, 7});
  put_var_node(&graph, "u", "VarHandleOp", TFCKPT_INT32, -1, NULL);
  put_var_node(&graph, "local", "VariableV2", TFCKPT_FLOAT, 0, NULL);
  tfckpt__buf node = {0};
  tfckpt__pb_put_bytes(&node, 1, "c", 1);
  tfckpt__pb_put_bytes(&node, 2, "Const", 5);
  tfckpt__pb_put_bytes(&graph, 1, node.data, node.len);
  tfckpt__buf_free(&node);
  put_var_def(&list, "w/part_0:0", "w", 2, (int64_t[]){5, 4});
  put_var_def(&list, "w/part_1:0", "w", 2, (int64_t[]){5, 4});
  put_var_def(&list, "h:0", NULL, 0, NULL);
  put_var_def(&list, "u:0", NULL, 0, NULL);
  tfckpt__buf coll = {0}, entry = {0};
  tfckpt__pb_put_bytes(&coll, 2, list.data, list.len);
  tfckpt__pb_put_bytes(&entry, 1, "variables", 9);
  tfckpt__pb_put_bytes(&entry, 2, coll.data, coll.len);
  tfckpt__pb_put_bytes(&meta, 2, graph.data, graph.len);
  tfckpt__pb_put_bytes(&meta, 4, entry.data, entry.len);
  tfckpt_graph_info g;
  tfckpt__err err = {0, ""};
  CHECK_EQ(tfckpt__graph_parse(meta.data, meta.len, 0, &g, &err), 0);
  CHECK_EQ(g.kind, TFCKPT_GRAPH_META);
  CHECK_EQ(g.nvars, 4);
  CHECK_EQ(g.num_nodes, 6);
  CHECK_EQ(g.saver_keys, 0);
  const tfckpt_graph_var *w = var(&g, "w");
  CHECK(w && w->nparts == 2 && w->rank == 2 && w->dims[0] == 5 && w->dims[1] == 4 &&
        w->dtype == TFCKPT_FLOAT && w->saved);
  const tfckpt_graph_var *h = var(&g, "h");
  CHECK(h && h->rank == 2 && h->dims[0] == -1 && h->dims[1] == 7);
  const tfckpt_graph_var *u = var(&g, "u");
  CHECK(u && u->rank == -1 && u->dtype == TFCKPT_INT32);
  const tfckpt_graph_var *l = var(&g, "local");
  CHECK(l && !l->saved);
  CHECK(var(&g, "w/part_0") == NULL);
  tfckpt_graph_info_free(&g);
  /* the same wrapped in a SavedModel */
  tfckpt__buf sm = {0};
  tfckpt__pb_put_uint(&sm, 1, 1);
  tfckpt__pb_put_bytes(&sm, 2, meta.data, meta.len);
  CHECK_EQ(tfckpt__graph_parse(sm.data, sm.len, 0, &g, &err), 0);
  CHECK_EQ(g.kind, TFCKPT_GRAPH_SAVED_MODEL);
  CHECK_EQ(g.nvars, 4);
  tfckpt_graph_info_free(&g);
  /* truncated at every length: an error or a shorter graph, never a crash */
  for (size_t cut = 0; cut < sm.len; cut++) {
    int rc = tfckpt__graph_parse(sm.data, cut, TFCKPT_GRAPH_SAVED_MODEL, &g, &err);
    CHECK(rc == 0 || rc == TFCKPT_ECORRUPT);
    if (rc == 0) tfckpt_graph_info_free(&g);
  }
  tfckpt__buf_free(&sm);
  tfckpt__buf_free(&graph);
  tfckpt__buf_free(&meta);
  tfckpt__buf_free(&list);
  tfckpt__buf_free(&coll);
  tfckpt__buf_free(&entry);
}

static void expect_parse(const tfckpt__buf *b, int kind, int want, const char *msg) {
  tfckpt_graph_info g;
  tfckpt__err err = {0, ""};
  int rc = tfckpt__graph_parse(b->data ? b->data : (uint8_t *)"", b->len, kind, &g, &err);
  CHECK_EQ(rc, want);
  if (msg) CHECK_CONTAINS(err.msg, msg);
  if (rc == 0) tfckpt_graph_info_free(&g);
}

static void test_bad(void) {
  tfckpt__buf b = {0};
  tfckpt__pb_put_uint(&b, 2, 5); /* graph_def as a varint */
  expect_parse(&b, TFCKPT_GRAPH_META, TFCKPT_ECORRUPT, "MetaGraphDef field 2 has wire type 0");
  tfckpt__buf_free(&b);
  tfckpt__buf graph = {0}, node = {0};
  tfckpt__pb_put_uint(&node, 1, 3); /* NodeDef name as a varint */
  tfckpt__pb_put_bytes(&graph, 1, node.data, node.len);
  tfckpt__pb_put_bytes(&b, 2, graph.data, graph.len);
  expect_parse(&b, TFCKPT_GRAPH_META, TFCKPT_ECORRUPT, "malformed NodeDef 0");
  tfckpt__buf_free(&b);
  tfckpt__buf_free(&graph);
  tfckpt__buf_free(&node);
  /* a huge declared length */
  tfckpt__pb_put_tag(&b, 2, PB_LEN);
  tfckpt__pb_put_varint(&b, 1ull << 50);
  tfckpt__buf_append(&b, "\x0a\x00", 2);
  expect_parse(&b, TFCKPT_GRAPH_META, TFCKPT_ECORRUPT, "malformed MetaGraphDef (truncated)");
  tfckpt__buf_free(&b);
  /* a SavedModel without meta graphs */
  tfckpt__pb_put_uint(&b, 1, 1);
  expect_parse(&b, 0, TFCKPT_ECORRUPT, "SavedModel holds no meta graph");
  tfckpt__buf_free(&b);
  /* a SavedObjectGraph with a cycle, and with a child out of range */
  for (int variant = 0; variant < 2; variant++) {
    tfckpt__buf og = {0}, meta = {0};
    for (int i = 0; i < 2; i++) {
      tfckpt__buf obj = {0}, ref = {0};
      tfckpt__pb_put_uint(&ref, 1, variant ? 7 : (uint64_t)(1 - i));
      tfckpt__pb_put_bytes(&ref, 2, "x", 1);
      tfckpt__pb_put_bytes(&obj, 1, ref.data, ref.len);
      tfckpt__pb_put_bytes(&og, 1, obj.data, obj.len);
      tfckpt__buf_free(&obj);
      tfckpt__buf_free(&ref);
    }
    tfckpt__pb_put_bytes(&meta, 7, og.data, og.len);
    expect_parse(&meta, TFCKPT_GRAPH_META, TFCKPT_ECORRUPT,
                 variant ? "SavedObjectGraph: node 0 has child 7" : "SavedObjectGraph: cycle");
    tfckpt__buf_free(&og);
    tfckpt__buf_free(&meta);
  }
  /* files: empty, a directory without saved_model.pb, a truncated real file */
  char *tmp = tu_mkdtemp();
  char *empty = tu_path(tmp, "empty.meta");
  tu_write_file(empty, "", 0);
  tfckpt_graph_info g;
  tfckpt__err err = {0, ""};
  CHECK_EQ(tfckpt__graph_load(empty, &g, &err), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(err.msg, "empty.meta: empty file");
  CHECK_EQ(tfckpt__graph_load(tmp, &g, &err), TFCKPT_ENOTFOUND);
  CHECK_CONTAINS(err.msg, "a directory without saved_model.pb");
  char *cut = tu_path(tmp, "cut.meta");
  CHECK_EQ(tu_copy_file(tu_fixture("v1_acrobot_tf0x/model.ckpt.meta"), cut), 0);
  CHECK_EQ(tu_truncate(cut, 100000), 0);
  CHECK_EQ(tfckpt__graph_load(cut, &g, &err), TFCKPT_ECORRUPT);
  CHECK_CONTAINS(err.msg, "cut.meta: malformed");
  free(empty);
  free(cut);
  free(tmp);
}

/* Bit flips and truncations of a real .meta: an error or a success. */
static void test_mutations(void) {
  size_t n;
  uint8_t *d = tu_read_file(tu_fixture("v1_serving_bad_half_plus_two/export.meta"), &n);
  CHECK(d != NULL);
  if (!d) return;
  uint8_t *m = malloc(n);
  int step = getenv("TFCKPT_QUICK") ? 5 : 1, ok = 0, failed = 0;
  for (size_t pos = 0; pos < n; pos += (size_t)step)
    for (int mode = 0; mode < 3; mode++) {
      memcpy(m, d, n);
      size_t len = n;
      if (mode == 0) m[pos] ^= (uint8_t)(1u << (pos % 8));
      else if (mode == 1) m[pos] = 0xff;
      else len = pos;
      tfckpt_graph_info g;
      tfckpt__err err = {0, ""};
      int rc = tfckpt__graph_parse(m, len, TFCKPT_GRAPH_META, &g, &err);
      CHECK(rc == TFCKPT_OK || rc == TFCKPT_ECORRUPT);
      if (rc == 0) {
        ok++;
        tfckpt_graph_info_free(&g);
      } else {
        failed++;
      }
    }
  CHECK(ok > 0 && failed > 0);
  free(m);
  free(d);
}

int main(void) {
  test_acrobot();
  test_session_bundle();
  test_saved_models();
  test_partitioned();
  test_bad();
  test_mutations();
  return tu_finish();
}
