/* tfckpt_objgraph_from_reader: the object graph of an open checkpoint.  It
 * lives in the checkpoint layer because it reads a tensor through the
 * reader; the decoding itself is format/objgraph.c. */
#include "format/objgraph.h"

#include "tfckpt/reader.h"

int tfckpt_objgraph_from_reader(tfckpt_reader *r, tfckpt_objgraph **out) {
  *out = NULL;
  const char *prefix = tfckpt_reader_prefix(r);
  if (!tfckpt_reader_has_tensor(r, TFCKPT_OBJECT_GRAPH_KEY))
    return tfckpt__objgraph_fail(out, TFCKPT_ENOTFOUND,
                                 "%s: no object graph (%s): not a TF2 object-based checkpoint",
                                 prefix, TFCKPT_OBJECT_GRAPH_KEY);
  tfckpt_tensor *t;
  int rc = tfckpt_reader_get_tensor(r, TFCKPT_OBJECT_GRAPH_KEY, &t);
  if (rc) return tfckpt__objgraph_fail(out, rc, "%s", tfckpt_reader_errmsg(r));
  const uint8_t *d;
  size_t n;
  if (tfckpt_tensor_dtype(t) != TFCKPT_STRING || tfckpt_tensor_num_elements(t) != 1 ||
      tfckpt_tensor_get_string(t, 0, &d, &n)) {
    tfckpt_tensor_free(t);
    return tfckpt__objgraph_fail(out, TFCKPT_ECORRUPT, "%s: %s is not a scalar string", prefix,
                                 TFCKPT_OBJECT_GRAPH_KEY);
  }
  rc = tfckpt_objgraph_parse(d, n, out);
  tfckpt_tensor_free(t);
  if (rc) tfckpt__objgraph_err_prefix(*out, prefix);
  return rc;
}
