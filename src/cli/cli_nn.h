/* Options shared by train/evaluate/predict: how to read the data files,
 * and which model evaluate/predict run. */
#ifndef TFCKPT_CLI_NN_H
#define TFCKPT_CLI_NN_H

#include <stdio.h>

#include "tfckpt/data.h"
#include "tfckpt/model.h"

/* Help text for the options cli_nn_data_option understands. */
void cli_nn_data_usage(FILE *out);

/* If argv[*i] is a data option, applies it to *d and returns 1 (advancing
 * *i past its value); returns 0 if it is not one, -1 after printing a usage
 * error. */
int cli_nn_data_option(const char *cmd, int argc, char **argv, int *i, tfckpt_dataset_options *d);

/* Parses "64,32" into at most `max` positive sizes; returns the count or -1. */
int cli_nn_parse_sizes(const char *s, size_t *out, int max);

/* A list of paths given by repeated options. */
typedef struct cli_nn_paths {
  const char *v[64];
  size_t n;
} cli_nn_paths;

/* The options evaluate and predict share: which model, which data, and how
 * to read it. */
typedef struct cli_nn_model_args {
  const char *model_dir;        /* --model */
  cli_nn_paths data;            /* --data, repeatable */
  tfckpt_dataset_options dopt;  /* data options and --batch-size */
} cli_nn_model_args;

/* Defaults: no model, no data, batches of 1024 rows. */
void cli_nn_model_args_init(cli_nn_model_args *a);

/* If argv[*i] is --model, --data, --batch-size or a data option, applies it
 * to *a and returns 1 (advancing *i past its value); returns 0 if it is not
 * one, -1 after printing a usage error. */
int cli_nn_model_option(const char *cmd, int argc, char **argv, int *i, cli_nn_model_args *a);

/* Checks that --model and --data were given, sets the thread count, points
 * a->dopt at the data files and loads the model into *m.  Returns EXIT_OK,
 * or EXIT_USAGE / EXIT_FAIL after printing the error (*m is then NULL). */
int cli_nn_load_model(const char *cmd, cli_nn_model_args *a, tfckpt_model **m);

#endif
