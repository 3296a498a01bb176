/* Printing a TF2 checkpoint's object graph as a tree.  Each object is
 * expanded once, under the edge that gives it its checkpoint path (the
 * breadth-first one TF uses); other edges to it print "-> same object as
 * <path>" (Keras lists every layer as both layer-<i> and
 * layer_with_weights-<j>). */
#include "cli/objtree_print.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "tfckpt/objgraph.h"

/* Deeper object chains are cut (the graph is acyclic, but may be long). */
#define MAX_PRINT_DEPTH 256

typedef struct tctx {
  tfckpt_reader *r;
  const tfckpt_objgraph *g;
  FILE *out;
  int ascii;
  char prefix[4 * MAX_PRINT_DEPTH + 8];
  size_t plen;
  int missing;
  unsigned char *key_used; /* per reader variable */
  int *naming_edge;        /* per node: index of the edge from its parent that names it */
  int *first_slot;         /* scratch, per node */
} tctx;

char *cli_friendly_name(const char *key) { return tfckpt_friendly_name(key); }

/* First reader variable whose name is >= key (variables are sorted by
 * strcmp). */
static int64_t lower_bound(tfckpt_reader *r, const char *key) {
  int64_t lo = 0, hi = tfckpt_reader_num_variables(r);
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    tfckpt_var_info v;
    tfckpt_reader_var(r, mid, &v);
    if (strcmp(v.name, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static int has_prefix(tfckpt_reader *r, int64_t i, const char *key, size_t n) {
  tfckpt_var_info v;
  if (i >= tfckpt_reader_num_variables(r) || tfckpt_reader_var(r, i, &v)) return 0;
  return !strncmp(v.name, key, n);
}

/* Reader variable holding attribute `key`: exact, else the first stored key
 * that extends it (a saveable may store under key + suffix). */
static int64_t var_for_key(tfckpt_reader *r, const char *key) {
  int64_t i = tfckpt_reader_find(r, key);
  if (i >= 0 || !*key) return i;
  i = lower_bound(r, key);
  return has_prefix(r, i, key, strlen(key)) ? i : -1;
}

/* " float32 [1, 5]  key" for one attribute (or "(missing)"). */
static void print_attr_value(tctx *c, const tfckpt_objattr *a) {
  int64_t i = var_for_key(c->r, a->checkpoint_key);
  if (i < 0) {
    c->missing++;
    fprintf(c->out, "  (missing from checkpoint)  %s\n", a->checkpoint_key);
    return;
  }
  tfckpt_var_info v;
  tfckpt_reader_var(c->r, i, &v);
  char shape[256];
  fprintf(c->out, "  %s %s  %s\n", tfckpt_dtype_name(v.dtype),
          cli_shape_str(shape, sizeof shape, v.rank, v.dims), v.name);
  c->key_used[i] = 1;
  /* the same prefix may cover more stored keys (key + suffix) */
  size_t n = strlen(a->checkpoint_key);
  if (!n) return;
  for (int64_t k = lower_bound(c->r, a->checkpoint_key); has_prefix(c->r, k, a->checkpoint_key, n);
       k++)
    c->key_used[k] = 1;
}

static void branch(tctx *c, int last) {
  fputs(c->prefix, c->out);
  fputs(c->ascii ? (last ? "`-- " : "|-- ") : (last ? "└── " : "├── "), c->out);
}

static void push(tctx *c, int last) {
  const char *cont = c->ascii ? (last ? "    " : "|   ") : (last ? "    " : "│   ");
  size_t l = strlen(cont);
  if (c->plen + l < sizeof c->prefix) {
    memcpy(c->prefix + c->plen, cont, l + 1);
    c->plen += l;
  }
}

static void pop(tctx *c, size_t saved) {
  c->plen = saved;
  c->prefix[saved] = '\0';
}

static void print_node(tctx *c, int id, int depth);

/* The attributes of a node as lines under it (after its label). */
static int node_inline_attr(const tctx *c, int id) {
  tfckpt_objnode n;
  tfckpt_objgraph_node(c->g, id, &n);
  return n.nattributes == 1;
}

static void print_label_attrs(tctx *c, int id) {
  tfckpt_objnode n;
  tfckpt_objgraph_node(c->g, id, &n);
  if (n.nattributes == 1) {
    tfckpt_objattr a;
    tfckpt_objgraph_attribute(c->g, id, 0, &a);
    if (strcmp(a.name, "VARIABLE_VALUE")) fprintf(c->out, "  .%s", a.name);
    print_attr_value(c, &a);
  } else {
    fputc('\n', c->out);
  }
}

/* Lines below node id: attributes (when several), children, slots. */
static void print_body(tctx *c, int id, int depth) {
  tfckpt_objnode n;
  tfckpt_objgraph_node(c->g, id, &n);
  if (depth >= MAX_PRINT_DEPTH) {
    if (n.nchildren || n.nslots || n.nattributes > 1) {
      branch(c, 1);
      fputs("... (deeper objects not shown)\n", c->out);
    }
    return;
  }
  int nattr_lines = n.nattributes > 1 ? n.nattributes : 0;
  /* distinct original variables among the slots, in order of appearance;
   * first_slot[var] remembers the first slot of each (reset afterwards) */
  int ngroups = 0;
  int *groups = NULL;
  if (n.nslots) {
    groups = malloc((size_t)n.nslots * sizeof *groups);
    for (int k = 0; groups && k < n.nslots; k++) {
      tfckpt_objslot s;
      tfckpt_objgraph_slot(c->g, id, k, &s);
      if (c->first_slot[s.original_node] >= 0) continue;
      c->first_slot[s.original_node] = k;
      groups[ngroups++] = s.original_node;
    }
  }
  int total = nattr_lines + n.nchildren + ngroups, line = 0;
  for (int k = 0; k < nattr_lines; k++, line++) {
    tfckpt_objattr a;
    tfckpt_objgraph_attribute(c->g, id, k, &a);
    branch(c, line == total - 1);
    fprintf(c->out, ".%s", a.name);
    print_attr_value(c, &a);
  }
  for (int k = 0; k < n.nchildren; k++, line++) {
    const char *local;
    int child;
    tfckpt_objgraph_child(c->g, id, k, &local, &child);
    int last = line == total - 1;
    tfckpt_objnode cn;
    tfckpt_objgraph_node(c->g, child, &cn);
    /* expanded under its naming edge: the first edge from its parent */
    int naming = cn.parent == id && c->naming_edge[child] == k;
    branch(c, last);
    if (!naming) {
      fprintf(c->out, "%s -> same object as %s\n", local, cn.path && *cn.path ? cn.path : "(root)");
      continue;
    }
    fputs(local, c->out);
    print_label_attrs(c, child);
    size_t saved = c->plen;
    push(c, last);
    print_body(c, child, depth + 1);
    pop(c, saved);
  }
  for (int gi = 0; gi < ngroups; gi++, line++) {
    int last = line == total - 1;
    tfckpt_objnode vn;
    tfckpt_objgraph_node(c->g, groups[gi], &vn);
    branch(c, last);
    fprintf(c->out, "slots of %s\n", vn.path ? vn.path : "(unreachable variable)");
    size_t saved = c->plen;
    push(c, last);
    /* slots of one variable are usually adjacent: scan from its first */
    int nin = 0, seen = 0, from = c->first_slot[groups[gi]];
    for (int k = from; k < n.nslots; k++) {
      tfckpt_objslot s;
      tfckpt_objgraph_slot(c->g, id, k, &s);
      if (s.original_node == groups[gi]) nin++;
    }
    for (int k = from; k < n.nslots && seen < nin; k++) {
      tfckpt_objslot s;
      tfckpt_objgraph_slot(c->g, id, k, &s);
      if (s.original_node != groups[gi]) continue;
      int slast = ++seen == nin;
      branch(c, slast);
      fputs(s.slot_name, c->out);
      print_label_attrs(c, s.slot_node);
      if (!node_inline_attr(c, s.slot_node)) {
        size_t s2 = c->plen;
        push(c, slast);
        print_body(c, s.slot_node, depth + 2);
        pop(c, s2);
      }
    }
    pop(c, saved);
  }
  for (int gi = 0; gi < ngroups; gi++) c->first_slot[groups[gi]] = -1;
  free(groups);
}

static void print_node(tctx *c, int id, int depth) {
  fputs("(root)", c->out);
  print_label_attrs(c, id);
  print_body(c, id, depth);
}

int cli_print_object_tree_ex(tfckpt_reader *r, FILE *out, int ascii) {
  tfckpt_objgraph *g;
  int rc = tfckpt_objgraph_from_reader(r, &g);
  if (rc) {
    if (rc == TFCKPT_ENOTFOUND)
      cli_error("tree", "%s (TF1 checkpoints are name-based: use tfckpt tree without --objects)",
                tfckpt_objgraph_errmsg(g));
    else
      cli_error("tree", "%s", tfckpt_objgraph_errmsg(g));
    tfckpt_objgraph_free(g);
    return EXIT_FAIL;
  }
  int64_t nv = tfckpt_reader_num_variables(r);
  tctx c = {.r = r, .g = g, .out = out, .ascii = ascii};
  int n = tfckpt_objgraph_num_nodes(g), unreached = 0;
  c.key_used = calloc((size_t)(nv ? nv : 1), 1);
  c.naming_edge = malloc((size_t)n * sizeof *c.naming_edge);
  c.first_slot = malloc((size_t)n * sizeof *c.first_slot);
  if (!c.key_used || !c.naming_edge || !c.first_slot) {
    cli_error("tree", "out of memory");
    free(c.key_used);
    free(c.naming_edge);
    free(c.first_slot);
    tfckpt_objgraph_free(g);
    return EXIT_FAIL;
  }
  for (int i = 0; i < n; i++) c.naming_edge[i] = c.first_slot[i] = -1;
  for (int u = 0; u < n; u++) {
    tfckpt_objnode un;
    tfckpt_objgraph_node(g, u, &un);
    for (int k = 0; k < un.nchildren; k++) {
      const char *l;
      int w;
      tfckpt_objgraph_child(g, u, k, &l, &w);
      tfckpt_objnode wn;
      tfckpt_objgraph_node(g, w, &wn);
      if (wn.parent == u && c.naming_edge[w] < 0) c.naming_edge[w] = k;
    }
  }
  print_node(&c, 0, 0);

  for (int i = 0; i < n; i++) {
    tfckpt_objnode nd;
    tfckpt_objgraph_node(g, i, &nd);
    if (nd.path) continue;
    if (!unreached++) fprintf(out, "\nobjects no path from the root reaches:\n");
    fprintf(out, "  node %d (%d children, %d attributes)\n", i, nd.nchildren, nd.nattributes);
    for (int k = 0; k < nd.nattributes; k++) {
      tfckpt_objattr a;
      tfckpt_objgraph_attribute(g, i, k, &a);
      fprintf(out, "    .%s", a.name);
      print_attr_value(&c, &a);
    }
  }
  int extra = 0;
  for (int64_t i = 0; i < nv; i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    if (c.key_used[i] || !strcmp(v.name, TFCKPT_OBJECT_GRAPH_KEY)) continue;
    if (!extra++) fprintf(out, "\nkeys no object names:\n");
    char shape[256];
    fprintf(out, "  %s  %s %s\n", v.name, tfckpt_dtype_name(v.dtype),
            cli_shape_str(shape, sizeof shape, v.rank, v.dims));
  }
  fprintf(out, "\n%d objects, %lld checkpoint keys", n,
          (long long)(nv - (tfckpt_reader_has_tensor(r, TFCKPT_OBJECT_GRAPH_KEY) ? 1 : 0)));
  if (c.missing) fprintf(out, ", %d attributes missing from the checkpoint", c.missing);
  if (unreached) fprintf(out, ", %d unreachable objects", unreached);
  if (extra) fprintf(out, ", %d keys outside the graph", extra);
  fputc('\n', out);
  free(c.key_used);
  free(c.naming_edge);
  free(c.first_slot);
  tfckpt_objgraph_free(g);
  return EXIT_OK;
}

int cli_print_object_tree(tfckpt_reader *r, FILE *out) {
  return cli_print_object_tree_ex(r, out, 0);
}
