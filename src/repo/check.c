/* SPDX-License-Identifier: MIT */
/*
 * slipway-repo verify: a repository tree checked from a trusted root as a
 * client would check it, every problem collected with the file and the
 * check that failed. Documents are parsed and thresholds counted by the
 * metadata module; file names follow tree.c.
 */
#include "check.h"

#include "tree.h"

#include <slipway/cjson.h>
#include <slipway/fs.h>
#include <slipway/hash.h>
#include <slipway/metadata.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (256 * 1024)

struct ck {
    const struct sw_check_opts *o;
    char *mdir, *tdir;
    json_t *report, *problems, *roles, *targets;
    size_t n_problems;
    int oom;
    int consistent;
    const struct sw_md *root;
    struct sw_md *roots[2]; /* trusted and candidate */
    char **visited;
    size_t n_visited;
};

static void problem(struct ck *k, const char *file, const char *check, const char *fmt, ...)
    SW_PRINTF(4, 5);

static void
problem(struct ck *k, const char *file, const char *check, const char *fmt, ...)
{
    char msg[SW_ERROR_MSG_MAX];
    va_list ap;
    json_t *p;

    k->n_problems++;
    if (k->n_problems > SW_CHECK_MAX_LISTED)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    p = json_pack("{s:s,s:s,s:s}", "file", file, "check", check, "message", msg);
    if (!p || json_array_append_new(k->problems, p) < 0)
        k->oom = 1;
}

/* Read DIR/metadata/rel; a missing file is a problem named by `missing_what`. */
static int
read_md_file(struct ck *k, const char *rel, const char *missing_what, unsigned char **ret,
             size_t *ret_len)
{
    struct sw_error e = SW_ERROR_INIT;
    int r = sw_repo_read_metadata(k->mdir, rel, ret, ret_len, &e);
    if (r == -SW_E_NOTFOUND)
        problem(k, rel, "missing", "%s", missing_what);
    else if (r < 0)
        problem(k, rel, "read", "%s", e.msg);
    return r;
}

static int
parse(struct ck *k, const char *rel, const unsigned char *bytes, size_t len, enum sw_md_type t,
      const char *role, struct sw_md **ret)
{
    struct sw_error e = SW_ERROR_INIT;
    int r = sw_md_parse_role_mem(bytes, len, t, role, ret, &e);
    if (r < 0)
        problem(k, rel, "parse", "%s", e.msg);
    return r;
}

static void
check_sig(struct ck *k, const char *rel, const struct sw_md *md, const struct sw_md_role *role,
          const char *by)
{
    struct sw_error e = SW_ERROR_INIT;
    if (!role)
        return;
    if (sw_md_verify(md, role, &e) < 0)
        problem(k, rel, "signature", "%s%s", e.msg, by);
}

static void
check_expiry(struct ck *k, const char *rel, const struct sw_md *md)
{
    struct sw_error e = SW_ERROR_INIT;
    if (sw_md_check_expiry(md, k->o->now, &e) < 0)
        problem(k, rel, "expiry", "%s", e.msg);
}

static void
check_info(struct ck *k, const char *rel, const struct sw_md_fileinfo *fi, const void *bytes,
           size_t len, const char *linker)
{
    struct sw_error e = SW_ERROR_INIT;
    int r = sw_md_fileinfo_check(fi, bytes, len, &e);
    if (r < 0)
        problem(k, rel, r == -SW_E_LENGTH ? "length" : "hash", "%s does not match what %s says: %s",
                rel, linker, e.msg);
}

static void
note_role(struct ck *k, const char *role, const char *rel, const struct sw_md *md)
{
    json_t *e =
        json_pack("{s:s,s:I,s:s,s:s}", "role", role, "version", (json_int_t)sw_md_version(md),
                  "expires", sw_md_expires_string(md), "file", rel);
    if (!e || json_array_append_new(k->roles, e) < 0)
        k->oom = 1;
}

