/*
 * The variables a TensorFlow graph declares, without TensorFlow: `.meta`
 * files (a binary MetaGraphDef) and SavedModel `saved_model.pb` files.  Used
 * by `tfckpt graph` and `tfckpt check` (would a restore of this graph from
 * that checkpoint succeed?).
 *
 * Ownership: a filled tfckpt_graph_info owns every string and array in it;
 * release it with tfckpt_graph_info_free (also safe on a zeroed struct).
 */
#ifndef TFCKPT_GRAPH_H
#define TFCKPT_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "tfckpt/tfckpt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tfckpt_graph_kind {
  TFCKPT_GRAPH_GUESS = 0,       /* tfckpt_graph_parse: tell from the bytes */
  TFCKPT_GRAPH_META = 1,        /* a MetaGraphDef (.meta file) */
  TFCKPT_GRAPH_SAVED_MODEL = 2  /* a SavedModel (saved_model.pb) */
} tfckpt_graph_kind;

typedef struct tfckpt_graph_var {
  char *name;     /* the checkpoint key it is saved under: the node name, a
                     partitioned variable's full name, or (TF2 SavedModel)
                     "<object path>/.ATTRIBUTES/VARIABLE_VALUE" */
  char *node;     /* graph node ("dense/kernel"; first part when partitioned);
                     TF2: the SavedVariable's name */
  const char *op; /* VariableV2, Variable, VarHandleOp, SavedVariable */
  tfckpt_dtype dtype; /* base type (reference types folded), 0 if unknown */
  int rank;       /* -1: unknown rank */
  int64_t *dims;  /* -1: unknown dimension */
  int nparts;     /* > 0 for partitioned variables */
  int saved;      /* 1: a restore reads it: one of the keys the graph's Saver
                     restores (its RestoreV2/RestoreSlice tensor names), or
                     without a Saver, in the "variables" collection (or no
                     collection to tell); 0: the checkpoint need not hold it.
                     op "Saver": a key the Saver restores that names no
                     variable node (dtype/shape unknown) */
} tfckpt_graph_var;

typedef struct tfckpt_op_count {
  char *op;
  int64_t count;
} tfckpt_op_count;

typedef struct tfckpt_graph_info {
  tfckpt_graph_kind kind;
  int num_meta_graphs;       /* SavedModel: how many; the first is used */
  char *tags;                /* the used meta graph's tags, comma-joined */
  int object_based;          /* variables come from the SavedObjectGraph */
  int saver_version;         /* SaverDef.version (0 LEGACY, 1 V1, 2 V2), -1 none */
  size_t saver_keys;         /* distinct keys the Saver's restore ops read (0: no
                                Saver found; then `saved` follows the
                                "variables" collection) */
  int64_t num_nodes;         /* top-level graph nodes */
  int64_t num_functions, num_function_nodes;
  tfckpt_graph_var *vars;    /* sorted by name */
  size_t nvars;
  tfckpt_op_count *ops;      /* top-level nodes, most frequent first */
  size_t nops;
} tfckpt_graph_info;

/*! tfckpt_graph_load() :
 *  Loads a `.meta` file, a `saved_model.pb`, or a SavedModel directory.
 *  @return TFCKPT_OK, or an error with tfckpt_errmsg() naming the file and
 *          the problem ("export.meta: malformed NodeDef 12"); on failure *out
 *          holds nothing to free. */
TFCKPT_API int tfckpt_graph_load(const char *path, tfckpt_graph_info *out /* OUT */);

/* The same from `len` bytes in memory. */
TFCKPT_API int tfckpt_graph_parse(const uint8_t *data, size_t len, tfckpt_graph_kind kind,
                                  tfckpt_graph_info *out /* OUT */);

TFCKPT_API void tfckpt_graph_info_free(tfckpt_graph_info *g);

#ifdef __cplusplus
}
#endif
#endif
