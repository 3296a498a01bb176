/* Helpers shared by the subcommands: opening checkpoints with error
 * reporting, option parsing, shapes, progress bars. */
#ifndef TFCKPT_CLI_UTIL_H
#define TFCKPT_CLI_UTIL_H

#include <stdint.h>
#include <stdio.h>

#include "tfckpt/internal/json.h" /* JSON strings and numbers: tfckpt__json_fput_* */
#include "tfckpt/reader.h"

/* Exit statuses used by every command. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Opens `path`; on failure prints "tfckpt CMD: message" and returns NULL. */
tfckpt_reader *cli_open(const char *cmd, const char *path);

/* Prints "tfckpt CMD: " + formatted message to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "[3, 3, 32]", "[]" for scalars. Writes into buf (returns buf). */
char *cli_shape_str(char *buf, size_t cap, int rank, const int64_t *dims);
/* As cli_shape_str for shapes from a graph, which may be partly known:
 * "[?, 784]" for a dimension < 0, "<unknown rank>" for rank < 0. */
char *cli_graph_shape_str(char *buf, size_t cap, int rank, const int64_t *dims);

/* "28,922,399": an integer with thousands separators. Returns buf. */
char *cli_commas(char *buf, size_t cap, long long v);

/* Human-readable byte count: "1.5 MiB". */
char *cli_bytes_str(char *buf, size_t cap, double bytes);


/* Option parsing: matches "--name VALUE" or "--name=VALUE"; advances *i.
 * Returns 1 and sets *value when argv[*i] is this option. */
int cli_opt_value(int argc, char **argv, int *i, const char *name, const char **value);
/* Parses a non-negative integer option value; prints an error and returns -1
 * when it is not one. */
long long cli_parse_count(const char *cmd, const char *opt, const char *value);
/* For an argument none of the command's own options matched: if it looks
 * like an option, prints "unknown option ..." and returns 1; else 0. */
int cli_unknown_option(const char *cmd, const char *arg);
/* The end of a one-path command's argument loop: `arg` (matching none of
 * its options) becomes *path.  An unknown option or a second path is a
 * usage error: prints it and returns -1; else returns 0. */
int cli_take_path(const char *cmd, const char *arg, const char **path);

/* A progress bar on stderr, only when stderr is a terminal. */
typedef struct cli_progress {
  int active;
  double total;
  double last_shown;
  const char *label;
} cli_progress;
void cli_progress_start(cli_progress *p, const char *label, double total);
void cli_progress_update(cli_progress *p, double done);
void cli_progress_end(cli_progress *p);

#endif
