/* tfckpt check: would restoring this checkpoint into this graph work?  The
 * usual "Key ... not found in checkpoint" debugging, done mechanically. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfckpt/internal/file.h"
#include "tfckpt/graph.h"
#include "tfckpt/objgraph.h"

static const cli_opt check_args[] = {CLI_ARG_CHECKPOINT, {0}};

static const cli_opt check_opts[] = {
    {"--graph", NULL, "FILE",
     "a .meta file, saved_model.pb or SavedModel directory; by default CHECKPOINT.meta, "
     "or the SavedModel's saved_model.pb", 0},
    CLI_OPT_QUIET("print only the verdict line (and errors)"),
    {0},
};

static int shapes_compatible(const tfckpt_graph_var *g, const tfckpt_var_info *c) {
  if (g->rank < 0) return 1;
  if (g->rank != c->rank) return 0;
  for (int d = 0; d < g->rank; d++)
    if (g->dims[d] >= 0 && g->dims[d] != c->dims[d]) return 0;
  return 1;
}

/* The graph file to use when none was given; NULL if none is found. */
static char *default_graph(const char *ckpt_arg, tfckpt_reader *r) {
  if (tfckpt__is_dir(ckpt_arg)) {
    char *pb = tfckpt__path_join(ckpt_arg, "saved_model.pb");
    if (pb && tfckpt__is_file(pb)) return pb;
    free(pb);
  }
  char *meta = tfckpt__strdupf("%s.meta", tfckpt_reader_prefix(r));
  if (meta && tfckpt__is_file(meta)) return meta;
  free(meta);
  /* variables/variables inside a SavedModel: ../saved_model.pb */
  const char *p = tfckpt_reader_prefix(r);
  size_t n = strlen(p);
  const char *tail = "variables/variables";
  if (n >= strlen(tail) && !strcmp(p + n - strlen(tail), tail)) {
    char *pb = tfckpt__strdupf("%.*ssaved_model.pb", (int)(n - strlen(tail)), p);
    if (pb && tfckpt__is_file(pb)) return pb;
    free(pb);
  }
  return NULL;
}

