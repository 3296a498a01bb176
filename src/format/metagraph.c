#include "format/metagraph.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/coding.h"
#include "tfckpt/internal/file.h"
#include "core/strutil.h"
#include "format/bundle.h"
#include "format/objgraph.h"
#include "format/proto.h"
#include "tfckpt/tfckpt.h"

/* Refuse graph files larger than this (real ones reach a few hundred MiB
 * only with embedded constants). */
#define MAX_GRAPH_FILE ((size_t)2 << 30)

void tfckpt_graph_info_free(tfckpt_graph_info *g) {
  for (size_t i = 0; i < g->nvars; i++) {
    free(g->vars[i].name);
    free(g->vars[i].node);
    free(g->vars[i].dims);
  }
  free(g->vars);
  for (size_t i = 0; i < g->nops; i++) free(g->ops[i].op);
  free(g->ops);
  free(g->tags);
  memset(g, 0, sizeof *g);
}

/* ---- small helpers ---- */

typedef struct vec {
  void *data;
  size_t n, cap;
} vec;

static void *vec_push(vec *v, size_t es) {
  if (v->n == v->cap) {
    size_t ncap = v->cap ? v->cap * 2 : 16;
    if (ncap > SIZE_MAX / es) return NULL;
    void *nd = realloc(v->data, ncap * es);
    if (!nd) return NULL;
    v->data = nd;
    v->cap = ncap;
  }
  void *slot = (char *)v->data + v->n++ * es;
  memset(slot, 0, es);
  return slot;
}

static int field_is(const tfckpt__pb_field *f, const char *s) {
  size_t n = strlen(s);
  return f->wire == PB_LEN && f->len == n && !memcmp(f->data, s, n);
}

/* TensorShapeProto allowing unknown (-1) dimensions. */
static int parse_graph_shape(const uint8_t *d, size_t len, int *rank, int64_t **dims) {
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f;
  int r, n = 0, unknown = 0;
  int64_t buf[TFCKPT_MAX_RANK];
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num == 2) {
      if (f.wire != PB_LEN) return -1;
      if (n >= TFCKPT_MAX_RANK) return -1;
      int64_t size;
      if (tfckpt__decode_dim_size(f.data, f.len, &size) < 0) return -1;
      buf[n++] = size < -1 ? -1 : size;
    } else if (f.num == 3 && f.wire == PB_VARINT) {
      unknown = f.v != 0;
    }
  }
  if (r < 0) return -1;
  free(*dims);
  *dims = malloc((size_t)(n ? n : 1) * sizeof **dims);
  if (!*dims) return -2;
  if (n) memcpy(*dims, buf, (size_t)n * sizeof **dims);
  *rank = unknown ? -1 : n;
  return 0;
}

/* ---- graph nodes ---- */

typedef struct raw_var {
  char *node;
  const char *op;
  tfckpt_dtype dtype;
  int rank;
  int64_t *dims;
  int claimed;
} raw_var;

static const char *variable_op(const tfckpt__pb_field *f) {
  static const char *const kOps[] = {"VariableV2", "Variable", "VarHandleOp"};
  for (size_t i = 0; i < sizeof kOps / sizeof *kOps; i++)
    if (field_is(f, kOps[i])) return kOps[i];
  return NULL;
}

typedef struct restore_in {
  char *op_name;   /* the restore node */
  char *input;     /* its tensor name(s) input: a Const node name */
} restore_in;

typedef struct parse_ctx {
  tfckpt__err *err;
  vec raw;     /* raw_var */
  vec restores; /* restore_in */
  vec saver_keys; /* char *: keys the Saver's restore ops read */
  vec ops;     /* tfckpt_op_count, unsorted */
  vec defs;    /* var_def */
  int64_t nnodes, nfunctions, nfunction_nodes;
} parse_ctx;

/* Distinct op types tracked; a (forged) graph with more counts the rest as
 * one "(other)" entry, keeping the linear search below cheap. */
#define MAX_OP_TYPES 4096

static int count_op(parse_ctx *c, const uint8_t *op, size_t len) {
  tfckpt_op_count *o = c->ops.data;
  if (c->ops.n >= MAX_OP_TYPES) {
    op = (const uint8_t *)"(other)";
    len = 7;
  }
  /* recently seen ops are likely again: search from the end */
  for (size_t i = c->ops.n; i-- > 0;)
    if (strlen(o[i].op) == len && (!len || !memcmp(o[i].op, op, len))) { /* op NULL if empty */
      o[i].count++;
      return 0;
    }
  tfckpt_op_count *n = vec_push(&c->ops, sizeof *n);
  if (!n) return TFCKPT_ENOMEM;
  n->op = strndup(len ? (const char *)op : "", len);
  n->count = 1;
  return n->op ? 0 : TFCKPT_ENOMEM;
}

