#include "cli/cli_opts.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

/* A table of its own (terminated) so the help printer can walk it. */
static const cli_opt help_table[] = {{"--help", "-h", NULL, "print this help and exit", 0}, {0}};
#define help_opt (help_table[0])

void cli_parser_init(cli_parser *p, const cli_command *cmd, int argc, char **argv) {
  memset(p, 0, sizeof *p);
  p->cmd = cmd;
  p->argc = argc;
  p->argv = argv;
  p->i = 1;
}

int cli_fail(cli_parser *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->msg, sizeof p->msg, fmt, ap);
  va_end(ap);
  if (!p->quiet) fprintf(stderr, "tfckpt %s: %s\n", p->cmd->name, p->msg);
  return CLI_ERROR;
}

static const cli_opt *lookup(const cli_command *c, const char *name) {
  if (!strcmp(name, help_opt.name) || !strcmp(name, help_opt.alias)) return &help_opt;
  for (int g = 0; g < CLI_MAX_GROUPS && c->groups[g].opts; g++)
    for (const cli_opt *o = c->groups[g].opts; o->name; o++)
      if (!strcmp(name, o->name) || (o->alias && !strcmp(name, o->alias))) return o;
  return NULL;
}

/* The number of positional arguments allowed; -1 when the last repeats. */
static int max_args(const cli_command *c) {
  int n = 0;
  for (const cli_opt *a = c->args; a && a->name; a++, n++)
    if (a->flags & CLI_OPT_REPEAT) return -1;
  return n;
}

int cli_next(cli_parser *p) {
  p->opt = NULL;
  p->value = NULL;
  p->given[0] = '\0';
  if (p->i >= p->argc) return CLI_END;
  const char *a = p->argv[p->i++];
  if (!p->options_done && !strcmp(a, "--")) {
    p->options_done = 1;
    return cli_next(p);
  }
  if (p->options_done || a[0] != '-' || a[1] == '\0') {
    int max = max_args(p->cmd);
    if (max >= 0 && p->npos >= max) return cli_fail(p, "unexpected argument \"%s\"", a);
    p->npos++;
    p->value = a;
    return CLI_ARG;
  }
  const char *eq = strchr(a, '=');
  size_t n = eq ? (size_t)(eq - a) : strlen(a);
  if (n >= sizeof p->given) n = sizeof p->given - 1;
  memcpy(p->given, a, n);
  p->given[n] = '\0';
  const cli_opt *o = lookup(p->cmd, p->given);
  if (!o)
    return cli_fail(p, "unknown option %s (see tfckpt %s --help)", p->given, p->cmd->name);
  p->opt = o;
  if (!o->metavar) {
    if (eq) return cli_fail(p, "%s takes no value", p->given);
  } else if (eq) {
    p->value = eq + 1;
  } else if (!(o->flags & CLI_OPT_OPTIONAL)) {
    if (p->i >= p->argc) return cli_fail(p, "%s needs a value", p->given);
    p->value = p->argv[p->i++];
  }
  if (o == &help_opt) {
    if (!p->quiet) cli_print_help(stdout, p->cmd);
    return CLI_HELP;
  }
  return CLI_OPTION;
}

int cli_is(const cli_parser *p, const char *name) {
  return p->opt && !strcmp(p->opt->name, name);
}

int cli_value_int(cli_parser *p, long long min, long long max, long long *out) {
  const char *v = p->value ? p->value : "";
  char *end;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (end == v || *end || errno) {
    if (min >= 0) cli_fail(p, "%s: \"%s\" is not a non-negative integer", p->given, v);
    else cli_fail(p, "%s: \"%s\" is not an integer", p->given, v);
    return -1;
  }
  if (x < min || x > max) {
    if (min >= 0 && x < 0) cli_fail(p, "%s: \"%s\" is not a non-negative integer", p->given, v);
    else if (max == LLONG_MAX) cli_fail(p, "%s must be at least %lld", p->given, min);
    else cli_fail(p, "%s must be between %lld and %lld", p->given, min, max);
    return -1;
  }
  *out = x;
  return 0;
}

int cli_value_double(cli_parser *p, double *out) {
  const char *v = p->value ? p->value : "";
  char *end;
  double d = strtod(v, &end);
  if (end == v || *end || !isfinite(d)) {
    cli_fail(p, "%s: \"%s\" is not a number", p->given, v);
    return -1;
  }
  *out = d;
  return 0;
}

