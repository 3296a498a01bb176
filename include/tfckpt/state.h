/*
 * The `checkpoint` state file that tf.train.Saver and CheckpointManager keep
 * beside their checkpoints (a text-format CheckpointState proto).
 *
 *   tfckpt_state st;
 *   if (tfckpt_state_read("train_dir/checkpoint", &st) != TFCKPT_OK) {
 *     fprintf(stderr, "%s\n", tfckpt_errmsg());
 *   } else {
 *     printf("latest: %s\n", st.model_checkpoint_path);
 *     tfckpt_state_free(&st);
 *   }
 *
 * Ownership: a filled tfckpt_state owns its strings and arrays; release them
 * with tfckpt_state_free (also safe on a zeroed struct).  Paths are as stored
 * (relative to the file's directory, or absolute).
 */
#ifndef TFCKPT_STATE_H
#define TFCKPT_STATE_H

#include <stddef.h>

#include "tfckpt/tfckpt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tfckpt_state {
  char *model_checkpoint_path;       /* NULL if absent */
  char **all_paths;                  /* oldest .. newest */
  size_t npaths;
  double *timestamps;                /* all_model_checkpoint_timestamps */
  size_t ntimestamps;
  double last_preserved_timestamp;
  int has_last_preserved;
} tfckpt_state;

/*! tfckpt_state_read() :
 *  Reads and parses the state file `path`.  Accepts any whitespace, '#'
 *  comments and fields in any order; the last model_checkpoint_path wins.
 *  @return TFCKPT_OK, TFCKPT_ENOTFOUND, TFCKPT_ECORRUPT, ...; on failure *out
 *          is zeroed and tfckpt_errmsg() names the file and the problem. */
TFCKPT_API int tfckpt_state_read(const char *path, tfckpt_state *out /* OUT */);

/* Parses `len` bytes of state-file text; `name` is used in messages. */
TFCKPT_API int tfckpt_state_parse(const char *text, size_t len, const char *name,
                                  tfckpt_state *out /* OUT */);

TFCKPT_API void tfckpt_state_free(tfckpt_state *s);

/* The state serialised as TensorFlow writes it: a malloc'd string the caller
 * frees, or NULL when memory ran out. */
TFCKPT_API char *tfckpt_state_format(const tfckpt_state *s);

#ifdef __cplusplus
}
#endif
#endif
