/* The variables a graph declares: `.meta` files (one binary MetaGraphDef) and
 * SavedModel `saved_model.pb` files (formats.md section g), plus a histogram
 * of the graph's op types.
 *
 * The decoder only descends into the fields it needs (SavedModel ->
 * MetaGraphDef -> GraphDef -> NodeDef -> AttrValue -> TensorShapeProto, the
 * "variables" collection's VariableDefs, the SavedObjectGraph's variables),
 * each level with its own pull parser: nesting depth is fixed by the code,
 * not by the input, and nothing is recursive. */
#ifndef TFCKPT_FORMAT_METAGRAPH_H
#define TFCKPT_FORMAT_METAGRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum { TFCKPT_GRAPH_META = 1, TFCKPT_GRAPH_SAVED_MODEL = 2 };

typedef struct tfckpt_graph_var {
  char *name;     /* the checkpoint key it is saved under: the node name, a
                     partitioned variable's full name, or (TF2 SavedModel)
                     "<object path>/.ATTRIBUTES/VARIABLE_VALUE" */
  char *node;     /* graph node ("dense/kernel"; first part when partitioned);
                     TF2: the SavedVariable's name */
  const char *op; /* VariableV2, Variable, VarHandleOp, SavedVariable */
  int dtype;      /* base type (reference types folded), 0 if unknown */
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
  int kind;                  /* TFCKPT_GRAPH_* */
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

/* Loads a `.meta` file, a `saved_model.pb`, or a SavedModel directory.
 * Messages name the file ("export.meta: malformed NodeDef 12"). */
int tfckpt_graph_load(const char *path, tfckpt_graph_info *out, tfckpt_err *err);

/* Parses bytes; kind is TFCKPT_GRAPH_META, _SAVED_MODEL, or 0 to guess. */
int tfckpt_graph_parse(const uint8_t *data, size_t len, int kind, tfckpt_graph_info *out,
                       tfckpt_err *err);

void tfckpt_graph_info_free(tfckpt_graph_info *g);

/* Index of the variable saved under `name`, or -1. */
long tfckpt_graph_find(const tfckpt_graph_info *g, const char *name);

#endif
