/* One function per subcommand, each in its own file src/cli/cmd_<name>.c.
 * argv[0] is the subcommand name; the return value is the exit status. */
#ifndef TFCKPT_CLI_COMMANDS_H
#define TFCKPT_CLI_COMMANDS_H

typedef struct cli_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} cli_command;

int cmd_ls(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_tree(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_rewrite(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_cast(int argc, char **argv);
int cmd_average(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_predict(int argc, char **argv);
/* more commands: add the declaration here and a line in main.c's table */

#endif
