/* TrackableObjectGraph decoding, validation, object naming and readable
 * names for object-based checkpoint keys (formats.md section f). */
#include "format/objgraph.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tfckpt/internal/file.h"
#include "format/proto.h"
#include "tensor/tensor_impl.h"

typedef struct obj_attr {
  char *name, *full_name, *key;
} obj_attr;

typedef struct obj_slot {
  int original, slot;
  char *name;
} obj_slot;

typedef struct obj_node {
  int nchildren, nattrs, nslots;
  tfckpt__objref *children;
  obj_attr *attrs;
  obj_slot *slots;
  char *path, *key_path;
  int parent;
  int slot_of, slot_optimizer;
  const char *slot_name;
} obj_node;

struct tfckpt_objgraph {
  tfckpt__err err;
  int n;
  obj_node *nodes;
};

/* ---- escaping and naming (shared with metagraph.c) ---- */

/* Object paths repeat their parents' paths, so a long chain of objects costs
 * quadratic memory: refuse graphs whose paths add up to more than this. */
#define MAX_PATH_BYTES ((size_t)64 << 20)

char *tfckpt__objkey_escape(const char *s) {
  size_t n = 0;
  for (const char *p = s; *p; p++) n += (*p == '.' || *p == '/') ? 2 : 1;
  char *out = malloc(n + 1), *q = out;
  if (!out) return NULL;
  for (const char *p = s; *p; p++) {
    if (*p == '.') {
      *q++ = '.';
      *q++ = '.';
    } else if (*p == '/') {
      *q++ = '.';
      *q++ = 'S';
    } else {
      *q++ = *p;
    }
  }
  *q = '\0';
  return out;
}

static char *join(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  char *out = malloc(la + lb + 2);
  if (!out) return NULL;
  memcpy(out, a, la);
  size_t k = la;
  if (la) out[k++] = '/';
  memcpy(out + k, b, lb + 1);
  return out;
}

int tfckpt__obj_name_nodes(int n, const int *nchildren, tfckpt__objref *const *children,
                          const char *what, char ***paths_out, char ***keys_out, int **parents_out,
                          tfckpt__err *err) {
  *paths_out = NULL;
  *keys_out = NULL;
  *parents_out = NULL;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < nchildren[i]; k++)
      if (children[i][k].node_id < 0 || children[i][k].node_id >= n)
        return tfckpt__seterr(err, TFCKPT_ECORRUPT,
                             "%s: node %d has child %d (\"%s\"), but the graph has %d nodes",
                             what, i, children[i][k].node_id, children[i][k].local_name, n);
  size_t cnt = (size_t)(n ? n : 1);
  /* Cycle check: iterative depth-first search with colours. */
  unsigned char *colour = calloc(cnt, 1);
  int *stack = malloc(cnt * sizeof *stack), *next = calloc(cnt, sizeof *next);
  char **paths = calloc(cnt, sizeof *paths), **keys = calloc(cnt, sizeof *keys);
  int *parents = malloc(cnt * sizeof *parents), *queue = malloc(cnt * sizeof *queue);
  int rc = TFCKPT_OK;
  if (!colour || !stack || !next || !paths || !keys || !parents || !queue) {
    rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
    goto done;
  }
  for (int s = 0; s < n && rc == 0; s++) {
    if (colour[s]) continue;
    int top = 0;
    stack[top++] = s;
    colour[s] = 1;
    while (top > 0 && rc == 0) {
      int u = stack[top - 1];
      if (next[u] < nchildren[u]) {
        int w = children[u][next[u]++].node_id;
        if (colour[w] == 1)
          rc = tfckpt__seterr(err, TFCKPT_ECORRUPT,
                             "%s: cycle: node %d (\"%s\") leads back to node %d", what, u,
                             children[u][next[u] - 1].local_name, w);
        else if (colour[w] == 0) {
          colour[w] = 1;
          stack[top++] = w;
        }
      } else {
        colour[u] = 2;
        top--;
      }
    }
  }
  if (rc) goto done;
  for (int i = 0; i < n; i++) parents[i] = -1;
  if (n > 0) {
    int head = 0, tail = 0;
    queue[tail++] = 0;
    paths[0] = strdup("");
    keys[0] = strdup("");
    if (!paths[0] || !keys[0]) rc = TFCKPT_ENOMEM;
    size_t total = 0;
    while (head < tail && rc == 0) {
      int u = queue[head++];
      for (int k = 0; k < nchildren[u] && rc == 0; k++) {
        int w = children[u][k].node_id;
        if (paths[w]) continue;
        size_t grow_by = 2 * (strlen(keys[u]) + 2 * strlen(children[u][k].local_name) + 2);
        if (total + grow_by > MAX_PATH_BYTES) {
          rc = tfckpt__seterr(err, TFCKPT_ECORRUPT,
                             "%s: object paths add up to more than %zu MiB (node %d is %zu "
                             "bytes deep)",
                             what, MAX_PATH_BYTES >> 20, w, strlen(keys[u]));
          break;
        }
        total += grow_by;
        char *esc = tfckpt__objkey_escape(children[u][k].local_name);
        paths[w] = join(paths[u], children[u][k].local_name);
        keys[w] = esc ? join(keys[u], esc) : NULL;
        free(esc);
        if (!paths[w] || !keys[w]) {
          rc = TFCKPT_ENOMEM;
          break;
        }
        parents[w] = u;
        queue[tail++] = w;
      }
    }
    if (rc == TFCKPT_ENOMEM) tfckpt__seterr(err, rc, "out of memory");
  }
