/* One subcommand per file src/cli/cmd_<name>.c, each defining the
 * cli_command that describes it (options, help) and runs it; argv[0] is the
 * subcommand name, the return value the exit status. */
#ifndef TFCKPT_CLI_COMMANDS_H
#define TFCKPT_CLI_COMMANDS_H

#include "cli/cli_opts.h"

extern const cli_command cli_cmd_ls;
extern const cli_command cli_cmd_show;
extern const cli_command cli_cmd_dump;
extern const cli_command cli_cmd_tree;
extern const cli_command cli_cmd_stats;
extern const cli_command cli_cmd_verify;
extern const cli_command cli_cmd_data;
extern const cli_command cli_cmd_rewrite;
extern const cli_command cli_cmd_rename;
extern const cli_command cli_cmd_rm;
extern const cli_command cli_cmd_cast;
extern const cli_command cli_cmd_average;
extern const cli_command cli_cmd_merge;
extern const cli_command cli_cmd_graph;
extern const cli_command cli_cmd_check;
extern const cli_command cli_cmd_history;
extern const cli_command cli_cmd_export;
extern const cli_command cli_cmd_import;
extern const cli_command cli_cmd_diff;
extern const cli_command cli_cmd_set;
extern const cli_command cli_cmd_train;
extern const cli_command cli_cmd_evaluate;
extern const cli_command cli_cmd_predict;
/* more commands: add the declaration here and a line in commands.c */

#endif
