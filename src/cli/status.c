/* SPDX-License-Identifier: MIT */
/*
 * `slipway status`: what this machine's slipway is — state directory,
 * store and schema, device id, channel, slots and their versions, trusted
 * metadata — as text or as one JSON object with stable field names
 * (documented in slipway(1)). Each slot is shown as the store records it
 * and as the slot backend finds it on disk; a disagreement is reported,
 * never papered over. It only reads.
 */
#include "cli.h"

#include <slipway/log.h>
#include <slipway/slot.h>
#include <slipway/text.h>
#include <slipway/update.h>

#include <stdio.h>
#include <string.h>

static json_t *
json_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static const char *
slot_path(const struct sw_config *cfg, const char *name)
{
    if (strcmp(name, "a") == 0)
        return cfg->slot_a;
    if (strcmp(name, "b") == 0)
        return cfg->slot_b;
    return NULL;
}

int
sw_cmd_status(struct sw_cli *cli, int argc, char **argv)
{
    struct sw_store_slot *slots = NULL;
    struct sw_store_meta *meta = NULL;
    size_t n_slots = 0, n_meta = 0;
    const struct sw_config *cfg = cli->cfg;
    const char *active = NULL;
    struct sw_slot_backend *backend = NULL;
    struct sw_update_ctx uc;
    struct sw_update_view v;
    struct sw_store_update pending;
    struct sw_error berr = SW_ERROR_INIT;
    int have_pending = 0, have_checks = 0;
    struct sw_store_hook_phase checks;
    int r;

    (void)argc;
    (void)argv;
    memset(&v, 0, sizeof(v));
    memset(&pending, 0, sizeof(pending));
    memset(&checks, 0, sizeof(checks));
    memset(&uc, 0, sizeof(uc));
    uc.store = cli->store;
    /* the system's view; without a usable backend status still shows the store's */
    if (sw_slot_open(cfg, &backend, &berr) == 0)
        uc.slots = backend;
    r = sw_update_view_read(&uc, &v, &cli->err);
    if (r < 0)
        goto out;
    if (!backend)
        snprintf(v.problems[v.n_problems++], sizeof(v.problems[0]),
                 "the slot backend cannot be opened: %.200s", berr.msg);
    have_pending = sw_update_find_pending(&uc, &pending, NULL) == 0;
    /* the last pre-promote verdict of a staged update (check_failed: why promote refuses) */
    if (have_pending &&
        (strcmp(pending.state, "checked") == 0 || strcmp(pending.state, "check_failed") == 0))
        have_checks = sw_store_hook_phase_latest(cli->store, pending.id, SW_HOOK_PHASE_PRE_PROMOTE,
                                                 &checks, NULL) == 0;
    r = sw_store_slots(cli->store, &slots, &n_slots, &cli->err);
    if (r < 0)
        goto out;
    r = sw_store_meta_list(cli->store, &meta, &n_meta, &cli->err);
    if (r < 0)
        goto out;
    for (size_t i = 0; i < n_slots; i++)
        if (strcmp(slots[i].state, "active") == 0)
            active = slots[i].name;

    if (cli->json) {
        json_t *o = json_object(), *js = json_array(), *jm = json_array(), *jmir = json_array();
        if (!o || !js || !jm || !jmir) {
            json_decref(o);
            json_decref(js);
            json_decref(jm);
            json_decref(jmir);
            r = sw_cli_print_json(cli, NULL);
            goto out;
        }
        json_object_set_new(o, "slipway_version", json_string(SW_VERSION));
        json_object_set_new(o, "config", json_str_or_null(cfg->path));
        json_object_set_new(o, "state_dir", json_string(cfg->state_dir));
        json_object_set_new(o, "store",
                            json_pack("{s:s,s:i,s:i}", "path", sw_store_path(cli->store),
                                      "schema_version", sw_store_schema_version(cli->store),
                                      "latest_schema_version", sw_store_latest_schema_version()));
        json_object_set_new(o, "device_id", json_string(sw_store_device_id(cli->store)));
        json_object_set_new(o, "channel", json_string(cfg->channel));
        json_object_set_new(o, "compatible", json_str_or_null(cfg->compatible));
        json_object_set_new(o, "slot_backend", json_string(cfg->slot_backend));
        json_object_set_new(o, "active_slot", json_str_or_null(active));
        json_object_set_new(o, "active_slot_on_disk",
                            v.fs_active >= 0
                                ? json_string(sw_slot_id_to_string((enum sw_slot_id)v.fs_active))
                                : json_null());
        for (size_t i = 0; i < n_slots; i++) {
            enum sw_slot_id id;
            const struct sw_slot_info *in = NULL;
            json_t *jo;
            if (v.have_info && sw_slot_id_from_string(slots[i].name, &id) == 0)
                in = &v.info[id];
            jo = json_pack("{s:s,s:o,s:s,s:o,s:b}", "name", slots[i].name, "path",
                           json_str_or_null(slot_path(cfg, slots[i].name)), "state", slots[i].state,
                           "version", json_str_or_null(slots[i].version), "active",
                           active && strcmp(active, slots[i].name) == 0);
            json_object_set_new(jo, "update_txn", json_null());
            if (slots[i].update_id > 0) {
                struct sw_store_update u;
                if (sw_store_update_get(cli->store, slots[i].update_id, &u, NULL) == 0) {
                    json_object_set_new(jo, "update_txn", json_string(u.txn));
                    sw_store_update_release(&u);
                }
            }
            json_object_set_new(jo, "on_disk",
                                in ? json_pack("{s:b,s:b,s:b,s:b}", "present", in->present, "empty",
                                               in->empty, "complete", in->complete, "active",
                                               in->active)
                                   : json_null());
            json_array_append_new(js, jo);
        }
        json_object_set_new(o, "slots", js);
        json_object_set_new(o, "pending",
                            have_pending
                                ? json_pack("{s:s,s:s,s:s,s:s,s:o}", "txn", pending.txn, "target",
                                            pending.target, "version", pending.version, "state",
                                            pending.state, "slot", json_str_or_null(pending.slot))
                                : json_null());
        if (have_pending)
            json_object_set_new(json_object_get(o, "pending"), "checks",
                                have_checks ? json_pack("{s:b,s:s?,s:I}", "passed", checks.passed,
                                                        "reason", checks.reason, "required_failed",
                                                        (json_int_t)checks.required_failed)
                                            : json_null());
        {
            json_t *jp = json_array();
            for (size_t i = 0; i < v.n_problems; i++)
                json_array_append_new(jp, json_string(v.problems[i]));
            json_object_set_new(o, "consistent", json_boolean(v.n_problems == 0));
            json_object_set_new(o, "problems", jp);
        }
        for (size_t i = 0; i < n_meta; i++)
            json_array_append_new(jm, json_pack("{s:s,s:I,s:s}", "role", meta[i].role, "version",
                                                (json_int_t)meta[i].version, "expires",
                                                meta[i].expires));
        json_object_set_new(o, "trusted_metadata", jm);
        for (size_t i = 0; i < cfg->n_mirrors; i++)
            json_array_append_new(jmir, json_pack("{s:s,s:s,s:s,s:b}", "name", cfg->mirrors[i].name,
                                                  "metadata_url", cfg->mirrors[i].metadata_url,
                                                  "targets_url", cfg->mirrors[i].targets_url,
                                                  "pinned", cfg->mirrors[i].pin != NULL));
        json_object_set_new(o, "mirrors", jmir);
        json_object_set_new(o, "hold", sw_cli_hold_json(cli));
        r = sw_cli_print_json(cli, o);
        goto out;
    }

    sw_text_printf(stdout, "state dir:    %s\n", cfg->state_dir);
    sw_text_printf(stdout, "config:       %s\n", cfg->path ? cfg->path : "(built-in defaults)");
    sw_text_printf(stdout, "store:        %s (schema %d)\n", sw_store_path(cli->store),
                   sw_store_schema_version(cli->store));
    sw_text_printf(stdout, "device id:    %s\n", sw_store_device_id(cli->store));
    sw_text_printf(stdout, "channel:      %s\n", cfg->channel);
    sw_text_printf(stdout, "compatible:   %s\n", cfg->compatible ? cfg->compatible : "(not set)");
    sw_cli_hold_print(cli, stdout, "held:         ");
    sw_text_printf(stdout, "slots (%s):\n", cfg->slot_backend);
    for (size_t i = 0; i < n_slots; i++) {
        enum sw_slot_id id;
        const struct sw_slot_info *in = NULL;
        if (v.have_info && sw_slot_id_from_string(slots[i].name, &id) == 0)
            in = &v.info[id];
        sw_text_printf(stdout, "  %s %-8s %-10s %-14s on disk: %s%s  %s\n", slots[i].name,
                       active && strcmp(active, slots[i].name) == 0 ? "active" : "", slots[i].state,
                       slots[i].version ? slots[i].version : "-",
                       !in            ? "unknown"
                       : !in->present ? "missing"
                       : in->complete ? "complete"
                       : in->empty    ? "empty"
                                      : "incomplete",
                       in && in->active ? ", active" : "", slot_path(cfg, slots[i].name));
    }
    if (have_pending)
        sw_text_printf(stdout, "pending:      %s %s (version %s) %s%s%s\n", pending.txn,
                       pending.target, pending.version, pending.state,
                       pending.slot ? " in slot " : "", pending.slot ? pending.slot : "");
    if (have_checks)
        sw_text_printf(stdout, "checks:       %s: %s%s\n", checks.passed ? "passed" : "FAILED",
                       checks.reason ? checks.reason : "",
                       checks.passed ? ""
                                     : " ('slipway check' runs them again; 'slipway promote' "
                                       "refuses until they pass)");
    for (size_t i = 0; i < v.n_problems; i++) {
        sw_log_warning("slots: %s", v.problems[i]);
        sw_text_printf(stdout, "PROBLEM:      %s\n", v.problems[i]);
    }
    if (n_meta == 0) {
        sw_text_printf(stdout,
                       "trust:        no trusted root; run 'slipway init --root ROOT.json'\n");
    } else {
        sw_text_printf(stdout, "trusted metadata:\n");
        for (size_t i = 0; i < n_meta; i++)
            sw_text_printf(stdout, "  %-12s version %-6lld expires %s\n", meta[i].role,
                           (long long)meta[i].version, meta[i].expires);
    }
    sw_text_printf(stdout, "mirrors:      %s\n", cfg->n_mirrors ? "" : "(none configured)");
    for (size_t i = 0; i < cfg->n_mirrors; i++)
        sw_text_printf(stdout, "  %-12s %s%s\n", cfg->mirrors[i].name, cfg->mirrors[i].metadata_url,
                       cfg->mirrors[i].pin ? " (pinned)" : "");
    r = 0;
out:
    sw_store_hook_phase_release(&checks);
    sw_store_update_release(&pending);
    sw_update_view_release(&v);
    sw_slot_close(backend);
    sw_store_slots_free(slots, n_slots);
    sw_store_meta_list_free(meta, n_meta);
    return r;
}
