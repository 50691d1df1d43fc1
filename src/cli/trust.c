/* SPDX-License-Identifier: MIT */
/*
 * The trust family of commands: `slipway init` (pin a first root),
 * `slipway refresh` (the TUF workflow against the configured mirrors) and
 * `slipway list` (the trusted targets offered to this machine, and with
 * --why the reason for each that is not). The workflow itself is the trust
 * module's; the offer rules are the offer module's.
 */
#include "cli.h"

#include <slipway/fetch.h>
#include <slipway/fs.h>
#include <slipway/log.h>
#include <slipway/offer.h>
#include <slipway/progress.h>
#include <slipway/text.h>
#include <slipway/trust.h>

#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *
sw_cli_metadata_dir(struct sw_cli *cli)
{
    return sw_fs_join(cli->cfg->state_dir, "metadata");
}

static void
trust_config(struct sw_cli *cli, const char *mdir, struct sw_fetch *fetch,
             struct sw_trust_config *tc)
{
    memset(tc, 0, sizeof(*tc));
    tc->metadata_dir = mdir;
    tc->store = cli->store;
    tc->fetch = fetch;
    tc->max_root_size = cli->cfg->max_root_size;
    tc->max_timestamp_size = cli->cfg->max_timestamp_size;
    tc->max_metadata_size = cli->cfg->max_metadata_size;
    tc->max_walk_roles = cli->cfg->max_delegated_roles;
    tc->max_target_size = cli->cfg->max_target_size;
}

void
sw_cli_progress_fetching(void *ctx, const struct sw_trust_fetching *what)
{
    sw_progress_set_item(ctx, what->role, what->target, what->probe);
}

/* --- the clock and expiry ------------------------------------------------------------ */

void
sw_cli_duration(long long secs, char *out, size_t n)
{
    long long a = secs < 0 ? -secs : secs;
    if (a < 120)
        snprintf(out, n, "%lld s", a);
    else if (a < 2 * 3600)
        snprintf(out, n, "%lld min", a / 60);
    else if (a < 2 * 86400)
        snprintf(out, n, "%lld h", a / 3600);
    else
        snprintf(out, n, "%lld d", a / 86400);
}

/* The clock floor kept in the store: 1 with *ret_floor, 0 when none is set. */
static int
clock_floor(struct sw_cli *cli, time_t *ret_floor)
{
    char *v = NULL, *end;
    long long f;
    if (!cli->store || sw_store_setting_get(cli->store, "time-floor", &v, NULL) < 0)
        return 0;
    f = strtoll(v, &end, 10);
    if (*end || end == v) {
        free(v);
        return 0;
    }
    free(v);
    *ret_floor = (time_t)f;
    return 1;
}

/* Read the clock (never below the freeze floor) and say so when it is behind. */
static int
clock_now(struct sw_cli *cli, time_t *ret_now)
{
    int behind = 0;
    time_t clock = time(NULL);
    int r = sw_trust_now(cli->store, ret_now, &behind, &cli->err);
    if (r < 0)
        return r;
    if (behind) {
        char floor[21], now[21], d[32];
        sw_md_format_time(*ret_now, floor);
        sw_md_format_time(clock, now);
        sw_cli_duration((long long)(*ret_now - clock), d, sizeof(d));
        sw_log_warning("the clock is behind the last verified time: the local clock says %s, "
                       "%s before the clock floor %s (when the newest timestamp was verified); "
                       "using %s so expired metadata cannot come back; set the clock, or if it "
                       "is right reset the floor with 'slipway init --reset-clock-floor'",
                       now, d, floor, floor);
    }
    return 0;
}

/* What the publisher runs to renew a role that expired on the mirror. */
static void
renew_hint(const char *role, char *out, size_t n)
{
    if (strcmp(role, "timestamp") == 0)
        snprintf(out, n, "'slipway-repo timestamp DIR'");
    else if (strcmp(role, "snapshot") == 0)
        snprintf(out, n, "'slipway-repo snapshot DIR'");
    else
        snprintf(out, n, "'slipway-repo renew DIR %.64s' and 'slipway-repo commit DIR'", role);
}

int
sw_cli_explain_expiry(struct sw_cli *cli, const struct sw_trust *t, int r)
{
    const char *role;
    time_t expires, floor = 0, clock = time(NULL), used;
    int have_floor;
    char te[21], tu[21], tc[21], tf[21], ago[32], gap[32], hint[160];
    size_t n;

    if (r != -SW_E_EXPIRED || !sw_trust_expired(t, &role, &expires))
        return r;
    have_floor = clock_floor(cli, &floor);
    used = have_floor && floor > clock ? floor : clock;
    sw_md_format_time(expires, te);
    sw_md_format_time(used, tu);
    sw_md_format_time(clock, tc);
    sw_md_format_time(floor, tf);
    sw_cli_duration((long long)(used - expires), ago, sizeof(ago));
    renew_hint(role, hint, sizeof(hint));
    n = strlen(cli->err.msg);
    if (!have_floor) {
        snprintf(cli->err.msg + n, sizeof(cli->err.msg) - n,
                 "; the machine's time used is %s (UTC), role '%.64s' expired at %s, %s "
                 "before; no timestamp was verified yet to compare the clock with: if the "
                 "local clock is right the mirror is stale and the publisher must run %s; "
                 "otherwise set the clock",
                 tu, role, te, ago, hint);
    } else if (clock < floor) {
        sw_cli_duration((long long)(floor - clock), gap, sizeof(gap));
        snprintf(cli->err.msg + n, sizeof(cli->err.msg) - n,
                 "; the local clock looks wrong: the machine's time used is %s (UTC), the clock "
                 "floor, because the clock (%s) is %s behind it; role '%.64s' expired at %s; "
                 "set the clock (NTP), or if it is right reset the floor with 'slipway init "
                 "--reset-clock-floor'",
                 tu, tc, gap, role, te);
    } else if (clock - floor > SW_CLI_CLOCK_FAR_AHEAD) {
        sw_cli_duration((long long)(clock - floor), gap, sizeof(gap));
        snprintf(cli->err.msg + n, sizeof(cli->err.msg) - n,
                 "; the local clock looks wrong: the machine's time used is %s (UTC), %s after "
                 "the newest verified timestamp (%s), and role '%.64s' expired at %s, %s "
                 "before; set the clock (NTP); if it is right (this machine was offline that "
                 "long) the mirror is stale and the publisher must run %s",
                 tu, gap, tf, role, te, ago, hint);
    } else {
        sw_cli_duration((long long)(clock - floor), gap, sizeof(gap));
        snprintf(cli->err.msg + n, sizeof(cli->err.msg) - n,
                 "; the mirror looks stale: role '%.64s' expired at %s, %s before the machine's "
                 "time used, %s (UTC), which agrees with the newest verified timestamp (%s, "
                 "%s earlier); the publisher must run %s and the mirrors must sync",
                 role, te, ago, tu, tf, gap, hint);
    }
    return r;
}

