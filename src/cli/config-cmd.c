/* SPDX-License-Identifier: MIT */
/*
 * slipway config check: load the configuration as any command would
 * (-c FILE or the default), validate it, and print every setting of the key
 * table with its effective value, defaults included. Creates nothing: no
 * state directory, no store, no lock. Parsing is the config module's.
 */
#include "cli.h"

#include <slipway/text.h>

#include <stdlib.h>
#include <string.h>

struct walk_ctx {
    json_t *root;    /* --json: the object being built */
    json_t *section; /* --json: the object of the current section */
    const char *last_section, *last_name;
    int failed;
};

static int
same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int
walk_text(void *ctx, const char *section, const char *name, const char *key, const char *value)
{
    struct walk_ctx *w = ctx;
    char *k = sw_text_escape(key, 0), *v = sw_text_escape(value, 0);
    int r = 0;

    if (!k || !v) {
        r = -SW_E_NOMEM;
        goto out;
    }
    if (!w->last_section || strcmp(w->last_section, section) != 0 || !same(w->last_name, name)) {
        char *n = sw_text_escape(name, 0);
        if (!n) {
            r = -SW_E_NOMEM;
            goto out;
        }
        if (name)
            r = sw_text_printf(stdout, "%s[%s \"%s\"]\n", w->last_section ? "\n" : "", section, n);
        else
            r = sw_text_printf(stdout, "%s[%s]\n", w->last_section ? "\n" : "", section);
        free(n);
        w->last_section = section;
        w->last_name = name;
        if (r < 0)
            goto out;
    }
    if (value)
        r = sw_text_printf(stdout, "%s = %s\n", k, v);
    else
        r = sw_text_printf(stdout, "# %s is not set\n", k);
out:
    free(k);
    free(v);
    return r;
}

static int
walk_json(void *ctx, const char *section, const char *name, const char *key, const char *value)
{
    struct walk_ctx *w = ctx;

    if (!w->last_section || strcmp(w->last_section, section) != 0 || !same(w->last_name, name)) {
        w->section = json_object();
        if (!w->section)
            return -SW_E_NOMEM;
        if (name) {
            /* [mirror "NAME"] and [hook "NAME"]: arrays "mirrors" and "hooks" */
            const char *list = strcmp(section, "mirror") == 0 ? "mirrors" : "hooks";
            json_t *arr = json_object_get(w->root, list);
            if (!arr) {
                arr = json_array();
                if (json_object_set_new(w->root, list, arr) < 0)
                    return -SW_E_NOMEM;
            }
            json_object_set_new(w->section, "name", json_string(name));
            if (json_array_append_new(arr, w->section) < 0)
                return -SW_E_NOMEM;
        } else if (json_object_set_new(w->root, section, w->section) < 0) {
            return -SW_E_NOMEM;
        }
        w->last_section = section;
        w->last_name = name;
    }
    if (json_object_set_new(w->section, key, value ? json_string(value) : json_null()) < 0)
        return -SW_E_NOMEM;
    return 0;
}

int
sw_cmd_config(struct sw_cli *cli, int argc, char **argv)
{
    struct sw_config *cfg = NULL;
    struct walk_ctx w;
    int r;

    (void)argc;
    if (strcmp(argv[0], "check") != 0)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "config: unknown action '%s'; the only one is 'check'", argv[0]);
    /* what prepare() does for other commands, without creating anything */
    r = sw_config_load(cli->config_path, &cfg, &cli->err);
    if (r < 0)
        return r;
    r = sw_config_set_state_dir(cfg, cli->state_dir, &cli->err);
    if (r < 0)
        goto out;
    memset(&w, 0, sizeof(w));
    if (cli->json) {
        w.root = json_pack("{s:i,s:o,s:b}", "schema", 1, "path",
                           cfg->path ? json_string(cfg->path) : json_null(), "valid", 1);
        if (!w.root) {
            r = sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
            goto out;
        }
        r = sw_config_walk(cfg, walk_json, &w);
        if (r < 0) {
            json_decref(w.root);
            r = sw_error_set(&cli->err, -r, "config: cannot build the output");
            goto out;
        }
        /* a configuration without mirrors or hooks still has the two lists */
        if ((!json_object_get(w.root, "mirrors") &&
             json_object_set_new(w.root, "mirrors", json_array()) < 0) ||
            (!json_object_get(w.root, "hooks") &&
             json_object_set_new(w.root, "hooks", json_array()) < 0)) {
            json_decref(w.root);
            r = sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
            goto out;
        }
        r = sw_cli_print_json(cli, w.root);
        goto out;
    }
    if (cfg->path) {
        char *p = sw_text_escape(cfg->path, 0);
        r = p ? sw_text_printf(stdout, "# %s: valid; effective configuration with defaults\n", p)
              : -SW_E_NOMEM;
        free(p);
    } else {
        r = sw_text_printf(stdout,
                           "# no configuration file (%s does not exist): built-in "
                           "defaults\n",
                           SW_CONFIG_DEFAULT_PATH);
    }
    if (r == 0)
        r = sw_config_walk(cfg, walk_text, &w);
    if (r < 0)
        r = sw_error_set(&cli->err, r == -SW_E_NOMEM ? SW_E_NOMEM : SW_E_IO,
                         "config: cannot write the output");
out:
    sw_config_free(cfg);
    return r;
}
