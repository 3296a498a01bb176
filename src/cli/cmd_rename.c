/* tfckpt rename: write a copy with variables renamed by rules. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/edit_util.h"
#include "tfckpt/internal/buf.h"

static const cli_opt rename_args[] = {
    {"IN", NULL, NULL, "the checkpoint to read", 0},
    {"OUT", NULL, NULL, "the prefix to write (left out with --in-place or --dry-run)", 0},
    {0},
};

static const cli_opt rename_opts[] = {
    {"--rule", NULL, "'FROM=>TO'",
     "literal prefix: a name starting with FROM gets TO instead (e.g. --rule "
     "'encoder/=>model/encoder/')", CLI_OPT_REPEAT},
    {"--regex", NULL, "'RE=>REPL'",
     "POSIX extended regular expression, first match replaced; \\0 is the whole match, "
     "\\1..\\9 its groups (e.g. --regex '(.*)/weights$=>\\1/kernel')", CLI_OPT_REPEAT},
    {"--dry-run", "-n", NULL, "print \"old -> new\" for every renamed variable, write nothing", 0},
    {0},
};

typedef struct rule {
  int is_regex;
  char *from, *to;
  regex_t re;
  int64_t hits;
  const char *text;
} rule;

/* Applies r to name; returns a malloc'd new name, or NULL if no match
 * (*oom set when allocation failed). */
