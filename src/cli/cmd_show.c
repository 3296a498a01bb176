/* tfckpt show: print tensors numpy-style. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"

static const char kUsage[] =
    "usage: tfckpt show CHECKPOINT NAME... [options]\n"
    "\n"
    "Prints each variable's dtype, shape and values the way numpy prints arrays.\n"
    "\n"
    "  --full            print every element (no \"...\" summary)\n"
    "  --precision N     digits after the decimal point for floats (default 8)\n"
    "  --threshold N     summarise tensors with more than N elements (default 1000)\n";

int cmd_show(int argc, char **argv) {
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
  for (int i = 1; i < argc; i++) {
    const char *val;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      fputs(kUsage, stdout);
      status = EXIT_OK;
      goto done;
    } else if (!strcmp(argv[i], "--full")) {
      po.full = 1;
    } else if (cli_opt_value(argc, argv, &i, "--precision", &val)) {
      long long v = cli_parse_count("show", "--precision", val);
      if (v < 0) goto done;
      po.precision = v > 30 ? 30 : (int)v;
    } else if (cli_opt_value(argc, argv, &i, "--threshold", &val)) {
      long long v = cli_parse_count("show", "--threshold", val);
      if (v < 0) goto done;
      po.threshold = v;
    } else if (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2]) {
      cli_error("show", "unknown option %s (see tfckpt show --help)", argv[i]);
      goto done;
    } else if (!path) {
      path = argv[i];
    } else {
      names[nnames++] = argv[i];
    }
  }
  if (!path || !nnames) {
    fputs(kUsage, stderr);
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