/* --- init ------------------------------------------------------------------------ */

enum { OPT_INIT_ROOT = 1, OPT_INIT_FORCE, OPT_INIT_RESET_FLOOR, OPT_INIT_YES };

const struct sw_opt sw_cli_init_opts[] = {
    {"root", 0, 1, OPT_INIT_ROOT, "FILE", "the root metadata to trust (required)"},
    {"force", 0, 0, OPT_INIT_FORCE, NULL, "replace the trusted root and forget all trust"},
    {"reset-clock-floor", 0, 0, OPT_INIT_RESET_FLOOR, NULL,
     "lower the clock floor to the local clock (asks; recorded)"},
    {"yes", 0, 0, OPT_INIT_YES, NULL, "confirm --reset-clock-floor without asking"},
    {NULL, 0, 0, 0, NULL, NULL},
};

/* Asked on a terminal: did the operator type "yes"? */
static int
confirmed_on_terminal(const char *question)
{
    char line[16];
    if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
        return 0;
    fprintf(stderr, "%s Type 'yes' to go on: ", question);
    fflush(stderr);
    if (!fgets(line, sizeof(line), stdin))
        return 0;
    line[strcspn(line, "\r\n")] = '\0';
    return strcmp(line, "yes") == 0;
}

/*
 * `slipway init --reset-clock-floor`: the floor (the time the newest
 * timestamp was verified) becomes the local clock, after a confirmation,
 * recorded as a "clock-floor-reset" event with the actor and both times.
 */
static int
reset_clock_floor(struct sw_cli *cli)
{
    time_t floor = 0, clock = time(NULL);
    char tf[21], tc[21], v[24], reason[160], detail[160];
    struct sw_store_event ev;
    struct passwd *pw = getpwuid(geteuid());
    char actor[96];
    int r;

    if (!clock_floor(cli, &floor)) {
        if (cli->json)
            return sw_cli_print_json(
                cli, json_pack("{s:b,s:n,s:n,s:n}", "reset", 0, "old_floor", "new_floor", "actor"));
        printf("no clock floor is set (no timestamp was verified yet): nothing to reset\n");
        return 0;
    }
    sw_md_format_time(floor, tf);
    sw_md_format_time(clock, tc);
    if (!sw_cli_opt_flag(cli, OPT_INIT_YES)) {
        char q[160];
        snprintf(q, sizeof(q), "Reset the clock floor from %s to the local clock %s?", tf, tc);
        if (!confirmed_on_terminal(q))
            return sw_error_set(&cli->err, SW_E_USAGE,
                                "init: not resetting the clock floor (%s; the local clock is "
                                "%s) without confirmation: give --yes, or type 'yes' on a "
                                "terminal",
                                tf, tc);
    }
    if (pw && pw->pw_name)
        snprintf(actor, sizeof(actor), "user:%s", pw->pw_name);
    else
        snprintf(actor, sizeof(actor), "uid:%u", (unsigned)geteuid());
    snprintf(v, sizeof(v), "%lld", (long long)clock);
    snprintf(reason, sizeof(reason), "clock floor reset from %s to the local clock %s", tf, tc);
    snprintf(detail, sizeof(detail), "{\"old_floor\":\"%s\",\"new_floor\":\"%s\"}", tf, tc);
    memset(&ev, 0, sizeof(ev));
    ev.kind = "clock-floor-reset";
    ev.actor = actor;
    ev.reason = reason;
    ev.detail = detail;
    r = sw_store_setting_set(cli->store, "time-floor", v, &cli->err);
    if (r == 0)
        r = sw_store_event_add(cli->store, &ev, &cli->err);
    if (r < 0)
        return sw_error_prefix(&cli->err, "init: resetting the clock floor: ");
    sw_log_notice("%s (by %s)", reason, actor);
    if (cli->json)
        return sw_cli_print_json(cli, json_pack("{s:b,s:s,s:s,s:s}", "reset", 1, "old_floor", tf,
                                                "new_floor", tc, "actor", actor));
    printf("%s\n", reason);
    return 0;
}

