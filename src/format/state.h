/* The `checkpoint` state file: a text-format CheckpointState
 * (formats.md section e). */
#ifndef TFCKPT_FORMAT_STATE_H
#define TFCKPT_FORMAT_STATE_H

#include <stddef.h>

#include "tfckpt/internal/error.h"
#include "tfckpt/state.h"


/* Parses the text in `text` (`name` for messages).  Accepts any whitespace,
 * '#' comments and fields in any order; the last model_checkpoint_path wins. */
int tfckpt__state_parse(const char *text, size_t len, const char *name, tfckpt_state *out,
                       tfckpt__err *err);
/* Reads and parses the file `path`. */
int tfckpt__state_read(const char *path, tfckpt_state *out, tfckpt__err *err);

/* Appends `s` as a text-proto quoted string (C escapes) to a malloc'd string
 * builder; used by writers of the state file. Returns NULL on OOM. */
char *tfckpt__state_quote(const char *s);


#endif
