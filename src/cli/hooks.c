/* SPDX-License-Identifier: MIT */
/*
 * slipway hooks list: the test hooks of each phase as the runner would find
 * them (path, where from, what each overrides, masked, required, timeout).
 * slipway hooks run NAME: one hook run once by the same runner against a
 * directory, everything it printed and reported shown, its verdict as the
 * exit code. Discovery and running are the hook module's; this file picks
 * the directories and prints. Neither takes the lock nor stores anything.
 */
#include "cli.h"

#include <slipway/hook.h>
#include <slipway/text.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { OPT_HOOKS_PHASE = 1, OPT_HOOKS_SLOT_DIR, OPT_HOOKS_ACTIVE_DIR };

const struct sw_opt sw_cli_hooks_opts[] = {
    {"phase", 0, 1, OPT_HOOKS_PHASE, "PHASE",
     "only this phase (pre-promote or post-promote; list: both; run: where NAME is, "
     "pre-promote when in both)"},
    {"slot-dir", 0, 1, OPT_HOOKS_SLOT_DIR, "DIR",
     "run: the tree under test (default: the staged slot, else the active tree)"},
    {"active-dir", 0, 1, OPT_HOOKS_ACTIVE_DIR, "DIR",
     "run: the live tree the hook may compare with (default: the active tree)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const char *const phases[] = {SW_HOOK_PHASE_PRE_PROMOTE, SW_HOOK_PHASE_POST_PROMOTE};

static void
hook_settings(const struct sw_config *cfg, const struct sw_hook *h, int *ret_required,
              unsigned *ret_timeout)
{
    const struct sw_hook_config *hc = sw_config_hook(cfg, sw_hook_config_name(h->name));
    if (!hc)
        hc = sw_config_hook(cfg, h->name);
    *ret_required = hc ? hc->required : 1;
    *ret_timeout = (hc && hc->timeout) ? hc->timeout : cfg->hook_timeout;
}

static int
hooks_list(struct sw_cli *cli)
{
    const char *only = sw_cli_opt_get(cli, OPT_HOOKS_PHASE, NULL);
    json_t *ja = NULL;
    int r = 0, header = 0;

    if (only && strcmp(only, SW_HOOK_PHASE_PRE_PROMOTE) && strcmp(only, SW_HOOK_PHASE_POST_PROMOTE))
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "hooks list: unknown phase '%s' (pre-promote or post-promote)", only);
    if (cli->json && !(ja = json_array()))
        return sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
    for (size_t p = 0; p < sizeof(phases) / sizeof(phases[0]); p++) {
        struct sw_hook_list *list = NULL;
        if (only && strcmp(only, phases[p]))
            continue;
        r = sw_hook_discover(&cli->cfg->hook_dirs, phases[p], &list, &cli->err);
        if (r < 0) {
            sw_error_prefix(&cli->err, "hooks list: ");
            goto out;
        }
        for (size_t i = 0; i < list->n; i++) {
            const struct sw_hook *h = &list->v[i];
            int required;
            unsigned timeout;
            hook_settings(cli->cfg, h, &required, &timeout);
            if (ja) {
                json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:b,s:b,s:I}", "name", h->name,
                                      "phase", phases[p], "path", h->path, "origin", h->origin,
                                      "overrides", h->overrides, "masked", h->masked, "required",
                                      required, "timeout", (json_int_t)timeout);
                if (!o || json_array_append_new(ja, o) < 0) {
                    sw_hook_list_free(list);
                    r = sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
                    goto out;
                }
                continue;
            }
            if (!header++)
                printf("%-13s %-24s %-8s %-8s %7s  %s\n", "PHASE", "NAME", "STATE", "REQUIRED",
                       "TIMEOUT", "PATH");
            printf("%-13s %-24s %-8s %-8s %6us  %s\n", phases[p], h->name,
                   h->masked ? "masked" : "active", required ? "yes" : "no", timeout, h->path);
            if (h->overrides)
                printf("%-13s %-24s %-8s %-8s %7s  (overrides %s)\n", "", "", "", "", "",
                       h->overrides);
        }
        sw_hook_list_free(list);
    }
    if (ja) {
        r = sw_cli_print_json(cli, json_pack("{s:o}", "hooks", ja));
        ja = NULL;
    } else if (!header) {
        printf("no hooks found\n");
    }
