#include "cli/cli_util.h"
#include "cli/commands.h"
int cmd_show(int argc, char **argv) { (void)argc; (void)argv; cli_error("show", "not implemented"); return 1; }
