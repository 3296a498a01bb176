/* The CLI option tables (src/cli/cli_opts.c), walked for every command in
 * cli_commands: each option is listed by `tfckpt CMD --help`, parses as
 * `--opt V` and `--opt=V`, and the usage errors (unknown option, missing
 * value, a value given to a flag) exit 2 with their message. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "harness.h"

static const char *bin;

#define FOR_EACH_OPT(c, o)                                                 \
  for (int g_ = 0; g_ < CLI_MAX_GROUPS && (c)->groups[g_].opts; g_++)     \
    for (const cli_opt *o = (c)->groups[g_].opts; o->name; o++)

/* Parses argv (NULL-terminated, argv[0] the command) quietly; returns the
 * kinds cli_next gave, up to 8, ending with CLI_END or CLI_ERROR. */
typedef struct parsed {
  int n, kind[8];
  const cli_opt *opt[8];
  const char *value[8];
  char msg[256];
} parsed;

static parsed parse(const cli_command *c, const char **args) {
  parsed r = {0};
  int argc = 0;
  while (args[argc]) argc++;
  cli_parser p;
  cli_parser_init(&p, c, argc, (char **)args);
  p.quiet = 1;
  for (;;) {
    int k = cli_next(&p);
    r.kind[r.n] = k;
    r.opt[r.n] = p.opt;
    r.value[r.n] = p.value;
    r.n++;
    if (k == CLI_END || k == CLI_ERROR || k == CLI_HELP || r.n == 8) break;
  }
  snprintf(r.msg, sizeof r.msg, "%s", p.msg);
  return r;
}

/* Runs the command in this process with stderr captured; returns the exit
 * status, *err the text (malloc'd). */
static int run_captured(const cli_command *c, const char **args, char **err) {
  int argc = 0;
  while (args[argc]) argc++;
  char path[] = "/tmp/tfckpt-test-cli-opts-XXXXXX";
  int fd = mkstemp(path);
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  int rc = c->run(argc, (char **)args);
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  off_t n = lseek(fd, 0, SEEK_END);
  *err = malloc((size_t)(n > 0 ? n : 0) + 1);
  if (*err && pread(fd, *err, (size_t)(n > 0 ? n : 0), 0) != (n > 0 ? n : 0)) n = 0;
  if (*err) (*err)[n > 0 ? n : 0] = '\0';
  close(fd);
  unlink(path);
  return rc;
}

/* stdout of `tfckpt ARGS 2>/dev/null` (malloc'd) and its exit status. */
static char *run_binary(const char *args, int *status) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "'%s' %s 2>/dev/null", bin, args);
  FILE *f = popen(cmd, "r");
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  char chunk[4096];
  size_t k;
  while (f && (k = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, k, out);
  fclose(out);
  int st = f ? pclose(f) : -1;
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return buf;
}

/* Whether `help` lists `word` as an option or argument: preceded by two
 * spaces or ", " and followed by a space, ',', '[', ':' or a newline. */
static int lists(const char *help, const char *word) {
  size_t n = strlen(word);
  for (const char *s = strstr(help, word); s; s = strstr(s + 1, word)) {
    int before = s - help >= 2 && (!strncmp(s - 2, "  ", 2) || !strncmp(s - 2, ", ", 2));
    int after = strchr(" ,[\n", s[n]) != NULL;
    if (before && after) return 1;
  }
  return 0;
}

static void check_help(const cli_command *c) {
  char args[64];
  snprintf(args, sizeof args, "%s --help", c->name);
  int st;
  char *out = run_binary(args, &st);
  CHECK_EQ(st, 0);
  /* the binary prints exactly what the table generates */
  char *want = NULL;
  size_t wlen = 0;
  FILE *f = open_memstream(&want, &wlen);
  cli_print_help(f, c);
  fclose(f);
  CHECK(out && !strcmp(out, want));
  if (!out) out = strdup("");
  CHECK(!strncmp(out, "usage: tfckpt ", 14));
  FOR_EACH_OPT(c, o) {
    if (!lists(out, o->name)) fprintf(stderr, "%s --help does not list %s\n", c->name, o->name);
    CHECK(lists(out, o->name));
    if (o->alias) CHECK(lists(out, o->alias));
  }
  for (const cli_opt *a = c->args; a && a->name; a++) CHECK(lists(out, a->name));
  CHECK(lists(out, "--help"));
  free(out);
  free(want);
}