out:
    json_decref(ja);
    return r;
}

/* ---- hooks run ---- */

static int
is_dir(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The default directories: the staged slot, the active one (from the store when there is one). */
struct run_dirs {
    char slot[8];
    char *version_new;
    char *version_old;
    const char *staged_dir; /* borrowed from cfg */
    const char *active_dir;
};

static const char *
slot_path(const struct sw_config *cfg, const char *name)
{
    if (!strcmp(name, "a"))
        return cfg->slot_a;
    if (!strcmp(name, "b"))
        return cfg->slot_b;
    return NULL;
}

static void
find_dirs(struct sw_cli *cli, struct run_dirs *d)
{
    struct sw_store *st = NULL;
    struct sw_store_slot *slots = NULL;
    struct sw_error ignored = SW_ERROR_INIT;
    size_t n = 0;

    if (is_dir(cli->cfg->current))
        d->active_dir = cli->cfg->current;
    /* an existing store only: hooks run creates nothing */
    if (!is_dir(cli->cfg->state_dir) || sw_store_open(cli->cfg->state_dir, 0, &st, &ignored) < 0)
        return;
    if (sw_store_slots(st, &slots, &n, &ignored) == 0) {
        for (size_t i = 0; i < n; i++) {
            const char *path = slot_path(cli->cfg, slots[i].name);
            if (!strcmp(slots[i].state, "staged") && is_dir(path)) {
                d->staged_dir = path;
                snprintf(d->slot, sizeof(d->slot), "%s", slots[i].name);
                free(d->version_new);
                d->version_new = slots[i].version ? strdup(slots[i].version) : NULL;
            } else if (!strcmp(slots[i].state, "active")) {
                if (!d->active_dir && is_dir(path))
                    d->active_dir = path;
                free(d->version_old);
                d->version_old = slots[i].version ? strdup(slots[i].version) : NULL;
            }
        }
        sw_store_slots_free(slots, n);
    }
    sw_store_close(st);
}

static int
print_escaped(const char *s, size_t len)
{
    char *buf = malloc(len * SW_TEXT_ESCAPE_MAX + 1);
    size_t n;
    if (!buf)
        return -SW_E_NOMEM;
    n = sw_text_escape_buf(buf, len * SW_TEXT_ESCAPE_MAX + 1, s, len, SW_TEXT_KEEP_NEWLINE);
    fwrite(buf, 1, n, stdout);
    if (n && buf[n - 1] != '\n')
        fputc('\n', stdout);
    free(buf);
    return 0;
}

static json_t *
result_json(const struct sw_hook_result *res, const char *phase, const char *slot_dir)
{
    json_t *o, *fa = json_array(), *ba = json_array();
    size_t cap = res->output_len * SW_TEXT_ESCAPE_MAX + 1;
    char *out = malloc(cap); /* valid UTF-8 for JSON: bytes that are not as \xNN */

    if (!fa || !ba || !out) {
        json_decref(fa);
        json_decref(ba);
        free(out);
        return NULL;
    }
    sw_text_escape_buf(out, cap, res->output ? res->output : "", res->output_len,
                       SW_TEXT_KEEP_NEWLINE);
    for (size_t i = 0; i < res->n_findings; i++)
        json_array_append_new(fa,
                              json_pack("{s:s,s:s,s:s}", "check", res->findings[i].check, "status",
                                        sw_hook_status_to_string(res->findings[i].status), "detail",
                                        res->findings[i].detail));
    for (size_t i = 0; i < res->n_bad_lines; i++)
        json_array_append_new(ba, json_string(res->bad_lines[i]));
    o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:i,s:i,s:b,s:i,s:I,s:s?,s:s,s:b,s:o,s:I,s:o,s:I}",
                  "name", res->name, "phase", phase, "path", res->path, "slot_dir", slot_dir,
                  "status", sw_hook_status_to_string(res->status), "required", res->required,
                  "exit_code", res->exit_code, "signal", res->signal, "timed_out", res->timed_out,
                  "attempts", (int)res->attempts, "duration_ms", (json_int_t)res->duration_ms,
                  "reason", res->reason, "output", out, "output_truncated", res->output_truncated,
                  "findings", fa, "findings_dropped", (json_int_t)res->findings_dropped,
                  "bad_lines", ba, "bad_lines_dropped", (json_int_t)res->bad_lines_dropped);
    free(out);
    if (o)
        json_object_set_new(o, "containment",
                            json_string(sw_hook_containment_to_string(res->containment)));
    return o;
}