/* A copy (root.json, snapshot.json, targets.json) must hold the bytes of its versioned file. */
static void
check_copy(struct ck *k, const char *copy, const char *rel, const unsigned char *bytes, size_t len)
{
    unsigned char *other = NULL;
    size_t olen = 0;
    struct sw_error e = SW_ERROR_INIT;
    int r = sw_repo_read_metadata(k->mdir, copy, &other, &olen, &e);
    if (r == -SW_E_NOTFOUND)
        return;
    if (r < 0)
        problem(k, copy, "read", "%s", e.msg);
    else if (olen != len || memcmp(other, bytes, len) != 0)
        problem(k, copy, "copy", "%s differs from %s, the version clients are told about", copy,
                rel);
    free(other);
}

static int
md_exists(struct ck *k, const char *rel)
{
    char *path = sw_fs_join(k->mdir, rel);
    int r = path ? sw_fs_exists(path, NULL) : 0;
    free(path);
    return r == 1;
}

/* --- root ----------------------------------------------------------------------------- */

static int
load_trusted_root(struct ck *k, char **ret_name)
{
    const char *file = k->o->root_file;
    char *deflt = NULL, *name;
    unsigned char *bytes = NULL;
    size_t len = 0;
    struct sw_error e = SW_ERROR_INIT;
    int r;

    if (!file) {
        deflt = sw_fs_join(k->mdir, "1.root.json");
        if (!deflt)
            return -SW_E_NOMEM;
        file = deflt;
    }
    name = strdup(k->o->root_file ? file : "1.root.json");
    if (!name) {
        free(deflt);
        return -SW_E_NOMEM;
    }
    r = sw_fs_read_file(file, SW_MD_MAX_LEN, &bytes, &len, &e);
    if (r < 0) {
        problem(k, name, sw_fs_exists(file, NULL) == 0 ? "missing" : "read",
                "cannot read the trusted root: %s", e.msg);
    } else if (parse(k, name, bytes, len, SW_MD_ROOT, "root", &k->roots[0]) == 0) {
        check_sig(k, name, k->roots[0], sw_md_root_role(k->roots[0], SW_MD_ROOT),
                  " (the trusted root is not signed by its own threshold)");
        k->root = k->roots[0];
    }
    free(bytes);
    free(deflt);
    *ret_name = name;
    return k->root ? 0 : -1;
}

static void
walk_roots(struct ck *k)
{
    char rel[48], last[48];
    unsigned char *last_bytes = NULL;
    size_t last_len = 0;
    int64_t v = sw_md_version(k->root);

    snprintf(last, sizeof(last), "%" PRId64 ".root.json", v);
    for (v = v + 1; v <= SW_REPO_MAX_VERSIONS; v++) {
        unsigned char *bytes = NULL;
        size_t len = 0;
        struct sw_md *md = NULL;
        size_t before = k->n_problems;

        snprintf(rel, sizeof(rel), "%" PRId64 ".root.json", v);
        if (!md_exists(k, rel))
            break;
        if (read_md_file(k, rel, "", &bytes, &len) < 0 ||
            parse(k, rel, bytes, len, SW_MD_ROOT, "root", &md) < 0) {
            free(bytes);
            break;
        }
        if (sw_md_version(md) != v)
            problem(k, rel, "version", "%s holds root version %" PRId64 ", not %" PRId64, rel,
                    sw_md_version(md), v);
        check_sig(k, rel, md, sw_md_root_role(k->root, SW_MD_ROOT),
                  " (by the previous root's keys: the rotation link is broken)");
        check_sig(k, rel, md, sw_md_root_role(md, SW_MD_ROOT), " (by its own root keys)");
        if (k->n_problems != before) {
            problem(k, rel, "link",
                    "root version %" PRId64 " does not follow from version %" PRId64
                    "; clients stop at version %" PRId64,
                    v, v - 1, v - 1);
            sw_md_free(md);
            free(bytes);
            break;
        }
        sw_md_free(k->roots[1]);
        k->roots[1] = k->roots[0];
        k->roots[0] = md;
        k->root = md;
        free(last_bytes);
        last_bytes = bytes;
        last_len = len;
        snprintf(last, sizeof(last), "%s", rel);
    }
    if (!last_bytes) {
        /* the trusted root itself: compare root.json with its versioned file on disk */
        size_t len = 0;
        if (md_exists(k, last))
            sw_repo_read_metadata(k->mdir, last, &last_bytes, &len, NULL);
        last_len = len;
    }
    if (last_bytes)
        check_copy(k, "root.json", last, last_bytes, last_len);
    free(last_bytes);
    check_expiry(k, last, k->root);
    note_role(k, "root", last, k->root);
    k->consistent = sw_md_root_consistent_snapshot(k->root);
}

