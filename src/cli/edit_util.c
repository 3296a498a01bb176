#include "cli/edit_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_paths.h"
#include "cli/cli_util.h"
#include "tfckpt/internal/file.h"
#include "tfckpt/objgraph.h"

#define EDIT_OPT_SHARDS {"--shards", NULL, "N", "number of data files (default: the input's)", 0}
#define EDIT_OPT_MAX_TO_KEEP \
  {"--max-to-keep", NULL, "N", "with --update-state: keep N checkpoints, delete older ones", 0}

const cli_opt edit_common_opts[] = {
    EDIT_OPT_IN_PLACE, EDIT_OPT_FORCE, EDIT_OPT_SHARDS, EDIT_OPT_UPDATE_STATE,
    EDIT_OPT_MAX_TO_KEEP, EDIT_OPT_QUIET, {0},
};

const cli_opt edit_new_output_opts[] = {
    EDIT_OPT_FORCE, EDIT_OPT_SHARDS, EDIT_OPT_UPDATE_STATE, EDIT_OPT_MAX_TO_KEEP, EDIT_OPT_QUIET, {0},
};

int edit_apply_common(cli_parser *p, edit_opts *o) {
  long long n;
  if (cli_is(p, "--in-place")) return o->in_place = 1;
  if (cli_is(p, "--force")) return o->force = 1;
  if (cli_is(p, "--update-state")) return o->update_state = 1;
  if (cli_is(p, "--quiet")) return o->quiet = 1;
  if (cli_is(p, "--shards")) {
    if (cli_value_int(p, 1, 100000, &n)) return -1;
    o->shards = (int)n;
    return 1;
  }
  if (cli_is(p, "--max-to-keep")) {
    if (cli_value_int(p, 0, 1000000, &n)) return -1;
    o->max_to_keep = (int)n;
    return 1;
  }
  return 0;
}

/* Strips a trailing ".index" or ".data-NNNNN-of-NNNNN" so that OUT may be
 * given the way users often give inputs. */
static char *out_prefix(const char *out) {
  char *p = strdup(out);
  if (!p) return NULL;
  size_t n = strlen(p);
  if (n > 6 && !strcmp(p + n - 6, ".index")) p[n - 6] = 0;
  else if (n > 20 && !strncmp(p + n - 20, ".data-", 6)) p[n - 20] = 0;
  return p;
}

int edit_check_output(const char *cmd, const char *out, const char *in_prefix,
                      const edit_opts *o) {
  char *p = out_prefix(out);
  if (!p) {
    cli_error(cmd, "out of memory");
    return -1;
  }
  int same = in_prefix && cli_same_checkpoint(p, in_prefix);
  char *idx = tfckpt__strdupf("%s.index", p);
  int exists = idx && tfckpt__is_file(idx);
  int rc = 0;
  if (o->in_place && in_prefix && !same) {
    cli_error(cmd, "--in-place writes over the input, but OUT %s is not the input %s", p,
              in_prefix);
    rc = -1;
  } else if (same && !o->in_place) {
    cli_error(cmd, "%s is the input checkpoint; use --in-place to replace it", p);
    rc = -1;
  } else if (exists && !o->force && !o->in_place) {
    cli_error(cmd, "%s already exists (use --force to replace it)", idx);
    rc = -1;
  }
  free(idx);
  free(p);
  return rc;
}

tfckpt_writer *edit_open_writer(const char *cmd, const char *out, int num_shards,
                                const edit_opts *o) {
  tfckpt_writer_options wo;
  tfckpt_writer_options_init(&wo);
  wo.num_shards = o->shards ? o->shards : (num_shards > 0 ? num_shards : 1);
  wo.update_state = o->update_state;
  wo.max_to_keep = o->max_to_keep;
  char *p = out_prefix(out);
  tfckpt_writer *w = NULL;
  int rc = p ? tfckpt_writer_open(p, &wo, &w) : TFCKPT_ENOMEM;
  free(p);
  if (rc) {
    cli_error(cmd, "%s", tfckpt_writer_errmsg(w));
    tfckpt_writer_close(w);
    return NULL;
  }
  return w;
}