int
sw_cmd_init(struct sw_cli *cli, int argc, char **argv)
{
    const char *root_file = sw_cli_opt_get(cli, OPT_INIT_ROOT, NULL);
    int force = sw_cli_opt_flag(cli, OPT_INIT_FORCE);
    unsigned char *bytes = NULL;
    size_t len = 0;
    char *mdir = NULL;
    struct sw_trust_config tc;
    struct sw_trust *t = NULL;
    time_t now;
    int r;

    (void)argc;
    (void)argv;
    if (sw_cli_opt_flag(cli, OPT_INIT_RESET_FLOOR)) {
        if (root_file || force)
            return sw_error_set(&cli->err, SW_E_USAGE,
                                "init: --reset-clock-floor goes without --root and --force");
        return reset_clock_floor(cli);
    }
    if (sw_cli_opt_flag(cli, OPT_INIT_YES))
        return sw_error_set(&cli->err, SW_E_USAGE, "init: --yes goes with --reset-clock-floor");
    if (!root_file)
        return sw_error_set(&cli->err, SW_E_USAGE, "init: --root FILE is required");
    r = sw_fs_read_file(root_file, (size_t)cli->cfg->max_root_size, &bytes, &len, &cli->err);
    if (r == -SW_E_LIMIT) {
        size_t n = strlen(cli->err.msg);
        snprintf(cli->err.msg + n, sizeof(cli->err.msg) - n,
                 "; if the root is meant to be this large, raise [fetch] max-root-size");
    }
    if (r < 0)
        return sw_error_prefix(&cli->err, "init: ");
    mdir = sw_cli_metadata_dir(cli);
    if (!mdir) {
        r = sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    r = clock_now(cli, &now);
    if (r < 0)
        goto out;
    r = sw_fs_private_dir(mdir, &cli->err);
    if (r < 0)
        goto out;
    r = sw_trust_install_root(mdir, cli->store, bytes, len, force, 1, now, &cli->err);
    if (r < 0) {
        sw_error_prefix(&cli->err, "init: root '%s': ", root_file);
        goto out;
    }
    trust_config(cli, mdir, NULL, &tc);
    r = sw_trust_open(&tc, &t, &cli->err);
    if (r < 0)
        goto out;
    if (cli->json) {
        const struct sw_md *root = sw_trust_root(t);
        r = sw_cli_print_json(
            cli, json_pack("{s:s,s:I,s:s,s:b,s:s}", "root", root_file, "root_version",
                           (json_int_t)sw_md_version(root), "expires", sw_md_expires_string(root),
                           "consistent_snapshot", sw_md_root_consistent_snapshot(root),
                           "metadata_dir", mdir));
    } else {
        const struct sw_md *root = sw_trust_root(t);
        sw_text_printf(stdout, "trusting root version %" PRId64 " from '%s' (expires %s)\n",
                       sw_md_version(root), root_file, sw_md_expires_string(root));
    }
out:
    sw_trust_free(t);
    free(mdir);
    free(bytes);
    return r;
}

/* --- refresh ------------------------------------------------------------------------ */

static int
open_trust(struct sw_cli *cli, int with_fetch, char **ret_mdir, struct sw_fetch **ret_fetch,
           struct sw_trust **ret_trust, struct sw_progress *progress)
{
    struct sw_trust_config tc;
    int r;

    *ret_fetch = NULL;
    *ret_trust = NULL;
    *ret_mdir = sw_cli_metadata_dir(cli);
    if (!*ret_mdir)
        return sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
    if (with_fetch && cli->cfg->n_mirrors == 0 && with_fetch == 2)
        return sw_error_set(&cli->err, SW_E_CONFIG,
                            "no [mirror \"NAME\"] section in the configuration: nothing to "
                            "refresh from");
    if (with_fetch && cli->cfg->n_mirrors > 0) {
        r = sw_fetch_new_config(cli->cfg, ret_fetch, &cli->err);
        if (r < 0)
            return r;
    }
    trust_config(cli, *ret_mdir, *ret_fetch, &tc);
    tc.local_roles = !with_fetch; /* never a request for metadata */
    if (progress) {
        tc.progress = sw_progress_fetch;
        tc.progress_ctx = progress;
        tc.fetching = sw_cli_progress_fetching;
    }
    return sw_trust_open(&tc, ret_trust, &cli->err);
}

/* The delegated roles that could not be used, as JSON. */
static json_t *
skips_json(const struct sw_trust_skip *skips, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a,
                              json_pack("{s:s,s:s,s:s,s:s}", "role", skips[i].role, "delegator",
                                        skips[i].delegator, "error", sw_errcode_name(skips[i].code),
                                        "reason", skips[i].reason));
    return a;
}

static void
warn_skips(const struct sw_trust_skip *skips, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sw_log_warning("role '%s' (delegated by '%s') cannot be used, its targets are not "
                       "offered: %s",
                       skips[i].role, skips[i].delegator, skips[i].reason);
}

static int
record_refresh(struct sw_cli *cli, const struct sw_trust_report *rep,
               const struct sw_trust_skip *skips, size_t n_skips, int ok)
{
    struct sw_store_event ev;
    json_t *detail = json_object(), *roles = json_array();
    char *text;
    int r;

    for (size_t i = 0; i < rep->n_changes; i++)
        json_array_append_new(roles,
                              json_pack("{s:s,s:I,s:I}", "role", rep->changes[i].role,
                                        "old_version", (json_int_t)rep->changes[i].old_version,
                                        "new_version", (json_int_t)rep->changes[i].new_version));
    json_object_set_new(detail, "ok", json_boolean(ok));
    json_object_set_new(detail, "roles", roles);
    json_object_set_new(detail, "requests", json_integer(rep->requests));
    if (n_skips)
        json_object_set_new(detail, "unusable_roles", skips_json(skips, n_skips));
    text = json_dumps(detail, JSON_COMPACT);
    json_decref(detail);
    memset(&ev, 0, sizeof(ev));
    ev.kind = "refresh";
    ev.actor = "slipway";
    ev.reason = !ok       ? cli->err.msg
                : n_skips ? "refreshed; delegated roles not usable"
                          : "refreshed";
    ev.detail = text;
    r = sw_store_event_add(cli->store, &ev, ok ? &cli->err : NULL);
    free(text);
    return ok ? r : 0;
}

