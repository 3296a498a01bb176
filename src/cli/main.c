/* tfckpt: dispatch to one subcommand. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "tfckpt/tfckpt.h"

static const cli_command commands[] = {
    {"ls", cmd_ls, "list variables: name, dtype, shape, elements, bytes"},
    {"show", cmd_show, "print tensor values numpy-style"},
    {"dump", cmd_dump, "write every tensor's values to a text file"},
    {"tree", cmd_tree, "scope tree with parameter counts"},
    {"stats", cmd_stats, "min/max/mean/std/zeros/NaN/Inf per tensor"},
    {"verify", cmd_verify, "check every tensor's CRC32C (or print sha256s)"},
    {"data", cmd_data, "stream CSV/TXT/LibSVM files: schema, stats, batches"},
    {"rewrite", cmd_rewrite, "read a checkpoint and write the same tensors again (byte-exact)"},
    {"rename", cmd_rename, "rename variables by prefix or regex rules"},
    {"rm", cmd_rm, "write a copy without some variables (e.g. optimizer slots)"},
    {"cast", cmd_cast, "convert float variables to float16/bfloat16/float32"},
    {"average", cmd_average, "element-wise mean of several checkpoints"},
    {"merge", cmd_merge, "union of the variables of several checkpoints"},
    {"graph", cmd_graph, "variables and op types of a .meta file or SavedModel"},
    {"check", cmd_check, "compare a checkpoint with the graph that will restore it"},
    {"history", cmd_history, "checkpoints a `checkpoint` file records (--fix-paths)"},
    {"export", cmd_export, "write variables to .npz, .npy files or .safetensors"},
    {"import", cmd_import, "make a checkpoint from .npz, .npy or .safetensors"},
    {"diff", cmd_diff, "compare two checkpoints (exit 0 identical, 1 different)"},
    {"set", cmd_set, "copy a checkpoint with one tensor replaced or added"},
#if TFCKPT_WITH_NN /* the optional training layer (CMake TFCKPT_WITH_NN) */
    {"train", cmd_train, "train an MLP on CSV/TXT/LibSVM data into TF checkpoints"},
    {"evaluate", cmd_evaluate, "loss and accuracy/MAE of a trained model on a file"},
    {"predict", cmd_predict, "write a trained model's predictions as CSV"},
#endif
    /* new commands go above this line */
};

static void usage(FILE *out) {
  fprintf(out,
          "usage: tfckpt <command> [options] ...\n"
          "\n"
          "A checkpoint can be given as a prefix (model.ckpt-1000), its .index or\n"
          ".data-* file, a training directory with a `checkpoint` file, a SavedModel\n"
          "directory, or a legacy V1 checkpoint file.\n"
          "\n"
          "commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n'tfckpt <command> --help' describes a command's options.\n");
}

/* Results go to stdout, and a result that did not reach it is a failure:
 * `tfckpt ls > /dev/full` (or a full disk) must not exit 0.  Checked once
 * here for every command, including the final flush and close. */
static int finish_stdout(const char *cmd, int status) {
  int bad = ferror(stdout);
  int e = 0;
  if (fflush(stdout) != 0) bad = 1, e = errno;
  if (fclose(stdout) != 0 && !e) bad = 1, e = errno;
  if (!bad) return status;
  fprintf(stderr, "tfckpt %s: error writing the output: %s\n", cmd, e ? strerror(e) : "write failed");
  return status ? status : 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *name = argv[1];
  if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
    usage(stdout);
    return finish_stdout("help", 0);
  }
  if (!strcmp(name, "--version") || !strcmp(name, "version")) {
    printf("tfckpt %s\n", TFCKPT_VERSION_STRING);
    return finish_stdout("version", 0);
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(name, commands[i].name)) return finish_stdout(name, commands[i].run(argc - 1, argv + 1));
#if !TFCKPT_WITH_NN
  if (!strcmp(name, "train") || !strcmp(name, "evaluate") || !strcmp(name, "predict")) {
    fprintf(stderr, "tfckpt %s: this build has no training layer (configure with -DTFCKPT_WITH_NN=ON)\n",
            name);
    return 2;
  }
#endif
  fprintf(stderr, "tfckpt: unknown command '%s'\n\n", name);
  usage(stderr);
  return 2;
}