void edit_warnings(const char *cmd, const tfckpt_writer *w) {
  for (size_t i = 0; tfckpt_writer_warning(w, i); i++)
    fprintf(stderr, "tfckpt %s: warning: %s\n", cmd, tfckpt_writer_warning(w, i));
}

int edit_finish(const char *cmd, tfckpt_writer *w) {
  int rc = tfckpt_writer_finish(w);
  if (rc) cli_error(cmd, "%s", tfckpt_writer_errmsg(w));
  edit_warnings(cmd, w);
  tfckpt_writer_close(w);
  return rc ? EXIT_FAIL : EXIT_OK;
}

static int item_cmp(const void *a, const void *b) {
  const edit_item *x = a, *y = b;
  if (x->shard != y->shard) return x->shard < y->shard ? -1 : 1;
  if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
  /* TensorFlow gives an empty tensor the offset of the bytes written so far,
   * so it ties with the tensor added after it: keep it first, so that its
   * offset (and the index) come out as TensorFlow wrote them. */
  if (x->nonempty != y->nonempty) return x->nonempty - y->nonempty;
  if (x->var != y->var) return x->var < y->var ? -1 : 1;
  return (x->slice > y->slice) - (x->slice < y->slice);
}

int edit_plan(tfckpt_reader *r, edit_item **items, size_t *n) {
  int64_t nv = tfckpt_reader_num_variables(r);
  size_t cap = (size_t)nv + 1, k = 0;
  edit_item *it = malloc(cap * sizeof *it);
  if (!it) return TFCKPT_ENOMEM;
  for (int64_t i = 0; i < nv; i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    int parts = v.num_slices > 0 ? v.num_slices : 1;
    if (k + (size_t)parts > cap) {
      cap = (k + (size_t)parts) * 2;
      edit_item *ni = realloc(it, cap * sizeof *ni);
      if (!ni) {
        free(it);
        return TFCKPT_ENOMEM;
      }
      it = ni;
    }
    if (v.num_slices == 0) {
      it[k++] = (edit_item){i, -1, v.shard < 0 ? 0 : v.shard, v.offset < 0 ? 0 : v.offset,
                            v.nbytes > 0};
      continue;
    }
    for (int s = 0; s < v.num_slices; s++) {
      tfckpt_slice_info si;
      tfckpt_reader_slice(r, i, s, &si);
      int64_t n = 1;
      for (int d = 0; d < si.rank; d++) n *= si.dims[d];
      it[k++] = (edit_item){i, s, si.shard < 0 ? 0 : si.shard, si.offset < 0 ? 0 : si.offset, n > 0};
    }
  }
  /* V1 files carry no data layout: name order (the reader's) is kept */
  if (tfckpt_reader_format(r) == TFCKPT_CKPT_V2) qsort(it, k, sizeof *it, item_cmp);
  *items = it;
  *n = k;
  return TFCKPT_OK;
}

/* ---- TF2 object graph after renames and removals ----
 * When `names` renames or drops variables, the graph is rewritten
 * (tfckpt_objgraph_rewrite_keys) so that it names exactly the keys written. */
#define OBJGRAPH_KEY "_CHECKPOINTABLE_OBJECT_GRAPH"

typedef struct key_map_ctx {
  tfckpt_reader *r;
  char *const *names;
} key_map_ctx;

/* A checkpoint key's new name: names[j] for variable j (NULL: dropped), the
 * key itself for keys that name no variable of the input. */
static const char *map_key(const char *key, void *vctx) {
  key_map_ctx *c = vctx;
  int64_t j = tfckpt_reader_find(c->r, key);
  return j < 0 ? key : c->names[j];
}

/* For edit_copy: the object graph tensor rewritten for `names`, or NULL. */
static tfckpt_tensor *edited_objgraph(tfckpt_reader *r, char *const *names,
                                      const tfckpt_var_info *v, const tfckpt_tensor *t) {
  if (!names || strcmp(v->name, OBJGRAPH_KEY) || v->dtype != TFCKPT_STRING || v->rank != 0)
    return NULL;
  const uint8_t *g;
  size_t glen;
  if (tfckpt_tensor_get_string(t, 0, &g, &glen)) return NULL;
  key_map_ctx c = {r, names};
  void *ng = NULL;
  size_t nlen = 0;
  tfckpt_tensor *nt = NULL;
  /* a malformed graph (or no memory) is copied unchanged */
  if (tfckpt_objgraph_rewrite_keys(g, glen, map_key, &c, &ng, &nlen) == TFCKPT_OK && ng &&
      tfckpt_tensor_new(TFCKPT_STRING, 0, NULL, &nt) == TFCKPT_OK &&
      tfckpt_tensor_set_string(nt, 0, ng, nlen) != TFCKPT_OK) {
    tfckpt_tensor_free(nt);
    nt = NULL;
  }
  free(ng);
  return nt;
}