/*
 * The exit status of a refresh whose delegated roles could not all be used:
 * 5 when verification refused one, else 6 when one could not be fetched,
 * else that of the first.
 */
static int
skips_exit_code(const struct sw_trust_skip *skips, size_t n)
{
    int code = n ? sw_cli_exit_code(-skips[0].code) : SW_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        int c = sw_cli_exit_code(-skips[i].code);
        if (c == SW_EXIT_TRUST)
            return c;
        if (c == SW_EXIT_FETCH)
            code = c;
    }
    return code;
}

int
sw_cmd_refresh(struct sw_cli *cli, int argc, char **argv)
{
    struct sw_fetch *fetch = NULL;
    struct sw_trust *t = NULL;
    struct sw_trust_report rep;
    struct sw_progress *progress = NULL;
    struct sw_trust_skip *skips = NULL;
    size_t n_skips = 0, n_delegated = 0;
    unsigned before;
    char *mdir = NULL;
    time_t now;
    int r;

    (void)argc;
    (void)argv;
    memset(&rep, 0, sizeof(rep));
    r = sw_cli_progress(cli, &progress);
    if (r < 0)
        goto out;
    r = open_trust(cli, 2, &mdir, &fetch, &t, progress);
    if (r < 0)
        goto out;
    r = clock_now(cli, &now);
    if (r < 0)
        goto out;
    r = sw_trust_refresh(t, now, &rep, &cli->err);
    if (r < 0) {
        sw_cli_explain_expiry(cli, t, r);
        record_refresh(cli, &rep, NULL, 0, 0);
        sw_error_prefix(&cli->err, "refresh: ");
        goto out;
    }
    /* every delegated role too, so that list and the pipeline need no network */
    before = sw_trust_requests(t);
    r = sw_trust_fetch_delegated(t, &n_delegated, &skips, &n_skips, &cli->err);
    rep.requests += sw_trust_requests(t) - before;
    if (r < 0) {
        sw_cli_explain_expiry(cli, t, r);
        record_refresh(cli, &rep, NULL, 0, 0);
        sw_error_prefix(&cli->err, "refresh: delegated roles: ");
        goto out;
    }
    r = record_refresh(cli, &rep, skips, n_skips, 1);
    if (r < 0)
        goto out;
    warn_skips(skips, n_skips);
    if (cli->json) {
        json_t *o = json_object(), *roles = json_array(), *versions = json_object();
        for (size_t i = 0; i < rep.n_changes; i++)
            json_array_append_new(roles,
                                  json_pack("{s:s,s:I,s:I}", "role", rep.changes[i].role,
                                            "old_version", (json_int_t)rep.changes[i].old_version,
                                            "new_version", (json_int_t)rep.changes[i].new_version));
        for (int ty = SW_MD_ROOT; ty <= SW_MD_TARGETS; ty++) {
            int64_t v = sw_trust_role_version(t, (enum sw_md_type)ty);
            if (v)
                json_object_set_new(versions, sw_md_type_to_string((enum sw_md_type)ty),
                                    json_integer(v));
        }
        json_object_set_new(o, "changed", json_boolean(rep.n_changes > 0));
        json_object_set_new(o, "roles", roles);
        json_object_set_new(o, "versions", versions);
        json_object_set_new(o, "timestamp_unchanged", json_boolean(rep.timestamp_unchanged));
        json_object_set_new(o, "requests", json_integer(rep.requests));
        json_object_set_new(o, "delegated_roles", json_integer((json_int_t)n_delegated));
        json_object_set_new(o, "unusable_roles", skips_json(skips, n_skips));
        r = sw_cli_print_json(cli, o);
    } else if (rep.n_changes == 0) {
        sw_text_printf(
            stdout, "up to date: timestamp version %" PRId64 ", targets version %" PRId64 "\n",
            sw_trust_role_version(t, SW_MD_TIMESTAMP), sw_trust_role_version(t, SW_MD_TARGETS));
    } else {
        for (size_t i = 0; i < rep.n_changes; i++) {
            const struct sw_trust_change *c = &rep.changes[i];
            if (c->new_version == 0)
                sw_text_printf(stdout, "%-10s version %" PRId64 " dropped (its keys changed)\n",
                               c->role, c->old_version);
            else if (c->old_version == 0)
                sw_text_printf(stdout, "%-10s version %" PRId64 " (new)\n", c->role,
                               c->new_version);
            else
                sw_text_printf(stdout, "%-10s version %" PRId64 " -> %" PRId64 "\n", c->role,
                               c->old_version, c->new_version);
        }
    }
    if (!cli->json && n_skips)
        printf("%zu delegated role(s) cannot be used; their targets are not offered "
               "('slipway list --why' says which)\n",
               n_skips);
    if (r == 0 && n_skips)
        r = skips_exit_code(skips, n_skips);
out:
    sw_trust_skips_free(skips, n_skips);
    sw_trust_free(t);
    sw_fetch_free(fetch);
    sw_progress_free(progress);
    free(mdir);
    return r;
}

/* --- list ----------------------------------------------------------------------------- */

enum { OPT_LIST_WHY = 1 };

const struct sw_opt sw_cli_list_opts[] = {
    {"why", 0, 0, OPT_LIST_WHY, NULL, "also list targets not offered, and why"},
    {NULL, 0, 0, 0, NULL, NULL},
};

void
sw_cli_offer_device(struct sw_cli *cli, const char *installed, struct sw_offer_device *dev)
{
    time_t now = 0;
    int behind = 0;
    /* the trust client's clock, never below the floor; unknown (0) offers no wave */
    if (sw_trust_now(cli->store, &now, &behind, NULL) < 0)
        now = 0;
    sw_offer_device_init(dev, cli->cfg, sw_store_device_id(cli->store), installed, now);
}

