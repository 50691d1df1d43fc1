/* SPDX-License-Identifier: MIT */
/*
 * Private to slipway-repo, the publisher's tool: its entry point and the
 * commands, one family per file in src/repo/.
 */
#ifndef SLIPWAY_REPO_H
#define SLIPWAY_REPO_H

int sw_repo_main(int argc, char **argv);

#endif