static int cmd_check(int argc, char **argv) {
  const char *path = NULL, *graph_path = NULL;
  int quiet = 0;
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_check, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) return EXIT_OK;
    if (k == CLI_ERROR) return EXIT_USAGE;
    if (k == CLI_ARG) path = p.value;
    else if (cli_is(&p, "--graph")) graph_path = p.value;
    else if (cli_is(&p, "--quiet")) quiet = 1;
  }
  if (!path) {
    cli_print_usage(stderr, &cli_cmd_check);
    return EXIT_USAGE;
  }
  tfckpt_reader *r = cli_open("check", path);
  if (!r) return EXIT_FAIL;
  char *gpath = graph_path ? strdup(graph_path) : default_graph(path, r);
  if (!gpath) {
    cli_error("check", "%s: no graph found next to the checkpoint (no %s.meta); give --graph FILE",
              path, tfckpt_reader_prefix(r));
    tfckpt_reader_close(r);
    return EXIT_USAGE;
  }
  tfckpt_graph_info g;
  if (tfckpt_graph_load(gpath, &g)) {
    cli_error("check", "%s", tfckpt_errmsg());
    free(gpath);
    tfckpt_reader_close(r);
    return EXIT_FAIL;
  }
  int64_t nv = tfckpt_reader_num_variables(r);
  unsigned char *used = calloc((size_t)(nv ? nv : 1), 1);
  if (!used) {
    cli_error("check", "out of memory");
    tfckpt_graph_info_free(&g);
    free(gpath);
    tfckpt_reader_close(r);
    return EXIT_FAIL;
  }
  size_t expected = 0, missing = 0, mismatched = 0, extra = 0;
  char s1[256], s2[256];
  if (!quiet)
    printf("checkpoint: %s (%lld variables)\ngraph:      %s (%zu variables)\n",
           tfckpt_reader_prefix(r), (long long)nv, gpath, g.nvars);
  /* pass 1: missing */
  for (size_t i = 0; i < g.nvars; i++) {
    const tfckpt_graph_var *v = &g.vars[i];
    int64_t k = tfckpt_reader_find(r, v->name);
    if (k >= 0) used[k] = 1;
    if (!v->saved) continue;
    expected++;
    if (k >= 0) continue;
    if (!missing++ && !quiet) printf("\nmissing from the checkpoint (restore fails):\n");
    if (quiet) continue;
    printf("  %s  %s %s", v->name, v->dtype ? tfckpt_dtype_name(v->dtype) : "?",
           cli_graph_shape_str(s1, sizeof s1, v->rank, v->dims));
    const char *sug[3];
    int ns = tfckpt_reader_suggest(r, v->name, sug, 3);
    if (ns) printf("  (checkpoint has \"%s\"%s)", sug[0], ns > 1 ? ", ..." : "");
    putchar('\n');
  }
  /* pass 2: mismatches */
  for (size_t i = 0; i < g.nvars; i++) {
    const tfckpt_graph_var *v = &g.vars[i];
    int64_t k = tfckpt_reader_find(r, v->name);
    if (k < 0) continue;
    tfckpt_var_info c;
    tfckpt_reader_var(r, k, &c);
    tfckpt_dtype bad_dtype = v->dtype && v->dtype != c.dtype;
    int bad_shape = !shapes_compatible(v, &c);
    if (!bad_dtype && !bad_shape) continue;
    if (!mismatched++ && !quiet) printf("\ndtype/shape mismatches (restore fails):\n");
    if (quiet) continue;
    printf("  %s: graph %s %s, checkpoint %s %s\n", v->name,
           v->dtype ? tfckpt_dtype_name(v->dtype) : "?",
           cli_graph_shape_str(s1, sizeof s1, v->rank, v->dims),
           tfckpt_dtype_name(c.dtype), cli_graph_shape_str(s2, sizeof s2, c.rank, c.dims));
  }
  /* pass 3: unused checkpoint variables */
  for (int64_t k = 0; k < nv; k++) {
    if (used[k]) continue;
    tfckpt_var_info c;
    tfckpt_reader_var(r, k, &c);
    if (!strcmp(c.name, TFCKPT_OBJECT_GRAPH_KEY)) continue;
    if (!extra++ && !quiet) printf("\nin the checkpoint but not in the graph (not restored):\n");
    if (!quiet)
      printf("  %s  %s %s\n", c.name, tfckpt_dtype_name(c.dtype),
             cli_graph_shape_str(s1, sizeof s1, c.rank, c.dims));
  }
  int fail = missing || mismatched;
  if (!quiet) putchar('\n');
  printf("%s: %zu of %zu graph variables found, %zu missing, %zu mismatched, %zu unused in the "
         "checkpoint\n",
         fail ? "restore would FAIL" : "restore OK", expected - missing, expected, missing,
         mismatched, extra);
  free(used);
  tfckpt_graph_info_free(&g);
  free(gpath);
  tfckpt_reader_close(r);
  return fail ? EXIT_FAIL : EXIT_OK;
}

const cli_command cli_cmd_check = {
    .name = "check",
    .run = cmd_check,
    .summary = "compare a checkpoint with the graph that will restore it",
    .usage = "CHECKPOINT [--graph FILE] [options]",
    .about = "Compares a checkpoint with the variables a graph will restore from it:\n"
             "  - variables the graph expects that the checkpoint lacks,\n"
             "  - dtype or shape mismatches (an unknown graph dimension matches any size),\n"
             "  - variables the checkpoint has that the graph does not use (harmless).\n"
             "Exit status 1 when a restore would fail (missing or mismatched variables).\n",
    .args = check_args,
    .groups = {{NULL, check_opts}},
};