static int
installed_version(struct sw_cli *cli, char **ret)
{
    struct sw_store_slot *slots = NULL;
    size_t n = 0;
    int r = sw_store_slots(cli->store, &slots, &n, &cli->err);
    *ret = NULL;
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++)
        if (strcmp(slots[i].state, "active") == 0 && slots[i].version)
            *ret = strdup(slots[i].version);
    sw_store_slots_free(slots, n);
    return 0;
}

/* What list and show decide about one path: one search, one offer verdict. */
struct target_view {
    const struct sw_md_fileinfo *info; /* NULL when the search stopped at skip.role */
    const char *role;                  /* the role that signed it */
    struct sw_trust_skip skip;         /* release with sw_trust_skip_release */
    struct sw_offer offer;             /* with info */
};

/*
 * Find path as the client workflow does and decide whether it is offered.
 * Returns 0 (with v->info, or with v->skip.role when a role on the way
 * cannot be used), -SW_E_NOTFOUND when no trusted role lists it, or an error.
 */
static int
resolve_target(struct sw_cli *cli, struct sw_trust *t, const struct sw_offer_device *dev,
               const char *path, struct target_view *v)
{
    int r;

    memset(v, 0, sizeof(*v));
    r = sw_trust_find_target_why(t, path, &v->info, &v->role, &v->skip, &cli->err);
    if (r < 0 && v->skip.role) {
        v->info = NULL;
        sw_error_clear(&cli->err);
        return 0;
    }
    if (r < 0)
        return r;
    sw_offer_evaluate(path, sw_md_fileinfo_custom(v->info), dev, &v->offer);
    return 0;
}

/*
 * resolve_target(), with a path no trusted role lists giving a view with
 * neither info nor skip role (listed only by a role not trusted for it).
 */
static int
decide_one(struct sw_cli *cli, struct sw_trust *t, const struct sw_offer_device *dev,
           const char *path, struct target_view *v)
{
    int r = resolve_target(cli, t, dev, path, v);
    if (r == -SW_E_NOTFOUND) {
        sw_error_clear(&cli->err);
        sw_trust_skip_release(&v->skip);
        memset(v, 0, sizeof(*v));
        r = 0;
    }
    return r;
}

/*
 * What needs every target before one can be decided for good (a pulled
 * release's replace-with, sw_offer_replace_*): the passes before the last
 * over paths, each path searched and decided afresh, nothing kept (no
 * decision per target: a few hundred bytes each at 100 000 targets). None
 * without an installed version. Then give each decision for paths[i] to
 * sw_offer_replace_apply(rp, dev, decision, i).
 */
static int
replace_passes(struct sw_cli *cli, struct sw_trust *t, const struct sw_offer_device *dev,
               char **paths, size_t n, struct sw_offer_replace *rp)
{
    sw_offer_replace_init(rp);
    if (!sw_offer_replace_needed(dev))
        return 0;
    for (int pass = 0; pass < 2 && (pass == 0 || rp->replace); pass++) {
        for (size_t i = 0; i < n; i++) {
            struct target_view v;
            int r = decide_one(cli, t, dev, paths[i], &v);
            if (r < 0)
                return r;
            if (v.info && pass == 0)
                sw_offer_replace_note(rp, dev, &v.offer, i);
            else if (v.info)
                sw_offer_replace_match(rp, &v.offer);
            sw_trust_skip_release(&v.skip);
        }
    }
    return 0;
}

/* A signed custom.slipway field as it was signed, or null. */
static json_t *
signed_field(const struct sw_md_fileinfo *info, const char *field)
{
    const json_t *custom = sw_md_fileinfo_custom(info);
    const json_t *sw = custom ? json_object_get(custom, "slipway") : NULL;
    const json_t *f = json_is_object(sw) ? json_object_get(sw, field) : NULL;
    return f ? json_deep_copy(f) : json_null();
}

/*
 * The rollout side of a decision for list --json and show --json: share as
 * a percentage (a number: 12.5), this machine's bucket, the wave step
 * reached, pulled, replace_with and whether it is a policy downgrade.
 */
static json_t *
decision_json(const struct sw_offer *o)
{
    return json_pack(
        "{s:f,s:i,s:o,s:o,s:b,s:o,s:b}", "share", o->share / 100.0, "bucket", (int)o->bucket,
        "wave_step", o->wave_step >= 0 ? json_integer(o->wave_step) : json_null(), "wave_steps",
        o->wave_step >= 0 ? json_integer(o->wave_steps) : json_null(), "pulled", o->pulled,
        "replace_with", o->replace_with ? json_string(o->replace_with) : json_null(), "downgrade",
        o->downgrade);
}

/* The JSON object of one target, for list --json and show --json. */
static json_t *
target_json(const char *path, const struct target_view *v)
{
    json_t *o, *hashes;

    if (!v->info)
        return json_pack("{s:s,s:n,s:n,s:s,s:s,s:b,s:s,s:s,s:n,s:n,s:n,s:n}", "name", path,
                         "version", "length", "role", v->skip.role, "delegator", v->skip.delegator,
                         "offered", 0, "verdict", "role-unusable", "reason", v->skip.reason,
                         "compatible", "channels", "rollout", "hashes");
    hashes = json_object();
    for (size_t i = 0; hashes && i < v->info->n_hashes; i++)
        json_object_set_new(hashes, v->info->hashes[i].alg, json_string(v->info->hashes[i].value));
    o = json_pack("{s:s,s:o,s:I,s:s,s:b,s:s,s:s,s:o,s:o,s:o,s:o,s:o}", "name", path, "version",
                  v->offer.version ? json_string(v->offer.version) : json_null(), "length",
                  (json_int_t)v->info->length, "role", v->role, "offered",
                  v->offer.verdict == SW_OFFER_YES, "verdict",
                  sw_offer_verdict_to_string(v->offer.verdict), "reason", v->offer.reason,
                  "compatible", signed_field(v->info, "compatible"), "channels",
                  signed_field(v->info, "channels"), "rollout", signed_field(v->info, "rollout"),
                  "min_client", signed_field(v->info, "min_client"), "hashes", hashes);
    if (o)
        json_object_update_new(o, decision_json(&v->offer));
    return o;
}

