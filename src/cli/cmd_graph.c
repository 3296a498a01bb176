/* tfckpt graph: the variables a .meta / saved_model.pb declares, and its op
 * types. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfckpt/graph.h"

static const cli_opt graph_args[] = {
    {"FILE", NULL, NULL, "a .meta file (MetaGraphDef), a saved_model.pb, or a SavedModel directory", 0},
    {0},
};

static const cli_opt graph_opts[] = {
    CLI_OPT_JSON("print the variables as a JSON array (the form of ls --json, plus \"op\", "
                 "\"node\" and \"saved\"; unknown sizes are -1)"),
    {"--top", NULL, "N", "show the N most frequent op types (default 20; 0: all)", 0},
    {0},
};

static const char *kind_name(const tfckpt_graph_info *g) {
  return g->kind == TFCKPT_GRAPH_SAVED_MODEL ? "SavedModel" : "MetaGraphDef";
}

static int64_t graph_elements(const tfckpt_graph_var *v) {
  if (v->rank < 0) return -1;
  int64_t n = 1;
  for (int d = 0; d < v->rank; d++) {
    if (v->dims[d] < 0) return -1;
    if (v->dims[d] && n > INT64_MAX / v->dims[d]) return -1;
    n *= v->dims[d];
  }
  return n;
}

static void print_json(const tfckpt_graph_info *g) {
  fputs("[", stdout);
  for (size_t i = 0; i < g->nvars; i++) {
    const tfckpt_graph_var *v = &g->vars[i];
    fputs(i ? ",\n {\"name\": " : "\n {\"name\": ", stdout);
    tfckpt__json_fput_str(stdout, v->name, strlen(v->name));
    printf(", \"dtype\": \"%s\", \"shape\": ", v->dtype ? tfckpt_dtype_name(v->dtype) : "unknown");
    if (v->rank < 0) {
      fputs("null", stdout);
    } else {
      fputs("[", stdout);
      for (int d = 0; d < v->rank; d++) printf("%s%lld", d ? ", " : "", (long long)v->dims[d]);
      fputs("]", stdout);
    }
    int64_t n = graph_elements(v);
    size_t es = v->dtype ? tfckpt_dtype_size(v->dtype) : 0;
    long long bytes = n >= 0 && es && (uint64_t)n <= INT64_MAX / es ? (long long)(n * (int64_t)es) : -1;
    printf(", \"elements\": %lld, \"bytes\": %lld, \"slices\": %d, \"op\": ", (long long)n, bytes,
           v->nparts);
    /* op names come from the graph file: escaped like every other string */
    tfckpt__json_fput_str(stdout, v->op, strlen(v->op));
    fputs(", \"node\": ", stdout);
    tfckpt__json_fput_str(stdout, v->node, strlen(v->node));
    printf(", \"saved\": %s}", v->saved ? "true" : "false");
  }
  fputs(g->nvars ? "\n]\n" : "]\n", stdout);
}

static int cmd_graph(int argc, char **argv) {
  const char *path = NULL;
  int json = 0;
  long long top = 20;
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_graph, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) return EXIT_OK;
    if (k == CLI_ERROR) return EXIT_USAGE;
    if (k == CLI_ARG) path = p.value;
    else if (cli_is(&p, "--json")) json = 1;
    else if (cli_is(&p, "--top") && cli_value_int(&p, 0, CLI_NO_MAX, &top)) return EXIT_USAGE;
  }
  if (!path) {
    cli_print_usage(stderr, &cli_cmd_graph);
    return EXIT_USAGE;
  }
  tfckpt_graph_info g;
  if (tfckpt_graph_load(path, &g)) {
    cli_error("graph", "%s", tfckpt_errmsg());
    return EXIT_FAIL;
  }
  if (json) {
    print_json(&g);
    tfckpt_graph_info_free(&g);
    return EXIT_OK;
  }
  printf("%s: %s", path, kind_name(&g));
  if (g.kind == TFCKPT_GRAPH_SAVED_MODEL)
    printf(" (%d meta graph%s%s)", g.num_meta_graphs, g.num_meta_graphs == 1 ? "" : "s, the first shown",
           "");
  if (g.tags) printf(", tags: %s", g.tags);
  printf(", %lld nodes", (long long)g.num_nodes);
  if (g.num_functions)
    printf(", %lld functions (%lld nodes)", (long long)g.num_functions,
           (long long)g.num_function_nodes);
  static const char *const kSaver[] = {"LEGACY", "V1", "V2"};
  if (g.saver_version >= 0 && g.saver_version <= 2) printf(", saver %s", kSaver[g.saver_version]);
  putchar('\n');

  int wname = 4, wtype = 5, wshape = 5;
  char shape[256];
  size_t nlocal = 0;
  for (size_t i = 0; i < g.nvars; i++) {
    const tfckpt_graph_var *v = &g.vars[i];
    int l = (int)strlen(v->name);
    if (l > wname) wname = l > 100 ? 100 : l;
    l = (int)strlen(v->dtype ? tfckpt_dtype_name(v->dtype) : "?");
    if (l > wtype) wtype = l;
    l = (int)strlen(cli_graph_shape_str(shape, sizeof shape, v->rank, v->dims));
    if (l > wshape) wshape = l;
    nlocal += !v->saved;
  }
  printf("\nvariables: %zu%s\n", g.nvars,
         g.object_based ? " (object-based checkpoint keys from the SavedObjectGraph)" : "");
  for (size_t i = 0; i < g.nvars; i++) {
    const tfckpt_graph_var *v = &g.vars[i];
    printf("  %-*s  %-*s  %-*s  %s", wname, v->name, wtype,
           v->dtype ? tfckpt_dtype_name(v->dtype) : "?", wshape,
           cli_graph_shape_str(shape, sizeof shape, v->rank, v->dims), v->op);
    if (v->nparts) printf("  (partitioned: %d parts)", v->nparts);
    if (strcmp(v->node, v->name) && !v->nparts) printf("  (%s)", v->node);
    if (!v->saved)
      fputs(g.saver_keys ? "  (not restored by the graph's Saver)"
                         : "  (local: not in the \"variables\" collection)",
            stdout);
    putchar('\n');
  }
  if (g.saver_keys)
    printf("  the graph's Saver restores %zu checkpoint keys%s\n", g.saver_keys,
           nlocal ? "; variables marked above are not among them" : "");
  else if (nlocal)
    printf("  %zu local variables are not saved by a default Saver\n", nlocal);
  size_t shown = top == 0 || (size_t)top > g.nops ? g.nops : (size_t)top;
  printf("\nop types: %zu distinct in %lld top-level nodes%s\n", g.nops, (long long)g.num_nodes,
         shown < g.nops ? " (most frequent first; --top 0 shows all)" : "");
  for (size_t i = 0; i < shown; i++)
    printf("  %8lld  %s\n", (long long)g.ops[i].count, g.ops[i].op);
  tfckpt_graph_info_free(&g);
  return EXIT_OK;
}

const cli_command cli_cmd_graph = {
    .name = "graph",
    .run = cmd_graph,
    .summary = "variables and op types of a .meta file or SavedModel",
    .usage = "FILE [options]",
    .about = "Lists the variables a graph declares (name as saved in checkpoints, dtype,\n"
             "shape as the graph declares it; ? = unknown) and a histogram of op types.\n"
             "Partitioned variables are listed once under their full name and shape; TF2\n"
             "SavedModels list object-based checkpoint keys.\n",
    .args = graph_args,
    .groups = {{NULL, graph_opts}},
};
