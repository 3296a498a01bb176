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

#include "tfckpt/graph.h"
#include "tfckpt/internal/error.h"


/* Loads a `.meta` file, a `saved_model.pb`, or a SavedModel directory.
 * Messages name the file ("export.meta: malformed NodeDef 12"). */
int tfckpt__graph_load(const char *path, tfckpt_graph_info *out, tfckpt__err *err);

/* Parses bytes; kind is TFCKPT_GRAPH_META, _SAVED_MODEL, or 0 to guess. */
int tfckpt__graph_parse(const uint8_t *data, size_t len, int kind, tfckpt_graph_info *out,
                       tfckpt__err *err);


/* Index of the variable saved under `name`, or -1. */
long tfckpt__graph_find(const tfckpt_graph_info *g, const char *name);

#endif
