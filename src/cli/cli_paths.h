/* Files compared by identity (device + inode), not by spelling: "c/./ckpt",
 * "c/../c/ckpt" and a symlinked directory all name the same checkpoint. */
#ifndef TFCKPT_CLI_PATHS_H
#define TFCKPT_CLI_PATHS_H

#include "tfckpt/reader.h"

/* 1 when prefixes a and b name the same checkpoint: the same base name in
 * the same directory, or .index files that are one file. */
int cli_same_checkpoint(const char *a, const char *b);

/* When the existing file `out` is one of r's own files (its .index, a data
 * file, the V1 table), reports "OUT is FILE of the input checkpoint" for
 * `cmd` and returns -1; 0 otherwise (also when `out` does not exist). */
int cli_refuse_input_file(const char *cmd, const char *out, tfckpt_reader *r);

#endif
