/* SPDX-License-Identifier: MIT */
/*
 * The update state machine and the steps that change slots: the table of
 * allowed transitions, transaction ids, recording each transition (with
 * the slot rows it implies) in one store transaction before its side
 * effect, stage / promote / rollback through the slot backend, and the
 * recovery of a step interrupted by a crash. Choosing and downloading a
 * target is the command layer's; what a bundle may hold is the bundle
 * module's.
 */
#include <slipway/fault.h>
#include <slipway/hash.h>
#include <slipway/log.h>
#include <slipway/text.h>
#include <slipway/update.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const state_names[SW_UPDATE_N_STATES] = {
    [SW_UPDATE_AVAILABLE] = "available",   [SW_UPDATE_DOWNLOADING] = "downloading",
    [SW_UPDATE_DOWNLOADED] = "downloaded", [SW_UPDATE_STAGING] = "staging",
    [SW_UPDATE_STAGED] = "staged",         [SW_UPDATE_CHECKING] = "checking",
    [SW_UPDATE_CHECKED] = "checked",       [SW_UPDATE_CHECK_FAILED] = "check_failed",
    [SW_UPDATE_PROMOTING] = "promoting",   [SW_UPDATE_PROMOTED] = "promoted",
    [SW_UPDATE_COMMITTED] = "committed",   [SW_UPDATE_ROLLED_BACK] = "rolled_back",
    [SW_UPDATE_FAILED] = "failed",         [SW_UPDATE_CANCELLED] = "cancelled",
};

const char *
sw_update_state_to_string(enum sw_update_state s)
{
    if ((unsigned)s >= SW_UPDATE_N_STATES)
        return "unknown";
    return state_names[s];
}

int
sw_update_state_from_string(const char *s, enum sw_update_state *ret_state)
{
    for (unsigned i = 0; s && i < SW_UPDATE_N_STATES; i++)
        if (strcmp(state_names[i], s) == 0) {
            *ret_state = (enum sw_update_state)i;
            return 0;
        }
    return -SW_E_INVAL;
}

#define N SW_UPDATE_EDGE_NORMAL
#define R SW_UPDATE_EDGE_RECOVERY
/* edges[from][to]: the state machine of docs/staging.md, as a table */
static const unsigned char edges[SW_UPDATE_N_STATES][SW_UPDATE_N_STATES] = {
    [SW_UPDATE_AVAILABLE] = {[SW_UPDATE_DOWNLOADING] = N, [SW_UPDATE_CANCELLED] = N},
    [SW_UPDATE_DOWNLOADING] =
        {[SW_UPDATE_DOWNLOADED] = N, [SW_UPDATE_FAILED] = N, [SW_UPDATE_AVAILABLE] = R},
    [SW_UPDATE_DOWNLOADED] =
        {[SW_UPDATE_STAGING] = N, [SW_UPDATE_DOWNLOADING] = N, [SW_UPDATE_CANCELLED] = N},
    [SW_UPDATE_STAGING] =
        {[SW_UPDATE_STAGED] = N, [SW_UPDATE_FAILED] = N, [SW_UPDATE_DOWNLOADED] = R},
    [SW_UPDATE_STAGED] =
        {[SW_UPDATE_CHECKING] = N, [SW_UPDATE_PROMOTING] = N, [SW_UPDATE_CANCELLED] = N},
    [SW_UPDATE_CHECKING] =
        {[SW_UPDATE_CHECKED] = N, [SW_UPDATE_CHECK_FAILED] = N, [SW_UPDATE_STAGED] = R},
    [SW_UPDATE_CHECKED] =
        {[SW_UPDATE_PROMOTING] = N, [SW_UPDATE_CHECKING] = N, [SW_UPDATE_CANCELLED] = N},
    /* promoting from check_failed: only a forced promotion (recorded as such) */
    [SW_UPDATE_CHECK_FAILED] =
        {[SW_UPDATE_CHECKING] = N, [SW_UPDATE_PROMOTING] = N, [SW_UPDATE_CANCELLED] = N},
    [SW_UPDATE_PROMOTING] =
        {[SW_UPDATE_PROMOTED] = N, [SW_UPDATE_FAILED] = N, [SW_UPDATE_STAGED] = R},
    [SW_UPDATE_PROMOTED] = {[SW_UPDATE_COMMITTED] = N, [SW_UPDATE_ROLLED_BACK] = N},
    [SW_UPDATE_COMMITTED] = {[SW_UPDATE_ROLLED_BACK] = N},
};
#undef N
#undef R

enum sw_update_edge
sw_update_edge(enum sw_update_state from, enum sw_update_state to)
{
    if ((unsigned)from >= SW_UPDATE_N_STATES || (unsigned)to >= SW_UPDATE_N_STATES)
        return SW_UPDATE_EDGE_NONE;
    return (enum sw_update_edge)edges[from][to];
}

bool
sw_update_state_final(enum sw_update_state s)
{
    return s == SW_UPDATE_ROLLED_BACK || s == SW_UPDATE_FAILED || s == SW_UPDATE_CANCELLED;
}

bool
sw_update_state_pending(enum sw_update_state s)
{
    return s == SW_UPDATE_AVAILABLE || s == SW_UPDATE_DOWNLOADED || s == SW_UPDATE_STAGED ||
           s == SW_UPDATE_CHECKED || s == SW_UPDATE_CHECK_FAILED;
}

void
sw_update_txn_new(char ret_txn[SW_UPDATE_TXN_SIZE])
{
    unsigned char raw[8];
    randombytes_buf(raw, sizeof(raw));
    memcpy(ret_txn, "tx-", 3);
    sodium_bin2hex(ret_txn + 3, SW_UPDATE_TXN_SIZE - 3, raw, sizeof(raw));
}

static enum sw_update_state
state_of(const struct sw_store_update *u)
{
    enum sw_update_state s = SW_UPDATE_FAILED;
    sw_update_state_from_string(u->state, &s);
    return s;
}

/* sw_update_transition() with a detail (JSON text, may be NULL) on its event. */
static int
transition_detail(struct sw_update_ctx *c, struct sw_store_update *u, enum sw_update_state to,
                  const char *kind, const char *reason, const char *error, const char *detail,
                  const struct sw_update_slot_change *changes, size_t n_changes, int recovery,
                  struct sw_error *err)
{
    enum sw_update_state from = state_of(u);
    enum sw_update_edge e = sw_update_edge(from, to);
    struct sw_store_event ev;
    struct sw_store_update nu = *u;
    char *nstate = NULL, *nerror = NULL;
    int r;