static void
print_result(const struct sw_cli *cli, const struct sw_hook_result *res, const char *phase,
             const char *slot_dir)
{
    sw_text_printf(stdout, "hook %s (%s): %s\n", res->name, phase, res->path);
    sw_text_printf(stdout, "slot dir: %s\n", slot_dir);
    if (cli->verbosity > 0)
        sw_text_printf(stdout, "contained by: %s\n",
                       sw_hook_containment_to_string(res->containment));
    if (res->output_len) {
        printf("--- output%s ---\n", res->output_truncated ? " (truncated)" : "");
        print_escaped(res->output, res->output_len);
    }
    if (res->n_findings || res->findings_dropped) {
        printf("--- findings ---\n");
        for (size_t i = 0; i < res->n_findings; i++)
            sw_text_printf(stdout, "%-5s %s%s%s\n",
                           sw_hook_status_to_string(res->findings[i].status),
                           res->findings[i].check, *res->findings[i].detail ? ": " : "",
                           res->findings[i].detail);
        if (res->findings_dropped)
            printf("(%zu more findings dropped)\n", res->findings_dropped);
    }
    if (res->n_bad_lines || res->bad_lines_dropped) {
        printf("--- bad result lines ---\n");
        for (size_t i = 0; i < res->n_bad_lines; i++)
            sw_text_printf(stdout, "%s\n", res->bad_lines[i]);
        if (res->bad_lines_dropped)
            printf("(%zu more bad lines dropped)\n", res->bad_lines_dropped);
    }
    if (res->exit_code >= 0)
        sw_text_printf(stdout, "verdict: %s (exit %d, %u attempt%s, %llu ms)%s%s\n",
                       sw_hook_status_to_string(res->status), res->exit_code, res->attempts,
                       res->attempts == 1 ? "" : "s", (unsigned long long)res->duration_ms,
                       res->reason ? ": " : "", res->reason ? res->reason : "");
    else
        sw_text_printf(stdout, "verdict: %s%s%s\n", sw_hook_status_to_string(res->status),
                       res->reason ? ": " : "", res->reason ? res->reason : "");
}

/* NAME is "NN-name" (the file) or "name" (its section). */
static const struct sw_hook *
find_in(const struct sw_hook_list *list, const char *name)
{
    for (size_t i = 0; i < list->n; i++)
        if (!strcmp(list->v[i].name, name) || !strcmp(sw_hook_config_name(list->v[i].name), name))
            return &list->v[i];
    return NULL;
}

