/* SPDX-License-Identifier: MIT */
/*
 * `slipway update`: the unattended pipeline a timer runs (recover, refresh,
 * choose, fetch, stage, pre-promote checks, promote, post-promote checks,
 * commit or roll back) under one lock and one deadline, its outcome as an
 * exit code, a JSON summary, STATE_DIR/last-run.json and Prometheus text
 * metrics. The steps themselves are the update commands' (src/cli/update.c)
 * and the update module's; the offer rules are offer.c's.
 */
#include "cli.h"

#include <slipway/fetch.h>
#include <slipway/fs.h>
#include <slipway/hook.h>
#include <slipway/log.h>
#include <slipway/metadata.h>
#include <slipway/offer.h>
#include <slipway/text.h>
#include <slipway/trust.h>
#include <slipway/update.h>
#include <slipway/version.h>
#include <slipway/window.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LAST_RUN_NAME "last-run.json"
#define MAX_TIMEOUT (7 * 24 * 3600) /* --timeout above a week is surely a mistake */

enum {
    OPT_STAGE_ONLY = 1,
    OPT_PROMOTE_ONLY,
    OPT_DRY_RUN,
    OPT_TIMEOUT,
    OPT_METRICS_FILE,
};

const struct sw_opt sw_cli_update_opts[] = {
    {"stage-only", 0, 0, OPT_STAGE_ONLY, NULL,
     "stop after the pre-promote checks (exit 15 when staged and checked)"},
    {"promote-only", 0, 0, OPT_PROMOTE_ONLY, NULL,
     "promote what is staged and checked; no refresh, no download"},
    {"dry-run", 0, 0, OPT_DRY_RUN, NULL, "say what would be done; change nothing"},
    {"timeout", 0, 1, OPT_TIMEOUT, "SECONDS",
     "bound on the whole run (default [slipway] update-timeout; 0 = none)"},
    {"metrics-file", 0, 1, OPT_METRICS_FILE, "FILE",
     "write Prometheus text metrics to FILE (default [slipway] metrics-file)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

/* The results, as the summary spells them (docs/operations.md). */
static const char *const results[] = {
    "nothing-to-do", "updated", "staged", "rolled-back", "declined", "failed", "locked",
};
#define N_RESULTS (sizeof(results) / sizeof(results[0]))

struct run {
    struct sw_cli *cli;
    struct pipeline p;
    int have_pipeline;
    char txn[SW_UPDATE_TXN_SIZE];
    int dry_run, stage_only, promote_only;
    unsigned timeout;
    double t0;         /* monotonic start */
    time_t started_at; /* wall clock start */
    /* the outcome */
    const char *result;
    int exit_code;
    char *from, *to;
    char reason[SW_ERROR_MSG_MAX];
    json_t *steps;    /* [{"step", "ms", "result"}] */
    json_t *hooks;    /* {"pre-promote": [...], "post-promote": [...]} */
    json_t *warnings; /* lines worth knowing that did not stop the run */
    double duration;  /* seconds, set when the run is over */
    /* the step being timed */
    const char *step;
    double step_t0;
};

static double
mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *
jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static void
set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = s ? strdup(s) : NULL;
}

static void
step_begin(struct run *run, const char *step)
{
    run->step = step;
    run->step_t0 = mono_s();
    sw_log_info("step %s", step);
}

static void
step_end(struct run *run, const char *result)
{
    json_int_t ms = (json_int_t)((mono_s() - run->step_t0) * 1000.0 + 0.5);
    if (!run->step)
        return;
    json_array_append_new(
        run->steps, json_pack("{s:s,s:I,s:s}", "step", run->step, "ms", ms, "result", result));
    run->step = NULL;
}

/* The outcome; reason is printed as given (it may name a hook, a version or a target). */
static int finish(struct run *run, const char *result, int exit_code, const char *fmt, ...)
    SW_PRINTF(4, 5);

static int
finish(struct run *run, const char *result, int exit_code, const char *fmt, ...)
{
    va_list ap;
    run->result = result;
    run->exit_code = exit_code;
    va_start(ap, fmt);
    vsnprintf(run->reason, sizeof(run->reason), fmt, ap);
    va_end(ap);
    return exit_code;
}

/* A failure of a step: its error's message and exit code. */
static int
fail(struct run *run, int r)
{
    struct sw_cli *cli = run->cli;
    if (run->step)
        step_end(run, "failed");
    if (cli->err.code == 0)
        sw_error_set(&cli->err, r, "%s", sw_strerror(r));
    return finish(run, "failed", sw_cli_exit_code(r), "%s", cli->err.msg);
}

/* Seconds left before the run's deadline (a large number when there is none). */
static double
time_left(const struct run *run)
{
    if (!run->timeout)
        return 1e12;
    return run->t0 + (double)run->timeout - mono_s();
}

/* Between steps: stop when the deadline has passed (nothing is half done here). */
static int
deadline_check(struct run *run, const char *next)
{
    if (time_left(run) > 0)
        return 0;
    return sw_error_set(&run->cli->err, SW_E_FETCH_SLOW,
                        "the run's deadline (--timeout %u s) passed before %s; stopped between "
                        "steps, nothing is half done",
                        run->timeout, next);
}

/* The hook timeouts, capped by the time left (at least one second). */
static void
cap_hook_timeouts(struct run *run)
{
    struct sw_config *cfg = run->cli->cfg;
    double left = time_left(run);
    unsigned cap;

    if (!run->timeout)
        return;
    cap = left < 1.0 ? 1u : left > (double)UINT32_MAX ? UINT32_MAX : (unsigned)left;
    if (cfg->hook_timeout == 0 || cfg->hook_timeout > cap)
        cfg->hook_timeout = cap;
    for (size_t i = 0; i < cfg->n_hooks; i++)
        if (cfg->hooks[i].timeout > cap)
            cfg->hooks[i].timeout = cap;
}

static json_t *
hook_results_json(const struct sw_hook_results *res)
{
    json_t *a = json_array();
    for (size_t i = 0; res && i < res->n; i++) {
        const struct sw_hook_result *h = &res->v[i];
        json_t *f = json_array();
        for (size_t k = 0; k < h->n_findings; k++)
            json_array_append_new(
                f, json_pack("{s:s,s:s,s:s}", "check", h->findings[k].check, "status",
                             sw_hook_status_to_string(h->findings[k].status), "detail",
                             h->findings[k].detail ? h->findings[k].detail : ""));
        json_array_append_new(a, json_pack("{s:s,s:s,s:b,s:i,s:I,s:o,s:o}", "hook", h->name,
                                           "status", sw_hook_status_to_string(h->status),
                                           "required", h->required, "exit_code", h->exit_code, "ms",
                                           (json_int_t)h->duration_ms, "reason", jstr(h->reason),
                                           "findings", f));
    }
    return a;
}

static void
note_hooks(struct run *run, const char *phase, const struct sw_hook_results *res)
{
    if (res)
        json_object_set_new(run->hooks, phase, hook_results_json(res));
}

/* The first required hook that did not pass or skip, or NULL. */
static const struct sw_hook_result *
first_failed(const struct sw_hook_results *res)
{
    for (size_t i = 0; res && i < res->n; i++)
        if (res->v[i].required && res->v[i].status != SW_HOOK_PASS &&
            res->v[i].status != SW_HOOK_SKIP)
            return &res->v[i];
    return NULL;
}

/* --- refresh ------------------------------------------------------------------- */

/*
 * The TUF client workflow from the mirrors, with every delegated role.
 * A delegated role that cannot be used does not stop the run: its targets
 * are not offered, and the summary says so. The trust handle (and its
 * fetcher, with the connection it keeps) becomes the pipeline's: choosing
 * and the download use it as the refresh left it, without opening,
 * reading and verifying the kept metadata a second time.
 */
static int
refresh(struct run *run)
{
    struct sw_cli *cli = run->cli;
    struct sw_trust_report rep;
    struct sw_trust_skip *skips = NULL;
    struct sw_trust *t;
    struct sw_store_event ev;
    size_t n_skips = 0, n_roles = 0;
    char detail[160];
    time_t now;
    int behind = 0, txn, r;

    memset(&rep, 0, sizeof(rep));
    if (cli->cfg->n_mirrors == 0)
        return sw_error_set(&cli->err, SW_E_CONFIG,
                            "no [mirror \"NAME\"] section in the configuration: nothing to refresh "
                            "from");
    r = pipeline_trust_open(&run->p, 0);
    if (r < 0)
        goto out;
    t = run->p.trust;
    r = sw_trust_now(cli->store, &now, &behind, &cli->err);
    if (r < 0)
        goto out;
    if (behind)
        sw_log_warning("the clock is behind the last verified time; using that time so expired "
                       "metadata cannot come back");
    /* the floor goes with the refresh event: one commit for a run with nothing new */
    sw_trust_hold_floor(t, 1);
    r = sw_trust_refresh(t, now, &rep, &cli->err);
    if (r == 0)
        r = sw_trust_fetch_delegated(t, &n_roles, &skips, &n_skips, &cli->err);
    /* from here on, as the pipeline's: delegated roles only as kept, never fetched */
    sw_trust_set_local_roles(t, 1);
    sw_trust_hold_floor(t, 0);
    memset(&ev, 0, sizeof(ev));
    ev.kind = "refresh";
    ev.txn = run->txn;
    ev.actor = run->p.uc.actor;
    snprintf(detail, sizeof(detail), "{\"requests\":%u,\"changes\":%zu,\"unusable_roles\":%zu}",
             sw_trust_requests(t), rep.n_changes, n_skips);
    ev.detail = detail;
    if (r < 0) {
        /* failed: still raise the floor when the timestamp was verified, and say so */
        ev.reason = cli->err.msg;
        txn = sw_store_begin(cli->store, NULL) == 0;
        sw_trust_floor_write(t, NULL);
        sw_store_event_add(cli->store, &ev, NULL);
        if (txn && sw_store_commit(cli->store, NULL) < 0)
            sw_store_rollback(cli->store);
        sw_error_prefix(&cli->err, "refresh: ");
        goto out;
    }
    ev.reason = n_skips ? "refreshed by update; delegated roles not usable" : "refreshed by update";
    r = sw_store_begin(cli->store, &cli->err);
    if (r < 0)
        goto out;
    r = sw_trust_floor_write(t, &cli->err);
    if (r == 0)
        r = sw_store_event_add(cli->store, &ev, &cli->err);
    if (r == 0)
        r = sw_store_commit(cli->store, &cli->err);
    if (r < 0) {
        sw_store_rollback(cli->store);
        sw_error_prefix(&cli->err, "refresh: ");
        goto out;
    }
    for (size_t i = 0; i < n_skips; i++) {
        char line[SW_ERROR_MSG_MAX + 128];
        snprintf(line, sizeof(line),
                 "role '%s' (delegated by '%s') cannot be used, its targets are not offered: %s",
                 skips[i].role, skips[i].delegator, skips[i].reason);
        sw_log_warning("%s", line);
        json_array_append_new(run->warnings, json_string(line));
    }
    sw_log_info("refreshed: %zu role(s) changed, %u request(s)", rep.n_changes,
                sw_trust_requests(t));
out:
    sw_trust_skips_free(skips, n_skips);
    return r;
}

/* --- choosing ------------------------------------------------------------------- */

/* Whether this machine rolled back from version (the store's updates). */
static int
rolled_back_from(struct run *run, const char *version, int *ret)
{
    struct sw_store_update *list = NULL;
    size_t n = 0;
    int r = sw_store_updates_list(run->cli->store, 0, &list, &n, &run->cli->err);
    *ret = 0;
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].state, "rolled_back") == 0 && strcmp(list[i].version, version) == 0)
            *ret = 1;
    sw_store_updates_free(list, n);
    return 0;
}

