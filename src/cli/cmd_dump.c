#include "cli/cli_util.h"
#include "cli/commands.h"
int cmd_dump(int argc, char **argv) { (void)argc; (void)argv; cli_error("dump", "not implemented"); return 1; }
