/* tfckpt evaluate: loss and accuracy (or MAE) of a trained model on a file. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_nn.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfckpt/model.h"

static const char *CMD = "evaluate";

static const cli_opt evaluate_opts[] = {
    {"--label", NULL, "COL", "label column (default: the one used in training)", 0},
    CLI_OPT_JSON("one JSON object: {\"rows\", \"loss\", \"accuracy\"|\"mae\", ...}"),
    {0},
};

static int cmd_evaluate(int argc, char **argv) {
  cli_nn_model_args args;
  cli_nn_model_args_init(&args);
  tfckpt_dataset_options *dopt = &args.dopt;
  const char *label = NULL;
  int json = 0;
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_evaluate, argc, argv);
  int got, rc = EXIT_OK;
  while (rc == EXIT_OK && (got = cli_next(&p)) != CLI_END) {
    if (got == CLI_HELP) rc = -1;
    else if (got == CLI_ERROR || cli_nn_model_apply(&p, &args) < 0) rc = EXIT_USAGE;
    else if (cli_is(&p, "--label")) label = p.value;
    else if (cli_is(&p, "--json")) json = 1;
  }
  tfckpt_model *m = NULL;
  if (rc == EXIT_OK) rc = cli_nn_load_model(CMD, &args, &m);
  if (rc) {
    cli_nn_model_args_free(&args);
    return rc < 0 ? EXIT_OK : rc;
  }
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
    cli_nn_model_args_free(&args);
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
  cli_nn_model_args_free(&args);
  return EXIT_OK;
}

const cli_command cli_cmd_evaluate = {
    .name = "evaluate",
    .run = cmd_evaluate,
    .summary = "loss and accuracy/MAE of a trained model on a file",
    .usage = "--model DIR --data FILE [--json] [options]",
    .about = "Evaluates the model trained into DIR (model.json + latest checkpoint, or a\n"
             "checkpoint prefix inside it) on labelled data: prints rows, loss and\n"
             "accuracy (classifiers) or mae (regression).  Standardisation stored with\n"
             "the model is applied.\n",
    .groups = {{NULL, cli_nn_model_opts}, {NULL, evaluate_opts},
               {CLI_DATA_FORMAT_TITLE, cli_data_format_opts}},
};
