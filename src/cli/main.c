/* SPDX-License-Identifier: MIT */
/*
 * slipway: the update client. Everything lives in libslipway; this file
 * only hands the command line to the command frame.
 */
#include "cli.h"

int
main(int argc, char **argv)
{
    return sw_cli_main(argc, argv);
}