done:
  free(colour);
  free(stack);
  free(next);
  free(queue);
  if (rc) {
    for (int i = 0; paths && keys && i < n; i++) {
      free(paths[i]);
      free(keys[i]);
    }
    free(paths);
    free(keys);
    free(parents);
    return rc;
  }
  *paths_out = paths;
  *keys_out = keys;
  *parents_out = parents;
  return TFCKPT_OK;
}

/* ---- decoding ---- */

static void node_free(obj_node *nd) {
  for (int k = 0; k < nd->nchildren; k++) free(nd->children[k].local_name);
  for (int k = 0; k < nd->nattrs; k++) {
    free(nd->attrs[k].name);
    free(nd->attrs[k].full_name);
    free(nd->attrs[k].key);
  }
  for (int k = 0; k < nd->nslots; k++) free(nd->slots[k].name);
  free(nd->children);
  free(nd->attrs);
  free(nd->slots);
  free(nd->path);
  free(nd->key_path);
}

void tfckpt_objgraph_free(tfckpt_objgraph *g) {
  if (!g) return;
  for (int i = 0; i < g->n; i++) node_free(&g->nodes[i]);
  free(g->nodes);
  free(g);
}

const char *tfckpt_objgraph_errmsg(const tfckpt_objgraph *g) {
  return g ? tfckpt__err_text(&g->err) : "out of memory";
}

/* Grows *arr (elements of size es) to hold one more; NULL on OOM. */
static void *grow(void *arr, int *cap, int count, size_t es) {
  if (count < *cap) return arr;
  if (*cap > (1 << 26)) return NULL;
  int ncap = *cap ? *cap * 2 : 4;
  void *na = realloc(arr, (size_t)ncap * es);
  if (na) *cap = ncap;
  return na;
}

static char *dup_field(const tfckpt__pb_field *f) {
  return strndup(f->len ? (const char *)f->data : "", f->len);
}

