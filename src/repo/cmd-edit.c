/* SPDX-License-Identifier: MIT */
/*
 * The commands of slipway-repo that make or edit a repository: init (keys,
 * first root and targets, published when the keys allow), and the staged
 * edits add, remove, rollout, delegate, rotate-root and renew. Staging and
 * files are tree.c's; signing and publishing are publish.c's.
 */
#include "repo-cli.h"

#include <slipway/fs.h>
#include <slipway/log.h>
#include <slipway/metadata.h>
#include <slipway/offer.h>
#include <slipway/version.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_LIST 256 /* values of one repeated option */

static const char *const top_roles[] = {"root", "targets", "snapshot", "timestamp"};

static int
oom(struct sw_repo_cli *cli)
{
    return sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
}

static void
warn_dropped(const char *role, size_t dropped)
{
    if (dropped)
        sw_log_warning("the staged role '%s' changed: its %zu signature%s no longer appl%s and "
                       "must be made again",
                       role, dropped, dropped == 1 ? "" : "s", dropped == 1 ? "ies" : "y");
}

/* Drop keys from a key map that no role in roles (array or object of roles) lists. */
static void
prune_keys(json_t *keys, const json_t *roles)
{
    const char *id;
    json_t *v, *tmp;
    json_object_foreach_safe(keys, tmp, id, v)
    {
        int used = 0;
        const json_t *role;
        if (json_is_array(roles)) {
            size_t i;
            json_array_foreach(roles, i, role)
            {
                size_t j;
                const json_t *k;
                json_array_foreach(json_object_get(role, "keyids"), j, k) used |=
                    json_is_string(k) && strcmp(json_string_value(k), id) == 0;
            }
        } else {
            const char *rn;
            json_object_foreach((json_t *)roles, rn, role)
            {
                size_t j;
                const json_t *k;
                json_array_foreach(json_object_get(role, "keyids"), j, k) used |=
                    json_is_string(k) && strcmp(json_string_value(k), id) == 0;
            }
        }
        if (!used)
            json_object_del(keys, id);
    }
}

static int
open_repo(struct sw_repo_cli *cli, const char *dir, struct sw_repo **ret)
{
    int r = sw_repo_open(dir, 0, ret, &cli->err);
    if (r < 0)
        sw_error_prefix(&cli->err, "%s: ", cli->cmd->name);
    return r;
}

static int
save_and_report(struct sw_repo_cli *cli, struct sw_repo *repo, time_t now)
{
    struct sw_repo_ctx c = {repo, NULL, NULL, now, cli->report};
    int r = sw_repo_save(repo, &cli->err);
    if (r < 0)
        return r;
    r = sw_repo_describe_staged(&c, &cli->err);
    if (r < 0)
        return r;
    sw_repo_print_staged(cli, repo->dir, 0);
    sw_repo_say(cli, "staged in '%s/staged/'; publish with 'slipway-repo commit %s'\n", repo->dir,
                repo->dir);
    return 0;
}

/* --- init ----------------------------------------------------------------------------- */

enum {
    OPT_INIT_KEYS = 1,       /* + role index */
    OPT_INIT_THRESHOLD = 10, /* + role index */
    OPT_INIT_KEY = 20,       /* + role index */
    OPT_INIT_KEY_TYPE = 30,
    OPT_INIT_KDF,
};

const struct sw_opt sw_repo_init_opts[] = {
    {"root-keys", 0, 1, OPT_INIT_KEYS + 0, "N", "number of root keys (1)"},
    {"root-threshold", 0, 1, OPT_INIT_THRESHOLD + 0, "T", "root signatures required (1)"},
    {"root-key", 0, 1, OPT_INIT_KEY + 0, "PUB", "use this public key for root (NAME or FILE.pub)"},
    {"targets-keys", 0, 1, OPT_INIT_KEYS + 1, "N", "number of targets keys (1)"},
    {"targets-threshold", 0, 1, OPT_INIT_THRESHOLD + 1, "T", "targets signatures required (1)"},
    {"targets-key", 0, 1, OPT_INIT_KEY + 1, "PUB", "use this public key for targets"},
    {"snapshot-keys", 0, 1, OPT_INIT_KEYS + 2, "N", "number of snapshot keys (1)"},
    {"snapshot-threshold", 0, 1, OPT_INIT_THRESHOLD + 2, "T", "snapshot signatures required (1)"},
    {"snapshot-key", 0, 1, OPT_INIT_KEY + 2, "PUB", "use this public key for snapshot"},
    {"timestamp-keys", 0, 1, OPT_INIT_KEYS + 3, "N", "number of timestamp keys (1)"},
    {"timestamp-threshold", 0, 1, OPT_INIT_THRESHOLD + 3, "T", "timestamp signatures required (1)"},
    {"timestamp-key", 0, 1, OPT_INIT_KEY + 3, "PUB", "use this public key for timestamp"},
    {"key-type", 0, 1, OPT_INIT_KEY_TYPE, "TYPE", "type of new keys: ed25519 (default) or ecdsa"},
    {"kdf", 0, 1, OPT_INIT_KDF, "LEVEL", "Argon2id cost of new keys (interactive)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

struct init_role {
    json_t *keyids;
    long threshold;
};

/* Resolve or make the keys of one top-level role into root's "keys" and the role's key ids. */
static int
init_role_keys(struct sw_repo_cli *cli, struct sw_repo *repo, struct sw_keyring **kr,
               const char *key_dir, size_t ri, enum sw_key_type type, enum sw_kdf_level kdf,
               struct sw_passphrase **pass, json_t *keys, struct init_role *out)
{
    const char *given[MAX_LIST];
    size_t n_given = sw_repo_opt_all(cli, OPT_INIT_KEY + (int)ri, given, MAX_LIST);
    long count = n_given ? (long)n_given : 1, threshold = 1;
    char opt[40];
    int r;

    if (n_given > MAX_LIST)
        return sw_error_set(&cli->err, SW_E_USAGE, "init: too many --%s-key", top_roles[ri]);
    snprintf(opt, sizeof(opt), "%s-keys", top_roles[ri]);
    if ((r = sw_repo_opt_int(cli, OPT_INIT_KEYS + (int)ri, opt, 1, 64, &count)) < 0)
        return r;
    snprintf(opt, sizeof(opt), "%s-threshold", top_roles[ri]);
    if ((r = sw_repo_opt_int(cli, OPT_INIT_THRESHOLD + (int)ri, opt, 1, 64, &threshold)) < 0)
        return r;
    if ((size_t)count < n_given)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "init: --%s-keys %ld is fewer than the %zu "
                            "--%s-key given",
                            top_roles[ri], count, n_given, top_roles[ri]);
    if (threshold > count)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "init: %s threshold %ld is more than its %ld key%s", top_roles[ri],
                            threshold, count, count == 1 ? "" : "s");
    out->keyids = json_array();
    out->threshold = threshold;
    if (!out->keyids)
        return oom(cli);
    for (size_t i = 0; i < n_given; i++) {
        json_t *key = NULL;
        char id[SW_KEY_ID_HEX_SIZE], *name = NULL;
        r = sw_keyring_resolve_public(*kr, given[i], &key, id, &name, &cli->err);
        if (r < 0)
            return sw_error_prefix(&cli->err, "init: --%s-key: ", top_roles[ri]);
        r = json_object_set_new(keys, id, key) < 0 ||
                    json_array_append_new(out->keyids, json_string(id)) < 0
                ? oom(cli)
                : sw_repo_note_keyname(repo, id, name, &cli->err);
        free(name);
        if (r < 0)
            return r;
    }
    for (long i = 1; (long)json_array_size(out->keyids) < count; i++) {
        char name[SW_KEY_NAME_MAX + 1];
        json_t *key = NULL;
        char id[SW_KEY_ID_HEX_SIZE];
        int taken = 0;
        snprintf(name, sizeof(name), "%s-%ld", top_roles[ri], i);
        for (size_t g = 0; g < n_given; g++)
            taken |= strcmp(given[g], name) == 0;
        if (taken)
            continue;
        if (!*pass) {
            const char *pf = sw_repo_opt(cli, SW_REPO_OPT_PASSPHRASE_FILE);
            r = pf ? sw_passphrase_read_file(pf, pass, &cli->err)
                   : sw_passphrase_read_tty("passphrase for the new keys: ",
                                            "the same passphrase again: ", pass, &cli->err);
            if (r < 0)
                return r;
        }
        r = sw_keyfile_generate(key_dir, name, type, *pass, kdf, &key, &cli->err);
        if (r == -SW_E_EXISTS)
            return sw_error_set(&cli->err, SW_E_EXISTS,
                                "init: key '%s' already exists in '%s': pass --%s-key %s to use "
                                "it, or use another key directory",
                                name, key_dir, top_roles[ri], name);
        if (r < 0)
            return r;
        r = sw_key_id_compute(key, id, &cli->err);
        if (r < 0 || json_object_set_new(keys, id, key) < 0 ||
            json_array_append_new(out->keyids, json_string(id)) < 0)
            return r < 0 ? r : oom(cli);
        r = sw_repo_note_keyname(repo, id, name, &cli->err);
        if (r < 0)
            return r;
        sw_repo_say(cli, "made %s key '%s' (key id %.16s...)\n", top_roles[ri], name, id);
    }
    return 0;
}

