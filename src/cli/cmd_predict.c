/* tfckpt predict: write a trained model's predictions for a file as CSV. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_nn.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfckpt/internal/atomic_file.h"
#include "tfckpt/internal/buf.h"
#include "tfckpt/model.h"

static const char *CMD = "predict";

static const cli_opt predict_opts[] = {
    {"--output", "-o", "FILE", "output CSV (default: standard output); written atomically", 0},
    {0},
};

static void header(tfckpt__buf *b, tfckpt_model *m) {
  size_t k = tfckpt_model_output_width(m);
  char tmp[320];
  int n;
  if (tfckpt_model_loss(m) == TFCKPT_LOSS_SOFTMAX_CE) {
    int named = tfckpt_model_class_name(m, 0) != NULL;
    tfckpt__buf_append(b, named ? "class,class_name" : "class", named ? 16 : 5);
    for (size_t j = 0; j < k; j++) {
      const char *name = tfckpt_model_class_name(m, (int64_t)j);
      /* names from sklearn headers are plain words; keep CSV-safe anyway */
      if (name && !strpbrk(name, ",\"\n\r")) n = snprintf(tmp, sizeof tmp, ",prob_%s", name);
      else n = snprintf(tmp, sizeof tmp, ",prob_%zu", j);
      tfckpt__buf_append(b, tmp, (size_t)n);
    }
  } else {
    for (size_t j = 0; j < k; j++) {
      if (tfckpt_model_loss(m) == TFCKPT_LOSS_SIGMOID_CE)
        n = snprintf(tmp, sizeof tmp, "%sprob_%zu,pred_%zu", j ? "," : "", j, j);
      else if (k == 1) n = snprintf(tmp, sizeof tmp, "prediction");
      else n = snprintf(tmp, sizeof tmp, "%sprediction_%zu", j ? "," : "", j);
      tfckpt__buf_append(b, tmp, (size_t)n);
    }
  }
  tfckpt__buf_append(b, "\n", 1);
}

static void rows_text(tfckpt__buf *b, tfckpt_model *m, const float *p, size_t rows) {
  size_t k = tfckpt_model_output_width(m);
  int loss = tfckpt_model_loss(m);
  char tmp[64];
  for (size_t r = 0; r < rows; r++) {
    const float *v = p + r * k;
    if (loss == TFCKPT_LOSS_SOFTMAX_CE) {
      size_t am = 0;
      for (size_t j = 1; j < k; j++)
        if (v[j] > v[am]) am = j;
      int n = snprintf(tmp, sizeof tmp, "%zu", am);
      tfckpt__buf_append(b, tmp, (size_t)n);
      const char *name = tfckpt_model_class_name(m, 0) ? tfckpt_model_class_name(m, (int64_t)am) : NULL;
      if (tfckpt_model_class_name(m, 0)) {
        tfckpt__buf_append(b, ",", 1);
        if (name && !strpbrk(name, ",\"\n\r")) tfckpt__buf_append(b, name, strlen(name));
      }
      for (size_t j = 0; j < k; j++) {
        n = snprintf(tmp, sizeof tmp, ",%.6g", (double)v[j]);
        tfckpt__buf_append(b, tmp, (size_t)n);
      }
    } else {
      for (size_t j = 0; j < k; j++) {
        int n = loss == TFCKPT_LOSS_SIGMOID_CE
                    ? snprintf(tmp, sizeof tmp, "%s%.6g,%d", j ? "," : "", (double)v[j], v[j] > 0.5f)
                    : snprintf(tmp, sizeof tmp, "%s%.9g", j ? "," : "", (double)v[j]);
        tfckpt__buf_append(b, tmp, (size_t)n);
      }
    }
    tfckpt__buf_append(b, "\n", 1);
  }
}

static int open_data(tfckpt_dataset_options *d, tfckpt_model *m, tfckpt_dataset **ds) {
  /* Try with the training label column first: files for prediction often
   * still hold it.  Without it, the width tells whether it is absent. */
  d->label_columns = tfckpt_model_label(m);
  d->label_dtype = TFCKPT_INVALID;
  int rc = tfckpt_dataset_open(d, ds);
  if (!rc && tfckpt_dataset_width(*ds) == tfckpt_model_input_width(m)) return TFCKPT_OK;
  tfckpt_dataset_close(*ds);
  d->label_columns = "";
  rc = tfckpt_dataset_open(d, ds);
  if (rc) {
    cli_error(CMD, "%s", tfckpt_dataset_errmsg(*ds));
    return rc;
  }
  if (tfckpt_dataset_width(*ds) != tfckpt_model_input_width(m)) {
    cli_error(CMD, "%s: %zu feature columns, the model expects %zu", d->paths[0],
              tfckpt_dataset_width(*ds), tfckpt_model_input_width(m));
    return TFCKPT_EINVAL;
  }
  return TFCKPT_OK;
}