/* Names are unique within a command, long names start with "--", aliases
 * with "-", and nothing shadows --help. */
static void check_table(const cli_command *c) {
  CHECK(c->name && c->run && c->summary && c->usage);
  FOR_EACH_OPT(c, o) {
    CHECK(!strncmp(o->name, "--", 2) && o->name[2]);
    CHECK(!o->alias || (o->alias[0] == '-' && o->alias[1]));
    CHECK(o->help && *o->help);
    CHECK(strcmp(o->name, "--help") && (!o->alias || strcmp(o->alias, "-h")));
    CHECK(!(o->flags & CLI_OPT_OPTIONAL) || o->metavar);
    FOR_EACH_OPT(c, q) {
      if (q == o) continue;
      int clash = !strcmp(o->name, q->name) || (o->alias && !strcmp(o->alias, q->name)) ||
                  (q->alias && o->alias && !strcmp(o->alias, q->alias));
      if (clash) fprintf(stderr, "%s: %s given twice in its tables\n", c->name, o->name);
      CHECK(!clash);
    }
  }
}

static void check_one_spelling(const cli_command *c, const cli_opt *o, const char *spelling) {
  char eq[96], msg[160];
  if (!o->metavar) {
    parsed r = parse(c, (const char *[]){c->name, spelling, NULL});
    CHECK_EQ(r.kind[0], CLI_OPTION);
    CHECK(r.opt[0] == o && r.value[0] == NULL);
    CHECK_EQ(r.kind[1], CLI_END);
    snprintf(eq, sizeof eq, "%s=1", spelling);
    r = parse(c, (const char *[]){c->name, eq, NULL});
    CHECK_EQ(r.kind[0], CLI_ERROR);
    snprintf(msg, sizeof msg, "%s takes no value", spelling);
    CHECK(!strcmp(r.msg, msg));
    return;
  }
  /* --opt=V */
  snprintf(eq, sizeof eq, "%s=V1", spelling);
  parsed r = parse(c, (const char *[]){c->name, eq, NULL});
  CHECK_EQ(r.kind[0], CLI_OPTION);
  CHECK(r.opt[0] == o && r.value[0] && !strcmp(r.value[0], "V1"));
  CHECK_EQ(r.kind[1], CLI_END);
  /* --opt= is an empty value, not a missing one */
  snprintf(eq, sizeof eq, "%s=", spelling);
  r = parse(c, (const char *[]){c->name, eq, NULL});
  CHECK(r.kind[0] == CLI_OPTION && r.value[0] && !*r.value[0]);
  if (o->flags & CLI_OPT_OPTIONAL) {
    r = parse(c, (const char *[]){c->name, spelling, NULL});
    CHECK(r.kind[0] == CLI_OPTION && r.opt[0] == o && r.value[0] == NULL);
    return;
  }
  /* --opt V, also a V that looks like an option */
  r = parse(c, (const char *[]){c->name, spelling, "V2", NULL});
  CHECK_EQ(r.kind[0], CLI_OPTION);
  CHECK(r.opt[0] == o && r.value[0] && !strcmp(r.value[0], "V2"));
  CHECK_EQ(r.kind[1], CLI_END);
  r = parse(c, (const char *[]){c->name, spelling, "-1", NULL});
  CHECK(r.kind[0] == CLI_OPTION && r.value[0] && !strcmp(r.value[0], "-1"));
  CHECK_EQ(r.kind[1], CLI_END);
  /* --opt at the end: the value is missing */
  r = parse(c, (const char *[]){c->name, spelling, NULL});
  CHECK_EQ(r.kind[0], CLI_ERROR);
  snprintf(msg, sizeof msg, "%s needs a value", spelling);
  CHECK(!strcmp(r.msg, msg));
}

