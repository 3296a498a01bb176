/* The one option parser of every subcommand.  A command is described by a
 * cli_command: its positional arguments and groups of option tables.  The
 * same tables drive parsing and `--help`, so the help cannot list an option
 * the parser refuses, and groups shared by several commands (the edit
 * commands' output options, the data-format options) behave the same in each.
 *
 * Rules: `--opt V` and `--opt=V` (also `-o V`, `-o=V` for short aliases);
 * a flag given `=V` is refused; `--` ends the options; `-` alone is an
 * argument; an option value is taken as it is even when it starts with `-`
 * (`--label -1`); a CLI_OPT_OPTIONAL option takes a value only as `--opt=V`.
 * Errors print "tfckpt CMD: ..." and the command exits EXIT_USAGE (2). */
#ifndef TFCKPT_CLI_OPTS_H
#define TFCKPT_CLI_OPTS_H

#include <limits.h>
#include <stdio.h>

enum {
  CLI_OPT_REPEAT = 1,   /* may be given several times, every value counts */
  CLI_OPT_OPTIONAL = 2  /* the value is optional and only given as --opt=V */
};

/* An option (name "--out"), or a positional argument (name "OUT").
 * metavar NULL: a flag.  An array of them ends with a zero entry. */
typedef struct cli_opt {
  const char *name;
  const char *alias;   /* "-o", "--output" or NULL */
  const char *metavar;
  const char *help;
  int flags;
} cli_opt;

/* A titled table of options; title NULL prints as "options:". */
typedef struct cli_opt_group {
  const char *title;
  const cli_opt *opts;
} cli_opt_group;

#define CLI_MAX_GROUPS 8

typedef struct cli_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary; /* one line: `tfckpt --help` and the head of `--help` */
  const char *usage;   /* after "usage: tfckpt NAME "; '\n' separates forms */
  const char *about;   /* paragraphs after the summary, or NULL */
  const cli_opt *args; /* positional arguments, or NULL for none */
  cli_opt_group groups[CLI_MAX_GROUPS]; /* ends at the first opts == NULL */
  const char *notes;   /* printed after the options, or NULL */
} cli_command;

/* What cli_next found. */
enum {
  CLI_END = 0,   /* no more arguments */
  CLI_OPTION,    /* p->opt (p->value: its value, NULL for a flag) */
  CLI_ARG,       /* positional argument p->value, number p->npos - 1 */
  CLI_HELP,      /* --help: the help is on stdout, exit EXIT_OK */
  CLI_ERROR      /* the error is printed (and in p->msg), exit EXIT_USAGE */
};

typedef struct cli_parser {
  const cli_command *cmd;
  int argc;
  char **argv;
  int i;               /* next argv index */
  int npos;            /* positional arguments returned so far */
  int options_done;    /* after "--" */
  const cli_opt *opt;  /* the option just returned */
  const char *value;
  char given[64];      /* the option as typed, without "=V" */
  int quiet;           /* errors only into msg, help not printed (tests) */
  char msg[256];
} cli_parser;

void cli_parser_init(cli_parser *p, const cli_command *cmd, int argc, char **argv);
int cli_next(cli_parser *p);

/* Whether the option just returned is the one named `name` (its long name). */
int cli_is(const cli_parser *p, const char *name);

/* Prints "tfckpt CMD: message" (also kept in p->msg); returns CLI_ERROR. */
int cli_fail(cli_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* max for an integer option without an upper bound */
#define CLI_NO_MAX LLONG_MAX

/* The value as an integer in [min, max]; prints the error and returns -1
 * when it is not one. */
int cli_value_int(cli_parser *p, long long min, long long max, long long *out);
/* The value as a finite number; prints the error and returns -1 if not. */
int cli_value_double(cli_parser *p, double *out);
/* The index of the value in `choices` (NULL-terminated); -1 after printing
 * "--opt takes a|b|c, not \"v\"". */
int cli_value_choice(cli_parser *p, const char *const *choices);

/* The generated help: usage, summary, about, arguments, option groups. */
void cli_print_help(FILE *out, const cli_command *cmd);
/* For a missing argument: the usage line(s) and a pointer to --help. */
void cli_print_usage(FILE *out, const cli_command *cmd);

/* Entries several commands share; the help says what each does there. */
#define CLI_OPT_JSON(help) {"--json", NULL, NULL, help, 0}
#define CLI_OPT_FILTER(help) {"--filter", NULL, "REGEX", help, 0}
#define CLI_OPT_EXCLUDE(help) {"--exclude", NULL, "REGEX", help, 0}
#define CLI_OPT_ALL(help) {"--all", NULL, NULL, help, 0}
#define CLI_OPT_QUIET(help) {"--quiet", "-q", NULL, help, 0}
#define CLI_ARG_CHECKPOINT                                                                   \
  {"CHECKPOINT", NULL, NULL,                                                                 \
   "a checkpoint prefix, its .index or .data-* file, a training or SavedModel directory, " \
   "or a V1 checkpoint file", 0}

/* Every command, in the order `tfckpt --help` lists them. */
extern const cli_command *const cli_commands[];
extern const int cli_num_commands;

#endif
