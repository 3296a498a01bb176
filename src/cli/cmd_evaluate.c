/* tfckpt evaluate: loss and accuracy (or MAE) of a trained model on a file. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_nn.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfckpt/model.h"

static const char *CMD = "evaluate";

static void usage(FILE *out) {
  fprintf(out,
          "usage: tfckpt evaluate --model DIR --data FILE [--json] [options]\n"
          "\n"
          "Evaluates the model trained into DIR (model.json + latest checkpoint, or a\n"
          "checkpoint prefix inside it) on labelled data: prints rows, loss and\n"
          "accuracy (classifiers) or mae (regression).  Standardisation stored with\n"
          "the model is applied.\n"
          "\n"
          "  --model DIR         model directory or checkpoint prefix\n"
          "  --data FILE         data file or glob (repeatable)\n"
          "  --label COL         label column (default: the one used in training)\n"
          "  --batch-size N      rows per forward pass (default 1024)\n"
          "  --json              one JSON object: {\"rows\", \"loss\", \"accuracy\"|\"mae\", ...}\n");
  cli_nn_data_usage(out);
}

int cmd_evaluate(int argc, char **argv) {
  cli_nn_model_args args;
  cli_nn_model_args_init(&args);
  tfckpt_dataset_options *dopt = &args.dopt;
  const char *label = NULL, *v;
  int json = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int d = cli_nn_model_option(CMD, argc, argv, &i, &args);
    if (d < 0) return EXIT_USAGE;
    if (d) continue;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return EXIT_OK;
    } else if (cli_opt_value(argc, argv, &i, "--label", &v)) {
      if (!v) return cli_error(CMD, "--label needs a value"), EXIT_USAGE;
      label = v;
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else {
      cli_error(CMD, "unknown option \"%s\" (see 'tfckpt evaluate --help')", a);
      return EXIT_USAGE;
    }
  }
  tfckpt_model *m;
  int rc = cli_nn_load_model(CMD, &args, &m);
  if (rc) return rc;
  int loss = tfckpt_model_loss(m);
  dopt->label_columns = label ? label : tfckpt_model_label(m);
  dopt->label_dtype = loss == TFCKPT_LOSS_SOFTMAX_CE ? TFCKPT_INT32 : TFCKPT_FLOAT;
  tfckpt_dataset *ds;
  rc = tfckpt_dataset_open(dopt, &ds);
  tfckpt_step_result r;
  if (rc) {
    cli_error(CMD, "%s", tfckpt_dataset_errmsg(ds));
  } else if ((rc = tfckpt_model_evaluate_dataset(m, ds, &r))) {
    cli_error(CMD, "%s", tfckpt_model_errmsg(m));
  }
  tfckpt_dataset_close(ds);
  if (rc) {
    tfckpt_model_free(m);
    return EXIT_FAIL;
  }
  const char *metric = loss == TFCKPT_LOSS_MSE ? "mae" : "accuracy";
  if (json) {
    /* 9 digits as before; a diverged model's NaN loss is null, not "nan" */
    char lb[32] = "null", mb[32] = "null";
    if (isfinite(r.loss)) snprintf(lb, sizeof lb, "%.9g", r.loss);
    if (isfinite(r.metric)) snprintf(mb, sizeof mb, "%.9g", r.metric);
    printf("{\"rows\": %zu, \"loss\": %s, \"%s\": %s, \"loss_name\": \"%s\", \"global_step\": %lld}\n",
           r.rows, lb, metric, mb, tfckpt_loss_name(loss), (long long)tfckpt_model_global_step(m));
  } else {
    printf("rows      %zu\nloss      %.6f (%s)\n%-9s %.6f\nstep      %lld\n", r.rows, r.loss,
           tfckpt_loss_name(loss), metric, r.metric, (long long)tfckpt_model_global_step(m));
  }
  tfckpt_model_free(m);
  return EXIT_OK;
}
