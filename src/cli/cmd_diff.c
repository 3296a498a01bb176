/* tfckpt diff: what differs between two checkpoints. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"

static const cli_opt diff_args[] = {
    {"A", NULL, NULL, "the first checkpoint", 0},
    {"B", NULL, NULL, "the second checkpoint", 0},
    {0},
};

static const cli_opt diff_opts[] = {
    CLI_OPT_JSON("one JSON object instead of text"),
    {"--verbose", "-v", NULL, "also list identical variables", 0},
    CLI_OPT_ALL("also compare the TF2 object graph tensor"),
    {0},
};

#define OBJECT_GRAPH_KEY "_CHECKPOINTABLE_OBJECT_GRAPH"

typedef struct cmp {
  int identical;
  int64_t differing, nan_mismatch;
  double max_abs;
} cmp;

static int is_complex(int dt) { return dt == TFCKPT_COMPLEX64 || dt == TFCKPT_COMPLEX128; }

static void elem_complex(const tfckpt_tensor *t, int64_t i, double *re, double *im) {
  const uint8_t *p = tfckpt_tensor_data(t);
  if (tfckpt_tensor_dtype(t) == TFCKPT_COMPLEX64) {
    float f[2];
    memcpy(f, p + 8 * i, 8);
    *re = f[0];
    *im = f[1];
  } else {
    double d[2];
    memcpy(d, p + 16 * i, 16);
    *re = d[0];
    *im = d[1];
  }
}

static void compare(const tfckpt_tensor *a, const tfckpt_tensor *b, cmp *c) {
  memset(c, 0, sizeof *c);
  int dt = tfckpt_tensor_dtype(a);
  int64_t n = tfckpt_tensor_num_elements(a);
  size_t es = tfckpt_dtype_size(dt);
  if (!es) { /* strings / variants: element bytes */
    for (int64_t i = 0; i < n; i++) {
      const uint8_t *x, *y;
      size_t lx, ly;
      tfckpt_tensor_get_string(a, i, &x, &lx);
      tfckpt_tensor_get_string(b, i, &y, &ly);
      if (lx != ly || (lx && memcmp(x, y, lx))) c->differing++;
    }
    c->identical = c->differing == 0;
    return;
  }
  const uint8_t *pa = tfckpt_tensor_data(a), *pb = tfckpt_tensor_data(b);
  size_t nb = tfckpt_tensor_nbytes(a);
  if (nb == 0 || !memcmp(pa, pb, nb)) {
    c->identical = 1;
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    if (!memcmp(pa + (size_t)i * es, pb + (size_t)i * es, es)) continue;
    c->differing++;
    double d;
    if (is_complex(dt)) {
      double ar, ai, br, bi;
      elem_complex(a, i, &ar, &ai);
      elem_complex(b, i, &br, &bi);
      int na = isnan(ar) || isnan(ai), nb2 = isnan(br) || isnan(bi);
      if (na || nb2) {
        if (na != nb2) c->nan_mismatch++;
        continue;
      }
      d = hypot(ar - br, ai - bi);
    } else {
      double x = tfckpt_tensor_get_double(a, i), y = tfckpt_tensor_get_double(b, i);
      if (isnan(x) || isnan(y)) {
        if (isnan(x) != isnan(y)) c->nan_mismatch++;
        continue;
      }
      d = x == y ? 0 : fabs(x - y); /* inf == inf: no difference */
    }
    if (d > c->max_abs || isnan(d)) c->max_abs = isnan(d) ? INFINITY : d;
  }
}

/* An infinite difference (inf against a finite value, or NaN) is the
 * string "inf", as diff has always printed it; JSON has no infinity. */
static void json_num(double v) {
  if (isinf(v)) fputs("\"inf\"", stdout);
  else tfckpt__json_fput_f64(stdout, v);
}

static void shape_json(int rank, const int64_t *dims) {
  putchar('[');
  for (int d = 0; d < rank; d++) printf("%s%lld", d ? ", " : "", (long long)dims[d]);
  putchar(']');
}