static int parse_attr_value(const uint8_t *d, size_t len, tfckpt_dtype *type, int *rank, int64_t **dims) {
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f;
  int r;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num == 6 && f.wire == PB_VARINT && type) *type = f.v > 1000 ? 0 : (int)f.v;
    if (f.num == 7 && rank) {
      if (f.wire != PB_LEN) return -1;
      int rc = parse_graph_shape(f.data, f.len, rank, dims);
      if (rc) return rc;
    }
  }
  return r;
}

static int parse_node(parse_ctx *c, const uint8_t *d, size_t len, int64_t idx) {
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f;
  int r;
  const uint8_t *name = NULL, *op = NULL;
  size_t name_len = 0, op_len = 0;
  const char *var_op = NULL;
  int is_restore = 0, ninputs = 0;
  tfckpt__pb_field input1 = {0};
  /* first pass: name and op (fields may come in any order) */
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if ((f.num == 1 || f.num == 2 || f.num == 3) && f.wire != PB_LEN) r = -1;
    if (r < 0) break;
    if (f.num == 3 && ninputs++ == 1) input1 = f;
    if (f.num == 1) {
      name = f.data;
      name_len = f.len;
    } else if (f.num == 2) {
      op = f.data;
      op_len = f.len;
      var_op = variable_op(&f);
      is_restore = field_is(&f, "RestoreV2") || field_is(&f, "RestoreSlice") ||
                   field_is(&f, "Restore");
    }
  }
  if (r < 0)
    return tfckpt__seterr(c->err, TFCKPT_ECORRUPT, "malformed NodeDef %lld", (long long)idx);
  if (count_op(c, op, op_len)) return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
  if (is_restore && ninputs >= 2) {
    /* "save/RestoreV2/tensor_names:0" -> the Const node's name */
    size_t n = input1.len;
    const uint8_t *colon = n ? memchr(input1.data, ':', n) : NULL;
    if (colon) n = (size_t)(colon - input1.data);
    restore_in *ri = vec_push(&c->restores, sizeof *ri);
    if (!ri) return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
    ri->op_name = strndup(name_len ? (const char *)name : "", name_len);
    ri->input = strndup(n ? (const char *)input1.data : "", n);
    if (!ri->op_name || !ri->input) return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
  }
  if (!var_op) return TFCKPT_OK;
  raw_var *v = vec_push(&c->raw, sizeof *v);
  if (!v) return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
  v->op = var_op;
  v->rank = -1;
  v->node = strndup(name_len ? (const char *)name : "", name_len);
  if (!v->node) return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
  pb = tfckpt__pb_init(d, len);
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num != 5 || f.wire != PB_LEN) continue;
    tfckpt__pb ep = tfckpt__pb_init(f.data, f.len);
    tfckpt__pb_field g, key = {0}, val = {0};
    int r2, have_val = 0;
    while ((r2 = tfckpt__pb_next(&ep, &g)) > 0) {
      if (g.num == 1) key = g;
      else if (g.num == 2 && g.wire == PB_LEN) {
        val = g;
        have_val = 1;
      }
    }
    if (r2 < 0) r = -1;
    if (r < 0) break;
    if (!have_val) continue;
    int rc = 0;
    if (field_is(&key, "dtype")) rc = parse_attr_value(val.data, val.len, &v->dtype, NULL, NULL);
    else if (field_is(&key, "shape"))
      rc = parse_attr_value(val.data, val.len, NULL, &v->rank, &v->dims);
    if (rc == -2) return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
    if (rc < 0) r = -1;
    if (r < 0) break;
  }
  if (r < 0)
    return tfckpt__seterr(c->err, TFCKPT_ECORRUPT, "malformed attribute in NodeDef %lld (\"%s\")",
                         (long long)idx, v->node);
  if (v->dtype > 100) v->dtype -= 100; /* reference types */
  return TFCKPT_OK;
}

static int parse_library(parse_ctx *c, const uint8_t *d, size_t len) {
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f;
  int r;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num != 1 || f.wire != PB_LEN) continue;
    c->nfunctions++;
    tfckpt__pb fp = tfckpt__pb_init(f.data, f.len);
    tfckpt__pb_field g;
    int r2;
    while ((r2 = tfckpt__pb_next(&fp, &g)) > 0)
      if (g.num == 3) c->nfunction_nodes++;
    if (r2 < 0) r = -1;
    if (r < 0) break;
  }
  return r < 0 ? tfckpt__seterr(c->err, TFCKPT_ECORRUPT, "malformed function library") : 0;
}