static void check_parse(const cli_command *c) {
  FOR_EACH_OPT(c, o) {
    check_one_spelling(c, o, o->name);
    if (o->alias) check_one_spelling(c, o, o->alias);
    if (o->flags & CLI_OPT_REPEAT) {
      char a[96], b[96];
      snprintf(a, sizeof a, "%s=A", o->name);
      snprintf(b, sizeof b, "%s=B", o->name);
      parsed r = parse(c, (const char *[]){c->name, a, b, NULL});
      CHECK(r.kind[0] == CLI_OPTION && r.kind[1] == CLI_OPTION && r.kind[2] == CLI_END);
      CHECK(r.value[1] && !strcmp(r.value[1], "B"));
    }
    /* after "--" an option's name is an argument */
    parsed r = parse(c, (const char *[]){c->name, "--", o->name, NULL});
    if (c->args && c->args->name) CHECK(r.kind[0] == CLI_ARG && !strcmp(r.value[0], o->name));
    else CHECK_EQ(r.kind[0], CLI_ERROR);
  }
  parsed r = parse(c, (const char *[]){c->name, "--help", NULL});
  CHECK_EQ(r.kind[0], CLI_HELP);
  r = parse(c, (const char *[]){c->name, "-h", NULL});
  CHECK_EQ(r.kind[0], CLI_HELP);
  r = parse(c, (const char *[]){c->name, "-", NULL});
  CHECK_EQ(r.kind[0], c->args && c->args->name ? CLI_ARG : CLI_ERROR);
}

/* The whole command: usage errors exit 2 before it does anything. */
static void check_errors(const cli_command *c) {
  char want[160], *err;
  snprintf(want, sizeof want, "tfckpt %s: unknown option --no-such-option (see tfckpt %s --help)\n",
           c->name, c->name);
  CHECK_EQ(run_captured(c, (const char *[]){c->name, "--no-such-option", NULL}, &err), 2);
  CHECK(err && !strcmp(err, want));
  free(err);
  CHECK_EQ(run_captured(c, (const char *[]){c->name, "--no-such-option=1", NULL}, &err), 2);
  CHECK(err && !strcmp(err, want));
  free(err);
  FOR_EACH_OPT(c, o) {
    char eq[96];
    if (o->metavar && !(o->flags & CLI_OPT_OPTIONAL)) {
      snprintf(want, sizeof want, "tfckpt %s: %s needs a value\n", c->name, o->name);
      CHECK_EQ(run_captured(c, (const char *[]){c->name, o->name, NULL}, &err), 2);
      CHECK(err && !strcmp(err, want));
      free(err);
    } else if (!o->metavar) {
      snprintf(eq, sizeof eq, "%s=1", o->name);
      snprintf(want, sizeof want, "tfckpt %s: %s takes no value\n", c->name, o->name);
      CHECK_EQ(run_captured(c, (const char *[]){c->name, eq, NULL}, &err), 2);
      CHECK(err && !strcmp(err, want));
      free(err);
    }
  }
  /* and through the binary */
  char args[96];
  snprintf(args, sizeof args, "%s --no-such-option", c->name);
  int st;
  free(run_binary(args, &st));
  CHECK_EQ(st, 2);
}

int main(void) {
  bin = getenv("TFCKPT_BIN");
  if (!bin) {
    fprintf(stderr, "TFCKPT_BIN must point to the tfckpt binary\n");
    return 1;
  }
  CHECK(cli_num_commands >= 23);
  int options = 0;
  for (int i = 0; i < cli_num_commands; i++) {
    const cli_command *c = cli_commands[i];
    for (int j = 0; j < i; j++) CHECK(strcmp(c->name, cli_commands[j]->name));
    check_table(c);
    check_help(c);
    check_parse(c);
    check_errors(c);
    FOR_EACH_OPT(c, o) options++;
  }
  /* the walk saw the real tables, not a few */
  CHECK(options > 150);
  /* `tfckpt --help` lists every command with its summary */
  int st;
  char *top = run_binary("--help", &st);
  CHECK_EQ(st, 0);
  for (int i = 0; i < cli_num_commands; i++) CHECK_CONTAINS(top, cli_commands[i]->summary);
  free(top);
  return tu_finish();
}