/*
 * When the newest refresh recorded in the store failed, say when and why:
 * appended to cli->err when what it kept cannot be used (in_error), else a
 * warning that what is shown was verified before.
 */
static void
last_refresh_failure(struct sw_cli *cli, int in_error)
{
    struct sw_store_event_row *ev = NULL;
    const struct sw_store_event_row *last = NULL;
    size_t n = 0;
    int failed = 0;

    if (sw_store_events_list(cli->store, 0, &ev, &n, NULL) < 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (strcmp(ev[i].kind, "refresh") == 0)
            last = &ev[i];
    if (last) {
        json_t *d = last->detail ? json_loads(last->detail, 0, NULL) : NULL;
        const json_t *ok = d ? json_object_get(d, "ok") : NULL;
        failed = json_is_boolean(ok) ? !json_is_true(ok)
                                     : !last->reason || strncmp(last->reason, "refreshed", 9) != 0;
        json_decref(d);
    }
    if (failed) {
        char at[21];
        const char *why = last->reason ? last->reason : "(no reason recorded)";
        sw_md_format_time((time_t)last->at, at);
        if (in_error) {
            /* who must act is said once, for now: the refresh's own verdict is cut */
            static const char *const verdicts[] = {"; the mirror looks stale",
                                                   "; the local clock looks wrong"};
            size_t len = strlen(cli->err.msg), keep = strlen(why);
            for (size_t i = 0; i < 2; i++) {
                const char *v = strstr(why, verdicts[i]);
                if (v && (size_t)(v - why) < keep &&
                    (strstr(cli->err.msg, verdicts[0]) || strstr(cli->err.msg, verdicts[1])))
                    keep = (size_t)(v - why);
            }
            snprintf(cli->err.msg + len, sizeof(cli->err.msg) - len,
                     "; the last refresh, at %s, failed: %.*s", at, (int)keep, why);
        } else {
            sw_log_warning("the last refresh, at %s, failed: %s; what follows was verified "
                           "before it",
                           at, why);
        }
    }
    sw_store_events_free(ev, n);
}

/* Open what the last refresh kept (no network) and this machine's offer view. */
static int
open_offline(struct sw_cli *cli, char **ret_mdir, struct sw_fetch **ret_fetch,
             struct sw_trust **ret_trust, char **ret_installed, struct sw_offer_device *dev)
{
    time_t now;
    int r = open_trust(cli, 0, ret_mdir, ret_fetch, ret_trust, NULL);
    if (r < 0)
        return r;
    r = clock_now(cli, &now);
    if (r < 0)
        return r;
    r = sw_trust_load_local(*ret_trust, now, &cli->err);
    if (r < 0) {
        sw_cli_explain_expiry(cli, *ret_trust, r);
        last_refresh_failure(cli, 1);
        return r;
    }
    last_refresh_failure(cli, 0);
    r = installed_version(cli, ret_installed);
    if (r < 0)
        return r;
    sw_cli_offer_device(cli, *ret_installed, dev);
    return 0;
}

/* s, then spaces up to width bytes (printf's "%-*s") */
static int
put_padded(struct sw_buf *b, const char *s, size_t width, struct sw_error *err)
{
    static const char spaces[] = "                                        ";
    size_t n = strlen(s);
    int r = sw_buf_append(b, s, n, err);
    while (r == 0 && n < width) {
        size_t k = width - n < sizeof(spaces) - 1 ? width - n : sizeof(spaces) - 1;
        r = sw_buf_append(b, spaces, k, err);
        n += k;
    }
    return r;
}

/*
 * One row of the text list, written at once: what
 *   "%-40s %-14s %12" PRId64 " bytes[ (NOTE)]\n"   (offered) or
 *   "%-40s %-14s not offered: NOTE\n"
 * prints. name, ver and note are escaped already (no control byte).
 */
static int
put_row(struct sw_buf *b, const char *name, const char *ver, bool offered, int64_t length,
        const char *note, struct sw_error *err)
{
    char num[32];
    int r;
    b->len = 0;
    r = put_padded(b, name, 40, err);
    if (r == 0)
        r = sw_buf_append(b, " ", 1, err);
    if (r == 0)
        r = put_padded(b, ver, 14, err);
    if (r == 0 && offered) {
        snprintf(num, sizeof(num), " %12" PRId64 " bytes", length);
        r = sw_buf_append_str(b, num, err);
        if (r == 0 && note)
            r = sw_buf_printf(b, err, " (%s)", note);
    } else if (r == 0) {
        r = sw_buf_append_str(b, " not offered: ", err);
        if (r == 0)
            r = sw_buf_append_str(b, note, err);
    }
    if (r == 0)
        r = sw_buf_append(b, "\n", 1, err);
    if (r == 0) /* as printf's: a write error shows when stdout is flushed at exit */
        (void)fwrite(b->data, 1, b->len, stdout);
    return r;
}

int
sw_cmd_list(struct sw_cli *cli, int argc, char **argv)
{
    struct sw_buf row = SW_BUF_INIT(0);
    int why = sw_cli_opt_flag(cli, OPT_LIST_WHY);
    struct sw_fetch *fetch = NULL;
    struct sw_trust *t = NULL;
    struct sw_trust_skip *skips = NULL;
    char *mdir = NULL, *installed = NULL;
    char **paths = NULL;
    size_t n_paths = 0, n_offered = 0, n_skips = 0;
    struct sw_offer_device dev;
    json_t *jlist = NULL;
    struct sw_offer_replace rp;
    int header = 0;
    int r;

    (void)argc;
    (void)argv;
    /* offline: everything comes from what the last refresh kept */
    r = open_offline(cli, &mdir, &fetch, &t, &installed, &dev);
    if (r < 0)
        goto out;
    r = sw_trust_list_paths(t, &paths, &n_paths, &skips, &n_skips, &cli->err);
    if (r < 0)
        goto out;
    warn_skips(skips, n_skips);
    jlist = json_array();
    if (!jlist) {
        r = sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    r = replace_passes(cli, t, &dev, paths, n_paths, &rp);
    if (r < 0)
        goto out;
    /* one target at a time: searched, decided, printed */
    for (size_t i = 0; i < n_paths; i++) {
        struct target_view v;
        const struct sw_offer *o = &v.offer;
        r = decide_one(cli, t, &dev, paths[i], &v);
        if (r < 0)
            goto out;
        if (v.info)
            sw_offer_replace_apply(&rp, &dev, &v.offer, i);
        if (!v.info && !v.skip.role)
            continue; /* listed only by a role not trusted for that path */
        if (v.info && o->verdict == SW_OFFER_YES)
            n_offered++;
        else if (!why) {
            sw_trust_skip_release(&v.skip);
            continue;
        }
        if (!cli->json && !header) {
            printf("%-40s %-14s %s\n", "TARGET", "VERSION", "LENGTH OR WHY NOT OFFERED");
            header = 1;
        }
        if (cli->json) {
            json_array_append_new(jlist, target_json(paths[i], &v));
        } else if (!v.info) {
            /* the search for it stops at a role that cannot be used */
            printf("%-40s %-14s not offered: role '%s' (delegated by '%s'): %s\n", paths[i], "-",
                   v.skip.role, v.skip.delegator, v.skip.reason);
        } else {
            /* names and values are signed but untrusted: no control byte, no newline */
            char *name = sw_text_escape(paths[i], 0);
            char *ver = sw_text_escape(o->version ? o->version : "-", 0);
            char *why_not = sw_text_escape(o->reason, 0);
            if (!name || !ver || !why_not)
                r = sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
            else
                r = put_row(&row, name, ver, o->verdict == SW_OFFER_YES, v.info->length,
                            o->verdict == SW_OFFER_YES && !o->downgrade ? NULL : why_not,
                            &cli->err);
            free(name);
            free(ver);
            free(why_not);
        }
        sw_trust_skip_release(&v.skip);
        if (r < 0)
            goto out;
    }
    r = 0;
    if (!cli->json && why)
        for (size_t i = 0; i < n_skips; i++)
            printf("role '%s' (delegated by '%s') cannot be used; what it lists is not "
                   "offered: %s\n",
                   skips[i].role, skips[i].delegator, skips[i].reason);
    if (cli->json) {
        r = sw_cli_print_json(cli, json_pack("{s:o,s:o,s:i,s:o}", "installed_version",
                                             installed ? json_string(installed) : json_null(),
                                             "targets", jlist, "offered", (int)n_offered,
                                             "skipped_roles", skips_json(skips, n_skips)));
        jlist = NULL;
    } else if (n_offered == 0) {
        sw_text_printf(stdout, "no update is offered to this machine%s\n",
                       why ? "" : " (run 'slipway list --why' for the reasons)");
    }
out:
    sw_buf_release(&row);
    json_decref(jlist);
    for (size_t i = 0; i < n_paths; i++)
        free(paths[i]);
    free(paths);
    free(installed);
    sw_trust_skips_free(skips, n_skips);
    sw_trust_free(t);
    sw_fetch_free(fetch);
    free(mdir);
    return r;
}

/* --- show ----------------------------------------------------------------------------- */

/* A signed value for a person: a string or strings joined by ", ", else compact JSON. */
static char *
field_text(const json_t *v, const char *absent)
{
    char *raw = NULL, *out;

    if (!v || json_is_null(v))
        return strdup(absent);
    if (json_is_object(v) && json_is_integer(json_object_get(v, "percent"))) {
        /* rollout: {"percent": N[, "salt": "..."]} */
        const json_t *salt = json_object_get(v, "salt");
        if (asprintf(&raw, "%" JSON_INTEGER_FORMAT "%% of machines%s%s%s",
                     json_integer_value(json_object_get(v, "percent")),
                     json_is_string(salt) ? " (salt '" : "",
                     json_is_string(salt) ? json_string_value(salt) : "",
                     json_is_string(salt) ? "')" : "") < 0)
            raw = NULL;
    } else if (json_is_string(v)) {
        raw = strdup(json_string_value(v));
    } else if (json_is_array(v)) {
        size_t i, len = 1;
        const json_t *e;
        int all_strings = 1;
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e))
                all_strings = 0;
            else
                len += strlen(json_string_value(e)) + 2;
        }
        if (all_strings && (raw = malloc(len))) {
            raw[0] = '\0';
            json_array_foreach(v, i, e)
            {
                if (i)
                    strcat(raw, ", ");
                strcat(raw, json_string_value(e));
            }
        }
    }
    if (!raw)
        raw = sw_text_json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!raw)
        return NULL;
    out = sw_text_escape(raw, 0);
    free(raw);
    return out;
}