static int parse_graph_def(parse_ctx *c, const uint8_t *d, size_t len) {
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f;
  int r, rc;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num == 1) {
      if (f.wire != PB_LEN)
        return tfckpt__seterr(c->err, TFCKPT_ECORRUPT, "GraphDef.node has wire type %d", f.wire);
      if ((rc = parse_node(c, f.data, f.len, c->nnodes))) return rc;
      c->nnodes++;
    } else if (f.num == 2 && f.wire == PB_LEN) {
      if ((rc = parse_library(c, f.data, f.len))) return rc;
    }
  }
  return r < 0 ? tfckpt__seterr(c->err, TFCKPT_ECORRUPT, "malformed GraphDef (truncated)") : 0;
}

/* ---- the keys the Saver restores ---- */

static int add_saver_key(parse_ctx *c, const uint8_t *d, size_t n) {
  char **k = vec_push(&c->saver_keys, sizeof *k);
  if (!k || !(*k = strndup(n ? (const char *)d : "", n)))
    return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
  return 0;
}

/* The string values of a Const node's "value" attribute. */
static int const_strings(parse_ctx *c, const uint8_t *d, size_t len) {
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f;
  int r;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num != 5 || f.wire != PB_LEN) continue;
    tfckpt__pb ep = tfckpt__pb_init(f.data, f.len);
    tfckpt__pb_field g, key = {0}, val = {0};
    int r2;
    while ((r2 = tfckpt__pb_next(&ep, &g)) > 0) {
      if (g.num == 1) key = g;
      else if (g.num == 2 && g.wire == PB_LEN) val = g;
    }
    if (r2 < 0 || !field_is(&key, "value") || !val.data) continue;
    tfckpt__pb ap = tfckpt__pb_init(val.data, val.len);
    while ((r2 = tfckpt__pb_next(&ap, &g)) > 0) {
      if (g.num != 8 || g.wire != PB_LEN) continue; /* AttrValue.tensor */
      tfckpt__pb tp = tfckpt__pb_init(g.data, g.len);
      tfckpt__pb_field t;
      int r3, rc;
      while ((r3 = tfckpt__pb_next(&tp, &t)) > 0)
        if (t.num == 8 && t.wire == PB_LEN && (rc = add_saver_key(c, t.data, t.len))) return rc;
    }
  }
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the tensor names of the restore ops that belong to the Saver whose
 * restore op is `restore_op` ("save/restore_all": scope "save/"). */
static int collect_saver_keys(parse_ctx *c, const uint8_t *graph, size_t glen,
                              const char *restore_op) {
  size_t scope_len = 0;
  const char *slash = restore_op ? strrchr(restore_op, '/') : NULL;
  if (slash) scope_len = (size_t)(slash - restore_op) + 1;
  restore_in *ri = c->restores.data;
  vec want = {0};
  int rc = 0;
  for (size_t i = 0; i < c->restores.n && !rc; i++) {
    if (scope_len && strncmp(ri[i].op_name, restore_op, scope_len)) continue;
    char **w = vec_push(&want, sizeof *w);
    if (!w) rc = tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
    else *w = ri[i].input;
  }
  if (!rc && want.n) {
    qsort(want.data, want.n, sizeof(char *), cmp_str);
    tfckpt__pb pb = tfckpt__pb_init(graph, glen);
    tfckpt__pb_field f;
    while (!rc && tfckpt__pb_next(&pb, &f) > 0) {
      if (f.num != 1 || f.wire != PB_LEN) continue;
      tfckpt__pb np = tfckpt__pb_init(f.data, f.len);
      tfckpt__pb_field g;
      char name[1024];
      name[0] = '\0';
      int is_const = 0;
      while (tfckpt__pb_next(&np, &g) > 0) {
        if (g.num == 1 && g.wire == PB_LEN && g.len < sizeof name) {
          memcpy(name, g.data, g.len);
          name[g.len] = '\0';
        } else if (g.num == 2) {
          is_const = field_is(&g, "Const");
        }
      }
      const char *key = name;
      if (is_const && bsearch(&key, want.data, want.n, sizeof(char *), cmp_str))
        rc = const_strings(c, f.data, f.len);
    }
  }
  free(want.data);
  if (!rc && c->saver_keys.n) {
    /* partitioned variables appear once per slice: keep one of each */
    char **k = c->saver_keys.data;
    qsort(k, c->saver_keys.n, sizeof *k, cmp_str);
    size_t m = 0;
    for (size_t i = 0; i < c->saver_keys.n; i++) {
      if (m && !strcmp(k[m - 1], k[i])) {
        free(k[i]);
        continue;
      }
      k[m++] = k[i];
    }
    c->saver_keys.n = m;
  }
  return rc;
}

/* ---- the "variables" collection ---- */

typedef struct var_def {
  char *node;        /* variable_name without ":0" */
  char *full_name;   /* save_slice_info full_name, or NULL */
  int full_rank;
  int64_t *full_shape;
} var_def;

