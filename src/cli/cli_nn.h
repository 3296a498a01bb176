/* Options shared by train/evaluate/predict: how to read the data files,
 * and which model evaluate/predict run. */
#ifndef TFCKPT_CLI_NN_H
#define TFCKPT_CLI_NN_H

#include <stdio.h>

#include "cli/cli_data_opts.h"
#include "cli/cli_opts.h"
#include "tfckpt/data.h"
#include "tfckpt/model.h"

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
  char *na;                     /* joined --na-value values */
} cli_nn_model_args;

/* --model, --data, --batch-size; with cli_data_format_opts. */
extern const cli_opt cli_nn_model_opts[];

/* Defaults: no model, no data, batches of 1024 rows. */
void cli_nn_model_args_init(cli_nn_model_args *a);
void cli_nn_model_args_free(cli_nn_model_args *a);

/* Applies the option p just returned if it is a model or data-format
 * option: returns 1, or -1 after printing the error; 0 if not one. */
int cli_nn_model_apply(cli_parser *p, cli_nn_model_args *a);

/* Adds a --data (or --validation-data) path; -1 after printing the error. */
int cli_nn_add_path(cli_parser *p, cli_nn_paths *paths);

/* Checks that --model and --data were given, sets the thread count, points
 * a->dopt at the data files and loads the model into *m.  Returns EXIT_OK,
 * or EXIT_USAGE / EXIT_FAIL after printing the error (*m is then NULL). */
int cli_nn_load_model(const char *cmd, cli_nn_model_args *a, tfckpt_model **m);

#endif