int
sw_repo_cmd_init(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argv[0];
    const char *key_dir = sw_repo_opt(cli, SW_REPO_OPT_KEY_DIR);
    const char *type_s = sw_repo_opt(cli, OPT_INIT_KEY_TYPE);
    const char *kdf_s = sw_repo_opt(cli, OPT_INIT_KDF);
    enum sw_key_type type = SW_KEY_ED25519;
    enum sw_kdf_level kdf = SW_KDF_INTERACTIVE;
    struct sw_repo_expiry exp;
    struct sw_keyring *kr = NULL;
    struct sw_repo *repo = NULL;
    struct sw_passphrase *pass = NULL;
    struct init_role roles[4];
    json_t *keys = NULL, *root = NULL, *signed_;
    time_t now = sw_repo_now();
    char expires[21];
    size_t dropped;
    int r;

    (void)argc;
    memset(roles, 0, sizeof(roles));
    if (!key_dir || !*key_dir)
        key_dir = secure_getenv("SLIPWAY_REPO_KEY_DIR");
    if (!key_dir || !*key_dir)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "init: no key directory: give --key-dir KEYS or set "
                            "SLIPWAY_REPO_KEY_DIR");
    if (type_s && sw_key_type_from_string(type_s, &type, &cli->err) < 0)
        return sw_error_set(&cli->err, SW_E_USAGE, "init: --key-type must be ed25519 or ecdsa");
    if (kdf_s && sw_kdf_level_from_string(kdf_s, &kdf, &cli->err) < 0)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "init: --kdf must be interactive, moderate or sensitive");
    if ((r = sw_repo_parse_expiry(cli, now, &exp)) < 0)
        return r;
    if ((r = sw_keyring_check_placement(key_dir, dir, &cli->err)) < 0)
        return r;
    if ((r = sw_fs_private_dir(key_dir, &cli->err)) < 0)
        return sw_error_prefix(&cli->err, "init: key directory: ");
    r = sw_repo_open(dir, SW_REPO_CREATE, &repo, &cli->err);
    if (r < 0)
        return sw_error_prefix(&cli->err, "init: ");
    r = sw_repo_open_keyring(cli, NULL, 1, &kr);
    if (r < 0)
        goto out;
    keys = json_object();
    if (!keys) {
        r = oom(cli);
        goto out;
    }
    for (size_t i = 0; i < 4; i++) {
        r = init_role_keys(cli, repo, &kr, key_dir, i, type, kdf, &pass, keys, &roles[i]);
        if (r < 0)
            goto out;
    }
    /* the ring again, now holding the new keys; the passphrase just given opens them */
    sw_keyring_free(kr);
    kr = NULL;
    r = sw_repo_open_keyring(cli, NULL, 1, &kr);
    if (r < 0)
        goto out;
    if (pass) {
        sw_keyring_set_passphrase(kr, pass);
        pass = NULL;
    }
    sw_repo_expiry_for(&exp, "root", SW_MD_ROOT, now, expires);
    root =
        json_pack("{s:[],s:{s:s,s:s,s:i,s:s,s:b,s:O,s:{s:{s:O,s:i},s:{s:O,s:i},s:{s:O,s:i},"
                  "s:{s:O,s:i}}}}",
                  "signatures", "signed", "_type", "root", "spec_version", SW_REPO_SPEC_VERSION,
                  "version", 1, "expires", expires, "consistent_snapshot", 1, "keys", keys, "roles",
                  "root", "keyids", roles[0].keyids, "threshold", (int)roles[0].threshold,
                  "targets", "keyids", roles[1].keyids, "threshold", (int)roles[1].threshold,
                  "snapshot", "keyids", roles[2].keyids, "threshold", (int)roles[2].threshold,
                  "timestamp", "keyids", roles[3].keyids, "threshold", (int)roles[3].threshold);
    if (!root) {
        r = oom(cli);
        goto out;
    }
    repo->staged_root = root;
    repo->root_dirty = 1;
    root = NULL;
    r = sw_repo_stage(repo, "targets", &exp, now, &signed_, &dropped, &cli->err);
    if (r < 0)
        goto out;
    {
        struct sw_repo_ctx c = {repo, kr, &exp, now, cli->report};
        r = sw_repo_commit(&c, &cli->err);
        if (r == -SW_E_REPO_UNSIGNED) {
            /* a ceremony: root holders sign offline, then 'commit' publishes */
            sw_repo_print_staged(cli, dir, 1);
            sw_log_notice("%s", cli->err.msg);
            sw_error_clear(&cli->err);
            r = sw_repo_save(repo, &cli->err);
            if (r < 0)
                goto out;
            json_object_set_new(cli->report, "published", json_false());
            sw_repo_say(cli,
                        "repository '%s' is made but not yet published: sign what is staged, "
                        "then run 'slipway-repo commit %s'\n",
                        dir, dir);
            r = 0;
            goto out;
        }
        if (r < 0)
            goto out;
    }
    sw_repo_say(cli,
                "published repository '%s': root, targets, snapshot and timestamp version 1\n"
                "pin %s/metadata/1.root.json on clients (slipway init --root)\n",
                dir, dir);
out:
    for (size_t i = 0; i < 4; i++)
        json_decref(roles[i].keyids);
    json_decref(keys);
    json_decref(root);
    sw_passphrase_free(pass);
    sw_keyring_free(kr);
    sw_repo_free(repo);
    return r;
}

/* --- targets: add, remove, rollout ----------------------------------------------------- */

enum {
    OPT_ADD_VERSION = 1,
    OPT_ADD_COMPATIBLE,
    OPT_ADD_CHANNEL,
    OPT_ADD_ROLLOUT,
    OPT_ADD_MIN_CLIENT,
    OPT_ADD_NAME,
    OPT_ADD_ROLE,
    OPT_ADD_REPLACE,
    OPT_ADD_PERCENT,
    OPT_ADD_MANIFEST,
    OPT_RO_WAVE,
    OPT_RO_START,
    OPT_RO_RAMP,
    OPT_RO_SALT,
    OPT_RO_PULL,
    OPT_RO_UNPULL,
    OPT_RO_REPLACE_WITH,
};

const struct sw_opt sw_repo_add_opts[] = {
    {"version", 0, 1, OPT_ADD_VERSION, "V", "release version (custom.slipway.version; required)"},
    {"compatible", 0, 1, OPT_ADD_COMPATIBLE, "C",
     "which machines it is for (repeatable; at least one)"},
    {"channel", 0, 1, OPT_ADD_CHANNEL, "CH",
     "release channel (repeatable; default: every channel)"},
    {"rollout", 0, 1, OPT_ADD_ROLLOUT, "PERCENT", "offer it to PERCENT of machines (0-100)"},
    {"min-client", 0, 1, OPT_ADD_MIN_CLIENT, "V", "oldest slipway client that may install it"},
    {"name", 0, 1, OPT_ADD_NAME, "PATH", "target path (default: the file's name)"},
    {"role", 0, 1, OPT_ADD_ROLE, "ROLE",
     "put it in this delegated role (default: targets); into its hash bin when ROLE has bins or "
     "is their prefix"},
    {"replace", 0, 0, OPT_ADD_REPLACE, NULL, "replace a target of the same path"},
    {"manifest", 0, 1, OPT_ADD_MANIFEST, "FILE",
     "add the targets FILE lists, one JSON object a line (docs/repo.md)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

const struct sw_opt sw_repo_remove_opts[] = {
    {"role", 0, 1, OPT_ADD_ROLE, "ROLE", "the role that lists it (default: the one that does)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

const struct sw_opt sw_repo_rollout_opts[] = {
    {"percent", 0, 1, OPT_ADD_PERCENT, "P",
     "a fixed share of machines offered the target, 0-100 (replaces waves)"},
    {"wave", 0, 1, OPT_RO_WAVE, "AFTER:PERCENT",
     "a wave step, PERCENT from AFTER past the start (0h, 12h, 1d, 1w; repeat in order; "
     "replaces percent)"},
    {"start", 0, 1, OPT_RO_START, "TIME",
     "when the waves start, YYYY-MM-DDTHH:MM:SSZ (default now)"},
    {"ramp", 0, 1, OPT_RO_RAMP, "step|linear", "between wave steps: jump (default) or a line"},
    {"salt", 0, 1, OPT_RO_SALT, "S", "bucket salt (default: the target's path)"},
    {"pull", 0, 0, OPT_RO_PULL, NULL, "withdraw the release: no machine newly takes it"},
    {"replace-with", 0, 1, OPT_RO_REPLACE_WITH, "V",
     "with --pull: machines running it are offered version V (even an older one)"},
    {"unpull", 0, 0, OPT_RO_UNPULL, NULL, "undo --pull (and its --replace-with)"},
    {"role", 0, 1, OPT_ADD_ROLE, "ROLE", "the role that lists it (default: the one that does)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

/*
 * One target of an add: where its bytes are, the path it is published
 * under, its custom.slipway fields and the role asked for. Strings are
 * borrowed from argv or owned by the item (the manifest's, the walk's).
 */
struct add_item {
    char *file, *path, *role;
    json_t *sw; /* custom.slipway, a reference held (the items of one command line share one) */
};

struct add_batch {
    struct add_item *items;
    size_t n, cap;
};

static void
add_batch_release(struct add_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->items[i].file);
        free(b->items[i].path);
        free(b->items[i].role);
        json_decref(b->items[i].sw);
    }
    free(b->items);
}

/* Append an item; file, path and role are copied (role may be NULL), sw is taken. */
static int
add_push(struct sw_repo_cli *cli, struct add_batch *b, const char *file, const char *path,
         const char *role, json_t *sw)
{
    struct add_item *it;
    if (b->n >= SW_REPO_MAX_ADD) {
        json_decref(sw);
        return sw_error_set(&cli->err, SW_E_LIMIT, "add: more than %d targets in one command",
                            SW_REPO_MAX_ADD);
    }
    if (b->n == b->cap) {
        size_t nc = b->cap ? 2 * b->cap : 64;
        struct add_item *ni = realloc(b->items, nc * sizeof(*ni));
        if (!ni) {
            json_decref(sw);
            return oom(cli);
        }
        b->items = ni;
        b->cap = nc;
    }
    it = &b->items[b->n];
    it->file = strdup(file);
    it->path = strdup(path);
    it->role = role ? strdup(role) : NULL;
    it->sw = sw;
    b->n++;
    if (!it->file || !it->path || (role && !it->role))
        return oom(cli);
    return 0;
}

/* custom.slipway from its fields; checks versions. *ret is new. */
static int
make_slipway(struct sw_repo_cli *cli, const char *where, const char *version,
             const char *min_client, const char *const *compat, size_t n_compat,
             const char *const *chans, size_t n_chans, long percent, json_t **ret)
{
    json_t *sw, *a;
    if (!version)
        return sw_error_set(&cli->err, SW_E_USAGE, "add: %s: --version V is required", where);
    if (sw_version_check(version, &cli->err) < 0)
        return sw_error_prefix(&cli->err, "add: %s: version: ", where);
    if (min_client && sw_version_check(min_client, &cli->err) < 0)
        return sw_error_prefix(&cli->err, "add: %s: min-client: ", where);
    if (n_compat == 0)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "add: %s: --compatible C is required (which machines it is for)",
                            where);
    sw = json_pack("{s:s,s:[]}", "version", version, "compatible");
    if (!sw)
        return oom(cli);
    for (size_t i = 0; i < n_compat; i++)
        if (json_array_append_new(json_object_get(sw, "compatible"), json_string(compat[i])) < 0)
            goto nomem;
    if (n_chans) {
        a = json_array();
        if (!a || json_object_set_new(sw, "channels", a) < 0)
            goto nomem;
        for (size_t i = 0; i < n_chans; i++)
            if (json_array_append_new(a, json_string(chans[i])) < 0)
                goto nomem;
    }
    if ((percent >= 0 &&
         json_object_set_new(sw, "rollout", json_pack("{s:i}", "percent", (int)percent)) < 0) ||
        (min_client && json_object_set_new(sw, "min_client", json_string(min_client)) < 0))
        goto nomem;
    *ret = sw;
    return 0;
nomem:
    json_decref(sw);
    return oom(cli);
}

static int
cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every regular file under dir (sorted, depth first), published as its path
 * relative to dir below prefix ("" or "PREFIX/"). Other kinds of file are
 * refused; so are names a target path may not have (checked later).
 */
static int
add_walk(struct sw_repo_cli *cli, struct add_batch *b, const char *dir, const char *rel,
         unsigned depth, const char *role, const json_t *sw)
{
    char *full = rel[0] ? sw_fs_join(dir, rel) : strdup(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    DIR *d = NULL;
    int r = 0;

    if (!full)
        return oom(cli);
    if (depth > SW_REPO_MAX_ADD_DEPTH) {
        r = sw_error_set(&cli->err, SW_E_LIMIT, "add: '%s' is more than %d directories deep", full,
                         SW_REPO_MAX_ADD_DEPTH);
        goto out;
    }
    d = opendir(full);
    if (!d) {
        r = sw_error_errno(&cli->err, SW_E_IO, errno, "add: cannot read directory '%s'", full);
        goto out;
    }
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*nn));
            if (!nn) {
                r = oom(cli);
                goto out;
            }
            names = nn;
        }
        if (!(names[n] = rel[0] ? sw_fs_join(rel, de->d_name) : strdup(de->d_name))) {
            r = oom(cli);
            goto out;
        }
        n++;
    }
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_cstr);
    for (size_t i = 0; i < n && r == 0; i++) {
        char *p = sw_fs_join(dir, names[i]);
        struct stat st;
        if (!p) {
            r = oom(cli);
            break;
        }
        if (lstat(p, &st) < 0)
            r = sw_error_errno(&cli->err, SW_E_IO, errno, "add: cannot stat '%s'", p);
        else if (S_ISDIR(st.st_mode))
            r = add_walk(cli, b, dir, names[i], depth + 1, role, sw);
        else if (!S_ISREG(st.st_mode))
            r = sw_error_set(&cli->err, SW_E_INVAL,
                             "add: '%s' is not a regular file or a directory", p);
        else
            r = add_push(cli, b, p, names[i], role, json_incref((json_t *)sw));
        free(p);
    }
