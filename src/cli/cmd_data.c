/* tfckpt data: stream CSV/TXT/LibSVM files; print schema, stats, batches. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_data_opts.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfckpt/numfmt.h"
#include "tfckpt/data.h"

static const cli_opt data_args[] = {
    {"FILE", NULL, NULL, "a CSV/TSV/TXT/LibSVM file, plain or .gz, or a glob", CLI_OPT_REPEAT},
    {0},
};

static const cli_opt data_input_opts[] = {
    {"--quote", NULL, "C", "quote character (default \")", 0},
    {"--no-quote", NULL, NULL, "no quote character: \" is data", 0},
    {"--comment", NULL, "C", "skip lines starting with C", 0},
    {0},
};

static const cli_opt data_column_opts[] = {
    {"--label", NULL, "COLS", "label column(s): names or 0-based indices, -1 = last", 0},
    {"--no-label", NULL, NULL, "no label column", 0},
    {"--label-type", NULL, "T", "auto|int|float (default auto)", 0},
    {"--num-classes", NULL, "N", "classes of an int label (default: inferred)", 0},
    {"--width", NULL, "N", "LibSVM width (default: largest index)", 0},
    {"--zero-based", NULL, NULL, "LibSVM indices start at 0 (default: detected)", 0},
    {"--one-based", NULL, NULL, "LibSVM indices start at 1 (default: detected)", 0},
    {"--sparse", NULL, NULL, "keep LibSVM rows sparse", 0},
    {0},
};

static const cli_opt data_pipeline_opts[] = {
    {"--batch-size", NULL, "N", "rows per batch (default 32)", 0},
    {"--shuffle", NULL, "N", "shuffle buffer rows (default 0 = file order)", 0},
    {"--seed", NULL, "N", "shuffle seed (default 0)", 0},
    {"--epochs", NULL, "N", "passes for --batches (default 1)", 0},
    {"--drop-remainder", NULL, NULL, "drop each epoch's short last batch", 0},
    {"--start-epoch", NULL, "N", "number of the first pass (its shuffle and batches)", 0},
    {"--holdout", NULL, "F", "hold out fraction F of the rows (hash of row, seed)", 0},
    {"--holdout-seed", NULL, "N", "seed of the hold-out split (default 0)", 0},
    {"--holdout-only", NULL, NULL, "deliver the held-out rows instead of the others", 0},
    {"--prefetch", NULL, "N", "batches prepared ahead (default 2)", 0},
    {"--queue", NULL, "N", "chunks in flight (default 2*threads+2)", 0},
    {"--chunk-size", NULL, "BYTES", "bytes per chunk (default 1048576)", 0},
    {"--on-error", NULL, "fail|skip", "malformed rows stop the stream or are skipped", 0},
    {0},
};

static const cli_opt data_output_opts[] = {
    {"--batches", NULL, "N", "print the first N batches as training sees them", 0},
    CLI_OPT_JSON("print the summary as one JSON object"),
    {0},
};

static void json_str(FILE *o, const char *s) { tfckpt__json_fput_str(o, s, strlen(s)); }
static void json_num(FILE *o, double v) { tfckpt__json_fput_f64(o, v); }

/* Shortest text that reads back as the same float32. */
static void put_float(FILE *o, float v) {
  char buf[40];
  for (int p = 6; p <= 9; p++) {
    snprintf(buf, sizeof buf, "%.*g", p, (double)v);
    if ((float)strtod(buf, NULL) == v) break;
  }
  fputs(buf, o);
}

static const char *fmt_name(int f) {
  switch (f) {
    case TFCKPT_DATA_CSV: return "csv";
    case TFCKPT_DATA_TXT: return "txt";
    case TFCKPT_DATA_LIBSVM: return "libsvm";
    default: return "auto";
  }
}

static const char *label_name(int dt) {
  return dt == TFCKPT_INT32 ? "int32" : dt == TFCKPT_FLOAT ? "float32" : "none";
}

static void print_label(FILE *o, const tfckpt_batch *b, size_t r, int json) {
  size_t lw = b->label_width;
  if (lw > 1 || json) fputc('[', o);
  for (size_t j = 0; j < lw; j++) {
    if (j) fputs(", ", o);
    if (b->label_dtype == TFCKPT_INT32) fprintf(o, "%" PRId32, b->labels_i32[r * lw + j]);
    else if (json && !isfinite(b->labels_f32[r * lw + j])) fputs("null", o);
    else put_float(o, b->labels_f32[r * lw + j]);
  }
  if (lw > 1 || json) fputc(']', o);
}

