/* tfckpt: dispatch to one subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "tfckpt/tfckpt.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: tfckpt <command> [options] ...\n"
          "\n"
          "A checkpoint can be given as a prefix (model.ckpt-1000), its .index or\n"
          ".data-* file, a training directory with a `checkpoint` file, a SavedModel\n"
          "directory, or a legacy V1 checkpoint file.\n"
          "\n"
          "commands:\n");
  for (int i = 0; i < cli_num_commands; i++)
    fprintf(out, "  %-10s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
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
  for (int i = 0; i < cli_num_commands; i++)
    if (!strcmp(name, cli_commands[i]->name)) return cli_commands[i]->run(argc - 1, argv + 1);
  fprintf(stderr, "tfckpt: unknown command '%s'\n\n", name);
  usage(stderr);
  return 2;
}