/*
 * The newest target offered to this machine (the offer module's decisions
 * over every target, with pull and replace-with), leaving out versions it
 * rolled back from: those are offered again only when a newer one is
 * signed. *ret_downgrade when the choice is a replacement the signed policy
 * allows below the installed version. *ret_declined (and declined_msg) when
 * nothing is offered but a newer target is held back by its rollout.
 */
static int
choose(struct run *run, const char *installed, struct choice *ret, int *ret_downgrade,
       int *ret_declined, char *declined_msg, size_t declined_len)
{
    struct sw_cli *cli = run->cli;
    struct sw_offer_device dev;
    struct sw_trust_skip *skips = NULL;
    struct sw_offer_target *targets = NULL;
    const struct sw_md_fileinfo **infos = NULL;
    struct sw_offer *dec = NULL;
    char **paths = NULL;
    size_t n_paths = 0, n_skips = 0, n = 0, chosen = 0;
    long best = -1;
    int r;

    memset(ret, 0, sizeof(*ret));
    *ret_declined = 0;
    *ret_downgrade = 0;
    sw_cli_offer_device(cli, installed, &dev);
    r = sw_trust_list_paths(run->p.trust, &paths, &n_paths, &skips, &n_skips, &cli->err);
    if (r < 0)
        return r;
    targets = calloc(n_paths + 1, sizeof(*targets));
    infos = calloc(n_paths + 1, sizeof(*infos));
    dec = calloc(n_paths + 1, sizeof(*dec));
    if (!targets || !infos || !dec) {
        r = sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_paths; i++) {
        const char *role = NULL;
        struct sw_error e2 = SW_ERROR_INIT;
        if (sw_trust_find_target(run->p.trust, paths[i], &infos[n], &role, &e2) < 0)
            continue; /* not usable: list --why says why */
        targets[n].path = paths[i];
        targets[n].custom = sw_md_fileinfo_custom(infos[n]);
        n++;
    }
    sw_offer_choose(targets, n, &dev, dec, &chosen);
    for (size_t i = 0; i < n; i++) {
        const struct sw_offer *o = &dec[i];
        int rb = 0;
        if (o->verdict == SW_OFFER_ROLLOUT && o->version &&
            (!installed || sw_version_cmp(o->version, installed) > 0)) {
            if (!*ret_declined)
                snprintf(declined_msg, declined_len, "%s (version %s): %s", targets[i].path,
                         o->version, o->reason);
            *ret_declined = 1;
            continue;
        }
        if (o->verdict != SW_OFFER_YES || !o->version || sw_version_check(o->version, NULL) < 0)
            continue;
        r = rolled_back_from(run, o->version, &rb);
        if (r < 0)
            goto out;
        if (rb) {
            sw_log_info("'%s' (version %s) is offered but this machine rolled back from it; it "
                        "is not taken again",
                        targets[i].path, o->version);
            continue;
        }
        if (best >= 0 && sw_version_cmp(o->version, dec[best].version) <= 0)
            continue;
        best = (long)i;
    }
    if (best >= 0) {
        ret->target = strdup(targets[best].path);
        ret->version = strdup(dec[best].version);
        ret->info = infos[best];
        *ret_downgrade = dec[best].downgrade;
        if (!ret->target || !ret->version) {
            choice_release(ret);
            r = sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
        }
    }
out:
    free(targets);
    free(infos);
    free(dec);
    for (size_t i = 0; i < n_paths; i++)
        free(paths[i]);
    free(paths);
    sw_trust_skips_free(skips, n_skips);
    return r;
}

