/* SPDX-License-Identifier: MIT */
/*
 * The update family of commands: `slipway fetch`, `stage`, `promote`,
 * `rollback` and `history`, and the recovery every locked command runs on
 * start. Choosing a target (the offer decision `list --why` explains) and
 * downloading it through the trust client are done here; the state
 * machine, the slot steps and recovery are the update module's.
 */
#include "cli.h"

#include <slipway/bundle.h>
#include <slipway/fetch.h>
#include <slipway/fs.h>
#include <slipway/hash.h>
#include <slipway/log.h>
#include <slipway/offer.h>
#include <slipway/progress.h>
#include <slipway/slot.h>
#include <slipway/text.h>
#include <slipway/trust.h>
#include <slipway/update.h>
#include <slipway/version.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define DOWNLOADS_DIR "downloads"
#define DOWNLOAD_NAME_MAX 200 /* longer encoded names become "%%sha256-HEX" */

/* --- shared --------------------------------------------------------------------- */

int
pipeline_open(struct sw_cli *cli, struct pipeline *p, int need_slots)
{
    int r;

    memset(p, 0, sizeof(*p));
    p->cli = cli;
    p->uc.store = cli->store;
    p->uc.actor = sw_cli_actor(cli);
    if (need_slots) {
        r = sw_slot_open(cli->cfg, &p->slots, &cli->err);
        if (r < 0)
            return sw_error_prefix(&cli->err, "slot backend '%s': ", cli->cfg->slot_backend);
        p->uc.slots = p->slots;
    }
    return 0;
}

void
pipeline_close(struct pipeline *p)
{
    sw_trust_free(p->trust);
    sw_fetch_free(p->fetch);
    sw_progress_free(p->progress);
    sw_slot_close(p->slots);
    free(p->mdir);
    free(p->downloads);
    sw_log_set_txn(NULL);
}

/* The trust client with the mirrors (not loaded yet), and the downloads directory. */
int
pipeline_trust_open(struct pipeline *p, int local_roles)
{
    struct sw_cli *cli = p->cli;
    struct sw_trust_config tc;
    int r;

    r = sw_cli_progress(cli, &p->progress);
    if (r < 0)
        return r;
    p->mdir = sw_cli_metadata_dir(cli);
    p->downloads = sw_fs_join(cli->cfg->state_dir, DOWNLOADS_DIR);
    if (!p->mdir || !p->downloads)
        return sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
    if (cli->cfg->n_mirrors == 0)
        return sw_error_set(&cli->err, SW_E_CONFIG,
                            "no [mirror \"NAME\"] section in the configuration: nowhere to "
                            "download targets from");
    r = sw_fetch_new_config(cli->cfg, &p->fetch, &cli->err);
    if (r < 0)
        return r;
    memset(&tc, 0, sizeof(tc));
    tc.metadata_dir = p->mdir;
    tc.store = cli->store;
    tc.fetch = p->fetch;
    tc.max_root_size = cli->cfg->max_root_size;
    tc.max_timestamp_size = cli->cfg->max_timestamp_size;
    tc.max_metadata_size = cli->cfg->max_metadata_size;
    tc.max_walk_roles = cli->cfg->max_delegated_roles;
    tc.max_target_size = cli->cfg->max_target_size;
    tc.local_roles = local_roles;
    if (p->progress) {
        tc.progress = sw_progress_fetch;
        tc.progress_ctx = p->progress;
        tc.fetching = sw_cli_progress_fetching;
    }
    r = sw_trust_open(&tc, &p->trust, &cli->err);
    if (r < 0)
        return r;
    return sw_fs_private_dir(p->downloads, &cli->err);
}

/* Trusted metadata from the last refresh, with the mirrors for target downloads. */
int
pipeline_trust(struct pipeline *p)
{
    struct sw_cli *cli = p->cli;
    time_t now;
    int behind = 0, r;

    /* metadata as the last refresh kept it; only targets are fetched */
    r = pipeline_trust_open(p, 1);
    if (r < 0)
        return r;
    r = sw_trust_now(cli->store, &now, &behind, &cli->err);
    if (r < 0)
        return r;
    r = sw_trust_load_local(p->trust, now, &cli->err);
    if (r < 0)
        return sw_cli_explain_expiry(cli, p->trust, r);
    return 0;
}

/*
 * The file name of a target in STATE_DIR/downloads: the target path
 * percent-encoded except A-Za-z0-9_-~ and '.' (a leading '.' is encoded
 * too, so no name is "." or ".." or hidden), or "%%sha256-HEX" of the path
 * when that is longer than DOWNLOAD_NAME_MAX. No name ends in "%part"
 * (fetch's partial files) and no encoded name holds "%%".
 */
static char *
download_name(const char *target)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(target), o = 0;
    char *out = malloc(3 * n + 1);

    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)target[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '_' || ch == '-' || ch == '~' || (ch == '.' && i > 0)) {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = '\0';
    if (o > DOWNLOAD_NAME_MAX || o == 0) {
        char dh[SW_HASH_MAX_HEX];
        free(out);
        if (sw_hash_buf_hex(SW_HASH_SHA256, target, n, dh, NULL) < 0)
            return NULL;
        out = malloc(10 + strlen(dh) + 1);
        if (out)
            snprintf(out, 10 + strlen(dh) + 1, "%%%%sha256-%s", dh);
    }
    return out;
}

char *
download_path(struct pipeline *p, const char *target)
{
    char *name = download_name(target), *path;
    if (!name)
        return NULL;
    path = sw_fs_join(p->downloads, name);
    free(name);
    return path;
}

/* The version the store says runs now (borrowed from v), or NULL. */
const char *
active_version(const struct sw_update_view *v)
{
    for (size_t i = 0; i < v->n_rows; i++)
        if (strcmp(v->rows[i].state, "active") == 0)
            return v->rows[i].version;
    return NULL;
}

void
choice_release(struct choice *ch)
{
    free(ch->target);
    free(ch->version);
    memset(ch, 0, sizeof(*ch));
}

/*
 * TARGET, or without one the newest target offered to this machine (the
 * offer module's decision, as `list --why` shows it). ret->target NULL:
 * nothing is offered.
 */