static int parse_int64_list(const tfckpt__pb_field *f, int64_t *buf, int *n) {
  if (f->wire == PB_VARINT) {
    if (*n >= TFCKPT_MAX_RANK) return -1;
    buf[(*n)++] = tfckpt__pb_int64(f->v);
    return 0;
  }
  if (f->wire != PB_LEN) return -1;
  const uint8_t *p = f->data, *end = f->data + f->len;
  while (p < end) {
    uint64_t v;
    p = tfckpt__get_varint64(p, end, &v);
    if (!p) return -1;
    if (*n >= TFCKPT_MAX_RANK) return -1;
    buf[(*n)++] = (int64_t)v;
  }
  return 0;
}

static int parse_variable_def(parse_ctx *c, const uint8_t *d, size_t len) {
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f;
  int r;
  var_def *vd = vec_push(&c->defs, sizeof *vd);
  if (!vd) return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num == 1 && f.wire == PB_LEN) {
      size_t n = f.len;
      /* "dense/kernel:0" -> "dense/kernel" */
      const uint8_t *colon = n ? memchr(f.data, ':', n) : NULL;
      if (colon) n = (size_t)(colon - f.data);
      free(vd->node);
      if (!(vd->node = strndup(n ? (const char *)f.data : "", n)))
        return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
    } else if (f.num == 4 && f.wire == PB_LEN) {
      tfckpt__pb sp = tfckpt__pb_init(f.data, f.len);
      tfckpt__pb_field g;
      int r2, n = 0;
      int64_t shape[TFCKPT_MAX_RANK];
      while ((r2 = tfckpt__pb_next(&sp, &g)) > 0) {
        if (g.num == 1 && g.wire == PB_LEN) {
          free(vd->full_name);
          if (!(vd->full_name = strndup(g.len ? (const char *)g.data : "", g.len)))
            return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
        } else if (g.num == 2 && parse_int64_list(&g, shape, &n)) {
          r2 = -1;
          break;
        }
      }
      if (r2 < 0) r = -1;
      if (r < 0) break;
      free(vd->full_shape);
      vd->full_shape = malloc((size_t)(n ? n : 1) * sizeof *vd->full_shape);
      if (!vd->full_shape) return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
      if (n) memcpy(vd->full_shape, shape, (size_t)n * sizeof *shape);
      vd->full_rank = n;
    }
  }
  if (r < 0) return tfckpt__seterr(c->err, TFCKPT_ECORRUPT, "malformed VariableDef");
  if (!vd->node && !(vd->node = strdup("")))
    return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
  return TFCKPT_OK;
}

/* collection_def map entry; *found is set for the "variables" key. */
static int parse_collection(parse_ctx *c, const uint8_t *d, size_t len, int *found) {
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f, key = {0}, val = {0};
  int r, have_val = 0;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num == 1) key = f;
    else if (f.num == 2 && f.wire == PB_LEN) {
      val = f;
      have_val = 1;
    }
  }
  if (r < 0) return tfckpt__seterr(c->err, TFCKPT_ECORRUPT, "malformed collection_def entry");
  if (!have_val || !field_is(&key, "variables")) return TFCKPT_OK;
  *found = 1;
  tfckpt__pb cp = tfckpt__pb_init(val.data, val.len);
  while ((r = tfckpt__pb_next(&cp, &f)) > 0) {
    if (f.num != 2 || f.wire != PB_LEN) continue; /* bytes_list */
    tfckpt__pb bp = tfckpt__pb_init(f.data, f.len);
    tfckpt__pb_field g;
    int r2, rc;
    while ((r2 = tfckpt__pb_next(&bp, &g)) > 0)
      if (g.num == 1 && g.wire == PB_LEN && (rc = parse_variable_def(c, g.data, g.len)))
        return rc;
    if (r2 < 0) r = -1;
    if (r < 0) break;
  }
  return r < 0 ? tfckpt__seterr(c->err, TFCKPT_ECORRUPT, "malformed \"variables\" collection") : 0;
}

/* ---- TF2 SavedObjectGraph ---- */

typedef struct sobj {
  int nchildren;
  tfckpt__objref *children;
  int is_var, dtype, rank;
  int64_t *dims;
  char *name;
} sobj;

static void sobjs_free(sobj *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    for (int k = 0; k < s[i].nchildren; k++) free(s[i].children[k].local_name);
    free(s[i].children);
    free(s[i].dims);
    free(s[i].name);
  }
  free(s);
}