/* --- targets roles and files ------------------------------------------------------------ */

static void
check_target_file(struct ck *k, const char *role, const struct sw_md_fileinfo *fi)
{
    struct sw_error e = SW_ERROR_INIT;
    char q[SW_CJSON_PRINTABLE_MAX];

    if (sw_repo_check_target_path(fi->name, &e) < 0) {
        problem(k, role, "path", "role '%s': %s", role, e.msg);
        return;
    }
    for (size_t h = 0; h < (k->consistent ? fi->n_hashes : 1); h++) {
        char *rel = NULL, *path = NULL, *shown = NULL;
        struct sw_md_filecheck *fc = NULL;
        unsigned char *buf = NULL;
        struct stat st;
        int fd = -1, r;

        if (k->consistent)
            r = sw_repo_target_file_name(fi->name, fi->hashes[h].value, &rel, &e);
        else
            r = (rel = strdup(fi->name)) ? 0 : -SW_E_NOMEM;
        if (r < 0 || asprintf(&shown, "targets/%s", rel) < 0) {
            k->oom = 1;
            free(rel);
            return;
        }
        path = sw_fs_join(k->tdir, rel);
        buf = malloc(READ_CHUNK);
        if (!path || !buf) {
            k->oom = 1;
            goto next;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            problem(k, shown, errno == ENOENT ? "missing" : "read",
                    "target '%s' of role '%s': %s: %s", sw_cjson_printable(fi->name, q, sizeof(q)),
                    role, shown, strerror(errno));
            goto next;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
            problem(k, shown, "read", "%s is not a regular file", shown);
            goto next;
        }
        if (sw_md_filecheck_new(fi, &fc, &e) < 0) {
            problem(k, shown, "hash", "target '%s' of role '%s': %s",
                    sw_cjson_printable(fi->name, q, sizeof(q)), role, e.msg);
            goto next;
        }
        for (;;) {
            ssize_t n = read(fd, buf, READ_CHUNK);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                problem(k, shown, "read", "cannot read %s: %s", shown, strerror(errno));
                goto next;
            }
            if (n == 0)
                break;
            r = sw_md_filecheck_update(fc, buf, (size_t)n, &e);
            if (r < 0)
                break;
        }
        if (e.code == 0)
            r = sw_md_filecheck_final(fc, &e);
        if (e.code != 0)
            problem(k, shown, e.code == SW_E_LENGTH ? "length" : "hash",
                    "target '%s' of role '%s' does not match its metadata: %s",
                    sw_cjson_printable(fi->name, q, sizeof(q)), role, e.msg);
    next:
        sw_md_filecheck_free(fc);
        if (fd >= 0)
            close(fd);
        sw_error_clear(&e);
        free(buf);
        free(path);
        free(shown);
        free(rel);
    }
}

/* A path relative to metadata/ that stays inside it: no empty, "." or ".." segment. */
static int
rel_safe(const char *rel)
{
    for (const char *seg = rel;;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        if (!slash)
            return 1;
        seg = slash + 1;
    }
}

static int
visited(struct ck *k, const char *name)
{
    char **nv;
    for (size_t i = 0; i < k->n_visited; i++)
        if (strcmp(k->visited[i], name) == 0)
            return 1;
    nv = realloc(k->visited, (k->n_visited + 1) * sizeof(*nv));
    if (!nv || !(nv[k->n_visited] = strdup(name))) {
        k->oom = 1;
        if (nv)
            k->visited = nv;
        return 1;
    }
    k->visited = nv;
    k->n_visited++;
    return 0;
}

