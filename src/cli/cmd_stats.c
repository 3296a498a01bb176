#include "cli/cli_util.h"
#include "cli/commands.h"
int cmd_stats(int argc, char **argv) { (void)argc; (void)argv; cli_error("stats", "not implemented"); return 1; }
