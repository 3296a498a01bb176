/* tfckpt data: stream CSV/TXT/LibSVM files; print schema, stats, batches. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "tfckpt/internal/buf.h"
#include "cli/commands.h"
#include "tfckpt/numfmt.h"
#include "tfckpt/data.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: tfckpt data FILE... [options]\n"
          "\n"
          "Streams the files (globs and .gz allowed) through the data pipeline and\n"
          "prints the schema, the row count and per-column min/max/mean/missing.\n"
          "\n"
          "input:\n"
          "  --format F          auto|csv|tsv|txt|libsvm (default auto)\n"
          "  --delimiter C       field delimiter: one byte, or 'tab'/'\\t'\n"
          "  --quote C           quote character (default \"); --no-quote disables\n"
          "  --comment C         skip lines starting with C\n"
          "  --header H          auto|yes|no|sklearn (default auto)\n"
          "  --skip N            drop the first N lines of every file\n"
          "columns:\n"
          "  --label COLS        label column(s): names or 0-based indices, -1 = last\n"
          "  --no-label          no label column\n"
          "  --columns COLS      feature columns (default: all non-label columns)\n"
          "  --label-type T      auto|int|float (default auto)\n"
          "  --num-classes N     classes of an int label (default: inferred)\n"
          "  --na-value [COL=]V  value for empty/NA fields (repeatable)\n"
          "  --width N           LibSVM width (default: largest index)\n"
          "  --zero-based, --one-based   LibSVM index base (default: auto)\n"
          "  --sparse            keep LibSVM rows sparse\n"
          "pipeline:\n"
          "  --threads N         parser threads (default 2)\n"
          "  --batch-size N      rows per batch (default 32)\n"
          "  --shuffle N         shuffle buffer rows (default 0 = file order)\n"
          "  --seed N            shuffle seed (default 0)\n"
          "  --epochs N          passes for --batches (default 1)\n"
          "  --drop-remainder    drop each epoch's short last batch\n"
          "  --prefetch N        batches prepared ahead (default 2)\n"
          "  --queue N           chunks in flight (default 2*threads+2)\n"
          "  --chunk-size BYTES  bytes per chunk (default 1048576)\n"
          "  --on-error fail|skip  malformed rows stop the stream or are skipped\n"
          "output:\n"
          "  --batches N         print the first N batches as training sees them\n"
          "  --json              print the summary as one JSON object\n");
}

static int bad_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "tfckpt data: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n(see 'tfckpt data --help')\n");
  return 2;
}

static int parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s || *s == '-') return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

static int parse_char(const char *s, char *out) {
  if (!strcmp(s, "tab") || !strcmp(s, "\\t")) { *out = '\t'; return 0; }
  if (!strcmp(s, "space")) { *out = ' '; return 0; }
  if (strlen(s) != 1) return -1;
  *out = s[0];
  return 0;
}

static void json_str(FILE *o, const char *s) { cli_json_string(o, s, strlen(s)); }

/* Shortest text that reads back as the same float32. */
static void put_float(FILE *o, float v) {
  char buf[40];
  for (int p = 6; p <= 9; p++) {
    snprintf(buf, sizeof buf, "%.*g", p, (double)v);
    if ((float)strtod(buf, NULL) == v) break;
  }
  fputs(buf, o);
}

static void json_num(FILE *o, double v) {
  char buf[TFCKPT_NUMFMT_MAX];
  if (isfinite(v)) fputs(tfckpt_fmt_f64(v, buf) ? buf : "null", o);
  else fputs("null", o);
}

