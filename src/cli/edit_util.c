#include "cli/edit_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "core/file.h"
#include "format/proto.h"

const char edit_common_help[] =
    "  --in-place        replace the input checkpoint itself (OUT must then be the\n"
    "                    input; written under temporary names, then renamed)\n"
    "  --force           replace an existing checkpoint at OUT\n"
    "  --shards N        number of data files (default: the input's)\n"
    "  --update-state    make OUT the latest checkpoint in its directory's\n"
    "                    `checkpoint` file\n"
    "  --max-to-keep N   with --update-state: keep N checkpoints, delete older ones\n"
    "  --quiet           no summary line\n";

int edit_parse_common(const char *cmd, int argc, char **argv, int *i, edit_opts *o) {
  const char *a = argv[*i], *v;
  if (!strcmp(a, "--in-place")) return o->in_place = 1;
  if (!strcmp(a, "--force")) return o->force = 1;
  if (!strcmp(a, "--update-state")) return o->update_state = 1;
  if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) return o->quiet = 1;
  if (cli_opt_value(argc, argv, i, "--shards", &v)) {
    long long n = cli_parse_count(cmd, "--shards", v);
    if (n < 1 || n > 100000) {
      if (n >= 0) cli_error(cmd, "--shards must be between 1 and 100000");
      return -1;
    }
    o->shards = (int)n;
    return 1;
  }
  if (cli_opt_value(argc, argv, i, "--max-to-keep", &v)) {
    long long n = cli_parse_count(cmd, "--max-to-keep", v);
    if (n < 0 || n > 1000000) return -1;
    o->max_to_keep = (int)n;
    return 1;
  }
  return 0;
}

int edit_parse_arg(const char *cmd, const char *usage, int argc, char **argv, int *i,
                   edit_opts *o) {
  const char *a = argv[*i];
  if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
    fputs(usage, stdout);
    fputs(edit_common_help, stdout);
    return EDIT_ARG_HELP;
  }
  int k = edit_parse_common(cmd, argc, argv, i, o);
  if (k) return k < 0 ? EDIT_ARG_ERROR : EDIT_ARG_USED;
  return cli_unknown_option(cmd, a) ? EDIT_ARG_ERROR : EDIT_ARG_POSITIONAL;
}

int edit_reject_in_place(const char *cmd, const edit_opts *o) {
  if (!o->in_place) return 0;
  cli_error(cmd, "--in-place does not apply: OUT is a new checkpoint");
  return 1;
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
  int same = in_prefix && !strcmp(p, in_prefix);
  char *idx = tfckpt_strdupf("%s.index", p);
  int exists = idx && tfckpt_is_file(idx);
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

int edit_finish(const char *cmd, tfckpt_writer *w) {
  int rc = tfckpt_writer_finish(w);
  if (rc) cli_error(cmd, "%s", tfckpt_writer_errmsg(w));
  tfckpt_writer_close(w);
  return rc ? EXIT_FAIL : EXIT_OK;
}

static int item_cmp(const void *a, const void *b) {
  const edit_item *x = a, *y = b;
  if (x->shard != y->shard) return x->shard < y->shard ? -1 : 1;
  if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
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
      it[k++] = (edit_item){i, -1, v.shard < 0 ? 0 : v.shard, v.offset < 0 ? 0 : v.offset};
      continue;
    }
    for (int s = 0; s < v.num_slices; s++) {
      tfckpt_slice_info si;
      tfckpt_reader_slice(r, i, s, &si);
      it[k++] = (edit_item){i, s, si.shard < 0 ? 0 : si.shard, si.offset < 0 ? 0 : si.offset};
    }
  }
  /* V1 files carry no data layout: name order (the reader's) is kept */
  if (tfckpt_reader_format(r) == TFCKPT_FORMAT_V2) qsort(it, k, sizeof *it, item_cmp);
  *items = it;
  *n = k;
  return TFCKPT_OK;
}

/* ---- TF2 object graph after renames and removals ----
 * A TrackableObjectGraph (formats.md section f) names each variable by its
 * checkpoint key: TrackableObject.attributes (field 2) are SerializedTensor
 * {name 1, full_name 2, checkpoint_key 3}; slot_variables (field 3) are
 * {original_variable_node_id 1, slot_name 2, slot_variable_node_id 3}.  When
 * `names` renames or drops variables, the graph is rewritten so that it names
 * exactly the keys written: renamed keys renamed, attributes of dropped
 * variables removed, and slot references to a node left without attributes
 * removed.  Every other field is copied as it is. */
#define OBJGRAPH_KEY "_CHECKPOINTABLE_OBJECT_GRAPH"

static const char *var_name(const tfckpt_reader *r, int64_t j) {
  tfckpt_var_info v;
  return tfckpt_reader_var(r, j, &v) == TFCKPT_OK ? v.name : "";
}

static void put_field(tfckpt_buf *b, const tfckpt_pb_field *f) {
  if (f->wire == PB_LEN) tfckpt_pb_put_bytes(b, f->num, f->data, f->len);
  else if (f->wire == PB_VARINT) tfckpt_pb_put_uint(b, f->num, f->v);
  else if (f->wire == PB_FIXED32) tfckpt_pb_put_fixed32(b, f->num, (uint32_t)f->v);
  else tfckpt_pb_put_fixed64(b, f->num, f->v);
}