static int parse_saved_object(parse_ctx *c, const uint8_t *d, size_t len, sobj *o, size_t id) {
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f;
  int r, cap = 0;
  o->rank = -1;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num == 1) {
      if (f.wire != PB_LEN) {
        r = -1;
        break;
      }
      if (o->nchildren == cap) {
        if (cap > (1 << 24)) {
          r = -1;
          break;
        }
        cap = cap ? cap * 2 : 4;
        tfckpt__objref *nc = realloc(o->children, (size_t)cap * sizeof *nc);
        if (!nc) return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
        o->children = nc;
      }
      tfckpt__objref *ref = &o->children[o->nchildren++];
      ref->node_id = 0;
      ref->local_name = NULL;
      tfckpt__pb rp = tfckpt__pb_init(f.data, f.len);
      tfckpt__pb_field g;
      int r2;
      while ((r2 = tfckpt__pb_next(&rp, &g)) > 0) {
        if (g.num == 1 && g.wire == PB_VARINT) {
          int64_t v = tfckpt__pb_int64(g.v);
          ref->node_id = v < 0 || v > INT32_MAX ? -1 : (int)v;
        } else if (g.num == 2 && g.wire == PB_LEN) {
          free(ref->local_name);
          ref->local_name = strndup(g.len ? (const char *)g.data : "", g.len);
          if (!ref->local_name) return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
        }
      }
      if (!ref->local_name && !(ref->local_name = strdup("")))
        return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
      if (r2 < 0) r = -1;
      if (r < 0) break;
    } else if (f.num == 7 && f.wire == PB_LEN) {
      o->is_var = 1;
      tfckpt__pb vp = tfckpt__pb_init(f.data, f.len);
      tfckpt__pb_field g;
      int r2;
      while ((r2 = tfckpt__pb_next(&vp, &g)) > 0) {
        if (g.num == 1 && g.wire == PB_VARINT) o->dtype = g.v > 1000 ? 0 : (int)g.v;
        else if (g.num == 2 && g.wire == PB_LEN) {
          int rc = parse_graph_shape(g.data, g.len, &o->rank, &o->dims);
          if (rc == -2) return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
          if (rc) {
            r2 = -1;
            break;
          }
        } else if (g.num == 6 && g.wire == PB_LEN) {
          free(o->name);
          if (!(o->name = strndup(g.len ? (const char *)g.data : "", g.len)))
            return tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
        }
      }
      if (r2 < 0) r = -1;
      if (r < 0) break;
    }
  }
  if (r < 0)
    return tfckpt__seterr(c->err, TFCKPT_ECORRUPT, "malformed SavedObject %zu in the object graph",
                         id);
  return TFCKPT_OK;
}

static int add_var(vec *out, tfckpt__err *err, const char *name, const char *node, const char *op,
                   tfckpt_dtype dtype, int rank, const int64_t *dims, int nparts, int saved) {
  tfckpt_graph_var *v = vec_push(out, sizeof *v);
  if (!v) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  v->name = strdup(name);
  v->node = strdup(node);
  v->op = op;
  v->dtype = dtype;
  v->rank = rank;
  v->dims = malloc((size_t)(rank > 0 ? rank : 1) * sizeof *v->dims);
  v->nparts = nparts;
  v->saved = saved;
  if (!v->name || !v->node || !v->dims) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  if (rank > 0) memcpy(v->dims, dims, (size_t)rank * sizeof *dims);
  return TFCKPT_OK;
}

static int parse_object_graph(parse_ctx *c, const uint8_t *d, size_t len, vec *out) {
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f;
  int r, rc = 0;
  vec objs = {0};
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num != 1) continue;
    if (f.wire != PB_LEN) {
      r = -1;
      break;
    }
    sobj *o = vec_push(&objs, sizeof *o);
    if (!o) {
      rc = tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
      break;
    }
    if ((rc = parse_saved_object(c, f.data, f.len, o, objs.n - 1))) break;
  }
  if (!rc && r < 0) rc = tfckpt__seterr(c->err, TFCKPT_ECORRUPT, "malformed SavedObjectGraph");
  sobj *s = objs.data;
  int n = (int)objs.n;
  if (!rc && objs.n > (size_t)INT32_MAX)
    rc = tfckpt__seterr(c->err, TFCKPT_ECORRUPT, "SavedObjectGraph has too many nodes");
  int *nch = NULL;
  tfckpt__objref **ch = NULL;
  char **paths = NULL, **keys = NULL;
  int *parents = NULL;
  if (!rc && n > 0) {
    nch = malloc((size_t)n * sizeof *nch);
    ch = malloc((size_t)n * sizeof *ch);
    if (!nch || !ch) rc = tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < n; i++) {
      nch[i] = s[i].nchildren;
      ch[i] = s[i].children;
    }
    if (!rc)
      rc = tfckpt__obj_name_nodes(n, nch, ch, "SavedObjectGraph", &paths, &keys, &parents, c->err);
    for (int i = 0; !rc && i < n; i++) {
      if (!s[i].is_var || !keys[i]) continue;
      char *key = tfckpt__strdupf("%s%s.ATTRIBUTES/VARIABLE_VALUE", keys[i], *keys[i] ? "/" : "");
      if (!key) {
        rc = tfckpt__seterr(c->err, TFCKPT_ENOMEM, "out of memory");
        break;
      }
      rc = add_var(out, c->err, key, s[i].name ? s[i].name : paths[i], "SavedVariable",
                   s[i].dtype, s[i].rank, s[i].dims, 0, 1);
      free(key);
    }
  }
  if (paths)
    for (int i = 0; i < n; i++) {
      free(paths[i]);
      free(keys[i]);
    }
  free(paths);
  free(keys);
  free(parents);
  free(nch);
  free(ch);
  sobjs_free(s, objs.n);
  return rc;
}

