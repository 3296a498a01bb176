/* tfckpt rm: write a copy without some variables. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/edit_util.h"

static const cli_opt rm_args[] = {
    {"IN", NULL, NULL, "the checkpoint to read", 0},
    {"OUT", NULL, NULL, "the prefix to write (left out with --in-place)", 0},
    {"NAME", NULL, NULL, "a variable to remove", CLI_OPT_REPEAT},
    {0},
};

static const cli_opt rm_opts[] = {
    {"--regex", NULL, "RE", "remove the variables whose name matches RE", CLI_OPT_REPEAT},
    {"--dry-run", "-n", NULL, "print the names that would be removed, write nothing", 0},
    {0},
};

static int cmd_rm(int argc, char **argv) {
  const char **pos = calloc((size_t)argc + 1, sizeof *pos);
  regex_t *res = calloc((size_t)argc + 1, sizeof *res);
  const char **re_text = calloc((size_t)argc + 1, sizeof *re_text);
  int npos = 0, nres = 0, dry = 0, ret = EXIT_USAGE;
  edit_opts o = {0};
  tfckpt_reader *r = NULL;
  char **names = NULL;
  int64_t nv = 0;
  if (!pos || !res || !re_text) goto done;
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_rm, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) ret = EXIT_OK;
    if (k == CLI_HELP || k == CLI_ERROR) goto done;
    const char *v = p.value;
    if (k == CLI_ARG) {
      pos[npos++] = v;
    } else if (cli_is(&p, "--dry-run")) {
      dry = 1;
    } else if (cli_is(&p, "--regex")) {
      int e = regcomp(&res[nres], v, REG_EXTENDED | REG_NOSUB);
      if (e) {
        char msg[200];
        regerror(e, &res[nres], msg, sizeof msg);
        cli_error("rm", "bad regular expression \"%s\": %s", v, msg);
        goto done;
      }
      re_text[nres++] = v;
    } else if (edit_apply_common(&p, &o) < 0) {
      goto done;
    }
  }
  /* with --in-place OUT is the input and is not given */
  int first_name = o.in_place ? 1 : 2;
  const char *out_arg = o.in_place ? NULL : pos[1];
  if (npos < first_name) {
    cli_print_usage(stderr, &cli_cmd_rm);
    goto done;
  }
  if (npos <= first_name && nres == 0) {
    cli_error("rm", "nothing to remove: give variable names or --regex");
    goto done;
  }
  ret = EXIT_FAIL;
  if (!(r = cli_open("rm", pos[0]))) goto done;
  nv = tfckpt_reader_num_variables(r);
  names = calloc((size_t)(nv ? nv : 1), sizeof *names);
  char *drop = calloc((size_t)(nv ? nv : 1), 1);
  if (!names || !drop) {
    free(drop);
    cli_error("rm", "out of memory");
    goto done;
  }
  int bad = 0;
  for (int k = first_name; k < npos; k++) {
    int64_t i = tfckpt_reader_find(r, pos[k]);
    if (i >= 0) {
      drop[i] = 1;
      continue;
    }
    const char *s[3];
    int n = tfckpt_reader_suggest(r, pos[k], s, 3);
    if (n)
      cli_error("rm", "%s: no variable named \"%s\"; did you mean \"%s\"%s%s%s?",
                tfckpt_reader_prefix(r), pos[k], s[0], n > 1 ? ", \"" : "", n > 1 ? s[1] : "",
                n > 1 ? "\"" : "");
    else
      cli_error("rm", "%s: no variable named \"%s\"", tfckpt_reader_prefix(r), pos[k]);
    bad = 1;
  }
  for (int k = 0; k < nres; k++) {
    int64_t hits = 0;
    for (int64_t i = 0; i < nv; i++) {
      tfckpt_var_info v;
      tfckpt_reader_var(r, i, &v);
      if (regexec(&res[k], v.name, 0, NULL, 0) == 0) drop[i] = 1, hits++;
    }
    if (!hits) fprintf(stderr, "tfckpt rm: warning: --regex '%s' matches no variable\n", re_text[k]);
  }
  if (bad) {
    free(drop);
    goto done;
  }
  int64_t removed = 0;
  for (int64_t i = 0; i < nv; i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    if (drop[i]) {
      removed++;
      if (dry) printf("%s\n", v.name);
    } else {
      names[i] = (char *)v.name;
    }
  }
  free(drop);
  if (dry) {
    fprintf(stderr, "rm: %lld of %lld variables would be removed (dry run, nothing written)\n",
            (long long)removed, (long long)nv);
    ret = EXIT_OK;
    goto done;
  }
  const char *out;
  int64_t copied = 0;
  ret = edit_write_copy("rm", r, out_arg, &o, names, NULL, NULL, &out, &copied, NULL);
  if (ret == EXIT_OK && !o.quiet)
    fprintf(stderr, "rm: removed %lld variables, kept %lld, written to %s\n", (long long)removed,
            (long long)copied, out);
done:
  free(names); /* the names themselves belong to the reader */
  tfckpt_reader_close(r);
  for (int k = 0; k < nres; k++) regfree(&res[k]);
  free(res);
  free(re_text);
  free(pos);
  return ret;
}

const cli_command cli_cmd_rm = {
    .name = "rm",
    .run = cmd_rm,
    .summary = "write a copy without some variables (e.g. optimizer slots)",
    .usage = "IN OUT [NAME...] [--regex RE...] [options]\nIN --in-place [NAME...] [--regex RE...]",
    .about = "Writes checkpoint OUT with every variable of IN except the ones named, and\n"
             "the ones whose name matches one of the POSIX extended regular expressions\n"
             "(searched anywhere in the name, like grep -E).  Example: drop every Adam slot\n"
             "  tfckpt rm model.ckpt-100 shipped/model.ckpt-100 --regex '/Adam(_[0-9]+)?$'\n"
             "A NAME that does not exist is an error (with close names suggested) and\n"
             "nothing is written; a regex matching nothing only prints a warning.  The\n"
             "remaining variables keep their values and data layout.\n",
    .args = rm_args,
    .groups = {{NULL, rm_opts}, {EDIT_OPTS_TITLE, edit_common_opts}},
};