static int cmd_diff(int argc, char **argv) {
  const char *pa = NULL, *pb = NULL;
  int json = 0, verbose = 0, all = 0;
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_diff, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) return EXIT_OK;
    if (k == CLI_ERROR) return EXIT_USAGE;
    if (k == CLI_ARG && !pa) pa = p.value;
    else if (k == CLI_ARG) pb = p.value;
    else if (cli_is(&p, "--json")) json = 1;
    else if (cli_is(&p, "--verbose")) verbose = 1;
    else if (cli_is(&p, "--all")) all = 1;
  }
  if (!pa || !pb) {
    cli_print_usage(stderr, &cli_cmd_diff);
    return EXIT_USAGE;
  }
  tfckpt_reader *ra = cli_open("diff", pa);
  if (!ra) return EXIT_USAGE;
  tfckpt_reader *rb = cli_open("diff", pb);
  if (!rb) {
    tfckpt_reader_close(ra);
    return EXIT_USAGE;
  }
  int64_t na = tfckpt_reader_num_variables(ra), nb = tfckpt_reader_num_variables(rb);
  /* Pass 1 (names/dtypes/shapes) and pass 2 (values) in one merge walk; the
   * JSON object is assembled in sections, so collect section membership first. */
  enum { ONLY_A, ONLY_B, CHANGED, VALUES };
  int64_t count[4] = {0}, n_identical = 0, n_different = 0;
  int status = EXIT_OK, error = 0;
  for (int pass = 0; pass < 4 && !error; pass++) {
    if (json) {
      static const char *keys[] = {"only_in_a", "only_in_b", "changed", "tensors"};
      printf(pass ? "],\n \"%s\": [" : "{\"a\": ", keys[pass]);
      if (!pass) {
        tfckpt__json_fput_str(stdout, pa, strlen(pa));
        fputs(", \"b\": ", stdout);
        tfckpt__json_fput_str(stdout, pb, strlen(pb));
        printf(",\n \"%s\": [", keys[0]);
      }
    }
    int64_t i = 0, j = 0, k = 0;
    while (i < na || j < nb) {
      tfckpt_var_info va, vb;
      int c;
      if (i < na) tfckpt_reader_var(ra, i, &va);
      if (j < nb) tfckpt_reader_var(rb, j, &vb);
      if (i >= na) c = 1;
      else if (j >= nb) c = -1;
      else c = strcmp(va.name, vb.name);
      const tfckpt_var_info *v = c <= 0 ? &va : &vb;
      int skip = !all && !strcmp(v->name, OBJECT_GRAPH_KEY);
      if (c < 0) {
        i++;
        if (skip || pass != ONLY_A) continue;
      } else if (c > 0) {
        j++;
        if (skip || pass != ONLY_B) continue;
      } else {
        i++;
        j++;
      }
      if (skip) continue;
      if (c != 0) {
        count[pass]++;
        char sh[256];
        if (json) {
          fputs(k++ ? ",\n  {\"name\": " : "\n  {\"name\": ", stdout);
          tfckpt__json_fput_str(stdout, v->name, strlen(v->name));
          printf(", \"dtype\": \"%s\", \"shape\": ", tfckpt_dtype_name(v->dtype));
          shape_json(v->rank, v->dims);
          putchar('}');
        } else {
          printf("only in %s: %s  %s %s\n", c < 0 ? "A" : "B", v->name, tfckpt_dtype_name(v->dtype),
                 cli_shape_str(sh, sizeof sh, v->rank, v->dims));
        }
        continue;
      }
      int same_shape = va.rank == vb.rank &&
                       (!va.rank || !memcmp(va.dims, vb.dims, (size_t)va.rank * sizeof *va.dims));
      int changed = va.dtype != vb.dtype || !same_shape;
      if (pass == CHANGED && changed) {
        count[pass]++;
        char s1[256], s2[256];
        cli_shape_str(s1, sizeof s1, va.rank, va.dims);
        cli_shape_str(s2, sizeof s2, vb.rank, vb.dims);
        if (json) {
          fputs(k++ ? ",\n  {\"name\": " : "\n  {\"name\": ", stdout);
          tfckpt__json_fput_str(stdout, va.name, strlen(va.name));
          printf(", \"dtype_a\": \"%s\", \"dtype_b\": \"%s\", \"shape_a\": ",
                 tfckpt_dtype_name(va.dtype), tfckpt_dtype_name(vb.dtype));
          shape_json(va.rank, va.dims);
          fputs(", \"shape_b\": ", stdout);
          shape_json(vb.rank, vb.dims);
          putchar('}');
        } else if (va.dtype != vb.dtype) {
          printf("dtype changed: %s  %s %s -> %s %s\n", va.name, tfckpt_dtype_name(va.dtype), s1,
                 tfckpt_dtype_name(vb.dtype), s2);
        } else {
          printf("shape changed: %s  %s -> %s\n", va.name, s1, s2);
        }
      }
      if (pass != VALUES || changed) continue;
      tfckpt_tensor *ta = NULL, *tb = NULL;
      if (tfckpt_reader_get_tensor_at(ra, i - 1, &ta) != TFCKPT_OK) {
        fflush(stdout);
        cli_error("diff", "%s", tfckpt_reader_errmsg(ra));
        error = 1;
        break;
      }
      if (tfckpt_reader_get_tensor_at(rb, j - 1, &tb) != TFCKPT_OK) {
        fflush(stdout);
        cli_error("diff", "%s", tfckpt_reader_errmsg(rb));
        tfckpt_tensor_free(ta);
        error = 1;
        break;
      }
      cmp r;
      compare(ta, tb, &r);
      tfckpt_tensor_free(ta);
      tfckpt_tensor_free(tb);
      count[pass]++;
      if (r.identical) n_identical++;
      else n_different++;
      int numeric = tfckpt_dtype_size(va.dtype) != 0;
      if (json) {
        fputs(k++ ? ",\n  {\"name\": " : "\n  {\"name\": ", stdout);
        tfckpt__json_fput_str(stdout, va.name, strlen(va.name));
        printf(", \"dtype\": \"%s\", \"identical\": %s, \"differing_elements\": %lld",
               tfckpt_dtype_name(va.dtype), r.identical ? "true" : "false",
               (long long)r.differing);
        if (numeric) {
          fputs(", \"max_abs_diff\": ", stdout);
          json_num(r.max_abs);
          printf(", \"nan_mismatches\": %lld", (long long)r.nan_mismatch);
        }
        putchar('}');
      } else if (!r.identical) {
        printf("values differ: %s  %lld of %lld elements", va.name, (long long)r.differing,
               (long long)va.num_elements);
        if (numeric) printf(", max abs diff %.9g", r.max_abs);
        if (r.nan_mismatch) printf(", %lld NaN on one side only", (long long)r.nan_mismatch);
        putchar('\n');
      } else if (verbose) {
        printf("identical: %s\n", va.name);
      }
    }
  }
  int differ = count[ONLY_A] || count[ONLY_B] || count[CHANGED] || n_different;
  if (error) {
    status = EXIT_USAGE;
    if (json) fputs("]}\n", stdout);
  } else {
    status = differ ? EXIT_FAIL : EXIT_OK;
    if (json) {
      printf("],\n \"identical\": %s, \"summary\": {\"only_in_a\": %lld, \"only_in_b\": %lld, "
             "\"changed\": %lld, \"compared\": %lld, \"identical\": %lld, \"different\": %lld}}\n",
             differ ? "false" : "true", (long long)count[ONLY_A], (long long)count[ONLY_B],
             (long long)count[CHANGED], (long long)count[VALUES], (long long)n_identical,
             (long long)n_different);
    } else {
      printf("%s: %lld compared (%lld identical, %lld different), %lld dtype/shape changed, "
             "%lld only in A, %lld only in B\n",
             differ ? "different" : "identical", (long long)count[VALUES],
             (long long)n_identical, (long long)n_different, (long long)count[CHANGED],
             (long long)count[ONLY_A], (long long)count[ONLY_B]);
    }
  }
  tfckpt_reader_close(ra);
  tfckpt_reader_close(rb);
  return status;
}

const cli_command cli_cmd_diff = {
    .name = "diff",
    .run = cmd_diff,
    .summary = "compare two checkpoints (exit 0 identical, 1 different)",
    .usage = "A B [options]",
    .about = "Compares two checkpoints: variables only in A, only in B, dtype or shape\n"
             "changes, and for common variables whether the values are identical (byte for\n"
             "byte) and, if not, the largest absolute difference (computed in float64;\n"
             "complex: modulus of the difference), how many elements differ and how many\n"
             "positions hold NaN on one side only.  Partitioned variables are compared whole.\n"
             "\n"
             "Exit status: 0 identical, 1 different, 2 usage error or unreadable input.\n",
    .args = diff_args,
    .groups = {{NULL, diff_opts}},
};