out:
    if (d)
        closedir(d);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(full);
    return r;
}

/* A string or an array of strings of a manifest line, into out (borrowed). */
static int
manifest_strings(struct sw_repo_cli *cli, const char *where, const char *key, const json_t *v,
                 const char **out, size_t *ret_n)
{
    size_t n = 0, i;
    const json_t *x;
    if (json_is_string(v)) {
        out[0] = json_string_value(v);
        *ret_n = 1;
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) > MAX_LIST)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "add: %s: '%s' must be a string or a list of at most %d strings", where,
                            key, MAX_LIST);
    json_array_foreach(v, i, x)
    {
        if (!json_is_string(x))
            return sw_error_set(&cli->err, SW_E_USAGE, "add: %s: '%s' must hold strings", where,
                                key);
        out[n++] = json_string_value(x);
    }
    *ret_n = n;
    return 0;
}

/*
 * The manifest (docs/repo.md "Adding many targets"): JSON Lines, one
 * object a target: "file" (required; relative to the manifest's
 * directory), "name", "version", "compatible", "channels", "rollout",
 * "min_client", "role"; a field absent takes the command line's value.
 * Blank lines and lines starting with '#' are skipped.
 */
static int
add_manifest(struct sw_repo_cli *cli, struct add_batch *b, const char *manifest,
             const char *version, const char *min_client, const char *role,
             const char *const *compat, size_t n_compat, const char *const *chans, size_t n_chans,
             long percent)
{
    static const char *const known[] = {"file",     "name",    "version",    "compatible",
                                        "channels", "rollout", "min_client", "role"};
    FILE *f = fopen(manifest, "re");
    char *line = NULL, *base = NULL, where[64];
    size_t linecap = 0;
    unsigned long lineno = 0;
    ssize_t len;
    int r = 0;

    if (!f)
        return sw_error_errno(&cli->err, SW_E_IO, errno, "add: cannot open manifest '%s'",
                              manifest);
    {
        const char *slash = strrchr(manifest, '/');
        base = slash ? strndup(manifest, (size_t)(slash - manifest) + 1) : strdup("");
        if (!base) {
            fclose(f);
            return oom(cli);
        }
    }
    while (r == 0 && (len = getline(&line, &linecap, f)) >= 0) {
        const char *lc[MAX_LIST], *lch[MAX_LIST], *file, *name, *k;
        size_t nlc = n_compat, nlch = n_chans;
        long lp = percent;
        json_error_t je;
        json_t *o, *v, *sw = NULL;
        char *path = NULL;

        lineno++;
        snprintf(where, sizeof(where), "manifest line %lu", lineno);
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        o = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &je);
        if (!json_is_object(o)) {
            r = sw_error_set(&cli->err, SW_E_USAGE, "add: '%s': %s: not a JSON object (%s)",
                             manifest, where, o ? "another value" : je.text);
            json_decref(o);
            break;
        }
        json_object_foreach(o, k, v)
        {
            int ok = 0;
            for (size_t i = 0; i < sizeof(known) / sizeof(known[0]) && !ok; i++)
                ok = strcmp(k, known[i]) == 0;
            if (!ok) {
                r = sw_error_set(&cli->err, SW_E_USAGE, "add: '%s': %s: unknown field '%s'",
                                 manifest, where, k);
                break;
            }
            if (strcmp(k, "compatible") && strcmp(k, "channels") && strcmp(k, "rollout") &&
                !json_is_string(v)) {
                r = sw_error_set(&cli->err, SW_E_USAGE, "add: '%s': %s: '%s' must be a string",
                                 manifest, where, k);
                break;
            }
        }
        memcpy(lc, compat, n_compat * sizeof(*lc));
        memcpy(lch, chans, n_chans * sizeof(*lch));
        file = json_string_value(json_object_get(o, "file"));
        if (r == 0 && !file)
            r = sw_error_set(&cli->err, SW_E_USAGE, "add: '%s': %s: 'file' is required", manifest,
                             where);
        if (r == 0 && (v = json_object_get(o, "compatible")))
            r = manifest_strings(cli, where, "compatible", v, lc, &nlc);
        if (r == 0 && (v = json_object_get(o, "channels")))
            r = manifest_strings(cli, where, "channels", v, lch, &nlch);
        if (r == 0 && (v = json_object_get(o, "rollout"))) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100)
                r = sw_error_set(&cli->err, SW_E_USAGE,
                                 "add: '%s': %s: 'rollout' must be a number 0-100", manifest,
                                 where);
            else
                lp = (long)json_integer_value(v);
        }
        if (r == 0) {
            const char *jv = json_string_value(json_object_get(o, "version"));
            const char *jm = json_string_value(json_object_get(o, "min_client"));
            r = make_slipway(cli, where, jv ? jv : version, jm ? jm : min_client, lc, nlc, lch,
                             nlch, lp, &sw);
        }
        if (r == 0) {
            const char *jr = json_string_value(json_object_get(o, "role"));
            const char *slash = strrchr(file, '/');
            name = json_string_value(json_object_get(o, "name"));
            if (!name)
                name = slash ? slash + 1 : file;
            path = file[0] == '/' ? strdup(file) : sw_fs_join(base, file);
            r = path ? add_push(cli, b, path, name, jr ? jr : role, sw) : oom(cli);
            if (!path)
                json_decref(sw);
        }
        free(path);
        json_decref(o);
    }
    if (r == 0 && ferror(f))
        r = sw_error_errno(&cli->err, SW_E_IO, errno, "add: cannot read manifest '%s'", manifest);
    free(line);
    free(base);
    fclose(f);
    return r;
}

/*
 * What one add knows of a role it puts targets in, computed once: the
 * succinct bins it stands for (or none), and the delegator's view of it
 * for the path check.
 */
