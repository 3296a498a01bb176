/*
 * TF2 object-based checkpoints: the TrackableObjectGraph stored under the key
 * `_CHECKPOINTABLE_OBJECT_GRAPH`, and readable names for object-based keys.
 *
 *   tfckpt_reader *r;  ... tfckpt_reader_open("tf_ckpts/", &r) ...
 *   tfckpt_objgraph *g;
 *   int rc = tfckpt_objgraph_from_reader(r, &g);
 *   if (rc == TFCKPT_ENOTFOUND) ...   // a TF1 (name-based) checkpoint
 *   else if (rc) fprintf(stderr, "%s\n", tfckpt_objgraph_errmsg(g));
 *   else
 *     for (int i = 0; i < tfckpt_objgraph_num_nodes(g); i++) {
 *       tfckpt_objnode n;
 *       tfckpt_objgraph_node(g, i, &n);
 *       printf("%d %s\n", i, n.path ? n.path : "(unreachable)");
 *     }
 *   tfckpt_objgraph_free(g);
 *
 *   char *nice = tfckpt_friendly_name(
 *       "net/l1/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE");
 *   // "optimizer/m/net/l1/kernel"; free(nice)
 *
 * Ownership: a graph owns every string it hands out; they stay valid until
 * tfckpt_objgraph_free.  tfckpt_objgraph_parse/from_reader return a handle
 * even on failure (NULL only when memory ran out); free it in both cases.
 * The graph copies what it needs, so the reader may be closed first.
 *
 * Validation: every node id (children, slot references) must be in range and
 * the `children` edges must not form a cycle; otherwise TFCKPT_ECORRUPT with
 * a message naming the node ("object graph: node 3 has child 7, but the graph
 * has 5 nodes").  Node paths are found breadth-first from node 0 (the root),
 * which is how TensorFlow names objects; slot variable nodes, which no
 * `children` edge reaches, get the path of their checkpoint key.
 */
#ifndef TFCKPT_OBJGRAPH_H
#define TFCKPT_OBJGRAPH_H

#include <stddef.h>

#include "tfckpt/tensor.h"

/* Declared in tfckpt/reader.h; repeated so this header stays in the base
 * layer (C11 allows the same typedef twice). */
typedef struct tfckpt_reader tfckpt_reader;
#include "tfckpt/tfckpt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The key under which TF2 stores the serialized graph. */
#define TFCKPT_OBJECT_GRAPH_KEY "_CHECKPOINTABLE_OBJECT_GRAPH"

typedef struct tfckpt_objgraph tfckpt_objgraph;

/*! tfckpt_objgraph_parse() :
 *  Decodes and validates a serialized TrackableObjectGraph.
 *  @return TFCKPT_OK, TFCKPT_ECORRUPT (malformed proto, bad node reference,
 *          cycle), TFCKPT_ENOMEM. */
TFCKPT_API int tfckpt_objgraph_parse(const void *data, size_t len, tfckpt_objgraph **out /* OUT */);

/*! tfckpt_objgraph_from_reader() :
 *  Reads the `_CHECKPOINTABLE_OBJECT_GRAPH` tensor of an open checkpoint and
 *  parses it.  @return TFCKPT_ENOTFOUND when the checkpoint has none (TF1
 *  name-based checkpoints), else as tfckpt_objgraph_parse or the reader's
 *  error (its message is copied into the graph's). */
TFCKPT_API int tfckpt_objgraph_from_reader(tfckpt_reader *r, tfckpt_objgraph **out /* OUT */);

TFCKPT_API void tfckpt_objgraph_free(tfckpt_objgraph *g);
TFCKPT_API const char *tfckpt_objgraph_errmsg(const tfckpt_objgraph *g);

TFCKPT_API int tfckpt_objgraph_num_nodes(const tfckpt_objgraph *g);

