/* SPDX-License-Identifier: MIT */
/*
 * Benchmark driver for the hook runner (tests/bench/hooks.sh): discovers the
 * pre-promote hooks of DIR once, then runs them all with sw_hook_run_phase()
 * ROUNDS times and prints the wall-clock milliseconds of each round on its
 * own line, so process start-up is not counted. With --store STATEDIR each
 * round also records the phase and one row per hook in a real store, in one
 * transaction, as `slipway check` does, inside the timed part. Not installed.
 *
 *   hook-bench DIR ROUNDS [--no-cgroup] [--store STATEDIR]
 *
 * Every hook must pass; otherwise it says which and exits 1. Usage errors
 * exit 2.
 */
#include <slipway/hook.h>
#include <slipway/store.h>

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

/* One phase row with a row per hook, as src/update.c records a phase. */
static int
store_phase(struct sw_store *st, const struct sw_hook_results *res, struct sw_error *err)
{
    struct sw_store_hook_phase row;
    struct sw_store_hook_run *runs = calloc(res->n ? res->n : 1, sizeof(*runs));
    int r;

    if (!runs)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    for (size_t i = 0; i < res->n; i++) {
        const struct sw_hook_result *x = &res->v[i];
        runs[i].hook = x->name;
        runs[i].path = x->path;
        runs[i].required = x->required;
        runs[i].attempts = x->attempts;
        runs[i].status = (char *)(uintptr_t)sw_hook_status_to_string(x->status);
        runs[i].exit_code = x->exit_code;
        runs[i].signal = x->signal;
        runs[i].duration_ms = (int64_t)x->duration_ms;
        runs[i].output = x->output;
        runs[i].output_len = x->output_len;
    }
    memset(&row, 0, sizeof(row));
    row.phase = (char *)(uintptr_t)SW_HOOK_PHASE_PRE_PROMOTE;
    row.slot_fingerprint = (char *)(uintptr_t) "bench";
    row.hooks_fingerprint = (char *)(uintptr_t) "bench";
    row.n_hooks = res->n;
    row.passed = res->required_failed == 0;
    row.reason = (char *)(uintptr_t) "bench";
    row.runs = runs;
    row.n_runs = res->n;
    r = sw_store_hook_phase_add(st, &row, NULL, err);
    free(runs);
    return r;
}

int
main(int argc, char **argv)
{
    struct sw_store *st = NULL;
    const char *store_dir = NULL;
    int no_cgroup = 0;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_hook_list *list = NULL;
    struct sw_hook_params params;
    struct sw_strlist dirs;
    char *dirv[1];
    long rounds;

    if (argc < 3) {
        fprintf(stderr, "usage: hook-bench DIR ROUNDS [--no-cgroup] [--store STATEDIR]\n");
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--no-cgroup") == 0) {
            no_cgroup = 1;
        } else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
            store_dir = argv[++i];
        } else {
            fprintf(stderr, "usage: hook-bench DIR ROUNDS [--no-cgroup] [--store STATEDIR]\n");
            return 2;
        }
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
    params.no_cgroup = no_cgroup;
    if (store_dir && sw_store_open(store_dir, SW_STORE_CREATE, &st, &err) < 0) {
        fprintf(stderr, "hook-bench: error: %s\n", err.msg);
        return 1;
    }
    if (sw_hook_discover(&dirs, SW_HOOK_PHASE_PRE_PROMOTE, &list, &err) < 0) {
        fprintf(stderr, "hook-bench: error: %s\n", err.msg);
        return 1;
    }
    for (long r = 0; r < rounds; r++) {
        struct sw_hook_results *res = NULL;
        double t0 = now_ms(), t1;
        if (sw_hook_run_phase(list, NULL, NULL, &params, &res, &err) < 0 ||
            (st && store_phase(st, res, &err) < 0)) {
            fprintf(stderr, "hook-bench: error: %s\n", err.msg);
            sw_hook_results_free(res);
            sw_hook_list_free(list);
            sw_store_close(st);
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
    sw_store_close(st);
    return 0;
}
