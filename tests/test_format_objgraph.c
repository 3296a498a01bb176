/* TF2 object graphs: structure of the real fixtures, naming consistent with
 * every checkpoint key TF wrote, slot variables, friendly names, and
 * malformed graphs (truncation, wire types, bad / cyclic node references,
 * huge lengths, very deep chains). */
#include <stdlib.h>
#include <string.h>

#include "format/objgraph.h"
#include "format/proto.h"
#include "harness.h"
#include "tfckpt/objgraph.h"
#include "tfckpt/reader.h"

static tfckpt_objgraph *load(const char *rel, tfckpt_reader **rout) {
  tfckpt_reader *r;
  int rc = tfckpt_reader_open(tu_fixture(rel), &r);
  CHECK_EQ(rc, 0);
  if (rc) {
    fprintf(stderr, "%s: %s\n", rel, tfckpt_reader_errmsg(r));
    tfckpt_reader_close(r);
    return NULL;
  }
  tfckpt_objgraph *g;
  rc = tfckpt_objgraph_from_reader(r, &g);
  CHECK_EQ(rc, 0);
  if (rc) {
    fprintf(stderr, "%s: %s\n", rel, tfckpt_objgraph_errmsg(g));
    tfckpt_objgraph_free(g);
    tfckpt_reader_close(r);
    return NULL;
  }
  if (rout) *rout = r;
  else tfckpt_reader_close(r);
  return g;
}

static int child_named(const tfckpt_objgraph *g, int id, const char *name) {
  tfckpt_objnode n;
  if (tfckpt_objgraph_node(g, id, &n)) return -1;
  for (int k = 0; k < n.nchildren; k++) {
    const char *l;
    int c;
    tfckpt_objgraph_child(g, id, k, &l, &c);
    if (!strcmp(l, name)) return c;
  }
  return -1;
}

/* Every attribute key starts with its node's escaped path + "/.ATTRIBUTES/"
 * and every stored key (but the graph's own) is named by some attribute:
 * our breadth-first naming agrees with the keys TF wrote. */
static void check_naming(const tfckpt_objgraph *g, tfckpt_reader *r, const char *what) {
  int n = tfckpt_objgraph_num_nodes(g);
  int bad = 0;
  for (int i = 0; i < n; i++) {
    tfckpt_objnode nd;
    tfckpt_objgraph_node(g, i, &nd);
    for (int k = 0; k < nd.nattributes; k++) {
      tfckpt_objattr a;
      tfckpt_objgraph_attribute(g, i, k, &a);
      char want[4096];
      snprintf(want, sizeof want, "%s/.ATTRIBUTES/", nd.key_path ? nd.key_path : "?");
      if (strncmp(a.checkpoint_key, want, strlen(want))) {
        fprintf(stderr, "%s: node %d key %s, path %s\n", what, i, a.checkpoint_key, want);
        bad++;
      }
    }
  }
  CHECK_EQ(bad, 0);
  int64_t nv = tfckpt_reader_num_variables(r);
  int unnamed = 0;
  for (int64_t i = 0; i < nv; i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    if (!strcmp(v.name, TFCKPT_OBJECT_GRAPH_KEY)) continue;
    int attr;
    if (tfckpt_objgraph_find_key(g, v.name, &attr) < 0) {
      fprintf(stderr, "%s: key %s names no object\n", what, v.name);
      unnamed++;
    }
  }
  CHECK_EQ(unnamed, 0);
}

