/* tfckpt export: a checkpoint's variables to .npz, a .npy directory or
 * .safetensors, one tensor at a time. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_paths.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfckpt/convert.h"

static const cli_opt export_args[] = {CLI_ARG_CHECKPOINT, {0}};

static const cli_opt export_opts[] = {
    {"--format", NULL, "npz|npy|safetensors", "the output format (default: from OUT's extension)", 0},
    {"--output", "-o", "OUT", "the file or directory to write (required)", 0},
    {"--bf16-as", NULL, "float32",
     "write bfloat16 variables as float32 (numpy has no bfloat16; without this they are "
     "an error for npy/npz)", 0},
    {"--skip-unsupported", NULL, NULL,
     "leave out variables the format cannot hold (strings, ...) and list them on stderr, "
     "instead of failing", 0},
    CLI_OPT_FILTER("export only variables whose name matches (POSIX extended)"),
    {"--compress", NULL, "LEVEL", "npz: deflate members (level 1-9, default 6)", CLI_OPT_OPTIONAL},
    {"--zip64", NULL, NULL,
     "npz: always write zip64 records (they are used anyway when a member or the file "
     "passes 4 GiB)", 0},
    {"--metadata", NULL, "K=V", "safetensors: add a __metadata__ pair", CLI_OPT_REPEAT},
    CLI_OPT_ALL("also export the TF2 object graph tensor"),
    CLI_OPT_QUIET("no summary line"),
    {0},
};

#define OBJECT_GRAPH_KEY "_CHECKPOINTABLE_OBJECT_GRAPH"
#define MAX_META 64

static int ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && !strcmp(s + a - b, suf);
}

static int cmd_export(int argc, char **argv) {
  const char *path = NULL, *outp = NULL, *fmt = NULL, *filter = NULL;
  const char *meta[2 * MAX_META];
  char *meta_buf[MAX_META];
  int nmeta = 0, skip = 0, all = 0, quiet = 0, status = EXIT_USAGE;
  tfckpt_arrays_options o;
  tfckpt_arrays_options_init(&o);
  regex_t fre;
  int have_re = 0;
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_export, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    const char *val = p.value;
    if (k == CLI_HELP) status = EXIT_OK;
    if (k == CLI_HELP || k == CLI_ERROR) goto out;
    if (k == CLI_ARG) {
      path = val;
    } else if (cli_is(&p, "--format")) {
      fmt = val;
    } else if (cli_is(&p, "--output")) {
      outp = val;
    } else if (cli_is(&p, "--bf16-as")) {
      if (strcmp(val, "float32")) {
        cli_error("export", "--bf16-as takes float32, not \"%s\"", val);
        goto out;
      }
      o.bf16_as_float32 = 1;
    } else if (cli_is(&p, "--filter")) {
      filter = val;
    } else if (cli_is(&p, "--compress")) {
      long long lv = 6;
      if (val && cli_value_int(&p, 1, 9, &lv)) goto out;
      o.compress = (int)lv;
    } else if (cli_is(&p, "--metadata")) {
      const char *eq = strchr(val, '=');
      if (!eq || eq == val || nmeta == MAX_META) {
        cli_error("export", "--metadata takes KEY=VALUE (at most %d)", MAX_META);
        goto out;
      }
      meta_buf[nmeta] = strndup(val, (size_t)(eq - val));
      meta[2 * nmeta] = meta_buf[nmeta];
      meta[2 * nmeta + 1] = eq + 1;
      nmeta++;
    } else if (cli_is(&p, "--zip64")) {
      o.force_zip64 = 1;
    } else if (cli_is(&p, "--skip-unsupported")) {
      skip = 1;
    } else if (cli_is(&p, "--all")) {
      all = 1;
    } else if (cli_is(&p, "--quiet")) {
      quiet = 1;
    }
  }
  if (!path || !outp) {
    cli_print_usage(stderr, &cli_cmd_export);
    goto out;
  }
  int format;
  if (!fmt) fmt = ends_with(outp, ".npz") ? "npz" : ends_with(outp, ".safetensors") ? "safetensors" : "npy";
  if (!strcmp(fmt, "npz")) format = TFCKPT_ARRAYS_NPZ;
  else if (!strcmp(fmt, "npy")) format = TFCKPT_ARRAYS_NPY_DIR;
  else if (!strcmp(fmt, "safetensors")) format = TFCKPT_ARRAYS_SAFETENSORS;
  else {
    cli_error("export", "--format takes npz, npy or safetensors, not \"%s\"", fmt);
    goto out;
  }
  if ((o.compress || o.force_zip64) && format != TFCKPT_ARRAYS_NPZ) {
    cli_error("export", "--compress and --zip64 only apply to --format npz");
    goto out;
  }
  if (nmeta && format != TFCKPT_ARRAYS_SAFETENSORS) {
    cli_error("export", "--metadata only applies to --format safetensors");
    goto out;
  }
  if (filter) {
    if (regcomp(&fre, filter, REG_EXTENDED | REG_NOSUB)) {
      cli_error("export", "bad --filter regular expression \"%s\"", filter);
      goto out;
    }
    have_re = 1;
  }

  status = EXIT_FAIL;
  tfckpt_reader *r = cli_open("export", path);
  if (!r) goto out;
  int64_t n = tfckpt_reader_num_variables(r);
  char *use = calloc((size_t)(n ? n : 1), 1);
  tfckpt_arrays_writer *w = NULL;
  if (!use) {
    cli_error("export", "out of memory");
    goto done;
  }
  /* Decide everything before writing a byte, so that an unsupported dtype
   * fails without any output. */
  int64_t nuse = 0, nskip = 0, bad = 0;
  long long bytes = 0;
  for (int64_t i = 0; i < n; i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    if (!all && !strcmp(v.name, OBJECT_GRAPH_KEY)) continue;
    if (have_re && regexec(&fre, v.name, 0, NULL, 0) != 0) continue;
    const char *why;
    if (!tfckpt_arrays_supports(format, v.dtype, &o, &why)) {
      if (skip) {
        fprintf(stderr, "tfckpt export: skipped %s (%s): %s\n", v.name, tfckpt_dtype_name(v.dtype),
                why);
        nskip++;
      } else {
        cli_error("export", "%s: %s variable: %s%s", v.name, tfckpt_dtype_name(v.dtype), why,
                  bad ? "" : " (--skip-unsupported leaves such variables out)");
        bad++;
      }
      continue;
    }
    use[i] = 1;
    nuse++;
  }
  if (bad) goto done;
  if (cli_refuse_input_file("export", outp, r)) goto done;
  if (tfckpt_arrays_writer_open(outp, format, &o, &w) != TFCKPT_OK) {
    cli_error("export", "%s", tfckpt_arrays_writer_errmsg(w));
    goto done;
  }
  for (int k = 0; k < nmeta; k++)
    if (tfckpt_arrays_writer_set_metadata(w, meta[2 * k], meta[2 * k + 1])) {
      cli_error("export", "%s", tfckpt_arrays_writer_errmsg(w));
      goto done;
    }
  if (format == TFCKPT_ARRAYS_SAFETENSORS)
    for (int64_t i = 0; i < n; i++) {
      if (!use[i]) continue;
      tfckpt_var_info v;
      tfckpt_reader_var(r, i, &v);
      if (tfckpt_arrays_writer_declare(w, v.name, v.dtype, v.rank, v.dims)) {
        cli_error("export", "%s", tfckpt_arrays_writer_errmsg(w));
        goto done;
      }
    }
  cli_progress prog;
  cli_progress_start(&prog, "export", (double)nuse);
  int64_t done_n = 0;
  for (int64_t i = 0; i < n; i++) {
    if (!use[i]) continue;
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    tfckpt_tensor *t;
    if (tfckpt_reader_get_tensor_at(r, i, &t) != TFCKPT_OK) {
      cli_progress_end(&prog);
      cli_error("export", "%s", tfckpt_reader_errmsg(r));
      goto done;
    }
    int rc = tfckpt_arrays_writer_add(w, v.name, t);
    tfckpt_tensor_free(t);
    if (rc) {
      cli_progress_end(&prog);
      cli_error("export", "%s", tfckpt_arrays_writer_errmsg(w));
      goto done;
    }
    bytes += v.nbytes;
    cli_progress_update(&prog, (double)++done_n);
  }
  cli_progress_end(&prog);
  if (tfckpt_arrays_writer_finish(w) != TFCKPT_OK) {
    cli_error("export", "%s", tfckpt_arrays_writer_errmsg(w));
    goto done;
  }
  if (!quiet) {
    char hb[32];
    printf("exported %lld variables (%s) to %s (%s)", (long long)nuse,
           cli_bytes_str(hb, sizeof hb, (double)bytes), outp, fmt);
    if (nskip) printf("; skipped %lld unsupported", (long long)nskip);
    putchar('\n');
  }
  status = EXIT_OK;
done:
  tfckpt_arrays_writer_close(w); /* removes temporaries unless finished */
  free(use);
  tfckpt_reader_close(r);
out:
  if (have_re) regfree(&fre);
  for (int k = 0; k < nmeta; k++) free(meta_buf[k]);
  return status;
}

const cli_command cli_cmd_export = {
    .name = "export",
    .run = cmd_export,
    .summary = "write variables to .npz, .npy files or .safetensors",
    .usage = "CHECKPOINT --format npz|npy|safetensors -o OUT [options]",
    .about = "Writes every variable's values to OUT:\n"
             "  npz          one .npz; member \"<name>.npy\" per variable (numpy.load opens it)\n"
             "  npy          directory OUT with <scope>/<name>.npy per variable (OUT must be new or empty)\n"
             "  safetensors  one .safetensors file (8-byte header length, JSON header, data)\n"
             "--format defaults from OUT's extension (.npz, .safetensors, else npy).\n"
             "The output appears atomically: nothing is left behind on error.\n",
    .args = export_args,
    .groups = {{NULL, export_opts}},
};