static int
choose_target(struct pipeline *p, const char *want, const char *installed, struct choice *ret)
{
    struct sw_cli *cli = p->cli;
    struct sw_offer_device dev;
    struct sw_trust_skip *skips = NULL;
    char **paths = NULL;
    size_t n_paths = 0, n_skips = 0;
    int r = 0;

    memset(ret, 0, sizeof(*ret));
    sw_cli_offer_device(cli, installed, &dev);
    if (want) {
        const char *role = NULL;
        struct sw_offer o;
        r = sw_trust_find_target(p->trust, want, &ret->info, &role, &cli->err);
        if (r == -SW_E_NOTFOUND)
            return sw_error_set(&cli->err, SW_E_NOTFOUND,
                                "no trusted target '%s'; 'slipway list' shows what there is", want);
        if (r < 0)
            return r;
        sw_offer_evaluate(want, sw_md_fileinfo_custom(ret->info), &dev, &o);
        if (o.verdict == SW_OFFER_NO_FIELDS || o.verdict == SW_OFFER_INCOMPATIBLE ||
            o.verdict == SW_OFFER_CLIENT_TOO_OLD)
            return sw_error_set(&cli->err, SW_E_TRUST, "target '%s' is not for this machine: %s",
                                want, o.reason);
        ret->target = strdup(want);
        ret->version = o.version ? strdup(o.version) : NULL;
        if (!ret->target || !ret->version) {
            choice_release(ret);
            return sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
        }
        return 0;
    }
    r = sw_trust_list_paths(p->trust, &paths, &n_paths, &skips, &n_skips, &cli->err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n_paths; i++) {
        const struct sw_md_fileinfo *info = NULL;
        const char *role = NULL;
        struct sw_error e2 = SW_ERROR_INIT;
        struct sw_offer o;
        if (sw_trust_find_target(p->trust, paths[i], &info, &role, &e2) < 0)
            continue; /* not offered: list --why says why */
        sw_offer_evaluate(paths[i], sw_md_fileinfo_custom(info), &dev, &o);
        if (o.verdict != SW_OFFER_YES || !o.version)
            continue;
        if (ret->version && sw_version_cmp(o.version, ret->version) <= 0)
            continue;
        free(ret->target);
        free(ret->version);
        ret->target = strdup(paths[i]);
        ret->version = strdup(o.version);
        ret->info = info;
        if (!ret->target || !ret->version) {
            r = sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
            choice_release(ret);
            break;
        }
    }
    for (size_t i = 0; i < n_paths; i++)
        free(paths[i]);
    free(paths);
    sw_trust_skips_free(skips, n_skips);
    return r;
}

/* The newest update of target in a pending state, or NOTFOUND. */
int
find_pending_for(struct pipeline *p, const char *target, struct sw_store_update *ret)
{
    struct sw_store_update *list = NULL;
    size_t n = 0;
    int r = sw_store_updates_list(p->cli->store, 32, &list, &n, &p->cli->err);
    if (r < 0)
        return r;
    r = -SW_E_NOTFOUND;
    for (size_t i = 0; i < n; i++) {
        enum sw_update_state s;
        if (sw_update_state_from_string(list[i].state, &s) < 0 || !sw_update_state_pending(s))
            continue;
        if (strcmp(list[i].target, target) != 0)
            continue;
        *ret = list[i];
        memset(&list[i], 0, sizeof(list[i]));
        r = 0;
        break;
    }
    sw_store_updates_free(list, n);
    return r;
}

/* Cancel pending updates of other targets in the given states (superseded). */
int
cancel_others(struct pipeline *p, const char *target, int staged_too)
{
    struct sw_store_update *list = NULL;
    size_t n = 0;
    char reason[512];
    int r = sw_store_updates_list(p->cli->store, 32, &list, &n, &p->cli->err);
    if (r < 0)
        return r;
    snprintf(reason, sizeof(reason), "superseded by '%s'", target);
    for (size_t i = 0; i < n && r == 0; i++) {
        enum sw_update_state s;
        if (sw_update_state_from_string(list[i].state, &s) < 0 || !sw_update_state_pending(s) ||
            strcmp(list[i].target, target) == 0)
            continue;
        if ((s == SW_UPDATE_STAGED || s == SW_UPDATE_CHECKED || s == SW_UPDATE_CHECK_FAILED) &&
            !staged_too)
            continue;
        r = sw_update_transition(&p->uc, &list[i], SW_UPDATE_CANCELLED, NULL, reason, NULL, NULL, 0,
                                 0, &p->cli->err);
    }
    sw_store_updates_free(list, n);
    return r;
}

int
new_update(struct pipeline *p, const struct choice *ch, const char *installed,
           struct sw_store_update *ret)
{
    char txn[SW_UPDATE_TXN_SIZE];
    struct sw_store_update u;
    struct sw_store_event ev;
    const char *sha = NULL;
    int r;

    for (size_t i = 0; i < ch->info->n_hashes; i++)
        if (strcmp(ch->info->hashes[i].alg, "sha256") == 0)
            sha = ch->info->hashes[i].value;
    sw_update_txn_new(txn);
    memset(&u, 0, sizeof(u));
    u.txn = txn;
    u.target = ch->target;
    u.version = ch->version;
    u.from_version = (char *)(uintptr_t)installed;
    u.length = ch->info->length;
    u.sha256 = (char *)(uintptr_t)sha;
    u.state = (char *)(uintptr_t) "available";
    u.actor = (char *)(uintptr_t)p->uc.actor;
    r = sw_store_begin(p->cli->store, &p->cli->err);
    if (r < 0)
        return r;
    r = sw_store_update_add(p->cli->store, &u, &u.id, &p->cli->err);
    if (r == 0) {
        memset(&ev, 0, sizeof(ev));
        ev.kind = "transition";
        ev.txn = txn;
        ev.update_id = u.id;
        ev.to_state = "available";
        ev.actor = p->uc.actor;
        ev.reason = "chosen";
        r = sw_store_event_add(p->cli->store, &ev, &p->cli->err);
    }
    if (r == 0)
        r = sw_store_commit(p->cli->store, &p->cli->err);
    if (r < 0) {
        sw_store_rollback(p->cli->store);
        return r;
    }
    return sw_store_update_get(p->cli->store, u.id, ret, &p->cli->err);
}

/*
 * Remove what downloads holds except the bundle of target and those of
 * the updates both slots hold. Names removed are appended to pruned.
 */
