/* SPDX-License-Identifier: MIT */
/*
 * The key directory of slipway-repo as a key ring: its placement outside
 * the repository, the public keys it holds, unlocking secret keys with the
 * passphrase policy (one passphrase tried for every key, asked again on a
 * terminal), and signing metadata envelopes. Key file formats and the
 * cryptography are keyfile.c's.
 */
#include "keyring.h"

#include <slipway/buf.h>
#include <slipway/cjson.h>
#include <slipway/fs.h>
#include <slipway/log.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ring_key {
    char *name;
    char id[SW_KEY_ID_HEX_SIZE];
    int has_secret;
    struct sw_signer *signer; /* once unlocked */
};

struct sw_keyring {
    char *dir;
    char *pass_file;
    struct sw_passphrase *pass;
    struct ring_key *keys;
    size_t n_keys;
    struct sw_signer **extra; /* unlocked keys without a NAME.pub */
    size_t n_extra;
};

/* --- placement ----------------------------------------------------------------- */

/*
 * realpath() of path or, when it does not exist, of its nearest existing
 * ancestor with the missing components appended. NULL when that cannot be
 * done (a missing "." or ".." component, out of memory).
 */
static char *
resolve_path(const char *path)
{
    char real[PATH_MAX];
    char *copy = NULL, *parent = NULL, *out = NULL;
    const char *base, *pdir;
    char *slash;
    size_t n;

    if (realpath(path, real))
        return strdup(real);
    if (errno != ENOENT)
        return NULL;
    copy = strdup(path);
    if (!copy)
        return NULL;
    n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    slash = strrchr(copy, '/');
    if (!slash) {
        pdir = ".";
        base = copy;
    } else if (slash == copy) {
        pdir = "/";
        base = slash + 1;
    } else {
        *slash = '\0';
        pdir = copy;
        base = slash + 1;
    }
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        goto out;
    parent = resolve_path(pdir);
    if (parent && asprintf(&out, "%s/%s", strcmp(parent, "/") == 0 ? "" : parent, base) < 0)
        out = NULL;
out:
    free(parent);
    free(copy);
    return out;
}

static int
is_within(const char *inner, const char *outer)
{
    size_t n = strlen(outer);
    if (strcmp(outer, "/") == 0)
        return 1;
    return strncmp(inner, outer, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

int
sw_keyring_check_placement(const char *key_dir, const char *repo_dir, struct sw_error *err)
{
    char *k = resolve_path(key_dir), *d = resolve_path(repo_dir);
    int r = 0;

    if (!k || !d) {
        r = sw_error_set(err, SW_E_IO, "cannot resolve the paths of '%s' and '%s'", key_dir,
                         repo_dir);
        goto out;
    }
    if (is_within(k, d))
        r = sw_error_set(err, SW_E_REPO_KEYDIR,
                         "key directory '%s' is inside the repository '%s', which gets served; "
                         "keep secret keys outside it (--key-dir)",
                         key_dir, repo_dir);
    else if (is_within(d, k))
        r = sw_error_set(err, SW_E_REPO_KEYDIR,
                         "the repository '%s' is inside the key directory '%s'; serving it would "
                         "serve the secret keys",
                         repo_dir, key_dir);
out:
    free(k);
    free(d);
    return r;
}

/* --- the ring -------------------------------------------------------------------- */

static int
cmp_keys(const void *a, const void *b)
{
    return strcmp(((const struct ring_key *)a)->name, ((const struct ring_key *)b)->name);
}

int
sw_keyring_open(const char *key_dir, const char *pass_file, struct sw_keyring **ret,
                struct sw_error *err)
{
    struct sw_keyring *kr = calloc(1, sizeof(*kr));
    DIR *d = NULL;
    struct dirent *de;
    int r = 0;

    if (!kr)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    kr->dir = strdup(key_dir);
    kr->pass_file = pass_file ? strdup(pass_file) : NULL;
    if (!kr->dir || (pass_file && !kr->pass_file)) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    d = opendir(key_dir);
    if (!d) {
        r = sw_error_errno(err, errno == ENOENT ? SW_E_NOTFOUND : SW_E_IO, errno,
                           "cannot open key directory '%s'", key_dir);
        goto out;
    }
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        char name[SW_KEY_NAME_MAX + 1];
        json_t *pub = NULL;
        struct sw_error e2 = SW_ERROR_INIT;
        struct ring_key *k;

        if (n <= 4 || n - 4 > SW_KEY_NAME_MAX || strcmp(de->d_name + n - 4, ".pub") != 0)
            continue;
        memcpy(name, de->d_name, n - 4);
        name[n - 4] = '\0';
        if (sw_keyfile_check_name(name, NULL) < 0)
            continue;
        if (kr->n_keys >= SW_KEYRING_MAX_KEYS) {
            r = sw_error_set(err, SW_E_LIMIT, "key directory '%s' holds more than %d keys", key_dir,
                             SW_KEYRING_MAX_KEYS);
            goto out;
        }
        if (sw_keyfile_load_public(key_dir, name, &pub, &e2) < 0) {
            sw_log_debug("skipping '%s/%s': %s", key_dir, de->d_name, e2.msg);
            continue;
        }
        k = realloc(kr->keys, (kr->n_keys + 1) * sizeof(*k));
        if (!k) {
            json_decref(pub);
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto out;
        }
        kr->keys = k;
        k = &kr->keys[kr->n_keys];
        memset(k, 0, sizeof(*k));
        r = sw_key_id_compute(pub, k->id, err);
        json_decref(pub);
        if (r < 0)
            goto out;
        k->name = strdup(name);
        if (!k->name) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto out;
        }
        {
            char *sec = NULL;
            if (asprintf(&sec, "%s/%s.sec", key_dir, name) < 0) {
                r = sw_error_set(err, SW_E_NOMEM, "out of memory");
                goto out;
            }
            k->has_secret = sw_fs_exists(sec, NULL) == 1;
            free(sec);
        }
        kr->n_keys++;
    }
    if (kr->n_keys > 1)
        qsort(kr->keys, kr->n_keys, sizeof(*kr->keys), cmp_keys);
out:
    if (d)
        closedir(d);
    if (r < 0) {
        sw_keyring_free(kr);
        return r;
    }
    *ret = kr;
    return 0;
}

