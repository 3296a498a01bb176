/* tfckpt merge: the union of several checkpoints' variables. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/edit_util.h"

static const cli_opt merge_args[] = {
    {"OUT", NULL, NULL, "the prefix to write", 0},
    {"IN", NULL, NULL, "the checkpoints to merge", CLI_OPT_REPEAT},
    {0},
};

static const cli_opt merge_opts[] = {
    {"--prefer", NULL, "first|last",
     "a name present in several inputs is taken from the earliest (first) or the latest "
     "(last) input holding it, instead of being an error", 0},
    {0},
};

static int cmd_merge(int argc, char **argv) {
  const char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = 0, ret = EXIT_USAGE, prefer = 0; /* 1 first, 2 last */
  edit_opts o = {0};
  tfckpt_reader **in = NULL;
  char ***names = NULL;
  int n = 0;
  if (!pos) return EXIT_FAIL;
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_merge, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) ret = EXIT_OK;
    if (k == CLI_HELP || k == CLI_ERROR) goto done;
    static const char *const prefs[] = {"first", "last", NULL};
    if (k == CLI_ARG) {
      pos[npos++] = p.value;
    } else if (cli_is(&p, "--prefer")) {
      int c = cli_value_choice(&p, prefs);
      if (c < 0) goto done;
      prefer = c + 1;
    } else if (edit_apply_common(&p, &o) < 0) {
      goto done;
    }
  }
  if (npos < 2) {
    cli_print_usage(stderr, &cli_cmd_merge);
    goto done;
  }
  ret = EXIT_FAIL;
  n = npos - 1;
  in = calloc((size_t)n, sizeof *in);
  names = calloc((size_t)n, sizeof *names);
  if (!in || !names) goto done;
  int maxshards = 1;
  for (int k = 0; k < n; k++) {
    if (!(in[k] = cli_open("merge", pos[k + 1]))) goto done;
    int64_t nv = tfckpt_reader_num_variables(in[k]);
    if (!(names[k] = calloc((size_t)(nv ? nv : 1), sizeof **names))) goto done;
    if (tfckpt_reader_num_shards(in[k]) > maxshards) maxshards = tfckpt_reader_num_shards(in[k]);
  }
  /* owner of each name: the first (or last) input holding it */
  int clashes = 0;
  for (int k = 0; k < n; k++) {
    int64_t nv = tfckpt_reader_num_variables(in[k]);
    for (int64_t i = 0; i < nv; i++) {
      tfckpt_var_info v;
      tfckpt_reader_var(in[k], i, &v);
      int owner = k, seen_other = -1;
      for (int j = 0; j < n; j++) {
        if (j == k || tfckpt_reader_find(in[j], v.name) < 0) continue;
        if (seen_other < 0 || (prefer != 2 && j < seen_other)) seen_other = j;
        if (prefer == 1 && j < owner) owner = j;
        if (prefer == 2 && j > owner) owner = j;
      }
      if (seen_other >= 0 && !prefer && seen_other > k) {
        if (clashes < 20)
          cli_error("merge", "\"%s\" is in both %s and %s (use --prefer first|last)", v.name,
                    pos[k + 1], pos[seen_other + 1]);
        clashes++;
      }
      if (owner == k) names[k][i] = (char *)v.name;
    }
  }
  if (clashes) {
    if (clashes > 20) cli_error("merge", "... %d name clashes in all", clashes);
    goto done;
  }
  for (int k = 0; k < n; k++)
    if (edit_check_output("merge", pos[0], tfckpt_reader_prefix(in[k]), &o)) goto done;
  int nshards = o.shards ? o.shards : maxshards;
  tfckpt_writer *w = edit_open_writer("merge", pos[0], nshards, &o);
  if (!w) goto done;
  int64_t total = 0;
  for (int k = 0; k < n; k++) {
    int64_t copied = 0;
    if (edit_copy("merge", in[k], w, nshards, names[k], NULL, NULL, &copied, NULL)) {
      tfckpt_writer_close(w);
      goto done;
    }
    total += copied;
  }
  ret = edit_finish("merge", w);
  if (ret == EXIT_OK && !o.quiet)
    fprintf(stderr, "merge: %lld variables from %d checkpoints written to %s\n", (long long)total,
            n, pos[0]);
done:
  for (int k = 0; k < n; k++) {
    if (in) tfckpt_reader_close(in[k]);
    if (names) free(names[k]);
  }
  free(in);
  free(names);
  free(pos);
  return ret;
}

const cli_command cli_cmd_merge = {
    .name = "merge",
    .run = cmd_merge,
    .summary = "union of the variables of several checkpoints",
    .usage = "OUT IN1 IN2 ... [--prefer first|last] [options]",
    .about = "Writes checkpoint OUT holding every variable of every input, copied as\n"
             "stored (input order, then each input's data order; each variable keeps its\n"
             "data-file number modulo OUT's count, which defaults to the largest input's).\n"
             "A name present in two inputs is an error that lists the clashes, unless\n"
             "--prefer says which input wins.\n",
    .args = merge_args,
    .groups = {{NULL, merge_opts}, {EDIT_OPTS_TITLE, edit_new_output_opts}},
};