void
prune_downloads(struct pipeline *p, const char *target, const struct sw_update_view *v,
                json_t *pruned)
{
    char *keep[3] = {NULL, NULL, NULL};
    DIR *d;
    struct dirent *de;
    int dfd;

    keep[0] = download_name(target);
    for (size_t i = 0, k = 1; i < v->n_rows && k < 3; i++) {
        struct sw_store_update u;
        if (v->rows[i].update_id <= 0 ||
            sw_store_update_get(p->cli->store, v->rows[i].update_id, &u, NULL) < 0)
            continue;
        keep[k++] = download_name(u.target);
        sw_store_update_release(&u);
    }
    dfd = open(p->downloads, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        goto out;
    }
    while ((de = readdir(d))) {
        struct stat st;
        size_t len = strlen(de->d_name), sl = strlen(SW_FETCH_PART_SUFFIX);
        int kept = 0;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        for (int k = 0; k < 3; k++) {
            size_t kl;
            if (!keep[k])
                continue;
            kl = strlen(keep[k]);
            if (strcmp(de->d_name, keep[k]) == 0 ||
                (len == kl + sl && strncmp(de->d_name, keep[k], kl) == 0 &&
                 strcmp(de->d_name + kl, SW_FETCH_PART_SUFFIX) == 0))
                kept = 1;
        }
        if (kept || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            S_ISDIR(st.st_mode))
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0) {
            sw_log_info("pruned old download '%s'", de->d_name);
            if (pruned)
                json_array_append_new(pruned, json_string(de->d_name));
        }
    }
    closedir(d);
out:
    for (int k = 0; k < 3; k++)
        free(keep[k]);
}

/* Downgrade and no-op rules. 1: nothing to do (*ret_msg says why); 0: go on. */
int
version_rules(struct pipeline *p, const struct choice *ch, const struct sw_update_view *v,
              int allow_downgrade, int staging, char *msg, size_t msglen)
{
    const char *installed = active_version(v);
    struct sw_cli *cli = p->cli;

    if (sw_version_check(ch->version, NULL) < 0)
        return sw_error_set(&cli->err, SW_E_METADATA,
                            "target '%s': custom.slipway.version '%s' is not a version", ch->target,
                            ch->version);
    if (staging) {
        for (size_t i = 0; i < v->n_rows; i++) {
            const struct sw_store_slot *row = &v->rows[i];
            if (!row->version || strcmp(row->version, ch->version) != 0)
                continue;
            if (strcmp(row->state, "active") == 0) {
                snprintf(msg, msglen, "version %s is already active in slot '%s'; nothing to do",
                         ch->version, row->name);
                return 1;
            }
            if (strcmp(row->state, "staged") == 0) {
                snprintf(msg, msglen, "version %s is already staged in slot '%s'; nothing to do",
                         ch->version, row->name);
                return 1;
            }
        }
    }
    if (installed && sw_version_check(installed, NULL) == 0 &&
        sw_version_cmp(ch->version, installed) < 0 && !allow_downgrade)
        return sw_error_set(&cli->err, SW_E_DOWNGRADE,
                            "target '%s' is version %s, older than the active %s; refused "
                            "(use --allow-downgrade to install it anyway)",
                            ch->target, ch->version, installed);
    return 0;
}

/*
 * Download the chosen target for u (available or downloaded) into
 * downloads: recorded as downloading before the first byte, downloaded
 * once verified and renamed into place.
 */
int
download(struct pipeline *p, struct sw_store_update *u, const struct choice *ch, const char *path,
         int *ret_cached)
{
    struct sw_cli *cli = p->cli;
    enum sw_update_state s = SW_UPDATE_AVAILABLE;
    int r;

    *ret_cached = 0;
    sw_update_state_from_string(u->state, &s);
    if (s == SW_UPDATE_DOWNLOADED && sw_bundle_check(path, ch->info, NULL) == 0) {
        *ret_cached = 1;
        return 0;
    }
    r = sw_update_transition(&p->uc, u, SW_UPDATE_DOWNLOADING, NULL, "downloading", NULL, NULL, 0,
                             0, &cli->err);
    if (r < 0)
        return r;
    r = sw_trust_download_target(p->trust, ch->target, ch->info, path, ret_cached, &cli->err);
    if (r < 0) {
        sw_error_prefix(&cli->err, "fetch '%s': ", ch->target);
        sw_update_transition(&p->uc, u, SW_UPDATE_FAILED, NULL, "download failed", cli->err.msg,
                             NULL, 0, 0, NULL);
        return r;
    }
    return sw_update_transition(&p->uc, u, SW_UPDATE_DOWNLOADED, NULL,
                                *ret_cached ? "verified, already downloaded"
                                            : "downloaded and verified",
                                NULL, NULL, 0, 0, &cli->err);
}

static json_t *
jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* --- hook results: printing what was stored ---------------------------------------------- */

/* A string from a hook (output, reason, detail) made safe for JSON text and terminals. */
static json_t *
jesc(const char *s, size_t len)
{
    size_t cap;
    char *buf;
    json_t *j;

    if (!s)
        return json_null();
    cap = len * SW_TEXT_ESCAPE_MAX + 1;
    buf = malloc(cap);
    if (!buf)
        return NULL;
    sw_text_escape_buf(buf, cap, s, len, SW_TEXT_KEEP_NEWLINE);
    j = json_string(buf);
    free(buf);
    return j;
}

static json_t *
jesc_str(const char *s)
{
    return jesc(s, s ? strlen(s) : 0);
}

static json_t *
run_json(const struct sw_store_hook_run *x, int with_output)
{
    json_t *o = json_object(), *jf = json_array();
    for (size_t k = 0; k < x->n_findings; k++)
        json_array_append_new(
            jf, json_pack("{s:o,s:s,s:o}", "check", jesc_str(x->findings[k].check), "status",
                          x->findings[k].status, "detail", jesc_str(x->findings[k].detail)));
    json_object_set_new(o, "hook", jesc_str(x->hook));
    json_object_set_new(o, "path", jesc_str(x->path));
    json_object_set_new(o, "status", json_string(x->status));
    json_object_set_new(o, "required", json_boolean(x->required));
    json_object_set_new(o, "duration_ms", json_integer(x->duration_ms));
    json_object_set_new(o, "attempts", json_integer(x->attempts));
    json_object_set_new(o, "exit_code",
                        x->exit_code >= 0 ? json_integer(x->exit_code) : json_null());
    json_object_set_new(o, "signal", x->signal ? json_integer(x->signal) : json_null());
    json_object_set_new(o, "timed_out", json_boolean(x->timed_out));
    json_object_set_new(o, "reason", jesc_str(x->reason));
    json_object_set_new(o, "findings", jf);
    if (x->bad_lines) {
        json_t *b = json_loads(x->bad_lines, 0, NULL);
        json_t *bl = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(b, i, e)
        {
            json_array_append_new(bl, jesc_str(json_string_value(e)));
        }
        json_decref(b);
        json_object_set_new(o, "bad_lines", bl);
    } else {
        json_object_set_new(o, "bad_lines", json_array());
    }
    if (with_output) {
        json_object_set_new(o, "output", jesc(x->output ? x->output : "", x->output_len));
        json_object_set_new(o, "output_truncated", json_boolean(x->output_truncated));
    }
    return o;
}

