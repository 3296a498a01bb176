/* tfckpt ls: one line per variable, then totals. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/objtree_print.h"

static const cli_opt ls_args[] = {CLI_ARG_CHECKPOINT, {0}};

static const cli_opt ls_opts[] = {
    CLI_OPT_FILTER("list only variables whose name matches (POSIX extended)"),
    CLI_OPT_EXCLUDE("leave matching variables out of the totals (e.g. '/Adam')"),
    {"--sort", NULL, "name|size", "order (default: name)", 0},
    CLI_OPT_JSON("print one JSON array of objects instead"),
    CLI_OPT_ALL("also list the TF2 object graph tensor"),
    {"--friendly", NULL, NULL,
     "show readable names of TF2 object-based keys beside them (model/dense/kernel, "
     "optimizer/m/model/dense/kernel)", 0},
    {0},
};

#define OBJECT_GRAPH_KEY "_CHECKPOINTABLE_OBJECT_GRAPH"

typedef struct row {
  tfckpt_var_info v;
  int excluded;
} row;

static int by_size(const void *a, const void *b) {
  const row *x = a, *y = b;
  if (x->v.nbytes != y->v.nbytes) return x->v.nbytes < y->v.nbytes ? 1 : -1;
  return strcmp(x->v.name, y->v.name);
}

static int cmd_ls(int argc, char **argv) {
  const char *path = NULL, *filter = NULL, *exclude = NULL, *sort = "name";
  int json = 0, all = 0, friendly = 0;
  static const char *const sorts[] = {"name", "size", NULL};
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_ls, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) return EXIT_OK;
    if (k == CLI_ERROR) return EXIT_USAGE;
    if (k == CLI_ARG) path = p.value;
    else if (cli_is(&p, "--filter")) filter = p.value;
    else if (cli_is(&p, "--exclude")) exclude = p.value;
    else if (cli_is(&p, "--json")) json = 1;
    else if (cli_is(&p, "--all")) all = 1;
    else if (cli_is(&p, "--friendly")) friendly = 1;
    else if (cli_is(&p, "--sort")) {
      int s = cli_value_choice(&p, sorts);
      if (s < 0) return EXIT_USAGE;
      sort = sorts[s];
    }
  }
  if (!path) {
    cli_print_usage(stderr, &cli_cmd_ls);
    return EXIT_USAGE;
  }
  regex_t fre, xre;
  int rc;
  if (filter && (rc = regcomp(&fre, filter, REG_EXTENDED | REG_NOSUB))) {
    cli_error("ls", "bad --filter regular expression \"%s\"", filter);
    return EXIT_USAGE;
  }
  if (exclude && (rc = regcomp(&xre, exclude, REG_EXTENDED | REG_NOSUB))) {
    cli_error("ls", "bad --exclude regular expression \"%s\"", exclude);
    if (filter) regfree(&fre);
    return EXIT_USAGE;
  }
  tfckpt_reader *r = cli_open("ls", path);
  int status = EXIT_FAIL;
  row *rows = NULL;
  if (!r) goto done;
  int64_t n = tfckpt_reader_num_variables(r), m = 0;
  rows = calloc((size_t)(n ? n : 1), sizeof *rows);
  if (!rows) {
    cli_error("ls", "out of memory");
    goto done;
  }
  for (int64_t i = 0; i < n; i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    if (!all && !strcmp(v.name, OBJECT_GRAPH_KEY)) continue;
    if (filter && regexec(&fre, v.name, 0, NULL, 0) != 0) continue;
    rows[m].v = v;
    rows[m].excluded = exclude && regexec(&xre, v.name, 0, NULL, 0) == 0;
    m++;
  }
  if (!strcmp(sort, "size") && m > 1) qsort(rows, (size_t)m, sizeof *rows, by_size);

  long long params = 0, bytes = 0, counted = 0;
  for (int64_t i = 0; i < m; i++) {
    if (rows[i].excluded) continue;
    counted++;
    bytes += rows[i].v.nbytes;
    int dt = rows[i].v.dtype;
    if (dt != TFCKPT_STRING && dt != TFCKPT_VARIANT) params += rows[i].v.num_elements;
  }
  if (json) {
    fputs("[", stdout);
    for (int64_t i = 0; i < m; i++) {
      const tfckpt_var_info *v = &rows[i].v;
      fputs(i ? ",\n {\"name\": " : "\n {\"name\": ", stdout);
      tfckpt__json_fput_str(stdout, v->name, strlen(v->name));
      if (friendly) {
        char *fn = cli_friendly_name(v->name);
        fputs(", \"friendly\": ", stdout);
        tfckpt__json_fput_str(stdout, fn ? fn : v->name, strlen(fn ? fn : v->name));
        free(fn);
      }
      printf(", \"dtype\": \"%s\", \"shape\": [", tfckpt_dtype_name(v->dtype));
      for (int d = 0; d < v->rank; d++) printf("%s%lld", d ? ", " : "", (long long)v->dims[d]);
      printf("], \"elements\": %lld, \"bytes\": %lld, \"slices\": %d", (long long)v->num_elements,
             (long long)v->nbytes, v->num_slices);
      if (v->shard >= 0) printf(", \"shard\": %d, \"offset\": %lld", v->shard, (long long)v->offset);
      if (rows[i].excluded) fputs(", \"excluded\": true", stdout);
      fputs("}", stdout);
    }
    fputs(m ? "\n]\n" : "]\n", stdout);
  } else {
    int wname = 4, wtype = 5, wshape = 5, wfriendly = 0;
    char shape[256], num[40], num2[40], hb[32];
    for (int64_t i = 0; i < m; i++) {
      int l = (int)strlen(rows[i].v.name);
      if (l > wname) wname = l > 100 ? 100 : l;
      if (friendly) {
        char *fn = cli_friendly_name(rows[i].v.name);
        l = fn ? (int)strlen(fn) : 0;
        if (l > wfriendly) wfriendly = l > 100 ? 100 : l;
        free(fn);
      }
      l = (int)strlen(tfckpt_dtype_name(rows[i].v.dtype));
      if (l > wtype) wtype = l;
      l = (int)strlen(cli_shape_str(shape, sizeof shape, rows[i].v.rank, rows[i].v.dims));
      if (l > wshape) wshape = l;
    }
    for (int64_t i = 0; i < m; i++) {
      const tfckpt_var_info *v = &rows[i].v;
      cli_commas(num, sizeof num, v->num_elements);
      cli_commas(num2, sizeof num2, v->nbytes);
      if (friendly) {
        char *fn = cli_friendly_name(v->name);
        printf("%-*s  ", wfriendly, fn ? fn : v->name);
        free(fn);
      }
      printf("%-*s  %-*s  %-*s  %12s  %14s%s%s\n", wname, v->name, wtype,
             tfckpt_dtype_name(v->dtype), wshape,
             cli_shape_str(shape, sizeof shape, v->rank, v->dims), num, num2,
             v->num_slices ? "  (partitioned)" : "", rows[i].excluded ? "  (excluded)" : "");
    }
    cli_commas(num, sizeof num, params);
    cli_commas(num2, sizeof num2, bytes);
    printf("total: %lld variables, %s parameters, %s bytes (%s)", counted, num, num2,
           cli_bytes_str(hb, sizeof hb, (double)bytes));
    if (m - counted) printf(", %lld excluded", (long long)(m - counted));
    putchar('\n');
  }
  status = EXIT_OK;
done:
  free(rows);
  tfckpt_reader_close(r);
  if (filter) regfree(&fre);
  if (exclude) regfree(&xre);
  return status;
}

const cli_command cli_cmd_ls = {
    .name = "ls",
    .run = cmd_ls,
    .summary = "list variables: name, dtype, shape, elements, bytes",
    .usage = "CHECKPOINT [options]",
    .about = "Lists variables: name, dtype, shape, element count, bytes; then a total line.\n",
    .args = ls_args,
    .groups = {{NULL, ls_opts}},
};