    if (e == SW_UPDATE_EDGE_NONE || (e == SW_UPDATE_EDGE_RECOVERY && !recovery))
        return sw_error_set(err, SW_E_UPDATE_STATE, "update %s ('%s'): cannot go from %s to %s",
                            u->txn, u->target, sw_update_state_to_string(from),
                            sw_update_state_to_string(to));
    nstate = strdup(sw_update_state_to_string(to));
    if (!nstate || (error && !(nerror = strdup(error)))) {
        free(nstate);
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    nu.state = nstate;
    if (error)
        nu.error = nerror;
    r = sw_store_begin(c->store, err);
    if (r < 0)
        goto fail;
    r = sw_store_update_save(c->store, &nu, err);
    if (r < 0)
        goto fail;
    for (size_t i = 0; i < n_changes; i++) {
        r = sw_store_slot_set(c->store, changes[i].name, changes[i].state, changes[i].version,
                              changes[i].update_id, err);
        if (r < 0)
            goto fail;
    }
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind ? kind : "transition";
    ev.txn = u->txn;
    ev.update_id = u->id;
    ev.from_state = sw_update_state_to_string(from);
    ev.to_state = sw_update_state_to_string(to);
    ev.actor = c->actor ? c->actor : "slipway";
    ev.reason = reason;
    ev.detail = detail;
    r = sw_store_event_add(c->store, &ev, err);
    if (r < 0)
        goto fail;
    if (SW_FAULT("update-transition")) {
        r = sw_error_set(err, SW_E_FAULT, "injected fault before recording %s",
                         sw_update_state_to_string(to));
        goto fail;
    }
    r = sw_store_commit(c->store, err);
    if (r < 0)
        goto fail;
    sw_log_debug("update %s: %s -> %s%s%s", u->txn, sw_update_state_to_string(from),
                 sw_update_state_to_string(to), reason ? ": " : "", reason ? reason : "");
    free(u->state);
    u->state = nstate;
    if (error) {
        free(u->error);
        u->error = nerror;
    }
    return 0;
fail:
    sw_store_rollback(c->store);
    free(nstate);
    free(nerror);
    return r;
}

int
sw_update_transition(struct sw_update_ctx *c, struct sw_store_update *u, enum sw_update_state to,
                     const char *kind, const char *reason, const char *error,
                     const struct sw_update_slot_change *changes, size_t n_changes, int recovery,
                     struct sw_error *err)
{
    return transition_detail(c, u, to, kind, reason, error, NULL, changes, n_changes, recovery,
                             err);
}

int
sw_update_find_pending(struct sw_update_ctx *c, struct sw_store_update *ret_update,
                       struct sw_error *err)
{
    struct sw_store_update *list = NULL;
    size_t n = 0;
    int r = sw_store_updates_list(c->store, 0, &list, &n, err);
    if (r < 0)
        return r;
    r = sw_error_set(err, SW_E_NOTFOUND, "no update is pending");
    for (size_t i = 0; i < n; i++)
        if (sw_update_state_pending(state_of(&list[i]))) {
            *ret_update = list[i];
            memset(&list[i], 0, sizeof(list[i]));
            sw_error_clear(err);
            r = 0;
            break;
        }
    sw_store_updates_free(list, n);
    return r;
}

/* --- the two views of the slots --------------------------------------------------- */

const struct sw_store_slot *
sw_update_view_row(const struct sw_update_view *v, const char *name)
{
    for (size_t i = 0; i < v->n_rows; i++)
        if (strcmp(v->rows[i].name, name) == 0)
            return &v->rows[i];
    return NULL;
}

static void add_problem(struct sw_update_view *v, const char *fmt, ...) SW_PRINTF(2, 3);

static void
add_problem(struct sw_update_view *v, const char *fmt, ...)
{
    va_list ap;
    if (v->n_problems >= sizeof(v->problems) / sizeof(v->problems[0]))
        return;
    va_start(ap, fmt);
    vsnprintf(v->problems[v->n_problems++], sizeof(v->problems[0]), fmt, ap);
    va_end(ap);
}

static bool
holds_tree(const char *state)
{
    return strcmp(state, "staged") == 0 || strcmp(state, "active") == 0 ||
           strcmp(state, "previous") == 0 || strcmp(state, "bad") == 0;
}

int
sw_update_view_read(struct sw_update_ctx *c, struct sw_update_view *v, struct sw_error *err)
{
    int r;

    memset(v, 0, sizeof(*v));
    v->store_active = -1;
    v->fs_active = -1;
    r = sw_store_slots(c->store, &v->rows, &v->n_rows, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < v->n_rows; i++) {
        enum sw_slot_id id;
        if (strcmp(v->rows[i].state, "active") == 0 &&
            sw_slot_id_from_string(v->rows[i].name, &id) == 0)
            v->store_active = (int)id;
    }
    if (!c->slots)
        return 0;
    {
        enum sw_slot_id id;
        struct sw_error e2 = SW_ERROR_INIT;
        r = sw_slot_active(c->slots, &id, &e2);
        if (r == 0)
            v->fs_active = (int)id;
        else if (r != -SW_E_SLOT)
            /* which slot runs cannot be told: a disagreement to report, not to guess at */
            add_problem(v, "cannot tell which slot is active on disk: %.200s", e2.msg);
    }
    for (int i = 0; i < SW_SLOT_COUNT; i++) {
        r = sw_slot_info(c->slots, (enum sw_slot_id)i, &v->info[i], err);
        if (r < 0)
            goto fail;
    }
    v->have_info = true;
    if (v->n_problems == 0 && v->store_active != v->fs_active) {
        if (v->fs_active < 0)
            add_problem(v,
                        "the store says slot '%s' is active, but no slot is active on disk "
                        "(the 'current' link is missing)",
                        sw_slot_id_to_string((enum sw_slot_id)v->store_active));
        else if (v->store_active < 0)
            add_problem(v, "slot '%s' is active on disk, but the store records no active slot",
                        sw_slot_id_to_string((enum sw_slot_id)v->fs_active));
        else
            add_problem(v, "slot '%s' is active on disk, but the store says slot '%s' is",
                        sw_slot_id_to_string((enum sw_slot_id)v->fs_active),
                        sw_slot_id_to_string((enum sw_slot_id)v->store_active));
    }
    for (int i = 0; i < SW_SLOT_COUNT; i++) {
        const struct sw_store_slot *row =
            sw_update_view_row(v, sw_slot_id_to_string((enum sw_slot_id)i));
        if (row && holds_tree(row->state) && (!v->info[i].present || !v->info[i].complete))
            add_problem(v,
                        "the store says slot '%s' holds version %s (%s), but it is not "
                        "complete on disk",
                        row->name, row->version ? row->version : "?", row->state);
    }
    return 0;
fail:
    sw_store_slots_free(v->rows, v->n_rows);
    v->rows = NULL;
    v->n_rows = 0;
    return r;
}

int
sw_update_view_check(const struct sw_update_view *v, struct sw_error *err)
{
    if (v->n_problems == 0)
        return 0;
    return sw_error_set(err, SW_E_SLOT_MISMATCH,
                        "the slots on disk and the state store disagree: %s%s; nothing was "
                        "changed: repair by hand (see 'slipway status')",
                        v->problems[0], v->n_problems > 1 ? " (and more)" : "");
}

void
sw_update_view_release(struct sw_update_view *v)
{
    if (!v)
        return;
    sw_store_slots_free(v->rows, v->n_rows);
    v->rows = NULL;
    v->n_rows = 0;
}

/* --- stage --------------------------------------------------------------------------- */

static int
need_slots(struct sw_update_ctx *c, struct sw_error *err)
{
    if (!c->slots)
        return sw_error_set(err, SW_E_INTERNAL, "no slot backend is open");
    return 0;
}

int
sw_update_stage(struct sw_update_ctx *c, struct sw_store_update *u, enum sw_slot_id slot,
                const char *bundle_path, const struct sw_md_fileinfo *info,
                const struct sw_bundle_limits *lim, sw_bundle_progress_fn progress,
                void *progress_ctx, struct sw_bundle_stats *ret_stats, struct sw_error *err)
{
    const char *sname = sw_slot_id_to_string(slot);
    struct sw_update_slot_change ch;
    struct sw_slot_writer w;
    struct sw_error xerr = SW_ERROR_INIT;
    char *nslot = NULL;
    bool have_writer = false;
    int r;

    r = need_slots(c, err);
    if (r < 0)
        return r;
    nslot = strdup(sname);
    if (!nslot)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    free(u->slot);
    u->slot = nslot;
    ch.name = sname;
    ch.state = "staging";
    ch.version = u->version;
    ch.update_id = u->id;
    r = sw_update_transition(c, u, SW_UPDATE_STAGING, NULL, "extracting into the inactive slot",
                             NULL, &ch, 1, 0, err);
    if (r < 0)
        return r;
    r = sw_slot_prepare(c->slots, slot, &xerr);
    if (r < 0)
        goto refused;
    r = sw_slot_open_writer(c->slots, slot, SW_SLOT_WRITE_TREE, &w, &xerr);
    if (r < 0)
        goto refused;
    have_writer = true;
    r = sw_bundle_extract(bundle_path, info, w.dirfd, lim, progress, progress_ctx, ret_stats,
                          &xerr);
    if (r < 0)
        goto refused;
    /* a finish that fails leaves the writer open, for abort */
    r = sw_slot_finish(c->slots, slot, &w, &xerr);
    if (r < 0)
        goto refused;
    have_writer = false;
    ch.state = "staged";
    return sw_update_transition(c, u, SW_UPDATE_STAGED, NULL, "extracted and made durable", NULL,
                                &ch, 1, 0, err);
refused:
    sw_error_prefix(&xerr, "staging '%s' into slot '%s': ", u->target, sname);
    if (err)
        *err = xerr;
    {
        struct sw_error aerr = SW_ERROR_INIT;
        int ar;
        if (have_writer)
            ar = sw_slot_abort(c->slots, slot, &w, &aerr);
        else
            ar = sw_slot_prepare(c->slots, slot, &aerr);
        ch.state = "empty";
        ch.version = NULL;
        ch.update_id = 0;
        if (ar < 0) {
            /* the slot could not be emptied: say so, and keep it out of use */
            sw_log_warning("slot '%s' could not be emptied: %s", sname, aerr.msg);
            ch.state = "bad";
        }
        sw_update_transition(c, u, SW_UPDATE_FAILED, NULL, "staging refused", xerr.msg, &ch, 1, 0,
                             NULL);
    }
    return r;
}

/* --- the test hooks: fingerprints, stored phases, the gate ---------------------------- */

#define FP_TREE_MAX_DEPTH 256
#define DETAIL_OUTPUT_MAX 1024 /* bytes of a failing hook's output kept in an event */

/* A string with its NUL, so "ab","c" and "a","bc" differ. */
static int
hash_str(struct sw_hash *h, const char *s, struct sw_error *err)
{
    if (!s)
        s = "";
    return sw_hash_update(h, s, strlen(s) + 1, err);
}

static int
hash_u64(struct sw_hash *h, uint64_t v, struct sw_error *err)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return sw_hash_update(h, b, sizeof(b), err);
}