/* ---- MetaGraphDef ---- */

static int cmp_var(const void *a, const void *b) {
  return strcmp(((const tfckpt_graph_var *)a)->name, ((const tfckpt_graph_var *)b)->name);
}

static int cmp_raw(const void *a, const void *b) {
  return strcmp(((const raw_var *)a)->node, ((const raw_var *)b)->node);
}

static int cmp_ops(const void *a, const void *b) {
  const tfckpt_op_count *x = a, *y = b;
  if (x->count != y->count) return x->count > y->count ? -1 : 1;
  return strcmp(x->op, y->op);
}

/* Plain variables first, then partitions grouped by full name. */
static int cmp_def(const void *a, const void *b) {
  const var_def *x = a, *y = b;
  if (!x->full_name || !y->full_name) return !!x->full_name - !!y->full_name;
  int k = strcmp(x->full_name, y->full_name);
  return k ? k : strcmp(x->node, y->node);
}

static raw_var *find_raw(parse_ctx *c, const char *node) {
  raw_var *rv = c->raw.data;
  int64_t i = tfckpt__find_sorted_name(rv, c->raw.n, sizeof *rv, offsetof(raw_var, node), node);
  return i < 0 ? NULL : &rv[i];
}

static int build_tf1_vars(parse_ctx *c, int have_collection, vec *out) {
  raw_var *rv = c->raw.data;
  if (c->raw.n) qsort(rv, c->raw.n, sizeof *rv, cmp_raw); /* data is NULL when empty */
  var_def *defs = c->defs.data;
  int rc = 0;
  if (have_collection) {
    /* partitioned variables: one entry per full_name (sorted together) */
    if (c->defs.n) qsort(defs, c->defs.n, sizeof *defs, cmp_def);
    for (size_t i = 0; !rc && i < c->defs.n; i++) {
      raw_var *node = find_raw(c, defs[i].node);
      if (node) node->claimed = 1;
      tfckpt_dtype dtype = node ? node->dtype : TFCKPT_INVALID;
      const char *op = node ? node->op : "VariableV2";
      if (!defs[i].full_name) {
        rc = add_var(out, c->err, defs[i].node, defs[i].node, op, dtype, node ? node->rank : -1,
                     node ? node->dims : NULL, 0, 1);
        continue;
      }
      if (i > 0 && defs[i - 1].full_name && !strcmp(defs[i - 1].full_name, defs[i].full_name))
        continue;
      int parts = 0;
      for (size_t j = i; j < c->defs.n && defs[j].full_name &&
                         !strcmp(defs[j].full_name, defs[i].full_name);
           j++)
        parts++;
      rc = add_var(out, c->err, defs[i].full_name, defs[i].node, op, dtype, defs[i].full_rank,
                   defs[i].full_shape, parts, 1);
    }
  }
  for (size_t i = 0; !rc && i < c->raw.n; i++)
    if (!rv[i].claimed)
      rc = add_var(out, c->err, rv[i].node, rv[i].node, rv[i].op, rv[i].dtype, rv[i].rank,
                   rv[i].dims, 0, !have_collection);
  if (rc || !c->saver_keys.n) return rc;
  /* The Saver's restore ops say exactly which keys a restore reads. */
  char **keys = c->saver_keys.data;
  size_t nvars = out->n;
  tfckpt_graph_var *vs = out->data;
  for (size_t i = 0; i < nvars; i++)
    vs[i].saved = bsearch(&vs[i].name, keys, c->saver_keys.n, sizeof *keys, cmp_str) != NULL;
  qsort(out->data, nvars, sizeof *vs, cmp_var);
  for (size_t k = 0; !rc && k < c->saver_keys.n; k++) {
    tfckpt_graph_var probe = {.name = keys[k]};
    if (!bsearch(&probe, out->data, nvars, sizeof *vs, cmp_var))
      rc = add_var(out, c->err, keys[k], keys[k], "Saver", 0, -1, NULL, 0, 1);
  }
  return rc;
}