int cli_value_choice(cli_parser *p, const char *const *choices) {
  const char *v = p->value ? p->value : "";
  char list[200];
  size_t k = 0;
  list[0] = '\0';
  for (int i = 0; choices[i]; i++) {
    if (!strcmp(v, choices[i])) return i;
    int m = snprintf(list + k, sizeof list - k, "%s%s", i ? "|" : "", choices[i]);
    if (m > 0 && (size_t)m < sizeof list - k) k += (size_t)m;
  }
  cli_fail(p, "%s takes %s, not \"%s\"", p->given, list, v);
  return -1;
}

/* ---- help ---------------------------------------------------------------- */

enum { HELP_WIDTH = 79, LEFT_MAX = 24 };

/* "  -o, --out DIR", "  --compress[=LEVEL]", "  OUT" */
static int left_text(char *buf, size_t cap, const cli_opt *o, int positional) {
  if (positional) return snprintf(buf, cap, "  %s", o->name);
  const char *first = o->name, *second = o->alias;
  /* a short alias reads best in front, like "-o, --output" */
  if (o->alias && o->alias[1] != '-') first = o->alias, second = o->name;
  int n = snprintf(buf, cap, "  %s%s%s", first, second ? ", " : "", second ? second : "");
  if (o->metavar && n > 0 && (size_t)n < cap)
    n += snprintf(buf + n, cap - (size_t)n, (o->flags & CLI_OPT_OPTIONAL) ? "[=%s]" : " %s",
                  o->metavar);
  return n;
}

/* Writes `text` word-wrapped from column `col`, the first line continuing
 * after `used` columns already printed. */
static void wrap(FILE *out, const char *text, int col, int used) {
  const char *s = text;
  int pos = used;
  if (pos < col) fprintf(out, "%*s", col - pos, ""), pos = col;
  int line_start = 1;
  while (*s) {
    while (*s == ' ') s++;
    if (!*s) break;
    int wl = (int)strcspn(s, " ");
    if (!line_start && pos + 1 + wl > HELP_WIDTH) {
      fprintf(out, "\n%*s", col, "");
      pos = col;
      line_start = 1;
    }
    if (!line_start) fputc(' ', out), pos++;
    fwrite(s, 1, (size_t)wl, out);
    pos += wl;
    s += wl;
    line_start = 0;
  }
  fputc('\n', out);
}

static void print_table(FILE *out, const cli_opt *opts, int positional, int col) {
  char left[128];
  for (const cli_opt *o = opts; o->name; o++) {
    int n = left_text(left, sizeof left, o, positional);
    fputs(left, out);
    char help[512];
    snprintf(help, sizeof help, "%s%s", o->help ? o->help : "",
             (o->flags & CLI_OPT_REPEAT) ? " (repeatable)" : "");
    if (n + 2 > col) {
      fputc('\n', out);
      n = 0;
    }
    wrap(out, help, col, n);
  }
}

static void each_left_width(const cli_opt *opts, int positional, int *w) {
  char left[128];
  for (const cli_opt *o = opts; o && o->name; o++) {
    int n = left_text(left, sizeof left, o, positional);
    if (n <= LEFT_MAX && n > *w) *w = n;
  }
}

static void usage_lines(FILE *out, const cli_command *c) {
  const char *u = c->usage;
  for (int first = 1;; first = 0) {
    size_t n = strcspn(u, "\n");
    fprintf(out, "%s tfckpt %s %.*s\n", first ? "usage:" : "      ", c->name, (int)n, u);
    if (!u[n]) break;
    u += n + 1;
  }
}

void cli_print_usage(FILE *out, const cli_command *c) {
  usage_lines(out, c);
  fprintf(out, "(see tfckpt %s --help)\n", c->name);
}

void cli_print_help(FILE *out, const cli_command *c) {
  usage_lines(out, c);
  fprintf(out, "\n%c%s.\n", toupper((unsigned char)c->summary[0]), c->summary + 1);
  if (c->about) fprintf(out, "\n%s", c->about);
  int w = 0;
  each_left_width(c->args, 1, &w);
  for (int g = 0; g < CLI_MAX_GROUPS && c->groups[g].opts; g++)
    each_left_width(c->groups[g].opts, 0, &w);
  each_left_width(help_table, 0, &w);
  int col = w + 2;
  if (c->args && c->args->name) {
    fputs("\narguments:\n", out);
    print_table(out, c->args, 1, col);
  }
  fputc('\n', out);
  int g = 0;
  for (; g < CLI_MAX_GROUPS && c->groups[g].opts; g++) {
    fprintf(out, "%s\n", c->groups[g].title ? c->groups[g].title : "options:");
    print_table(out, c->groups[g].opts, 0, col);
  }
  if (!g) fputs("options:\n", out);
  print_table(out, help_table, 0, col);
  if (c->notes) fprintf(out, "\n%s", c->notes);
}