static int
hash_stat(struct sw_hash *h, const struct stat *st, struct sw_error *err)
{
    uint64_t v[12] = {
        (uint64_t)st->st_dev,         (uint64_t)st->st_ino,          (uint64_t)st->st_mode,
        (uint64_t)st->st_uid,         (uint64_t)st->st_gid,          (uint64_t)st->st_nlink,
        (uint64_t)st->st_size,        (uint64_t)st->st_mtim.tv_sec,  (uint64_t)st->st_mtim.tv_nsec,
        (uint64_t)st->st_ctim.tv_sec, (uint64_t)st->st_ctim.tv_nsec, (uint64_t)st->st_rdev,
    };
    int r = 0;
    for (size_t i = 0; i < 12 && r == 0; i++)
        r = hash_u64(h, v[i], err);
    return r;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every entry under dirfd (which this takes), depth first in byte order of
 * names: its path relative to the slot, its lstat() fields (ctime among
 * them: no write, chmod, rename or replacement leaves it unchanged) and a
 * link's target. Never follows a link.
 */
static int
hash_tree(struct sw_hash *h, int dfd, const char *rel, unsigned depth, struct sw_error *err)
{
    DIR *d = NULL;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int r = 0;

    if (depth > FP_TREE_MAX_DEPTH) {
        close(dfd);
        return sw_error_set(err, SW_E_SLOT, "slot tree is deeper than %d levels at '%s'",
                            FP_TREE_MAX_DEPTH, rel);
    }
    d = fdopendir(dfd);
    if (!d) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot read '%s' in the slot", rel);
        close(dfd);
        return r;
    }
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? 2 * cap : 32) * sizeof(*nn));
            if (!nn) {
                r = sw_error_set(err, SW_E_NOMEM, "out of memory");
                goto out;
            }
            names = nn;
        }
        if (!(names[n] = strdup(de->d_name))) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto out;
        }
        n++;
    }
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n && r == 0; i++) {
        struct stat st;
        char *path = NULL;
        if (asprintf(&path, "%s/%s", rel, names[i]) < 0) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            break;
        }
        if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            r = sw_error_errno(err, SW_E_IO, errno, "cannot stat '%s' in the slot", path);
            free(path);
            break;
        }
        r = hash_str(h, path, err);
        if (r == 0)
            r = hash_stat(h, &st, err);
        if (r == 0 && S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t len = readlinkat(dfd, names[i], target, sizeof(target) - 1);
            if (len < 0)
                len = 0;
            target[len] = '\0';
            r = hash_str(h, target, err);
        } else if (r == 0 && S_ISDIR(st.st_mode)) {
            int sub = openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0)
                r = sw_error_errno(err, SW_E_IO, errno, "cannot open '%s' in the slot", path);
            else
                r = hash_tree(h, sub, path, depth + 1, err);
        }
        free(path);
    }
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return r;
}

/*
 * The fingerprint of what slot id holds for u: the update (id, target,
 * version, bundle digest), the slot's name and root, and the metadata of
 * every entry of its tree (hash_tree). The dir backend records no digest
 * of the tree it finished, so this is computed here, one lstat per entry.
 */
static int
slot_fingerprint(const struct sw_store_update *u, enum sw_slot_id id, const char *root,
                 char out[SW_HASH_MAX_HEX], struct sw_error *err)
{
    unsigned char md[SW_HASH_MAX_LEN];
    struct sw_hash *h = NULL;
    struct stat st;
    int fd, r;

    r = sw_hash_new(SW_HASH_SHA256, &h, err);
    if (r < 0)
        return r;
    r = hash_str(h, "slipway slot fingerprint 1", err);
    if (r == 0)
        r = hash_u64(h, (uint64_t)u->id, err);
    if (r == 0)
        r = hash_str(h, u->target, err);
    if (r == 0)
        r = hash_str(h, u->version, err);
    if (r == 0)
        r = hash_str(h, u->sha256, err);
    if (r == 0)
        r = hash_str(h, sw_slot_id_to_string(id), err);
    if (r == 0)
        r = hash_str(h, root, err);
    if (r < 0)
        goto out;
    fd = open(root ? root : "", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        r = sw_error_errno(err, SW_E_SLOT, errno, "cannot open slot '%s' ('%s')",
                           sw_slot_id_to_string(id), root ? root : "");
        goto out;
    }
    if (fstat(fd, &st) < 0) {
        r = sw_error_errno(err, SW_E_SLOT, errno, "cannot stat slot '%s'", root);
        close(fd);
        goto out;
    }
    r = hash_stat(h, &st, err);
    if (r < 0) {
        close(fd);
        goto out;
    }
    r = hash_tree(h, fd, ".", 0, err);
    if (r < 0) {
        sw_error_prefix(err, "fingerprint of slot '%s': ", sw_slot_id_to_string(id));
        goto out;
    }
    r = sw_hash_final(h, md, err);
    if (r == 0)
        sw_hex_encode(md, sw_hash_len(SW_HASH_SHA256), out);
out:
    sw_hash_free(h);
    return r;
}

/* The section of hook NAME, as the runner finds it. */
static const struct sw_hook_config *
hook_section(const struct sw_config *cfg, const char *name)
{
    const struct sw_hook_config *hc;
    if (!cfg)
        return NULL;
    hc = sw_config_hook(cfg, sw_hook_config_name(name));
    return hc ? hc : sw_config_hook(cfg, name);
}

struct walk_hash {
    struct sw_hash *h;
    const char *section;
    struct sw_error *err;
};

static int
walk_hook_keys(void *ctx, const char *section, const char *name, const char *key, const char *value)
{
    struct walk_hash *w = ctx;
    int r;
    if (strcmp(section, "hook") != 0 || !name || strcmp(name, w->section) != 0)
        return 0;
    r = hash_str(w->h, key, w->err);
    if (r == 0)
        r = hash_str(w->h, value ? value : "\001unset", w->err);
    return r;
}

/* The hook file's identity and content: lstat, stat, SHA-256 of its bytes. */
static int
hash_hook_file(struct sw_hash *h, const char *path, struct sw_error *err)
{
    unsigned char buf[65536], md[SW_HASH_MAX_LEN];
    char hex[SW_HASH_MAX_HEX];
    struct sw_hash *ch = NULL;
    struct stat st;
    ssize_t n;
    int fd, r;

    if (lstat(path, &st) < 0)
        return hash_str(h, "\001missing", err);
    r = hash_stat(h, &st, err);
    if (r < 0)
        return r;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return hash_str(h, "\001unreadable", err);
    }
    r = hash_stat(h, &st, err);
    if (r == 0)
        r = sw_hash_new(SW_HASH_SHA256, &ch, err);
    while (r == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = sw_error_errno(err, SW_E_IO, errno, "cannot read hook '%s'", path);
            break;
        }
        r = sw_hash_update(ch, buf, (size_t)n, err);
    }
    close(fd);
    if (r == 0)
        r = sw_hash_final(ch, md, err);
    sw_hash_free(ch);
    if (r < 0)
        return r;
    sw_hex_encode(md, sw_hash_len(SW_HASH_SHA256), hex);
    return hash_str(h, hex, err);
}