/* Error codes local to the decoder: -100 - field for wire type errors. */
static int decode_ref(const uint8_t *d, size_t len, tfckpt__objref *ref, tfckpt__err *err,
                      int node) {
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f;
  int r;
  ref->node_id = 0;
  ref->local_name = NULL;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num == 1) {
      if (f.wire != PB_VARINT) goto wire;
      int64_t v = tfckpt__pb_int64(f.v);
      ref->node_id = v < 0 || v > INT32_MAX ? -1 : (int)v;
    } else if (f.num == 2) {
      if (f.wire != PB_LEN) goto wire;
      free(ref->local_name);
      if (!(ref->local_name = dup_field(&f))) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
    }
  }
  if (r < 0) {
    free(ref->local_name);
    ref->local_name = NULL;
    return tfckpt__seterr(err, TFCKPT_ECORRUPT, "object graph: node %d: truncated child reference",
                         node);
  }
  if (!ref->local_name && !(ref->local_name = strdup("")))
    return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  return TFCKPT_OK;
wire:
  free(ref->local_name);
  ref->local_name = NULL;
  return tfckpt__seterr(err, TFCKPT_ECORRUPT,
                       "object graph: node %d: child reference field %u has wire type %d", node,
                       f.num, f.wire);
}

static int decode_attr(const uint8_t *d, size_t len, obj_attr *a, tfckpt__err *err, int node) {
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f;
  int r;
  memset(a, 0, sizeof *a);
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    char **dst = f.num == 1 ? &a->name : f.num == 2 ? &a->full_name : f.num == 3 ? &a->key : NULL;
    if (!dst) continue;
    if (f.wire != PB_LEN) {
      r = -2;
      break;
    }
    free(*dst);
    if (!(*dst = dup_field(&f))) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
  }
  if (r == 0) {
    if (!a->name) a->name = strdup("");
    if (!a->full_name) a->full_name = strdup("");
    if (!a->key) a->key = strdup("");
    if (!a->name || !a->full_name || !a->key)
      return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
    return TFCKPT_OK;
  }
  return tfckpt__seterr(err, TFCKPT_ECORRUPT, "object graph: node %d: %s attribute", node,
                       r == -2 ? "wrong wire type in an" : "truncated");
}

static int decode_slot(const uint8_t *d, size_t len, obj_slot *s, tfckpt__err *err, int node) {
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f;
  int r;
  memset(s, 0, sizeof *s);
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num == 1 || f.num == 3) {
      if (f.wire != PB_VARINT) {
        r = -2;
        break;
      }
      int64_t v = tfckpt__pb_int64(f.v);
      int id = v < 0 || v > INT32_MAX ? -1 : (int)v;
      if (f.num == 1) s->original = id;
      else s->slot = id;
    } else if (f.num == 2) {
      if (f.wire != PB_LEN) {
        r = -2;
        break;
      }
      free(s->name);
      if (!(s->name = dup_field(&f))) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
    }
  }
  if (r == 0) {
    if (!s->name && !(s->name = strdup(""))) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
    return TFCKPT_OK;
  }
  return tfckpt__seterr(err, TFCKPT_ECORRUPT, "object graph: node %d: %s slot variable reference",
                       node, r == -2 ? "wrong wire type in a" : "truncated");
}

static int decode_node(const uint8_t *d, size_t len, obj_node *nd, tfckpt__err *err, int id) {
  tfckpt__pb pb = tfckpt__pb_init(d, len);
  tfckpt__pb_field f;
  int r, ccap = 0, acap = 0, scap = 0, rc;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num < 1 || f.num > 3) continue;
    if (f.wire != PB_LEN)
      return tfckpt__seterr(err, TFCKPT_ECORRUPT,
                           "object graph: node %d: field %u has wire type %d", id, f.num, f.wire);
    if (f.num == 1) {
      tfckpt__objref *nc = grow(nd->children, &ccap, nd->nchildren, sizeof *nc);
      if (!nc) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
      nd->children = nc;
      if ((rc = decode_ref(f.data, f.len, &nd->children[nd->nchildren], err, id))) return rc;
      nd->nchildren++;
    } else if (f.num == 2) {
      obj_attr *na = grow(nd->attrs, &acap, nd->nattrs, sizeof *na);
      if (!na) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
      nd->attrs = na;
      rc = decode_attr(f.data, f.len, &nd->attrs[nd->nattrs], err, id);
      nd->nattrs++; /* partially filled attributes are freed with the node */
      if (rc) return rc;
    } else {
      obj_slot *ns = grow(nd->slots, &scap, nd->nslots, sizeof *ns);
      if (!ns) return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
      nd->slots = ns;
      rc = decode_slot(f.data, f.len, &nd->slots[nd->nslots], err, id);
      nd->nslots++;
      if (rc) return rc;
    }
  }
  if (r < 0) return tfckpt__seterr(err, TFCKPT_ECORRUPT, "object graph: node %d is truncated", id);
  return TFCKPT_OK;
}