static int
show_text(const char *path, const struct target_view *v, const json_t *j)
{
    static const char *const fields[][2] = {
        {"version", "version"}, {"compatible", "compatible"}, {"channels", "channels"},
        {"rollout", "rollout"}, {"min_client", "min client"},
    };
    char *name = sw_text_escape(path, 0);
    int r = 0;

    if (!name)
        return -SW_E_NOMEM;
    sw_text_printf(stdout, "%-12s %s\n", "target:", name);
    free(name);
    if (!v->info) {
        char *role = sw_text_escape(v->skip.role, 0), *del = sw_text_escape(v->skip.delegator, 0);
        char *reason = sw_text_escape(v->skip.reason, 0);
        if (role && del && reason)
            sw_text_printf(stdout,
                           "%-12s no (role-unusable): role '%s' (delegated by '%s') cannot be "
                           "used: %s\n",
                           "offered:", role, del, reason);
        else
            r = -SW_E_NOMEM;
        free(role);
        free(del);
        free(reason);
        return r;
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]) && r == 0; i++) {
        const char *absent = strcmp(fields[i][0], "channels") == 0  ? "(any channel)"
                             : strcmp(fields[i][0], "rollout") == 0 ? "(everyone)"
                                                                    : "-";
        char label[32];
        char *t = field_text(json_object_get(j, fields[i][0]), absent);
        if (!t)
            return -SW_E_NOMEM;
        snprintf(label, sizeof(label), "%s:", fields[i][1]);
        if (strcmp(fields[i][0], "rollout") == 0 && v->offer.share < SW_OFFER_BUCKETS)
            sw_text_printf(stdout, "%-12s %s (this machine's bucket %u of %u)\n", label, t,
                           v->offer.bucket, SW_OFFER_BUCKETS);
        else
            sw_text_printf(stdout, "%-12s %s\n", label, t);
        free(t);
    }
    sw_text_printf(stdout, "%-12s %" PRId64 " bytes\n", "length:", v->info->length);
    for (size_t i = 0; i < v->info->n_hashes; i++) {
        char label[64];
        char *alg = sw_text_escape(v->info->hashes[i].alg, 0);
        char *val = sw_text_escape(v->info->hashes[i].value, 0);
        if (alg && val) {
            snprintf(label, sizeof(label), "%s:", alg);
            sw_text_printf(stdout, "%-12s %s\n", label, val);
        } else {
            r = -SW_E_NOMEM;
        }
        free(alg);
        free(val);
    }
    if (r == 0) {
        char *role = sw_text_escape(v->role, 0), *reason = sw_text_escape(v->offer.reason, 0);
        if (role && reason) {
            sw_text_printf(stdout, "%-12s role '%s'\n", "signed by:", role);
            if (v->offer.verdict == SW_OFFER_YES)
                sw_text_printf(stdout, "%-12s yes: %s\n", "offered:", reason);
            else
                sw_text_printf(stdout, "%-12s no (%s): %s\n",
                               "offered:", sw_offer_verdict_to_string(v->offer.verdict), reason);
        } else {
            r = -SW_E_NOMEM;
        }
        free(role);
        free(reason);
    }
    return r;
}