/* Record a new update (available) of the chosen target under the run's txn. */
static int
add_update(struct run *run, const struct choice *ch, const char *installed,
           struct sw_store_update *ret)
{
    struct sw_cli *cli = run->cli;
    struct sw_store_update u;
    struct sw_store_event ev;
    const char *sha = NULL;
    int r;

    for (size_t i = 0; i < ch->info->n_hashes; i++)
        if (strcmp(ch->info->hashes[i].alg, "sha256") == 0)
            sha = ch->info->hashes[i].value;
    memset(&u, 0, sizeof(u));
    u.txn = run->txn;
    u.target = ch->target;
    u.version = ch->version;
    u.from_version = (char *)(uintptr_t)installed;
    u.length = ch->info->length;
    u.sha256 = (char *)(uintptr_t)sha;
    u.state = (char *)(uintptr_t) "available";
    u.actor = (char *)(uintptr_t)run->p.uc.actor;
    r = sw_store_begin(cli->store, &cli->err);
    if (r < 0)
        return r;
    r = sw_store_update_add(cli->store, &u, &u.id, &cli->err);
    if (r == 0) {
        memset(&ev, 0, sizeof(ev));
        ev.kind = "transition";
        ev.txn = run->txn;
        ev.update_id = u.id;
        ev.to_state = "available";
        ev.actor = run->p.uc.actor;
        ev.reason = "chosen by update";
        r = sw_store_event_add(cli->store, &ev, &cli->err);
    }
    if (r == 0)
        r = sw_store_commit(cli->store, &cli->err);
    if (r < 0) {
        sw_store_rollback(cli->store);
        return r;
    }
    return sw_store_update_get(cli->store, u.id, ret, &cli->err);
}

