/* SPDX-License-Identifier: MIT */
/*
 * Benchmark driver for the hook runner (tests/bench/hooks.sh): discovers the
 * pre-promote hooks of DIR once, then runs them all with sw_hook_run_phase()
 * ROUNDS times and prints the wall-clock milliseconds of each round on its
 * own line, so process start-up is not counted. Not installed.
 *
 *   hook-bench DIR ROUNDS [--no-cgroup]
 *
 * Every hook must pass; otherwise it says which and exits 1. Usage errors
 * exit 2.
 */
#include <slipway/hook.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_hook_list *list = NULL;
    struct sw_hook_params params;
    struct sw_strlist dirs;
    char *dirv[1];
    long rounds;

    if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--no-cgroup"))) {
        fprintf(stderr, "usage: hook-bench DIR ROUNDS [--no-cgroup]\n");
        return 2;
    }
    rounds = strtol(argv[2], NULL, 10);
    if (rounds < 1 || rounds > 1000) {
        fprintf(stderr, "hook-bench: ROUNDS must be 1 to 1000\n");
        return 2;
    }
    dirv[0] = argv[1];
    dirs.v = dirv;
    dirs.n = 1;
    sw_hook_params_init(&params, NULL);
    params.no_cgroup = argc == 4;
    if (sw_hook_discover(&dirs, SW_HOOK_PHASE_PRE_PROMOTE, &list, &err) < 0) {
        fprintf(stderr, "hook-bench: error: %s\n", err.msg);
        return 1;
    }
    for (long r = 0; r < rounds; r++) {
        struct sw_hook_results *res = NULL;
        double t0 = now_ms(), t1;
        if (sw_hook_run_phase(list, NULL, NULL, &params, &res, &err) < 0) {
            fprintf(stderr, "hook-bench: error: %s\n", err.msg);
            sw_hook_list_free(list);
            return 1;
        }
        t1 = now_ms();
        for (size_t i = 0; i < res->n; i++)
            if (res->v[i].status != SW_HOOK_PASS) {
                fprintf(stderr, "hook-bench: %s: %s\n", res->v[i].name,
                        res->v[i].reason ? res->v[i].reason : "did not pass");
                sw_hook_results_free(res);
                sw_hook_list_free(list);
                return 1;
            }
        printf("%.3f %s\n", t1 - t0,
               res->n ? sw_hook_containment_to_string(res->v[0].containment) : "none");
        fflush(stdout);
        sw_hook_results_free(res);
    }
    sw_hook_list_free(list);
    return 0;
}
