/* tfckpt: dispatch to one subcommand. */
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

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *name = argv[1];
  if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(name, "--version") || !strcmp(name, "version")) {
    printf("tfckpt %s\n", TFCKPT_VERSION_STRING);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(name, commands[i].name)) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "tfckpt: unknown command '%s'\n\n", name);
  usage(stderr);
  return 2;
}
