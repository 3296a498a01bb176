/* Data-reading options shared by the train, evaluate and predict commands. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_nn.h"
#include "cli/cli_util.h"

void cli_nn_data_usage(FILE *out) {
  fprintf(out,
          "data format (as 'tfckpt data'):\n"
          "  --format F          auto|csv|tsv|txt|libsvm (default auto)\n"
          "  --delimiter C       field delimiter: one byte, or 'tab'\n"
          "  --header H          auto|yes|no|sklearn (default auto)\n"
          "  --skip N            drop the first N lines of every file\n"
          "  --columns COLS      feature columns (default: all non-label columns)\n"
          "  --na-value [COL=]V  value for empty/NA fields\n"
          "  --threads N         parser threads, also BLAS threads (default 2)\n");
}

int cli_nn_data_option(const char *cmd, int argc, char **argv, int *i, tfckpt_dataset_options *d) {
  const char *v;
  if (cli_opt_value(argc, argv, i, "--format", &v)) {
    if (!v) goto missing;
    if (!strcmp(v, "auto")) d->format = TFCKPT_DATA_AUTO;
    else if (!strcmp(v, "csv")) d->format = TFCKPT_DATA_CSV;
    else if (!strcmp(v, "tsv")) d->format = TFCKPT_DATA_CSV, d->delimiter = '\t';
    else if (!strcmp(v, "txt")) d->format = TFCKPT_DATA_TXT;
    else if (!strcmp(v, "libsvm")) d->format = TFCKPT_DATA_LIBSVM;
    else goto bad;
    return 1;
  }
  if (cli_opt_value(argc, argv, i, "--delimiter", &v)) {
    if (!v) goto missing;
    if (!strcmp(v, "tab") || !strcmp(v, "\\t")) d->delimiter = '\t';
    else if (strlen(v) == 1) d->delimiter = v[0];
    else goto bad;
    return 1;
  }
  if (cli_opt_value(argc, argv, i, "--header", &v)) {
    if (!v) goto missing;
    if (!strcmp(v, "auto")) d->header = TFCKPT_HEADER_AUTO;
    else if (!strcmp(v, "yes")) d->header = TFCKPT_HEADER_NAMES;
    else if (!strcmp(v, "no")) d->header = TFCKPT_HEADER_NONE;
    else if (!strcmp(v, "sklearn")) d->header = TFCKPT_HEADER_SKLEARN;
    else goto bad;
    return 1;
  }
  if (cli_opt_value(argc, argv, i, "--skip", &v)) {
    long long n = cli_parse_count(cmd, "--skip", v);
    if (n < 0) return -1;
    d->skip_lines = (size_t)n;
    return 1;
  }
  if (cli_opt_value(argc, argv, i, "--columns", &v)) {
    if (!v) goto missing;
    d->feature_columns = v;
    return 1;
  }
  if (cli_opt_value(argc, argv, i, "--na-value", &v)) {
    if (!v) goto missing;
    d->na_values = v;
    return 1;
  }
  if (cli_opt_value(argc, argv, i, "--threads", &v)) {
    long long n = cli_parse_count(cmd, "--threads", v);
    if (n <= 0 || n > 256) {
      if (n == 0 || n > 256) cli_error(cmd, "--threads must be 1..256");
      return -1;
    }
    d->num_threads = (size_t)n;
    return 1;
  }
  return 0;
missing:
  cli_error(cmd, "%s needs a value", argv[*i]);
  return -1;
bad:
  cli_error(cmd, "bad value \"%s\" (see --help)", v);
  return -1;
}

void cli_nn_model_args_init(cli_nn_model_args *a) {
  a->model_dir = NULL;
  a->data.n = 0;
  tfckpt_dataset_options_init(&a->dopt);
  a->dopt.batch_size = 1024;
}

int cli_nn_model_option(const char *cmd, int argc, char **argv, int *i, cli_nn_model_args *a) {
  int d = cli_nn_data_option(cmd, argc, argv, i, &a->dopt);
  if (d) return d;
  const char *opt = argv[*i], *v;
  if (cli_opt_value(argc, argv, i, "--model", &v)) {
    if (!v) return cli_error(cmd, "--model needs a value"), -1;
    a->model_dir = v;
    return 1;
  }
  if (cli_opt_value(argc, argv, i, "--data", &v)) {
    if (!v) return cli_error(cmd, "--data needs a value"), -1;
    if (a->data.n == 64) return cli_error(cmd, "too many files"), -1;
    a->data.v[a->data.n++] = v;
    return 1;
  }
  if (cli_opt_value(argc, argv, i, "--batch-size", &v)) {
    long long n = cli_parse_count(cmd, opt, v);
    if (n == 0) cli_error(cmd, "--batch-size must be > 0");
    if (n <= 0) return -1;
    a->dopt.batch_size = (size_t)n;
    return 1;
  }
  return 0;
}

int cli_nn_load_model(const char *cmd, cli_nn_model_args *a, tfckpt_model **m) {
  *m = NULL;
  if (!a->model_dir || !a->data.n) return cli_error(cmd, "--model and --data are required"), EXIT_USAGE;
  tfckpt_nn_set_threads((int)a->dopt.num_threads);
  if (tfckpt_model_load(a->model_dir, m)) {
    cli_error(cmd, "%s", tfckpt_model_errmsg(*m));
    tfckpt_model_free(*m);
    *m = NULL;
    return EXIT_FAIL;
  }
  a->dopt.paths = a->data.v;
  a->dopt.npaths = a->data.n;
  return EXIT_OK;
}

int cli_nn_parse_sizes(const char *s, size_t *out, int max) {
  int n = 0;
  if (!s || !*s) return 0;
  while (*s) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || v <= 0 || v > (1 << 24) || n == max) return -1;
    out[n++] = (size_t)v;
    s = end;
    if (*s == ',') s++;
    else if (*s) return -1;
  }
  return n;
}