static const char *fmt_name(int f) {
  switch (f) {
    case TFCKPT_FORMAT_CSV: return "csv";
    case TFCKPT_FORMAT_TXT: return "txt";
    case TFCKPT_FORMAT_LIBSVM: return "libsvm";
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

int cmd_data(int argc, char **argv) {
  tfckpt_dataset_options opt;
  tfckpt_dataset_options_init(&opt);
  const char **files = calloc((size_t)argc + 1, sizeof *files);
  tfckpt__buf na = {0}; /* --na-value specs joined with ',' */
  size_t nfiles = 0;
  uint64_t nbatches = 0;
  int json = 0, epochs_set = 0;
  int rc = 0;
  if (!files) {
    fprintf(stderr, "tfckpt data: out of memory\n");
    return 1;
  }
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (a[0] != '-' || a[1] == '\0') {
      files[nfiles++] = a;
      continue;
    }
    if (!strcmp(a, "--")) {
      while (++i < argc) files[nfiles++] = argv[i];
      break;
    }
    char *val = NULL;
    char *eq = strchr(a, '=');
    char name[64];
    if (eq && a[1] == '-') {
      snprintf(name, sizeof name, "%.*s", (int)(eq - a), a);
      val = eq + 1;
    } else {
      snprintf(name, sizeof name, "%s", a);
    }
    static const char *const flags[] = {"--help", "-h", "--no-quote", "--no-label", "--zero-based",
                                        "--one-based", "--sparse", "--drop-remainder", "--json"};
    static const char *const valued[] = {
        "--format", "--delimiter", "--quote", "--comment", "--header", "--skip", "--label",
        "--columns", "--label-type", "--num-classes", "--na-value", "--width", "--threads",
        "--batch-size", "--shuffle", "--seed", "--epochs", "--prefetch", "--queue",
        "--chunk-size", "--on-error", "--batches"};
    int is_flag = 0, is_valued = 0;
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) is_flag |= !strcmp(name, flags[k]);
    for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) is_valued |= !strcmp(name, valued[k]);
    if (!is_flag && !is_valued) { rc = bad_usage("unknown option '%s'", name); goto out; }
    if (is_flag && val) { rc = bad_usage("option %s takes no value", name); goto out; }
    if (!is_flag && !val) {
      if (i + 1 >= argc) { rc = bad_usage("option %s needs a value", name); goto out; }
      val = argv[++i];
    }
    uint64_t u = 0;
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
      usage(stdout);
      goto out;
    } else if (!strcmp(name, "--json")) json = 1;
    else if (!strcmp(name, "--no-quote")) opt.quote = 0;
    else if (!strcmp(name, "--no-label")) opt.label_columns = "";
    else if (!strcmp(name, "--zero-based")) opt.libsvm_zero_based = 1;
    else if (!strcmp(name, "--one-based")) opt.libsvm_zero_based = 0;
    else if (!strcmp(name, "--sparse")) opt.sparse = 1;
    else if (!strcmp(name, "--drop-remainder")) opt.drop_remainder = 1;
    else if (!strcmp(name, "--format")) {
      if (!strcmp(val, "auto")) opt.format = TFCKPT_FORMAT_AUTO;
      else if (!strcmp(val, "csv")) opt.format = TFCKPT_FORMAT_CSV;
      else if (!strcmp(val, "tsv")) opt.format = TFCKPT_FORMAT_CSV, opt.delimiter = '\t';
      else if (!strcmp(val, "txt")) opt.format = TFCKPT_FORMAT_TXT;
      else if (!strcmp(val, "libsvm") || !strcmp(val, "svmlight")) opt.format = TFCKPT_FORMAT_LIBSVM;
      else { rc = bad_usage("unknown format '%s'", val); goto out; }
    } else if (!strcmp(name, "--delimiter")) {
      if (parse_char(val, &opt.delimiter)) { rc = bad_usage("delimiter must be one byte: '%s'", val); goto out; }
    } else if (!strcmp(name, "--quote")) {
      if (parse_char(val, &opt.quote)) { rc = bad_usage("quote must be one byte: '%s'", val); goto out; }
    } else if (!strcmp(name, "--comment")) {
      if (parse_char(val, &opt.comment)) { rc = bad_usage("comment must be one byte: '%s'", val); goto out; }
    } else if (!strcmp(name, "--header")) {
      if (!strcmp(val, "auto")) opt.header = TFCKPT_HEADER_AUTO;
      else if (!strcmp(val, "yes") || !strcmp(val, "names")) opt.header = TFCKPT_HEADER_NAMES;
      else if (!strcmp(val, "no") || !strcmp(val, "none")) opt.header = TFCKPT_HEADER_NONE;
      else if (!strcmp(val, "sklearn")) opt.header = TFCKPT_HEADER_SKLEARN;
      else { rc = bad_usage("unknown header mode '%s'", val); goto out; }
    } else if (!strcmp(name, "--label")) opt.label_columns = val;
    else if (!strcmp(name, "--columns")) opt.feature_columns = val;
    else if (!strcmp(name, "--label-type")) {
      if (!strcmp(val, "auto")) opt.label_dtype = TFCKPT_INVALID;
      else if (!strcmp(val, "int") || !strcmp(val, "int32")) opt.label_dtype = TFCKPT_INT32;
      else if (!strcmp(val, "float") || !strcmp(val, "float32")) opt.label_dtype = TFCKPT_FLOAT;
      else { rc = bad_usage("unknown label type '%s'", val); goto out; }
    } else if (!strcmp(name, "--na-value")) {
      if (na.len) tfckpt__buf_append_byte(&na, ',');
      tfckpt__buf_append_str(&na, val);
      if (!tfckpt__buf_cstr(&na)) { rc = bad_usage("%s", "out of memory"); goto out; }
    } else if (!strcmp(name, "--on-error")) {
      if (!strcmp(val, "fail")) opt.on_error = TFCKPT_ON_ERROR_FAIL;
      else if (!strcmp(val, "skip")) opt.on_error = TFCKPT_ON_ERROR_SKIP;
      else { rc = bad_usage("--on-error must be fail or skip, not '%s'", val); goto out; }
    } else {
      if (parse_u64(val, &u)) { rc = bad_usage("'%s' is not a non-negative integer", val); goto out; }
      if (!strcmp(name, "--skip")) opt.skip_lines = (size_t)u;
      else if (!strcmp(name, "--num-classes")) opt.num_classes = (int64_t)u;
      else if (!strcmp(name, "--width")) opt.libsvm_width = (size_t)u;
      else if (!strcmp(name, "--threads")) opt.num_threads = (size_t)u;
      else if (!strcmp(name, "--batch-size")) opt.batch_size = (size_t)u;
      else if (!strcmp(name, "--shuffle")) opt.shuffle_buffer = (size_t)u;
      else if (!strcmp(name, "--seed")) opt.seed = u;
      else if (!strcmp(name, "--epochs")) opt.num_epochs = u, epochs_set = 1;
      else if (!strcmp(name, "--prefetch")) opt.prefetch = (size_t)u;
      else if (!strcmp(name, "--queue")) opt.queue_chunks = (size_t)u;
      else if (!strcmp(name, "--chunk-size")) opt.chunk_bytes = (size_t)u;
      else if (!strcmp(name, "--batches")) nbatches = u;
      else { rc = bad_usage("unknown option '%s'", name); goto out; }
    }
  }
  if (!nfiles) { rc = bad_usage("%s", "no input files"); goto out; }
  (void)epochs_set;
  opt.paths = files;
  opt.npaths = nfiles;
  opt.na_values = (const char *)na.data; /* NUL-terminated by tfckpt__buf_cstr */

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
  tfckpt__buf_free(&na);
  return rc;
}
