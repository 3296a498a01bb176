/* tfckpt tree: variables grouped by scope ('/'-separated), with parameter
 * counts, bytes and shares of the total. */
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/objtree_print.h"

static const cli_opt tree_args[] = {CLI_ARG_CHECKPOINT, {0}};

static const cli_opt tree_opts[] = {
    {"--depth", NULL, "N", "show N levels of scopes; deeper ones are folded into their parent's totals", 0},
    CLI_OPT_EXCLUDE("leave matching variables out (e.g. '/(Adam|Adam_1)$')"),
    {"--sort", NULL, "name|size", "order of siblings (default: name, numbers compared as numbers)", 0},
    {"--ascii", NULL, NULL, "draw the tree with ASCII characters", 0},
    {"--objects", NULL, NULL,
     "TF2 checkpoints: the object graph (root -> model -> layers -> variables, optimizer "
     "slots attached to their variables) with each checkpoint key", 0},
    {0},
};

typedef struct node {
  char *name;
  struct node **kids;
  int nkids, capkids;
  long long params, bytes, nvars;
  int64_t var; /* variable stored exactly at this path, or -1 */
} node;

static node *node_new(const char *name, size_t len) {
  node *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  n->name = strndup(name, len);
  n->var = -1;
  if (!n->name) {
    free(n);
    return NULL;
  }
  return n;
}

static void node_free(node *n) {
  if (!n) return;
  for (int i = 0; i < n->nkids; i++) node_free(n->kids[i]);
  free(n->kids);
  free(n->name);
  free(n);
}

static node *child(node *n, const char *name, size_t len) {
  /* variables arrive sorted, so a new scope is usually the last child */
  for (int i = n->nkids - 1; i >= 0 && i >= n->nkids - 2; i--)
    if (strlen(n->kids[i]->name) == len && !memcmp(n->kids[i]->name, name, len)) return n->kids[i];
  for (int i = 0; i < n->nkids - 2; i++)
    if (strlen(n->kids[i]->name) == len && !memcmp(n->kids[i]->name, name, len)) return n->kids[i];
  if (n->nkids == n->capkids) {
    int cap = n->capkids ? n->capkids * 2 : 4;
    node **nk = realloc(n->kids, (size_t)cap * sizeof *nk);
    if (!nk) return NULL;
    n->kids = nk;
    n->capkids = cap;
  }
  node *c = node_new(name, len);
  if (c) n->kids[n->nkids++] = c;
  return c;
}

/* "block35_10" after "block35_9": digit runs compare as numbers. */
static int natural_cmp(const char *a, const char *b) {
  while (*a && *b) {
    if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
      while (*a == '0') a++;
      while (*b == '0') b++;
      size_t la = 0, lb = 0;
      while (isdigit((unsigned char)a[la])) la++;
      while (isdigit((unsigned char)b[lb])) lb++;
      if (la != lb) return la < lb ? -1 : 1;
      int c = memcmp(a, b, la);
      if (c) return c;
      a += la;
      b += lb;
    } else {
      if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
      a++, b++;
    }
  }
  return *a ? 1 : *b ? -1 : 0;
}

static int by_name(const void *x, const void *y) {
  return natural_cmp((*(node *const *)x)->name, (*(node *const *)y)->name);
}
static int by_size(const void *x, const void *y) {
  const node *a = *(node *const *)x, *b = *(node *const *)y;
  if (a->params != b->params) return a->params < b->params ? 1 : -1;
  return natural_cmp(a->name, b->name);
}

static void sort_tree(node *n, int size) {
  if (n->nkids > 1) qsort(n->kids, (size_t)n->nkids, sizeof *n->kids, size ? by_size : by_name);
  for (int i = 0; i < n->nkids; i++) sort_tree(n->kids[i], size);
}

typedef struct tree_ctx {
  tfckpt_reader *r;
  long long total_params;
  int max_depth;
  int ascii;
  int label_width;
  char prefix[1024];
} tree_ctx;