struct add_role_cache {
    const char *asked; /* the name asked for (borrowed from an item) */
    int succinct;      /* 1: asked names bins (a delegator with them, or their prefix) */
    const char *prefix;
    unsigned bits;
    struct sw_md *parent_md; /* the delegator of the last role checked */
    const struct sw_repo_role *parent_of;
};

/* The role (bin) an item goes to, and the check that its delegator gives it the path. */
static int
add_resolve(struct sw_repo_cli *cli, struct sw_repo *repo, struct add_role_cache *c,
            const char *asked, const char *path, struct sw_repo_role **ret)
{
    char bin[SW_MD_MAX_ROLE_NAME + 2];
    const char *name = asked;
    struct sw_repo_role *role;
    const struct sw_md_role *d;

    if (!c->asked || strcmp(c->asked, asked) != 0) {
        const struct sw_repo_role *named = sw_repo_role(repo, asked);
        c->asked = asked;
        c->succinct = 0;
        for (size_t i = 0; !c->succinct && i < repo->n_roles; i++) {
            const json_t *sc = json_object_get(
                json_object_get(json_object_get(sw_repo_role_current(&repo->roles[i]), "signed"),
                                "delegations"),
                "succinct_roles");
            const char *np = json_string_value(json_object_get(sc, "name_prefix"));
            json_int_t bits = json_integer_value(json_object_get(sc, "bit_length"));
            if (!sc || !(named ? &repo->roles[i] == named : np && strcmp(np, asked) == 0))
                continue;
            if (bits < 1 || bits > SW_MD_MAX_SUCCINCT_BITS || !np)
                return sw_error_set(&cli->err, SW_E_REPO_INVALID,
                                    "add: role '%s' has malformed 'succinct_roles'", asked);
            c->succinct = 1;
            c->prefix = np;
            c->bits = (unsigned)bits;
        }
    }
    if (c->succinct) {
        if (sw_md_succinct_bin_name(c->prefix, c->bits, sw_md_succinct_bin(path, c->bits), bin,
                                    sizeof(bin)) < 0)
            return sw_error_set(&cli->err, SW_E_REPO_INVALID,
                                "add: role '%s' has malformed 'succinct_roles'", asked);
        name = bin;
    }
    role = sw_repo_role(repo, name);
    if (!role || !sw_repo_role_current(role))
        return sw_error_set(&cli->err, SW_E_NOTFOUND, "add: no role '%s' in '%s'%s", name,
                            repo->dir, strcmp(name, "targets") ? "; delegate it first" : "");
    if (role->parent) {
        if (c->parent_of != role) {
            struct sw_repo_role *parent = sw_repo_role(repo, role->parent);
            int r;
            sw_md_free(c->parent_md);
            c->parent_md = NULL;
            c->parent_of = NULL;
            if (!parent || !sw_repo_role_current(parent))
                return sw_error_set(&cli->err, SW_E_INTERNAL, "role '%s' has no delegator",
                                    role->name);
            r = sw_repo_md_from_json(sw_repo_role_current(parent), SW_MD_TARGETS, parent->name,
                                     &c->parent_md, &cli->err);
            if (r < 0)
                return r;
            c->parent_of = role;
        }
        d = sw_md_delegation(c->parent_md, role->name);
        if (!d || !sw_md_delegation_matches(d, path))
            return sw_error_set(&cli->err, SW_E_INVAL,
                                "add: target path '%s' is outside the paths '%s' delegates to "
                                "role '%s'; clients would never find it there",
                                path, role->parent, role->name);
    }
    *ret = role;
    return 0;
}

int
sw_repo_cmd_add(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argv[0];
    const char *version = sw_repo_opt(cli, OPT_ADD_VERSION);
    const char *min_client = sw_repo_opt(cli, OPT_ADD_MIN_CLIENT);
    const char *role_opt = sw_repo_opt(cli, OPT_ADD_ROLE);
    const char *name_opt = sw_repo_opt(cli, OPT_ADD_NAME);
    const char *manifest = sw_repo_opt(cli, OPT_ADD_MANIFEST);
    int replace = sw_repo_opt_flag(cli, OPT_ADD_REPLACE);
    const char *compat[MAX_LIST], *chans[MAX_LIST];
    size_t n_compat = sw_repo_opt_all(cli, OPT_ADD_COMPATIBLE, compat, MAX_LIST);
    size_t n_chans = sw_repo_opt_all(cli, OPT_ADD_CHANNEL, chans, MAX_LIST);
    long percent = -1;
    struct sw_repo_expiry exp;
    struct sw_repo *repo = NULL;
    struct add_batch b = {NULL, 0, 0};
    struct add_role_cache rc;
    struct sw_repo_role **roles = NULL;
    json_t **infos = NULL, *cmdline_sw = NULL, *list = NULL;
    time_t now = sw_repo_now();
    int r = 0;

    memset(&rc, 0, sizeof(rc));
    if (!role_opt)
        role_opt = "targets";
    if (argc < 2 && !manifest)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "add: name FILE..., a DIRECTORY or --manifest FILE to add");
    if (name_opt && (argc != 2 || manifest))
        return sw_error_set(&cli->err, SW_E_USAGE, "add: --name goes with exactly one FILE");
    if (n_compat > MAX_LIST || n_chans > MAX_LIST)
        return sw_error_set(&cli->err, SW_E_USAGE, "add: at most %d --compatible and --channel",
                            MAX_LIST);
    if ((r = sw_repo_opt_int(cli, OPT_ADD_ROLLOUT, "rollout", 0, 100, &percent)) < 0)
        return r;
    if ((r = sw_repo_parse_expiry(cli, now, &exp)) < 0)
        return r;

    /* 1. what to add, checked before the repository is touched */
    if (argc >= 2) {
        r = make_slipway(cli, "command line", version, min_client, compat, n_compat, chans, n_chans,
                         percent, &cmdline_sw);
        if (r < 0)
            goto out;
    }
    for (int i = 1; i < argc && r == 0; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            r = add_walk(cli, &b, argv[i], "", 0, role_opt, cmdline_sw);
        } else {
            const char *slash = strrchr(argv[i], '/');
            r = add_push(cli, &b, argv[i],
                         name_opt            ? name_opt
                         : slash && slash[1] ? slash + 1
                                             : argv[i],
                         role_opt, json_incref(cmdline_sw));
        }
    }
    if (r == 0 && manifest)
        r = add_manifest(cli, &b, manifest, version, min_client, role_opt, compat, n_compat, chans,
                         n_chans, percent);
    if (r < 0)
        goto out;
    if (b.n == 0) {
        r = sw_error_set(&cli->err, SW_E_USAGE, "add: nothing to add");
        goto out;
    }
    for (size_t i = 0; i < b.n; i++)
        if (!b.items[i].sw || sw_repo_check_target_path(b.items[i].path, &cli->err) < 0) {
            r = b.items[i].sw ? sw_error_prefix(&cli->err, "add: '%s': ", b.items[i].file)
                              : oom(cli);
            goto out;
        }

    /* 2. where each goes: one open, each delegator parsed once per run of its roles */
    if ((r = open_repo(cli, dir, &repo)) < 0)
        goto out;
    roles = calloc(b.n, sizeof(*roles));
    infos = calloc(b.n, sizeof(*infos));
    if (!roles || !infos) {
        r = oom(cli);
        goto out;
    }
    for (size_t i = 0; i < b.n; i++) {
        struct add_item *it = &b.items[i];
        const json_t *have;
        r = add_resolve(cli, repo, &rc, it->role ? it->role : role_opt, it->path, &roles[i]);
        if (r < 0)
            goto out;
        have = json_object_get(
            json_object_get(json_object_get(sw_repo_role_current(roles[i]), "signed"), "targets"),
            it->path);
        if (have && !replace) {
            r = sw_error_set(&cli->err, SW_E_EXISTS,
                             "add: role '%s' already lists target '%s'; remove it first or pass "
                             "--replace",
                             roles[i]->name, it->path);
            goto out;
        }
    }
    /* the same path twice in one add is a mistake, whatever --replace says */
    {
        json_t *seen = json_object();
        if (!seen) {
            r = oom(cli);
            goto out;
        }
        for (size_t i = 0; i < b.n && r == 0; i++) {
            if (json_object_get(seen, b.items[i].path))
                r = sw_error_set(&cli->err, SW_E_USAGE,
                                 "add: target '%s' is named twice in one add", b.items[i].path);
            else if (json_object_set_new(seen, b.items[i].path, json_true()) < 0)
                r = oom(cli);
        }
        json_decref(seen);
        if (r < 0)
            goto out;
    }

    /* 3. the files, streamed and hashed once each; 'commit' copies them into targets/ */
    for (size_t i = 0; i < b.n; i++) {
        struct add_item *it = &b.items[i];
        r = sw_repo_hash_file(it->file, &infos[i], &cli->err);
        if (r == 0)
            r = sw_repo_note_source(repo, it->path, roles[i]->name, it->file, infos[i], &cli->err);
        if (r == 0 &&
            json_object_set_new(infos[i], "custom", json_pack("{s:O}", "slipway", it->sw)) < 0)
            r = oom(cli);
        if (r < 0)
            goto out;
        sw_log_debug("hashed '%s' for target '%s': %" JSON_INTEGER_FORMAT " bytes", it->file,
                     it->path, json_integer_value(json_object_get(infos[i], "length")));
    }

    /* 4. staged once per role, each target set in memory; one write per role at the end */
    list = json_array();
    if (!list) {
        r = oom(cli);
        goto out;
    }
    for (size_t i = 0; i < b.n; i++) {
        json_t *signed_ = json_object_get(roles[i]->staged, "signed"), *targets;
        if (!roles[i]->dirty) {
            size_t dropped = 0;
            r = sw_repo_stage(repo, roles[i]->name, &exp, now, &signed_, &dropped, &cli->err);
            if (r < 0)
                goto out;
            warn_dropped(roles[i]->name, dropped);
        }
        targets = json_object_get(signed_, "targets");
        if (!json_is_object(targets) || json_object_set(targets, b.items[i].path, infos[i]) < 0) {
            r = sw_error_set(&cli->err, SW_E_METADATA, "add: role '%s' has no 'targets' object",
                             roles[i]->name);
            goto out;
        }
        /* the list of what was added only for --json: 100 000 entries are not free */
        if (cli->json &&
            json_array_append_new(list, json_pack("{s:s,s:s,s:O}", "target", b.items[i].path,
                                                  "role", roles[i]->name, "length",
                                                  json_object_get(infos[i], "length"))) < 0) {
            r = oom(cli);
            goto out;
        }
        if (b.n <= SW_REPO_ADD_SAY_EACH)
            sw_repo_say(
                cli,
                "added target '%s' (%" JSON_INTEGER_FORMAT " bytes, version %s) to role '%s'\n",
                b.items[i].path, json_integer_value(json_object_get(infos[i], "length")),
                json_string_value(json_object_get(b.items[i].sw, "version")), roles[i]->name);
    }
    if (b.n > SW_REPO_ADD_SAY_EACH)
        sw_repo_say(cli, "added %zu targets\n", b.n);
    if (b.n == 1 && (json_object_set_new(cli->report, "target", json_string(b.items[0].path)) < 0 ||
                     json_object_set_new(cli->report, "role", json_string(roles[0]->name)) < 0 ||
                     json_object_set(cli->report, "info", infos[0]) < 0)) {
        r = oom(cli);
        goto out;
    }
    if (json_object_set(cli->report, "added", list) < 0) {
        r = oom(cli);
        goto out;
    }
    r = save_and_report(cli, repo, now);