static int parse_meta_graph(const uint8_t *d, size_t len, tfckpt_graph_info *g, tfckpt__err *err) {
  parse_ctx c = {.err = err};
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f;
  int r, rc = 0, have_collection = 0;
  const uint8_t *objg = NULL, *graph = NULL;
  size_t objg_len = 0, graph_len = 0;
  char *restore_op = NULL;
  vec tags = {0};
  size_t tags_len = 0;
  g->saver_version = -1;
  while (!rc && (r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num >= 1 && f.num <= 7 && f.wire != PB_LEN) {
      rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "MetaGraphDef field %u has wire type %d", f.num,
                         f.wire);
      break;
    }
    switch (f.num) {
      case 1: { /* meta_info_def: tags */
        tfckpt__pb mp = tfckpt__pb_init(f.data, f.len);
        tfckpt__pb_field g2;
        int r2;
        while ((r2 = tfckpt__pb_next(&mp, &g2)) > 0)
          if (g2.num == 4 && g2.wire == PB_LEN) {
            tfckpt__pb_field *t = vec_push(&tags, sizeof *t);
            if (!t) {
              rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
              break;
            }
            *t = g2;
            tags_len += g2.len + 1;
          }
        if (!rc && r2 < 0) rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "malformed MetaInfoDef");
        break;
      }
      case 2:
        graph = f.data;
        graph_len = f.len;
        rc = parse_graph_def(&c, f.data, f.len);
        break;
      case 3: {
        tfckpt__pb sp = tfckpt__pb_init(f.data, f.len);
        tfckpt__pb_field g2;
        int r2;
        g->saver_version = 0;
        while ((r2 = tfckpt__pb_next(&sp, &g2)) > 0) {
          if (g2.num == 7 && g2.wire == PB_VARINT) g->saver_version = (int)(g2.v & 0xff);
          if (g2.num == 3 && g2.wire == PB_LEN) {
            free(restore_op);
            restore_op = strndup(g2.len ? (const char *)g2.data : "", g2.len);
          }
        }
        if (r2 < 0) rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "malformed SaverDef");
        break;
      }
      case 4: rc = parse_collection(&c, f.data, f.len, &have_collection); break;
      case 7:
        objg = f.data;
        objg_len = f.len;
        break;
      default: break;
    }
  }
  if (!rc && r < 0) rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "malformed MetaGraphDef (truncated)");
  vec out = {0};
  if (!rc && objg) {
    rc = parse_object_graph(&c, objg, objg_len, &out);
    g->object_based = out.n > 0;
  }
  if (!rc && !g->object_based && graph)
    rc = collect_saver_keys(&c, graph, graph_len, restore_op);
  g->saver_keys = c.saver_keys.n;
  if (!rc && !g->object_based) rc = build_tf1_vars(&c, have_collection, &out);
  free(restore_op);
  restore_in *ris = c.restores.data;
  for (size_t i = 0; i < c.restores.n; i++) {
    free(ris[i].op_name);
    free(ris[i].input);
  }
  free(ris);
  char **sk = c.saver_keys.data;
  for (size_t i = 0; i < c.saver_keys.n; i++) free(sk[i]);
  free(sk);
  if (!rc && tags.n) {
    g->tags = malloc(tags_len + 1);
    if (!g->tags) rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
    size_t k = 0;
    const tfckpt__pb_field *t = tags.data;
    for (size_t i = 0; !rc && i < tags.n; i++) {
      if (i) g->tags[k++] = ',';
      memcpy(g->tags + k, t[i].data, t[i].len);
      k += t[i].len;
    }
    if (g->tags) g->tags[k] = '\0';
  }
  free(tags.data);
  g->vars = out.data;
  g->nvars = out.n;
  if (g->nvars) qsort(g->vars, g->nvars, sizeof *g->vars, cmp_var);
  g->ops = c.ops.data;
  g->nops = c.ops.n;
  if (g->nops) qsort(g->ops, g->nops, sizeof *g->ops, cmp_ops);
  g->num_nodes = c.nnodes;
  g->num_functions = c.nfunctions;
  g->num_function_nodes = c.nfunction_nodes;
  raw_var *rv = c.raw.data;
  for (size_t i = 0; i < c.raw.n; i++) {
    free(rv[i].node);
    free(rv[i].dims);
  }
  free(rv);
  var_def *defs = c.defs.data;
  for (size_t i = 0; i < c.defs.n; i++) {
    free(defs[i].node);
    free(defs[i].full_name);
    free(defs[i].full_shape);
  }
  free(defs);
  return rc;
}