/* --- the gate and the switch ----------------------------------------------------- */

static void
hooks_setup(struct run *run, struct sw_update_hooks *h)
{
    memset(h, 0, sizeof(*h));
    h->cfg = run->cli->cfg;
    h->channel = run->cli->cfg->channel;
    run->p.uc.hooks = h;
}

/* Pre-promote checks of the staged update: 0 passed, 1 refused (the run's outcome is set). */
static int
check_step(struct run *run, struct sw_store_update *u)
{
    struct sw_hook_results *res = NULL;
    const struct sw_hook_result *bad;
    int r;

    r = deadline_check(run, "the pre-promote checks");
    if (r < 0)
        return r;
    cap_hook_timeouts(run);
    step_begin(run, "check");
    sw_store_update_release(u);
    r = sw_update_check(&run->p.uc, u, &res, &run->cli->err);
    if (r < 0)
        return r;
    note_hooks(run, "pre-promote", res);
    bad = first_failed(res);
    if (bad || (res && res->required_failed)) {
        step_end(run, "refused");
        finish(run, "failed", SW_EXIT_CHECK,
               "version %s is staged in slot '%s' but its pre-promote checks refused it: hook "
               "'%s' %s%s%s",
               u->version, u->slot ? u->slot : "?", bad ? bad->name : "?",
               bad ? sw_hook_status_to_string(bad->status) : "failed",
               bad && bad->reason ? ": " : "", bad && bad->reason ? bad->reason : "");
        sw_hook_results_free(res);
        return 1;
    }
    step_end(run, "passed");
    sw_hook_results_free(res);
    return 0;
}

/* Promote (the gate runs again when its verdict no longer holds), post-promote, commit. */
static int
promote_step(struct run *run, struct sw_store_update *u)
{
    struct sw_cli *cli = run->cli;
    struct sw_update_promote_opts opts;
    struct sw_hook_results *post = NULL;
    struct sw_store_update done;
    int r;

    r = deadline_check(run, "the promotion");
    if (r < 0)
        return r;
    cap_hook_timeouts(run);
    memset(&opts, 0, sizeof(opts));
    memset(&done, 0, sizeof(done));
    opts.reason = "update";
    step_begin(run, "promote");
    r = sw_update_promote(&run->p.uc, &opts, &done, &post, &cli->err);
    note_hooks(run, "post-promote", post);
    if (r == -SW_E_ROLLED_BACK) {
        const struct sw_hook_result *bad = first_failed(post);
        step_end(run, "rolled-back");
        finish(run, "rolled-back", SW_EXIT_ROLLED_BACK,
               "version %s was promoted and rolled back: post-promote hook '%s' %s%s%s", u->version,
               bad ? bad->name : "?", bad ? sw_hook_status_to_string(bad->status) : "failed",
               bad && bad->reason ? ": " : "", bad && bad->reason ? bad->reason : "");
        sw_log_warning("%s", run->reason);
        r = 0;
    } else if (r == -SW_E_CHECK) {
        step_end(run, "refused");
        finish(run, "failed", SW_EXIT_CHECK, "%s", cli->err.msg);
        r = 0;
    } else if (r == 0) {
        step_end(run, "committed");
        set_str(&run->to, done.version);
        finish(run, "updated", SW_EXIT_UPDATED,
               "version %s is installed and committed in slot '%s'", done.version,
               done.slot ? done.slot : "?");
    }
    sw_hook_results_free(post);
    sw_store_update_release(&done);
    return r;
}

/* --- hold and window -------------------------------------------------------------- */

/* 1 when the operator holds this machine (the run's outcome is set: declined), else 0. */
static int
hold_check(struct run *run)
{
    char *reason = NULL, *actor = NULL;
    int64_t since = 0;
    int held = 0, r;
    char at[21];

    r = sw_store_hold_get(run->cli->store, &held, &reason, &actor, &since, &run->cli->err);
    if (r < 0 || !held)
        return r;
    sw_md_format_time((time_t)since, at);
    finish(run, "declined", SW_EXIT_DECLINED,
           "%sthis machine is held by %s since %s%s%s; 'slipway unhold' releases it",
           run->dry_run ? "would decline: " : "", actor ? actor : "?", at, reason ? ": " : "",
           reason ? reason : "");
    free(reason);
    free(actor);
    return 1;
}

/*
 * 1 when a maintenance window is configured and closed now (the outcome is
 * set: staged, with when it opens), else 0.
 */
