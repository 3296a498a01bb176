#include "cli/cli_util.h"
#include "cli/commands.h"
int cmd_verify(int argc, char **argv) { (void)argc; (void)argv; cli_error("verify", "not implemented"); return 1; }