static char *apply(rule *r, const char *name, int *oom) {
  if (!r->is_regex) {
    size_t n = strlen(r->from);
    if (strncmp(name, r->from, n)) return NULL;
    char *s = malloc(strlen(r->to) + strlen(name + n) + 1);
    if (!s) return *oom = 1, NULL;
    strcpy(s, r->to);
    strcat(s, name + n);
    return s;
  }
  regmatch_t m[10];
  if (regexec(&r->re, name, 10, m, 0) != 0) return NULL;
  tfckpt__buf b = {0};
  tfckpt__buf_append(&b, name, (size_t)m[0].rm_so);
  for (const char *p = r->to; *p; p++) {
    if (*p == '\\' && p[1] >= '0' && p[1] <= '9') {
      int g = p[1] - '0';
      if (m[g].rm_so >= 0)
        tfckpt__buf_append(&b, name + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
      p++;
    } else if (*p == '\\' && p[1] == '\\') {
      tfckpt__buf_append(&b, "\\", 1);
      p++;
    } else {
      tfckpt__buf_append(&b, p, 1);
    }
  }
  tfckpt__buf_append(&b, name + m[0].rm_eo, strlen(name + m[0].rm_eo));
  tfckpt__buf_append(&b, "", 1);
  if (b.oom) {
    tfckpt__buf_free(&b);
    *oom = 1;
    return NULL;
  }
  return (char *)b.data;
}

static int parse_rule(rule *r, const char *text, int is_regex) {
  memset(r, 0, sizeof *r);
  r->text = text;
  r->is_regex = is_regex;
  const char *sep = strstr(text, "=>");
  if (!sep) {
    cli_error("rename", "rule \"%s\" has no \"=>\" (write FROM=>TO)", text);
    return -1;
  }
  r->from = strndup(text, (size_t)(sep - text));
  r->to = strdup(sep + 2);
  if (!r->from || !r->to) {
    cli_error("rename", "out of memory");
    return -1;
  }
  if (!*r->from) {
    cli_error("rename", "rule \"%s\": the FROM part is empty", text);
    return -1;
  }
  if (is_regex) {
    int e = regcomp(&r->re, r->from, REG_EXTENDED);
    if (e) {
      char msg[200];
      regerror(e, &r->re, msg, sizeof msg);
      cli_error("rename", "bad regular expression \"%s\": %s", r->from, msg);
      r->is_regex = 0; /* nothing to regfree */
      return -1;
    }
  }
  return 0;
}

static int name_cmp(const void *a, const void *b) {
  const char *const *x = a, *const *y = b;
  int c = strcmp(x[0], y[0]);
  return c ? c : strcmp(x[1], y[1]);
}

static int cmd_rename(int argc, char **argv) {
  const char *pos[2] = {NULL, NULL};
  int npos = 0, dry = 0, nrules = 0;
  rule *rules = calloc((size_t)argc, sizeof *rules);
  edit_opts o = {0};
  int ret = EXIT_USAGE;
  tfckpt_reader *r = NULL;
  char **names = NULL;
  int64_t nv = 0;
  if (!rules) return EXIT_FAIL;
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_rename, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) ret = EXIT_OK;
    if (k == CLI_HELP || k == CLI_ERROR) goto done;
    if (k == CLI_ARG) {
      pos[npos++] = p.value;
    } else if (cli_is(&p, "--dry-run")) {
      dry = 1;
    } else if (cli_is(&p, "--rule") || cli_is(&p, "--regex")) {
      if (parse_rule(&rules[nrules++], p.value, cli_is(&p, "--regex"))) goto done;
    } else if (edit_apply_common(&p, &o) < 0) {
      goto done;
    }
  }
  if (npos == 1 && (o.in_place || dry)) pos[npos++] = pos[0];
  if (npos != 2 || nrules == 0) {
    if (npos == 2) cli_error("rename", "no --rule or --regex given");
    else cli_print_usage(stderr, &cli_cmd_rename);
    goto done;
  }
  ret = EXIT_FAIL;
  if (!(r = cli_open("rename", pos[0]))) goto done;
  nv = tfckpt_reader_num_variables(r);
  names = calloc((size_t)(nv ? nv : 1), sizeof *names);
  char **pairs = malloc((size_t)(nv ? nv : 1) * 2 * sizeof *pairs);
  if (!names || !pairs) {
    free(pairs);
    cli_error("rename", "out of memory");
    goto done;
  }
  int oom = 0;
  for (int64_t i = 0; i < nv && !oom; i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    names[i] = strdup(v.name);
    if (!names[i]) oom = 1;
    for (int k = 0; k < nrules && !oom; k++) {
      char *nn = apply(&rules[k], names[i], &oom);
      if (nn) {
        rules[k].hits++;
        free(names[i]);
        names[i] = nn;
      }
    }
  }
  if (oom) {
    free(pairs);
    cli_error("rename", "out of memory");
    goto done;
  }
  int bad = 0;
  for (int k = 0; k < nrules; k++)
    if (!rules[k].hits) {
      cli_error("rename", "rule \"%s\" matches no variable of %s", rules[k].text,
                tfckpt_reader_prefix(r));
      bad = 1;
    }
  for (int64_t i = 0; i < nv; i++)
    if (!names[i][0]) {
      tfckpt_var_info v;
      tfckpt_reader_var(r, i, &v);
      cli_error("rename", "\"%s\" would be renamed to an empty name", v.name);
      bad = 1;
    }
  /* collisions: sort (new, old) pairs and look for equal neighbours */
  for (int64_t i = 0; i < nv; i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    pairs[2 * i] = names[i];
    pairs[2 * i + 1] = (char *)v.name;
  }
  qsort(pairs, (size_t)nv, 2 * sizeof *pairs, name_cmp);
  for (int64_t i = 1; i < nv; i++)
    if (!strcmp(pairs[2 * i], pairs[2 * i - 2])) {
      cli_error("rename", "collision: \"%s\" and \"%s\" would both become \"%s\"",
                pairs[2 * i - 1], pairs[2 * i + 1], pairs[2 * i]);
      bad = 1;
    }
  free(pairs);
  if (bad) goto done;
  if (dry) {
    int64_t changed = 0;
    for (int64_t i = 0; i < nv; i++) {
      tfckpt_var_info v;
      tfckpt_reader_var(r, i, &v);
      if (strcmp(v.name, names[i])) {
        printf("%s -> %s\n", v.name, names[i]);
        changed++;
      }
    }
    fprintf(stderr, "rename: %lld of %lld variables would be renamed (dry run, nothing written)\n",
            (long long)changed, (long long)nv);
    ret = EXIT_OK;
    goto done;
  }
  const char *out;
  int64_t copied = 0;
  ret = edit_write_copy("rename", r, pos[1], &o, names, NULL, NULL, &out, &copied, NULL);
  if (ret == EXIT_OK && !o.quiet) {
    int64_t changed = 0;
    for (int64_t i = 0; i < nv; i++) {
      tfckpt_var_info v;
      tfckpt_reader_var(r, i, &v);
      changed += strcmp(v.name, names[i]) != 0;
    }
    fprintf(stderr, "rename: %lld of %lld variables renamed, written to %s\n",
            (long long)changed, (long long)copied, out);
  }
done:
  if (names)
    for (int64_t i = 0; i < nv; i++) free(names[i]);
  free(names);
  for (int k = 0; k < nrules; k++) {
    if (rules[k].is_regex) regfree(&rules[k].re);
    free(rules[k].from);
    free(rules[k].to);
  }
  free(rules);
  tfckpt_reader_close(r);
  return ret;
}

const cli_command cli_cmd_rename = {
    .name = "rename",
    .run = cmd_rename,
    .summary = "rename variables by prefix or regex rules",
    .usage = "IN OUT --rule 'FROM=>TO'... [--regex 'RE=>REPL'...] [--dry-run] [options]",
    .about = "Writes checkpoint OUT with IN's variables renamed.  Rules apply in the order\n"
             "given, each to the result of the previous ones.  A rule that matches no\n"
             "variable, or two variables ending with one name, is an error and nothing is\n"
             "written.  Values and the data layout are copied as they are.  Note: in TF2\n"
             "object-based checkpoints the object graph (_CHECKPOINTABLE_OBJECT_GRAPH)\n"
             "still names the old keys.\n",
    .args = rename_args,
    .groups = {{NULL, rename_opts}, {EDIT_OPTS_TITLE, edit_common_opts}},
};
