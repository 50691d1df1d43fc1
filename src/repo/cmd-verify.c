/* SPDX-License-Identifier: MIT */
/*
 * slipway-repo verify: check a repository tree from a trusted root as a
 * client would and report every problem (check.c does the checking).
 * Exit status 4 when anything is wrong.
 */
#include "repo-cli.h"

#include "check.h"

#include <slipway/metadata.h>
#include <slipway/text.h>

#include <stdio.h>
#include <string.h>

enum { OPT_VERIFY_ROOT = 1, OPT_VERIFY_AT, OPT_VERIFY_NO_FILES };

const struct sw_opt sw_repo_verify_opts[] = {
    {"root", 0, 1, OPT_VERIFY_ROOT, "FILE", "the trusted root (default DIR/metadata/1.root.json)"},
    {"at", 0, 1, OPT_VERIFY_AT, "DATE", "check expiry at DATE (YYYY-MM-DDTHH:MM:SSZ), not now"},
    {"no-target-files", 0, 0, OPT_VERIFY_NO_FILES, NULL, "do not read the target files"},
    {NULL, 0, 0, 0, NULL, NULL},
};

int
sw_repo_cmd_verify(struct sw_repo_cli *cli, int argc, char **argv)
{
    struct sw_check_opts o;
    const char *at = sw_repo_opt(cli, OPT_VERIFY_AT);
    json_t *report = NULL;
    size_t n = 0, i;
    const json_t *e;
    int r;

    (void)argc;
    memset(&o, 0, sizeof(o));
    o.dir = argv[0];
    o.root_file = sw_repo_opt(cli, OPT_VERIFY_ROOT);
    o.skip_target_files = sw_repo_opt_flag(cli, OPT_VERIFY_NO_FILES);
    o.now = sw_repo_now();
    if (at && sw_md_parse_time(at, &o.now) < 0)
        return sw_error_set(&cli->err, SW_E_USAGE, "verify: --at '%s' must be YYYY-MM-DDTHH:MM:SSZ",
                            at);
    r = sw_repo_check(&o, &report, &n, &cli->err);
    if (r < 0)
        return r;
    json_decref(cli->report);
    cli->report = report;
    json_array_foreach(json_object_get(report, "roles"), i, e)
    {
        sw_repo_say(cli, "%-20s version %-6" JSON_INTEGER_FORMAT " expires %s  %s\n",
                    json_string_value(json_object_get(e, "role")),
                    json_integer_value(json_object_get(e, "version")),
                    json_string_value(json_object_get(e, "expires")),
                    json_string_value(json_object_get(e, "file")));
    }
    json_array_foreach(json_object_get(report, "problems"), i, e)
    {
        if (!cli->json)
            sw_text_printf(stderr, "problem: %s: %s: %s\n",
                           json_string_value(json_object_get(e, "file")),
                           json_string_value(json_object_get(e, "check")),
                           json_string_value(json_object_get(e, "message")));
    }
    if (n == 0) {
        sw_repo_say(cli,
                    "ok: %zu target%s, every signature, threshold, version, hash, length "
                    "and expiry checks out\n",
                    json_array_size(json_object_get(report, "targets")),
                    json_array_size(json_object_get(report, "targets")) == 1 ? "" : "s");
        return SW_REPO_EXIT_OK;
    }
    if (!cli->json)
        sw_text_printf(stderr, "verify: %zu problem%s in '%s'\n", n, n == 1 ? "" : "s", o.dir);
    return SW_REPO_EXIT_INVALID;
}