static json_t *
phase_json(const struct sw_store_hook_phase *p, int with_output)
{
    json_t *o = json_object(), *jr = json_array();
    for (size_t i = 0; i < p->n_runs; i++)
        json_array_append_new(jr, run_json(&p->runs[i], with_output));
    json_object_set_new(o, "phase", json_string(p->phase));
    json_object_set_new(o, "slot", jstr(p->slot));
    json_object_set_new(o, "passed", json_boolean(p->passed));
    json_object_set_new(o, "verdict", json_string(p->passed ? "pass" : "fail"));
    json_object_set_new(o, "reason", jesc_str(p->reason));
    json_object_set_new(o, "required_failed", json_integer((json_int_t)p->required_failed));
    json_object_set_new(o, "wanted_failed", json_integer((json_int_t)p->wanted_failed));
    json_object_set_new(o, "duration_ms", json_integer(p->duration_ms));
    json_object_set_new(o, "slot_fingerprint", json_string(p->slot_fingerprint));
    json_object_set_new(o, "hooks_fingerprint", json_string(p->hooks_fingerprint));
    json_object_set_new(o, "hooks", jr);
    return o;
}

static int
run_failed(const struct sw_store_hook_run *x)
{
    return strcmp(x->status, "pass") != 0 && strcmp(x->status, "skip") != 0;
}

/* exit/signal column: "0", "1", "sig 9", "timeout", "-" */
static void
exit_col(const struct sw_store_hook_run *x, char *buf, size_t len)
{
    if (x->timed_out)
        snprintf(buf, len, "timeout");
    else if (x->signal)
        snprintf(buf, len, "sig %d", x->signal);
    else if (x->exit_code >= 0)
        snprintf(buf, len, "%d", x->exit_code);
    else
        snprintf(buf, len, "-");
}

