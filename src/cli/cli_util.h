/* Helpers shared by the subcommands: opening checkpoints with error
 * reporting, shapes, progress bars. */
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