/* One target decided among all of them, as list decides it (a replace-with needs the set). */
static int
show_decide(struct sw_cli *cli, struct sw_trust *t, const struct sw_offer_device *dev,
            const char *path, struct target_view *v)
{
    struct sw_trust_skip *skips = NULL;
    struct sw_offer_replace rp;
    char **paths = NULL;
    size_t n = 0, n_skips = 0, i;
    int r = sw_trust_list_paths(t, &paths, &n, &skips, &n_skips, &cli->err);

    if (r < 0)
        return r;
    for (i = 0; i < n && strcmp(paths[i], path) != 0; i++)
        ;
    sw_offer_replace_init(&rp);
    if (i < n)
        r = replace_passes(cli, t, dev, paths, n, &rp);
    if (r == 0)
        r = resolve_target(cli, t, dev, path, v);
    if (r == 0 && v->info)
        sw_offer_replace_apply(&rp, dev, &v->offer, i);
    for (size_t k = 0; k < n; k++)
        free(paths[k]);
    free(paths);
    sw_trust_skips_free(skips, n_skips);
    return r;
}

int
sw_cmd_show(struct sw_cli *cli, int argc, char **argv)
{
    const char *path = argv[0];
    struct sw_fetch *fetch = NULL;
    struct sw_trust *t = NULL;
    char *mdir = NULL, *installed = NULL;
    struct sw_offer_device dev;
    struct target_view v;
    json_t *j = NULL;
    int r;

    (void)argc;
    memset(&v, 0, sizeof(v));
    /* offline, like list: what the last refresh kept */
    r = open_offline(cli, &mdir, &fetch, &t, &installed, &dev);
    if (r < 0)
        goto out;
    r = show_decide(cli, t, &dev, path, &v);
    if (r == -SW_E_NOTFOUND) {
        char *name = sw_text_escape(path, 0);
        sw_error_clear(&cli->err);
        r = sw_error_set(&cli->err, SW_E_NOTFOUND,
                         "show: no trusted role lists target '%s' ('slipway list --why' lists "
                         "them all)",
                         name ? name : "?");
        free(name);
        goto out;
    }
    if (r < 0)
        goto out;
    j = target_json(path, &v);
    if (!j) {
        r = sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    if (cli->json) {
        json_t *o = json_pack("{s:i,s:o,s:O}", "schema", 1, "installed_version",
                              installed ? json_string(installed) : json_null(), "target", j);
        r = sw_cli_print_json(cli, o);
    } else {
        r = show_text(path, &v, j);
        if (r < 0)
            r = sw_error_set(&cli->err, -r, "show: cannot write the output");
    }
out:
    json_decref(j);
    sw_trust_skip_release(&v.skip);
    sw_trust_free(t);
    sw_fetch_free(fetch);
    free(mdir);
    free(installed);
    return r;
}