/* The result table of a phase: one line per hook, then its findings, output when asked. */
static void
print_phase(struct sw_cli *cli, const struct sw_store_hook_phase *p, const char *indent)
{
    if (p->n_runs == 0) {
        sw_text_printf(stdout, "%sno %s hooks\n", indent, p->phase);
        return;
    }
    sw_text_printf(stdout, "%s%-24s %-8s %-8s %8s  %-8s %s\n", indent, "HOOK", "STATUS", "REQUIRED",
                   "DURATION", "EXIT", "REASON");
    for (size_t i = 0; i < p->n_runs; i++) {
        const struct sw_store_hook_run *x = &p->runs[i];
        char ex[32], dur[32];
        exit_col(x, ex, sizeof(ex));
        snprintf(dur, sizeof(dur), "%" PRId64 " ms", x->duration_ms);
        sw_text_printf(stdout, "%s%-24s %-8s %-8s %8s  %-8s %s\n", indent, x->hook, x->status,
                       x->required ? "yes" : "no", dur, ex, x->reason ? x->reason : "-");
        for (size_t k = 0; k < x->n_findings; k++)
            sw_text_printf(stdout, "%s    finding %s: %s%s%s\n", indent, x->findings[k].check,
                           x->findings[k].status,
                           x->findings[k].detail && *x->findings[k].detail ? ": " : "",
                           x->findings[k].detail ? x->findings[k].detail : "");
        if (x->output && x->output_len && (cli->verbosity > 0 || run_failed(x))) {
            char *esc = malloc(x->output_len * SW_TEXT_ESCAPE_MAX + 1);
            if (esc) {
                char *line, *save = NULL;
                sw_text_escape_buf(esc, x->output_len * SW_TEXT_ESCAPE_MAX + 1, x->output,
                                   x->output_len, SW_TEXT_KEEP_NEWLINE);
                sw_text_printf(stdout, "%s    output%s:\n", indent,
                               x->output_truncated ? " (truncated)" : "");
                for (line = strtok_r(esc, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                    sw_text_printf(stdout, "%s    | %s\n", indent, line);
                free(esc);
            }
        }
    }
}

static void
pipeline_hooks(struct pipeline *p)
{
    p->hooks.cfg = p->cli->cfg;
    p->hooks.params = NULL;
    p->hooks.channel = NULL;
    p->uc.hooks = &p->hooks;
}

/* --- check ------------------------------------------------------------------------------- */

int
sw_cmd_check(struct sw_cli *cli, int argc, char **argv)
{
    struct pipeline p;
    struct sw_store_update u;
    struct sw_store_hook_phase ph;
    int r;

    (void)argc;
    (void)argv;
    memset(&u, 0, sizeof(u));
    memset(&ph, 0, sizeof(ph));
    r = pipeline_open(cli, &p, 1);
    if (r < 0)
        goto out;
    pipeline_hooks(&p);
    r = sw_update_check(&p.uc, &u, NULL, &cli->err);
    if (r < 0)
        goto out;
    r = sw_store_hook_phase_latest(cli->store, u.id, SW_HOOK_PHASE_PRE_PROMOTE, &ph, &cli->err);
    if (r < 0)
        goto out;
    if (cli->json) {
        json_t *o = phase_json(&ph, 1);
        json_object_set_new(o, "txn", json_string(u.txn));
        json_object_set_new(o, "target", json_string(u.target));
        json_object_set_new(o, "version", json_string(u.version));
        json_object_set_new(o, "state", json_string(u.state));
        r = sw_cli_print_json(cli, o);
        if (r < 0)
            goto out;
    } else {
        sw_text_printf(stdout, "pre-promote checks of %s (version %s) in slot '%s':\n", u.target,
                       u.version, u.slot);
        print_phase(cli, &ph, "  ");
        sw_text_printf(stdout, "%s: %s\n", ph.passed ? "passed" : "FAILED",
                       ph.reason ? ph.reason : "");
    }
    if (!ph.passed) {
        sw_log_error("pre-promote checks of '%s' failed: %s", u.target, ph.reason ? ph.reason : "");
        r = SW_EXIT_CHECK;
    }
out:
    sw_store_hook_phase_release(&ph);
    sw_store_update_release(&u);
    pipeline_close(&p);
    return r;
}

/* --- recovery on start ---------------------------------------------------------------- */

int
sw_cli_recover(struct sw_cli *cli)
{
    struct pipeline p;
    size_t n = 0;
    int r;

    if (!cli->store)
        return 0;
    memset(&p, 0, sizeof(p));
    r = pipeline_open(cli, &p, 0);
    if (r == 0) {
        /* the backend is needed only when a slot step was interrupted; open it if it can be */
        struct sw_error e2 = SW_ERROR_INIT;
        if (sw_slot_open(cli->cfg, &p.slots, &e2) == 0)
            p.uc.slots = p.slots;
        pipeline_hooks(&p); /* an interrupted promotion runs its post-promote hooks again */
        r = sw_update_recover(&p.uc, &n, &cli->err);
        if (r < 0)
            sw_error_prefix(&cli->err, "recovery of an interrupted update: ");
    }
    pipeline_close(&p);
    return r;
}

/* --- fetch -------------------------------------------------------------------------------- */

enum { OPT_ALLOW_DOWNGRADE = 1, OPT_REASON, OPT_LIMIT, OPT_FORCE };

const struct sw_opt sw_cli_fetch_opts[] = {
    {"allow-downgrade", 0, 0, OPT_ALLOW_DOWNGRADE, NULL,
     "accept a version older than the active one"},
    {NULL, 0, 0, 0, NULL, NULL},
};

const struct sw_opt sw_cli_stage_opts[] = {
    {"allow-downgrade", 0, 0, OPT_ALLOW_DOWNGRADE, NULL,
     "accept a version older than the active one"},
    {NULL, 0, 0, 0, NULL, NULL},
};

/* fetch, and for stage everything before the slot is touched */
static int
fetch_step(struct pipeline *p, const char *want, int allow_downgrade, int staging,
           struct sw_update_view *v, struct choice *ch, struct sw_store_update *u, char **ret_path,
           int *ret_cached, char *noop, size_t nooplen)
{
    struct sw_cli *cli = p->cli;
    int r;

    r = pipeline_trust(p);
    sw_progress_set_target_steps(p->progress, staging ? 2 : 1); /* stage: download, extract */
    if (r < 0)
        return r;
    r = sw_update_view_read(&p->uc, v, &cli->err);
    if (r < 0)
        return r;
    if (staging) {
        r = sw_update_view_check(v, &cli->err);
        if (r < 0)
            return r;
    }
    r = choose_target(p, want, active_version(v), ch);
    if (r < 0)
        return r;
    if (!ch->target) {
        snprintf(noop, nooplen,
                 "no update is offered to this machine ('slipway list --why' "
                 "says why)");
        return 1;
    }
    r = version_rules(p, ch, v, allow_downgrade, staging, noop, nooplen);
    if (r != 0)
        return r;
    *ret_path = download_path(p, ch->target);
    if (!*ret_path)
        return sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
    r = find_pending_for(p, ch->target, u);
    if (r == -SW_E_NOTFOUND) {
        r = cancel_others(p, ch->target, 0);
        if (r == 0)
            r = new_update(p, ch, active_version(v), u);
    }
    if (r < 0)
        return r;
    sw_log_set_txn(u->txn);
    {
        enum sw_update_state s = SW_UPDATE_AVAILABLE;
        sw_update_state_from_string(u->state, &s);
        if (staging && s != SW_UPDATE_AVAILABLE &&
            !(s == SW_UPDATE_DOWNLOADED && access(*ret_path, F_OK) < 0 && errno == ENOENT)) {
            /* downloaded already: stage checks that file, it never fetches over it */
            *ret_cached = 1;
            return 0;
        }
    }
    return download(p, u, ch, *ret_path, ret_cached);
}

int
sw_cmd_fetch(struct sw_cli *cli, int argc, char **argv)
{
    struct pipeline p;
    struct sw_update_view v;
    struct choice ch;
    struct sw_store_update u;
    char *path = NULL;
    char noop[512] = "";
    int cached = 0, r;
    json_t *pruned = json_array();

    memset(&v, 0, sizeof(v));
    memset(&ch, 0, sizeof(ch));
    memset(&u, 0, sizeof(u));
    r = pipeline_open(cli, &p, 0);
    if (r < 0)
        goto out;
    r = fetch_step(&p, argc > 0 ? argv[0] : NULL, sw_cli_opt_flag(cli, OPT_ALLOW_DOWNGRADE), 0, &v,
                   &ch, &u, &path, &cached, noop, sizeof(noop));
    if (r < 0)
        goto out;
    if (r == 1) {
        r = 0;
        if (cli->json)
            r = sw_cli_print_json(
                cli, json_pack("{s:n,s:b,s:s}", "target", "fetched", 0, "message", noop));
        else
            sw_text_printf(stdout, "%s\n", noop);
        goto out;
    }
    prune_downloads(&p, ch.target, &v, pruned);
    if (cli->json) {
        r = sw_cli_print_json(cli,
                              json_pack("{s:s,s:s,s:s,s:s,s:I,s:b,s:b,s:s,s:O}", "target",
                                        ch.target, "version", ch.version, "txn", u.txn, "path",
                                        path, "length", (json_int_t)ch.info->length, "fetched", 1,
                                        "cached", cached, "state", u.state, "pruned", pruned));
    } else {
        sw_text_printf(stdout, "%s %s (version %s, %" PRId64 " bytes) to %s\n",
                       cached ? "already have" : "fetched", ch.target, ch.version, ch.info->length,
                       path);
    }
out:
    json_decref(pruned);
    sw_store_update_release(&u);
    choice_release(&ch);
    sw_update_view_release(&v);
    free(path);
    pipeline_close(&p);
    return r;
}

/* --- stage ---------------------------------------------------------------------------- */

/* The bundle limits of the [stage] section. */
void
stage_limits(struct sw_cli *cli, struct sw_bundle_limits *lim)
{
    *lim = cli->cfg->stage;
}

void
stage_progress_fn(void *ctx, uint64_t done, uint64_t total)
{
    struct stage_progress *sp = ctx;
    struct sw_fetch_progress ev;
    struct timeval now;

    if (!sp->pr)
        return;
    gettimeofday(&now, NULL);
    memset(&ev, 0, sizeof(ev));
    ev.mirror = "extract";
    ev.path = sp->target;
    ev.bytes = done;
    ev.total = total;
    ev.elapsed = (double)(now.tv_sec - sp->t0.tv_sec) + (now.tv_usec - sp->t0.tv_usec) / 1e6;
    if (!sp->started) {
        ev.event = SW_FETCH_EV_START;
        sw_progress_fetch(sp->pr, &ev);
        sp->started = 1;
    }
    ev.event = total && done >= total ? SW_FETCH_EV_DONE : SW_FETCH_EV_PROGRESS;
    sw_progress_fetch(sp->pr, &ev);
}

int
sw_cmd_stage(struct sw_cli *cli, int argc, char **argv)
{
    struct pipeline p;
    struct sw_update_view v;
    struct choice ch;
    struct sw_store_update u;
    struct sw_bundle_limits lim;
    struct sw_bundle_stats stats;
    struct stage_progress sp;
    enum sw_slot_id slot;
    char *path = NULL;
    char noop[512] = "";
    int cached = 0, r;

    memset(&v, 0, sizeof(v));
    memset(&ch, 0, sizeof(ch));
    memset(&u, 0, sizeof(u));
    memset(&stats, 0, sizeof(stats));
    r = pipeline_open(cli, &p, 1);
    if (r < 0)
        goto out;
    r = fetch_step(&p, argc > 0 ? argv[0] : NULL, sw_cli_opt_flag(cli, OPT_ALLOW_DOWNGRADE), 1, &v,
                   &ch, &u, &path, &cached, noop, sizeof(noop));
    if (r < 0)
        goto out;
    if (r == 1) {
        r = 0;
        if (cli->json)
            r = sw_cli_print_json(cli, json_pack("{s:o,s:o,s:b,s:s}", "target", jstr(ch.target),
                                                 "version", jstr(ch.version), "staged", 0,
                                                 "message", noop));
        else
            sw_text_printf(stdout, "%s\n", noop);
        goto out;
    }
    /* another target staged before is superseded: its slot is the one written now */
    r = cancel_others(&p, ch.target, 1);
    if (r < 0)
        goto out;
    slot = v.fs_active < 0 ? SW_SLOT_A : sw_slot_other((enum sw_slot_id)v.fs_active);
    stage_limits(cli, &lim);
    memset(&sp, 0, sizeof(sp));
    sp.pr = p.progress;
    sp.target = ch.target;
    sw_progress_set_extract(p.progress, ch.target);
    gettimeofday(&sp.t0, NULL);
    r = sw_update_stage(&p.uc, &u, slot, path, ch.info, &lim, stage_progress_fn, &sp, &stats,
                        &cli->err);
    if (r < 0)
        goto out;
    prune_downloads(&p, ch.target, &v, NULL);
    if (cli->json) {
        r = sw_cli_print_json(
            cli, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:f,s:f}", "target", ch.target,
                           "version", ch.version, "txn", u.txn, "slot", u.slot, "state", u.state,
                           "staged", 1, "entries", (json_int_t)stats.entries, "bytes",
                           (json_int_t)stats.bytes, "hash_seconds", stats.hash_seconds,
                           "extract_seconds", stats.extract_seconds));
    } else {
        sw_text_printf(stdout,
                       "staged %s (version %s) in slot '%s': %" PRIu64 " entries, %" PRIu64
                       " bytes; run 'slipway promote' to switch to it\n",
                       ch.target, ch.version, u.slot, stats.entries, stats.bytes);
    }
out:
    sw_store_update_release(&u);
    choice_release(&ch);
    sw_update_view_release(&v);
    free(path);
    pipeline_close(&p);
    return r;
}

