/* tfckpt cast: convert floating-point variables to another float dtype. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/edit_util.h"
#include "tfckpt/tensor.h"

static const cli_opt cast_args[] = {
    {"IN", NULL, NULL, "the checkpoint to read", 0},
    {"OUT", NULL, NULL, "the prefix to write (left out with --in-place)", 0},
    {0},
};

static const cli_opt cast_opts[] = {
    {"--to", NULL, "DTYPE", "float16 (half), bfloat16 or float32 (float); required", 0},
    {"--regex", NULL, "RE",
     "convert only the variables whose name matches RE (POSIX extended, searched anywhere "
     "in the name)", 0},
    {0},
};

typedef struct cast_ctx {
  tfckpt_dtype to;
  int use_re;
  regex_t re;
  int64_t converted;
  int64_t last_var_counted;
} cast_ctx;

static int cast_one(void *vctx, const tfckpt_var_info *v, int slice, const tfckpt_tensor *in,
                    tfckpt_tensor **out) {
  cast_ctx *c = vctx;
  (void)slice;
  *out = NULL;
  if (!tfckpt_dtype_is_float(v->dtype) || v->dtype == c->to) return 0;
  if (c->use_re && regexec(&c->re, v->name, 0, NULL, 0) != 0) return 0;
  int rc = tfckpt_tensor_cast_float(in, c->to, out);
  if (rc) {
    cli_error("cast", "%s: cannot convert: %s", v->name, tfckpt_errstr(rc));
    return -1;
  }
  c->converted++;
  return 0;
}

static int cmd_cast(int argc, char **argv) {
  const char *pos[2] = {NULL, NULL}, *to = NULL, *re = NULL;
  int npos = 0;
  edit_opts o = {0};
  cast_ctx c = {0};
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_cast, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) return EXIT_OK;
    if (k == CLI_ERROR) return EXIT_USAGE;
    if (k == CLI_ARG) pos[npos++] = p.value;
    else if (cli_is(&p, "--to")) to = p.value;
    else if (cli_is(&p, "--regex")) re = p.value;
    else if (edit_apply_common(&p, &o) < 0) return EXIT_USAGE;
  }
  if (npos == 1 && o.in_place) pos[npos++] = pos[0];
  if (npos != 2 || !to) {
    if (npos == 2) cli_error("cast", "--to is required (float16, bfloat16 or float32)");
    else cli_print_usage(stderr, &cli_cmd_cast);
    return EXIT_USAGE;
  }
  c.to = tfckpt_dtype_from_name(to);
  if (!strcmp(to, "bf16")) c.to = TFCKPT_BFLOAT16;
  if (c.to != TFCKPT_HALF && c.to != TFCKPT_BFLOAT16 && c.to != TFCKPT_FLOAT) {
    cli_error("cast", "unsupported target dtype \"%s\" (use float16, bfloat16 or float32)", to);
    return EXIT_USAGE;
  }
  if (re) {
    int e = regcomp(&c.re, re, REG_EXTENDED | REG_NOSUB);
    if (e) {
      char msg[200];
      regerror(e, &c.re, msg, sizeof msg);
      cli_error("cast", "bad regular expression \"%s\": %s", re, msg);
      return EXIT_USAGE;
    }
    c.use_re = 1;
  }
  int ret = EXIT_FAIL;
  tfckpt_reader *r = cli_open("cast", pos[0]);
  if (!r) goto done;
  const char *out;
  int64_t copied = 0, bytes = 0;
  ret = edit_write_copy("cast", r, pos[1], &o, NULL, cast_one, &c, &out, &copied, &bytes);
  if (ret == EXIT_OK && !o.quiet) {
    char hb[32];
    fprintf(stderr, "cast: %lld tensors converted to %s, %lld variables (%s) written to %s\n",
            (long long)c.converted, tfckpt_dtype_name(c.to), (long long)copied,
            cli_bytes_str(hb, sizeof hb, (double)bytes), out);
  }
done:
  if (c.use_re) regfree(&c.re);
  tfckpt_reader_close(r);
  return ret;
}

const cli_command cli_cmd_cast = {
    .name = "cast",
    .run = cmd_cast,
    .summary = "convert float variables to float16/bfloat16/float32",
    .usage = "IN OUT --to float16|bfloat16|float32 [--regex RE] [options]",
    .about = "Writes checkpoint OUT with IN's floating-point variables (float32, float64,\n"
             "float16, bfloat16) converted to the --to dtype, rounding to nearest, ties to\n"
             "even, straight from each stored value (no double rounding).  Values too large\n"
             "become +-inf, NaN stays NaN.  Integer, bool, string and variant variables are\n"
             "copied untouched.\n",
    .args = cast_args,
    .groups = {{NULL, cast_opts}, {EDIT_OPTS_TITLE, edit_common_opts}},
};
