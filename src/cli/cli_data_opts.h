/* The data-format options of `tfckpt data`, shared with train, evaluate and
 * predict so that a file is read the same way by every command. */
#ifndef TFCKPT_CLI_DATA_OPTS_H
#define TFCKPT_CLI_DATA_OPTS_H

#include "cli/cli_opts.h"
#include "tfckpt/data.h"

/* --format, --delimiter, --header, --skip, --columns, --na-value, --threads */
extern const cli_opt cli_data_format_opts[];
#define CLI_DATA_FORMAT_TITLE "data format:"

/* Applies the option p just returned to *d if it is a data-format option:
 * returns 1, or -1 after printing the error; 0 if it is not one.  Repeated
 * --na-value values are joined into *na (malloc'd; the caller frees it),
 * which d->na_values then points to. */
int cli_data_format_apply(cli_parser *p, tfckpt_dataset_options *d, char **na);

/* "tab", "\t", "space" or a single byte; -1 otherwise. */
int cli_data_parse_char(const char *s, char *out);

#endif