out:
    for (size_t i = 0; infos && i < b.n; i++)
        json_decref(infos[i]);
    free(infos);
    free(roles);
    json_decref(list);
    json_decref(cmdline_sw);
    sw_md_free(rc.parent_md);
    add_batch_release(&b);
    sw_repo_free(repo);
    return r;
}

/* The role that lists path: the one named, or the only one that does. */
static int
find_target_role(struct sw_repo_cli *cli, struct sw_repo *repo, const char *path,
                 struct sw_repo_role **ret)
{
    const char *named = sw_repo_opt(cli, OPT_ADD_ROLE);
    struct sw_repo_role *found = NULL;
    for (size_t i = 0; i < repo->n_roles; i++) {
        struct sw_repo_role *role = &repo->roles[i];
        const json_t *t = json_object_get(
            json_object_get(json_object_get(sw_repo_role_current(role), "signed"), "targets"),
            path);
        if (!t || (named && strcmp(named, role->name) != 0))
            continue;
        if (found)
            return sw_error_set(&cli->err, SW_E_USAGE,
                                "%s: roles '%s' and '%s' both list '%s'; say which with --role",
                                cli->cmd->name, found->name, role->name, path);
        found = role;
    }
    if (!found)
        return sw_error_set(&cli->err, SW_E_NOTFOUND, "%s: no %s%s%slists target '%s'",
                            cli->cmd->name, named ? "role '" : "role", named ? named : "",
                            named ? "' " : " ", path);
    *ret = found;
    return 0;
}

int
sw_repo_cmd_remove(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argv[0], *path = argv[1];
    struct sw_repo_expiry exp;
    struct sw_repo *repo = NULL;
    struct sw_repo_role *role = NULL;
    time_t now = sw_repo_now();
    json_t *signed_;
    size_t dropped;
    int r;

    (void)argc;
    if ((r = sw_repo_parse_expiry(cli, now, &exp)) < 0)
        return r;
    if ((r = open_repo(cli, dir, &repo)) < 0)
        return r;
    if ((r = find_target_role(cli, repo, path, &role)) < 0)
        goto out;
    r = sw_repo_stage(repo, role->name, &exp, now, &signed_, &dropped, &cli->err);
    if (r < 0)
        goto out;
    warn_dropped(role->name, dropped);
    json_object_del(json_object_get(signed_, "targets"), path);
    json_object_set_new(cli->report, "target", json_string(path));
    json_object_set_new(cli->report, "role", json_string(role->name));
    sw_repo_say(cli, "removed target '%s' from role '%s' (its files stay in targets/)\n", path,
                role->name);
    r = save_and_report(cli, repo, now);
out:
    sw_repo_free(repo);
    return r;
}

#define SW_REPO_MAX_WAVES 32

/*
 * The rollout object the options ask for, from the current one (NULL when
 * none): --percent or --wave (with --start, --ramp) replace the share,
 * --salt, --pull/--unpull and --replace-with edit the rest. Checked with the
 * client's own parser (sw_offer_rollout_share), so what is signed is what
 * clients accept. *ret is new (caller decrefs).
 */
static int
rollout_edit(struct sw_repo_cli *cli, const json_t *cur, const char *version, time_t now,
             json_t **ret)
{
    const char *waves[SW_REPO_MAX_WAVES + 1];
    const char *start = sw_repo_opt(cli, OPT_RO_START), *ramp = sw_repo_opt(cli, OPT_RO_RAMP);
    const char *salt = sw_repo_opt(cli, OPT_RO_SALT);
    const char *repl = sw_repo_opt(cli, OPT_RO_REPLACE_WITH);
    int pull = sw_repo_opt_flag(cli, OPT_RO_PULL), unpull = sw_repo_opt_flag(cli, OPT_RO_UNPULL);
    size_t n_waves = sw_repo_opt_all(cli, OPT_RO_WAVE, waves, SW_REPO_MAX_WAVES + 1);
    long percent = -1;
    char why[SW_OFFER_REASON_MAX];
    json_t *ro = NULL;
    int r, step;

    if ((r = sw_repo_opt_int(cli, OPT_ADD_PERCENT, "percent", 0, 100, &percent)) < 0)
        return r;
    if (percent < 0 && !n_waves && !salt && !pull && !unpull && !repl)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "rollout: say what to change: --percent, --wave, --salt, --pull, "
                            "--replace-with or --unpull");
    if (percent >= 0 && n_waves)
        return sw_error_set(&cli->err, SW_E_USAGE, "rollout: --percent or --wave, not both");
    if ((start || ramp) && !n_waves)
        return sw_error_set(&cli->err, SW_E_USAGE, "rollout: --start and --ramp go with --wave");
    if (n_waves > SW_REPO_MAX_WAVES)
        return sw_error_set(&cli->err, SW_E_USAGE, "rollout: at most %d --wave", SW_REPO_MAX_WAVES);
    if (pull && unpull)
        return sw_error_set(&cli->err, SW_E_USAGE, "rollout: --pull or --unpull, not both");
    if (repl && unpull)
        return sw_error_set(&cli->err, SW_E_USAGE, "rollout: --replace-with goes with --pull");
    if (ramp && strcmp(ramp, "step") != 0 && strcmp(ramp, "linear") != 0)
        return sw_error_set(&cli->err, SW_E_USAGE, "rollout: --ramp is 'step' or 'linear'");
    if (start) {
        time_t t;
        if (sw_md_parse_time(start, &t) < 0)
            return sw_error_set(&cli->err, SW_E_USAGE,
                                "rollout: --start '%s' is not YYYY-MM-DDTHH:MM:SSZ", start);
    }
    if (repl && sw_version_check(repl, NULL) < 0)
        return sw_error_set(&cli->err, SW_E_USAGE, "rollout: --replace-with '%s' is not a version",
                            repl);

    ro = json_is_object(cur) ? json_deep_copy(cur) : json_object();
    if (!ro)
        return oom(cli);
    if (percent >= 0) {
        json_object_del(ro, "waves");
        json_object_set_new(ro, "percent", json_integer(percent));
    }
    if (n_waves) {
        json_t *steps = json_array(), *w;
        char at[21];
        for (size_t i = 0; i < n_waves; i++) {
            const char *colon = strrchr(waves[i], ':');
            char *end;
            long p;
            if (!colon || colon == waves[i] || !colon[1]) {
                json_decref(steps);
                json_decref(ro);
                return sw_error_set(&cli->err, SW_E_USAGE,
                                    "rollout: --wave '%s' is not AFTER:PERCENT (such as 1d:10)",
                                    waves[i]);
            }
            p = strtol(colon + 1, &end, 10);
            if (*end || p < 0 || p > 100) {
                json_decref(steps);
                json_decref(ro);
                return sw_error_set(&cli->err, SW_E_USAGE,
                                    "rollout: --wave '%s': PERCENT must be 0-100", waves[i]);
            }
            json_array_append_new(steps, json_pack("{s:s%,s:i}", "after", waves[i],
                                                   (size_t)(colon - waves[i]), "percent", (int)p));
        }
        if (!start)
            sw_md_format_time(now, at);
        w = json_pack("{s:s,s:o,s:s}", "start", start ? start : at, "steps", steps, "ramp",
                      ramp ? ramp : "step");
        json_object_del(ro, "percent");
        json_object_set_new(ro, "waves", w);
    }
    if (salt)
        json_object_set_new(ro, "salt", json_string(salt));
    if (pull)
        json_object_set_new(ro, "pulled", json_true());
    if (repl)
        json_object_set_new(ro, "replace-with", json_string(repl));
    if (unpull) {
        json_object_del(ro, "pulled");
        json_object_del(ro, "replace-with");
    }
    if (sw_offer_rollout_share(ro, now, &step, why, sizeof(why)) < 0) {
        json_decref(ro);
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "rollout: the policy would be refused by "
                            "clients: %s",
                            why);
    }
    if (repl && version && sw_version_check(version, NULL) == 0 &&
        sw_version_cmp(repl, version) == 0) {
        json_decref(ro);
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "rollout: --replace-with names the target's own version %s", version);
    }
    *ret = ro;
    return 0;
}