static void print_batch(FILE *o, const tfckpt_batch *b, int json, int first) {
  if (json) {
    fprintf(o, "%s{\"epoch\": %" PRIu64 ", \"iteration\": %" PRIu64 ", \"rows\": %zu, \"features\": [",
            first ? "" : ", ", b->epoch, b->iteration, b->rows);
  } else {
    fprintf(o, "batch %" PRIu64 " (epoch %" PRIu64 ", iteration in epoch %" PRIu64 "): %zu rows\n",
            b->iteration, b->epoch, b->iteration_in_epoch, b->rows);
  }
  for (size_t r = 0; r < b->rows; r++) {
    fputs(json ? (r ? ", " : "") : "  ", o);
    if (b->features) {
      fputc('[', o);
      for (size_t j = 0; j < b->width; j++) {
        float v = b->features[r * b->width + j];
        if (j) fputs(", ", o);
        if (json && !isfinite(v)) fputs("null", o);
        else put_float(o, v);
      }
      fputc(']', o);
    } else {
      fputc('{', o);
      for (int64_t k = b->row_ptr[r]; k < b->row_ptr[r + 1]; k++) {
        if (k > b->row_ptr[r]) fputs(", ", o);
        fprintf(o, json ? "\"%" PRId32 "\": " : "%" PRId32 ":", b->indices[k]);
        if (json && !isfinite(b->values[k])) fputs("null", o);
        else put_float(o, b->values[k]);
      }
      fputc('}', o);
    }
    if (!json && b->label_width) {
      fputs(" -> ", o);
      print_label(o, b, r, 0);
    }
    if (!json) fputc('\n', o);
  }
  if (json) {
    fputs("], \"labels\": [", o);
    for (size_t r = 0; b->label_width && r < b->rows; r++) {
      if (r) fputs(", ", o);
      if (b->label_width == 1) {
        if (b->label_dtype == TFCKPT_INT32) fprintf(o, "%" PRId32, b->labels_i32[r]);
        else if (!isfinite(b->labels_f32[r])) fputs("null", o);
        else put_float(o, b->labels_f32[r]);
      } else {
        print_label(o, b, r, 1);
      }
    }
    fputs("]}", o);
  }
}

static void print_summary_json(tfckpt_dataset *ds, const tfckpt_dataset_stats *st,
                               const char *batches) {
  FILE *o = stdout;
  fputs("{\"files\": [", o);
  for (size_t i = 0; i < tfckpt_dataset_nfiles(ds); i++) {
    if (i) fputs(", ", o);
    json_str(o, tfckpt_dataset_file(ds, i));
  }
  fprintf(o, "], \"format\": \"%s\", \"rows\": %" PRIu64 ", \"skipped\": %" PRIu64
             ", \"bytes\": %" PRIu64 ", \"width\": %zu, \"label_type\": \"%s\", \"num_classes\": %" PRId64,
          fmt_name(tfckpt_dataset_format(ds)), st->rows, st->skipped, st->bytes,
          tfckpt_dataset_width(ds), label_name(tfckpt_dataset_label_dtype(ds)),
          tfckpt_dataset_num_classes(ds));
  if (tfckpt_dataset_class_name(ds, 0)) {
    fputs(", \"class_names\": [", o);
    for (int64_t c = 0; tfckpt_dataset_class_name(ds, c); c++) {
      if (c) fputs(", ", o);
      json_str(o, tfckpt_dataset_class_name(ds, c));
    }
    fputc(']', o);
  }
  fputs(", \"columns\": [", o);
  for (size_t i = 0; i < tfckpt_dataset_ncolumns(ds); i++) {
    tfckpt_column_stats cs;
    tfckpt_dataset_column_stats(ds, i, &cs);
    fputs(i ? ", {\"name\": " : "{\"name\": ", o);
    json_str(o, tfckpt_dataset_column_name(ds, i));
    fprintf(o, ", \"role\": \"%s\", \"type\": \"%s\", \"min\": ",
            tfckpt_dataset_column_is_label(ds, i) ? "label" : "feature",
            cs.dtype == TFCKPT_INT64 ? "int" : "float");
    json_num(o, cs.min);
    fputs(", \"max\": ", o);
    json_num(o, cs.max);
    fputs(", \"mean\": ", o);
    json_num(o, cs.mean);
    fprintf(o, ", \"count\": %" PRIu64 ", \"missing\": %" PRIu64 "}", cs.count, cs.missing);
  }
  fputc(']', o);
  if (batches) fprintf(o, ", \"batches\": [%s]", batches);
  fputs("}\n", o);
}