static void test_iterator_variant(void) {
  tfckpt_reader *r;
  tfckpt_objgraph *g = load("tf2_checkpoint_manager_iterator_variant", &r);
  if (!g) return;
  CHECK_EQ(tfckpt_objgraph_num_nodes(g), 18);
  tfckpt_objnode root;
  tfckpt_objgraph_node(g, 0, &root);
  CHECK(!strcmp(root.path, ""));
  CHECK_EQ(root.parent, -1);
  static const char *const kids[] = {"iterator", "net", "optimizer", "step", "save_counter"};
  CHECK_EQ(root.nchildren, 5);
  for (int k = 0; k < 5 && k < root.nchildren; k++) {
    const char *l;
    int c;
    tfckpt_objgraph_child(g, 0, k, &l, &c);
    CHECK(!strcmp(l, kids[k]));
  }
  int net = child_named(g, 0, "net"), l1 = child_named(g, net, "l1");
  int kernel = child_named(g, l1, "kernel"), opt = child_named(g, 0, "optimizer");
  CHECK(kernel > 0 && opt > 0);
  tfckpt_objnode kn;
  tfckpt_objgraph_node(g, kernel, &kn);
  CHECK(!strcmp(kn.path, "net/l1/kernel"));
  CHECK_EQ(kn.parent, l1);
  CHECK_EQ(kn.nattributes, 1);
  tfckpt_objattr a;
  tfckpt_objgraph_attribute(g, kernel, 0, &a);
  CHECK(!strcmp(a.name, "VARIABLE_VALUE"));
  CHECK(!strcmp(a.checkpoint_key, "net/l1/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
  /* the optimizer lists 4 slots: m, v of kernel and bias */
  tfckpt_objnode on;
  tfckpt_objgraph_node(g, opt, &on);
  CHECK_EQ(on.nslots, 4);
  int found_m = 0;
  for (int k = 0; k < on.nslots; k++) {
    tfckpt_objslot s;
    tfckpt_objgraph_slot(g, opt, k, &s);
    if (s.original_node != kernel || strcmp(s.slot_name, "m")) continue;
    found_m = 1;
    tfckpt_objnode sn;
    tfckpt_objgraph_node(g, s.slot_node, &sn);
    CHECK_EQ(sn.slot_of, kernel);
    CHECK_EQ(sn.slot_optimizer, opt);
    CHECK(!strcmp(sn.slot_name, "m"));
    CHECK(!strcmp(sn.path, "optimizer/m/net/l1/kernel"));
    CHECK(!strcmp(sn.key_path, "net/l1/kernel/.OPTIMIZER_SLOT/optimizer/m"));
    tfckpt_objattr sa;
    tfckpt_objgraph_attribute(g, s.slot_node, 0, &sa);
    CHECK(!strcmp(sa.checkpoint_key,
                  "net/l1/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE"));
  }
  CHECK(found_m);
  /* the iterator's attribute key is a prefix of the stored key */
  int attr = -1;
  int it = tfckpt_objgraph_find_key(g, "iterator/.ATTRIBUTES/ITERATOR_STATE", &attr);
  CHECK_EQ(it, child_named(g, 0, "iterator"));
  CHECK_EQ(attr, 0);
  tfckpt_objgraph_attribute(g, it, 0, &a);
  CHECK(!strcmp(a.name, "ITERATOR"));
  CHECK(!strcmp(a.checkpoint_key, "iterator/.ATTRIBUTES/ITERATOR"));
  CHECK_EQ(tfckpt_objgraph_find_key(g, "nothing/.ATTRIBUTES/VARIABLE_VALUE", &attr), -1);
  check_naming(g, r, "iterator_variant");
  tfckpt_objgraph_free(g);
  tfckpt_reader_close(r);
}

static void test_keras(void) {
  tfckpt_reader *r;
  tfckpt_objgraph *g = load("savedmodel_tf2_keras_tfx", &r);
  if (!g) return;
  /* Keras lists a layer as layer-5 and layer_with_weights-0: one node whose
   * path is the breadth-first one TF uses in the keys */
  int a = child_named(g, 0, "layer-5"), b = child_named(g, 0, "layer_with_weights-0");
  CHECK(a > 0);
  CHECK_EQ(a, b);
  tfckpt_objnode n;
  tfckpt_objgraph_node(g, b, &n);
  CHECK(!strcmp(n.path, "layer_with_weights-0"));
  int k = child_named(g, b, "kernel");
  tfckpt_objgraph_node(g, k, &n);
  CHECK(!strcmp(n.path, "layer_with_weights-0/kernel"));
  tfckpt_objattr at;
  tfckpt_objgraph_attribute(g, k, 0, &at);
  CHECK(!strcmp(at.checkpoint_key, "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
  check_naming(g, r, "keras_tfx");
  tfckpt_objgraph_free(g);
  tfckpt_reader_close(r);

  g = load("tf2_keras_weights_sharded_deepdamper", &r);
  if (!g) return;
  CHECK_EQ(tfckpt_objgraph_num_nodes(g), 35);
  int hl1 = child_named(g, 0, "HL1");
  CHECK(hl1 > 0);
  tfckpt_objgraph_node(g, child_named(g, hl1, "bias"), &n);
  CHECK(!strcmp(n.path, "HL1/bias"));
  check_naming(g, r, "deepdamper");
  tfckpt_objgraph_free(g);
  tfckpt_reader_close(r);

  static const char *const more[] = {"tf2_checkpoint_manager_compensator",
                                     "savedmodel_tf2_sharded_deepdamper",
                                     "savedmodel_tf2_serving_half_plus_two", "savedmodel_tfdf_bool",
                                     "savedmodel_gpflow_double"};
  for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
    g = load(more[i], &r);
    if (!g) continue;
    check_naming(g, r, more[i]);
    tfckpt_objgraph_free(g);
    tfckpt_reader_close(r);
  }
}

static void test_small_and_tf1(void) {
  tfckpt_objgraph *g = load("tf2_objectgraph_only_easy_checkpoint", NULL);
  if (g) {
    CHECK_EQ(tfckpt_objgraph_num_nodes(g), 2);
    CHECK_EQ(child_named(g, 0, "l1"), 1);
    tfckpt_objnode n;
    tfckpt_objgraph_node(g, 1, &n);
    CHECK_EQ(n.nattributes, 0);
    CHECK(!strcmp(n.path, "l1"));
    tfckpt_objgraph_free(g);
  }
  tfckpt_reader *r;
  CHECK_EQ(tfckpt_reader_open(tu_fixture("v1_acrobot_tf0x"), &r), 0);
  CHECK_EQ(tfckpt_objgraph_from_reader(r, &g), TFCKPT_ENOTFOUND);
  CHECK_CONTAINS(tfckpt_objgraph_errmsg(g), "no object graph (_CHECKPOINTABLE_OBJECT_GRAPH)");
  tfckpt_objgraph_free(g);
  tfckpt_reader_close(r);
}

static void check_friendly(const char *key, const char *want) {
  char *f = tfckpt_friendly_name(key);
  CHECK(f && !strcmp(f, want));
  if (f && strcmp(f, want)) fprintf(stderr, "friendly(%s) = %s, want %s\n", key, f, want);
  free(f);
}

static void test_friendly(void) {
  check_friendly("model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE", "model/dense/kernel");
  check_friendly("model/dense/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
                 "optimizer/m/model/dense/kernel");
  check_friendly("v/.OPTIMIZER_SLOT/train/opt/velocity/.ATTRIBUTES/VARIABLE_VALUE",
                 "train/opt/velocity/v");
  check_friendly("iterator/.ATTRIBUTES/ITERATOR_STATE", "iterator/ITERATOR_STATE");
  check_friendly("a..b/c.Sd/.ATTRIBUTES/VARIABLE_VALUE", "a.b/c/d");
  check_friendly("save_counter/.ATTRIBUTES/VARIABLE_VALUE", "save_counter");
  check_friendly("dense/kernel/Adam_1", "dense/kernel/Adam_1");
  check_friendly(TFCKPT_OBJECT_GRAPH_KEY, TFCKPT_OBJECT_GRAPH_KEY);
  check_friendly("x.ATTRIBUTES/y", "x.ATTRIBUTES/y"); /* not a path component */
  char *e = tfckpt__objkey_escape("a.b/c");
  CHECK(e && !strcmp(e, "a..b.Sc"));
  free(e);
}

/* ---- synthetic graphs ---- */

typedef struct gnode {
  int nchildren;
  int child[4];
  const char *name[4];
  int nslots;
  int slot_orig[2], slot_node[2];
  const char *attr_key; /* NULL: none */
} gnode;

static void build(tfckpt__buf *out, const gnode *ns, int n) {
  for (int i = 0; i < n; i++) {
    tfckpt__buf node = {0};
    for (int k = 0; k < ns[i].nchildren; k++) {
      tfckpt__buf ref = {0};
      tfckpt__pb_put_uint(&ref, 1, (uint64_t)(int64_t)ns[i].child[k]);
      tfckpt__pb_put_bytes(&ref, 2, ns[i].name[k], strlen(ns[i].name[k]));
      tfckpt__pb_put_bytes(&node, 1, ref.data, ref.len);
      tfckpt__buf_free(&ref);
    }
    if (ns[i].attr_key) {
      tfckpt__buf at = {0};
      tfckpt__pb_put_bytes(&at, 1, "VARIABLE_VALUE", 14);
      tfckpt__pb_put_bytes(&at, 3, ns[i].attr_key, strlen(ns[i].attr_key));
      tfckpt__pb_put_bytes(&node, 2, at.data, at.len);
      tfckpt__buf_free(&at);
    }
    for (int k = 0; k < ns[i].nslots; k++) {
      tfckpt__buf sl = {0};
      tfckpt__pb_put_uint(&sl, 1, (uint64_t)(int64_t)ns[i].slot_orig[k]);
      tfckpt__pb_put_bytes(&sl, 2, "m", 1);
      tfckpt__pb_put_uint(&sl, 3, (uint64_t)(int64_t)ns[i].slot_node[k]);
      tfckpt__pb_put_bytes(&node, 3, sl.data, sl.len);
      tfckpt__buf_free(&sl);
    }
    tfckpt__pb_put_bytes(out, 1, node.data ? node.data : (uint8_t *)"", node.len);
    tfckpt__buf_free(&node);
  }
}

static int parse_expect(const tfckpt__buf *b, int want_rc, const char *msg) {
  tfckpt_objgraph *g;
  int rc = tfckpt_objgraph_parse(b->data ? b->data : (uint8_t *)"", b->len, &g);
  CHECK_EQ(rc, want_rc);
  if (msg) CHECK_CONTAINS(tfckpt_objgraph_errmsg(g), msg);
  tfckpt_objgraph_free(g);
  return rc;
}

static void test_synthetic(void) {
  tfckpt__buf b = {0};
  /* a small valid graph with a slot */
  gnode ok[4] = {
      {.nchildren = 2, .child = {1, 2}, .name = {"model", "opt"}},
      {.nchildren = 1, .child = {3}, .name = {"w.x/y"}},
      {.nslots = 1, .slot_orig = {3}, .slot_node = {0}},
      {.attr_key = "model/w..x.Sy/.ATTRIBUTES/VARIABLE_VALUE"},
  };
  /* slot node 0 would be the root: use a fifth node instead */
  gnode ok5[5];
  memcpy(ok5, ok, sizeof ok);
  ok5[2].slot_node[0] = 4;
  ok5[4] = (gnode){.attr_key = "model/w..x.Sy/.OPTIMIZER_SLOT/opt/m/.ATTRIBUTES/VARIABLE_VALUE"};
  build(&b, ok5, 5);
  tfckpt_objgraph *g;
  CHECK_EQ(tfckpt_objgraph_parse(b.data, b.len, &g), 0);
  tfckpt_objnode n;
  tfckpt_objgraph_node(g, 3, &n);
  CHECK(!strcmp(n.path, "model/w.x/y"));
  CHECK(!strcmp(n.key_path, "model/w..x.Sy"));
  tfckpt_objgraph_node(g, 4, &n);
  CHECK(!strcmp(n.path, "opt/m/model/w.x/y"));
  CHECK(!strcmp(n.key_path, "model/w..x.Sy/.OPTIMIZER_SLOT/opt/m"));
  CHECK_EQ(n.slot_of, 3);
  CHECK_EQ(tfckpt_objgraph_node(g, 5, &n), TFCKPT_EINVAL);
  tfckpt_objgraph_free(g);

  /* truncated at every length: never a crash, always an error or a prefix */
  for (size_t cut = 1; cut < b.len; cut++) {
    tfckpt_objgraph *t;
    int rc = tfckpt_objgraph_parse(b.data, cut, &t);
    CHECK(rc == TFCKPT_OK || rc == TFCKPT_ECORRUPT);
    tfckpt_objgraph_free(t);
  }
  tfckpt__buf c = {0};
  tfckpt__buf_append(&c, b.data, b.len - 3);
  parse_expect(&c, TFCKPT_ECORRUPT, "object graph: truncated protobuf");
  tfckpt__buf_free(&c);
  tfckpt__buf_free(&b);

  /* out-of-range and negative child ids */
  gnode oor[1] = {{.nchildren = 1, .child = {5}, .name = {"x"}}};
  build(&b, oor, 1);
  parse_expect(&b, TFCKPT_ECORRUPT, "object graph: node 0 has child 5 (\"x\"), but the graph has 1 nodes");
  tfckpt__buf_free(&b);
  gnode neg[2] = {{.nchildren = 1, .child = {-1}, .name = {"x"}}, {0}};
  build(&b, neg, 2);
  parse_expect(&b, TFCKPT_ECORRUPT, "node 0 has child -1");
  tfckpt__buf_free(&b);
  /* cycles: two nodes, and a self loop */
  gnode cyc[3] = {{.nchildren = 1, .child = {1}, .name = {"a"}},
                  {.nchildren = 1, .child = {2}, .name = {"b"}},
                  {.nchildren = 1, .child = {1}, .name = {"c"}}};
  build(&b, cyc, 3);
  parse_expect(&b, TFCKPT_ECORRUPT, "object graph: cycle: node 2 (\"c\") leads back to node 1");
  tfckpt__buf_free(&b);
  gnode self[1] = {{.nchildren = 1, .child = {0}, .name = {"me"}}};
  build(&b, self, 1);
  parse_expect(&b, TFCKPT_ECORRUPT, "cycle: node 0 (\"me\") leads back to node 0");
  tfckpt__buf_free(&b);
  /* a slot reference out of range */
  gnode bad_slot[2] = {{.nchildren = 1, .child = {1}, .name = {"opt"}},
                       {.nslots = 1, .slot_orig = {0}, .slot_node = {9}}};
  build(&b, bad_slot, 2);
  parse_expect(&b, TFCKPT_ECORRUPT, "node 1: slot \"m\" refers to node 0 / 9, but the graph has 2 nodes");
  tfckpt__buf_free(&b);
  /* wrong wire types */
  tfckpt__pb_put_uint(&b, 1, 7);
  parse_expect(&b, TFCKPT_ECORRUPT, "object graph: nodes field has wire type 0");
  tfckpt__buf_free(&b);
  tfckpt__buf node = {0};
  tfckpt__pb_put_uint(&node, 1, 3); /* children as a varint */
  tfckpt__pb_put_bytes(&b, 1, node.data, node.len);
  parse_expect(&b, TFCKPT_ECORRUPT, "object graph: node 0: field 1 has wire type 0");
  tfckpt__buf_free(&b);
  tfckpt__buf_free(&node);
  tfckpt__buf ref = {0};
  tfckpt__pb_put_bytes(&ref, 1, "zz", 2); /* node_id as bytes */
  tfckpt__pb_put_bytes(&node, 1, ref.data, ref.len);
  tfckpt__pb_put_bytes(&b, 1, node.data, node.len);
  parse_expect(&b, TFCKPT_ECORRUPT, "child reference field 1 has wire type 2");
  tfckpt__buf_free(&b);
  tfckpt__buf_free(&node);
  tfckpt__buf_free(&ref);
  /* a huge declared length */
  tfckpt__pb_put_tag(&b, 1, PB_LEN);
  tfckpt__pb_put_varint(&b, 1ull << 40);
  tfckpt__buf_append(&b, "\x0a\x00", 2);
  parse_expect(&b, TFCKPT_ECORRUPT, "object graph: truncated protobuf");
  tfckpt__buf_free(&b);
  /* no nodes at all */
  parse_expect(&b, TFCKPT_ECORRUPT, "object graph: no nodes (no root)");

  /* a deep chain: no recursion, so no stack overflow; paths stay bounded */
  int depth = getenv("TFCKPT_QUICK") ? 2000 : 5000;
  for (int i = 0; i < depth; i++) {
    tfckpt__buf nd = {0}, rf = {0};
    if (i + 1 < depth) {
      tfckpt__pb_put_uint(&rf, 1, (uint64_t)(i + 1));
      tfckpt__pb_put_bytes(&rf, 2, "n", 1);
      tfckpt__pb_put_bytes(&nd, 1, rf.data, rf.len);
    }
    tfckpt__pb_put_bytes(&b, 1, nd.data ? nd.data : (uint8_t *)"", nd.len);
    tfckpt__buf_free(&nd);
    tfckpt__buf_free(&rf);
  }
  CHECK_EQ(tfckpt_objgraph_parse(b.data, b.len, &g), 0);
  tfckpt_objgraph_node(g, depth - 1, &n);
  CHECK(n.path && strlen(n.path) == (size_t)(2 * (depth - 1) - 1));
  tfckpt_objgraph_free(g);
  tfckpt__buf_free(&b);
  /* a chain whose paths would need gigabytes is refused */
  depth = 12000;
  for (int i = 0; i < depth; i++) {
    tfckpt__buf nd = {0}, rf = {0};
    if (i + 1 < depth) {
      tfckpt__pb_put_uint(&rf, 1, (uint64_t)(i + 1));
      tfckpt__pb_put_bytes(&rf, 2, "long_name", 9);
      tfckpt__pb_put_bytes(&nd, 1, rf.data, rf.len);
    }
    tfckpt__pb_put_bytes(&b, 1, nd.data ? nd.data : (uint8_t *)"", nd.len);
    tfckpt__buf_free(&nd);
    tfckpt__buf_free(&rf);
  }
  parse_expect(&b, TFCKPT_ECORRUPT, "object paths add up to more than 64 MiB");
  tfckpt__buf_free(&b);
}

/* Bit flips and truncations of a real graph: an error or a success. */
static void test_mutations(void) {
  tfckpt_reader *r;
  if (tfckpt_reader_open(tu_fixture("tf2_checkpoint_manager_iterator_variant"), &r)) {
    CHECK(0);
    tfckpt_reader_close(r);
    return;
  }
  tfckpt_tensor *t;
  CHECK_EQ(tfckpt_reader_get_tensor(r, TFCKPT_OBJECT_GRAPH_KEY, &t), 0);
  const uint8_t *d;
  size_t n;
  CHECK_EQ(tfckpt_tensor_get_string(t, 0, &d, &n), 0);
  CHECK_EQ(n, 1465);
  uint8_t *m = malloc(n);
  int ok = 0, bad = 0;
  for (size_t pos = 0; pos < n; pos++)
    for (int mode = 0; mode < 3; mode++) {
      memcpy(m, d, n);
      size_t len = n;
      if (mode == 0) m[pos] ^= (uint8_t)(1u << (pos % 8));
      else if (mode == 1) m[pos] = 0xff;
      else len = pos;
      tfckpt_objgraph *g;
      int rc = tfckpt_objgraph_parse(m, len, &g);
      CHECK(rc == TFCKPT_OK || rc == TFCKPT_ECORRUPT);
      if (rc == 0) {
        ok++;
        /* whatever parsed is consistent: every node id in range */
        for (int i = 0; i < tfckpt_objgraph_num_nodes(g); i++) {
          tfckpt_objnode nd;
          tfckpt_objgraph_node(g, i, &nd);
          if (nd.parent >= tfckpt_objgraph_num_nodes(g)) bad++;
        }
      }
      tfckpt_objgraph_free(g);
    }
  CHECK(ok > 0);
  CHECK_EQ(bad, 0);
  free(m);
  tfckpt_tensor_free(t);
  tfckpt_reader_close(r);
}

int main(void) {
  test_iterator_variant();
  test_keras();
  test_small_and_tf1();
  test_friendly();
  test_synthetic();
  test_mutations();
  return tu_finish();
}