/* One line for people: "25% of machines", "3 waves from T (linear)", ", pulled ...". */
static void
rollout_say(struct sw_repo_cli *cli, const char *path, const json_t *ro)
{
    const json_t *w = json_object_get(ro, "waves");
    const char *repl = json_string_value(json_object_get(ro, "replace-with"));
    char share[160];
    if (json_is_object(w))
        snprintf(share, sizeof(share), "in %zu wave steps from %s (%s)",
                 json_array_size(json_object_get(w, "steps")),
                 json_string_value(json_object_get(w, "start")),
                 json_string_value(json_object_get(w, "ramp")));
    else if (json_is_integer(json_object_get(ro, "percent")))
        snprintf(share, sizeof(share), "to %" JSON_INTEGER_FORMAT "%% of machines",
                 json_integer_value(json_object_get(ro, "percent")));
    else
        snprintf(share, sizeof(share), "to every machine");
    sw_repo_say(cli, "target '%s' rolls out %s%s%s%s\n", path, share,
                json_is_true(json_object_get(ro, "pulled")) ? "; pulled" : "",
                repl ? ", machines on it move to " : "", repl ? repl : "");
}

int
sw_repo_cmd_rollout(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argv[0], *path = argv[1];
    struct sw_repo_expiry exp;
    struct sw_repo *repo = NULL;
    struct sw_repo_role *role = NULL;
    time_t now = sw_repo_now();
    json_t *signed_, *sw, *rollout = NULL;
    size_t dropped;
    int r;

    (void)argc;
    if ((r = sw_repo_parse_expiry(cli, now, &exp)) < 0)
        return r;
    if ((r = open_repo(cli, dir, &repo)) < 0)
        return r;
    if ((r = find_target_role(cli, repo, path, &role)) < 0)
        goto out;
    sw = json_object_get(
        json_object_get(
            json_object_get(
                json_object_get(json_object_get(sw_repo_role_current(role), "signed"), "targets"),
                path),
            "custom"),
        "slipway");
    if (!json_is_object(sw)) {
        r = sw_error_set(&cli->err, SW_E_INVAL,
                         "rollout: target '%s' has no custom.slipway fields; add it with "
                         "'slipway-repo add'",
                         path);
        goto out;
    }
    r = rollout_edit(cli, json_object_get(sw, "rollout"),
                     json_string_value(json_object_get(sw, "version")), now, &rollout);
    if (r < 0)
        goto out;
    r = sw_repo_stage(repo, role->name, &exp, now, &signed_, &dropped, &cli->err);
    if (r < 0)
        goto out;
    warn_dropped(role->name, dropped);
    sw = json_object_get(
        json_object_get(json_object_get(json_object_get(signed_, "targets"), path), "custom"),
        "slipway");
    if (json_object_set(sw, "rollout", rollout) < 0) {
        r = oom(cli);
        goto out;
    }
    json_object_set_new(cli->report, "target", json_string(path));
    json_object_set_new(cli->report, "role", json_string(role->name));
    if (json_is_integer(json_object_get(rollout, "percent")))
        json_object_set(cli->report, "percent", json_object_get(rollout, "percent"));
    json_object_set(cli->report, "rollout", rollout);
    rollout_say(cli, path, rollout);
    r = save_and_report(cli, repo, now);
out:
    json_decref(rollout);
    sw_repo_free(repo);
    return r;
}

/* --- delegate ---------------------------------------------------------------------------- */

enum {
    OPT_DEL_KEY = 1,
    OPT_DEL_THRESHOLD,
    OPT_DEL_PATHS,
    OPT_DEL_PREFIX,
    OPT_DEL_TERMINATING,
    OPT_DEL_FROM,
    OPT_DEL_SUCCINCT,
    OPT_DEL_HASH_PREFIX_FOR,
    OPT_DEL_BITS,
};

/* The most bins 'delegate --succinct' makes: 2^14 = 16 384 roles to sign and publish (TAP 15
 * repositories use up to 2^14; docs/repo.md has what each size costs). */
#define SW_REPO_MAX_SUCCINCT_BITS 14