static int name_slot_nodes(tfckpt_objgraph *g) {
  for (int i = 0; i < g->n; i++) {
    obj_node *opt = &g->nodes[i];
    for (int k = 0; k < opt->nslots; k++) {
      obj_slot *s = &opt->slots[k];
      if (s->original < 0 || s->original >= g->n || s->slot < 0 || s->slot >= g->n)
        return tfckpt__seterr(&g->err, TFCKPT_ECORRUPT,
                             "object graph: node %d: slot \"%s\" refers to node %d / %d, but the "
                             "graph has %d nodes",
                             i, s->name, s->original, s->slot, g->n);
      obj_node *sn = &g->nodes[s->slot];
      if (sn->slot_of >= 0 || sn->path) continue; /* named already */
      sn->slot_of = s->original;
      sn->slot_optimizer = i;
      sn->slot_name = s->name;
      const obj_node *var = &g->nodes[s->original];
      if (!var->path || !opt->path) continue; /* stays unnamed */
      char *esc = tfckpt__objkey_escape(s->name);
      if (!esc) return tfckpt__seterr(&g->err, TFCKPT_ENOMEM, "out of memory");
      sn->key_path = tfckpt__strdupf("%s/.OPTIMIZER_SLOT/%s/%s", var->key_path, opt->key_path, esc);
      free(esc);
      sn->path = NULL;
      if (sn->key_path) {
        size_t n = strlen(opt->path) + strlen(s->name) + strlen(var->path) + 3;
        sn->path = malloc(n);
        if (sn->path) {
          strcpy(sn->path, opt->path);
          if (*opt->path) strcat(sn->path, "/");
          strcat(sn->path, s->name);
          if (*var->path) strcat(sn->path, "/");
          strcat(sn->path, var->path);
        }
      }
      if (!sn->path || !sn->key_path) return tfckpt__seterr(&g->err, TFCKPT_ENOMEM, "out of memory");
    }
  }
  return TFCKPT_OK;
}

int tfckpt_objgraph_parse(const void *data, size_t len, tfckpt_objgraph **out) {
  tfckpt_objgraph *g = calloc(1, sizeof *g);
  *out = g;
  if (!g) return TFCKPT_ENOMEM;
  tfckpt__pb pb = tfckpt__pb_init(data, len);
  tfckpt__pb_field f;
  int r, cap = 0, rc;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num != 1) continue;
    if (f.wire != PB_LEN)
      return tfckpt__seterr(&g->err, TFCKPT_ECORRUPT, "object graph: nodes field has wire type %d",
                           f.wire);
    obj_node *nn = grow(g->nodes, &cap, g->n, sizeof *nn);
    if (!nn) return tfckpt__seterr(&g->err, TFCKPT_ENOMEM, "out of memory");
    g->nodes = nn;
    obj_node *nd = &g->nodes[g->n++];
    memset(nd, 0, sizeof *nd);
    nd->parent = nd->slot_of = nd->slot_optimizer = -1;
    if ((rc = decode_node(f.data, f.len, nd, &g->err, g->n - 1))) return rc;
  }
  if (r < 0) return tfckpt__seterr(&g->err, TFCKPT_ECORRUPT, "object graph: truncated protobuf");
  if (g->n == 0) return tfckpt__seterr(&g->err, TFCKPT_ECORRUPT, "object graph: no nodes (no root)");
  int *nch = malloc((size_t)g->n * sizeof *nch);
  tfckpt__objref **ch = malloc((size_t)g->n * sizeof *ch);
  if (!nch || !ch) {
    free(nch);
    free(ch);
    return tfckpt__seterr(&g->err, TFCKPT_ENOMEM, "out of memory");
  }
  for (int i = 0; i < g->n; i++) {
    nch[i] = g->nodes[i].nchildren;
    ch[i] = g->nodes[i].children;
  }
  char **paths, **keys;
  int *parents;
  rc = tfckpt__obj_name_nodes(g->n, nch, ch, "object graph", &paths, &keys, &parents, &g->err);
  free(nch);
  free(ch);
  if (rc) return rc;
  for (int i = 0; i < g->n; i++) {
    g->nodes[i].path = paths[i];
    g->nodes[i].key_path = keys[i];
    g->nodes[i].parent = parents[i];
  }
  free(paths);
  free(keys);
  free(parents);
  return name_slot_nodes(g);
}