/*
 * The fingerprint of the hook set of a phase: in order, each hook's name,
 * path, origin, masked flag, file identity (mode, owner, size, times) and
 * content hash, and its [hook "NAME"] section's keys and values; then the
 * runner's parameters, the running user and the environment the hooks are
 * given (what else can change a verdict).
 */
static int
hooks_fingerprint(const struct sw_config *cfg, const struct sw_hook_list *list,
                  const struct sw_hook_params *params, const struct sw_hook_env *env,
                  char out[SW_HASH_MAX_HEX], struct sw_error *err)
{
    unsigned char md[SW_HASH_MAX_LEN];
    struct sw_hash *h = NULL;
    int r;

    r = sw_hash_new(SW_HASH_SHA256, &h, err);
    if (r < 0)
        return r;
    r = hash_str(h, "slipway hook-set fingerprint 1", err);
    if (r == 0)
        r = hash_str(h, env->phase, err);
    for (size_t i = 0; list && i < list->n && r == 0; i++) {
        const struct sw_hook *hk = &list->v[i];
        const struct sw_hook_config *hc = hook_section(cfg, hk->name);
        r = hash_str(h, hk->name, err);
        if (r == 0)
            r = hash_str(h, hk->path, err);
        if (r == 0)
            r = hash_str(h, hk->origin, err);
        if (r == 0)
            r = hash_u64(h, (uint64_t)hk->masked, err);
        if (r == 0)
            r = hash_hook_file(h, hk->path, err);
        if (r == 0 && hc) {
            struct walk_hash w = {h, hc->name, err};
            r = hash_str(h, hc->name, err);
            if (r == 0)
                r = sw_config_walk(cfg, walk_hook_keys, &w);
            if (r < 0 && err && !err->code)
                r = sw_error_set(err, -r, "fingerprint of hook '%s': cannot walk its section",
                                 hk->name);
        }
        if (r == 0)
            r = hash_str(h, "\001end", err);
    }
    {
        uint64_t v[8] = {params->timeout_ms,     params->grace_ms,   params->retries,
                         params->retry_delay_ms, params->max_output, params->max_line,
                         params->max_findings,   (uint64_t)geteuid()};
        for (size_t i = 0; i < 8 && r == 0; i++)
            r = hash_u64(h, v[i], err);
    }
    {
        const char *e[7] = {env->slot,        env->slot_dir, env->active_dir, env->version_new,
                            env->version_old, env->channel,  env->txn};
        for (size_t i = 0; i < 7 && r == 0; i++)
            r = hash_str(h, e[i], err);
    }
    if (r == 0)
        r = sw_hash_final(h, md, err);
    if (r == 0)
        sw_hex_encode(md, sw_hash_len(SW_HASH_SHA256), out);
    sw_hash_free(h);
    return r;
}

/* One phase about to run: what it runs, with what, and the fingerprints. */
struct phase {
    const char *name; /* SW_HOOK_PHASE_* */
    enum sw_slot_id slot;
    const struct sw_config *cfg; /* NULL: no hooks */
    struct sw_hook_list *list;   /* NULL: no hooks */
    struct sw_hook_params params;
    struct sw_hook_env env;
    size_t n_active; /* unmasked hooks */
    char slot_fp[SW_HASH_MAX_HEX];
    char hooks_fp[SW_HASH_MAX_HEX];
};

static void
phase_release(struct phase *ph)
{
    sw_hook_list_free(ph->list);
    ph->list = NULL;
}

/*
 * Discover the hooks of phase name for u, tested against slot_dir (slot
 * id), with active_dir the live tree (may be NULL), and compute both
 * fingerprints.
 */
static int
phase_prepare(struct sw_update_ctx *c, const struct sw_store_update *u, const char *name,
              enum sw_slot_id id, const char *slot_dir, const char *active_dir, struct phase *ph,
              struct sw_error *err)
{
    const struct sw_update_hooks *hk = c->hooks;
    int r;

    memset(ph, 0, sizeof(*ph));
    ph->name = name;
    ph->slot = id;
    ph->cfg = hk ? hk->cfg : NULL;
    if (hk && hk->params)
        ph->params = *hk->params;
    else
        sw_hook_params_init(&ph->params, ph->cfg);
    ph->env.phase = name;
    ph->env.txn = u->txn;
    ph->env.slot = sw_slot_id_to_string(id);
    ph->env.slot_dir = slot_dir;
    ph->env.active_dir = active_dir;
    ph->env.version_new = u->version;
    ph->env.version_old = u->from_version;
    ph->env.channel = hk && hk->channel ? hk->channel : (ph->cfg ? ph->cfg->channel : NULL);
    if (ph->cfg) {
        r = sw_hook_discover(&ph->cfg->hook_dirs, name, &ph->list, err);
        if (r < 0)
            return sw_error_prefix(err, "%s hooks: ", name);
        for (size_t i = 0; i < ph->list->n; i++)
            if (!ph->list->v[i].masked)
                ph->n_active++;
    }
    r = slot_fingerprint(u, id, slot_dir, ph->slot_fp, err);
    if (r == 0)
        r = hooks_fingerprint(ph->cfg, ph->list, &ph->params, &ph->env, ph->hooks_fp, err);
    if (r < 0)
        phase_release(ph);
    return r;
}

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "'NAME' (status: reason)" for each hook of res that failed, required ones or wanted ones. */
static void
failed_list(const struct sw_hook_results *res, int required, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; res && i < res->n && o + 1 < len; i++) {
        const struct sw_hook_result *x = &res->v[i];
        int n;
        if (x->status == SW_HOOK_PASS || x->status == SW_HOOK_SKIP || !x->required != !required)
            continue;
        n = snprintf(buf + o, len - o, "%s'%s' (%s%s%s)", o ? ", " : "", x->name,
                     sw_hook_status_to_string(x->status), x->reason ? ": " : "",
                     x->reason ? x->reason : "");
        if (n < 0)
            break;
        o += (size_t)n;
    }
    if (o >= len && len > 4)
        memcpy(buf + len - 4, "...", 4);
}

/* s (may be NULL) escaped for terminals, as a JSON string (valid UTF-8 whatever s holds). */
static json_t *
jsafe(const char *s)
{
    char *e;
    json_t *j;
    if (!s)
        return json_null();
    e = sw_text_escape(s, SW_TEXT_KEEP_NEWLINE);
    j = e ? json_string(e) : NULL;
    free(e);
    return j ? j : json_null();
}

/* The failed hooks of res as a JSON array (for an event's detail); with output when asked. */
static json_t *
failed_json(const struct sw_hook_results *res, int required_only, int with_output)
{
    json_t *a = json_array();
    for (size_t i = 0; a && res && i < res->n; i++) {
        const struct sw_hook_result *x = &res->v[i];
        json_t *o;
        if (x->status == SW_HOOK_PASS || x->status == SW_HOOK_SKIP ||
            (required_only && !x->required))
            continue;
        o = json_pack("{s:o,s:o,s:s,s:b,s:o,s:o,s:b,s:o}", "hook", jsafe(x->name), "path",
                      jsafe(x->path), "status", sw_hook_status_to_string(x->status), "required",
                      x->required, "exit_code",
                      x->exit_code >= 0 ? json_integer(x->exit_code) : json_null(), "signal",
                      x->signal ? json_integer(x->signal) : json_null(), "timed_out", x->timed_out,
                      "reason", jsafe(x->reason));
        if (o && with_output) {
            char esc[DETAIL_OUTPUT_MAX * SW_TEXT_ESCAPE_MAX + 1];
            size_t n = x->output_len < DETAIL_OUTPUT_MAX ? x->output_len : DETAIL_OUTPUT_MAX;
            sw_text_escape_buf(esc, sizeof(esc), x->output ? x->output : "", n,
                               SW_TEXT_KEEP_NEWLINE);
            json_object_set_new(o, "output", json_string(esc));
            json_object_set_new(o, "output_truncated",
                                json_boolean(x->output_len > n || x->output_truncated));
        }
        if (o)
            json_array_append_new(a, o);
    }
    return a;
}

