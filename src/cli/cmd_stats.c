/* tfckpt stats: per-tensor min, max, mean, std, zeros, NaN and Inf counts. */
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"

static const cli_opt stats_args[] = {CLI_ARG_CHECKPOINT, {0}};

static const cli_opt stats_opts[] = {
    CLI_OPT_FILTER("only variables whose name matches (POSIX extended)"),
    CLI_OPT_JSON("print one JSON array of objects instead"),
    {0},
};

typedef struct stats {
  int64_t count, finite, zeros, nans, infs;
  double min, max, mean, m2; /* Welford's running mean and sum of squares */
} stats;

static void add(stats *s, double v) {
  s->count++;
  if (isnan(v)) {
    s->nans++;
    return;
  }
  if (isinf(v)) {
    s->infs++;
    return;
  }
  if (v == 0) s->zeros++;
  if (s->finite == 0 || v < s->min) s->min = v;
  if (s->finite == 0 || v > s->max) s->max = v;
  s->finite++;
  double d = v - s->mean;
  s->mean += d / (double)s->finite;
  s->m2 += d * (v - s->mean);
}

static void compute(const tfckpt_tensor *t, stats *s) {
  memset(s, 0, sizeof *s);
  int dt = tfckpt_tensor_dtype(t);
  int64_t n = tfckpt_tensor_num_elements(t);
  const uint8_t *p = tfckpt_tensor_data(t);
  if (dt == TFCKPT_FLOAT) {
    for (int64_t i = 0; i < n; i++) {
      float f;
      memcpy(&f, p + 4 * i, 4);
      add(s, f);
    }
  } else if (dt == TFCKPT_DOUBLE) {
    for (int64_t i = 0; i < n; i++) {
      double d;
      memcpy(&d, p + 8 * i, 8);
      add(s, d);
    }
  } else if (dt == TFCKPT_COMPLEX64) {
    for (int64_t i = 0; i < n; i++) {
      float c[2];
      memcpy(c, p + 8 * i, 8);
      add(s, hypot(c[0], c[1]));
    }
  } else if (dt == TFCKPT_COMPLEX128) {
    for (int64_t i = 0; i < n; i++) {
      double c[2];
      memcpy(c, p + 16 * i, 16);
      add(s, hypot(c[0], c[1]));
    }
  } else {
    for (int64_t i = 0; i < n; i++) add(s, tfckpt_tensor_get_double(t, i));
  }
}

static void json_num(double v) { tfckpt__json_fput_f64(stdout, v); }

static int cmd_stats(int argc, char **argv) {
  const char *path = NULL, *filter = NULL;
  int json = 0;
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_stats, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) return EXIT_OK;
    if (k == CLI_ERROR) return EXIT_USAGE;
    if (k == CLI_ARG) path = p.value;
    else if (cli_is(&p, "--filter")) filter = p.value;
    else if (cli_is(&p, "--json")) json = 1;
  }
  if (!path) {
    cli_print_usage(stderr, &cli_cmd_stats);
    return EXIT_USAGE;
  }
  regex_t fre;
  if (filter && regcomp(&fre, filter, REG_EXTENDED | REG_NOSUB)) {
    cli_error("stats", "bad --filter regular expression \"%s\"", filter);
    return EXIT_USAGE;
  }
  tfckpt_reader *r = cli_open("stats", path);
  int status = EXIT_FAIL, first = 1;
  if (!r) goto done;
  int64_t n = tfckpt_reader_num_variables(r);
  int wname = 4;
  for (int64_t i = 0; i < n; i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    int l = (int)strlen(v.name);
    if (l > wname) wname = l > 80 ? 80 : l;
  }
  if (json) fputs("[", stdout);
  else
    printf("%-*s  %-9s %13s %13s %13s %13s %10s %6s %6s\n", wname, "name", "dtype", "min", "max",
           "mean", "std", "zeros", "nan", "inf");
  for (int64_t i = 0; i < n; i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    if (filter && regexec(&fre, v.name, 0, NULL, 0) != 0) continue;
    int numeric = v.dtype != TFCKPT_STRING && v.dtype != TFCKPT_VARIANT;
    stats s;
    memset(&s, 0, sizeof s);
    if (numeric) {
      tfckpt_tensor *t;
      if (tfckpt_reader_get_tensor_at(r, i, &t) != TFCKPT_OK) {
        if (json) fputs("]\n", stdout);
        cli_error("stats", "%s", tfckpt_reader_errmsg(r));
        goto done;
      }
      compute(t, &s);
      tfckpt_tensor_free(t);
    }
    double sd = s.finite ? sqrt(s.m2 / (double)s.finite) : NAN;
    if (json) {
      fputs(first ? "\n {\"name\": " : ",\n {\"name\": ", stdout);
      first = 0;
      tfckpt__json_fput_str(stdout, v.name, strlen(v.name));
      printf(", \"dtype\": \"%s\", \"elements\": %lld", tfckpt_dtype_name(v.dtype),
             (long long)v.num_elements);
      if (numeric) {
        fputs(", \"min\": ", stdout);
        json_num(s.finite ? s.min : NAN);
        fputs(", \"max\": ", stdout);
        json_num(s.finite ? s.max : NAN);
        fputs(", \"mean\": ", stdout);
        json_num(s.finite ? s.mean : NAN);
        fputs(", \"std\": ", stdout);
        json_num(sd);
        printf(", \"zeros\": %lld, \"nan\": %lld, \"inf\": %lld", (long long)s.zeros,
               (long long)s.nans, (long long)s.infs);
      }
      fputs("}", stdout);
    } else if (!numeric || !s.finite) {
      printf("%-*s  %-9s %13s %13s %13s %13s %10lld %6lld %6lld\n", wname, v.name,
             tfckpt_dtype_name(v.dtype), "-", "-", "-", "-", (long long)s.zeros,
             (long long)s.nans, (long long)s.infs);
    } else {
      printf("%-*s  %-9s %13.6g %13.6g %13.6g %13.6g %10lld %6lld %6lld\n", wname, v.name,
             tfckpt_dtype_name(v.dtype), s.min, s.max, s.mean, sd, (long long)s.zeros,
             (long long)s.nans, (long long)s.infs);
    }
  }
  if (json) fputs(first ? "]\n" : "\n]\n", stdout);
  status = EXIT_OK;
done:
  tfckpt_reader_close(r);
  if (filter) regfree(&fre);
  return status;
}

const cli_command cli_cmd_stats = {
    .name = "stats",
    .run = cmd_stats,
    .summary = "min/max/mean/std/zeros/NaN/Inf per tensor",
    .usage = "CHECKPOINT [--filter REGEX] [--json]",
    .about = "For every numeric variable: min, max, mean, std (population), the number of\n"
             "zeros, NaNs and Infs.  NaN/Inf values are counted but left out of min, max,\n"
             "mean and std.  Complex values are summarised by their magnitude; string and\n"
             "variant tensors are listed without statistics.\n",
    .args = stats_args,
    .groups = {{NULL, stats_opts}},
};
