/* tfckpt show: print tensors numpy-style. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"

static const cli_opt show_args[] = {
    CLI_ARG_CHECKPOINT,
    {"NAME", NULL, NULL, "a variable to print", CLI_OPT_REPEAT},
    {0},
};

static const cli_opt show_opts[] = {
    {"--full", NULL, NULL, "print every element (no \"...\" summary)", 0},
    {"--precision", NULL, "N", "digits after the decimal point for floats (default 8)", 0},
    {"--threshold", NULL, "N", "summarise tensors with more than N elements (default 1000)", 0},
    {0},
};

static int cmd_show(int argc, char **argv) {
  const char *path = NULL;
  const char **names = calloc((size_t)argc, sizeof *names);
  int nnames = 0, status = EXIT_USAGE;
  tfckpt_print_options po;
  tfckpt_print_options_init(&po);
  tfckpt_reader *r = NULL;
  if (!names) {
    cli_error("show", "out of memory");
    return EXIT_FAIL;
  }
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_show, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    long long v;
    if (k == CLI_HELP) status = EXIT_OK;
    if (k == CLI_HELP || k == CLI_ERROR) goto done;
    if (k == CLI_ARG) {
      if (!path) path = p.value;
      else names[nnames++] = p.value;
    } else if (cli_is(&p, "--full")) {
      po.full = 1;
    } else if (cli_is(&p, "--precision")) {
      if (cli_value_int(&p, 0, CLI_NO_MAX, &v)) goto done;
      po.precision = v > 30 ? 30 : (int)v;
    } else if (cli_is(&p, "--threshold")) {
      if (cli_value_int(&p, 0, CLI_NO_MAX, &v)) goto done;
      po.threshold = v;
    }
  }
  if (!path || !nnames) {
    cli_print_usage(stderr, &cli_cmd_show);
    goto done;
  }
  status = EXIT_FAIL;
  if (!(r = cli_open("show", path))) goto done;
  int failed = 0;
  for (int k = 0; k < nnames; k++) {
    tfckpt_tensor *t;
    if (tfckpt_reader_get_tensor(r, names[k], &t) != TFCKPT_OK) {
      cli_error("show", "%s", tfckpt_reader_errmsg(r));
      failed = 1;
      continue;
    }
    char shape[512];
    printf("%s  %s %s\n", names[k], tfckpt_dtype_name(tfckpt_tensor_dtype(t)),
           cli_shape_str(shape, sizeof shape, tfckpt_tensor_rank(t), tfckpt_tensor_dims(t)));
    if (tfckpt_tensor_print(stdout, t, &po) != TFCKPT_OK) {
      cli_error("show", "%s: cannot print values", names[k]);
      failed = 1;
    }
    tfckpt_tensor_free(t);
  }
  status = failed ? EXIT_FAIL : EXIT_OK;
done:
  tfckpt_reader_close(r);
  free(names);
  return status;
}

const cli_command cli_cmd_show = {
    .name = "show",
    .run = cmd_show,
    .summary = "print tensor values numpy-style",
    .usage = "CHECKPOINT NAME... [options]",
    .about = "Prints each variable's dtype, shape and values the way numpy prints arrays.\n",
    .args = show_args,
    .groups = {{NULL, show_opts}},
};
