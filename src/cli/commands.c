/* The list of subcommands, shared by main.c's dispatch and the tests that
 * walk every command's option tables. */
#include "cli/commands.h"

const cli_command *const cli_commands[] = {
    &cli_cmd_ls,      &cli_cmd_show,    &cli_cmd_dump,  &cli_cmd_tree,     &cli_cmd_stats,
    &cli_cmd_verify,  &cli_cmd_data,    &cli_cmd_rewrite, &cli_cmd_rename, &cli_cmd_rm,
    &cli_cmd_cast,    &cli_cmd_average, &cli_cmd_merge, &cli_cmd_graph,    &cli_cmd_check,
    &cli_cmd_history, &cli_cmd_export,  &cli_cmd_import, &cli_cmd_diff,    &cli_cmd_set,
#if TFCKPT_WITH_NN /* the optional training layer (CMake TFCKPT_WITH_NN) */
    &cli_cmd_train,   &cli_cmd_evaluate, &cli_cmd_predict,
#endif
};

const int cli_num_commands = (int)(sizeof cli_commands / sizeof cli_commands[0]);