static int
hooks_run(struct sw_cli *cli, const char *name)
{
    const char *only = sw_cli_opt_get(cli, OPT_HOOKS_PHASE, NULL);
    const char *slot_dir = sw_cli_opt_get(cli, OPT_HOOKS_SLOT_DIR, NULL);
    const char *active_dir = sw_cli_opt_get(cli, OPT_HOOKS_ACTIVE_DIR, NULL);
    struct sw_hook_list *lists[2] = {NULL, NULL};
    const struct sw_hook *found[2] = {NULL, NULL}, *h;
    struct run_dirs d = {.slot = ""};
    struct sw_hook_params params;
    struct sw_hook_result res;
    struct sw_hook_env env;
    const char *phase;
    int r = 0, which;

    memset(&res, 0, sizeof(res));
    if (only && strcmp(only, SW_HOOK_PHASE_PRE_PROMOTE) && strcmp(only, SW_HOOK_PHASE_POST_PROMOTE))
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "hooks run: unknown phase '%s' (pre-promote or post-promote)", only);
    for (int p = 0; p < 2; p++) {
        if (only && strcmp(only, phases[p]))
            continue;
        r = sw_hook_discover(&cli->cfg->hook_dirs, phases[p], &lists[p], &cli->err);
        if (r < 0) {
            sw_error_prefix(&cli->err, "hooks run: ");
            goto out;
        }
        found[p] = find_in(lists[p], name);
    }
    which = found[0] ? 0 : found[1] ? 1 : -1;
    if (which < 0) {
        r = sw_error_set(&cli->err, SW_E_NOTFOUND,
                         "hooks run: no hook '%s' in %s (see 'slipway hooks list')", name,
                         only ? only : "pre-promote or post-promote");
        goto out;
    }
    h = found[which];
    phase = phases[which];
    if (h->masked) {
        r = sw_error_set(&cli->err, SW_E_INVAL, "hooks run: hook '%s' (%s) is masked by '%s'",
                         h->name, phase, h->path);
        goto out;
    }
    find_dirs(cli, &d);
    if (!slot_dir)
        slot_dir = !strcmp(phase, SW_HOOK_PHASE_POST_PROMOTE)
                       ? d.active_dir
                       : (d.staged_dir ? d.staged_dir : d.active_dir);
    else
        d.slot[0] = '\0';
    if (!active_dir)
        active_dir = d.active_dir;
    if (!slot_dir) {
        r = sw_error_set(&cli->err, SW_E_NOTFOUND,
                         "hooks run: nothing is staged and there is no active tree ('%s'): "
                         "give --slot-dir DIR",
                         cli->cfg->current ? cli->cfg->current : "current");
        goto out;
    }
    if (!is_dir(slot_dir)) {
        r = sw_error_set(&cli->err, SW_E_NOTFOUND,
                         "hooks run: slot directory '%s' is not a directory", slot_dir);
        goto out;
    }
    memset(&env, 0, sizeof(env));
    env.phase = phase;
    env.txn = "";
    env.slot = d.slot;
    env.slot_dir = slot_dir;
    env.active_dir = active_dir;
    env.version_new = slot_dir == d.staged_dir ? d.version_new : NULL;
    env.version_old = d.version_old;
    env.channel = cli->cfg->channel;
    sw_hook_params_init(&params, cli->cfg);
    r = sw_hook_run_one(h, &env, cli->cfg, &params, &res, &cli->err);
    if (r < 0) {
        sw_error_prefix(&cli->err, "hooks run: ");
        goto out;
    }
    if (cli->json)
        r = sw_cli_print_json(cli, result_json(&res, phase, slot_dir));
    else
        print_result(cli, &res, phase, slot_dir);
    if (r == 0)
        r = res.status == SW_HOOK_PASS   ? SW_EXIT_OK
            : res.status == SW_HOOK_SKIP ? SW_HOOK_EXIT_SKIP
                                         : SW_EXIT_FAILURE;
out:
    sw_hook_result_release(&res);
    free(d.version_new);
    free(d.version_old);
    sw_hook_list_free(lists[0]);
    sw_hook_list_free(lists[1]);
    return r;
}

int
sw_cmd_hooks(struct sw_cli *cli, int argc, char **argv)
{
    if (!strcmp(argv[0], "list")) {
        if (argc != 1)
            return sw_error_set(&cli->err, SW_E_USAGE, "hooks list: takes no argument");
        return hooks_list(cli);
    }
    if (!strcmp(argv[0], "run")) {
        if (argc != 2)
            return sw_error_set(&cli->err, SW_E_USAGE, "hooks run: expected NAME");
        return hooks_run(cli, argv[1]);
    }
    return sw_error_set(&cli->err, SW_E_USAGE, "hooks: unknown subcommand '%s' (list, run)",
                        argv[0]);
}