static void
visit(struct ck *k, const struct sw_md *snap, const char *name, const char *delegator,
      const struct sw_md *holder, const struct sw_md_role *role, unsigned depth)
{
    const struct sw_md_fileinfo *mi = sw_md_snapshot_meta(snap, name);
    struct sw_error e = SW_ERROR_INIT;
    char q[SW_CJSON_PRINTABLE_MAX];
    char *rel = NULL, *next = NULL;
    unsigned char *bytes = NULL;
    size_t len = 0;
    struct sw_md *md = NULL;
    int top = delegator == NULL;

    if (k->oom || depth > SW_REPO_MAX_ROLES || visited(k, name))
        return;
    sw_cjson_printable(name, q, sizeof(q));
    if (!mi) {
        problem(k, "snapshot", "missing",
                "role '%s' is delegated by '%s' but the snapshot does not list it", q,
                top ? "root" : delegator);
        return;
    }
    if (k->consistent ? sw_repo_md_name(name, mi->version, &rel, &e) < 0
                      : asprintf(&rel, "%s.json", name) < 0) {
        problem(k, "snapshot", "path", "%s", e.code ? e.msg : "out of memory");
        return;
    }
    if (!rel_safe(rel)) {
        problem(k, "snapshot", "path",
                "role '%s' cannot be served as a file: its name has an empty, '.' or '..' "
                "segment",
                q);
        goto out;
    }
    if (read_md_file(k, rel, "the snapshot lists this version", &bytes, &len) < 0)
        goto out;
    check_info(k, rel, mi, bytes, len, "the snapshot");
    if (parse(k, rel, bytes, len, SW_MD_TARGETS, name, &md) < 0)
        goto out;
    if (sw_md_version(md) != mi->version)
        problem(k, rel, "version", "role '%s' is version %" PRId64 ", the snapshot lists %" PRId64,
                q, sw_md_version(md), mi->version);
    check_sig(k, rel, md, role, "");
    check_expiry(k, rel, md);
    note_role(k, name, rel, md);
    if (k->consistent) {
        if (sw_repo_md_name(name, mi->version + 1, &next, &e) == 0 && md_exists(k, next))
            problem(k, next, "stale",
                    "%s is newer than version %" PRId64 " of role '%s' that the snapshot lists "
                    "(the snapshot is stale: run 'slipway-repo snapshot')",
                    next, mi->version, q);
        if (top)
            check_copy(k, "targets.json", rel, bytes, len);
    }
    for (size_t i = 0; i < sw_md_target_count(md); i++) {
        const struct sw_md_fileinfo *fi = sw_md_target_at(md, i);
        char tq[SW_CJSON_PRINTABLE_MAX];
        json_t *t;
        if (!top && !sw_md_delegation_matches(role, fi->name)) {
            const struct sw_md_role *hb = sw_md_succinct_role_for(holder, fi->name);
            if (hb)
                problem(k, rel, "delegation",
                        "target '%s' hashes to bin '%s', not to role '%s' (TAP 15), so clients "
                        "never find it there",
                        sw_cjson_printable(fi->name, tq, sizeof(tq)), sw_md_role_name(hb), q);
            else
                problem(k, rel, "delegation",
                        "target '%s' is outside the paths delegated to role '%s', so clients "
                        "never find it there",
                        sw_cjson_printable(fi->name, tq, sizeof(tq)), q);
        }
        t = json_pack("{s:s,s:s,s:I}", "path", fi->name, "role", name, "length",
                      (json_int_t)fi->length);
        if (!t || json_array_append_new(k->targets, t) < 0)
            k->oom = 1;
        if (!k->o->skip_target_files)
            check_target_file(k, name, fi);
    }
    for (size_t i = 0; i < sw_md_delegation_count(md); i++) {
        const struct sw_md_role *child = sw_md_delegation_at(md, i);
        visit(k, snap, sw_md_role_name(child), name, md, child, depth + 1);
    }
out:
    sw_md_free(md);
    free(bytes);
    free(rel);
    free(next);
}

/* --- timestamp and snapshot ---------------------------------------------------------------- */

