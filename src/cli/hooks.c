/* SPDX-License-Identifier: MIT */
/*
 * slipway hooks list: the test hooks of each phase as the runner would find
 * them (path, where from, what each overrides, masked, required, timeout).
 * Discovery is the hook module's; this file only prints. Reads no state.
 */
#include "cli.h"

#include <slipway/hook.h>

#include <string.h>

enum { OPT_HOOKS_PHASE = 1 };

const struct sw_opt sw_cli_hooks_opts[] = {
    {"phase", 0, 1, OPT_HOOKS_PHASE, "PHASE",
     "only this phase (pre-promote or post-promote; default: both)"},
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

int
sw_cmd_hooks(struct sw_cli *cli, int argc, char **argv)
{
    (void)argc;
    if (!strcmp(argv[0], "list"))
        return hooks_list(cli);
    return sw_error_set(&cli->err, SW_E_USAGE, "hooks: unknown subcommand '%s' (list)", argv[0]);
}
