/* SPDX-License-Identifier: MIT */
/*
 * The commands of slipway-repo that look at a repository and tidy it:
 * list (the targets published or staged, with their slipway fields and
 * the role that lists each), unstage (discard staged edits), prune (target
 * files no role names) and 'delegate --hash-prefix-for' (where a path
 * falls among hash-prefix delegations and TAP 15 bins). Loading is
 * tree.c's; checking as a client does is check.c's.
 */
#include "check.h"
#include "repo-cli.h"

#include <slipway/hash.h>
#include <slipway/log.h>
#include <slipway/metadata.h>
#include <slipway/text.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRUNE_MAX_DEPTH 64      /* directory levels under targets/ walked by prune */
#define PRUNE_MAX_FILES 4000000 /* entries under targets/ prune looks at */

static int
oom(struct sw_repo_cli *cli)
{
    return sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
}

static int
cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of a JSON object, sorted (borrowed strings). *ret: free(). */
static int
sorted_keys(const json_t *obj, const char ***ret, size_t *ret_n)
{
    size_t n = json_object_size(obj), i = 0;
    const char **keys = calloc(n ? n : 1, sizeof(*keys));
    const char *k;
    const json_t *v;
    if (!keys)
        return -SW_E_NOMEM;
    json_object_foreach((json_t *)obj, k, v)
    {
        (void)v;
        keys[i++] = k;
    }
    qsort(keys, n, sizeof(*keys), cmp_cstr);
    *ret = keys;
    *ret_n = n;
    return 0;
}

/* "a,b" of a JSON array of strings, or "-" (*buf is big enough for the text: truncated with "..."). */
static const char *
join_strings(const json_t *a, char *buf, size_t size)
{
    size_t i, used = 0;
    const json_t *e;
    buf[0] = '\0';
    json_array_foreach(a, i, e)
    {
        const char *s = json_string_value(e);
        int n;
        if (!s)
            continue;
        n = snprintf(buf + used, size - used, "%s%s", used ? "," : "", s);
        if (n < 0 || (size_t)n >= size - used) {
            if (size > 4)
                memcpy(buf + size - 4, "...", 4);
            break;
        }
        used += (size_t)n;
    }
    return buf[0] ? buf : "-";
}

/* --- list ---------------------------------------------------------------------------- */

enum { OPT_LIST_STAGED = 1, OPT_LIST_ROLE };