int tfckpt__graph_parse(const uint8_t *data, size_t len, int kind, tfckpt_graph_info *out,
                       tfckpt__err *err) {
  memset(out, 0, sizeof *out);
  if (kind == 0) {
    /* TF's SavedModel builders always write saved_model_schema_version
     * (varint field 1) first; a MetaGraphDef's field 1 is a message.  Other
     * files are taken as MetaGraphDefs (name them saved_model.pb to say
     * otherwise). */
    tfckpt__pb pb = tfckpt__pb_init(data, len);
    tfckpt__pb_field f;
    kind = TFCKPT_GRAPH_META;
    if (tfckpt__pb_next(&pb, &f) > 0) {
      if (f.num == 1 && f.wire == PB_VARINT) kind = TFCKPT_GRAPH_SAVED_MODEL;
    }
  }
  out->kind = kind;
  if (kind == TFCKPT_GRAPH_META) {
    out->num_meta_graphs = 1;
    int rc = parse_meta_graph(data, len, out, err);
    if (rc) tfckpt_graph_info_free(out);
    return rc;
  }
  tfckpt__pb pb = tfckpt__pb_init(data, len);
  tfckpt__pb_field f;
  int r, rc = 0;
  const uint8_t *first = NULL;
  size_t first_len = 0;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num != 2) continue;
    if (f.wire != PB_LEN)
      return tfckpt__seterr(err, TFCKPT_ECORRUPT, "SavedModel.meta_graphs has wire type %d",
                           f.wire);
    if (!out->num_meta_graphs++) {
      first = f.data;
      first_len = f.len;
    }
  }
  if (r < 0) return tfckpt__seterr(err, TFCKPT_ECORRUPT, "malformed SavedModel (truncated)");
  if (!first) return tfckpt__seterr(err, TFCKPT_ECORRUPT, "SavedModel holds no meta graph");
  int n = out->num_meta_graphs;
  rc = parse_meta_graph(first, first_len, out, err);
  out->kind = TFCKPT_GRAPH_SAVED_MODEL;
  out->num_meta_graphs = n;
  if (rc) tfckpt_graph_info_free(out);
  return rc;
}

int tfckpt__graph_load(const char *path, tfckpt_graph_info *out, tfckpt__err *err) {
  memset(out, 0, sizeof *out);
  char *file = NULL;
  int kind = 0;
  if (tfckpt__is_dir(path)) {
    file = tfckpt__path_join(path, "saved_model.pb");
    if (!file) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
    if (!tfckpt__is_file(file)) {
      char *txt = tfckpt__path_join(path, "saved_model.pbtxt");
      int have_txt = txt && tfckpt__is_file(txt);
      free(txt);
      free(file);
      if (have_txt)
        return tfckpt__seterr(err, TFCKPT_EUNSUPPORTED,
                             "%s: only saved_model.pbtxt (text format) found; binary "
                             "saved_model.pb is required",
                             path);
      return tfckpt__seterr(err, TFCKPT_ENOTFOUND,
                           "%s: a directory without saved_model.pb (give a .meta file or a "
                           "SavedModel directory)",
                           path);
    }
    kind = TFCKPT_GRAPH_SAVED_MODEL;
  } else {
    file = strdup(path);
    if (!file) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
    size_t n = strlen(path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!strcmp(base, "saved_model.pb")) kind = TFCKPT_GRAPH_SAVED_MODEL;
    else if (n > 5 && !strcmp(path + n - 5, ".meta")) kind = TFCKPT_GRAPH_META;
  }
  /* read, not mapped: a graph file truncated while it is parsed must be an
   * error, not SIGBUS */
  char *bytes;
  size_t size;
  int rc = tfckpt__read_file(file, MAX_GRAPH_FILE, &bytes, &size, err);
  if (rc) {
    if (rc == TFCKPT_ERANGE)
      tfckpt__seterr(err, rc, "%s: more than %zu bytes is too large for a graph file", file,
                     MAX_GRAPH_FILE);
    free(file);
    return rc;
  }
  if (size == 0) {
    rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "%s: empty file", file);
  } else {
    rc = tfckpt__graph_parse((const uint8_t *)bytes, size, kind, out, err);
    if (rc) tfckpt__err_prefix(err, "%s", file);
  }
  free(bytes);
  free(file);
  return rc;
}

long tfckpt__graph_find(const tfckpt_graph_info *g, const char *name) {
  return (long)tfckpt__find_sorted_name(g->vars, g->nvars, sizeof *g->vars,
                                       offsetof(tfckpt_graph_var, name), name);
}

int tfckpt_graph_load(const char *path, tfckpt_graph_info *out) {
  tfckpt__err err = {0};
  return tfckpt__graph_load(path, out, &err);
}

int tfckpt_graph_parse(const uint8_t *data, size_t len, tfckpt_graph_kind kind,
                       tfckpt_graph_info *out) {
  tfckpt__err err = {0};
  return tfckpt__graph_parse(data, len, (int)kind, out, &err);
}