/* The detail of an event about a phase's failure, as JSON text (caller frees), or NULL. */
static char *
failure_detail(const char *phase, const struct sw_hook_results *res, int with_output,
               const char *extra_key, const char *extra)
{
    json_t *o = json_pack("{s:s,s:o}", "phase", phase, "failed", failed_json(res, 1, with_output));
    char *s;
    if (!o)
        return NULL;
    if (extra_key && extra)
        json_object_set_new(o, extra_key, jsafe(extra));
    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static void
run_to_store(const struct sw_hook_result *x, int64_t started_ms, struct sw_store_hook_run *o)
{
    memset(o, 0, sizeof(*o));
    o->hook = x->name;
    o->path = x->path;
    o->required = x->required;
    o->attempts = x->attempts;
    o->status = (char *)(uintptr_t)sw_hook_status_to_string(x->status);
    o->exit_code = x->exit_code;
    o->signal = x->signal;
    o->timed_out = x->timed_out;
    o->started_at = started_ms / 1000;
    o->duration_ms = (int64_t)x->duration_ms;
    o->reason = x->reason;
    o->output = x->output;
    o->output_len = x->output_len;
    o->output_truncated = x->output_truncated;
    o->findings_dropped = x->findings_dropped;
}

/*
 * Run the phase (ph from phase_prepare) and store it with every run, in
 * one store transaction. *ret_passed: no required hook failed (and, for
 * pre-promote, the slot did not change while they ran). reason: one line
 * saying why, for the transition.
 */
static int
phase_run(struct sw_update_ctx *c, const struct sw_store_update *u, struct phase *ph,
          struct sw_hook_results **ret_results, int *ret_passed, char *reason, size_t reasonlen,
          struct sw_error *err)
{
    struct sw_hook_results *res = NULL;
    struct sw_store_hook_phase row;
    struct sw_store_hook_run *runs = NULL;
    size_t n_rows = 0;
    int64_t t0 = now_ms(), t;
    int passed, r;

    if (ph->list && ph->n_active) {
        r = sw_hook_run_phase(ph->list, &ph->env, ph->cfg, &ph->params, &res, err);
        if (r < 0)
            return r;
    } else {
        res = calloc(1, sizeof(*res));
        if (!res)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    passed = res->required_failed == 0;
    if (res->n == 0)
        snprintf(reason, reasonlen, "no %s hooks", ph->name);
    else if (passed)
        snprintf(reason, reasonlen, "%zu %s hook%s ran: the required ones passed%s", res->n,
                 ph->name, res->n == 1 ? "" : "s",
                 res->wanted_failed ? " (a wanted one did not)" : "");
    else {
        char list[400];
        failed_list(res, 1, list, sizeof(list));
        snprintf(reason, reasonlen, "required %s hook%s failed: %s", ph->name,
                 res->required_failed == 1 ? "" : "s", list);
    }
    if (strcmp(ph->name, SW_HOOK_PHASE_PRE_PROMOTE) == 0 && res->n) {
        /* what was tested must be what is there: a hook that wrote to the slot spoils it */
        char after[SW_HASH_MAX_HEX];
        r = slot_fingerprint(u, ph->slot, ph->env.slot_dir, after, err);
        if (r < 0)
            goto out;
        if (strcmp(after, ph->slot_fp) != 0) {
            passed = 0;
            snprintf(reason, reasonlen,
                     "slot '%s' changed while the %s hooks ran (a hook must never write to the "
                     "slot under test)",
                     ph->env.slot, ph->name);
        }
    }
    /* the rows */
    runs = calloc(res->n ? res->n : 1, sizeof(*runs));
    if (!runs) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    n_rows = res->n;
    t = t0;
    for (size_t i = 0; i < res->n; i++) {
        const struct sw_hook_result *x = &res->v[i];
        run_to_store(x, t, &runs[i]);
        t += (int64_t)x->duration_ms;
        if (x->n_findings) {
            struct sw_store_hook_finding *f = calloc(x->n_findings, sizeof(*f));
            if (!f) {
                r = sw_error_set(err, SW_E_NOMEM, "out of memory");
                goto out;
            }
            for (size_t k = 0; k < x->n_findings; k++) {
                f[k].check = x->findings[k].check;
                f[k].status = (char *)(uintptr_t)sw_hook_status_to_string(x->findings[k].status);
                f[k].detail = x->findings[k].detail;
            }
            runs[i].findings = f;
            runs[i].n_findings = x->n_findings;
        }
        if (x->n_bad_lines) {
            json_t *a = json_array();
            for (size_t k = 0; a && k < x->n_bad_lines; k++)
                json_array_append_new(a, json_string(x->bad_lines[k]));
            runs[i].bad_lines = a ? json_dumps(a, JSON_COMPACT) : NULL;
            json_decref(a);
        }
    }
    memset(&row, 0, sizeof(row));
    row.update_id = u->id;
    row.txn = u->txn;
    row.phase = (char *)(uintptr_t)ph->name;
    row.slot = (char *)(uintptr_t)sw_slot_id_to_string(ph->slot);
    row.slot_fingerprint = ph->slot_fp;
    row.hooks_fingerprint = ph->hooks_fp;
    row.n_hooks = res->n;
    row.required_failed = res->required_failed;
    row.wanted_failed = res->wanted_failed;
    row.passed = passed;
    row.reason = reason;
    row.started_at_ms = t0;
    row.duration_ms = now_ms() - t0;
    row.runs = runs;
    row.n_runs = res->n;
    r = sw_store_hook_phase_add(c->store, &row, NULL, err);
    if (r < 0)
        goto out;
    sw_log_info("update %s: %s: %s", u->txn, ph->name, reason);
    *ret_passed = passed;
    if (ret_results) {
        *ret_results = res;
        res = NULL;
    }
out:
    for (size_t i = 0; runs && i < n_rows; i++) {
        free(runs[i].findings);
        free(runs[i].bad_lines);
    }
    free(runs);
    sw_hook_results_free(res);
    return r;
}

/* Release what phase_run's caller keeps: nothing but the results. */

static const char *
active_dir_of(const struct sw_update_view *v)
{
    return v->have_info && v->fs_active >= 0 ? v->info[v->fs_active].path : NULL;
}

/*
 * Record checking, run the prepared pre-promote phase, record checked or
 * check_failed. *ret_passed says which; reason gets the phase's one line.
 */
static int
do_check(struct sw_update_ctx *c, struct sw_store_update *u, struct phase *ph,
         struct sw_hook_results **ret_results, int *ret_passed, char *reason, size_t reasonlen,
         struct sw_error *err)
{
    struct sw_error xerr = SW_ERROR_INIT;
    int passed = 0, r;

    r = sw_update_transition(c, u, SW_UPDATE_CHECKING, "check",
                             ph->n_active ? "running the pre-promote hooks"
                                          : "no pre-promote hooks to run",
                             NULL, NULL, 0, 0, err);
    if (r < 0)
        return r;
    r = phase_run(c, u, ph, ret_results, &passed, reason, reasonlen, &xerr);
    if (r < 0) {
        sw_error_prefix(&xerr, "pre-promote checks of '%s': ", u->target);
        sw_update_transition(c, u, SW_UPDATE_CHECK_FAILED, "check",
                             "the pre-promote hooks could not be run", xerr.msg, NULL, 0, 0, NULL);
        if (err)
            *err = xerr;
        return r;
    }
    r = sw_update_transition(c, u, passed ? SW_UPDATE_CHECKED : SW_UPDATE_CHECK_FAILED, "check",
                             reason, NULL, NULL, 0, 0, err);
    if (r < 0)
        return r;
    *ret_passed = passed;
    return 0;
}

/* Whether the stored pre-promote verdict of u passed for the fingerprints of ph. */
static bool
verdict_holds(struct sw_update_ctx *c, const struct sw_store_update *u, const struct phase *ph)
{
    struct sw_store_hook_phase p;
    bool ok;

    if (state_of(u) != SW_UPDATE_CHECKED ||
        sw_store_hook_phase_latest(c->store, u->id, SW_HOOK_PHASE_PRE_PROMOTE, &p, NULL) < 0)
        return false;
    ok = p.passed && strcmp(p.slot_fingerprint, ph->slot_fp) == 0 &&
         strcmp(p.hooks_fingerprint, ph->hooks_fp) == 0;
    if (!ok)
        sw_log_info("update %s: the stored pre-promote verdict %s; checking again", u->txn,
                    !p.passed                                      ? "did not pass"
                    : strcmp(p.slot_fingerprint, ph->slot_fp) != 0 ? "was for another slot tree"
                                                                   : "was for another hook set");
    sw_store_hook_phase_release(&p);
    return ok;
}

/* --- promote and rollback ------------------------------------------------------------ */

static int
row_update(struct sw_update_ctx *c, const struct sw_store_slot *row,
           struct sw_store_update *ret_update, struct sw_error *err)
{
    if (!row || row->update_id <= 0)
        return sw_error_set(err, SW_E_NOTFOUND, "slot '%s' holds no recorded update",
                            row ? row->name : "?");
    return sw_store_update_get(c->store, row->update_id, ret_update, err);
}

static int finish_rollback(struct sw_update_ctx *c, const struct sw_store_update *u,
                           enum sw_slot_id from, const struct sw_store_slot *prev, int recovery,
                           struct sw_error *err);

/*
 * After u was recorded promoted into slot id: run the post-promote hooks
 * against the live tree and record committed, or on a required failure
 * roll back at once to prev (the slot row that is now "previous", or NULL
 * when there is none; prev_complete: its tree is whole on disk) and
 * return -SW_E_ROLLED_BACK. Without hooks (c->hooks NULL) it commits.
 */
static int
post_promote(struct sw_update_ctx *c, struct sw_store_update *u, enum sw_slot_id id,
             const struct sw_store_slot *prev, bool prev_complete, int recovery,
             struct sw_hook_results **ret_post, struct sw_error *err)
{
    struct sw_hook_results *res = NULL;
    struct sw_slot_info info;
    struct phase ph;
    char reason[1024], why[1200], list[600];
    char *detail = NULL;
    int passed = 0, r;

    memset(&ph, 0, sizeof(ph));
    if (!c->hooks || !c->hooks->cfg)
        return sw_update_transition(c, u, SW_UPDATE_COMMITTED, recovery ? "recovery" : NULL,
                                    recovery ? "recovery: no post-promote checks: committed"
                                             : "no post-promote checks: committed",
                                    NULL, NULL, 0, 0, err);
    r = sw_slot_info(c->slots, id, &info, err);
    if (r < 0)
        return r;
    r = phase_prepare(c, u, SW_HOOK_PHASE_POST_PROMOTE, id, info.path, info.path, &ph, err);
    if (r < 0)
        return r; /* left promoted: recovery runs the checks again */
    r = phase_run(c, u, &ph, &res, &passed, reason, sizeof(reason), err);
    phase_release(&ph);
    if (r < 0)
        return r;
    if (passed) {
        snprintf(why, sizeof(why), "%s%s: committed", recovery ? "recovery: " : "", reason);
        r = sw_update_transition(c, u, SW_UPDATE_COMMITTED, recovery ? "recovery" : NULL, why, NULL,
                                 NULL, 0, 0, err);
        goto out;
    }
    failed_list(res, 1, list, sizeof(list));
    if (!prev || strcmp(prev->state, "previous") != 0 || !prev->version || !prev_complete) {
        /* a first install: there is nothing to go back to; keep it, and say so */
        snprintf(why, sizeof(why),
                 "required post-promote hooks failed: %s; no previous version to roll back to: "
                 "kept",
                 list);
        detail = failure_detail(SW_HOOK_PHASE_POST_PROMOTE, res, 1, NULL, NULL);
        r = transition_detail(c, u, SW_UPDATE_COMMITTED, "post-promote-failed", why, why, detail,
                              NULL, 0, 0, err);
        if (r == 0)
            r = sw_error_set(err, SW_E_CHECK, "update %s ('%s'): %s", u->txn, u->target, why);
        goto out;
    }
    snprintf(why, sizeof(why), "required post-promote hooks failed: %s; rolled back to %s", list,
             prev->version);
    detail = failure_detail(SW_HOOK_PHASE_POST_PROMOTE, res, 1, NULL, NULL);
    r = transition_detail(c, u, SW_UPDATE_ROLLED_BACK, "rollback", why, why, detail, NULL, 0, 0,
                          err);
    if (r < 0)
        goto out;
    r = finish_rollback(c, u, id, prev, 0, err);
    if (r < 0)
        goto out;
    r = sw_error_set(err, SW_E_ROLLED_BACK,
                     "update %s ('%s', version %s): %s (slot '%s' is active again)", u->txn,
                     u->target, u->version, why, prev->name);
out:
    free(detail);
    if (ret_post) {
        *ret_post = res;
        res = NULL;
    }
    sw_hook_results_free(res);
    return r;
}

/* The switch to slot id and the slot rows that say so, after `u` was recorded as promoting. */
static int
finish_promote(struct sw_update_ctx *c, struct sw_store_update *u, enum sw_slot_id id,
               const struct sw_update_view *v, int recovery, struct sw_hook_results **ret_post,
               struct sw_error *err)
{
    struct sw_update_slot_change ch[2];
    struct sw_store_slot prev;
    bool have_prev = false, prev_complete = false;
    size_t n = 0;
    int r;

    memset(&prev, 0, sizeof(prev));
    if (SW_FAULT("update-promote-switch"))
        return sw_error_set(err, SW_E_FAULT, "injected fault before the switch");
    r = sw_slot_activate(c->slots, id, err);
    if (r < 0)
        return sw_error_prefix(err, "promoting slot '%s': ", sw_slot_id_to_string(id));
    ch[n].name = sw_slot_id_to_string(id);
    ch[n].state = "active";
    ch[n].version = u->version;
    ch[n].update_id = u->id;
    n++;
    {
        const struct sw_store_slot *old =
            sw_update_view_row(v, sw_slot_id_to_string(sw_slot_other(id)));
        if (old && strcmp(old->state, "active") == 0) {
            ch[n].name = old->name;
            ch[n].state = "previous";
            ch[n].version = old->version;
            ch[n].update_id = old->update_id;
            n++;
            prev = *old;
            snprintf(prev.state, sizeof(prev.state), "previous");
            have_prev = true;
            prev_complete = v->have_info && v->info[sw_slot_other(id)].present &&
                            v->info[sw_slot_other(id)].complete;
        } else if (old && strcmp(old->state, "previous") == 0) {
            /* recovery of a promotion whose rows were written: the row says it already */
            prev = *old;
            have_prev = true;
            prev_complete = v->have_info && v->info[sw_slot_other(id)].present &&
                            v->info[sw_slot_other(id)].complete;
        }
    }
    r = sw_update_transition(c, u, SW_UPDATE_PROMOTED, recovery ? "recovery" : "promotion",
                             recovery ? "recovery: the switch had happened; promotion finished"
                                      : "switched to the staged slot",
                             NULL, ch, n, 0, err);
    if (r < 0)
        return r;
    sw_slot_mark(c->slots, id, SW_SLOT_HEALTH_GOOD, NULL);
    return post_promote(c, u, id, have_prev ? &prev : NULL, prev_complete, recovery, ret_post, err);
}

/* The newest update that is staged (or checked, or failed its checks), whatever came after it. */
static int
find_staged(struct sw_update_ctx *c, struct sw_store_update *ret, struct sw_error *err)
{
    struct sw_store_update *list = NULL;
    size_t n = 0;
    int r = sw_store_updates_list(c->store, 0, &list, &n, err);
    if (r < 0)
        return r;
    r = -SW_E_NOTFOUND;
    for (size_t i = 0; i < n; i++) {
        enum sw_update_state s = state_of(&list[i]);
        if (s == SW_UPDATE_STAGED || s == SW_UPDATE_CHECKED || s == SW_UPDATE_CHECK_FAILED) {
            *ret = list[i];
            memset(&list[i], 0, sizeof(list[i]));
            r = 0;
            break;
        }
    }
    sw_store_updates_free(list, n);
    return r;
}

/*
 * The staged update and its slot, both agreeing with the store and the
 * disk (v read and checked by the caller), the slot verified.
 */
static int
staged_update(struct sw_update_ctx *c, const struct sw_update_view *v, struct sw_store_update *u,
              enum sw_slot_id *ret_id, struct sw_error *err)
{
    enum sw_slot_id id;
    int r;

    r = find_staged(c, u, err);
    if (r == -SW_E_NOTFOUND)
        return sw_error_set(err, SW_E_UPDATE_STATE, "nothing is staged; run 'slipway stage' first");
    if (r < 0)
        return r;
    sw_log_set_txn(u->txn);
    if (!u->slot || sw_slot_id_from_string(u->slot, &id) < 0)
        return sw_error_set(err, SW_E_INTERNAL, "update %s is staged in no slot", u->txn);
    {
        const struct sw_store_slot *row = sw_update_view_row(v, u->slot);
        if (!row || strcmp(row->state, "staged") != 0 || row->update_id != u->id)
            return sw_error_set(err, SW_E_SLOT_MISMATCH,
                                "update %s is staged in slot '%s', but the store says that slot "
                                "is %s; stage it again",
                                u->txn, u->slot, row ? row->state : "missing");
    }
    r = sw_slot_verify(c->slots, id, err);
    if (r < 0)
        return sw_error_prefix(err, "slot '%s' no longer holds what was staged: ", u->slot);
    if (!v->have_info || !v->info[id].path)
        return sw_error_set(err, SW_E_INTERNAL, "slot '%s' has no path", u->slot);
    *ret_id = id;
    return 0;
}

int
sw_update_check(struct sw_update_ctx *c, struct sw_store_update *ret_update,
                struct sw_hook_results **ret_results, struct sw_error *err)
{
    struct sw_hook_results *res = NULL;
    struct sw_update_view v;
    struct sw_store_update u;
    struct phase ph;
    enum sw_slot_id id;
    char reason[1024];
    int passed = 0, r;

    memset(&u, 0, sizeof(u));
    memset(&ph, 0, sizeof(ph));
    r = need_slots(c, err);
    if (r < 0)
        return r;
    r = sw_update_view_read(c, &v, err);
    if (r < 0)
        return r;
    r = sw_update_view_check(&v, err);
    if (r < 0)
        goto out;
    r = staged_update(c, &v, &u, &id, err);
    if (r < 0)
        goto out;
    r = phase_prepare(c, &u, SW_HOOK_PHASE_PRE_PROMOTE, id, v.info[id].path, active_dir_of(&v), &ph,
                      err);
    if (r < 0)
        goto out;
    r = do_check(c, &u, &ph, &res, &passed, reason, sizeof(reason), err);
    if (r < 0)
        goto out;
    if (ret_results) {
        *ret_results = res;
        res = NULL;
    }
    if (ret_update) {
        *ret_update = u;
        memset(&u, 0, sizeof(u));
    }
out:
    sw_hook_results_free(res);
    phase_release(&ph);
    sw_store_update_release(&u);
    sw_update_view_release(&v);
    return r;
}

int
sw_update_promote(struct sw_update_ctx *c, const struct sw_update_promote_opts *opts,
                  struct sw_store_update *ret_update, struct sw_hook_results **ret_post,
                  struct sw_error *err)
{
    const char *reason = opts ? opts->reason : NULL;
    bool force = opts && opts->force;
    struct sw_hook_results *pre = NULL, *post = NULL;
    struct sw_update_view v;
    struct sw_store_update u;
    struct phase ph;
    enum sw_slot_id id;
    char why[1024];
    char *detail = NULL;
    int forced = 0, r;

    if (ret_post)
        *ret_post = NULL;
    if (force && (!opts->force_reason || !*opts->force_reason))
        return sw_error_set(err, SW_E_INVAL, "a forced promotion needs a reason (--reason TEXT)");
    memset(&u, 0, sizeof(u));
    memset(&ph, 0, sizeof(ph));
    r = need_slots(c, err);
    if (r < 0)
        return r;
    r = sw_update_view_read(c, &v, err);
    if (r < 0)
        return r;
    r = sw_update_view_check(&v, err);
    if (r < 0)
        goto out;
    r = staged_update(c, &v, &u, &id, err);
    if (r < 0)
        goto out;
    /* the gate: the stored verdict holds, or the checks run now */
    r = phase_prepare(c, &u, SW_HOOK_PHASE_PRE_PROMOTE, id, v.info[id].path, active_dir_of(&v), &ph,
                      err);
    if (r < 0)
        goto out;
    if (ph.n_active == 0 && state_of(&u) == SW_UPDATE_STAGED) {
        /* no pre-promote hooks: nothing to run, nothing to record; the gate is open */
        sw_log_debug("update %s: no pre-promote hooks", u.txn);
    } else if (!verdict_holds(c, &u, &ph)) {
        int passed = 0;
        r = do_check(c, &u, &ph, &pre, &passed, why, sizeof(why), err);
        if (r < 0)
            goto out;
        if (!passed && !force) {
            r = sw_error_set(err, SW_E_CHECK,
                             "promotion of '%s' (version %s) refused: %s; nothing was switched "
                             "(fix it and run 'slipway check', or promote with --force --reason "
                             "TEXT)",
                             u.target, u.version, why);
            goto out;
        }
        forced = !passed;
    }
    if (forced) {
        detail = failure_detail(SW_HOOK_PHASE_PRE_PROMOTE, pre, 0, "promotion_reason", reason);
        r = transition_detail(c, &u, SW_UPDATE_PROMOTING, "forced", opts->force_reason, NULL,
                              detail, NULL, 0, 0, err);
        if (r == 0)
            sw_log_warning("update %s: promotion forced by %s although %s: %s", u.txn,
                           c->actor ? c->actor : "slipway", why, opts->force_reason);
    } else {
        r = sw_update_transition(c, &u, SW_UPDATE_PROMOTING, "promotion",
                                 reason ? reason : "promotion asked for", NULL, NULL, 0, 0, err);
    }
    if (r < 0)
        goto out;
    r = finish_promote(c, &u, id, &v, 0, &post, err);
    if (r < 0 && r != -SW_E_ROLLED_BACK && r != -SW_E_CHECK)
        goto out;
    if (ret_update) {
        *ret_update = u;
        memset(&u, 0, sizeof(u));
    }
    if (ret_post) {
        *ret_post = post;
        post = NULL;
    }
out:
    free(detail);
    sw_hook_results_free(pre);
    sw_hook_results_free(post);
    phase_release(&ph);
    sw_store_update_release(&u);
    sw_update_view_release(&v);
    return r;
}

/* The switch back and the slot rows, after `u` was recorded as rolled back. */
static int
finish_rollback(struct sw_update_ctx *c, const struct sw_store_update *u, enum sw_slot_id from,
                const struct sw_store_slot *prev, int recovery, struct sw_error *err)
{
    struct sw_update_slot_change ch[2];
    struct sw_store_event ev;
    enum sw_slot_id to = sw_slot_other(from);
    int r;

    if (SW_FAULT("update-rollback-switch"))
        return sw_error_set(err, SW_E_FAULT, "injected fault before the switch back");
    r = sw_slot_activate(c->slots, to, err);
    if (r < 0)
        return sw_error_prefix(err, "rolling back to slot '%s': ", sw_slot_id_to_string(to));
    sw_slot_mark(c->slots, from, SW_SLOT_HEALTH_BAD, NULL);
    ch[0].name = sw_slot_id_to_string(to);
    ch[0].state = "active";
    ch[0].version = prev->version;
    ch[0].update_id = prev->update_id;
    ch[1].name = sw_slot_id_to_string(from);
    ch[1].state = "bad";
    ch[1].version = u->version;
    ch[1].update_id = u->id;
    r = sw_store_begin(c->store, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < 2 && r == 0; i++)
        r = sw_store_slot_set(c->store, ch[i].name, ch[i].state, ch[i].version, ch[i].update_id,
                              err);
    memset(&ev, 0, sizeof(ev));
    ev.kind = recovery ? "recovery" : "switch";
    ev.txn = u->txn;
    ev.update_id = u->id;
    ev.to_state = "rolled_back";
    ev.actor = c->actor ? c->actor : "slipway";
    ev.reason = recovery ? "recovery: the rollback was interrupted; switch back finished"
                         : "switched back to the previous slot";
    if (r == 0)
        r = sw_store_event_add(c->store, &ev, err);
    if (r == 0)
        r = sw_store_commit(c->store, err);
    if (r < 0)
        sw_store_rollback(c->store);
    else /* a warning: under the journal, priority 4 */
        sw_log_warning("rolled back update %s: version %s left, slot '%s' (version %s) is active "
                       "again",
                       u->txn, u->version, ch[0].name, prev->version ? prev->version : "-");
    return r;
}

int
sw_update_rollback(struct sw_update_ctx *c, const char *reason, struct sw_store_update *ret_update,
                   struct sw_error *err)
{
    struct sw_update_view v;
    struct sw_store_update u;
    const struct sw_store_slot *cur, *prev;
    enum sw_slot_id id;
    int r;

    memset(&u, 0, sizeof(u));
    r = need_slots(c, err);
    if (r < 0)
        return r;
    r = sw_update_view_read(c, &v, err);
    if (r < 0)
        return r;
    r = sw_update_view_check(&v, err);
    if (r < 0)
        goto out;
    if (v.store_active < 0) {
        r = sw_error_set(err, SW_E_UPDATE_STATE, "no slot is active: nothing to roll back");
        goto out;
    }
    id = (enum sw_slot_id)v.store_active;
    cur = sw_update_view_row(&v, sw_slot_id_to_string(id));
    prev = sw_update_view_row(&v, sw_slot_id_to_string(sw_slot_other(id)));
    if (!prev || strcmp(prev->state, "previous") != 0 || !prev->version ||
        !v.info[sw_slot_other(id)].present || !v.info[sw_slot_other(id)].complete) {
        r = sw_error_set(err, SW_E_UPDATE_STATE,
                         "slot '%s' holds no complete previous version (it is %s): nothing "
                         "to roll back to",
                         sw_slot_id_to_string(sw_slot_other(id)), prev ? prev->state : "missing");
        goto out;
    }
    r = row_update(c, cur, &u, err);
    if (r < 0)
        goto out;
    sw_log_set_txn(u.txn);
    if (state_of(&u) != SW_UPDATE_PROMOTED && state_of(&u) != SW_UPDATE_COMMITTED) {
        r = sw_error_set(err, SW_E_UPDATE_STATE, "update %s of slot '%s' is %s: cannot roll back",
                         u.txn, cur->name, u.state);
        goto out;
    }
    r = sw_update_transition(c, &u, SW_UPDATE_ROLLED_BACK, "rollback",
                             reason ? reason : "rollback asked for", NULL, NULL, 0, 0, err);
    if (r < 0)
        goto out;
    r = finish_rollback(c, &u, id, prev, 0, err);
    if (r < 0)
        goto out;
    if (ret_update) {
        *ret_update = u;
        memset(&u, 0, sizeof(u));
    }
out:
    sw_store_update_release(&u);
    sw_update_view_release(&v);
    return r;
}

/* --- recovery ------------------------------------------------------------------------- */

static int
recover_one(struct sw_update_ctx *c, struct sw_store_update *u, size_t *n, struct sw_error *err)
{
    enum sw_update_state s = state_of(u);
    struct sw_update_view v;
    enum sw_slot_id id;
    int r = 0;

    switch (s) {
    case SW_UPDATE_DOWNLOADING:
        r = sw_update_transition(c, u, SW_UPDATE_AVAILABLE, "recovery",
                                 "recovery: the download was interrupted; undone (a partial "
                                 "file is resumed by the next fetch)",
                                 NULL, NULL, 0, 1, err);
        break;
    case SW_UPDATE_CHECKING:
        r = sw_update_transition(c, u, SW_UPDATE_STAGED, "recovery",
                                 "recovery: checks were interrupted; undone", NULL, NULL, 0, 1,
                                 err);
        break;
    case SW_UPDATE_STAGING: {
        struct sw_update_slot_change ch;
        r = need_slots(c, err);
        if (r < 0 || !u->slot || sw_slot_id_from_string(u->slot, &id) < 0)
            return r < 0 ? r : sw_error_set(err, SW_E_INTERNAL, "update %s: no slot", u->txn);
        /* a half-written tree: empty the slot (prepare is idempotent), then say so */
        r = sw_slot_prepare(c->slots, id, err);
        if (r < 0)
            return sw_error_prefix(err, "recovery of update %s: ", u->txn);
        ch.name = u->slot;
        ch.state = "empty";
        ch.version = NULL;
        ch.update_id = 0;
        r = sw_update_transition(c, u, SW_UPDATE_DOWNLOADED, "recovery",
                                 "recovery: staging was interrupted; undone, the slot emptied",
                                 NULL, &ch, 1, 1, err);
        break;
    }
    case SW_UPDATE_PROMOTING:
        r = need_slots(c, err);
        if (r < 0 || !u->slot || sw_slot_id_from_string(u->slot, &id) < 0)
            return r < 0 ? r : sw_error_set(err, SW_E_INTERNAL, "update %s: no slot", u->txn);
        r = sw_update_view_read(c, &v, err);
        if (r < 0)
            return r;
        if (v.fs_active == (int)id) {
            /* the link was switched: finishing is safe, the slot was staged whole */
            r = finish_promote(c, u, id, &v, 1, NULL, err);
        } else {
            r = sw_update_transition(c, u, SW_UPDATE_STAGED, "recovery",
                                     "recovery: promotion was interrupted before the switch; "
                                     "undone",
                                     NULL, NULL, 0, 1, err);
        }
        sw_update_view_release(&v);
        break;
    case SW_UPDATE_PROMOTED: {
        /* the post-promote checks did not finish: run them again (docs/staging.md) */
        const struct sw_store_slot *prev;
        bool complete;
        r = need_slots(c, err);
        if (r < 0 || !u->slot || sw_slot_id_from_string(u->slot, &id) < 0)
            return r < 0 ? r : sw_error_set(err, SW_E_INTERNAL, "update %s: no slot", u->txn);
        r = sw_update_view_read(c, &v, err);
        if (r < 0)
            return r;
        prev = sw_update_view_row(&v, sw_slot_id_to_string(sw_slot_other(id)));
        complete =
            v.have_info && v.info[sw_slot_other(id)].present && v.info[sw_slot_other(id)].complete;
        r = post_promote(c, u, id, prev, complete, 1, NULL, err);
        sw_update_view_release(&v);
        break;
    }
    case SW_UPDATE_ROLLED_BACK: {
        const struct sw_store_slot *row, *prev;
        if (!u->slot || sw_slot_id_from_string(u->slot, &id) < 0)
            return 0;
        r = need_slots(c, err);
        if (r < 0)
            return r;
        r = sw_update_view_read(c, &v, err);
        if (r < 0)
            return r;
        row = sw_update_view_row(&v, u->slot);
        prev = sw_update_view_row(&v, sw_slot_id_to_string(sw_slot_other(id)));
        if (row && strcmp(row->state, "active") == 0 && row->update_id == u->id && prev &&
            strcmp(prev->state, "previous") == 0)
            r = finish_rollback(c, u, id, prev, 1, err);
        else
            r = 1; /* done already */
        sw_update_view_release(&v);
        if (r == 1)
            return 0;
        break;
    }
    case SW_UPDATE_AVAILABLE:
    case SW_UPDATE_DOWNLOADED:
    case SW_UPDATE_STAGED:
    case SW_UPDATE_CHECKED:
    case SW_UPDATE_CHECK_FAILED:
    case SW_UPDATE_COMMITTED:
    case SW_UPDATE_FAILED:
    case SW_UPDATE_CANCELLED:
        return 0;
    }
    if (r == -SW_E_ROLLED_BACK || r == -SW_E_CHECK) {
        /* the re-run post-promote checks failed: handled (rolled back or kept), not an error */
        sw_log_warning("%s", err ? err->msg : "post-promote checks failed on recovery");
        sw_error_clear(err);
        r = 0;
    }
    if (r == 0) {
        (*n)++;
        sw_log_notice("update %s ('%s'): recovered an interrupted %s", u->txn, u->target,
                      sw_update_state_to_string(s));
    }
    return r;
}

int
sw_update_recover(struct sw_update_ctx *c, size_t *ret_n, struct sw_error *err)
{
    struct sw_store_update *list = NULL;
    size_t n_list = 0, n = 0;
    int r;

    /* only the newest few can be in flight: every step finishes or fails before the next */
    r = sw_store_updates_list(c->store, 8, &list, &n_list, err);
    if (r < 0)
        return r;
    for (size_t i = n_list; i-- > 0;) {
        sw_log_set_txn(list[i].txn);
        r = recover_one(c, &list[i], &n, err);
        sw_log_set_txn(NULL);
        if (r < 0)
            break;
    }
    sw_store_updates_free(list, n_list);
    if (r == 0 && ret_n)
        *ret_n = n;
    return r;
}
