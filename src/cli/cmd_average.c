/* tfckpt average: element-wise mean of several checkpoints. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/edit_util.h"
#include "tfckpt/internal/file.h"
#include "tfckpt/state.h"
#include "tfckpt/tensor.h"

static const cli_opt average_args[] = {
    {"OUT", NULL, NULL, "the prefix to write", 0},
    {"IN", NULL, NULL, "the checkpoints to average (with --last: DIR)", CLI_OPT_REPEAT},
    {0},
};

static const cli_opt average_opts[] = {
    {"--last", NULL, "N",
     "average the N newest checkpoints listed in DIR's `checkpoint` file "
     "(all_model_checkpoint_paths, oldest first)", 0},
    {0},
};

typedef struct avg_ctx {
  tfckpt_reader **in;
  int n; /* the last one drives the copy */
  const char **paths;
  int64_t averaged;
} avg_ctx;

static int is_averaged(tfckpt_dtype dtype) {
  return tfckpt_dtype_is_float(dtype) || dtype == TFCKPT_COMPLEX64 || dtype == TFCKPT_COMPLEX128;
}

/* Reads the same piece (whole or slice k) of variable `name` from reader r. */
static int read_same(avg_ctx *c, int k, const tfckpt_var_info *v, int slice,
                     tfckpt_tensor **out) {
  tfckpt_reader *r = c->in[k], *last = c->in[c->n - 1];
  *out = NULL;
  int64_t i = tfckpt_reader_find(r, v->name);
  /* checked up front by check_inputs */
  if (slice < 0) return tfckpt_reader_get_tensor_at(r, i, out) ? -1 : 0; /* assembled */
  tfckpt_slice_info a, b;
  tfckpt_reader_slice(last, tfckpt_reader_find(last, v->name), slice, &a);
  tfckpt_var_info w;
  tfckpt_reader_var(r, i, &w);
  for (int s = 0; s < w.num_slices; s++) {
    tfckpt_reader_slice(r, i, s, &b);
    int same = a.rank == b.rank;
    for (int d = 0; same && d < a.rank; d++)
      same = a.start[d] == b.start[d] && a.length[d] == b.length[d];
    if (same) return tfckpt_reader_get_slice_tensor(r, i, s, out) ? -1 : 0;
  }
  cli_error("average", "%s: \"%s\" is partitioned differently than in %s", c->paths[k], v->name,
            c->paths[c->n - 1]);
  return -2;
}

static int average_one(void *vctx, const tfckpt_var_info *v, int slice, const tfckpt_tensor *in,
                       tfckpt_tensor **out) {
  avg_ctx *c = vctx;
  *out = NULL;
  if (!is_averaged(v->dtype)) return 0;
  int64_t n = tfckpt_tensor_num_elements(in);
  int dt = v->dtype, comp = dt == TFCKPT_COMPLEX64 || dt == TFCKPT_COMPLEX128;
  int base = dt == TFCKPT_COMPLEX64 ? TFCKPT_FLOAT : dt == TFCKPT_COMPLEX128 ? TFCKPT_DOUBLE : dt;
  int64_t m = comp ? 2 * n : n; /* scalars to average */
  double *acc = calloc((size_t)(m ? m : 1), sizeof *acc);
  if (!acc) {
    cli_error("average", "%s: out of memory", v->name);
    return -1;
  }
  for (int k = 0; k < c->n; k++) {
    tfckpt_tensor *t = NULL;
    int rc = 0;
    if (k == c->n - 1) {
      t = (tfckpt_tensor *)in;
    } else if ((rc = read_same(c, k, v, slice, &t))) {
      if (rc == -1) cli_error("average", "%s", tfckpt_reader_errmsg(c->in[k]));
      free(acc);
      return -1;
    }
    const void *d = tfckpt_tensor_data(t);
    for (int64_t i = 0; i < m; i++) acc[i] += tfckpt_float_elem(d, base, i);
    if (t != in) tfckpt_tensor_free(t);
  }
  tfckpt_tensor *res;
  if (tfckpt_tensor_new(dt, tfckpt_tensor_rank(in), tfckpt_tensor_dims(in), &res)) {
    free(acc);
    cli_error("average", "%s: out of memory", v->name);
    return -1;
  }
  void *o = tfckpt_tensor_mutable_data(res);
  for (int64_t i = 0; i < m; i++) tfckpt_float_store(o, base, i, acc[i] / c->n);
  free(acc);
  if (slice <= 0) c->averaged++;
  *out = res;
  return 0;
}

/* Every input must have the same variables with the same dtypes/shapes. */
static int check_inputs(avg_ctx *c) {
  tfckpt_reader *last = c->in[c->n - 1];
  int bad = 0;
  for (int k = 0; k < c->n - 1; k++) {
    tfckpt_reader *r = c->in[k];
    for (int64_t i = 0; i < tfckpt_reader_num_variables(last) && bad < 10; i++) {
      tfckpt_var_info a, b;
      tfckpt_reader_var(last, i, &a);
      int64_t j = tfckpt_reader_find(r, a.name);
      if (j < 0) {
        cli_error("average", "\"%s\" is in %s but not in %s", a.name, c->paths[c->n - 1],
                  c->paths[k]);
        bad++;
        continue;
      }
      tfckpt_reader_var(r, j, &b);
      int same = a.dtype == b.dtype && a.rank == b.rank;
      for (int d = 0; same && d < a.rank; d++) same = a.dims[d] == b.dims[d];
      if (!same) {
        char sa[64], sb[64];
        cli_error("average", "\"%s\" is %s%s in %s but %s%s in %s", a.name,
                  tfckpt_dtype_name(a.dtype), cli_shape_str(sa, sizeof sa, a.rank, a.dims),
                  c->paths[c->n - 1], tfckpt_dtype_name(b.dtype),
                  cli_shape_str(sb, sizeof sb, b.rank, b.dims), c->paths[k]);
        bad++;
      }
    }
    for (int64_t j = 0; j < tfckpt_reader_num_variables(r) && bad < 10; j++) {
      tfckpt_var_info b;
      tfckpt_reader_var(r, j, &b);
      if (tfckpt_reader_find(last, b.name) < 0) {
        cli_error("average", "\"%s\" is in %s but not in %s", b.name, c->paths[k],
                  c->paths[c->n - 1]);
        bad++;
      }
    }
  }
  return bad ? -1 : 0;
}