/* --- promote and rollback --------------------------------------------------------------- */

const struct sw_opt sw_cli_promote_opts[] = {
    {"force", 0, 0, OPT_FORCE, NULL,
     "promote although required pre-promote hooks failed (needs --reason)"},
    {"reason", 0, 1, OPT_REASON, "TEXT", "why (kept in the history; required with --force)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

int
sw_cmd_promote(struct sw_cli *cli, int argc, char **argv)
{
    const char *reason = sw_cli_opt_get(cli, OPT_REASON, NULL);
    struct sw_update_promote_opts opts;
    struct sw_store_hook_phase post;
    struct pipeline p;
    struct sw_store_update u;
    int r, have_post = 0;

    (void)argc;
    (void)argv;
    memset(&u, 0, sizeof(u));
    memset(&post, 0, sizeof(post));
    memset(&opts, 0, sizeof(opts));
    opts.force = sw_cli_opt_flag(cli, OPT_FORCE);
    if (opts.force && (!reason || !*reason))
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "promote: --force needs --reason TEXT (it is kept in the history)");
    if (opts.force)
        opts.force_reason = reason;
    else
        opts.reason = reason;
    r = pipeline_open(cli, &p, 1);
    if (r < 0)
        goto out;
    pipeline_hooks(&p);
    r = sw_update_promote(&p.uc, &opts, &u, NULL, &cli->err);
    if (r < 0 && r != -SW_E_ROLLED_BACK && r != -SW_E_CHECK)
        goto out;
    if (r < 0 && !u.txn) {
        /* refused at the gate: the message names the failing hooks; the table shows them */
        struct sw_store_update pend;
        struct sw_store_hook_phase pre;
        if (r == -SW_E_CHECK && !cli->json && sw_update_find_pending(&p.uc, &pend, NULL) == 0) {
            if (strcmp(pend.state, "check_failed") == 0 &&
                sw_store_hook_phase_latest(cli->store, pend.id, SW_HOOK_PHASE_PRE_PROMOTE, &pre,
                                           NULL) == 0) {
                sw_text_printf(stdout,
                               "promotion of %s (version %s) refused: pre-promote checks:\n",
                               pend.target, pend.version);
                print_phase(cli, &pre, "  ");
                sw_store_hook_phase_release(&pre);
            }
            sw_store_update_release(&pend);
        }
        goto out;
    }
    have_post =
        sw_store_hook_phase_latest(cli->store, u.id, SW_HOOK_PHASE_POST_PROMOTE, &post, NULL) == 0;
    if (cli->json) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s}", "txn", u.txn, "target", u.target,
                              "version", u.version, "slot", u.slot, "from_version",
                              jstr(u.from_version), "state", u.state);
        json_object_set_new(o, "post_promote", have_post ? phase_json(&post, 1) : json_null());
        if (r < 0)
            json_object_set_new(o, "error", json_string(cli->err.msg));
        if (sw_cli_print_json(cli, o) < 0 && r == 0)
            r = -SW_E_IO;
    } else if (r == 0) {
        sw_text_printf(stdout, "promoted %s (version %s): slot '%s' is active\n", u.target,
                       u.version, u.slot);
        if (have_post && post.n_runs && cli->verbosity > 0)
            print_phase(cli, &post, "  ");
    } else {
        sw_text_printf(stdout, "%s %s (version %s): post-promote checks failed:\n",
                       r == -SW_E_ROLLED_BACK ? "rolled back" : "kept", u.target, u.version);
        if (have_post)
            print_phase(cli, &post, "  ");
    }
    if (r < 0) {
        /* printed already: say why on stderr and exit with the code */
        sw_log_sw_error(&cli->err);
        r = sw_cli_exit_code(r);
    }