static void print_summary_text(tfckpt_dataset *ds, const tfckpt_dataset_stats *st) {
  for (size_t i = 0; i < tfckpt_dataset_nfiles(ds); i++)
    printf("%s %s\n", i ? "      " : "files:", tfckpt_dataset_file(ds, i));
  printf("format: %s\n", fmt_name(tfckpt_dataset_format(ds)));
  printf("rows:   %" PRIu64, st->rows);
  if (st->skipped) printf(" (%" PRIu64 " malformed rows skipped)", st->skipped);
  printf("\nwidth:  %zu features\n", tfckpt_dataset_width(ds));
  printf("label:  %s", label_name(tfckpt_dataset_label_dtype(ds)));
  if (tfckpt_dataset_label_width(ds) > 1) printf(" x %zu", tfckpt_dataset_label_width(ds));
  int64_t nc = tfckpt_dataset_num_classes(ds);
  if (nc > 0) {
    printf(", %" PRId64 " classes", nc);
    if (tfckpt_dataset_class_name(ds, 0)) {
      printf(" (");
      for (int64_t c = 0; tfckpt_dataset_class_name(ds, c); c++)
        printf("%s%s", c ? ", " : "", tfckpt_dataset_class_name(ds, c));
      printf(")");
    }
  }
  printf("\n\n%-4s %-20s %-8s %-6s %14s %14s %14s %8s\n", "#", "column", "role", "type", "min",
         "max", "mean", "missing");
  for (size_t i = 0; i < tfckpt_dataset_ncolumns(ds); i++) {
    tfckpt_column_stats cs;
    tfckpt_dataset_column_stats(ds, i, &cs);
    printf("%-4zu %-20s %-8s %-6s %14.6g %14.6g %14.6g %8" PRIu64 "\n", i,
           tfckpt_dataset_column_name(ds, i),
           tfckpt_dataset_column_is_label(ds, i) ? "label" : "feature",
           cs.dtype == TFCKPT_INT64 ? "int" : "float", cs.min, cs.max, cs.mean, cs.missing);
  }
}