/* The newest n checkpoints of dir's `checkpoint` file, oldest first. */
static char **last_n(const char *dir, long long n, int *count) {
  char *state_path = tfckpt__path_join(dir, "checkpoint");
  tfckpt_state st;
  *count = 0;
  if (!state_path || tfckpt_state_read(state_path, &st)) {
    cli_error("average", "%s", state_path ? tfckpt_errmsg() : "out of memory");
    free(state_path);
    return NULL;
  }
  free(state_path);
  if ((long long)st.npaths < n) {
    cli_error("average", "--last %lld: %s/checkpoint lists only %zu checkpoints", n, dir,
              st.npaths);
    tfckpt_state_free(&st);
    return NULL;
  }
  char **out = calloc((size_t)n, sizeof *out);
  for (long long i = 0; out && i < n; i++) {
    const char *p = st.all_paths[st.npaths - (size_t)n + (size_t)i];
    out[i] = p[0] == '/' ? strdup(p) : tfckpt__path_join(dir, p);
  }
  tfckpt_state_free(&st);
  *count = (int)n;
  return out;
}

static int cmd_average(int argc, char **argv) {
  const char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = 0, ret = EXIT_USAGE;
  long long lastn = -1;
  edit_opts o = {0};
  avg_ctx c = {0};
  char **listed = NULL;
  int nlisted = 0;
  tfckpt_writer *w = NULL;
  if (!pos) return EXIT_FAIL;
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_average, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) ret = EXIT_OK;
    if (k == CLI_HELP || k == CLI_ERROR) goto done;
    if (k == CLI_ARG) pos[npos++] = p.value;
    else if (cli_is(&p, "--last") && cli_value_int(&p, 1, CLI_NO_MAX, &lastn)) goto done;
    else if (edit_apply_common(&p, &o) < 0) goto done;
  }
  if (lastn > 0) {
    if (npos != 2) {
      cli_error("average", "--last N DIR takes OUT and DIR only");
      goto done;
    }
    ret = EXIT_FAIL;
    if (!(listed = last_n(pos[1], lastn, &nlisted))) goto done;
    for (int k = 0; k < nlisted; k++)
      if (!listed[k]) {
        cli_error("average", "out of memory");
        goto done;
      }
    c.n = nlisted;
    c.paths = (const char **)listed;
  } else {
    if (npos < 2) {
      cli_print_usage(stderr, &cli_cmd_average);
      goto done;
    }
    c.n = npos - 1;
    c.paths = pos + 1;
  }
  ret = EXIT_FAIL;
  c.in = calloc((size_t)c.n, sizeof *c.in);
  if (!c.in) goto done;
  for (int k = 0; k < c.n; k++)
    if (!(c.in[k] = cli_open("average", c.paths[k]))) goto done;
  if (check_inputs(&c)) goto done;
  tfckpt_reader *last = c.in[c.n - 1];
  for (int k = 0; k < c.n; k++)
    if (edit_check_output("average", pos[0], tfckpt_reader_prefix(c.in[k]), &o)) goto done;
  int nshards = o.shards ? o.shards : tfckpt_reader_num_shards(last);
  if (!(w = edit_open_writer("average", pos[0], nshards, &o))) goto done;
  int64_t copied = 0;
  if (edit_copy("average", last, w, nshards, NULL, average_one, &c, &copied, NULL)) {
    tfckpt_writer_close(w);
    goto done;
  }
  ret = edit_finish("average", w);
  if (ret == EXIT_OK && !o.quiet)
    fprintf(stderr, "average: %lld of %lld variables averaged over %d checkpoints, written to %s\n",
            (long long)c.averaged, (long long)copied, c.n, pos[0]);
done:
  if (c.in)
    for (int k = 0; k < c.n; k++) tfckpt_reader_close(c.in[k]);
  free(c.in);
  for (int k = 0; k < nlisted; k++) free(listed[k]);
  free(listed);
  free(pos);
  return ret;
}

const cli_command cli_cmd_average = {
    .name = "average",
    .run = cmd_average,
    .summary = "element-wise mean of several checkpoints",
    .usage = "OUT IN1 IN2 ... [options]\nOUT --last N DIR [options]",
    .about = "Writes checkpoint OUT whose floating-point variables (float32, float64,\n"
             "float16, bfloat16, complex) are the element-wise mean of the inputs',\n"
             "accumulated in float64 and rounded (to nearest even) to each variable's own\n"
             "dtype.  Integer, bool, string and variant variables (global_step, ...) are\n"
             "taken from the last input, as is the data layout.  Every input must hold the\n"
             "same variables with the same dtypes and shapes.\n",
    .args = average_args,
    .groups = {{NULL, average_opts}, {EDIT_OPTS_TITLE, edit_new_output_opts}},
};