const struct sw_opt sw_repo_delegate_opts[] = {
    {"key", 0, 1, OPT_DEL_KEY, "PUB", "a key of the role: NAME in the key directory or FILE.pub"},
    {"threshold", 0, 1, OPT_DEL_THRESHOLD, "N", "signatures the role needs (1)"},
    {"paths", 0, 1, OPT_DEL_PATHS, "GLOB", "target paths it may sign ('*' and '?' stop at '/')"},
    {"hash-prefix", 0, 1, OPT_DEL_PREFIX, "HEX", "or: targets whose path's sha256 starts with HEX"},
    {"terminating", 0, 0, OPT_DEL_TERMINATING, NULL, "a path it matches is searched nowhere else"},
    {"from", 0, 1, OPT_DEL_FROM, "PARENT", "the delegating role (default: targets)"},
    {"succinct", 0, 1, OPT_DEL_SUCCINCT, "BITS",
     "or: 2^BITS (1-14) TAP 15 hash bins ROLE-0...: each path in the bin its sha256 names"},
    {"hash-prefix-for", 0, 1, OPT_DEL_HASH_PREFIX_FOR, "PATH",
     "only print the sha256 of target PATH, its prefix and bin (with --bits or --succinct), "
     "the bin name for ROLE, or which of DIR's delegations ROLE holds it"},
    {"bits", 0, 1, OPT_DEL_BITS, "N", "with --hash-prefix-for: the first N bits (1-32)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static int
valid_prefix(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

/*
 * Resolve each --key of delegate to its public key: add it to the
 * delegator's `keys` object (dkeys) and its id to keyids (both borrowed),
 * and note its name in the repository.
 */
static int
delegation_keys(struct sw_repo_cli *cli, struct sw_repo *repo, struct sw_keyring *kr,
                const char **keys_arg, size_t n_keys, json_t *dkeys, json_t *keyids)
{
    for (size_t i = 0; i < n_keys; i++) {
        json_t *key = NULL;
        char id[SW_KEY_ID_HEX_SIZE], *kname = NULL;
        int r = sw_keyring_resolve_public(kr, keys_arg[i], &key, id, &kname, &cli->err);
        if (r < 0)
            return sw_error_prefix(&cli->err, "delegate: --key: ");
        r = json_object_set_new(dkeys, id, key) < 0 ||
                    json_array_append_new(keyids, json_string(id)) < 0
                ? oom(cli)
                : sw_repo_note_keyname(repo, id, kname, &cli->err);
        free(kname);
        if (r < 0)
            return r;
    }
    return 0;
}

/*
 * delegate --succinct BITS: "succinct_roles" in PARENT (instead of "roles")
 * and the 2^BITS bins NAME-HEX staged empty, signed by the bin keys at
 * commit. Changing the keys or threshold keeps the bins; changing the
 * number of bins is refused (the targets would have to move).
 */
static int
delegate_succinct(struct sw_repo_cli *cli, const char *dir, const char *name,
                  const char *parent_name, const char **keys_arg, size_t n_keys)
{
    long bits = 0, threshold = 1;
    struct sw_repo_expiry exp;
    struct sw_repo *repo = NULL;
    struct sw_keyring *kr = NULL;
    struct sw_repo_role *parent;
    json_t *signed_, *deleg, *dkeys, *old, *entry = NULL, *keyids = NULL, *holder = NULL;
    char bin[SW_MD_MAX_ROLE_NAME + 2];
    time_t now = sw_repo_now();
    size_t dropped, n_bins, n_new = 0;
    int changed = 0, r;

    if (sw_repo_opt(cli, OPT_DEL_PATHS) || sw_repo_opt(cli, OPT_DEL_PREFIX) ||
        sw_repo_opt_flag(cli, OPT_DEL_TERMINATING))
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "delegate: --succinct takes no --paths, --hash-prefix or "
                            "--terminating (a bin is trusted for the paths that hash to it)");
    if ((r = sw_repo_opt_int(cli, OPT_DEL_SUCCINCT, "succinct", 1, SW_REPO_MAX_SUCCINCT_BITS,
                             &bits)) < 0)
        return r;
    if ((r = sw_repo_opt_int(cli, OPT_DEL_THRESHOLD, "threshold", 1, (long)n_keys, &threshold)) < 0)
        return r;
    n_bins = (size_t)1 << bits;
    /* the longest bin name must be a role name slipway-repo accepts */
    if (sw_md_succinct_bin_name(name, (unsigned)bits, (uint32_t)(n_bins - 1), bin, sizeof(bin)) <
            0 ||
        sw_repo_check_role_name(bin, &cli->err) < 0)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "delegate: bin names '%s-...' would be longer than %d bytes", name,
                            SW_MD_MAX_ROLE_NAME);
    if ((r = sw_repo_parse_expiry(cli, now, &exp)) < 0)
        return r;
    if ((r = sw_repo_open_keyring(cli, dir, 0, &kr)) < 0)
        return r;
    if ((r = open_repo(cli, dir, &repo)) < 0)
        goto out;
    parent = sw_repo_role(repo, parent_name);
    if (!parent || !sw_repo_role_current(parent)) {
        r = sw_error_set(&cli->err, SW_E_NOTFOUND, "delegate: no role '%s' to delegate from",
                         parent_name);
        goto out;
    }
    if (sw_repo_role(repo, name)) {
        r = sw_error_set(&cli->err, SW_E_EXISTS,
                         "delegate: '%s' is a role; bins are named '%s-0'... after their prefix",
                         name, name);
        goto out;
    }
    deleg = json_object_get(json_object_get(sw_repo_role_current(parent), "signed"), "delegations");
    if (json_array_size(json_object_get(deleg, "roles")) > 0) {
        r = sw_error_set(&cli->err, SW_E_EXISTS,
                         "delegate: role '%s' already delegates by 'roles', and TAP 15 allows one "
                         "kind; delegate a role of its own first and the bins from it (--from)",
                         parent_name);
        goto out;
    }
    old = json_object_get(deleg, "succinct_roles");
    if (old) {
        const char *op = json_string_value(json_object_get(old, "name_prefix"));
        json_int_t ob = json_integer_value(json_object_get(old, "bit_length"));
        if (!op || strcmp(op, name) != 0 || ob != bits) {
            r = sw_error_set(
                &cli->err, SW_E_EXISTS,
                "delegate: role '%s' already has succinct bins '%s' of %" JSON_INTEGER_FORMAT
                " bits; only their keys and threshold can change",
                parent_name, op ? op : "?", ob);
            goto out;
        }
        changed = 1;
    }
    /* every bin name must be free (or already a bin of this parent) */
    for (size_t i = 0; i < n_bins; i++) {
        struct sw_repo_role *ex;
        sw_md_succinct_bin_name(name, (unsigned)bits, (uint32_t)i, bin, sizeof(bin));
        ex = sw_repo_role(repo, bin);
        if (ex && (!ex->parent || strcmp(ex->parent, parent_name) != 0)) {
            r = sw_error_set(&cli->err, SW_E_EXISTS,
                             "delegate: role '%s' is already delegated by '%s'", bin,
                             ex->parent ? ex->parent : "root");
            goto out;
        }
    }
    keyids = json_array();
    if (!keyids) {
        r = oom(cli);
        goto out;
    }
    r = sw_repo_stage(repo, parent_name, &exp, now, &signed_, &dropped, &cli->err);
    if (r < 0)
        goto out;
    warn_dropped(parent_name, dropped);
    deleg = json_object_get(signed_, "delegations");
    if (!deleg) {
        deleg = json_pack("{s:{}}", "keys");
        if (!deleg || json_object_set_new(signed_, "delegations", deleg) < 0) {
            r = oom(cli);
            goto out;
        }
    }
    json_object_del(deleg, "roles"); /* empty, checked above */
    dkeys = json_object_get(deleg, "keys");
    if (!json_is_object(dkeys)) {
        r = sw_error_set(&cli->err, SW_E_METADATA, "delegate: role '%s' has malformed delegations",
                         parent_name);
        goto out;
    }
    r = delegation_keys(cli, repo, kr, keys_arg, n_keys, dkeys, keyids);
    if (r < 0)
        goto out;
    entry = json_pack("{s:O,s:i,s:i,s:s}", "keyids", keyids, "threshold", (int)threshold,
                      "bit_length", (int)bits, "name_prefix", name);
    holder = json_pack("{s:O}", "bins", entry);
    if (!entry || !holder || json_object_set(deleg, "succinct_roles", entry) < 0) {
        r = oom(cli);
        goto out;
    }
    prune_keys(dkeys, holder);
    for (size_t i = 0; i < n_bins; i++) {
        sw_md_succinct_bin_name(name, (unsigned)bits, (uint32_t)i, bin, sizeof(bin));
        if (sw_repo_role(repo, bin))
            continue;
        r = sw_repo_stage_new_role(repo, bin, parent_name, &exp, now, &cli->err);
        if (r < 0)
            goto out;
        n_new++;
    }
    json_object_set_new(cli->report, "role", json_string(name));
    json_object_set_new(cli->report, "from", json_string(parent_name));
    json_object_set(cli->report, "succinct_roles", entry);
    json_object_set_new(cli->report, "bins", json_integer((json_int_t)n_bins));
    sw_md_succinct_bin_name(name, (unsigned)bits, (uint32_t)(n_bins - 1), bin, sizeof(bin));
    sw_repo_say(cli,
                "%s %zu hash bins '%s-%0*d' to '%s' from '%s' (%zu new): %zu key%s, "
                "threshold %ld\n",
                changed ? "changed" : "delegated", n_bins, name, (int)(((size_t)bits + 3) / 4), 0,
                bin, parent_name, n_new, n_keys, n_keys == 1 ? "" : "s", threshold);
    r = save_and_report(cli, repo, now);
out:
    json_decref(entry);
    json_decref(holder);
    json_decref(keyids);
    sw_keyring_free(kr);
    sw_repo_free(repo);
    return r;
}

int
sw_repo_cmd_delegate(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argc > 0 ? argv[0] : NULL, *name = argc > 1 ? argv[1] : NULL;
    const char *parent_name = sw_repo_opt(cli, OPT_DEL_FROM);
    const char *keys_arg[MAX_LIST], *paths[MAX_LIST], *prefixes[MAX_LIST];
    size_t n_keys = sw_repo_opt_all(cli, OPT_DEL_KEY, keys_arg, MAX_LIST);
    size_t n_paths = sw_repo_opt_all(cli, OPT_DEL_PATHS, paths, MAX_LIST);
    size_t n_prefixes = sw_repo_opt_all(cli, OPT_DEL_PREFIX, prefixes, MAX_LIST);
    long threshold = 1;
    struct sw_repo_expiry exp;
    struct sw_repo *repo = NULL;
    struct sw_keyring *kr = NULL;
    struct sw_repo_role *existing, *parent;
    json_t *signed_, *deleg, *dkeys, *droles, *entry = NULL, *keyids = NULL, *list = NULL;
    time_t now = sw_repo_now();
    size_t dropped;
    int r;

    if (sw_repo_opt(cli, OPT_DEL_HASH_PREFIX_FOR))
        return sw_repo_hash_prefix_for(cli, argc, argv, sw_repo_opt(cli, OPT_DEL_HASH_PREFIX_FOR),
                                       sw_repo_opt(cli, OPT_DEL_BITS),
                                       sw_repo_opt(cli, OPT_DEL_SUCCINCT));
    if (argc != 2 || sw_repo_opt(cli, OPT_DEL_BITS))
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "delegate: expected DIR ROLE (--bits goes with --hash-prefix-for)");
    if (!parent_name)
        parent_name = "targets";
    if (sw_repo_check_role_name(name, &cli->err) < 0)
        return sw_error_prefix(&cli->err, "delegate: ");
    if (n_keys == 0 || n_keys > MAX_LIST)
        return sw_error_set(&cli->err, SW_E_USAGE, "delegate: give 1 to %d --key", MAX_LIST);
    if (sw_repo_opt(cli, OPT_DEL_SUCCINCT))
        return delegate_succinct(cli, dir, name, parent_name, keys_arg, n_keys);
    if ((n_paths == 0) == (n_prefixes == 0) || n_paths > MAX_LIST || n_prefixes > MAX_LIST)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "delegate: give either --paths GLOB or --hash-prefix HEX (one or more "
                            "of one kind)");
    if ((r = sw_repo_opt_int(cli, OPT_DEL_THRESHOLD, "threshold", 1, (long)n_keys, &threshold)) < 0)
        return r;
    for (size_t i = 0; i < n_paths; i++)
        if (!*paths[i] || strlen(paths[i]) > SW_MD_MAX_PATH_LEN)
            return sw_error_set(&cli->err, SW_E_USAGE, "delegate: --paths must be 1 to %d bytes",
                                SW_MD_MAX_PATH_LEN);
    for (size_t i = 0; i < n_prefixes; i++)
        if (!valid_prefix(prefixes[i]))
            return sw_error_set(&cli->err, SW_E_USAGE,
                                "delegate: --hash-prefix '%s' must be 1 to 64 lowercase hex digits",
                                prefixes[i]);
    if ((r = sw_repo_parse_expiry(cli, now, &exp)) < 0)
        return r;
    if ((r = sw_repo_open_keyring(cli, dir, 0, &kr)) < 0)
        return r;
    if ((r = open_repo(cli, dir, &repo)) < 0)
        goto out;
    parent = sw_repo_role(repo, parent_name);
    if (!parent || !sw_repo_role_current(parent)) {
        r = sw_error_set(&cli->err, SW_E_NOTFOUND, "delegate: no role '%s' to delegate from",
                         parent_name);
        goto out;
    }
    existing = sw_repo_role(repo, name);
    if (existing && (!existing->parent || strcmp(existing->parent, parent_name) != 0)) {
        r = sw_error_set(&cli->err, SW_E_EXISTS, "delegate: role '%s' is already delegated by '%s'",
                         name, existing->parent ? existing->parent : "root");
        goto out;
    }
    keyids = json_array();
    if (!keyids) {
        r = oom(cli);
        goto out;
    }
    r = sw_repo_stage(repo, parent_name, &exp, now, &signed_, &dropped, &cli->err);
    if (r < 0)
        goto out;
    warn_dropped(parent_name, dropped);
    deleg = json_object_get(signed_, "delegations");
    if (!deleg) {
        deleg = json_pack("{s:{},s:[]}", "keys", "roles");
        if (!deleg || json_object_set_new(signed_, "delegations", deleg) < 0) {
            r = oom(cli);
            goto out;
        }
    }
    if (json_object_get(deleg, "succinct_roles")) {
        r = sw_error_set(&cli->err, SW_E_EXISTS,
                         "delegate: role '%s' delegates to TAP 15 hash bins, and a delegation "
                         "holds one kind; delegate from another role",
                         parent_name);
        goto out;
    }
    dkeys = json_object_get(deleg, "keys");
    droles = json_object_get(deleg, "roles");
    if (!json_is_object(dkeys) || !json_is_array(droles)) {
        r = sw_error_set(&cli->err, SW_E_METADATA, "delegate: role '%s' has malformed delegations",
                         parent_name);
        goto out;
    }
    r = delegation_keys(cli, repo, kr, keys_arg, n_keys, dkeys, keyids);
    if (r < 0)
        goto out;
    list = json_array();
    for (size_t i = 0; list && i < (n_paths ? n_paths : n_prefixes); i++)
        if (json_array_append_new(list, json_string(n_paths ? paths[i] : prefixes[i])) < 0) {
            json_decref(list);
            list = NULL;
        }
    entry =
        list ? json_pack("{s:s,s:O,s:i,s:b,s:O}", "name", name, "keyids", keyids, "threshold",
                         (int)threshold, "terminating", sw_repo_opt_flag(cli, OPT_DEL_TERMINATING),
                         n_paths ? "paths" : "path_hash_prefixes", list)
             : NULL;
    if (!entry) {
        r = oom(cli);
        goto out;
    }
    {
        size_t i, at = json_array_size(droles);
        json_t *e;
        json_array_foreach(droles, i, e)
        {
            const json_t *n = json_object_get(e, "name");
            if (json_is_string(n) && strcmp(json_string_value(n), name) == 0)
                at = i;
        }
        r = at < json_array_size(droles) ? json_array_set(droles, at, entry)
                                         : json_array_append(droles, entry);
        if (r < 0) {
            r = oom(cli);
            goto out;
        }
    }
    prune_keys(dkeys, droles);
    if (!existing) {
        r = sw_repo_stage_new_role(repo, name, parent_name, &exp, now, &cli->err);
        if (r < 0)
            goto out;
    }
    json_object_set_new(cli->report, "role", json_string(name));
    json_object_set_new(cli->report, "from", json_string(parent_name));
    json_object_set(cli->report, "delegation", entry);
    sw_repo_say(cli, "%s role '%s' from '%s': %zu key%s, threshold %ld, %zu %s%s\n",
                existing ? "changed" : "delegated", name, parent_name, n_keys,
                n_keys == 1 ? "" : "s", threshold, n_paths ? n_paths : n_prefixes,
                n_paths ? "path pattern(s)" : "hash prefix(es)",
                sw_repo_opt_flag(cli, OPT_DEL_TERMINATING) ? ", terminating" : "");
    r = save_and_report(cli, repo, now);