static int
window_check(struct run *run, const char *version, const char *slot)
{
    struct sw_window *w = NULL;
    bool open = true;
    time_t next = 0;
    int r;

    if (!run->cli->cfg->maintenance_window || !run->cli->cfg->maintenance_window[0])
        return 0;
    r = sw_window_parse(run->cli->cfg->maintenance_window, &w, &run->cli->err);
    if (r == 0)
        r = sw_window_open(w, time(NULL), &open, &next);
    sw_window_free(w);
    if (r < 0)
        return r;
    if (open)
        return 0;
    {
        struct tm tm;
        char when[64] = "?";
        if (localtime_r(&next, &tm))
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M %Z", &tm);
        finish(run, "staged", SW_EXIT_STAGED,
               "version %s is staged in slot '%s' and checked; outside the maintenance window "
               "'%s': it opens at %s",
               version, slot ? slot : "?", run->cli->cfg->maintenance_window, when);
    }
    return 1;
}

/* --- the run --------------------------------------------------------------------------- */

/* --promote-only: what is staged (and checked) is promoted; nothing staged is nothing to do. */
static int
run_promote_only(struct run *run)
{
    struct sw_store_update u;
    enum sw_update_state s = SW_UPDATE_AVAILABLE;
    int r;

    memset(&u, 0, sizeof(u));
    r = sw_update_find_pending(&run->p.uc, &u, &run->cli->err);
    if (r == -SW_E_NOTFOUND || (r == 0 && (sw_update_state_from_string(u.state, &s) < 0 ||
                                           (s != SW_UPDATE_STAGED && s != SW_UPDATE_CHECKED)))) {
        sw_store_update_release(&u);
        finish(run, "nothing-to-do", SW_EXIT_OK, "nothing is staged; nothing to promote");
        return 0;
    }
    if (r < 0)
        return r;
    snprintf(run->txn, sizeof(run->txn), "%s", u.txn);
    sw_log_set_txn(run->txn);
    set_str(&run->from, u.from_version);
    set_str(&run->to, u.version);
    r = hold_check(run);
    if (r == 0)
        r = window_check(run, u.version, u.slot);
    if (r != 0) {
        sw_store_update_release(&u);
        return r < 0 ? r : 0;
    }
    if (run->dry_run) {
        finish(run, "staged", SW_EXIT_STAGED, "would promote version %s from slot '%s' (dry run)",
               u.version, u.slot ? u.slot : "?");
    } else {
        r = promote_step(run, &u);
    }
    sw_store_update_release(&u);
    return r;
}