void
sw_keyring_free(struct sw_keyring *kr)
{
    if (!kr)
        return;
    for (size_t i = 0; i < kr->n_keys; i++) {
        free(kr->keys[i].name);
        sw_signer_free(kr->keys[i].signer);
    }
    for (size_t i = 0; i < kr->n_extra; i++)
        sw_signer_free(kr->extra[i]);
    free(kr->extra);
    free(kr->keys);
    sw_passphrase_free(kr->pass);
    free(kr->pass_file);
    free(kr->dir);
    free(kr);
}

const char *
sw_keyring_dir(const struct sw_keyring *kr)
{
    return kr->dir;
}

static struct ring_key *
by_id(const struct sw_keyring *kr, const char *keyid)
{
    for (size_t i = 0; kr && i < kr->n_keys; i++)
        if (strcmp(kr->keys[i].id, keyid) == 0)
            return &kr->keys[i];
    return NULL;
}

static struct ring_key *
by_name(const struct sw_keyring *kr, const char *name)
{
    for (size_t i = 0; kr && i < kr->n_keys; i++)
        if (strcmp(kr->keys[i].name, name) == 0)
            return &kr->keys[i];
    return NULL;
}

const char *
sw_keyring_name_of(const struct sw_keyring *kr, const char *keyid)
{
    struct ring_key *k = by_id(kr, keyid);
    return k ? k->name : NULL;
}

int
sw_keyring_can_sign(const struct sw_keyring *kr, const char *keyid)
{
    struct ring_key *k = by_id(kr, keyid);
    return k && k->has_secret;
}

int
sw_keyring_resolve_public(const struct sw_keyring *kr, const char *arg, json_t **ret_key,
                          char ret_id[SW_KEY_ID_HEX_SIZE], char **ret_name, struct sw_error *err)
{
    size_t n = strlen(arg);
    char *dir = NULL, *name = NULL;
    json_t *key = NULL;
    int r;

    if (strchr(arg, '/') || (n > 4 && strcmp(arg + n - 4, ".pub") == 0)) {
        const char *slash = strrchr(arg, '/');
        const char *base = slash ? slash + 1 : arg;
        size_t bl = strlen(base);
        dir = slash ? strndup(arg, (size_t)(slash - arg) + (slash == arg)) : strdup(".");
        if (bl <= 4 || strcmp(base + bl - 4, ".pub") != 0) {
            free(dir);
            return sw_error_set(err, SW_E_INVAL, "public key file '%s' must be named NAME.pub",
                                arg);
        }
        name = strndup(base, bl - 4);
    } else {
        if (!kr)
            return sw_error_set(err, SW_E_USAGE,
                                "key '%s' is a name, but no key directory is given (--key-dir)",
                                arg);
        dir = strdup(kr->dir);
        name = strdup(arg);
    }
    if (!dir || !name) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    r = sw_keyfile_load_public(dir, name, &key, err);
    if (r < 0)
        goto out;
    r = sw_key_id_compute(key, ret_id, err);
    if (r < 0)
        goto out;
    *ret_key = key;
    key = NULL;
    *ret_name = name;
    name = NULL;
out:
    json_decref(key);
    free(dir);
    free(name);
    return r;
}