const struct sw_opt sw_repo_list_opts[] = {
    {"staged", 0, 0, OPT_LIST_STAGED, NULL,
     "what commit would publish: staged roles, else published ones"},
    {"role", 0, 1, OPT_LIST_ROLE, "ROLE", "only the targets ROLE lists"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static int
list_role(struct sw_repo_cli *cli, const struct sw_repo_role *role, const json_t *env, json_t *out)
{
    const json_t *targets = json_object_get(json_object_get(env, "signed"), "targets");
    const char **keys = NULL;
    size_t n = 0;
    int r = 0;

    if (!json_is_object(targets))
        return 0;
    if (sorted_keys(targets, &keys, &n) < 0)
        return oom(cli);
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_object_get(targets, keys[i]);
        const json_t *sw = json_object_get(json_object_get(t, "custom"), "slipway");
        const json_t *rollout = json_object_get(sw, "rollout");
        const json_t *percent = json_object_get(rollout, "percent");
        const char *version = json_string_value(json_object_get(sw, "version"));
        json_int_t length = json_integer_value(json_object_get(t, "length"));
        char chans[128], compat[128], pct[16];
        json_t *e = json_pack(
            "{s:s,s:s?,s:I,s:s?,s:O,s:O,s:O,s:s?,s:s}", "name", keys[i], "version", version,
            "length", length, "sha256",
            json_string_value(json_object_get(json_object_get(t, "hashes"), "sha256")), "channels",
            json_is_array(json_object_get(sw, "channels")) ? json_object_get(sw, "channels")
                                                           : json_null(),
            "compatible",
            json_is_array(json_object_get(sw, "compatible")) ? json_object_get(sw, "compatible")
                                                             : json_null(),
            "rollout", json_is_object(rollout) ? rollout : json_null(), "min_client",
            json_string_value(json_object_get(sw, "min_client")), "role", role->name);
        if (!e || json_array_append_new(out, e) < 0) {
            r = oom(cli);
            break;
        }
        if (json_is_integer(percent))
            snprintf(pct, sizeof(pct), "%" JSON_INTEGER_FORMAT "%%", json_integer_value(percent));
        else
            snprintf(pct, sizeof(pct), "%s", json_is_object(rollout) ? "set" : "all");
        sw_repo_say(cli, "%-32s %-12s %12" JSON_INTEGER_FORMAT " %-16s %-16s %-7s %s\n", keys[i],
                    version ? version : "-", length,
                    join_strings(json_object_get(sw, "channels"), chans, sizeof(chans)),
                    join_strings(json_object_get(sw, "compatible"), compat, sizeof(compat)), pct,
                    role->name);
    }
    free(keys);
    return r;
}

int
sw_repo_cmd_list(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argv[0];
    const char *only = sw_repo_opt(cli, OPT_LIST_ROLE);
    int staged = sw_repo_opt_flag(cli, OPT_LIST_STAGED);
    struct sw_repo *repo = NULL;
    json_t *targets = json_array(), *check = NULL;
    size_t problems = 0;
    int r;

    (void)argc;
    if (!targets)
        return oom(cli);
    r = sw_repo_open(dir, SW_REPO_NOLOCK, &repo, &cli->err);
    if (r < 0) {
        sw_error_prefix(&cli->err, "list: ");
        goto out;
    }
    if (only && strcmp(only, "targets") != 0 && !sw_repo_role(repo, only)) {
        r = sw_error_set(&cli->err, SW_E_NOTFOUND, "list: no targets role '%s' in '%s'", only, dir);
        goto out;
    }
    if (!staged) {
        /* the published tree, checked as a client would (target files aside) */
        struct sw_check_opts o;
        memset(&o, 0, sizeof(o));
        o.dir = dir;
        o.now = sw_repo_now();
        o.skip_target_files = 1;
        r = sw_repo_check(&o, &check, &problems, &cli->err);
        if (r < 0)
            goto out;
        if (problems)
            sw_log_warning("the published metadata of '%s' does not verify (%zu problem%s): run "
                           "'slipway-repo verify %s'",
                           dir, problems, problems == 1 ? "" : "s", dir);
    }
    sw_repo_say(cli, "%-32s %-12s %12s %-16s %-16s %-7s %s\n", "TARGET", "VERSION", "LENGTH",
                "CHANNELS", "COMPATIBLE", "ROLLOUT", "ROLE");
    for (size_t i = 0; i < repo->n_roles; i++) {
        const struct sw_repo_role *role = &repo->roles[i];
        const json_t *env = staged ? sw_repo_role_current(role) : role->published;
        if (!env || (only && strcmp(only, role->name) != 0))
            continue;
        r = list_role(cli, role, env, targets);
        if (r < 0)
            goto out;
    }
    if (json_array_size(targets) == 0)
        sw_repo_say(cli, "(no %s targets%s%s)\n", staged ? "staged or published" : "published",
                    only ? " in role " : "", only ? only : "");
    if (json_object_set_new(cli->report, "schema", json_integer(SW_REPO_JSON_SCHEMA)) < 0 ||
        json_object_set_new(cli->report, "view", json_string(staged ? "staged" : "published")) <
            0 ||
        (!staged &&
         json_object_set_new(cli->report, "verified", json_boolean(problems == 0)) < 0) ||
        json_object_set(cli->report, "targets", targets) < 0)
        r = oom(cli);
out:
    json_decref(check);
    json_decref(targets);
    sw_repo_free(repo);
    return r;
}

/* --- unstage ------------------------------------------------------------------------- */

static int
unstage_one(struct sw_repo_cli *cli, struct sw_repo *repo, const char *name, json_t *done)
{
    const json_t *env =
        strcmp(name, "root") == 0 ? repo->staged_root : sw_repo_role(repo, name)->staged;
    json_int_t version =
        json_integer_value(json_object_get(json_object_get(env, "signed"), "version"));
    size_t sources = 0;
    int had = 0, r;

    r = sw_repo_unstage(repo, name, &had, &sources, &cli->err);
    if (r < 0)
        return r;
    if (!had)
        return 0;
    if (json_array_append_new(done, json_pack("{s:s,s:I,s:I}", "role", name, "version", version,
                                              "sources", (json_int_t)sources)) < 0)
        return oom(cli);
    sw_repo_say(cli, "discarded staged role '%s' version %" JSON_INTEGER_FORMAT "%s", name, version,
                sources ? " and " : "\n");
    if (sources)
        sw_repo_say(cli, "%zu target file%s not yet copied\n", sources, sources == 1 ? "" : "s");
    sw_log_info("removed the staged envelope of '%s' from '%s'", name, repo->roles_dir);
    return 0;
}

/* Whether name is among the n names of list. */
static int
in_list(char **list, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return 1;
    return 0;
}

int
sw_repo_cmd_unstage(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argv[0];
    char **names = argv + 1;
    int n_names = argc - 1, r;
    struct sw_repo *repo = NULL;
    json_t *done = json_array();
    unsigned char *pick = NULL;

    if (!done)
        return oom(cli);
    r = sw_repo_open(dir, 0, &repo, &cli->err);
    if (r < 0) {
        sw_error_prefix(&cli->err, "unstage: ");
        goto out;
    }
    pick = calloc(repo->n_roles + 1, 1);
    if (!pick) {
        r = oom(cli);
        goto out;
    }
    for (int i = 0; i < n_names; i++) {
        struct sw_repo_role *role;
        if (strcmp(names[i], "root") == 0)
            continue;
        if (strcmp(names[i], "snapshot") == 0 || strcmp(names[i], "timestamp") == 0) {
            r = sw_error_set(&cli->err, SW_E_USAGE,
                             "unstage: '%s' is never staged ('commit' signs it anew)", names[i]);
            goto out;
        }
        role = sw_repo_role(repo, names[i]);
        if (!role) {
            r = sw_error_set(&cli->err, SW_E_NOTFOUND, "unstage: no role '%s' in '%s'", names[i],
                             dir);
            goto out;
        }
        /* a role staged for the first time exists only as its delegator's staged edit */
        if (role->staged && !role->published && role->parent &&
            sw_repo_role(repo, role->parent)->staged && !in_list(names, n_names, role->parent)) {
            r = sw_error_set(&cli->err, SW_E_INVAL,
                             "unstage: role '%s' is new: the staged role '%s' delegates to it; "
                             "unstage '%s' (which takes '%s' with it)",
                             names[i], role->parent, role->parent, names[i]);
            goto out;
        }
        pick[role - repo->roles] = 1;
    }
    /* roles in pre-order: a new role goes with the delegator that made it */
    for (size_t i = 0; i < repo->n_roles; i++) {
        struct sw_repo_role *role = &repo->roles[i];
        struct sw_repo_role *parent = role->parent ? sw_repo_role(repo, role->parent) : NULL;
        if (n_names == 0 ||
            (role->staged && !role->published && parent && pick[parent - repo->roles]))
            pick[i] = 1;
    }
    if ((n_names == 0 || in_list(names, n_names, "root")) &&
        (r = unstage_one(cli, repo, "root", done)) < 0)
        goto out;
    for (size_t i = 0; i < repo->n_roles; i++) {
        if (pick[i] && (r = unstage_one(cli, repo, repo->roles[i].name, done)) < 0)
            goto out;
    }
    if (n_names == 0 && json_object_size(repo->sources)) {
        json_object_clear(repo->sources); /* left by roles no longer delegated */
        repo->sources_dirty = 1;
    }
    if ((r = sw_repo_save(repo, &cli->err)) < 0)
        goto out;
    if (json_array_size(done) == 0)
        sw_repo_say(cli, "nothing was staged%s%s in '%s'\n", n_names ? " for the roles named" : "",
                    "", dir);
    else
        sw_repo_say(cli, "the published state of '%s' is unchanged; targets/ is untouched\n", dir);
    if (json_object_set_new(cli->report, "schema", json_integer(SW_REPO_JSON_SCHEMA)) < 0 ||
        json_object_set(cli->report, "discarded", done) < 0)
        r = oom(cli);
out:
    free(pick);
    json_decref(done);
    sw_repo_free(repo);
    return r;
}

/* --- prune --------------------------------------------------------------------------- */

enum { OPT_PRUNE_YES = 1 };

const struct sw_opt sw_repo_prune_opts[] = {
    {"yes", 0, 0, OPT_PRUNE_YES, NULL, "remove them (without it: only say what would go)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

/* Add to names every file name under targets/ that env's targets have, for every hash. */
static int
named_files(struct sw_repo_cli *cli, const json_t *env, json_t *names)
{
    const char *path;
    const json_t *t;
    json_object_foreach(json_object_get(json_object_get(env, "signed"), "targets"), path, t)
    {
        const char *alg;
        const json_t *h;
        json_object_foreach(json_object_get(t, "hashes"), alg, h)
        {
            char *rel = NULL;
            struct sw_error e = SW_ERROR_INIT;
            if (!json_is_string(h) ||
                sw_repo_target_file_name(path, json_string_value(h), &rel, &e) < 0)
                continue; /* a name no file can have */
            if (json_object_set_new(names, rel, json_true()) < 0) {
                free(rel);
                return oom(cli);
            }
            free(rel);
        }
    }
    return 0;
}

struct prune {
    struct sw_repo_cli *cli;
    const json_t *names;
    json_t *files;
    unsigned long long bytes;
    size_t seen;
};

static int
prune_walk(struct prune *p, const char *base, const char *rel, unsigned depth)
{
    char *full = NULL;
    DIR *d = NULL;
    struct dirent *de;
    int r = 0;

    if (depth > PRUNE_MAX_DEPTH)
        return sw_error_set(&p->cli->err, SW_E_LIMIT,
                            "prune: '%s/%s' is more than %d directories deep", base, rel,
                            PRUNE_MAX_DEPTH);
    if (asprintf(&full, "%s%s%s", base, *rel ? "/" : "", rel) < 0)
        return oom(p->cli);
    d = opendir(full);
    if (!d) {
        r = sw_error_errno(&p->cli->err, SW_E_IO, errno, "prune: cannot open '%s'", full);
        goto out;
    }
    while ((de = readdir(d))) {
        char *sub = NULL, *subfull = NULL;
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (++p->seen > PRUNE_MAX_FILES) {
            r = sw_error_set(&p->cli->err, SW_E_LIMIT, "prune: more than %d entries under '%s'",
                             PRUNE_MAX_FILES, base);
            break;
        }
        if (asprintf(&sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0) {
            r = oom(p->cli);
            break;
        }
        if (asprintf(&subfull, "%s/%s", full, de->d_name) < 0) {
            free(sub);
            r = oom(p->cli);
            break;
        }
        if (lstat(subfull, &st) < 0) {
            r = sw_error_errno(&p->cli->err, SW_E_IO, errno, "prune: cannot stat '%s'", subfull);
        } else if (S_ISDIR(st.st_mode)) {
            r = prune_walk(p, base, sub, depth + 1);
        } else if (!json_object_get(p->names, sub)) {
            json_t *e = json_pack("{s:s,s:I}", "file", sub, "bytes", (json_int_t)st.st_size);
            if (!e || json_array_append_new(p->files, e) < 0)
                r = oom(p->cli);
            p->bytes += (unsigned long long)st.st_size;
        }
        free(sub);
        free(subfull);
        if (r < 0)
            break;
    }
out:
    if (d)
        closedir(d);
    free(full);
    return r;
}

static int
cmp_file(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "file")),
                  json_string_value(json_object_get(*(json_t *const *)b, "file")));
}

int
sw_repo_cmd_prune(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argv[0];
    int yes = sw_repo_opt_flag(cli, OPT_PRUNE_YES);
    struct sw_repo *repo = NULL;
    struct prune p;
    json_t *names = json_object(), *files = json_array(), **sorted = NULL;
    size_t n, i, removed = 0;
    int r;

    (void)argc;
    memset(&p, 0, sizeof(p));
    if (!names || !files) {
        r = oom(cli);
        goto out;
    }
    r = sw_repo_open(dir, 0, &repo, &cli->err);
    if (r < 0) {
        sw_error_prefix(&cli->err, "prune: ");
        goto out;
    }
    /* every name a published or staged role gives a file */
    for (i = 0; i < repo->n_roles; i++) {
        if ((repo->roles[i].published &&
             (r = named_files(cli, repo->roles[i].published, names)) < 0) ||
            (repo->roles[i].staged && (r = named_files(cli, repo->roles[i].staged, names)) < 0))
            goto out;
    }
    p.cli = cli;
    p.names = names;
    p.files = files;
    r = prune_walk(&p, repo->targets_dir, "", 0);
    if (r < 0)
        goto out;
    n = json_array_size(files);
    sorted = calloc(n ? n : 1, sizeof(*sorted));
    if (!sorted) {
        r = oom(cli);
        goto out;
    }
    for (i = 0; i < n; i++)
        sorted[i] = json_array_get(files, i);
    qsort(sorted, n, sizeof(*sorted), cmp_file);
    for (i = 0; i < n; i++) {
        const char *rel = json_string_value(json_object_get(sorted[i], "file"));
        json_int_t bytes = json_integer_value(json_object_get(sorted[i], "bytes"));
        if (yes) {
            char *full = NULL;
            if (asprintf(&full, "%s/%s", repo->targets_dir, rel) < 0) {
                r = oom(cli);
                goto out;
            }
            if (unlink(full) < 0) {
                r = sw_error_errno(&cli->err, SW_E_IO, errno, "prune: cannot remove '%s'", full);
                free(full);
                goto out;
            }
            sw_log_info("removed '%s'", full);
            free(full);
            removed++;
        }
        sw_repo_say(cli, "%s targets/%s (%" JSON_INTEGER_FORMAT " bytes)\n",
                    yes ? "removed" : "would remove", rel, bytes);
    }
    if (yes && removed && (r = sw_repo_sync_targets(repo, &cli->err)) < 0)
        goto out;
    if (n == 0)
        sw_repo_say(cli, "nothing to prune: every file under '%s' is named by a role\n",
                    repo->targets_dir);
    else if (yes)
        sw_repo_say(cli, "removed %zu file%s, %llu bytes\n", n, n == 1 ? "" : "s", p.bytes);
    else
        sw_repo_say(cli,
                    "%zu file%s, %llu bytes no published or staged role names; remove them "
                    "with 'slipway-repo prune %s --yes'\n",
                    n, n == 1 ? "" : "s", p.bytes, dir);
    {
        json_t *list = json_array();
        if (!list)
            r = oom(cli);
        for (i = 0; list && i < n; i++)
            if (json_array_append(list, sorted[i]) < 0)
                r = oom(cli);
        if (r == 0 &&
            (json_object_set_new(cli->report, "schema", json_integer(SW_REPO_JSON_SCHEMA)) < 0 ||
             json_object_set_new(cli->report, "dry_run", json_boolean(!yes)) < 0 ||
             json_object_set_new(cli->report, "bytes", json_integer((json_int_t)p.bytes)) < 0 ||
             json_object_set(cli->report, "files", list) < 0))
            r = oom(cli);
        json_decref(list);
    }
out:
    free(sorted);
    json_decref(names);
    json_decref(files);
    sw_repo_free(repo);
    return r;
}

/* --- delegate --hash-prefix-for -------------------------------------------------------- */

/* Find in repo the delegation named name: by path_hash_prefixes, or the prefix of succinct bins. */
static int
find_delegation(const struct sw_repo *repo, const char *name, const json_t **ret_role,
                const json_t **ret_succinct, const char **ret_parent)
{
    for (size_t i = 0; i < repo->n_roles; i++) {
        const json_t *deleg = json_object_get(
            json_object_get(sw_repo_role_current(&repo->roles[i]), "signed"), "delegations");
        const json_t *succ = json_object_get(deleg, "succinct_roles");
        size_t j;
        const json_t *d;
        if (json_is_object(succ)) {
            const char *pfx = json_string_value(json_object_get(succ, "name_prefix"));
            if (pfx && strcmp(pfx, name) == 0) {
                *ret_succinct = succ;
                *ret_parent = repo->roles[i].name;
                return 1;
            }
        }
        json_array_foreach(json_object_get(deleg, "roles"), j, d)
        {
            const char *n = json_string_value(json_object_get(d, "name"));
            if (n && strcmp(n, name) == 0) {
                *ret_role = d;
                *ret_parent = repo->roles[i].name;
                return 1;
            }
        }
    }
    return 0;
}

int
sw_repo_hash_prefix_for(struct sw_repo_cli *cli, int argc, char **argv, const char *path,
                        const char *bits_s, const char *succinct_s)
{
    const char *dir = argc == 2 ? argv[0] : NULL;
    const char *name = argc == 2 ? argv[1] : argc == 1 ? argv[0] : NULL;
    char hex[SW_HASH_MAX_HEX];
    long bits = 0;
    struct sw_repo *repo = NULL;
    const json_t *drole = NULL, *succ = NULL;
    const char *parent = NULL;
    int r;

    if (argc > 2)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "delegate --hash-prefix-for PATH takes [ROLE] or [DIR ROLE]");
    if (bits_s && succinct_s)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "delegate: --bits and --succinct say the same; give one");
    if (bits_s || succinct_s) {
        const char *s = bits_s ? bits_s : succinct_s;
        char *end;
        errno = 0;
        bits = strtol(s, &end, 10);
        if (errno || end == s || *end || bits < 1 || bits > 32)
            return sw_error_set(&cli->err, SW_E_USAGE,
                                "delegate: --%s must be an integer from 1 to 32",
                                bits_s ? "bits" : "succinct");
    }
    if (name && !dir && !bits)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "delegate: a bin name for '%s' needs --succinct BITS (or DIR ROLE)",
                            name);
    if ((r = sw_repo_check_target_path(path, &cli->err)) < 0)
        return sw_error_prefix(&cli->err, "delegate: --hash-prefix-for: ");
    if ((r = sw_hash_buf_hex(SW_HASH_SHA256, path, strlen(path), hex, &cli->err)) < 0)
        return r;
    if (dir) {
        r = sw_repo_open(dir, SW_REPO_NOLOCK, &repo, &cli->err);
        if (r < 0)
            return sw_error_prefix(&cli->err, "delegate: ");
        if (!find_delegation(repo, name, &drole, &succ, &parent)) {
            r = sw_error_set(&cli->err, SW_E_NOTFOUND,
                             "delegate: '%s' has no delegated role or hash bins named '%s'", dir,
                             name);
            goto out;
        }
        if (succ) {
            json_int_t b = json_integer_value(json_object_get(succ, "bit_length"));
            if (bits && bits != b) {
                r = sw_error_set(&cli->err, SW_E_USAGE,
                                 "delegate: the bins '%s' of role '%s' have %" JSON_INTEGER_FORMAT
                                 " bits, not %ld",
                                 name, parent, b, bits);
                goto out;
            }
            if (b < 1 || b > 32) {
                r = sw_error_set(&cli->err, SW_E_METADATA,
                                 "delegate: the bins '%s' have bit_length %" JSON_INTEGER_FORMAT,
                                 name, b);
                goto out;
            }
            bits = (long)b;
        }
    }
    if (json_object_set_new(cli->report, "schema", json_integer(SW_REPO_JSON_SCHEMA)) < 0 ||
        json_object_set_new(cli->report, "target", json_string(path)) < 0 ||
        json_object_set_new(cli->report, "sha256", json_string(hex)) < 0) {
        r = oom(cli);
        goto out;
    }
    sw_repo_say(cli, "target '%s'\nsha256 %s\n", path, hex);
    if (bits) {
        uint32_t bin = sw_md_succinct_bin(path, (unsigned)bits);
        char prefix[9], bin_name[SW_MD_MAX_ROLE_NAME + 16];
        int digits = (int)((bits + 3) / 4);
        memcpy(prefix, hex, (size_t)digits);
        prefix[digits] = '\0';
        if (json_object_set_new(cli->report, "bits", json_integer(bits)) < 0 ||
            json_object_set_new(cli->report, "prefix", json_string(prefix)) < 0 ||
            json_object_set_new(cli->report, "bin", json_integer((json_int_t)bin)) < 0) {
            r = oom(cli);
            goto out;
        }
        if (bits % 4 == 0)
            sw_repo_say(cli, "prefix %s (the first %d hex digit%s: --hash-prefix %s)\n", prefix,
                        digits, digits == 1 ? "" : "s", prefix);
        else
            sw_repo_say(cli,
                        "prefix %s (the %d hex digit%s holding the first %ld bits; --hash-prefix "
                        "works in whole digits)\n",
                        prefix, digits, digits == 1 ? "" : "s", bits);
        sw_repo_say(cli, "bin %" PRIu32 " of %llu (the first %ld bit%s)\n", bin, 1ULL << bits, bits,
                    bits == 1 ? "" : "s");
        if (name && !drole) {
            r = sw_md_succinct_bin_name(name, (unsigned)bits, bin, bin_name, sizeof(bin_name));
            if (r < 0) {
                r = sw_error_set(&cli->err, SW_E_USAGE, "delegate: no bin name for '%s'", name);
                goto out;
            }
            if (json_object_set_new(cli->report, "bin_name", json_string(bin_name)) < 0) {
                r = oom(cli);
                goto out;
            }
            sw_repo_say(cli, "role %s (TAP 15 bin of '%s-*'%s%s)\n", bin_name, name,
                        parent ? ", delegated by " : "", parent ? parent : "");
        }
    }
    if (drole) {
        const json_t *prefixes = json_object_get(drole, "path_hash_prefixes");
        const char *match = NULL;
        size_t i;
        const json_t *p;
        json_array_foreach(prefixes, i, p)
        {
            const char *s = json_string_value(p);
            if (s && strncmp(hex, s, strlen(s)) == 0) {
                match = s;
                break;
            }
        }
        if (!json_is_array(prefixes)) {
            r = sw_error_set(&cli->err, SW_E_USAGE,
                             "delegate: role '%s' is delegated by paths, not by hash prefix", name);
            goto out;
        }
        if (json_object_set_new(cli->report, "role", json_string(name)) < 0 ||
            json_object_set_new(cli->report, "matches", json_boolean(match != NULL)) < 0 ||
            json_object_set_new(cli->report, "matching_prefix",
                                match ? json_string(match) : json_null()) < 0) {
            r = oom(cli);
            goto out;
        }
        if (match)
            sw_repo_say(cli, "role '%s' (delegated by '%s') is trusted for it: prefix %s\n", name,
                        parent, match);
        else
            sw_repo_say(cli,
                        "role '%s' (delegated by '%s') is not trusted for it: no prefix of "
                        "its sha256\n",
                        name, parent);
    }
    r = 0;
out:
    sw_repo_free(repo);
    return r;
}