static void
walk_online(struct ck *k)
{
    unsigned char *tbytes = NULL, *sbytes = NULL;
    size_t tlen = 0, slen = 0;
    struct sw_md *ts = NULL, *snap = NULL;
    const struct sw_md_fileinfo *mi;
    char rel[48], next[48];

    if (read_md_file(k, "timestamp.json", "clients start every refresh with timestamp.json",
                     &tbytes, &tlen) < 0 ||
        parse(k, "timestamp.json", tbytes, tlen, SW_MD_TIMESTAMP, NULL, &ts) < 0)
        goto out;
    check_sig(k, "timestamp.json", ts, sw_md_root_role(k->root, SW_MD_TIMESTAMP), "");
    check_expiry(k, "timestamp.json", ts);
    note_role(k, "timestamp", "timestamp.json", ts);
    mi = sw_md_timestamp_snapshot(ts);
    if (k->consistent) {
        snprintf(rel, sizeof(rel), "%" PRId64 ".snapshot.json", mi->version);
        snprintf(next, sizeof(next), "%" PRId64 ".snapshot.json", mi->version + 1);
        if (md_exists(k, next))
            problem(k, next, "stale",
                    "%s is newer than snapshot version %" PRId64 " that the timestamp lists "
                    "(the timestamp is stale: run 'slipway-repo timestamp')",
                    next, mi->version);
    } else {
        snprintf(rel, sizeof(rel), "snapshot.json");
    }
    if (read_md_file(k, rel, "the timestamp lists this snapshot version", &sbytes, &slen) < 0)
        goto out;
    check_info(k, rel, mi, sbytes, slen, "the timestamp");
    if (parse(k, rel, sbytes, slen, SW_MD_SNAPSHOT, NULL, &snap) < 0)
        goto out;
    if (sw_md_version(snap) != mi->version)
        problem(k, rel, "version", "snapshot is version %" PRId64 ", the timestamp lists %" PRId64,
                sw_md_version(snap), mi->version);
    check_sig(k, rel, snap, sw_md_root_role(k->root, SW_MD_SNAPSHOT), "");
    check_expiry(k, rel, snap);
    note_role(k, "snapshot", rel, snap);
    if (k->consistent)
        check_copy(k, "snapshot.json", rel, sbytes, slen);
    visit(k, snap, "targets", NULL, NULL, sw_md_root_role(k->root, SW_MD_TARGETS), 0);
out:
    sw_md_free(ts);
    sw_md_free(snap);
    free(tbytes);
    free(sbytes);
}

int
sw_repo_check(const struct sw_check_opts *o, json_t **ret_report, size_t *ret_problems,
              struct sw_error *err)
{
    struct ck k;
    char *root_name = NULL;
    int r = 0;

    memset(&k, 0, sizeof(k));
    k.o = o;
    k.mdir = sw_fs_join(o->dir, "metadata");
    k.tdir = sw_fs_join(o->dir, "targets");
    k.report = json_object();
    k.problems = json_array();
    k.roles = json_array();
    k.targets = json_array();
    if (!k.mdir || !k.tdir || !k.report || !k.problems || !k.roles || !k.targets) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    if (load_trusted_root(&k, &root_name) == 0) {
        walk_roots(&k);
        walk_online(&k);
    }
    if (k.oom) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    if (json_object_set_new(k.report, "ok", json_boolean(k.n_problems == 0)) < 0 ||
        json_object_set_new(k.report, "trusted_root", json_string(root_name ? root_name : "")) <
            0 ||
        json_object_set_new(k.report, "root_version",
                            json_integer(k.root ? (json_int_t)sw_md_version(k.root) : 0)) < 0 ||
        json_object_set_new(k.report, "problem_count", json_integer((json_int_t)k.n_problems)) <
            0 ||
        json_object_set(k.report, "problems", k.problems) < 0 ||
        json_object_set(k.report, "roles", k.roles) < 0 ||
        json_object_set(k.report, "targets", k.targets) < 0) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    *ret_report = k.report;
    k.report = NULL;
    *ret_problems = k.n_problems;
out:
    json_decref(k.report);
    json_decref(k.problems);
    json_decref(k.roles);
    json_decref(k.targets);
    sw_md_free(k.roots[0]);
    sw_md_free(k.roots[1]);
    for (size_t i = 0; i < k.n_visited; i++)
        free(k.visited[i]);
    free(k.visited);
    free(root_name);
    free(k.mdir);
    free(k.tdir);
    return r;
}