/* Display width of a UTF-8 string (box-drawing characters count as one). */
static int display_width(const char *s) {
  int w = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80) w++;
  return w;
}

static void print_line(tree_ctx *c, const char *lead, const node *n, int is_scope) {
  char label[1400], num[32], hb[32], shape[256] = "";
  snprintf(label, sizeof label, "%s%s%s", lead, n->name, is_scope ? "/" : "");
  cli_commas(num, sizeof num, n->params);
  cli_bytes_str(hb, sizeof hb, (double)n->bytes);
  double pct = c->total_params ? 100.0 * (double)n->params / (double)c->total_params : 0;
  if (!is_scope && n->var >= 0) {
    tfckpt_var_info v;
    tfckpt_reader_var(c->r, n->var, &v);
    char sh[200];
    snprintf(shape, sizeof shape, "  %s %s", tfckpt_dtype_name(v.dtype),
             cli_shape_str(sh, sizeof sh, v.rank, v.dims));
  } else if (is_scope) {
    snprintf(shape, sizeof shape, "  (%lld variable%s)", n->nvars, n->nvars == 1 ? "" : "s");
  }
  int pad = c->label_width - display_width(label);
  printf("%s%*s %14s  %10s  %5.1f%%%s\n", label, pad > 0 ? pad : 0, "", num, hb, pct, shape);
}

static void measure(tree_ctx *c, const node *n, int depth, int indent) {
  for (int i = 0; i < n->nkids; i++) {
    const node *k = n->kids[i];
    int w = indent * 4 + (int)strlen(k->name) + 1;
    if (w > c->label_width) c->label_width = w > 90 ? 90 : w;
    if (k->nkids && (c->max_depth < 0 || depth + 1 < c->max_depth)) measure(c, k, depth + 1, indent + 1);
  }
}

static void print_kids(tree_ctx *c, const node *n, int depth) {
  size_t plen = strlen(c->prefix);
  for (int i = 0; i < n->nkids; i++) {
    const node *k = n->kids[i];
    int last = i == n->nkids - 1;
    const char *branch = c->ascii ? (last ? "`-- " : "|-- ") : (last ? "└── " : "├── ");
    const char *cont = c->ascii ? (last ? "    " : "|   ") : (last ? "    " : "│   ");
    char lead[1100];
    snprintf(lead, sizeof lead, "%s%s", c->prefix, branch);
    int expand = k->nkids && (c->max_depth < 0 || depth + 1 < c->max_depth);
    /* A path that is both a variable and a scope ("dense/kernel" and
     * "dense/kernel/Adam") prints as two siblings: the variable, then the
     * scope with only what is under it, so every parent's totals are the
     * sum of its lines. */
    node scope = *k;
    if (k->var >= 0 && k->nkids) {
      node leaf = *k;
      leaf.nkids = 0;
      tfckpt_var_info v;
      tfckpt_reader_var(c->r, k->var, &v);
      leaf.params = v.dtype == TFCKPT_STRING || v.dtype == TFCKPT_VARIANT ? 0 : v.num_elements;
      leaf.bytes = v.nbytes;
      char leaf_lead[1100];
      snprintf(leaf_lead, sizeof leaf_lead, "%s%s", c->prefix, c->ascii ? "|-- " : "├── ");
      print_line(c, leaf_lead, &leaf, 0);
      scope.params -= leaf.params;
      scope.bytes -= leaf.bytes;
      scope.nvars -= 1;
    }
    print_line(c, lead, &scope, k->nkids > 0);
    if (expand && plen + strlen(cont) < sizeof c->prefix) {
      strcat(c->prefix, cont);
      print_kids(c, k, depth + 1);
      c->prefix[plen] = '\0';
    }
  }
}

