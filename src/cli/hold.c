/* SPDX-License-Identifier: MIT */
/*
 * Operator controls on one machine: `slipway hold [--reason TEXT]` and
 * `slipway unhold`, what `status` shows of a hold, and the note manual
 * commands print while the machine is held. Keeping the hold is the
 * store's; declining unattended updates while held is `slipway update`'s.
 */
#include "cli.h"

#include <slipway/log.h>
#include <slipway/metadata.h>
#include <slipway/text.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SW_HOLD_REASON_MAX 200 /* longest --reason kept */

enum { OPT_HOLD_REASON = 1 };

const struct sw_opt sw_cli_hold_opts[] = {
    {"reason", 0, 1, OPT_HOLD_REASON, "TEXT", "why (recorded and shown by status and history)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

/* --reason: one line of printable text, at most SW_HOLD_REASON_MAX bytes; NULL when absent. */
static int
hold_reason(struct sw_cli *cli, const char **ret)
{
    const char *reason = sw_cli_opt_get(cli, OPT_HOLD_REASON, NULL);
    *ret = NULL;
    if (!reason)
        return 0;
    if (strlen(reason) > SW_HOLD_REASON_MAX)
        return sw_error_set(&cli->err, SW_E_USAGE, "%s: --reason is longer than %d bytes",
                            cli->cmd->name, SW_HOLD_REASON_MAX);
    for (const unsigned char *p = (const unsigned char *)reason; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return sw_error_set(&cli->err, SW_E_USAGE,
                                "%s: --reason must be one line without control characters",
                                cli->cmd->name);
    {
        json_t *j = json_string(reason); /* NULL unless valid UTF-8 */
        if (!j)
            return sw_error_set(&cli->err, SW_E_USAGE, "%s: --reason must be UTF-8 text",
                                cli->cmd->name);
        json_decref(j);
    }
    *ret = reason[0] ? reason : NULL;
    return 0;
}

int
sw_cmd_hold(struct sw_cli *cli, int argc, char **argv)
{
    const char *reason, *actor = sw_cli_actor(cli);
    time_t now = time(NULL);
    char since[21];
    int r;

    (void)argc;
    (void)argv;
    if ((r = hold_reason(cli, &reason)) < 0)
        return r;
    r = sw_store_hold_set(cli->store, actor, reason, (int64_t)now, &cli->err);
    if (r < 0)
        return sw_error_prefix(&cli->err, "hold: ");
    sw_md_format_time(now, since);
    if (cli->json)
        return sw_cli_print_json(
            cli, json_pack("{s:b,s:s,s:o,s:s}", "held", 1, "actor", actor, "reason",
                           reason ? json_string(reason) : json_null(), "since", since));
    sw_text_printf(stdout, "held since %s by %s%s%s: no unattended update until 'slipway unhold'\n",
                   since, actor, reason ? ": " : "", reason ? reason : "");
    return 0;
}

int
sw_cmd_unhold(struct sw_cli *cli, int argc, char **argv)
{
    const char *reason, *actor = sw_cli_actor(cli);
    int held = 0, r;

    (void)argc;
    (void)argv;
    if ((r = hold_reason(cli, &reason)) < 0)
        return r;
    r = sw_store_hold_get(cli->store, &held, NULL, NULL, NULL, &cli->err);
    if (r < 0)
        return r;
    if (held) {
        r = sw_store_hold_clear(cli->store, actor, reason, &cli->err);
        if (r < 0)
            return sw_error_prefix(&cli->err, "unhold: ");
    }
    if (cli->json)
        return sw_cli_print_json(
            cli, json_pack("{s:b,s:b,s:s}", "held", 0, "was_held", held, "actor", actor));
    sw_text_printf(stdout, "%s\n",
                   held ? "released the hold: unattended updates may run again"
                        : "not held: nothing to release");
    return 0;
}

json_t *
sw_cli_hold_json(struct sw_cli *cli)
{
    char *reason = NULL, *actor = NULL, since[21];
    int64_t at = 0;
    int held = 0;
    json_t *o;

    if (sw_store_hold_get(cli->store, &held, &reason, &actor, &at, NULL) < 0)
        return json_null();
    if (!held)
        return json_pack("{s:b}", "held", 0);
    sw_md_format_time((time_t)at, since);
    o = json_pack("{s:b,s:s,s:o,s:s}", "held", 1, "actor", actor, "reason",
                  reason ? json_string(reason) : json_null(), "since", since);
    free(reason);
    free(actor);
    return o;
}

void
sw_cli_hold_print(struct sw_cli *cli, FILE *f, const char *label)
{
    char *reason = NULL, *actor = NULL, since[21];
    int64_t at = 0;
    int held = 0;

    if (sw_store_hold_get(cli->store, &held, &reason, &actor, &at, NULL) < 0)
        return;
    if (!held) {
        if (label)
            sw_text_printf(f, "%sno\n", label);
        return;
    }
    sw_md_format_time((time_t)at, since);
    if (label)
        sw_text_printf(f, "%syes, since %s by %s%s%s\n", label, since, actor, reason ? ": " : "",
                       reason ? reason : "");
    else
        sw_log_notice("note: this machine is held (since %s by %s%s%s): unattended updates are "
                      "off; this manual '%s' goes ahead",
                      since, actor, reason ? ": " : "", reason ? reason : "", cli->cmd->name);
    free(reason);
    free(actor);
}

int
sw_cli_hold_history(struct sw_cli *cli, size_t limit, json_t *out)
{
    struct sw_store_event_row *ev = NULL;
    size_t ne = 0, first = 0, count = 0;
    json_t *arr = NULL;
    int r = sw_store_events_list(cli->store, 0, &ev, &ne, &cli->err);

    if (r < 0)
        return r;
    if (limit == 0)
        limit = 20;
    for (size_t i = ne; i-- > 0 && count < limit;)
        if (strcmp(ev[i].kind, "hold") == 0 || strcmp(ev[i].kind, "unhold") == 0) {
            first = i;
            count++;
        }
    if (out)
        arr = json_array();
    for (size_t i = first; count && i < ne; i++) {
        char at[21];
        if (strcmp(ev[i].kind, "hold") != 0 && strcmp(ev[i].kind, "unhold") != 0)
            continue;
        sw_md_format_time((time_t)ev[i].at, at);
        if (arr)
            json_array_append_new(
                arr,
                json_pack("{s:s,s:s,s:s,s:o}", "at", at, "kind", ev[i].kind, "actor", ev[i].actor,
                          "reason", ev[i].reason ? json_string(ev[i].reason) : json_null()));
        else if (!cli->json) {
            if (i == first)
                sw_text_printf(stdout, "operator controls:\n");
            sw_text_printf(stdout, "    %s %-10s by %s%s%s\n", at, ev[i].kind, ev[i].actor,
                           ev[i].reason ? ": " : "", ev[i].reason ? ev[i].reason : "");
        }
    }
    if (out && arr)
        json_object_set_new(out, "controls", arr);
    sw_store_events_free(ev, ne);
    return 0;
}
