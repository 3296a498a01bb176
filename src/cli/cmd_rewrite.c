/* tfckpt rewrite: read a checkpoint and write the same tensors again. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/edit_util.h"

static const cli_opt rewrite_args[] = {
    {"IN", NULL, NULL, "the checkpoint to read", 0},
    {"OUT", NULL, NULL, "the prefix to write (left out with --in-place)", 0},
    {0},
};

static int cmd_rewrite(int argc, char **argv) {
  const char *pos[2] = {NULL, NULL};
  int npos = 0;
  edit_opts o = {0};
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_rewrite, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) return EXIT_OK;
    if (k == CLI_ERROR) return EXIT_USAGE;
    if (k == CLI_ARG) pos[npos++] = p.value;
    else if (edit_apply_common(&p, &o) < 0) return EXIT_USAGE;
  }
  if (npos == 1 && o.in_place) pos[npos++] = pos[0];
  if (npos != 2) {
    cli_print_usage(stderr, &cli_cmd_rewrite);
    return EXIT_USAGE;
  }
  tfckpt_reader *r = cli_open("rewrite", pos[0]);
  if (!r) return EXIT_FAIL;
  const char *out = o.in_place ? tfckpt_reader_prefix(r) : pos[1];
  if (edit_check_output("rewrite", out, tfckpt_reader_prefix(r), &o)) {
    tfckpt_reader_close(r);
    return EXIT_FAIL;
  }
  int nshards = tfckpt_reader_num_shards(r);
  tfckpt_writer *w = edit_open_writer("rewrite", out, nshards, &o);
  if (!w) {
    tfckpt_reader_close(r);
    return EXIT_FAIL;
  }
  int64_t nvars = 0, bytes = 0;
  int shards = o.shards ? o.shards : (nshards > 0 ? nshards : 1);
  int rc = edit_copy("rewrite", r, w, shards, NULL, NULL, NULL, &nvars, &bytes);
  if (rc) {
    tfckpt_writer_close(w);
    tfckpt_reader_close(r);
    return EXIT_FAIL;
  }
  rc = edit_finish("rewrite", w);
  if (rc == EXIT_OK && !o.quiet) {
    char hb[32];
    fprintf(stderr, "rewrite: %lld variables (%s) written to %s\n", (long long)nvars,
            cli_bytes_str(hb, sizeof hb, (double)bytes), out);
  }
  tfckpt_reader_close(r);
  return rc;
}

const cli_command cli_cmd_rewrite = {
    .name = "rewrite",
    .run = cmd_rewrite,
    .summary = "read a checkpoint and write the same tensors again (byte-exact)",
    .usage = "IN OUT [options]",
    .about = "Reads every tensor of checkpoint IN (CRC checked) and writes them again as a\n"
             "V2 checkpoint with prefix OUT, keeping the data-file layout: each tensor goes\n"
             "to its original data file in its original order.  For a checkpoint written by\n"
             "TensorFlow's bundle writer the output .index and .data-* files are then\n"
             "byte-identical to the input (snappy-compressed index blocks, which TF's own\n"
             "writer never produces, come out uncompressed).  A legacy V1 input is converted\n"
             "to V2.  Files appear atomically (temporary names, fsync, rename).\n",
    .args = rewrite_args,
    .groups = {{EDIT_OPTS_TITLE, edit_common_opts}},
};
