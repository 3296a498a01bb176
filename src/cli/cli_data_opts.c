#include "cli/cli_data_opts.h"

#include <stdlib.h>
#include <string.h>

const cli_opt cli_data_format_opts[] = {
    {"--format", NULL, "F", "auto|csv|tsv|txt|libsvm (default auto: extension, then content)", 0},
    {"--delimiter", NULL, "C", "field delimiter: one byte, or 'tab'/'\\t', 'space'", 0},
    {"--header", NULL, "H", "auto|yes|no|sklearn (default auto)", 0},
    {"--skip", NULL, "N", "drop the first N lines of every file", 0},
    {"--columns", NULL, "COLS", "feature columns (default: all non-label columns)", 0},
    {"--na-value", NULL, "[COL=]V", "value for empty/NA fields", CLI_OPT_REPEAT},
    {"--threads", NULL, "N", "parser threads, for train/evaluate/predict also BLAS threads (default 2)", 0},
    {0},
};

int cli_data_parse_char(const char *s, char *out) {
  if (!strcmp(s, "tab") || !strcmp(s, "\\t")) *out = '\t';
  else if (!strcmp(s, "space")) *out = ' ';
  else if (strlen(s) == 1) *out = s[0];
  else return -1;
  return 0;
}

int cli_data_format_apply(cli_parser *p, tfckpt_dataset_options *d, char **na) {
  long long n;
  if (cli_is(p, "--format")) {
    /* svmlight: the other common name of the LibSVM format */
    static const char *const f[] = {"auto", "csv", "tsv", "txt", "libsvm", "svmlight", NULL};
    static const int code[] = {TFCKPT_DATA_AUTO, TFCKPT_DATA_CSV, TFCKPT_DATA_CSV,
                               TFCKPT_DATA_TXT, TFCKPT_DATA_LIBSVM, TFCKPT_DATA_LIBSVM};
    int k = cli_value_choice(p, f);
    if (k < 0) return -1;
    d->format = code[k];
    if (k == 2) d->delimiter = '\t';
    return 1;
  }
  if (cli_is(p, "--delimiter")) {
    if (cli_data_parse_char(p->value, &d->delimiter) == 0) return 1;
    cli_fail(p, "--delimiter must be one byte, 'tab' or 'space', not \"%s\"", p->value);
    return -1;
  }
  if (cli_is(p, "--header")) {
    static const char *const h[] = {"auto", "yes", "no", "sklearn", "names", "none", NULL};
    static const int code[] = {TFCKPT_HEADER_AUTO, TFCKPT_HEADER_NAMES, TFCKPT_HEADER_NONE,
                               TFCKPT_HEADER_SKLEARN, TFCKPT_HEADER_NAMES, TFCKPT_HEADER_NONE};
    int k = cli_value_choice(p, h);
    if (k < 0) return -1;
    d->header = code[k];
    return 1;
  }
  if (cli_is(p, "--skip")) {
    if (cli_value_int(p, 0, CLI_NO_MAX, &n)) return -1;
    d->skip_lines = (size_t)n;
    return 1;
  }
  if (cli_is(p, "--columns")) {
    d->feature_columns = p->value;
    return 1;
  }
  if (cli_is(p, "--na-value")) {
    size_t old = *na ? strlen(*na) : 0, l = strlen(p->value);
    char *s = realloc(*na, old + l + 2);
    if (!s) return cli_fail(p, "out of memory"), -1;
    if (old) s[old++] = ',';
    memcpy(s + old, p->value, l + 1);
    *na = s;
    d->na_values = s;
    return 1;
  }
  if (cli_is(p, "--threads")) {
    if (cli_value_int(p, 1, 256, &n)) return -1;
    d->num_threads = (size_t)n;
    return 1;
  }
  return 0;
}
