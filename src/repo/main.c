/* SPDX-License-Identifier: MIT */
/*
 * slipway-repo: the publisher's tool. Everything lives in libslipway; this
 * file only hands the command line to the command frame.
 */
#include "repo.h"

int
main(int argc, char **argv)
{
    return sw_repo_main(argc, argv);
}