static int cmd_data(int argc, char **argv) {
  tfckpt_dataset_options opt;
  tfckpt_dataset_options_init(&opt);
  const char **files = calloc((size_t)argc + 1, sizeof *files);
  char *na = NULL;
  size_t nfiles = 0;
  uint64_t nbatches = 0;
  int json = 0;
  int rc = 0;
  if (!files) {
    fprintf(stderr, "tfckpt data: out of memory\n");
    return 1;
  }
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_data, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) goto out;
    if (k == CLI_ERROR) {
      rc = EXIT_USAGE;
      goto out;
    }
    const char *val = p.value;
    long long u = 0;
    int d = k == CLI_ARG ? 0 : cli_data_format_apply(&p, &opt, &na);
    if (d < 0) {
      rc = EXIT_USAGE;
      goto out;
    }
    if (d) continue;
    if (k == CLI_ARG) files[nfiles++] = val;
    else if (cli_is(&p, "--json")) json = 1;
    else if (cli_is(&p, "--no-quote")) opt.quote = 0;
    else if (cli_is(&p, "--no-label")) opt.label_columns = "";
    else if (cli_is(&p, "--zero-based")) opt.libsvm_zero_based = 1;
    else if (cli_is(&p, "--one-based")) opt.libsvm_zero_based = 0;
    else if (cli_is(&p, "--sparse")) opt.sparse = 1;
    else if (cli_is(&p, "--drop-remainder")) opt.drop_remainder = 1;
    else if (cli_is(&p, "--holdout-only")) opt.holdout_select = TFCKPT_HOLDOUT_ONLY;
    else if (cli_is(&p, "--holdout")) {
      double f;
      if (cli_value_double(&p, &f)) {
        rc = EXIT_USAGE;
        goto out;
      }
      if (!(f >= 0 && f < 1)) {
        cli_error("data", "--holdout must be a fraction in [0, 1), not \"%s\"", val);
        rc = EXIT_USAGE;
        goto out;
      }
      opt.holdout_fraction = f;
    }
    else if (cli_is(&p, "--label")) opt.label_columns = val;
    else if (cli_is(&p, "--quote") || cli_is(&p, "--comment")) {
      if (cli_data_parse_char(val, cli_is(&p, "--quote") ? &opt.quote : &opt.comment)) {
        cli_error("data", "%s must be one byte, not \"%s\"", p.given, val);
        rc = EXIT_USAGE;
        goto out;
      }
    } else if (cli_is(&p, "--label-type")) {
      static const char *const t[] = {"auto", "int", "int32", "float", "float32", NULL};
      static const int code[] = {TFCKPT_INVALID, TFCKPT_INT32, TFCKPT_INT32, TFCKPT_FLOAT, TFCKPT_FLOAT};
      int c = cli_value_choice(&p, t);
      if (c < 0) {
        rc = EXIT_USAGE;
        goto out;
      }
      opt.label_dtype = code[c];
    } else if (cli_is(&p, "--on-error")) {
      static const char *const e[] = {"fail", "skip", NULL};
      int c = cli_value_choice(&p, e);
      if (c < 0) {
        rc = EXIT_USAGE;
        goto out;
      }
      opt.on_error = c ? TFCKPT_ON_ERROR_SKIP : TFCKPT_ON_ERROR_FAIL;
    } else {
      /* the rest are counts */
      if (cli_value_int(&p, 0, CLI_NO_MAX, &u)) {
        rc = EXIT_USAGE;
        goto out;
      }
      if (cli_is(&p, "--num-classes")) opt.num_classes = (int64_t)u;
      else if (cli_is(&p, "--width")) opt.libsvm_width = (size_t)u;
      else if (cli_is(&p, "--batch-size")) opt.batch_size = (size_t)u;
      else if (cli_is(&p, "--shuffle")) opt.shuffle_buffer = (size_t)u;
      else if (cli_is(&p, "--seed")) opt.seed = (uint64_t)u;
      else if (cli_is(&p, "--epochs")) opt.num_epochs = (uint64_t)u;
      else if (cli_is(&p, "--start-epoch")) opt.start_epoch = (uint64_t)u;
      else if (cli_is(&p, "--holdout-seed")) opt.holdout_seed = (uint64_t)u;
      else if (cli_is(&p, "--prefetch")) opt.prefetch = (size_t)u;
      else if (cli_is(&p, "--queue")) opt.queue_chunks = (size_t)u;
      else if (cli_is(&p, "--chunk-size")) opt.chunk_bytes = (size_t)u;
      else if (cli_is(&p, "--batches")) nbatches = (uint64_t)u;
    }
  }
  if (!nfiles) {
    cli_error("data", "no input files (see tfckpt data --help)");
    rc = EXIT_USAGE;
    goto out;
  }
  opt.paths = files;
  opt.npaths = nfiles;
  /* The summary counts missing values per column; only batches (what
   * training sees) need a default to fill them with. */
  if (!opt.na_values && !nbatches) opt.na_values = "nan";

  tfckpt_dataset *ds;
  int st = tfckpt_dataset_open(&opt, &ds);
  if (st) {
    fprintf(stderr, "tfckpt data: %s\n", tfckpt_dataset_errmsg(ds));
    tfckpt_dataset_close(ds);
    rc = st == TFCKPT_EINVAL ? 2 : 1;
    goto out;
  }
  char *bbuf = NULL;
  size_t bbuf_len = 0;
  FILE *bout = stdout;
  if (json && nbatches) {
    bout = open_memstream(&bbuf, &bbuf_len);
    if (!bout) {
      fprintf(stderr, "tfckpt data: out of memory\n");
      tfckpt_dataset_close(ds);
      rc = 1;
      goto out;
    }
  }
  uint64_t printed = 0;
  tfckpt_dataset_stats dst;
  for (;;) {
    const tfckpt_batch *b;
    st = tfckpt_dataset_next(ds, &b);
    if (st || !b) break;
    if (printed < nbatches) {
      print_batch(bout, b, json, printed == 0);
      printed++;
    }
    tfckpt_dataset_stats_get(ds, &dst);
    /* the summary needs one full pass; extra epochs only matter for --batches */
    if (dst.complete && printed >= nbatches) break;
  }
  if (bout != stdout) fclose(bout);
  if (st) {
    fflush(stdout);
    fprintf(stderr, "tfckpt data: %s\n", tfckpt_dataset_errmsg(ds));
    rc = st == TFCKPT_EINVAL ? 2 : 1;
  } else {
    tfckpt_dataset_stats_get(ds, &dst);
    if (!json && printed) printf("\n");
    if (json) print_summary_json(ds, &dst, bbuf ? bbuf : (nbatches ? "" : NULL));
    else print_summary_text(ds, &dst);
  }
  free(bbuf);
  tfckpt_dataset_close(ds);
out:
  free(files);
  free(na);
  return rc;
}

const cli_command cli_cmd_data = {
    .name = "data",
    .run = cmd_data,
    .summary = "stream CSV/TXT/LibSVM files: schema, stats, batches",
    .usage = "FILE... [options]",
    .about = "Streams the files (globs and .gz allowed) through the data pipeline and\n"
             "prints the schema, the row count and per-column min/max/mean/missing.\n",
    .args = data_args,
    .groups = {{CLI_DATA_FORMAT_TITLE, cli_data_format_opts},
               {"input:", data_input_opts},
               {"columns:", data_column_opts},
               {"pipeline:", data_pipeline_opts},
               {"output:", data_output_opts}},
};