out:
    json_decref(entry);
    json_decref(keyids);
    json_decref(list);
    sw_keyring_free(kr);
    sw_repo_free(repo);
    return r;
}

/* --- rotate-root and renew ------------------------------------------------------------------ */

enum {
    OPT_ROT_ROLE = 1,
    OPT_ROT_ADD,
    OPT_ROT_REMOVE,
    OPT_ROT_THRESHOLD,
};

const struct sw_opt sw_repo_rotate_root_opts[] = {
    {"role", 0, 1, OPT_ROT_ROLE, "ROLE", "root (default), targets, snapshot or timestamp"},
    {"add-key", 0, 1, OPT_ROT_ADD, "PUB", "add a key to the role (NAME or FILE.pub; repeatable)"},
    {"remove-key", 0, 1, OPT_ROT_REMOVE, "KEY",
     "remove a key from the role (NAME, FILE.pub or key id; repeatable)"},
    {"threshold", 0, 1, OPT_ROT_THRESHOLD, "N", "signatures the role needs from now on"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static int
array_index(const json_t *a, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v) if (json_is_string(v) &&
                                    strcmp(json_string_value(v), s) == 0) return (int)i;
    return -1;
}

int
sw_repo_cmd_rotate_root(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argv[0];
    const char *role_name = sw_repo_opt(cli, OPT_ROT_ROLE);
    const char *adds[MAX_LIST], *removes[MAX_LIST];
    size_t n_add = sw_repo_opt_all(cli, OPT_ROT_ADD, adds, MAX_LIST);
    size_t n_remove = sw_repo_opt_all(cli, OPT_ROT_REMOVE, removes, MAX_LIST);
    long threshold = -1;
    struct sw_repo_expiry exp;
    struct sw_repo *repo = NULL;
    struct sw_keyring *kr = NULL;
    json_t *signed_, *keys, *roles, *role, *keyids;
    time_t now = sw_repo_now();
    size_t dropped;
    int r, ok = 0;

    (void)argc;
    if (!role_name)
        role_name = "root";
    for (size_t i = 0; i < 4; i++)
        ok |= strcmp(role_name, top_roles[i]) == 0;
    if (!ok)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "rotate-root: --role must be root, targets, snapshot or timestamp "
                            "(delegated roles change with 'delegate')");
    if (n_add > MAX_LIST || n_remove > MAX_LIST)
        return sw_error_set(&cli->err, SW_E_USAGE, "rotate-root: too many keys");
    if ((r = sw_repo_opt_int(cli, OPT_ROT_THRESHOLD, "threshold", 1, 256, &threshold)) < 0)
        return r;
    if ((r = sw_repo_parse_expiry(cli, now, &exp)) < 0)
        return r;
    if ((r = sw_repo_open_keyring(cli, dir, 0, &kr)) < 0)
        return r;
    if ((r = open_repo(cli, dir, &repo)) < 0)
        goto out;
    r = sw_repo_stage_root(repo, &exp, now, &signed_, &dropped, &cli->err);
    if (r < 0)
        goto out;
    warn_dropped("root", dropped);
    keys = json_object_get(signed_, "keys");
    roles = json_object_get(signed_, "roles");
    role = json_object_get(roles, role_name);
    keyids = json_object_get(role, "keyids");
    if (!json_is_object(keys) || !json_is_array(keyids)) {
        r = sw_error_set(&cli->err, SW_E_METADATA, "rotate-root: the root has no role '%s'",
                         role_name);
        goto out;
    }
    for (size_t i = 0; i < n_remove; i++) {
        int at = array_index(keyids, removes[i]);
        if (at < 0) {
            json_t *key = NULL;
            char id[SW_KEY_ID_HEX_SIZE], *kname = NULL;
            r = sw_keyring_resolve_public(kr, removes[i], &key, id, &kname, &cli->err);
            json_decref(key);
            free(kname);
            if (r < 0) {
                sw_error_prefix(&cli->err, "rotate-root: --remove-key: ");
                goto out;
            }
            at = array_index(keyids, id);
        }
        if (at < 0) {
            r = sw_error_set(&cli->err, SW_E_NOTFOUND,
                             "rotate-root: key '%s' is not a key of role '%s'", removes[i],
                             role_name);
            goto out;
        }
        json_array_remove(keyids, (size_t)at);
    }
    for (size_t i = 0; i < n_add; i++) {
        json_t *key = NULL;
        char id[SW_KEY_ID_HEX_SIZE], *kname = NULL;
        r = sw_keyring_resolve_public(kr, adds[i], &key, id, &kname, &cli->err);
        if (r < 0) {
            sw_error_prefix(&cli->err, "rotate-root: --add-key: ");
            goto out;
        }
        if (array_index(keyids, id) >= 0) {
            sw_log_warning("key '%s' is already a key of role '%s'", kname, role_name);
        } else if (json_object_set_new(keys, id, key) < 0 ||
                   json_array_append_new(keyids, json_string(id)) < 0) {
            free(kname);
            r = oom(cli);
            goto out;
        } else {
            key = NULL;
        }
        json_decref(key);
        r = sw_repo_note_keyname(repo, id, kname, &cli->err);
        free(kname);
        if (r < 0)
            goto out;
    }
    if (threshold > 0 && json_object_set_new(role, "threshold", json_integer(threshold)) < 0) {
        r = oom(cli);
        goto out;
    }
    threshold = (long)json_integer_value(json_object_get(role, "threshold"));
    if (json_array_size(keyids) == 0 || threshold > (long)json_array_size(keyids)) {
        r = sw_error_set(&cli->err, SW_E_INVAL,
                         "rotate-root: role '%s' would have %zu key%s for a threshold of %ld",
                         role_name, json_array_size(keyids),
                         json_array_size(keyids) == 1 ? "" : "s", threshold);
        goto out;
    }
    prune_keys(keys, roles);
    json_object_set_new(cli->report, "root_version",
                        json_object_get(signed_, "version")
                            ? json_incref(json_object_get(signed_, "version"))
                            : json_null());
    sw_repo_say(cli,
                "staged root version %" JSON_INTEGER_FORMAT ": role '%s' has %zu key%s, "
                "threshold %ld\n",
                json_integer_value(json_object_get(signed_, "version")), role_name,
                json_array_size(keyids), json_array_size(keyids) == 1 ? "" : "s", threshold);
    r = save_and_report(cli, repo, now);
out:
    sw_keyring_free(kr);
    sw_repo_free(repo);
    return r;
}

int
sw_repo_cmd_renew(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *dir = argv[0];
    struct sw_repo_expiry exp;
    struct sw_repo *repo = NULL;
    time_t now = sw_repo_now();
    json_t *signed_;
    size_t dropped;
    int r;

    if ((r = sw_repo_parse_expiry(cli, now, &exp)) < 0)
        return r;
    if ((r = open_repo(cli, dir, &repo)) < 0)
        return r;
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        if (strcmp(name, "snapshot") == 0 || strcmp(name, "timestamp") == 0) {
            r = sw_error_set(&cli->err, SW_E_USAGE,
                             "renew: '%s' is renewed by 'slipway-repo %s DIR', not staged", name,
                             name);
            goto out;
        }
        if (strcmp(name, "root") == 0)
            r = sw_repo_stage_root(repo, &exp, now, &signed_, &dropped, &cli->err);
        else
            r = sw_repo_stage(repo, name, &exp, now, &signed_, &dropped, &cli->err);
        if (r < 0) {
            sw_error_prefix(&cli->err, "renew: ");
            goto out;
        }
        warn_dropped(name, dropped);
        sw_repo_say(cli, "staged role '%s' version %" JSON_INTEGER_FORMAT ", expires %s\n", name,
                    json_integer_value(json_object_get(signed_, "version")),
                    json_string_value(json_object_get(signed_, "expires")));
    }
    r = save_and_report(cli, repo, now);
out:
    sw_repo_free(repo);
    return r;
}