/* --- unlocking -------------------------------------------------------------------- */

static int
ask(const char *prompt, struct sw_passphrase **ret, struct sw_error *err)
{
    return sw_passphrase_read_tty(prompt, NULL, ret, err);
}

int
sw_keyring_unlock(struct sw_keyring *kr, const char *name, struct sw_signer **ret,
                  struct sw_error *err)
{
    struct ring_key *k = by_name(kr, name);
    struct sw_signer *s = NULL;
    int r;

    if (k && k->signer) {
        *ret = k->signer;
        return 0;
    }
    if (!kr->pass) {
        if (kr->pass_file) {
            r = sw_passphrase_read_file(kr->pass_file, &kr->pass, err);
        } else {
            char prompt[PATH_MAX + 64];
            snprintf(prompt, sizeof(prompt), "passphrase for the keys in '%s': ", kr->dir);
            r = ask(prompt, &kr->pass, err);
        }
        if (r < 0)
            return r;
    }
    r = sw_keyfile_load_signer(kr->dir, name, kr->pass, &s, err);
    /* on a terminal: SW_KEYRING_TTY_TRIES answers in all, each wrong one said so */
    for (int tries = 1; r == -SW_E_PASSPHRASE && !kr->pass_file && tries < SW_KEYRING_TTY_TRIES;
         tries++) {
        struct sw_passphrase *p = NULL;
        char prompt[2 * SW_KEY_NAME_MAX + 128];
        struct sw_error e2 = SW_ERROR_INIT;
        int left = SW_KEYRING_TTY_TRIES - tries;
        snprintf(prompt, sizeof(prompt),
                 "wrong passphrase for key '%s' (%d tr%s left)\npassphrase for key '%s': ", name,
                 left, left == 1 ? "y" : "ies", name);
        if (ask(prompt, &p, &e2) < 0)
            break;
        sw_error_clear(err);
        r = sw_keyfile_load_signer(kr->dir, name, p, &s, err);
        sw_passphrase_free(p);
    }
    if (r < 0)
        return r;
    if (k) {
        k->signer = s;
    } else {
        struct sw_signer **nx = realloc(kr->extra, (kr->n_extra + 1) * sizeof(*nx));
        if (!nx) {
            sw_signer_free(s);
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        }
        kr->extra = nx;
        kr->extra[kr->n_extra++] = s;
    }
    *ret = s;
    return 0;
}

void
sw_keyring_set_passphrase(struct sw_keyring *kr, struct sw_passphrase *pass)
{
    sw_passphrase_free(kr->pass);
    kr->pass = pass;
}

int
sw_keyring_signer_id(const struct sw_signer *s, char ret_id[SW_KEY_ID_HEX_SIZE],
                     struct sw_error *err)
{
    return sw_key_id_compute(sw_signer_public_json(s), ret_id, err);
}

/* --- envelopes -------------------------------------------------------------------- */

int
sw_keyring_sign_envelope(json_t *envelope, struct sw_signer *s, const char *keyid,
                         struct sw_error *err)
{
    struct sw_buf buf = SW_BUF_INIT(0);
    int r;

    const json_t *signed_ = json_object_get(envelope, "signed");
    if (!json_is_object(signed_))
        return sw_error_set(err, SW_E_METADATA, "the envelope has no 'signed' object");
    r = sw_cjson_encode(signed_, &buf, err);
    if (r == 0)
        r = sw_keyring_sign_canonical(envelope, s, keyid, buf.data, buf.len, err);
    sw_buf_release(&buf);
    return r;
}

int
sw_keyring_sign_canonical(json_t *envelope, struct sw_signer *s, const char *keyid,
                          const void *canonical, size_t len, struct sw_error *err)
{
    json_t *sigs, *entry = NULL;
    char *sig = NULL;
    int r;

    r = sw_signer_sign(s, canonical, len, &sig, err);
    if (r < 0)
        goto out;
    sigs = json_object_get(envelope, "signatures");
    if (!json_is_array(sigs)) {
        sigs = json_array();
        if (!sigs || json_object_set_new(envelope, "signatures", sigs) < 0) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto out;
        }
    }
    entry = json_pack("{s:s,s:s}", "keyid", keyid, "sig", sig);
    if (!entry) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(sigs); i++) {
        const json_t *k = json_object_get(json_array_get(sigs, i), "keyid");
        if (json_is_string(k) && strcmp(json_string_value(k), keyid) == 0) {
            r = json_array_set(sigs, i, entry) < 0 ? sw_error_set(err, SW_E_NOMEM, "out of memory")
                                                   : 0;
            goto out;
        }
    }
    if (json_array_append(sigs, entry) < 0)
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
out:
    json_decref(entry);
    free(sig);
    return r;
}