int tfckpt__objgraph_fail(tfckpt_objgraph **out, int code, const char *fmt, ...) {
  tfckpt_objgraph *g = calloc(1, sizeof *g);
  *out = g;
  if (!g) return TFCKPT_ENOMEM;
  va_list ap;
  va_start(ap, fmt);
  tfckpt__vseterr(&g->err, code, fmt, ap);
  va_end(ap);
  return code;
}

void tfckpt__objgraph_err_prefix(tfckpt_objgraph *g, const char *prefix) {
  if (g) tfckpt__err_prefix(&g->err, "%s", prefix);
}

/* ---- accessors ---- */

int tfckpt_objgraph_num_nodes(const tfckpt_objgraph *g) { return g->n; }

int tfckpt_objgraph_node(const tfckpt_objgraph *g, int id, tfckpt_objnode *out) {
  if (id < 0 || id >= g->n) return TFCKPT_EINVAL;
  const obj_node *nd = &g->nodes[id];
  out->path = nd->path;
  out->key_path = nd->key_path;
  out->parent = nd->parent;
  out->nchildren = nd->nchildren;
  out->nattributes = nd->nattrs;
  out->nslots = nd->nslots;
  out->slot_of = nd->slot_of;
  out->slot_optimizer = nd->slot_optimizer;
  out->slot_name = nd->slot_name;
  return TFCKPT_OK;
}

int tfckpt_objgraph_child(const tfckpt_objgraph *g, int id, int k, const char **local_name,
                          int *child_id) {
  if (id < 0 || id >= g->n || k < 0 || k >= g->nodes[id].nchildren) return TFCKPT_EINVAL;
  *local_name = g->nodes[id].children[k].local_name;
  *child_id = g->nodes[id].children[k].node_id;
  return TFCKPT_OK;
}

int tfckpt_objgraph_attribute(const tfckpt_objgraph *g, int id, int k, tfckpt_objattr *out) {
  if (id < 0 || id >= g->n || k < 0 || k >= g->nodes[id].nattrs) return TFCKPT_EINVAL;
  const obj_attr *a = &g->nodes[id].attrs[k];
  out->name = a->name;
  out->full_name = a->full_name;
  out->checkpoint_key = a->key;
  return TFCKPT_OK;
}

int tfckpt_objgraph_slot(const tfckpt_objgraph *g, int id, int k, tfckpt_objslot *out) {
  if (id < 0 || id >= g->n || k < 0 || k >= g->nodes[id].nslots) return TFCKPT_EINVAL;
  const obj_slot *s = &g->nodes[id].slots[k];
  out->original_node = s->original;
  out->slot_name = s->name;
  out->slot_node = s->slot;
  return TFCKPT_OK;
}

int tfckpt_objgraph_find_key(const tfckpt_objgraph *g, const char *key, int *attr) {
  int best = -1;
  size_t best_len = 0;
  for (int i = 0; i < g->n; i++)
    for (int k = 0; k < g->nodes[i].nattrs; k++) {
      const char *ck = g->nodes[i].attrs[k].key;
      size_t l = strlen(ck);
      if (!strcmp(ck, key)) {
        *attr = k;
        return i;
      }
      if (l && l > best_len && !strncmp(ck, key, l)) {
        best = i;
        best_len = l;
        *attr = k;
      }
    }
  return best;
}

