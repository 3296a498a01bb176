/* Shared machinery of the commands that write checkpoints (rewrite, rename,
 * rm, cast, average, merge): common options, choosing and opening the
 * output, and copying variables from a reader to a writer in the input's
 * data-file order so that an unchanged copy is byte-identical. */
#ifndef TFCKPT_CLI_EDIT_UTIL_H
#define TFCKPT_CLI_EDIT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "tfckpt/reader.h"
#include "tfckpt/writer.h"

/* Options every writing command accepts. */
typedef struct edit_opts {
  int in_place;      /* --in-place: OUT is the input itself */
  int force;         /* --force: replace an existing OUT checkpoint */
  int shards;        /* --shards N (0: keep the input's layout) */
  int update_state;  /* --update-state: make OUT the latest in its directory */
  int max_to_keep;   /* --max-to-keep N (with --update-state) */
  int quiet;         /* --quiet: no summary line */
} edit_opts;

/* If argv[*i] is one of the common options, consumes it (and its value) and
 * returns 1; returns -1 after printing an error for a bad value; else 0. */
int edit_parse_common(const char *cmd, int argc, char **argv, int *i, edit_opts *o);

/* Help text lines for the common options. */
extern const char edit_common_help[];

/* What edit_parse_arg made of argv[*i]. */
enum {
  EDIT_ARG_USED = 0,       /* a common option, consumed */
  EDIT_ARG_POSITIONAL = 1, /* not an option: a positional argument */
  EDIT_ARG_HELP = 2,       /* -h/--help: usage printed, exit EXIT_OK */
  EDIT_ARG_ERROR = 3       /* unknown option or bad value: error printed */
};

/* The part of the argument loop every writing command shares, for an
 * argument that is none of the command's own options: --help (prints
 * `usage` and edit_common_help to stdout), the common options, and the
 * "unknown option" error. */
int edit_parse_arg(const char *cmd, const char *usage, int argc, char **argv, int *i,
                   edit_opts *o);

/* For commands whose OUT is always a new checkpoint (average, merge):
 * prints the error and returns 1 when --in-place was given, else 0. */
int edit_reject_in_place(const char *cmd, const edit_opts *o);

/* Checks that `out` may be written: not the input (unless in_place), no
 * existing checkpoint there (unless force or in_place).  Prints the error. */
int edit_check_output(const char *cmd, const char *out, const char *in_prefix,
                      const edit_opts *o);

/* Opens a writer on `out` with num_shards; prints the error and returns NULL
 * on failure. */
tfckpt_writer *edit_open_writer(const char *cmd, const char *out, int num_shards,
                                const edit_opts *o);

/* Prints the writer's warnings (checkpoints max_to_keep left alone) to stderr. */
void edit_warnings(const char *cmd, const tfckpt_writer *w);

/* Finishes and closes w; prints the error.  Returns EXIT_OK / EXIT_FAIL. */
int edit_finish(const char *cmd, tfckpt_writer *w);

/* One stored piece of a variable: the whole variable (slice -1) or slice k
 * of a partitioned one, with its data-file location. */
typedef struct edit_item {
  int64_t var;
  int slice;
  int shard;
  int64_t offset;
  int nonempty; /* holds bytes: at a tied offset, TF added the empty ones first */
} edit_item;

/* All pieces of r's variables in data order (shard, offset); V1 inputs in
 * name order.  *items is malloc'd. */
int edit_plan(tfckpt_reader *r, edit_item **items, size_t *n);

/* Replaces `in` (never NULL; variable v, or its slice `slice` when >= 0)
 * by a new tensor in *out, or leaves *out NULL to keep `in`.  Returns 0, or
 * non-zero after printing an error. */
typedef int (*edit_transform_fn)(void *ctx, const tfckpt_var_info *v, int slice,
                                 const tfckpt_tensor *in, tfckpt_tensor **out);

/* Copies r's variables into w in data order.  names[var] gives the output
 * name (NULL: drop the variable); names itself NULL keeps every name.
 * shard_of_input maps the input shard to the output shard (modulo the
 * writer's count, `nshards`).  keep_parent_shards: reproduce the
 * parents' shard ids (rewrite).  Prints errors; returns 0 or -1. */
int edit_copy(const char *cmd, tfckpt_reader *r, tfckpt_writer *w, int nshards,
              char *const *names, edit_transform_fn fn, void *ctx, int64_t *copied,
              int64_t *bytes);

/* The whole write of a one-input edit (cast, rename, rm): OUT is out_arg,
 * or r's own prefix with --in-place, checked with edit_check_output; it
 * keeps r's shard count unless --shards; variables are copied with
 * edit_copy(names, fn, ctx).  Sets *out to the prefix written (also on
 * failure, once known).  Prints errors; returns EXIT_OK or EXIT_FAIL. */
int edit_write_copy(const char *cmd, tfckpt_reader *r, const char *out_arg, const edit_opts *o,
                    char *const *names, edit_transform_fn fn, void *ctx, const char **out,
                    int64_t *copied, int64_t *bytes);

#endif
