/* SPDX-License-Identifier: MIT */
/*
 * The commands of slipway-repo that sign and publish: sign (one more
 * signature on a staged role), commit (publish what is staged), timestamp
 * (the cron job), snapshot (after roles were signed elsewhere), and status
 * (what is published, what is staged and who must sign it). The work is
 * publish.c's; this reads options and reports.
 */
#include "repo-cli.h"

#include <slipway/log.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SIGN_KEYS 64

enum { OPT_SIGN_KEY = 1 };

const struct sw_opt sw_repo_sign_opts[] = {
    {"key", 0, 1, OPT_SIGN_KEY, "NAME", "sign with KEYS/NAME.sec (repeatable)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

/* Open the repository and the key ring (checked to lie outside it). */
static int
open_both(struct sw_repo_cli *cli, const char *dir, unsigned flags, struct sw_repo **ret_repo,
          struct sw_keyring **ret_kr)
{
    int r = sw_repo_open_keyring(cli, dir, 1, ret_kr);
    if (r < 0)
        return r;
    r = sw_repo_open(dir, flags, ret_repo, &cli->err);
    if (r < 0) {
        sw_error_prefix(&cli->err, "%s: ", cli->cmd->name);
        sw_keyring_free(*ret_kr);
        *ret_kr = NULL;
    }
    return r;
}

static void
print_published(const struct sw_repo_cli *cli)
{
    const json_t *pub = json_object_get(cli->report, "published");
    size_t i;
    const json_t *e;
    json_array_foreach(pub, i, e)
    {
        sw_repo_say(cli, "published %-10s version %" JSON_INTEGER_FORMAT "  metadata/%s\n",
                    json_string_value(json_object_get(e, "role")),
                    json_integer_value(json_object_get(e, "version")),
                    json_string_value(json_object_get(e, "file")));
    }
    if (json_object_get(cli->report, "timestamp_expires"))
        sw_repo_say(cli,
                    "the timestamp expires %s: renew it with 'slipway-repo timestamp' "
                    "before then\n",
                    json_string_value(json_object_get(cli->report, "timestamp_expires")));
}

int
sw_repo_cmd_sign(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argv[0], *role = argv[1];
    const char *keys[MAX_SIGN_KEYS];
    size_t n = sw_repo_opt_all(cli, OPT_SIGN_KEY, keys, MAX_SIGN_KEYS);
    struct sw_repo *repo = NULL;
    struct sw_keyring *kr = NULL;
    struct sw_repo_expiry exp;
    int r;

    (void)argc;
    if (n == 0 || n > MAX_SIGN_KEYS)
        return sw_error_set(&cli->err, SW_E_USAGE, "sign: give 1 to %d --key NAME", MAX_SIGN_KEYS);
    sw_repo_expiry_defaults(&exp);
    if ((r = open_both(cli, dir, 0, &repo, &kr)) < 0)
        return r;
    {
        struct sw_repo_ctx c = {repo, kr, &exp, sw_repo_now(), cli->report};
        r = sw_repo_sign(&c, role, keys, n, &cli->err);
    }
    if (r < 0) {
        sw_error_prefix(&cli->err, "sign: ");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        sw_repo_say(cli, "signed staged role '%s' with key '%s'\n", role, keys[i]);
    sw_repo_print_staged(cli, dir, 1);
    if (json_array_size(json_object_get(cli->report, "pending")) == 0)
        sw_repo_say(cli, "ready: publish with 'slipway-repo commit %s'\n", dir);
out:
    sw_keyring_free(kr);
    sw_repo_free(repo);
    return r;
}

int
sw_repo_cmd_commit(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argv[0];
    struct sw_repo *repo = NULL;
    struct sw_keyring *kr = NULL;
    struct sw_repo_expiry exp;
    time_t now = sw_repo_now();
    int r;

    (void)argc;
    if ((r = sw_repo_parse_expiry(cli, now, &exp)) < 0)
        return r;
    if ((r = open_both(cli, dir, 0, &repo, &kr)) < 0)
        return r;
    {
        struct sw_repo_ctx c = {repo, kr, &exp, now, cli->report};
        r = sw_repo_commit(&c, &cli->err);
    }
    if (r == -SW_E_REPO_UNSIGNED) {
        sw_repo_print_staged(cli, dir, 1);
        goto out;
    }
    if (r < 0) {
        sw_error_prefix(&cli->err, "commit: ");
        goto out;
    }
    if (json_is_true(json_object_get(cli->report, "nothing_staged")))
        sw_repo_say(cli,
                    "nothing is staged in '%s'; to re-sign snapshot and timestamp run "
                    "'slipway-repo snapshot %s'\n",
                    dir, dir);
    print_published(cli);
out:
    sw_keyring_free(kr);
    sw_repo_free(repo);
    return r;
}

int
sw_repo_cmd_timestamp(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argv[0];
    struct sw_repo *repo = NULL;
    struct sw_keyring *kr = NULL;
    struct sw_repo_expiry exp;
    time_t now = sw_repo_now();
    int r;

    (void)argc;
    if ((r = sw_repo_parse_expiry(cli, now, &exp)) < 0)
        return r;
    if ((r = open_both(cli, dir, 0, &repo, &kr)) < 0)
        return r;
    {
        struct sw_repo_ctx c = {repo, kr, &exp, now, cli->report};
        r = sw_repo_renew_timestamp(&c, &cli->err);
    }
    if (r < 0) {
        sw_error_prefix(&cli->err, "timestamp: ");
        goto out;
    }
    print_published(cli);
out:
    sw_keyring_free(kr);
    sw_repo_free(repo);
    return r;
}

int
sw_repo_cmd_snapshot(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argv[0];
    struct sw_repo *repo = NULL;
    struct sw_keyring *kr = NULL;
    struct sw_repo_expiry exp;
    time_t now = sw_repo_now();
    int r;

    (void)argc;
    if ((r = sw_repo_parse_expiry(cli, now, &exp)) < 0)
        return r;
    if ((r = open_both(cli, dir, SW_REPO_PROBE, &repo, &kr)) < 0)
        return r;
    {
        struct sw_repo_ctx c = {repo, kr, &exp, now, cli->report};
        r = sw_repo_resnapshot(&c, &cli->err);
    }
    if (r < 0) {
        sw_error_prefix(&cli->err, "snapshot: ");
        goto out;
    }
    print_published(cli);
out:
    sw_keyring_free(kr);
    sw_repo_free(repo);
    return r;
}

static int
add_role_status(struct sw_repo_cli *cli, json_t *roles, const char *role, int64_t version,
                const json_t *env)
{
    const json_t *exp = json_object_get(json_object_get(env, "signed"), "expires");
    json_t *e = json_pack("{s:s,s:I,s:s?}", "role", role, "version", (json_int_t)version, "expires",
                          json_string_value(exp));
    if (!e || json_array_append_new(roles, e) < 0)
        return sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
    sw_repo_say(cli, "  %-20s version %-6" PRId64 " expires %s\n", role, version,
                json_is_string(exp) ? json_string_value(exp) : "?");
    return 0;
}

int
sw_repo_cmd_status(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argv[0];
    struct sw_repo *repo = NULL;
    json_t *roles = json_array();
    int r;

    (void)argc;
    if (!roles)
        return sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
    r = sw_repo_open(dir, SW_REPO_NOLOCK, &repo, &cli->err);
    if (r < 0) {
        sw_error_prefix(&cli->err, "status: ");
        goto out;
    }
    sw_repo_say(cli, "repository '%s', published:\n", dir);
    if ((repo->root &&
         (r = add_role_status(cli, roles, "root", repo->root_version, repo->root)) < 0) ||
        (repo->timestamp && (r = add_role_status(cli, roles, "timestamp", repo->timestamp_version,
                                                 repo->timestamp)) < 0) ||
        (repo->snapshot &&
         (r = add_role_status(cli, roles, "snapshot", repo->snapshot_version, repo->snapshot)) < 0))
        goto out;
    for (size_t i = 0; i < repo->n_roles; i++)
        if (repo->roles[i].published &&
            (r = add_role_status(cli, roles, repo->roles[i].name, repo->roles[i].version,
                                 repo->roles[i].published)) < 0)
            goto out;
    if (!repo->root)
        sw_repo_say(cli, "  nothing yet\n");
    json_object_set(cli->report, "published", roles);
    {
        struct sw_repo_expiry exp;
        struct sw_repo_ctx c = {repo, NULL, &exp, sw_repo_now(), cli->report};
        sw_repo_expiry_defaults(&exp);
        r = sw_repo_describe_staged(&c, &cli->err);
        if (r < 0)
            goto out;
    }
    if (json_array_size(json_object_get(cli->report, "staged"))) {
        sw_repo_say(cli, "staged:\n");
        sw_repo_print_staged(cli, dir, 1);
    } else {
        sw_repo_say(cli, "nothing staged\n");
    }
out:
    json_decref(roles);
    sw_repo_free(repo);
    return r;
}
