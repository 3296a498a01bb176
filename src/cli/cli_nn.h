/* Options shared by train/evaluate/predict: how to read the data files. */
#ifndef TFCKPT_CLI_NN_H
#define TFCKPT_CLI_NN_H

#include <stdio.h>

#include "tfckpt/data.h"

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

#endif
