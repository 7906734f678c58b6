/*
 * cmd_analyze_child.c - `repright analyze-child`: the sandboxed process of one analysis
 * (pipeline/sandbox.h says what it may do and how it talks to its parent).
 */
#include <unistd.h>

#include "cli/commands.h"
#include "pipeline/sandbox.h"

int cmd_analyze_child(int argc, char **argv)
{
    /* _exit: under the filter, exit handlers (coverage files, leak checkers) could only fail */
    _exit(sandbox_child_main(argc, argv));
}
