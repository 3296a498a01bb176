/* The TF2 object hierarchy of a checkpoint as a tree (`tfckpt tree
 * --objects`), and the friendly-name column of `tfckpt ls --friendly`. */
#ifndef TFCKPT_CLI_OBJTREE_PRINT_H
#define TFCKPT_CLI_OBJTREE_PRINT_H

#include <stdio.h>

#include "tfckpt/reader.h"

/* Prints root -> objects -> variables (with dtype, shape and checkpoint key),
 * an optimizer's slot variables grouped under the variable they belong to,
 * then unreachable objects and keys no object names.  Errors go to stderr as
 * "tfckpt tree: ...".  Returns the exit status: 0, or 1 when the checkpoint
 * has no object graph (TF1 name-based) or the graph is corrupt. */
int cli_print_object_tree(tfckpt_reader *r, FILE *out);
/* Same, drawing with ASCII characters when `ascii` is non-zero. */
int cli_print_object_tree_ex(tfckpt_reader *r, FILE *out, int ascii);

/* The readable name of a checkpoint key (see tfckpt_friendly_name): a
 * malloc'd string, NULL when out of memory. */
char *cli_friendly_name(const char *key);

#endif
