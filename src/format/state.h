/* The `checkpoint` state file: a text-format CheckpointState
 * (formats.md section e). */
#ifndef TFCKPT_FORMAT_STATE_H
#define TFCKPT_FORMAT_STATE_H

#include <stddef.h>

#include "core/error.h"

typedef struct tfckpt_state {
  char *model_checkpoint_path;       /* NULL if absent */
  char **all_paths;                  /* oldest .. newest */
  size_t npaths;
  double *timestamps;                /* all_model_checkpoint_timestamps */
  size_t ntimestamps;
  double last_preserved_timestamp;
  int has_last_preserved;
} tfckpt_state;

/* Parses the text in `text` (`name` for messages).  Accepts any whitespace,
 * '#' comments and fields in any order; the last model_checkpoint_path wins. */
int tfckpt_state_parse(const char *text, size_t len, const char *name, tfckpt_state *out,
                       tfckpt_err *err);
/* Reads and parses the file `path`. */
int tfckpt_state_read(const char *path, tfckpt_state *out, tfckpt_err *err);
void tfckpt_state_free(tfckpt_state *s);

/* Appends `s` as a text-proto quoted string (C escapes) to a malloc'd string
 * builder; used by writers of the state file. Returns NULL on OOM. */
char *tfckpt_state_quote(const char *s);

/* Serialises the state as TensorFlow writes it. Returns a malloc'd string. */
char *tfckpt_state_format(const tfckpt_state *s);

#endif
