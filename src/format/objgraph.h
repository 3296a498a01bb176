/* Internals shared by the TrackableObjectGraph decoder (objgraph.c) and the
 * SavedModel object graph reader (metagraph.c): key escaping and the
 * breadth-first naming of objects (formats.md section f). */
#ifndef TFCKPT_FORMAT_OBJGRAPH_H
#define TFCKPT_FORMAT_OBJGRAPH_H

#include <stddef.h>

#include "tfckpt/internal/error.h"
#include "tfckpt/objgraph.h"

/* An edge parent -> node_id named local_name. */
typedef struct tfckpt__objref {
  int node_id;
  char *local_name;
} tfckpt__objref;

/* TF's escape for one path component: "." -> "..", "/" -> ".S".
 * Returns a malloc'd string or NULL. */
char *tfckpt__objkey_escape(const char *s);

/* Checks every child id is in [0, n) and that the children edges have no
 * cycle, then names nodes breadth-first from node 0.  Fills malloc'd arrays
 * of n entries: paths (unescaped, NULL when unreached), key_paths (escaped),
 * parents (-1 for the root and unreached nodes).  `what` prefixes messages
 * ("object graph"). */
int tfckpt__obj_name_nodes(int n, const int *nchildren, tfckpt__objref *const *children,
                          const char *what, char ***paths, char ***key_paths, int **parents,
                          tfckpt__err *err);

/* For readers of the graph from a checkpoint (ckpt layer): a new empty graph
 * in *out that carries the error `code` and message; returns code. */
int tfckpt__objgraph_fail(tfckpt_objgraph **out, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes g's error message with "<prefix>: ". */
void tfckpt__objgraph_err_prefix(tfckpt_objgraph *g, const char *prefix);

#endif
