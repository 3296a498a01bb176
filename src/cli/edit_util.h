/* Shared machinery of the commands that write checkpoints (rewrite, rename,
 * rm, cast, average, merge): common options, choosing and opening the
 * output, and copying variables from a reader to a writer in the input's
 * data-file order so that an unchanged copy is byte-identical. */
#ifndef TFCKPT_CLI_EDIT_UTIL_H
#define TFCKPT_CLI_EDIT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "cli/cli_opts.h"
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

/* Entries of the common options, for commands that take only some of them
 * (set, import); the edit commands include the whole edit_common_opts. */
#define EDIT_OPT_IN_PLACE                                                               \
  {"--in-place", NULL, NULL,                                                           \
   "replace the input checkpoint itself (OUT is then left out, or must be the input; " \
   "written under temporary names, then renamed)", 0}
#define EDIT_OPT_FORCE {"--force", NULL, NULL, "replace an existing checkpoint at the output prefix", 0}
#define EDIT_OPT_UPDATE_STATE \
  {"--update-state", NULL, NULL, "make the written checkpoint the latest in its directory's `checkpoint` file", 0}
#define EDIT_OPT_QUIET CLI_OPT_QUIET("no summary line")

/* --in-place, --force, --shards, --update-state, --max-to-keep, --quiet. */
extern const cli_opt edit_common_opts[];
/* The same without --in-place, for commands whose OUT is always a new
 * checkpoint (average, merge). */
extern const cli_opt edit_new_output_opts[];
#define EDIT_OPTS_TITLE "output options:"

/* Applies the option p just returned if it is one of the common ones:
 * returns 1, or -1 after printing an error for a bad value; 0 if it is not
 * a common option. */
int edit_apply_common(cli_parser *p, edit_opts *o);

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