/* ---- friendly names ---- */

/* Appends the unescaped form of s[0, n) to out. */
static size_t unescape_into(char *out, const char *s, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '.' && i + 1 < n && s[i + 1] == '.') {
      out[k++] = '.';
      i++;
    } else if (s[i] == '.' && i + 1 < n && s[i + 1] == 'S') {
      out[k++] = '/';
      i++;
    } else {
      out[k++] = s[i];
    }
  }
  return k;
}

static const char *find_marker(const char *s, size_t n, const char *marker) {
  size_t m = strlen(marker);
  for (size_t i = 0; i + m <= n; i++)
    if ((i == 0 || s[i - 1] == '/') && !memcmp(s + i, marker, m)) return s + i;
  return NULL;
}

char *tfckpt_friendly_name(const char *key) {
  size_t n = strlen(key);
  const char *attr = find_marker(key, n, ".ATTRIBUTES/");
  if (!attr) return strdup(key);
  char *out = malloc(n + 2);
  if (!out) return NULL;
  size_t obj_len = attr > key ? (size_t)(attr - key - 1) : 0;
  const char *attr_name = attr + strlen(".ATTRIBUTES/");
  size_t k = 0;
  const char *slot = find_marker(key, obj_len, ".OPTIMIZER_SLOT/");
  if (slot) {
    size_t var_len = slot > key ? (size_t)(slot - key - 1) : 0;
    const char *rest = slot + strlen(".OPTIMIZER_SLOT/");
    size_t rest_len = (size_t)(key + obj_len - rest);
    /* rest = <optimizer path>/<slot name>; keep it in order, then the var */
    k += unescape_into(out + k, rest, rest_len);
    if (var_len) {
      out[k++] = '/';
      k += unescape_into(out + k, key, var_len);
    }
  } else {
    k += unescape_into(out + k, key, obj_len);
  }
  if (strcmp(attr_name, "VARIABLE_VALUE")) {
    if (k) out[k++] = '/';
    k += unescape_into(out + k, attr_name, strlen(attr_name));
  }
  out[k] = '\0';
  return out;
}


/* ---- rewriting keys --------------------------------------------------------
 * TrackableObject.attributes (field 2) are SerializedTensor {name 1,
 * full_name 2, checkpoint_key 3}; slot_variables (field 3) are
 * {original_variable_node_id 1, slot_name 2, slot_variable_node_id 3}. */

static void put_field(tfckpt__buf *b, const tfckpt__pb_field *f) {
  if (f->wire == PB_LEN) tfckpt__pb_put_bytes(b, f->num, f->data, f->len);
  else if (f->wire == PB_VARINT) tfckpt__pb_put_uint(b, f->num, f->v);
  else if (f->wire == PB_FIXED32) tfckpt__pb_put_fixed32(b, f->num, (uint32_t)f->v);
  else tfckpt__pb_put_fixed64(b, f->num, f->v);
}

/* The checkpoint_key of a SerializedTensor, malloc'd in *key (NULL: none).
 * -1 when memory ran out. */
static int attr_key(const uint8_t *data, size_t len, char **key) {
  *key = NULL;
  tfckpt__pb pb = tfckpt__pb_init(data, len);
  tfckpt__pb_field f;
  while (tfckpt__pb_next(&pb, &f) == 1)
    if (f.num == 3 && f.wire == PB_LEN) {
      *key = strndup((const char *)f.data, f.len);
      return *key ? 0 : -1;
    }
  return 0;
}

