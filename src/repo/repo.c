/* SPDX-License-Identifier: MIT */
/*
 * The command frame of slipway-repo. Commands arrive with the signed
 * metadata issue; until then it answers --help and --version.
 */
#include "repo.h"

#include <slipway/log.h>

#include <stdio.h>
#include <string.h>

static void
usage(FILE *f)
{
    fprintf(f, "usage: slipway-repo [OPTIONS] COMMAND [ARGS]\n"
               "\n"
               "slipway-repo makes and signs a static TUF repository for slipway clients.\n"
               "\n"
               "Options:\n"
               "  -h, --help      show this help\n"
               "      --version   print the version and exit\n");
}

int
sw_repo_main(int argc, char **argv)
{
    sw_log_init("slipway-repo");
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("slipway-repo %s\n", SW_VERSION);
        return 0;
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 2)
        sw_log_error("no command given");
    else
        sw_log_error("unknown command '%s'", argv[1]);
    usage(stderr);
    return 2;
}