static int cmd_predict(int argc, char **argv) {
  cli_nn_model_args args;
  cli_nn_model_args_init(&args);
  const char *output = "-";
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_predict, argc, argv);
  int got, rc = EXIT_OK;
  while (rc == EXIT_OK && (got = cli_next(&p)) != CLI_END) {
    if (got == CLI_HELP) rc = -1;
    else if (got == CLI_ERROR || cli_nn_model_apply(&p, &args) < 0) rc = EXIT_USAGE;
    else if (cli_is(&p, "--output")) output = p.value;
  }
  tfckpt_model *m = NULL;
  if (rc == EXIT_OK) rc = cli_nn_load_model(CMD, &args, &m);
  if (rc) {
    cli_nn_model_args_free(&args);
    return rc < 0 ? EXIT_OK : rc;
  }
  tfckpt_dataset *ds = NULL;
  rc = open_data(&args.dopt, m, &ds);
  int to_stdout = !strcmp(output, "-");
  tfckpt__atomic_file af;
  tfckpt__err err = {0};
  int af_open = 0;
  if (!rc && !to_stdout) {
    if ((rc = tfckpt__atomic_open(&af, output, NULL, &err))) cli_error(CMD, "%s", err.msg);
    else af_open = 1;
  }
  size_t k = tfckpt_model_output_width(m), rows = 0;
  float *pred = NULL;
  tfckpt__buf b = {0};
  if (!rc) header(&b, m);
  const tfckpt_batch *bt;
  while (!rc) {
    if ((rc = tfckpt_dataset_next(ds, &bt))) {
      cli_error(CMD, "%s", tfckpt_dataset_errmsg(ds));
      break;
    }
    if (!bt) break;
    float *np = realloc(pred, bt->rows * k * sizeof(float));
    if (!np) {
      rc = TFCKPT_ENOMEM;
      cli_error(CMD, "out of memory");
      break;
    }
    pred = np;
    if ((rc = tfckpt_model_predict(m, bt->features, bt->rows, pred))) {
      cli_error(CMD, "%s", tfckpt_model_errmsg(m));
      break;
    }
    rows_text(&b, m, pred, bt->rows);
    rows += bt->rows;
    if (b.oom) {
      rc = TFCKPT_ENOMEM;
      cli_error(CMD, "out of memory");
    } else if (to_stdout) {
      if (fwrite(b.data, 1, b.len, stdout) != b.len) rc = TFCKPT_EIO, cli_error(CMD, "write failed");
    } else if ((rc = tfckpt__atomic_write(&af, b.data, b.len, &err))) {
      cli_error(CMD, "%s", err.msg);
    }
    b.len = 0;
  }
  if (rc == 0 && b.len) { /* header only: empty input */
    if (to_stdout) fwrite(b.data, 1, b.len, stdout);
    else rc = tfckpt__atomic_write(&af, b.data, b.len, &err);
  }
  if (!rc && af_open) {
    rc = tfckpt__atomic_sync(&af, &err);
    if (!rc) rc = tfckpt__atomic_commit(&af, &err);
    if (!rc) rc = tfckpt__fsync_dir(output, &err);
    if (rc) cli_error(CMD, "%s", err.msg);
  }
  if (af_open) tfckpt__atomic_release(&af);
  tfckpt__buf_free(&b);
  free(pred);
  tfckpt_dataset_close(ds);
  tfckpt_model_free(m);
  cli_nn_model_args_free(&args);
  if (!rc && !to_stdout) fprintf(stderr, "wrote %zu predictions to %s\n", rows, output);
  return rc ? EXIT_FAIL : EXIT_OK;
}

const cli_command cli_cmd_predict = {
    .name = "predict",
    .run = cmd_predict,
    .summary = "write a trained model's predictions as CSV",
    .usage = "--model DIR --data FILE [-o predictions.csv] [options]",
    .about = "Writes one CSV row per input row.  Classifiers (softmax_ce): class index,\n"
             "class name (when known), then one probability per class; sigmoid_ce: one\n"
             "probability and 0/1 decision per output; mse: the predicted values.\n"
             "The data may or may not contain the label column used in training.\n",
    .groups = {{NULL, cli_nn_model_opts}, {NULL, predict_opts},
               {CLI_DATA_FORMAT_TITLE, cli_data_format_opts}},
};
