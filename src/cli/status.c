/* SPDX-License-Identifier: MIT */
/*
 * `slipway status`: what this machine's slipway is — state directory,
 * store and schema, device id, channel, slots and their versions, trusted
 * metadata — as text or as one JSON object with stable field names
 * (documented in slipway(1)). It only reads.
 */
#include "cli.h"

#include <slipway/text.h>

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
    int r;

    (void)argc;
    (void)argv;
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
        for (size_t i = 0; i < n_slots; i++)
            json_array_append_new(
                js, json_pack("{s:s,s:o,s:s,s:o,s:b}", "name", slots[i].name, "path",
                              json_str_or_null(slot_path(cfg, slots[i].name)), "state",
                              slots[i].state, "version", json_str_or_null(slots[i].version),
                              "active", active && strcmp(active, slots[i].name) == 0));
        json_object_set_new(o, "slots", js);
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
    sw_text_printf(stdout, "slots (%s):\n", cfg->slot_backend);
    for (size_t i = 0; i < n_slots; i++)
        sw_text_printf(stdout, "  %s %-8s %-10s %s\n", slots[i].name,
                       active && strcmp(active, slots[i].name) == 0 ? "active" : "", slots[i].state,
                       slots[i].version ? slots[i].version : "-");
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
    sw_store_slots_free(slots, n_slots);
    sw_store_meta_list_free(meta, n_meta);
    return r;
}
