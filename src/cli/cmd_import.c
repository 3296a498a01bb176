/* tfckpt import: .npz / .npy / .safetensors tensors into a new V2 checkpoint. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/edit_util.h"
#include "tfckpt/internal/file.h"
#include "tfckpt/convert.h"
#include "tfckpt/writer.h"

static const char kUsage[] =
    "usage: tfckpt import FILE.npz|FILE.safetensors|FILE.npy -o PREFIX [options]\n"
    "\n"
    "Writes every array in FILE as a variable of a new V2 checkpoint PREFIX\n"
    "(PREFIX.index + PREFIX.data-00000-of-00001), atomically.  npz members keep\n"
    "their names without \".npy\"; a single .npy becomes one variable named after\n"
    "the file (or --name).\n"
    "\n"
    "  --name NAME        variable name for a single .npy file\n"
    "  --force            replace an existing checkpoint PREFIX\n"
    "  --update-state     also make PREFIX the latest in its directory's `checkpoint` file\n"
    "  -q, --quiet        no summary line\n";

int cmd_import(int argc, char **argv) {
  const char *in = NULL, *prefix = NULL, *name = NULL;
  int force = 0, state = 0, quiet = 0;
  for (int i = 1; i < argc; i++) {
    const char *val;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      fputs(kUsage, stdout);
      return EXIT_OK;
    } else if (cli_opt_value(argc, argv, &i, "-o", &val) ||
               cli_opt_value(argc, argv, &i, "--output", &val)) {
      if (!(prefix = val)) goto missing;
    } else if (cli_opt_value(argc, argv, &i, "--name", &val)) {
      if (!(name = val)) goto missing;
    } else if (!strcmp(argv[i], "--force")) {
      force = 1;
    } else if (!strcmp(argv[i], "--update-state")) {
      state = 1;
    } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
      quiet = 1;
    } else if (cli_take_path("import", argv[i], &in)) {
      return EXIT_USAGE;
    }
    continue;
  missing:
    cli_error("import", "%s needs a value", argv[i]);
    return EXIT_USAGE;
  }
  if (!in || !prefix) {
    fputs(kUsage, stderr);
    return EXIT_USAGE;
  }
  char *index = tfckpt__strdupf("%s.index", prefix);
  if (!index) {
    cli_error("import", "out of memory");
    return EXIT_FAIL;
  }
  int exists = tfckpt__is_file(index);
  free(index);
  if (exists && !force) {
    cli_error("import", "%s.index already exists (--force replaces the checkpoint)", prefix);
    return EXIT_FAIL;
  }
  int status = EXIT_FAIL;
  tfckpt_arrays_reader *r = NULL;
  tfckpt_writer *w = NULL;
  if (tfckpt_arrays_reader_open(in, &r) != TFCKPT_OK) {
    cli_error("import", "%s", tfckpt_arrays_reader_errmsg(r));
    goto done;
  }
  int64_t n = tfckpt_arrays_reader_count(r);
  if (name && strcmp(tfckpt_arrays_reader_format(r), "npy")) {
    cli_error("import", "--name only applies to a single .npy file");
    status = EXIT_USAGE;
    goto done;
  }
  tfckpt_writer_options wo;
  tfckpt_writer_options_init(&wo);
  wo.update_state = state;
  if (tfckpt_writer_open(prefix, &wo, &w) != TFCKPT_OK) {
    cli_error("import", "%s", tfckpt_writer_errmsg(w));
    goto done;
  }
  long long bytes = 0;
  for (int64_t i = 0; i < n; i++) {
    tfckpt_tensor *t;
    if (tfckpt_arrays_reader_get(r, i, &t) != TFCKPT_OK) {
      cli_error("import", "%s", tfckpt_arrays_reader_errmsg(r));
      goto done;
    }
    const char *vn = name ? name : tfckpt_arrays_reader_name(r, i);
    int rc = tfckpt_writer_add(w, vn, t);
    bytes += (long long)tfckpt_tensor_nbytes(t);
    tfckpt_tensor_free(t);
    if (rc) {
      cli_error("import", "%s", tfckpt_writer_errmsg(w));
      goto done;
    }
  }
  if (tfckpt_writer_finish(w) != TFCKPT_OK) {
    cli_error("import", "%s", tfckpt_writer_errmsg(w));
    goto done;
  }
  edit_warnings("import", w);
  if (!quiet) {
    char hb[32];
    printf("imported %lld tensors (%s) from %s (%s) into %s\n", (long long)n,
           cli_bytes_str(hb, sizeof hb, (double)bytes), in, tfckpt_arrays_reader_format(r), prefix);
  }
  status = EXIT_OK;
done:
  tfckpt_writer_close(w); /* removes temporaries unless finished */
  tfckpt_arrays_reader_close(r);
  return status;
}
