#include "cli/cli_util.h"
#include "cli/commands.h"
int cmd_tree(int argc, char **argv) { (void)argc; (void)argv; cli_error("tree", "not implemented"); return 1; }