out:
    sw_store_hook_phase_release(&post);
    sw_store_update_release(&u);
    pipeline_close(&p);
    return r;
}

const struct sw_opt sw_cli_rollback_opts[] = {
    {"reason", 0, 1, OPT_REASON, "TEXT", "why (kept in the history)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

int
sw_cmd_rollback(struct sw_cli *cli, int argc, char **argv)
{
    const char *reason = sw_cli_opt_get(cli, OPT_REASON, NULL);
    struct pipeline p;
    struct sw_store_update u;
    struct sw_update_view v;
    int r;

    (void)argc;
    (void)argv;
    memset(&u, 0, sizeof(u));
    memset(&v, 0, sizeof(v));
    r = pipeline_open(cli, &p, 1);
    if (r < 0)
        goto out;
    r = sw_update_rollback(&p.uc, reason, &u, &cli->err);
    if (r < 0)
        goto out;
    r = sw_update_view_read(&p.uc, &v, &cli->err);
    if (r < 0)
        goto out;
    if (cli->json)
        r = sw_cli_print_json(
            cli, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s}", "txn", u.txn, "target", u.target,
                           "version", u.version, "slot", u.slot, "active_slot",
                           v.store_active >= 0
                               ? json_string(sw_slot_id_to_string((enum sw_slot_id)v.store_active))
                               : json_null(),
                           "active_version", jstr(active_version(&v)), "reason", jstr(reason),
                           "state", u.state));
    else
        sw_text_printf(stdout, "rolled back %s (version %s); version %s is active again\n",
                       u.target, u.version, active_version(&v) ? active_version(&v) : "-");
out:
    sw_update_view_release(&v);
    sw_store_update_release(&u);
    pipeline_close(&p);
    return r;
}

/* --- history ---------------------------------------------------------------------------- */

