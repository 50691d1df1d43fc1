/* SPDX-License-Identifier: MIT */
/*
 * Error codes and messages: the one switch that names every code, and the
 * helpers that fill and prefix a struct sw_error. Printing is left to the
 * command layer.
 */
#include <slipway/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
sw_error_set(struct sw_error *err, int code, const char *fmt, ...)
{
    if (code < 0)
        code = -code;
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return -code;
}

int
sw_error_errno(struct sw_error *err, int code, int errnum, const char *fmt, ...)
{
    if (code < 0)
        code = -code;
    if (err) {
        va_list ap;
        size_t n;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
    }
    return -code;
}

int
sw_error_prefix(struct sw_error *err, const char *fmt, ...)
{
    char prefix[SW_ERROR_MSG_MAX];
    char old[SW_ERROR_MSG_MAX];
    va_list ap;

    if (!err)
        return -SW_E_INTERNAL;
    if (err->code == 0)
        err->code = SW_E_INTERNAL;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    old[sizeof(old) - 1] = '\0';
    {
        size_t pl = strlen(prefix), ol = strlen(old);
        if (pl > sizeof(err->msg) - 1)
            pl = sizeof(err->msg) - 1;
        if (ol > sizeof(err->msg) - 1 - pl)
            ol = sizeof(err->msg) - 1 - pl;
        memcpy(err->msg, prefix, pl);
        memcpy(err->msg + pl, old, ol);
        err->msg[pl + ol] = '\0';
    }
    return -err->code;
}

void
sw_error_clear(struct sw_error *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

struct errinfo {
    int code;
    const char *name;
    const char *text;
};

static const struct errinfo errinfos[] = {
    {SW_OK, "SW_OK", "success"},
    {SW_E_NOMEM, "SW_E_NOMEM", "out of memory"},
    {SW_E_INVAL, "SW_E_INVAL", "invalid value"},
    {SW_E_IO, "SW_E_IO", "input/output error"},
    {SW_E_EXISTS, "SW_E_EXISTS", "already exists"},
    {SW_E_NOTFOUND, "SW_E_NOTFOUND", "not found"},
    {SW_E_PERM, "SW_E_PERM", "unsafe permissions or permission denied"},
    {SW_E_LIMIT, "SW_E_LIMIT", "limit exceeded"},
    {SW_E_INTERNAL, "SW_E_INTERNAL", "internal error"},
    {SW_E_BUSY, "SW_E_BUSY", "another instance is running"},
    {SW_E_USAGE, "SW_E_USAGE", "usage error"},
    {SW_E_UNSUPPORTED, "SW_E_UNSUPPORTED", "not supported"},
    {SW_E_FAULT, "SW_E_FAULT", "injected fault"},
    {SW_E_CONFIG, "SW_E_CONFIG", "configuration error"},
    {SW_E_STORE, "SW_E_STORE", "state store error"},
    {SW_E_STORE_NEWER, "SW_E_STORE_NEWER", "state store schema is newer than this program"},
    {SW_E_STORE_FOREIGN, "SW_E_STORE_FOREIGN", "not a slipway state store"},
    {SW_E_STORE_CORRUPT, "SW_E_STORE_CORRUPT", "state store is damaged"},
    {SW_E_JSON, "SW_E_JSON", "malformed JSON"},
    {SW_E_METADATA, "SW_E_METADATA", "invalid metadata"},
    {SW_E_SIGNATURE, "SW_E_SIGNATURE", "signature check failed"},
    {SW_E_EXPIRED, "SW_E_EXPIRED", "metadata expired"},
    {SW_E_ROLLBACK, "SW_E_ROLLBACK", "version rollback"},
    {SW_E_HASH, "SW_E_HASH", "hash mismatch"},
    {SW_E_LENGTH, "SW_E_LENGTH", "length mismatch"},
    {SW_E_KEY, "SW_E_KEY", "invalid key"},
    {SW_E_PASSPHRASE, "SW_E_PASSPHRASE", "wrong passphrase or damaged key file"},
    {SW_E_WEAK_PASSPHRASE, "SW_E_WEAK_PASSPHRASE", "passphrase too weak"},
    {SW_E_VERSION, "SW_E_VERSION", "version mismatch"},
    {SW_E_REPO_UNSIGNED, "SW_E_REPO_UNSIGNED", "a staged role lacks signatures"},
    {SW_E_REPO_INVALID, "SW_E_REPO_INVALID", "the repository does not verify"},
    {SW_E_REPO_KEYDIR, "SW_E_REPO_KEYDIR", "key directory inside the repository"},
    {SW_E_KEYFILE, "SW_E_KEYFILE", "key, key file or passphrase file refused"},
    {SW_E_FETCH, "SW_E_FETCH", "download failed"},
    {SW_E_FETCH_NOTFOUND, "SW_E_FETCH_NOTFOUND", "not found on mirror"},
    {SW_E_FETCH_TOOBIG, "SW_E_FETCH_TOOBIG", "download exceeded its size cap"},
    {SW_E_FETCH_SLOW, "SW_E_FETCH_SLOW", "download too slow"},
    {SW_E_FETCH_TLS, "SW_E_FETCH_TLS", "TLS failure"},
    {SW_E_FETCH_PIN, "SW_E_FETCH_PIN", "server key does not match pin"},
    {SW_E_FETCH_REDIRECT, "SW_E_FETCH_REDIRECT", "redirect refused"},
    {SW_E_FETCH_HTTP, "SW_E_FETCH_HTTP", "HTTP error"},
    {SW_E_FETCH_URL, "SW_E_FETCH_URL", "URL refused"},
    {SW_E_FETCH_CONNECT, "SW_E_FETCH_CONNECT", "could not connect"},
    {SW_E_TRUST, "SW_E_TRUST", "repository not trusted"},
    {SW_E_TRUST_NOROOT, "SW_E_TRUST_NOROOT", "no trusted root"},
    {SW_E_BUNDLE, "SW_E_BUNDLE", "bundle refused"},
    {SW_E_NOSPACE, "SW_E_NOSPACE", "not enough free space"},
    {SW_E_SLOT, "SW_E_SLOT", "slot operation failed"},
    {SW_E_SLOT_MISMATCH, "SW_E_SLOT_MISMATCH", "slots and store disagree"},
    {SW_E_UPDATE_STATE, "SW_E_UPDATE_STATE", "not allowed in the update's state"},
    {SW_E_DOWNGRADE, "SW_E_DOWNGRADE", "downgrade refused"},
    {SW_E_CHECK, "SW_E_CHECK", "a required check failed"},
    {SW_E_ROLLED_BACK, "SW_E_ROLLED_BACK", "rolled back after a failed check"},
    {SW_E_DECLINED, "SW_E_DECLINED", "update declined"},
};

static const struct errinfo *
find_info(int code)
{
    size_t i;
    if (code < 0)
        code = -code;
    for (i = 0; i < sizeof(errinfos) / sizeof(errinfos[0]); i++)
        if (errinfos[i].code == code)
            return &errinfos[i];
    return NULL;
}

const char *
sw_strerror(int code)
{
    const struct errinfo *e = find_info(code);
    return e ? e->text : "unknown error";
}

const char *
sw_errcode_name(int code)
{
    const struct errinfo *e = find_info(code);
    return e ? e->name : "SW_E_UNKNOWN";
}