static int
run_pipeline(struct run *run)
{
    struct sw_cli *cli = run->cli;
    struct sw_update_view v;
    struct choice ch;
    struct sw_store_update u;
    struct sw_bundle_limits lim;
    struct sw_bundle_stats stats;
    struct stage_progress sp;
    char declined[SW_OFFER_REASON_MAX + 256] = "";
    char *path = NULL;
    int declined_by_rollout = 0, downgrade = 0, cached = 0, r;
    enum sw_update_state s = SW_UPDATE_AVAILABLE;
    enum sw_slot_id slot;

    memset(&v, 0, sizeof(v));
    memset(&ch, 0, sizeof(ch));
    memset(&u, 0, sizeof(u));

    /* refresh (a dry run changes nothing: it decides on the metadata last verified) */
    if (!run->dry_run) {
        r = deadline_check(run, "the refresh");
        if (r < 0)
            goto out;
        step_begin(run, "refresh");
        r = refresh(run);
        if (r < 0)
            goto out;
        step_end(run, json_array_size(run->warnings) ? "partial" : "ok");
    }

    /* held: declined, nothing changed (the refresh only keeps the metadata current) */
    r = hold_check(run);
    if (r != 0)
        goto out;

    /* choose */
    step_begin(run, "choose");
    r = run->p.trust ? 0 : pipeline_trust(&run->p); /* a dry run: the metadata kept */
    if (r == 0)
        r = sw_update_view_read(&run->p.uc, &v, &cli->err);
    if (r == 0)
        r = sw_update_view_check(&v, &cli->err);
    if (r < 0)
        goto out;
    set_str(&run->from, active_version(&v));
    r = choose(run, active_version(&v), &ch, &downgrade, &declined_by_rollout, declined,
               sizeof(declined));
    if (r < 0)
        goto out;
    if (!ch.target) {
        step_end(run, declined_by_rollout ? "declined" : "none");
        if (declined_by_rollout)
            finish(run, "declined", SW_EXIT_DECLINED, "declined by its rollout: %s", declined);
        else
            finish(run, "nothing-to-do", SW_EXIT_OK,
                   "no update is offered to this machine ('slipway list --why' says why)");
        goto out;
    }
    set_str(&run->to, ch.version);
    if (active_version(&v) && strcmp(active_version(&v), ch.version) == 0) {
        step_end(run, "none");
        finish(run, "nothing-to-do", SW_EXIT_OK, "version %s is installed; nothing to do",
               ch.version);
        goto out;
    }
    if (!downgrade && active_version(&v) && sw_version_check(active_version(&v), NULL) == 0 &&
        sw_version_cmp(ch.version, active_version(&v)) < 0) {
        step_end(run, "none");
        finish(run, "nothing-to-do", SW_EXIT_OK,
               "the newest version offered, %s, is older than the installed %s; nothing to do",
               ch.version, active_version(&v));
        goto out;
    }
    step_end(run, "chosen");
    if (run->dry_run) {
        finish(run, "staged", SW_EXIT_STAGED,
               "would update from %s to %s ('%s'): fetch, stage, check%s (dry run: nothing "
               "changed)",
               active_version(&v) ? active_version(&v) : "nothing", ch.version, ch.target,
               run->stage_only ? "" : ", promote");
        goto out;
    }

    /* fetch (or find it staged by an earlier run) */
    path = download_path(&run->p, ch.target);
    if (!path) {
        r = sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    r = find_pending_for(&run->p, ch.target, &u);
    if (r == -SW_E_NOTFOUND) {
        r = cancel_others(&run->p, ch.target, 0);
        if (r == 0)
            r = add_update(run, &ch, active_version(&v), &u);
    } else if (r == 0) {
        snprintf(run->txn, sizeof(run->txn), "%s", u.txn); /* this run goes on with it */
    }
    if (r < 0)
        goto out;
    sw_log_set_txn(run->txn);
    sw_update_state_from_string(u.state, &s);
    /* staged by an earlier run (checked, or refused by its checks): checked again, not restaged */
    if (s != SW_UPDATE_STAGED && s != SW_UPDATE_CHECKED && s != SW_UPDATE_CHECK_FAILED) {
        r = deadline_check(run, "the download");
        if (r < 0)
            goto out;
        step_begin(run, "fetch");
        r = download(&run->p, &u, &ch, path, &cached);
        if (r < 0)
            goto out;
        step_end(run, cached ? "cached" : "ok");

        r = deadline_check(run, "staging");
        if (r < 0)
            goto out;
        step_begin(run, "stage");
        r = cancel_others(&run->p, ch.target, 1);
        if (r < 0)
            goto out;
        slot = v.fs_active < 0 ? SW_SLOT_A : sw_slot_other((enum sw_slot_id)v.fs_active);
        stage_limits(cli, &lim);
        memset(&sp, 0, sizeof(sp));
        sp.pr = run->p.progress;
        sp.target = ch.target;
        gettimeofday(&sp.t0, NULL);
        r = sw_update_stage(&run->p.uc, &u, slot, path, ch.info, &lim, stage_progress_fn, &sp,
                            &stats, &cli->err);
        if (r < 0)
            goto out;
        step_end(run, "ok");
        prune_downloads(&run->p, ch.target, &v, NULL);
    }

    /* pre-promote checks */
    r = check_step(run, &u);
    if (r != 0)
        goto out;
    if (run->stage_only) {
        finish(run, "staged", SW_EXIT_STAGED,
               "version %s is staged in slot '%s' and checked; 'slipway update --promote-only' "
               "promotes it",
               u.version, u.slot ? u.slot : "?");
        goto out;
    }

    /* promote (only inside the maintenance window), post-promote, commit or roll back */
    r = window_check(run, u.version, u.slot);
    if (r == 0)
        r = promote_step(run, &u);
    else if (r > 0)
        r = 0;
out:
    if (r < 0)
        fail(run, r);
    sw_store_update_release(&u);
    choice_release(&ch);
    sw_update_view_release(&v);
    free(path);
    return 0;
}

/* --- the summary, last-run.json and the metrics --------------------------------------- */

static json_t *
summary_json(struct run *run)
{
    json_t *o = json_object();
    json_object_set_new(o, "schema", json_integer(1));
    json_object_set_new(o, "result", json_string(run->result));
    json_object_set_new(o, "exit", json_integer(run->exit_code));
    json_object_set_new(o, "from", jstr(run->from));
    json_object_set_new(o, "to", jstr(run->to));
    json_object_set_new(o, "txn", json_string(run->txn));
    json_object_set_new(o, "started_at", json_integer((json_int_t)run->started_at));
    json_object_set_new(o, "duration_ms", json_integer((json_int_t)(run->duration * 1000.0 + 0.5)));
    json_object_set_new(o, "dry_run", json_boolean(run->dry_run));
    json_object_set_new(o, "mode",
                        json_string(run->stage_only     ? "stage-only"
                                    : run->promote_only ? "promote-only"
                                                        : "full"));
    json_object_set_new(o, "steps", json_incref(run->steps));
    json_object_set_new(o, "hooks", json_incref(run->hooks));
    json_object_set_new(o, "warnings", json_incref(run->warnings));
    json_object_set_new(o, "reason", json_string(run->reason));
    return o;
}

/* Append a Prometheus label value, escaped (backslash, double quote, newline). */
static void
prom_label(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '"')
            fputs("\\\"", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void
prom_head(FILE *f, const char *name, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static int
write_metrics(struct run *run, const char *file, const struct sw_update_view *v)
{
    struct sw_cli *cli = run->cli;
    struct sw_store_meta *meta = NULL;
    size_t n_meta = 0, len = 0;
    char *text = NULL;
    FILE *f = open_memstream(&text, &len);
    struct timespec now;
    struct sw_error e2 = SW_ERROR_INIT;
    int r;

    if (!f)
        return sw_error_errno(&cli->err, SW_E_NOMEM, errno, "out of memory");
    clock_gettime(CLOCK_REALTIME, &now);
    prom_head(f, "slipway_last_run_timestamp_seconds",
              "When the last slipway update run ended, in seconds since the epoch.");
    fprintf(f, "slipway_last_run_timestamp_seconds %.3f\n",
            (double)now.tv_sec + (double)now.tv_nsec / 1e9);
    prom_head(f, "slipway_last_run_duration_seconds", "How long the last run took.");
    fprintf(f, "slipway_last_run_duration_seconds %.3f\n", run->duration);
    prom_head(f, "slipway_last_run_result", "1 for the result the last run had, 0 for the others.");
    for (size_t i = 0; i < N_RESULTS; i++) {
        fputs("slipway_last_run_result{result=", f);
        prom_label(f, results[i]);
        fprintf(f, "} %d\n", strcmp(results[i], run->result) == 0);
    }
    prom_head(f, "slipway_last_run_exit_code", "The exit code of the last run.");
    fprintf(f, "slipway_last_run_exit_code %d\n", run->exit_code);
    prom_head(f, "slipway_installed_version_info", "The version in the active slot.");
    for (size_t i = 0; v && i < v->n_rows; i++)
        if (strcmp(v->rows[i].state, "active") == 0 && v->rows[i].version) {
            fputs("slipway_installed_version_info{version=", f);
            prom_label(f, v->rows[i].version);
            fputs(",slot=", f);
            prom_label(f, v->rows[i].name);
            fputs("} 1\n", f);
        }
    prom_head(f, "slipway_staged_version_info",
              "A version staged in the inactive slot, waiting for promotion.");
    for (size_t i = 0; v && i < v->n_rows; i++)
        if (strcmp(v->rows[i].state, "staged") == 0 && v->rows[i].version) {
            fputs("slipway_staged_version_info{version=", f);
            prom_label(f, v->rows[i].version);
            fputs(",slot=", f);
            prom_label(f, v->rows[i].name);
            fputs("} 1\n", f);
        }
    prom_head(f, "slipway_metadata_expiry_timestamp_seconds",
              "When each trusted metadata role expires, in seconds since the epoch.");
    if (sw_store_meta_list(cli->store, &meta, &n_meta, &e2) == 0) {
        for (size_t i = 0; i < n_meta; i++) {
            struct tm tm;
            memset(&tm, 0, sizeof(tm));
            if (!meta[i].expires || !strptime(meta[i].expires, "%Y-%m-%dT%H:%M:%SZ", &tm))
                continue;
            fputs("slipway_metadata_expiry_timestamp_seconds{role=", f);
            prom_label(f, meta[i].role);
            fprintf(f, "} %lld\n", (long long)timegm(&tm));
        }
        sw_store_meta_list_free(meta, n_meta);
    }
    prom_head(f, "slipway_step_duration_seconds", "How long each step of the last run took.");
    for (size_t i = 0; i < json_array_size(run->steps); i++) {
        json_t *st = json_array_get(run->steps, i);
        fputs("slipway_step_duration_seconds{step=", f);
        prom_label(f, json_string_value(json_object_get(st, "step")));
        fprintf(f, "} %.3f\n", (double)json_integer_value(json_object_get(st, "ms")) / 1000.0);
    }
    prom_head(f, "slipway_last_run_hook_failures",
              "1 for each hook that failed in the last run, by phase and hook.");
    {
        const char *phase;
        json_t *list;
        json_object_foreach(run->hooks, phase, list)
        {
            for (size_t i = 0; i < json_array_size(list); i++) {
                json_t *h = json_array_get(list, i);
                const char *st = json_string_value(json_object_get(h, "status"));
                if (st && (strcmp(st, "pass") == 0 || strcmp(st, "skip") == 0))
                    continue;
                fputs("slipway_last_run_hook_failures{phase=", f);
                prom_label(f, phase);
                fputs(",hook=", f);
                prom_label(f, json_string_value(json_object_get(h, "hook")));
                fputs("} 1\n", f);
            }
        }
    }
    if (fclose(f) != 0) {
        free(text);
        return sw_error_errno(&cli->err, SW_E_NOMEM, errno, "out of memory");
    }
    r = sw_fs_write_replace(file, text, len, 0644, &cli->err);
    free(text);
    if (r < 0)
        sw_error_prefix(&cli->err, "metrics file: ");
    return r;
}

/*
 * last-run.json and the metrics; a failure to write them is a warning, not
 * the run's result. Each is replaced whole (written, fsynced, renamed over
 * the last one) without an fsync of the state directory: after a crash
 * the file is the last run's or the one before, complete either way, and
 * the next run writes it again.
 */
static void
write_outputs(struct run *run, const char *metrics_file)
{
    struct sw_cli *cli = run->cli;
    struct sw_update_view v;
    struct sw_update_ctx uc;
    json_t *o = summary_json(run);
    char *text = sw_text_json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    char *path = sw_fs_join(cli->cfg->state_dir, LAST_RUN_NAME);
    struct sw_error e2 = SW_ERROR_INIT;
    int have_view;

    json_decref(o);
    if (text && path) {
        size_t n = strlen(text);
        if (sw_fs_write_replace(path, text, n, 0644, &e2) < 0)
            sw_log_warning("cannot write '%s': %s", path, e2.msg);
    }
    free(text);
    free(path);
    if (!metrics_file)
        return;
    memset(&uc, 0, sizeof(uc));
    uc.store = cli->store;
    uc.slots = run->p.slots;
    have_view = sw_update_view_read(&uc, &v, &e2) == 0;
    {
        struct sw_error saved = cli->err;
        if (write_metrics(run, metrics_file, have_view ? &v : NULL) < 0)
            sw_log_warning("%s", cli->err.msg);
        cli->err = saved;
    }
    if (have_view)
        sw_update_view_release(&v);
}

static void
print_summary(struct run *run)
{
    struct sw_cli *cli = run->cli;
    if (cli->json) {
        sw_cli_print_json(cli, summary_json(run));
        return;
    }
    {
        const char *phase;
        json_t *list;
        json_object_foreach(run->hooks, phase, list)
        {
            for (size_t i = 0; i < json_array_size(list); i++) {
                json_t *h = json_array_get(list, i);
                const char *why = json_string_value(json_object_get(h, "reason"));
                json_t *f = json_object_get(h, "findings");
                sw_text_printf(stdout, "%s hook %s: %s (%" JSON_INTEGER_FORMAT " ms)%s%s\n", phase,
                               json_string_value(json_object_get(h, "hook")),
                               json_string_value(json_object_get(h, "status")),
                               json_integer_value(json_object_get(h, "ms")), why ? ": " : "",
                               why ? why : "");
                /* what the hook reported (untrusted text: escaped by sw_text_printf) */
                for (size_t k = 0; k < json_array_size(f); k++) {
                    json_t *x = json_array_get(f, k);
                    const char *d = json_string_value(json_object_get(x, "detail"));
                    sw_text_printf(stdout, "    %s: %s%s%s\n",
                                   json_string_value(json_object_get(x, "check")),
                                   json_string_value(json_object_get(x, "status")),
                                   d && d[0] ? ": " : "", d ? d : "");
                }
            }
        }
    }
    sw_text_printf(stdout, "%s: %s\n", run->result, run->reason);
    for (size_t i = 0; i < json_array_size(run->warnings); i++)
        sw_text_printf(stdout, "  warning: %s\n",
                       json_string_value(json_array_get(run->warnings, i)));
}

int
sw_cmd_update(struct sw_cli *cli, int argc, char **argv)
{
    const char *timeout_s = sw_cli_opt_get(cli, OPT_TIMEOUT, NULL);
    const char *metrics_file = sw_cli_opt_get(cli, OPT_METRICS_FILE, NULL);
    struct sw_update_hooks hooks;
    struct run run;
    int r;

    (void)argc;
    (void)argv;
    memset(&run, 0, sizeof(run));
    run.cli = cli;
    run.t0 = mono_s();
    run.started_at = time(NULL);
    run.dry_run = sw_cli_opt_flag(cli, OPT_DRY_RUN);
    run.stage_only = sw_cli_opt_flag(cli, OPT_STAGE_ONLY);
    run.promote_only = sw_cli_opt_flag(cli, OPT_PROMOTE_ONLY);
    run.timeout = cli->cfg->update_timeout;
    if (run.stage_only && run.promote_only)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "update: --stage-only and --promote-only exclude each other");
    if (timeout_s) {
        char *end;
        unsigned long t;
        errno = 0;
        t = strtoul(timeout_s, &end, 10);
        if (!*timeout_s || *end || timeout_s[0] == '-' || errno || t > MAX_TIMEOUT)
            return sw_error_set(&cli->err, SW_E_USAGE,
                                "update: --timeout '%s' is not a number of seconds from 0 to %u",
                                timeout_s, (unsigned)MAX_TIMEOUT);
        run.timeout = (unsigned)t;
    }
    if (metrics_file && metrics_file[0] != '/')
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "update: --metrics-file '%s' is not an absolute path", metrics_file);
    if (!metrics_file)
        metrics_file = cli->cfg->metrics_file;
    if (run.timeout)
        cli->cfg->deadline = run.t0 + (double)run.timeout; /* every fetcher made from cfg */
    run.steps = json_array();
    run.hooks = json_object();
    run.warnings = json_array();
    run.result = "failed";
    run.exit_code = SW_EXIT_FAILURE;
    sw_update_txn_new(run.txn);

    /* one run at a time: a second one says who holds the lock, and writes nothing */
    r = sw_cli_lock(cli);
    if (r < 0) {
        if (r == -SW_E_BUSY) {
            finish(&run, "locked", SW_EXIT_LOCKED, "%s", cli->err.msg);
            run.duration = mono_s() - run.t0;
            sw_log_error("%s", run.reason);
            print_summary(&run);
            r = SW_EXIT_LOCKED;
        }
        goto out;
    }
    sw_log_set_txn(run.txn);
    step_begin(&run, "recover");
    r = sw_cli_recover(cli);
    if (r < 0) {
        fail(&run, r);
        goto done;
    }
    step_end(&run, "ok");
    r = pipeline_open(cli, &run.p, 1);
    run.have_pipeline = 1;
    if (r < 0) {
        fail(&run, r);
        goto done;
    }
    hooks_setup(&run, &hooks);
    sw_log_set_txn(run.txn); /* pipeline_open leaves it alone; pipeline_close clears it */
    if (run.promote_only)
        r = run_promote_only(&run);
    else
        r = run_pipeline(&run);
    if (r < 0)
        fail(&run, r);
done:
    run.duration = mono_s() - run.t0;
    if (!run.dry_run)
        write_outputs(&run, metrics_file);
    /* journal priorities: a failure is an error, a rollback was a warning (above) */
    if (run.exit_code != SW_EXIT_OK && run.exit_code != SW_EXIT_UPDATED &&
        run.exit_code != SW_EXIT_STAGED && run.exit_code != SW_EXIT_DECLINED &&
        run.exit_code != SW_EXIT_ROLLED_BACK)
        sw_log_error("%s", run.reason);
    print_summary(&run);
    r = run.exit_code;
out:
    if (run.have_pipeline)
        pipeline_close(&run.p);
    sw_log_set_txn(NULL);
    json_decref(run.steps);
    json_decref(run.hooks);
    json_decref(run.warnings);
    free(run.from);
    free(run.to);
    return r;
}
