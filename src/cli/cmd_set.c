/* tfckpt set: a copy of a checkpoint with one tensor replaced or added. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_paths.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/edit_util.h"
#include "tfckpt/internal/file.h"
#include "tfckpt/convert.h"
#include "tfckpt/writer.h"

static const cli_opt set_args[] = {
    {"IN", NULL, NULL, "the input checkpoint (with --in-place: the checkpoint rewritten)", 0},
    {"OUT", NULL, NULL, "the output prefix (left out with --in-place)", 0},
    {"NAME", NULL, NULL, "the variable to replace or add", 0},
    {"FILE.npy", NULL, NULL, "its new value", 0},
    {0},
};

static const cli_opt set_opts[] = {EDIT_OPT_IN_PLACE, EDIT_OPT_FORCE, EDIT_OPT_QUIET, {0}};

static int copy_var(tfckpt_reader *r, tfckpt_writer *w, int64_t i, const tfckpt_var_info *v,
                    int v2) {
  if (v2 && v->num_slices > 0) {
    for (int k = 0; k < v->num_slices; k++) {
      tfckpt_slice_info s;
      tfckpt_tensor *t;
      if (tfckpt_reader_slice(r, i, k, &s) || tfckpt_reader_get_slice_tensor(r, i, k, &t)) {
        cli_error("set", "%s", tfckpt_reader_errmsg(r));
        return -1;
      }
      int rc = tfckpt_writer_add_slice(w, v->name, v->rank, v->dims, s.start, s.length, t,
                                       s.shard);
      tfckpt_tensor_free(t);
      if (rc) {
        cli_error("set", "%s", tfckpt_writer_errmsg(w));
        return -1;
      }
    }
    return 0;
  }
  tfckpt_tensor *t;
  if (tfckpt_reader_get_tensor_at(r, i, &t)) {
    cli_error("set", "%s", tfckpt_reader_errmsg(r));
    return -1;
  }
  int rc = v2 && v->shard >= 0 ? tfckpt_writer_add_to_shard(w, v->name, t, v->shard)
                               : tfckpt_writer_add(w, v->name, t);
  tfckpt_tensor_free(t);
  if (rc) {
    cli_error("set", "%s", tfckpt_writer_errmsg(w));
    return -1;
  }
  return 0;
}

static int cmd_set(int argc, char **argv) {
  const char *pos[4];
  int npos = 0;
  edit_opts o = {0};
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_set, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) return EXIT_OK;
    if (k == CLI_ERROR) return EXIT_USAGE;
    if (k == CLI_ARG) pos[npos++] = p.value;
    else if (edit_apply_common(&p, &o) < 0) return EXIT_USAGE;
  }
  int in_place = o.in_place, force = o.force, quiet = o.quiet;
  if (npos != (in_place ? 3 : 4)) {
    if (!in_place && npos == 3)
      cli_error("set", "expected IN OUT NAME FILE.npy (add --in-place to rewrite IN itself)");
    else
      cli_print_usage(stderr, &cli_cmd_set);
    return EXIT_USAGE;
  }
  const char *in = pos[0], *outp = in_place ? NULL : pos[1], *name = pos[npos - 2],
             *npy = pos[npos - 1];
  int status = EXIT_FAIL;
  tfckpt_arrays_reader *ar = NULL;
  tfckpt_tensor *nt = NULL;
  tfckpt_writer *w = NULL;
  char *index = NULL;
  tfckpt_reader *r = cli_open("set", in);
  if (!r) return EXIT_FAIL;
  int v2 = tfckpt_reader_format(r) == TFCKPT_CKPT_V2;
  if (in_place) {
    if (!v2) {
      cli_error("set", "--in-place needs a V2 checkpoint; %s is V1 (write a new one: set IN OUT ...)",
                tfckpt_reader_prefix(r));
      goto done;
    }
    outp = tfckpt_reader_prefix(r);
  } else {
    if (!(index = tfckpt__strdupf("%s.index", outp))) goto oom;
    if (tfckpt__is_file(index) && !force) {
      cli_error("set", "%s already exists (--force replaces it, --in-place rewrites IN)", index);
      goto done;
    }
    if (v2 && cli_same_checkpoint(outp, tfckpt_reader_prefix(r))) {
      cli_error("set", "OUT is IN; use --in-place to rewrite a checkpoint");
      status = EXIT_USAGE;
      goto done;
    }
  }
  if (tfckpt_arrays_reader_open(npy, &ar) != TFCKPT_OK) {
    cli_error("set", "%s", tfckpt_arrays_reader_errmsg(ar));
    goto done;
  }
  if (strcmp(tfckpt_arrays_reader_format(ar), "npy") || tfckpt_arrays_reader_count(ar) != 1) {
    cli_error("set", "%s: expected a single .npy array", npy);
    goto done;
  }
  if (tfckpt_arrays_reader_get(ar, 0, &nt) != TFCKPT_OK) {
    cli_error("set", "%s", tfckpt_arrays_reader_errmsg(ar));
    goto done;
  }
  int64_t target = tfckpt_reader_find(r, name);
  char note[1100] = "";
  if (target >= 0) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, target, &v);
    char a[256], b[256];
    cli_shape_str(a, sizeof a, v.rank, v.dims);
    cli_shape_str(b, sizeof b, tfckpt_tensor_rank(nt), tfckpt_tensor_dims(nt));
    if (v.dtype != tfckpt_tensor_dtype(nt) || strcmp(a, b))
      snprintf(note, sizeof note, " (was %s %s, now %s %s)", tfckpt_dtype_name(v.dtype), a,
               tfckpt_dtype_name(tfckpt_tensor_dtype(nt)), b);
  }
  tfckpt_writer_options wo;
  tfckpt_writer_options_init(&wo);
  wo.num_shards = v2 ? tfckpt_reader_num_shards(r) : 1;
  if (wo.num_shards < 1) wo.num_shards = 1;
  if (tfckpt_writer_open(outp, &wo, &w) != TFCKPT_OK) {
    cli_error("set", "%s", tfckpt_writer_errmsg(w));
    goto done;
  }
  int64_t n = tfckpt_reader_num_variables(r);
  for (int64_t i = 0; i < n; i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    if (i == target) {
      int rc = v.shard >= 0 ? tfckpt_writer_add_to_shard(w, name, nt, v.shard)
                            : tfckpt_writer_add(w, name, nt);
      if (rc) {
        cli_error("set", "%s", tfckpt_writer_errmsg(w));
        goto done;
      }
      continue;
    }
    if (copy_var(r, w, i, &v, v2)) goto done;
  }
  if (target < 0 && tfckpt_writer_add(w, name, nt)) {
    cli_error("set", "%s", tfckpt_writer_errmsg(w));
    goto done;
  }
  /* Views of the input must go before its files are replaced. */
  tfckpt_tensor_free(nt);
  nt = NULL;
  if (tfckpt_writer_finish(w) != TFCKPT_OK) {
    cli_error("set", "%s", tfckpt_writer_errmsg(w));
    goto done;
  }
  edit_warnings("set", w);
  if (!quiet)
    printf("%s %s in %s%s\n", target >= 0 ? "replaced" : "added", name, outp, note);
  status = EXIT_OK;
  goto done;
oom:
  cli_error("set", "out of memory");
done:
  tfckpt_tensor_free(nt);
  tfckpt_writer_close(w);
  tfckpt_arrays_reader_close(ar);
  free(index);
  tfckpt_reader_close(r);
  return status;
}

const cli_command cli_cmd_set = {
    .name = "set",
    .run = cmd_set,
    .summary = "copy a checkpoint with one tensor replaced or added",
    .usage = "IN OUT NAME FILE.npy\n--in-place CKPT NAME FILE.npy",
    .about = "Writes checkpoint OUT: every variable of IN, with NAME replaced by (or, if\n"
             "IN has no NAME, added as) the array in FILE.npy.  Partitioned variables keep\n"
             "their slices and every variable keeps its data shard.  With --in-place the\n"
             "V2 checkpoint CKPT itself is rewritten, atomically (new files renamed over\n"
             "the old ones only once complete).  A dtype or shape change is reported.\n",
    .args = set_args,
    .groups = {{NULL, set_opts}},
};
