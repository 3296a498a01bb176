/* tfckpt: dispatch to one subcommand. */
#include <errno.h>
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
  for (int i = 0; i < cli_num_commands; i++)
    if (!strcmp(name, cli_commands[i]->name))
      return finish_stdout(name, cli_commands[i]->run(argc - 1, argv + 1));
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