int tfckpt_objgraph_rewrite_keys(const void *data, size_t len, tfckpt_objgraph_key_map map,
                                 void *ctx, void **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  const uint8_t *g = data;
  tfckpt__pb pb = tfckpt__pb_init(g, len);
  tfckpt__pb_field node;
  int nnodes = 0, cap = 0, changed = 0, r;
  char *lost = NULL, *key = NULL;
  tfckpt__buf o = {0};
  /* pass 1: which objects lose every attribute, and whether anything changes */
  while ((r = tfckpt__pb_next(&pb, &node)) == 1) {
    if (node.num != 1 || node.wire != PB_LEN) continue;
    if (nnodes == cap) {
      cap = cap ? cap * 2 : 64;
      char *nl = realloc(lost, (size_t)cap);
      if (!nl) goto oom;
      lost = nl;
    }
    int nattr = 0, ndropped = 0;
    tfckpt__pb q = tfckpt__pb_init(node.data, node.len);
    tfckpt__pb_field f;
    while (tfckpt__pb_next(&q, &f) == 1) {
      if (f.num != 2 || f.wire != PB_LEN) continue;
      if (attr_key(f.data, f.len, &key)) goto oom;
      nattr++;
      if (key) {
        const char *to = map(key, ctx);
        if (!to) ndropped++;
        if (!to || strcmp(to, key)) changed = 1;
      }
      free(key);
      key = NULL;
    }
    lost[nnodes++] = nattr > 0 && ndropped == nattr;
  }
  if (r < 0) {
    free(lost);
    return TFCKPT_ECORRUPT;
  }
  if (!changed) {
    free(lost);
    return TFCKPT_OK;
  }
  /* pass 2: write the graph again */
  pb = tfckpt__pb_init(g, len);
  while (tfckpt__pb_next(&pb, &node) == 1) {
    if (node.num != 1 || node.wire != PB_LEN) {
      put_field(&o, &node);
      continue;
    }
    tfckpt__buf nb = {0};
    tfckpt__pb q = tfckpt__pb_init(node.data, node.len);
    tfckpt__pb_field f;
    while (tfckpt__pb_next(&q, &f) == 1) {
      if (f.num == 2 && f.wire == PB_LEN) {
        if (attr_key(f.data, f.len, &key)) {
          tfckpt__buf_free(&nb);
          goto oom;
        }
        const char *to = key ? map(key, ctx) : NULL;
        int drop = key && !to, rename = key && to && strcmp(to, key);
        if (rename) {
          tfckpt__buf ab = {0};
          tfckpt__pb a = tfckpt__pb_init(f.data, f.len);
          tfckpt__pb_field af;
          while (tfckpt__pb_next(&a, &af) == 1) {
            if (af.num == 3 && af.wire == PB_LEN) tfckpt__pb_put_bytes(&ab, 3, to, strlen(to));
            else put_field(&ab, &af);
          }
          tfckpt__pb_put_bytes(&nb, 2, ab.data, ab.len);
          if (ab.oom) nb.oom = 1;
          tfckpt__buf_free(&ab);
        }
        free(key);
        key = NULL;
        if (drop || rename) continue;
      } else if (f.num == 3 && f.wire == PB_LEN) {
        tfckpt__pb sr = tfckpt__pb_init(f.data, f.len);
        tfckpt__pb_field sf;
        int drop = 0;
        while (tfckpt__pb_next(&sr, &sf) == 1)
          if ((sf.num == 1 || sf.num == 3) && sf.wire == PB_VARINT && sf.v < (uint64_t)nnodes &&
              lost[sf.v])
            drop = 1;
        if (drop) continue;
      }
      put_field(&nb, &f);
    }
    tfckpt__pb_put_bytes(&o, 1, nb.data, nb.len);
    if (nb.oom) o.oom = 1;
    tfckpt__buf_free(&nb);
  }
  free(lost);
  if (o.oom) {
    tfckpt__buf_free(&o);
    return TFCKPT_ENOMEM;
  }
  *out = o.data;
  *out_len = o.len;
  return TFCKPT_OK;
oom:
  free(key);
  free(lost);
  tfckpt__buf_free(&o);
  return TFCKPT_ENOMEM;
}