static int cmd_tree(int argc, char **argv) {
  const char *path = NULL, *exclude = NULL, *sort = "name";
  int depth = -1, ascii = 0, objects = 0;
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_tree, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) return EXIT_OK;
    if (k == CLI_ERROR) return EXIT_USAGE;
    long long d;
    static const char *const sorts[] = {"name", "size", NULL};
    if (k == CLI_ARG) {
      path = p.value;
    } else if (cli_is(&p, "--depth")) {
      if (cli_value_int(&p, 0, CLI_NO_MAX, &d)) return EXIT_USAGE;
      depth = d > 1000 ? 1000 : (int)d;
    } else if (cli_is(&p, "--exclude")) {
      exclude = p.value;
    } else if (cli_is(&p, "--sort")) {
      int s = cli_value_choice(&p, sorts);
      if (s < 0) return EXIT_USAGE;
      sort = sorts[s];
    } else if (cli_is(&p, "--ascii")) {
      ascii = 1;
    } else if (cli_is(&p, "--objects")) {
      objects = 1;
    }
  }
  if (!path) {
    cli_print_usage(stderr, &cli_cmd_tree);
    return EXIT_USAGE;
  }
  regex_t xre;
  if (exclude && regcomp(&xre, exclude, REG_EXTENDED | REG_NOSUB)) {
    cli_error("tree", "bad --exclude regular expression \"%s\"", exclude);
    return EXIT_USAGE;
  }
  tfckpt_reader *r = cli_open("tree", path);
  node *root = NULL;
  int status = EXIT_FAIL;
  if (!r) goto done;
  if (objects) {
    status = cli_print_object_tree_ex(r, stdout, ascii);
    goto done;
  }
  const char *pfx = tfckpt_reader_prefix(r);
  const char *base = strrchr(pfx, '/');
  root = node_new(base ? base + 1 : pfx, strlen(base ? base + 1 : pfx));
  if (!root) goto oom;
  int64_t n = tfckpt_reader_num_variables(r);
  for (int64_t i = 0; i < n; i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    if (!strcmp(v.name, "_CHECKPOINTABLE_OBJECT_GRAPH")) continue;
    if (exclude && regexec(&xre, v.name, 0, NULL, 0) == 0) continue;
    long long params = v.dtype == TFCKPT_STRING || v.dtype == TFCKPT_VARIANT ? 0 : v.num_elements;
    node *cur = root;
    const char *s = v.name;
    cur->params += params, cur->bytes += v.nbytes, cur->nvars++;
    for (;;) {
      const char *slash = strchr(s, '/');
      size_t len = slash ? (size_t)(slash - s) : strlen(s);
      cur = child(cur, s, len);
      if (!cur) goto oom;
      cur->params += params, cur->bytes += v.nbytes, cur->nvars++;
      if (!slash) break;
      s = slash + 1;
    }
    cur->var = i;
  }
  sort_tree(root, !strcmp(sort, "size"));
  tree_ctx c = {.r = r, .total_params = root->params, .max_depth = depth, .ascii = ascii};
  c.label_width = (int)strlen(root->name) + 1;
  measure(&c, root, 0, 1);
  if (c.label_width < 20) c.label_width = 20;
  char num[32], hb[32];
  cli_commas(num, sizeof num, root->params);
  int pad = c.label_width - (int)strlen(root->name);
  printf("%s%*s %14s  %10s  %5.1f%%  (%lld variables)\n", root->name, pad > 0 ? pad : 0, "", num,
         cli_bytes_str(hb, sizeof hb, (double)root->bytes), 100.0, root->nvars);
  print_kids(&c, root, 0);
  status = EXIT_OK;
  goto done;
oom:
  cli_error("tree", "out of memory");
done:
  node_free(root);
  tfckpt_reader_close(r);
  if (exclude) regfree(&xre);
  return status;
}

const cli_command cli_cmd_tree = {
    .name = "tree",
    .run = cmd_tree,
    .summary = "scope tree with parameter counts",
    .usage = "CHECKPOINT [options]",
    .about = "Shows the variables as a tree of scopes with parameter counts, bytes and the\n"
             "share of all parameters.\n",
    .args = tree_args,
    .groups = {{NULL, tree_opts}},
};