const struct sw_opt sw_cli_history_opts[] = {
    {"limit", 0, 1, OPT_LIMIT, "N", "show the N newest updates (default all)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static void
fmt_time(int64_t t, char out[21])
{
    sw_md_format_time((time_t)t, out);
}

static int64_t
event_ms(const struct sw_store_event_row *e)
{
    return e->at_ms ? e->at_ms : e->at * 1000;
}

/* The hooks an event's detail names (a forced promotion, a rollback after post-promote). */
static void
print_event_detail(const json_t *d)
{
    const json_t *failed = json_object_get(d, "failed"), *x;
    size_t i;

    json_array_foreach(failed, i, x)
    {
        const json_t *ec = json_object_get(x, "exit_code"), *sg = json_object_get(x, "signal");
        const char *out = json_string_value(json_object_get(x, "output"));
        char how[48] = "";
        if (json_is_integer(sg))
            snprintf(how, sizeof(how), ", signal %" JSON_INTEGER_FORMAT, json_integer_value(sg));
        else if (json_is_integer(ec))
            snprintf(how, sizeof(how), ", exit %" JSON_INTEGER_FORMAT, json_integer_value(ec));
        sw_text_printf(stdout, "        hook %s: %s%s: %s\n",
                       json_string_value(json_object_get(x, "hook")),
                       json_string_value(json_object_get(x, "status")), how,
                       json_is_string(json_object_get(x, "reason"))
                           ? json_string_value(json_object_get(x, "reason"))
                           : "-");
        if (out && *out) {
            size_t n = strcspn(out, "\n");
            sw_text_printf(stdout, "        output: %.*s%s\n", (int)(n > 200 ? 200 : n), out,
                           out[n] || n > 200 ? " ..." : "");
        }
    }
}

/* The clock-floor resets (slipway init --reset-clock-floor): printed, or as JSON. */
static json_t *
clock_events(struct sw_cli *cli, int json)
{
    struct sw_store_event_row *ev = NULL;
    size_t n = 0;
    json_t *a = json_array();

    if (sw_store_events_list(cli->store, 0, &ev, &n, NULL) < 0)
        return a;
    for (size_t i = 0; i < n; i++) {
        char at[21];
        json_t *d;
        if (strcmp(ev[i].kind, "clock-floor-reset") != 0)
            continue;
        fmt_time(ev[i].at, at);
        d = ev[i].detail ? json_loads(ev[i].detail, 0, NULL) : NULL;
        if (json)
            json_array_append_new(
                a, json_pack("{s:s,s:s,s:o,s:o,s:o}", "at", at, "actor", ev[i].actor, "old_floor",
                             jstr(json_string_value(json_object_get(d, "old_floor"))), "new_floor",
                             jstr(json_string_value(json_object_get(d, "new_floor"))), "reason",
                             jstr(ev[i].reason)));
        else
            sw_text_printf(stdout, "%s clock-floor-reset by %s: %s\n", at, ev[i].actor,
                           ev[i].reason ? ev[i].reason : "");
        json_decref(d);
    }
    sw_store_events_free(ev, n);
    return a;
}

int
sw_cmd_history(struct sw_cli *cli, int argc, char **argv)
{
    const char *limit_s = sw_cli_opt_get(cli, OPT_LIMIT, NULL);
    struct sw_store_update *list = NULL;
    size_t n = 0, limit = 0;
    json_t *jupd = NULL;
    int r;

    (void)argc;
    (void)argv;
    if (limit_s) {
        char *end;
        unsigned long l = strtoul(limit_s, &end, 10);
        if (*end || !*limit_s || limit_s[0] == '-' || l == 0 || l > 1000000)
            return sw_error_set(&cli->err, SW_E_USAGE,
                                "history: --limit '%s' is not a number from 1 to 1000000", limit_s);
        limit = l;
    }
    r = sw_store_updates_list(cli->store, limit, &list, &n, &cli->err);
    if (r < 0)
        return r;
    jupd = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct sw_store_update *u = &list[i];
        struct sw_store_event_row *ev = NULL;
        size_t ne = 0;
        json_t *jev = json_array(), *jph = NULL, *o;
        struct sw_store_hook_phase *phases = NULL;
        size_t n_phases = 0;
        char t1[21], t2[21];
        r = sw_store_events_list(cli->store, u->id, &ev, &ne, &cli->err);
        if (r < 0) {
            json_decref(jev);
            goto out;
        }
        fmt_time(u->created_at, t1);
        fmt_time(u->updated_at, t2);
        if (!cli->json) {
            sw_text_printf(stdout, "%s %s %s -> %s  %s%s%s  (by %s)\n", u->txn, u->target,
                           u->from_version ? u->from_version : "-", u->version, u->state,
                           u->slot ? " slot " : "", u->slot ? u->slot : "", u->actor);
            if (u->error)
                sw_text_printf(stdout, "    error: %s\n", u->error);
        }
        for (size_t k = 0; k < ne; k++) {
            const struct sw_store_event_row *e = &ev[k];
            int64_t el = k > 0 ? event_ms(e) - event_ms(&ev[k - 1]) : 0;
            char at[21];
            fmt_time(e->at, at);
            json_array_append_new(jev, json_pack("{s:s,s:I,s:s,s:o,s:o,s:s,s:o,s:I}", "at", at,
                                                 "at_ms", (json_int_t)event_ms(e), "kind", e->kind,
                                                 "from_state", jstr(e->from_state), "to_state",
                                                 jstr(e->to_state), "actor", e->actor, "reason",
                                                 jstr(e->reason), "elapsed_ms", (json_int_t)el));
            {
                json_t *d = e->detail ? json_loads(e->detail, 0, NULL) : NULL;
                json_object_set_new(json_array_get(jev, json_array_size(jev) - 1), "detail",
                                    d ? d : json_null());
                if (!cli->json) {
                    sw_text_printf(stdout, "    %s %-10s %-11s -> %-11s +%" PRId64 " ms  %s: %s\n",
                                   at, e->kind, e->from_state ? e->from_state : "-",
                                   e->to_state ? e->to_state : "-", el, e->actor,
                                   e->reason ? e->reason : "");
                    print_event_detail(d);
                }
            }
        }
        r = sw_store_hook_phases_list(cli->store, u->id, &phases, &n_phases, &cli->err);
        if (r < 0) {
            json_decref(jev);
            sw_store_events_free(ev, ne);
            goto out;
        }
        jph = json_array();
        for (size_t k = 0; k < n_phases; k++) {
            const struct sw_store_hook_phase *hp = &phases[k];
            json_t *pj = phase_json(hp, 1);
            json_object_set_new(pj, "at_ms", json_integer(hp->started_at_ms));
            json_array_append_new(jph, pj);
            if (!cli->json) {
                sw_text_printf(stdout, "    hooks %s: %s, %zu hook%s, %" PRId64 " ms: %s\n",
                               hp->phase, hp->passed ? "passed" : "FAILED", hp->n_runs,
                               hp->n_runs == 1 ? "" : "s", hp->duration_ms,
                               hp->reason ? hp->reason : "");
                for (size_t m = 0; m < hp->n_runs; m++) {
                    const struct sw_store_hook_run *x = &hp->runs[m];
                    char ex[32];
                    exit_col(x, ex, sizeof(ex));
                    sw_text_printf(stdout, "      %-24s %-8s %-8s %6" PRId64 " ms  exit %s%s%s\n",
                                   x->hook, x->status, x->required ? "required" : "wanted",
                                   x->duration_ms, ex, x->reason ? "  " : "",
                                   x->reason ? x->reason : "");
                }
            }
        }
        sw_store_hook_phases_free(phases, n_phases);
        phases = NULL;
        n_phases = 0;
        o = json_object();
        json_object_set_new(o, "id", json_integer(u->id));
        json_object_set_new(o, "txn", json_string(u->txn));
        json_object_set_new(o, "target", json_string(u->target));
        json_object_set_new(o, "version", json_string(u->version));
        json_object_set_new(o, "from_version", jstr(u->from_version));
        json_object_set_new(o, "slot", jstr(u->slot));
        json_object_set_new(o, "state", json_string(u->state));
        json_object_set_new(o, "actor", json_string(u->actor));
        json_object_set_new(o, "error", jstr(u->error));
        json_object_set_new(o, "length", u->length >= 0 ? json_integer(u->length) : json_null());
        json_object_set_new(o, "sha256", jstr(u->sha256));
        json_object_set_new(o, "created_at", json_string(t1));
        json_object_set_new(o, "updated_at", json_string(t2));
        json_object_set_new(o, "duration_ms",
                            json_integer(ne ? event_ms(&ev[ne - 1]) - event_ms(&ev[0]) : 0));
        json_object_set_new(o, "events", jev);
        json_object_set_new(o, "hook_phases", jph);
        json_array_append_new(jupd, o);
        sw_store_events_free(ev, ne);
    }
    if (cli->json) {
        json_t *jclk = clock_events(cli, 1);
        json_t *o = json_pack("{s:O,s:o}", "updates", jupd, "clock_floor_resets",
                              jclk ? jclk : json_array());
        r = sw_cli_hold_history(cli, limit, o); /* hold and unhold, with actor and reason */
        if (r < 0)
            json_decref(o);
        else
            r = sw_cli_print_json(cli, o);
    } else {
        if (n == 0)
            sw_text_printf(stdout, "no updates yet\n");
        json_decref(clock_events(cli, 0));
        r = sw_cli_hold_history(cli, limit, NULL);
    }
out:
    json_decref(jupd);
    sw_store_updates_free(list, n);
    return r;
}