typedef struct tfckpt_objnode {
  const char *path;   /* unescaped local names from the root joined by '/';
                         "" for the root; NULL when no edge reaches the node */
  const char *key_path; /* the same path escaped as in checkpoint keys */
  int parent;         /* node through which `path` runs; -1 for root/unreached */
  int nchildren, nattributes, nslots;
  int slot_of;        /* for a slot variable node: the original variable's
                         node id, else -1 */
  int slot_optimizer; /* ... the optimizer node listing it, else -1 */
  const char *slot_name; /* ... its slot name ("m"), else NULL */
} tfckpt_objnode;

TFCKPT_API int tfckpt_objgraph_node(const tfckpt_objgraph *g, int id, tfckpt_objnode *out /* OUT */);

/* Child k of node id: its local name and node id. */
TFCKPT_API int tfckpt_objgraph_child(const tfckpt_objgraph *g, int id, int k, const char **local_name,
                          int *child_id);

typedef struct tfckpt_objattr {
  const char *name;           /* "VARIABLE_VALUE" */
  const char *full_name;      /* graph name ("dense/kernel"), may be "" */
  const char *checkpoint_key; /* may be a prefix of the stored key(s) */
} tfckpt_objattr;

TFCKPT_API int tfckpt_objgraph_attribute(const tfckpt_objgraph *g, int id, int k,
                              tfckpt_objattr *out /* OUT */);

typedef struct tfckpt_objslot {
  int original_node;  /* the variable the slot belongs to */
  const char *slot_name;
  int slot_node;      /* the node holding the slot variable */
} tfckpt_objslot;

/* Slot reference k listed by (optimizer) node id. */
TFCKPT_API int tfckpt_objgraph_slot(const tfckpt_objgraph *g, int id, int k, tfckpt_objslot *out /* OUT */);

/* The node and attribute whose checkpoint_key names `key` (exactly, else
 * the longest checkpoint_key that is a prefix of it).  Returns the node id
 * and sets *attr, or -1. */
TFCKPT_API int tfckpt_objgraph_find_key(const tfckpt_objgraph *g, const char *key, int *attr /* OUT */);

/* Maps one checkpoint key to its new name: a different string renames it,
 * the same (or an equal) string keeps it, NULL drops it. */
typedef const char *(*tfckpt_objgraph_key_map)(const char *key, void *ctx);

/*! tfckpt_objgraph_rewrite_keys() :
 *  The serialized TrackableObjectGraph `data` (the _CHECKPOINTABLE_OBJECT_GRAPH
 *  tensor's bytes) with its checkpoint keys mapped by `map`, for a checkpoint
 *  whose variables were renamed or removed: renamed keys are renamed,
 *  attributes of dropped keys are removed, and slot references to an object
 *  left without attributes are removed, so that TensorFlow's restore finds
 *  every key the graph names.  Every other field is copied byte for byte.
 *  @return TFCKPT_OK with *out a malloc'd buffer of *out_len bytes (free it),
 *          or *out NULL when nothing changes; TFCKPT_ECORRUPT for a
 *          malformed graph, TFCKPT_ENOMEM. */
TFCKPT_API int tfckpt_objgraph_rewrite_keys(const void *data, size_t len, tfckpt_objgraph_key_map map,
                                            void *ctx, void **out /* OUT */, size_t *out_len /* OUT */);

/*! tfckpt_friendly_name() :
 *  A readable name for a checkpoint key, computed from the key alone:
 *    model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE       -> model/dense/kernel
 *    model/dense/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE
 *                                                      -> optimizer/m/model/dense/kernel
 *    iterator/.ATTRIBUTES/ITERATOR_STATE                 -> iterator/ITERATOR_STATE
 *  Path components are unescaped ("..": ".", ".S": "/").  A key that is not
 *  object-based (TF1 names, the graph key) is returned unchanged.
 *  @return a malloc'd string (free it), NULL when memory ran out. */
TFCKPT_API char *tfckpt_friendly_name(const char *key);

#ifdef __cplusplus
}
#endif
#endif