int edit_copy(const char *cmd, tfckpt_reader *r, tfckpt_writer *w, int nshards,
              char *const *names, edit_transform_fn fn, void *ctx, int64_t *copied,
              int64_t *bytes) {
  edit_item *items;
  size_t n;
  if (edit_plan(r, &items, &n)) {
    cli_error(cmd, "out of memory");
    return -1;
  }
  cli_progress prog;
  cli_progress_start(&prog, "writing", (double)tfckpt_reader_data_bytes(r));
  double done = 0;
  int rc = 0;
  int64_t nvars = 0, nbytes = 0, last_var = -1;
  for (size_t k = 0; k < n && rc == 0; k++) {
    const edit_item *it = &items[k];
    tfckpt_var_info v;
    tfckpt_reader_var(r, it->var, &v);
    const char *name = names ? names[it->var] : v.name;
    if (!name) continue;
    tfckpt_tensor *t = NULL, *t2 = NULL;
    int st = it->slice < 0 ? tfckpt_reader_get_tensor_at(r, it->var, &t)
                           : tfckpt_reader_get_slice_tensor(r, it->var, it->slice, &t);
    if (st) {
      cli_error(cmd, "%s", tfckpt_reader_errmsg(r));
      rc = -1;
      break;
    }
    if (it->slice < 0) t2 = edited_objgraph(r, names, &v, t);
    if (!t2 && fn && fn(ctx, &v, it->slice, t, &t2)) {
      tfckpt_tensor_free(t);
      rc = -1;
      break;
    }
    const tfckpt_tensor *use = t2 ? t2 : t;
    int shard = nshards > 0 ? it->shard % nshards : 0;
    if (it->slice < 0) {
      st = tfckpt_writer_add_to_shard(w, name, use, shard);
    } else {
      tfckpt_slice_info si;
      tfckpt_reader_slice(r, it->var, it->slice, &si);
      st = tfckpt_writer_add_slice(w, name, v.rank, v.dims, si.start, si.length, use, shard);
      int ps = tfckpt_reader_parent_shard(r, it->var);
      if (!st && ps > 0 && ps < nshards) st = tfckpt_writer_set_parent_shard(w, name, ps);
    }
    if (st) {
      cli_error(cmd, "%s", tfckpt_writer_errmsg(w));
      rc = -1;
    }
    nbytes += (int64_t)tfckpt_tensor_nbytes(use);
    if (it->var != last_var) nvars++, last_var = it->var;
    done += (double)tfckpt_tensor_nbytes(t);
    cli_progress_update(&prog, done);
    tfckpt_tensor_free(t2);
    tfckpt_tensor_free(t);
  }
  cli_progress_end(&prog);
  free(items);
  if (copied) *copied = nvars;
  if (bytes) *bytes = nbytes;
  return rc;
}

int edit_write_copy(const char *cmd, tfckpt_reader *r, const char *out_arg, const edit_opts *o,
                    char *const *names, edit_transform_fn fn, void *ctx, const char **out,
                    int64_t *copied, int64_t *bytes) {
  *out = o->in_place ? tfckpt_reader_prefix(r) : out_arg;
  if (edit_check_output(cmd, *out, tfckpt_reader_prefix(r), o)) return EXIT_FAIL;
  int nshards = o->shards ? o->shards : tfckpt_reader_num_shards(r);
  tfckpt_writer *w = edit_open_writer(cmd, *out, nshards, o);
  if (!w) return EXIT_FAIL;
  if (edit_copy(cmd, r, w, nshards, names, fn, ctx, copied, bytes)) {
    tfckpt_writer_close(w);
    return EXIT_FAIL;
  }
  return edit_finish(cmd, w);
}
