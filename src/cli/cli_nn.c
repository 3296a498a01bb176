/* Model and data options shared by the train, evaluate and predict commands. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_nn.h"
#include "cli/cli_util.h"

const cli_opt cli_nn_model_opts[] = {
    {"--model", NULL, "DIR", "model directory or checkpoint prefix", 0},
    {"--data", NULL, "FILE", "data file or glob", CLI_OPT_REPEAT},
    {"--batch-size", NULL, "N", "rows per forward pass (default 1024)", 0},
    {0},
};

void cli_nn_model_args_init(cli_nn_model_args *a) {
  a->model_dir = NULL;
  a->data.n = 0;
  a->na = NULL;
  tfckpt_dataset_options_init(&a->dopt);
  a->dopt.batch_size = 1024;
}

void cli_nn_model_args_free(cli_nn_model_args *a) {
  free(a->na);
  a->na = NULL;
}

int cli_nn_add_path(cli_parser *p, cli_nn_paths *paths) {
  if (paths->n == sizeof paths->v / sizeof paths->v[0]) return cli_fail(p, "too many files"), -1;
  paths->v[paths->n++] = p->value;
  return 0;
}

int cli_nn_model_apply(cli_parser *p, cli_nn_model_args *a) {
  int d = cli_data_format_apply(p, &a->dopt, &a->na);
  if (d) return d;
  if (cli_is(p, "--model")) {
    a->model_dir = p->value;
    return 1;
  }
  if (cli_is(p, "--data")) return cli_nn_add_path(p, &a->data) ? -1 : 1;
  if (cli_is(p, "--batch-size")) {
    long long n;
    if (cli_value_int(p, 1, CLI_NO_MAX, &n)) return -1;
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
