/* Internals shared by the TrackableObjectGraph decoder (objgraph.c) and the
 * SavedModel object graph reader (metagraph.c): key escaping and the
 * breadth-first naming of objects (formats.md section f). */
#ifndef TFCKPT_FORMAT_OBJGRAPH_H
#define TFCKPT_FORMAT_OBJGRAPH_H

#include <stddef.h>

#include "core/error.h"
#include "tfckpt/objgraph.h"

/* An edge parent -> node_id named local_name. */
typedef struct tfckpt_objref {
  int node_id;
  char *local_name;
} tfckpt_objref;

/* TF's escape for one path component: "." -> "..", "/" -> ".S".
 * Returns a malloc'd string or NULL. */
char *tfckpt_objkey_escape(const char *s);

/* Checks every child id is in [0, n) and that the children edges have no
 * cycle, then names nodes breadth-first from node 0.  Fills malloc'd arrays
 * of n entries: paths (unescaped, NULL when unreached), key_paths (escaped),
 * parents (-1 for the root and unreached nodes).  `what` prefixes messages
 * ("object graph"). */
int tfckpt_obj_name_nodes(int n, const int *nchildren, tfckpt_objref *const *children,
                          const char *what, char ***paths, char ***key_paths, int **parents,
                          tfckpt_err *err);

#endif