/* The variable a SerializedTensor's checkpoint_key names (-1: none), and
 * that key's bytes. */
static int64_t attr_var(tfckpt_reader *r, const uint8_t *data, size_t len) {
  tfckpt_pb pb = tfckpt_pb_init(data, len);
  tfckpt_pb_field f;
  while (tfckpt_pb_next(&pb, &f) == 1)
    if (f.num == 3 && f.wire == PB_LEN) {
      char *key = strndup((const char *)f.data, f.len);
      if (!key) return -2;
      int64_t j = tfckpt_reader_find(r, key);
      free(key);
      return j;
    }
  return -1;
}

/* 0 and *out set (NULL: unchanged), or -1 malformed/OOM (the graph is then
 * copied unchanged by the caller). */
static int rewrite_objgraph(tfckpt_reader *r, char *const *names, const uint8_t *g, size_t glen,
                            tfckpt_buf *out) {
  tfckpt_pb pb = tfckpt_pb_init(g, glen);
  tfckpt_pb_field node;
  int nnodes = 0, cap = 0, changed = 0;
  char *lost = NULL;
  /* pass 1: which nodes lose every attribute */
  while (tfckpt_pb_next(&pb, &node) == 1) {
    if (node.num != 1 || node.wire != PB_LEN) continue;
    if (nnodes == cap) {
      cap = cap ? cap * 2 : 64;
      char *nl = realloc(lost, (size_t)cap);
      if (!nl) goto fail;
      lost = nl;
    }
    int nattr = 0, ndropped = 0;
    tfckpt_pb q = tfckpt_pb_init(node.data, node.len);
    tfckpt_pb_field f;
    while (tfckpt_pb_next(&q, &f) == 1)
      if (f.num == 2 && f.wire == PB_LEN) {
        int64_t j = attr_var(r, f.data, f.len);
        if (j == -2) goto fail;
        nattr++;
        if (j >= 0 && !names[j]) ndropped++;
        if (j >= 0 && (!names[j] || strcmp(names[j], var_name(r, j)))) changed = 1;
      }
    lost[nnodes++] = nattr > 0 && ndropped == nattr;
  }
  if (!changed) {
    free(lost);
    return 0;
  }
  /* pass 2: write the graph again */
  pb = tfckpt_pb_init(g, glen);
  while (tfckpt_pb_next(&pb, &node) == 1) {
    if (node.num != 1 || node.wire != PB_LEN) {
      put_field(out, &node);
      continue;
    }
    tfckpt_buf nb = {0};
    tfckpt_pb q = tfckpt_pb_init(node.data, node.len);
    tfckpt_pb_field f;
    while (tfckpt_pb_next(&q, &f) == 1) {
      if (f.num == 2 && f.wire == PB_LEN) {
        int64_t j = attr_var(r, f.data, f.len);
        if (j >= 0 && !names[j]) continue;
        if (j >= 0 && strcmp(names[j], var_name(r, j))) {
          tfckpt_buf ab = {0};
          tfckpt_pb a = tfckpt_pb_init(f.data, f.len);
          tfckpt_pb_field af;
          while (tfckpt_pb_next(&a, &af) == 1) {
            if (af.num == 3 && af.wire == PB_LEN) tfckpt_pb_put_bytes(&ab, 3, names[j], strlen(names[j]));
            else put_field(&ab, &af);
          }
          tfckpt_pb_put_bytes(&nb, 2, ab.data, ab.len);
          if (ab.oom) nb.oom = 1;
          tfckpt_buf_free(&ab);
          continue;
        }
      } else if (f.num == 3 && f.wire == PB_LEN) {
        tfckpt_pb sr = tfckpt_pb_init(f.data, f.len);
        tfckpt_pb_field sf;
        int drop = 0;
        while (tfckpt_pb_next(&sr, &sf) == 1)
          if ((sf.num == 1 || sf.num == 3) && sf.wire == PB_VARINT &&
              (sf.v < (uint64_t)nnodes && lost[sf.v]))
            drop = 1;
        if (drop) continue;
      }
      put_field(&nb, &f);
    }
    tfckpt_pb_put_bytes(out, 1, nb.data, nb.len);
    if (nb.oom) out->oom = 1;
    tfckpt_buf_free(&nb);
  }
  free(lost);
  return out->oom ? -1 : 0;
fail:
  free(lost);
  return -1;
}

/* For edit_copy: the object graph tensor rewritten for `names`, or NULL. */
static tfckpt_tensor *edited_objgraph(tfckpt_reader *r, char *const *names,
                                      const tfckpt_var_info *v, const tfckpt_tensor *t) {
  if (!names || strcmp(v->name, OBJGRAPH_KEY) || v->dtype != TFCKPT_STRING || v->rank != 0)
    return NULL;
  const uint8_t *g;
  size_t glen;
  if (tfckpt_tensor_get_string(t, 0, &g, &glen)) return NULL;
  tfckpt_buf b = {0};
  tfckpt_tensor *nt = NULL;
  if (rewrite_objgraph(r, names, g, glen, &b) == 0 && b.len &&
      tfckpt_tensor_new(TFCKPT_STRING, 0, NULL, &nt) == TFCKPT_OK &&
      tfckpt_tensor_set_string(nt, 0, b.data, b.len) != TFCKPT_OK) {
    tfckpt_tensor_free(nt);
    nt = NULL;
  }
  tfckpt_buf_free(&b);
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
