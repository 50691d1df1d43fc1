/* SPDX-License-Identifier: MIT */
/*
 * Configuration parsing: feeds the file to inih line by line (so every
 * message carries FILE:LINE, and section headers are seen even when a
 * section is empty), dispatches each key through one table to its parser,
 * and checks the whole once parsed. Acting on the values is left to others.
 */
#include <slipway/config.h>
#include <slipway/fs.h>
#include <slipway/window.h>

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum conf_section {
    SECT_NONE,
    SECT_SLIPWAY,
    SECT_FETCH,
    SECT_STAGE,
    SECT_MIRROR,
    SECT_HOOK,
};

/* A parser fills *dest from value, or writes why it is wrong and returns -1. */
typedef int (*conf_parser)(const char *value, void *dest, char *why, size_t whylen);

struct conf_item {
    enum conf_section section;
    const char *key;
    conf_parser parse;
    size_t offset; /* into struct sw_config, sw_mirror or sw_hook_config */
};

struct parse_state {
    const char *name; /* file name for messages */
    const char *p, *end;
    int lineno;
    enum conf_section section;
    size_t section_index; /* mirror or hook being filled */
    unsigned section_serial;
    /* keys seen in the current section, for duplicate detection */
    char **seen;
    size_t n_seen;
    struct sw_config *cfg;
    struct sw_error *err;
    int failed;
    int mirror_url_line[SW_CONFIG_MAX_MIRRORS];
};

static int fail_at(struct parse_state *ps, int line, const char *fmt, ...) SW_PRINTF(3, 4);

static int
fail_at(struct parse_state *ps, int line, const char *fmt, ...)
{
    char msg[SW_ERROR_MSG_MAX];
    va_list ap;

    if (ps->failed)
        return 0;
    ps->failed = 1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sw_error_set(ps->err, SW_E_CONFIG, "%s:%d: %s", ps->name, line, msg);
    return 0;
}

/* --- value parsers ------------------------------------------------------------ */

static int
set_string(char **dest, const char *value)
{
    char *s = strdup(value);
    if (!s)
        return -1;
    free(*dest);
    *dest = s;
    return 0;
}

static int
parse_string(const char *value, void *dest, char *why, size_t whylen)
{
    if (!*value) {
        snprintf(why, whylen, "must not be empty");
        return -1;
    }
    if (set_string(dest, value) < 0) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    return 0;
}

/* A maintenance window (slipway/window.h); empty means always. */
static int
parse_window(const char *value, void *dest, char *why, size_t whylen)
{
    struct sw_error e = SW_ERROR_INIT;
    struct sw_window *w = NULL;
    if (sw_window_parse(value, &w, &e) < 0) {
        snprintf(why, whylen, "%s", e.msg);
        return -1;
    }
    sw_window_free(w);
    if (set_string(dest, value) < 0) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    return 0;
}

static int
parse_ident(const char *value, void *dest, char *why, size_t whylen)
{
    size_t n = strlen(value);
    if (n == 0 || n > 128 ||
        strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n) {
        snprintf(why, whylen, "must be 1 to 128 letters, digits, '.', '_' or '-'");
        return -1;
    }
    return parse_string(value, dest, why, whylen);
}

static int
parse_abspath(const char *value, void *dest, char *why, size_t whylen)
{
    if (value[0] != '/') {
        snprintf(why, whylen, "must be an absolute path");
        return -1;
    }
    if (strlen(value) > 4000) {
        snprintf(why, whylen, "is too long");
        return -1;
    }
    return parse_string(value, dest, why, whylen);
}

static int
parse_bool(const char *value, void *dest, char *why, size_t whylen)
{
    static const char *yes[] = {"yes", "true", "on", "1"};
    static const char *no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0) {
            *(int *)dest = 1;
            return 0;
        }
        if (strcasecmp(value, no[i]) == 0) {
            *(int *)dest = 0;
            return 0;
        }
    }
    snprintf(why, whylen, "must be 'yes' or 'no'");
    return -1;
}

/* An unsigned number with an optional multiplier suffix. */
static int
parse_number(const char *value, uint64_t max, const char *suffixes, const uint64_t *mult,
             uint64_t *ret, char *why, size_t whylen, const char *what)
{
    char *end;
    unsigned long long v;
    uint64_t m = 1;

    if (!isdigit((unsigned char)value[0])) {
        snprintf(why, whylen, "must be %s", what);
        return -1;
    }
    errno = 0;
    v = strtoull(value, &end, 10);
    if (errno) {
        snprintf(why, whylen, "is out of range");
        return -1;
    }
    if (*end) {
        const char *s = suffixes ? strchr(suffixes, *end) : NULL;
        if (!s || end[1] != '\0') {
            snprintf(why, whylen, "must be %s", what);
            return -1;
        }
        m = mult[s - suffixes];
    }
    if (v > max / m) {
        snprintf(why, whylen, "is out of range (at most %llu)", (unsigned long long)max);
        return -1;
    }
    *ret = v * m;
    return 0;
}

static int
parse_seconds(const char *value, void *dest, char *why, size_t whylen)
{
    static const uint64_t mult[] = {1, 60, 3600};
    uint64_t v;
    if (parse_number(value, 7 * 86400, "smh", mult, &v, why, whylen,
                     "a number of seconds (suffix s, m or h allowed)") < 0)
        return -1;
    *(unsigned *)dest = (unsigned)v;
    return 0;
}

static int
parse_count(const char *value, void *dest, char *why, size_t whylen)
{
    uint64_t v;
    if (parse_number(value, 100, NULL, NULL, &v, why, whylen, "a whole number") < 0)
        return -1;
    *(unsigned *)dest = (unsigned)v;
    return 0;
}

/* Delegated roles one walk keeps: 2^16 succinct bins plus headroom at most. */
#define MAX_DELEGATED_ROLES_CAP (1U << 17)

static int
parse_roles(const char *value, void *dest, char *why, size_t whylen)
{
    uint64_t v;
    if (parse_number(value, MAX_DELEGATED_ROLES_CAP, NULL, NULL, &v, why, whylen,
                     "a whole number") < 0)
        return -1;
    if (v == 0) {
        snprintf(why, whylen, "must be at least 1");
        return -1;
    }
    *(unsigned *)dest = (unsigned)v;
    return 0;
}

static int
parse_uint(const char *value, void *dest, char *why, size_t whylen)
{
    uint64_t v;
    if (parse_number(value, UINT32_MAX, NULL, NULL, &v, why, whylen, "a whole number") < 0)
        return -1;
    *(unsigned *)dest = (unsigned)v;
    return 0;
}

static int
parse_size(const char *value, void *dest, char *why, size_t whylen)
{
    static const uint64_t mult[] = {1024, 1024 * 1024, 1024ULL * 1024 * 1024,
                                    1024ULL * 1024 * 1024 * 1024};
    return parse_number(value, UINT64_C(1) << 50, "KMGT", mult, dest, why, whylen,
                        "a number of bytes (suffix K, M, G or T allowed)");
}

/* A yes/no into a bool (parse_bool fills an int). */
static int
parse_flag(const char *value, void *dest, char *why, size_t whylen)
{
    int v;
    if (parse_bool(value, &v, why, whylen) < 0)
        return -1;
    *(bool *)dest = v != 0;
    return 0;
}

/* A count of bundle entries, at least 1. */
static int
parse_entries(const char *value, void *dest, char *why, size_t whylen)
{
    uint64_t v;
    if (parse_number(value, UINT64_C(1) << 32, NULL, NULL, &v, why, whylen, "a whole number") < 0)
        return -1;
    if (v == 0) {
        snprintf(why, whylen, "must be at least 1");
        return -1;
    }
    *(uint64_t *)dest = v;
    return 0;
}

/* A byte cap that must not be 0. */
static int
parse_cap(const char *value, void *dest, char *why, size_t whylen)
{
    if (parse_size(value, dest, why, whylen) < 0)
        return -1;
    if (*(uint64_t *)dest == 0) {
        snprintf(why, whylen, "must not be 0");
        return -1;
    }
    return 0;
}

/* hook-output-max: 1 byte .. SW_CONFIG_MAX_HOOK_OUTPUT. */
static int
parse_output_max(const char *value, void *dest, char *why, size_t whylen)
{
    if (parse_cap(value, dest, why, whylen) < 0)
        return -1;
    if (*(uint64_t *)dest > SW_CONFIG_MAX_HOOK_OUTPUT) {
        snprintf(why, whylen, "is out of range (at most %d)", SW_CONFIG_MAX_HOOK_OUTPUT);
        return -1;
    }
    return 0;
}

/* A user name as useradd(8) allows: letters, digits, '_', '-', '.', not first '-'. */
static int
parse_username(const char *value, void *dest, char *why, size_t whylen)
{
    size_t n = strlen(value);
    if (n == 0 || n > 32 || value[0] == '-' ||
        strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n) {
        snprintf(why, whylen, "must be a user name (1 to 32 letters, digits, '.', '_' or '-')");
        return -1;
    }
    return parse_string(value, dest, why, whylen);
}

static int
parse_backend(const char *value, void *dest, char *why, size_t whylen)
{
    /* the backends this build has; the slot module owns their behaviour */
    static const char *const known[] = {"dir"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(value, known[i]) == 0)
            return parse_string(value, dest, why, whylen);
    snprintf(why, whylen, "must be 'dir' (the only slot backend in this build)");
    return -1;
}

static int
parse_pathlist(const char *value, void *dest, char *why, size_t whylen)
{
    struct sw_strlist *list = dest;
    char **out = NULL;
    size_t n = 0;
    char *copy = strdup(value), *save = NULL, *tok;

    if (!copy) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        char **nl;
        if (tok[0] != '/' || n >= 16) {
            snprintf(why, whylen,
                     tok[0] != '/' ? "'%s' is not an absolute path"
                                   : "lists more than 16 directories",
                     tok);
            goto fail;
        }
        nl = realloc(out, (n + 1) * sizeof(*out));
        if (!nl || !(nl[n] = strdup(tok))) {
            if (nl)
                out = nl;
            snprintf(why, whylen, "out of memory");
            goto fail;
        }
        out = nl;
        n++;
    }
    free(copy);
    if (n == 0) {
        snprintf(why, whylen, "must list at least one directory");
        return -1;
    }
    for (size_t i = 0; i < list->n; i++)
        free(list->v[i]);
    free(list->v);
    list->v = out;
    list->n = n;
    return 0;
fail:
    for (size_t i = 0; i < n; i++)
        free(out[i]);
    free(out);
    free(copy);
    return -1;
}

static int
parse_url(const char *value, void *dest, char *why, size_t whylen)
{
    char **d = dest;
    size_t n = strlen(value);
    const char *rest;

    if (strncmp(value, "https://", 8) == 0)
        rest = value + 8;
    else if (strncmp(value, "http://", 7) == 0)
        rest = value + 7;
    else if (strncmp(value, "file://", 7) == 0)
        rest = value + 7;
    else {
        snprintf(why, whylen, "must be an https://, http:// or file:// URL");
        return -1;
    }
    if (!*rest || strpbrk(value, " \t\"<>\\^`{|}") || strchr(value, '?') || strchr(value, '#')) {
        snprintf(why, whylen, "is not a valid base URL (no spaces, query or fragment)");
        return -1;
    }
    if (n > 2000) {
        snprintf(why, whylen, "is too long");
        return -1;
    }
    free(*d);
    if (asprintf(d, "%s%s", value, value[n - 1] == '/' ? "" : "/") < 0) {
        *d = NULL;
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    return 0;
}

static int
is_base64_sha256(const char *s, size_t n)
{
    /* 32 bytes in base64: 43 characters and one '=' */
    if (n != 44 || s[43] != '=')
        return 0;
    for (size_t i = 0; i < 43; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/')
            return 0;
    return 1;
}

static int
parse_pin(const char *value, void *dest, char *why, size_t whylen)
{
    const char *p = value;
    for (;;) {
        size_t n = strcspn(p, ";");
        if (n < 8 || strncmp(p, "sha256//", 8) != 0 || !is_base64_sha256(p + 8, n - 8)) {
            snprintf(why, whylen,
                     "must be 'sha256//' and the base64 SHA-256 of the server's public key "
                     "(several separated by ';')");
            return -1;
        }
        p += n;
        if (!*p)
            break;
        p++;
    }
    return parse_string(value, dest, why, whylen);
}

/* --- the table -------------------------------------------------------------------- */

#define CFG(field) offsetof(struct sw_config, field)
#define MIR(field) offsetof(struct sw_mirror, field)
#define HOOK(field) offsetof(struct sw_hook_config, field)

static const struct conf_item conf_items[] = {
    {SECT_SLIPWAY, "state-dir", parse_abspath, CFG(state_dir)},
    {SECT_SLIPWAY, "compatible", parse_ident, CFG(compatible)},
    {SECT_SLIPWAY, "channel", parse_ident, CFG(channel)},
    {SECT_SLIPWAY, "slot-backend", parse_backend, CFG(slot_backend)},
    {SECT_SLIPWAY, "slot-a", parse_abspath, CFG(slot_a)},
    {SECT_SLIPWAY, "slot-b", parse_abspath, CFG(slot_b)},
    {SECT_SLIPWAY, "current", parse_abspath, CFG(current)},
    {SECT_SLIPWAY, "hook-timeout", parse_seconds, CFG(hook_timeout)},
    {SECT_SLIPWAY, "hook-dirs", parse_pathlist, CFG(hook_dirs)},
    {SECT_SLIPWAY, "hook-grace", parse_seconds, CFG(hook_grace)},
    {SECT_SLIPWAY, "hook-retries", parse_count, CFG(hook_retries)},
    {SECT_SLIPWAY, "hook-retry-delay", parse_seconds, CFG(hook_retry_delay)},
    {SECT_SLIPWAY, "hook-output-max", parse_output_max, CFG(hook_output_max)},
    {SECT_SLIPWAY, "hook-lib", parse_abspath, CFG(hook_lib)},
    {SECT_SLIPWAY, "canary", parse_bool, CFG(canary)},
    {SECT_SLIPWAY, "maintenance-window", parse_window, CFG(maintenance_window)},
    {SECT_SLIPWAY, "update-timeout", parse_seconds, CFG(update_timeout)},
    {SECT_SLIPWAY, "metrics-file", parse_abspath, CFG(metrics_file)},
    {SECT_FETCH, "connect-timeout", parse_seconds, CFG(connect_timeout)},
    {SECT_FETCH, "timeout", parse_seconds, CFG(timeout)},
    {SECT_FETCH, "low-speed-limit", parse_uint, CFG(low_speed_limit)},
    {SECT_FETCH, "low-speed-time", parse_seconds, CFG(low_speed_time)},
    {SECT_FETCH, "max-bandwidth", parse_size, CFG(max_bandwidth)},
    {SECT_FETCH, "retries", parse_count, CFG(retries)},
    {SECT_FETCH, "max-root-size", parse_size, CFG(max_root_size)},
    {SECT_FETCH, "max-timestamp-size", parse_size, CFG(max_timestamp_size)},
    {SECT_FETCH, "max-metadata-size", parse_size, CFG(max_metadata_size)},
    {SECT_FETCH, "max-target-size", parse_size, CFG(max_target_size)},
    {SECT_FETCH, "max-delegated-roles", parse_roles, CFG(max_delegated_roles)},
    {SECT_STAGE, "max-bytes", parse_cap, CFG(stage.max_bytes)},
    {SECT_STAGE, "max-entries", parse_entries, CFG(stage.max_entries)},
    {SECT_STAGE, "max-entry-bytes", parse_cap, CFG(stage.max_entry_bytes)},
    {SECT_STAGE, "reserve", parse_size, CFG(stage.reserve_bytes)},
    {SECT_STAGE, "allow-devices", parse_flag, CFG(stage.allow_devices)},
    {SECT_STAGE, "allow-fifos", parse_flag, CFG(stage.allow_fifos)},
    {SECT_STAGE, "keep-setid", parse_flag, CFG(stage.keep_setid)},
    {SECT_STAGE, "keep-xattrs", parse_flag, CFG(stage.keep_xattrs)},
    {SECT_STAGE, "restore-owner", parse_flag, CFG(stage.restore_owner)},
    {SECT_MIRROR, "metadata-url", parse_url, MIR(metadata_url)},
    {SECT_MIRROR, "targets-url", parse_url, MIR(targets_url)},
    {SECT_MIRROR, "pin", parse_pin, MIR(pin)},
    {SECT_MIRROR, "ca-file", parse_abspath, MIR(ca_file)},
    {SECT_MIRROR, "allow-insecure-http", parse_bool, MIR(allow_insecure_http)},
    {SECT_HOOK, "required", parse_bool, HOOK(required)},
    {SECT_HOOK, "timeout", parse_seconds, HOOK(timeout)},
    {SECT_HOOK, "user", parse_username, HOOK(user)},
};

static const char *
section_word(enum conf_section s)
{
    switch (s) {
    case SECT_SLIPWAY:
        return "slipway";
    case SECT_FETCH:
        return "fetch";
    case SECT_STAGE:
        return "stage";
    case SECT_MIRROR:
        return "mirror";
    case SECT_HOOK:
        return "hook";
    case SECT_NONE:
        break;
    }
    return "(none)";
}

/* --- walking the effective configuration ------------------------------------------ */

/* Value of one table item as it would be written in the file; NULL when unset. */
static int
format_item(const struct conf_item *it, const void *base, char **ret)
{
    const void *p = (const char *)base + it->offset;
    int n;

    *ret = NULL;
    if (it->parse == parse_bool)
        n = asprintf(ret, "%s", *(const int *)p ? "yes" : "no");
    else if (it->parse == parse_flag)
        n = asprintf(ret, "%s", *(const bool *)p ? "yes" : "no");
    else if (it->parse == parse_seconds || it->parse == parse_count || it->parse == parse_uint ||
             it->parse == parse_roles)
        n = asprintf(ret, "%u", *(const unsigned *)p);
    else if (it->parse == parse_size || it->parse == parse_cap || it->parse == parse_output_max) {
        /* the largest suffix that says it exactly, as slipway.conf(5) writes defaults */
        static const char suffix[] = "KMGT";
        unsigned long long v = *(const uint64_t *)p;
        int k = 0;
        while (v && k < 4 && v % 1024 == 0) {
            v /= 1024;
            k++;
        }
        n = k ? asprintf(ret, "%llu%c", v, suffix[k - 1]) : asprintf(ret, "%llu", v);
    } else if (it->parse == parse_entries)
        n = asprintf(ret, "%llu", (unsigned long long)*(const uint64_t *)p);
    else if (it->parse == parse_pathlist) {
        const struct sw_strlist *l = p;
        size_t len = 1;
        char *s;
        for (size_t i = 0; i < l->n; i++)
            len += strlen(l->v[i]) + 1;
        if (!(s = malloc(len)))
            return -1;
        s[0] = '\0';
        for (size_t i = 0; i < l->n; i++) {
            if (i)
                strcat(s, " ");
            strcat(s, l->v[i]);
        }
        *ret = s;
        return 0;
    } else {
        const char *v = *(char *const *)p; /* every other parser fills a string */
        if (!v)
            return 0;
        n = asprintf(ret, "%s", v);
    }
    if (n < 0) {
        *ret = NULL;
        return -1;
    }
    return 0;
}

static int
walk_section(enum conf_section sect, const char *name, const void *base, sw_config_walk_fn fn,
             void *ctx)
{
    for (size_t i = 0; i < sizeof(conf_items) / sizeof(conf_items[0]); i++) {
        char *v;
        int r;
        if (conf_items[i].section != sect)
            continue;
        if (format_item(&conf_items[i], base, &v) < 0)
            return -SW_E_NOMEM;
        r = fn(ctx, section_word(sect), name, conf_items[i].key, v);
        free(v);
        if (r < 0)
            return r;
    }
    return 0;
}

int
sw_config_walk(const struct sw_config *cfg, sw_config_walk_fn fn, void *ctx)
{
    static const enum conf_section fixed[] = {SECT_SLIPWAY, SECT_FETCH, SECT_STAGE};
    int r;

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if ((r = walk_section(fixed[i], NULL, cfg, fn, ctx)) < 0)
            return r;
    for (size_t i = 0; i < cfg->n_mirrors; i++)
        if ((r = walk_section(SECT_MIRROR, cfg->mirrors[i].name, &cfg->mirrors[i], fn, ctx)) < 0)
            return r;
    for (size_t i = 0; i < cfg->n_hooks; i++) {
        const struct sw_hook_config *h = &cfg->hooks[i];
        if ((r = walk_section(SECT_HOOK, h->name, h, fn, ctx)) < 0)
            return r;
        for (size_t j = 0; j < h->n_opts; j++)
            if ((r = fn(ctx, "hook", h->name, h->opts[j].key, h->opts[j].value)) < 0)
                return r;
    }
    return 0;
}

/* --- suggestions for unknown keys ------------------------------------------------- */

/* Optimal string alignment distance (Damerau-Levenshtein without repeated edits). */
static size_t
edit_distance(const char *a, const char *b)
{
    enum { MAXLEN = 64 };
    size_t la = strlen(a), lb = strlen(b);
    size_t d[MAXLEN + 1][MAXLEN + 1];

    if (la > MAXLEN || lb > MAXLEN)
        return SIZE_MAX;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

/*
 * Write into hint what to say after "unknown key 'name' in section [S]":
 * the key of the same section nearest to name (within 1 edit for short
 * keys, 2 otherwise), else the section name holds it in, else nothing.
 */
static void
suggest_key(enum conf_section section, const char *name, char *hint, size_t hintlen)
{
    const struct conf_item *best = NULL;
    size_t best_d = SIZE_MAX, len = strlen(name);
    size_t limit = len <= 4 ? 1 : 2;

    hint[0] = '\0';
    for (size_t i = 0; i < sizeof(conf_items) / sizeof(conf_items[0]); i++) {
        size_t dist;
        if (conf_items[i].section != section)
            continue;
        dist = edit_distance(name, conf_items[i].key);
        if (dist < best_d) {
            best_d = dist;
            best = &conf_items[i];
        }
    }
    if (best && best_d <= limit) {
        snprintf(hint, hintlen, "; did you mean '%s'?", best->key);
        return;
    }
    for (size_t i = 0; i < sizeof(conf_items) / sizeof(conf_items[0]); i++) {
        if (conf_items[i].section != section && strcmp(conf_items[i].key, name) == 0) {
            snprintf(hint, hintlen, "; '%s' belongs in section [%s%s]", name,
                     section_word(conf_items[i].section),
                     conf_items[i].section == SECT_MIRROR || conf_items[i].section == SECT_HOOK
                         ? " \"NAME\""
                         : "");
            return;
        }
    }
}

/* --- defaults --------------------------------------------------------------------- */

static int
set_defaults(struct sw_config *cfg)
{
    cfg->hook_timeout = 60;
    cfg->update_timeout = 3600;
    cfg->hook_grace = 5;
    cfg->hook_retries = 3;
    cfg->hook_retry_delay = 10;
    cfg->hook_output_max = 64 * 1024;
    sw_bundle_limits_init(&cfg->stage);
    cfg->connect_timeout = 30;
    cfg->timeout = 0;
    cfg->low_speed_limit = 1024;
    cfg->low_speed_time = 60;
    cfg->max_bandwidth = 0;
    cfg->retries = 2;
    cfg->max_root_size = 512 * 1024;
    cfg->max_delegated_roles = 8192; /* SW_TRUST_MAX_WALK_ROLES: 4096 TAP 15 bins and more */
    cfg->max_timestamp_size = 16 * 1024;
    cfg->max_metadata_size = 32 * 1024 * 1024;
    cfg->max_target_size = 0;
    if (!(cfg->channel = strdup("stable")) || !(cfg->slot_backend = strdup("dir")) ||
        !(cfg->hook_lib = strdup(SW_HOOK_LIB_DEFAULT)))
        return -1;
    cfg->hook_dirs.v = calloc(3, sizeof(char *));
    if (!cfg->hook_dirs.v)
        return -1;
    cfg->hook_dirs.n = 3;
    if (!(cfg->hook_dirs.v[0] = strdup("/usr/lib/slipway/hooks.d")) ||
        !(cfg->hook_dirs.v[1] = strdup("/etc/slipway/hooks.d")) ||
        !(cfg->hook_dirs.v[2] = strdup("/run/slipway/hooks.d")))
        return -1;
    return 0;
}

static struct sw_config *
config_new(void)
{
    struct sw_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return NULL;
    if (set_defaults(cfg) < 0) {
        sw_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* --- the reader and handler given to inih ------------------------------------------ */

static int
valid_name(const char *s, size_t n)
{
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return 0;
    return 1;
}

static void
clear_seen(struct parse_state *ps)
{
    for (size_t i = 0; i < ps->n_seen; i++)
        free(ps->seen[i]);
    free(ps->seen);
    ps->seen = NULL;
    ps->n_seen = 0;
}

/* A section header line "[...]" as inih will read it. */
static void
begin_section(struct parse_state *ps, const char *line)
{
    const char *close = strchr(line, ']');
    char head[256];
    size_t n;
    const char *q1, *q2;

    clear_seen(ps);
    ps->section = SECT_NONE;
    ps->section_serial++;
    if (!close)
        return; /* inih reports the syntax error */
    n = (size_t)(close - line - 1);
    if (n >= sizeof(head)) {
        fail_at(ps, ps->lineno, "section name is too long");
        return;
    }
    memcpy(head, line + 1, n);
    head[n] = '\0';
    /* trim, as inih does */
    while (n > 0 && isspace((unsigned char)head[n - 1]))
        head[--n] = '\0';
    {
        char *h = head;
        while (isspace((unsigned char)*h))
            h++;
        memmove(head, h, strlen(h) + 1);
    }
    if (strcmp(head, "slipway") == 0) {
        ps->section = SECT_SLIPWAY;
        return;
    }
    if (strcmp(head, "fetch") == 0) {
        ps->section = SECT_FETCH;
        return;
    }
    if (strcmp(head, "stage") == 0) {
        ps->section = SECT_STAGE;
        return;
    }
    q1 = strchr(head, '"');
    q2 = q1 ? strchr(q1 + 1, '"') : NULL;
    if (q1 && q2 && q2[1] == '\0') {
        size_t kind_len = (size_t)(q1 - head);
        const char *name = q1 + 1;
        size_t name_len = (size_t)(q2 - name);
        while (kind_len > 0 && isspace((unsigned char)head[kind_len - 1]))
            kind_len--;
        if ((kind_len == 6 && strncmp(head, "mirror", 6) == 0) ||
            (kind_len == 4 && strncmp(head, "hook", 4) == 0)) {
            int is_mirror = head[0] == 'm';
            struct sw_config *cfg = ps->cfg;
            if (!valid_name(name, name_len)) {
                fail_at(ps, ps->lineno,
                        "%s name '%.*s' must be 1 to 64 letters, digits, '.', '_' or '-'",
                        is_mirror ? "mirror" : "hook", (int)name_len, name);
                return;
            }
            if (is_mirror) {
                struct sw_mirror *nm;
                for (size_t i = 0; i < cfg->n_mirrors; i++)
                    if (strlen(cfg->mirrors[i].name) == name_len &&
                        strncmp(cfg->mirrors[i].name, name, name_len) == 0) {
                        fail_at(ps, ps->lineno, "duplicate section [mirror \"%.*s\"]",
                                (int)name_len, name);
                        return;
                    }
                if (cfg->n_mirrors >= SW_CONFIG_MAX_MIRRORS) {
                    fail_at(ps, ps->lineno, "more than %d mirrors", SW_CONFIG_MAX_MIRRORS);
                    return;
                }
                nm = realloc(cfg->mirrors, (cfg->n_mirrors + 1) * sizeof(*nm));
                if (!nm) {
                    fail_at(ps, ps->lineno, "out of memory");
                    return;
                }
                cfg->mirrors = nm;
                memset(&nm[cfg->n_mirrors], 0, sizeof(*nm));
                nm[cfg->n_mirrors].name = strndup(name, name_len);
                if (!nm[cfg->n_mirrors].name) {
                    fail_at(ps, ps->lineno, "out of memory");
                    return;
                }
                ps->mirror_url_line[cfg->n_mirrors] = ps->lineno;
                ps->section_index = cfg->n_mirrors++;
                ps->section = SECT_MIRROR;
            } else {
                struct sw_hook_config *nh;
                for (size_t i = 0; i < cfg->n_hooks; i++)
                    if (strlen(cfg->hooks[i].name) == name_len &&
                        strncmp(cfg->hooks[i].name, name, name_len) == 0) {
                        fail_at(ps, ps->lineno, "duplicate section [hook \"%.*s\"]", (int)name_len,
                                name);
                        return;
                    }
                if (cfg->n_hooks >= SW_CONFIG_MAX_HOOKS) {
                    fail_at(ps, ps->lineno, "more than %d hook sections", SW_CONFIG_MAX_HOOKS);
                    return;
                }
                nh = realloc(cfg->hooks, (cfg->n_hooks + 1) * sizeof(*nh));
                if (!nh) {
                    fail_at(ps, ps->lineno, "out of memory");
                    return;
                }
                cfg->hooks = nh;
                memset(&nh[cfg->n_hooks], 0, sizeof(*nh));
                nh[cfg->n_hooks].required = 1;
                nh[cfg->n_hooks].name = strndup(name, name_len);
                if (!nh[cfg->n_hooks].name) {
                    fail_at(ps, ps->lineno, "out of memory");
                    return;
                }
                ps->section_index = cfg->n_hooks++;
                ps->section = SECT_HOOK;
            }
            return;
        }
    }
    fail_at(ps, ps->lineno,
            "unknown section [%s] (known: [slipway], [fetch], [stage], [mirror \"NAME\"], "
            "[hook \"NAME\"])",
            head);
}

/* inih's reader: one line at a time, leading white space removed. */
static char *
conf_reader(char *str, int num, void *stream)
{
    struct parse_state *ps = stream;
    const char *nl;
    size_t n;

    if (ps->failed || ps->p >= ps->end)
        return NULL;
    nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
    n = nl ? (size_t)(nl - ps->p) : (size_t)(ps->end - ps->p);
    ps->lineno++;
    if (memchr(ps->p, '\0', n)) {
        fail_at(ps, ps->lineno, "contains a NUL byte; is this a text file?");
        return NULL;
    }
    /* skip leading white space so an indented key is never a continuation */
    {
        const char *s = ps->p;
        while (s < ps->p + n && (*s == ' ' || *s == '\t'))
            s++;
        n -= (size_t)(s - ps->p);
        ps->p = s;
    }
    if (n + 2 > (size_t)num) {
        fail_at(ps, ps->lineno, "line is longer than %d characters", num - 2);
        return NULL;
    }
    memcpy(str, ps->p, n);
    str[n] = '\n';
    str[n + 1] = '\0';
    ps->p += n + (nl ? 1 : 0);
    if (str[0] == '[')
        begin_section(ps, str);
    return str;
}

/* Remove a " # comment" (a '#' after white space) and trailing white space. */
static void
strip_hash_comment(char *v)
{
    size_t n;
    for (char *p = v; *p; p++) {
        if (*p == '#' && (p == v || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            break;
        }
    }
    n = strlen(v);
    while (n > 0 && isspace((unsigned char)v[n - 1]))
        v[--n] = '\0';
}

static int
add_hook_opt(struct parse_state *ps, struct sw_hook_config *h, const char *key, const char *value)
{
    struct sw_hook_opt *no;
    size_t n = strlen(key);

    if (n == 0 || n > 64 || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789-") != n ||
        key[0] == '-')
        return fail_at(ps, ps->lineno,
                       "[hook \"%s\"]: key '%s' must be lowercase letters, digits and '-'", h->name,
                       key);
    if (h->n_opts >= SW_CONFIG_MAX_HOOK_OPTS)
        return fail_at(ps, ps->lineno, "[hook \"%s\"]: more than %d keys", h->name,
                       SW_CONFIG_MAX_HOOK_OPTS);
    no = realloc(h->opts, (h->n_opts + 1) * sizeof(*no));
    if (!no)
        return fail_at(ps, ps->lineno, "out of memory");
    h->opts = no;
    no[h->n_opts].key = strdup(key);
    no[h->n_opts].value = strdup(value);
    if (!no[h->n_opts].key || !no[h->n_opts].value) {
        free(no[h->n_opts].key);
        free(no[h->n_opts].value);
        return fail_at(ps, ps->lineno, "out of memory");
    }
    h->n_opts++;
    return 1;
}

static int
conf_handler(void *user, const char *section, const char *name, const char *raw_value)
{
    struct parse_state *ps = user;
    char value[512];
    char why[256];
    void *base;
    char **nseen;

    (void)section; /* begin_section() has already classified it */
    if (ps->failed)
        return 1;
    if (ps->section == SECT_NONE)
        return fail_at(ps, ps->lineno, "key '%s' is outside any section", name);
    snprintf(value, sizeof(value), "%s", raw_value);
    strip_hash_comment(value);

    for (size_t i = 0; i < ps->n_seen; i++)
        if (strcmp(ps->seen[i], name) == 0)
            return fail_at(ps, ps->lineno, "key '%s' is set twice in this section", name);
    nseen = realloc(ps->seen, (ps->n_seen + 1) * sizeof(*nseen));
    if (!nseen || !(nseen[ps->n_seen] = strdup(name))) {
        if (nseen)
            ps->seen = nseen;
        return fail_at(ps, ps->lineno, "out of memory");
    }
    ps->seen = nseen;
    ps->n_seen++;

    switch (ps->section) {
    case SECT_MIRROR:
        base = &ps->cfg->mirrors[ps->section_index];
        break;
    case SECT_HOOK:
        base = &ps->cfg->hooks[ps->section_index];
        break;
    case SECT_SLIPWAY:
    case SECT_FETCH:
    case SECT_STAGE:
        base = ps->cfg;
        break;
    case SECT_NONE:
    default:
        return fail_at(ps, ps->lineno, "internal error: no section");
    }

    for (size_t i = 0; i < sizeof(conf_items) / sizeof(conf_items[0]); i++) {
        const struct conf_item *it = &conf_items[i];
        if (it->section != ps->section || strcmp(it->key, name) != 0)
            continue;
        why[0] = '\0';
        if (it->parse(value, (char *)base + it->offset, why, sizeof(why)) < 0)
            return fail_at(ps, ps->lineno, "[%s] %s = '%s': %s", section_word(ps->section), name,
                           value, why);
        return 1;
    }
    if (ps->section == SECT_HOOK)
        return add_hook_opt(ps, base, name, value);
    suggest_key(ps->section, name, why, sizeof(why));
    return fail_at(ps, ps->lineno, "unknown key '%s' in section [%s]%s", name,
                   section_word(ps->section), why);
}

/* --- whole-file checks -------------------------------------------------------------- */

static int
check_mirror_url(struct parse_state *ps, size_t i, const char *what, const char *url)
{
    const struct sw_mirror *m = &ps->cfg->mirrors[i];
    if (!url)
        return fail_at(ps, ps->mirror_url_line[i], "[mirror \"%s\"] has no %s", m->name, what);
    if (strncmp(url, "http://", 7) == 0 && !m->allow_insecure_http)
        return fail_at(ps, ps->mirror_url_line[i],
                       "[mirror \"%s\"] %s '%s' is plain http; use https, or set "
                       "'allow-insecure-http = yes' to accept it knowingly",
                       m->name, what, url);
    if (m->pin && strncmp(url, "https://", 8) != 0)
        return fail_at(ps, ps->mirror_url_line[i],
                       "[mirror \"%s\"] has a pin but %s '%s' is not https", m->name, what, url);
    return 1;
}

static void
check_whole(struct parse_state *ps)
{
    for (size_t i = 0; i < ps->cfg->n_mirrors && !ps->failed; i++) {
        check_mirror_url(ps, i, "metadata-url", ps->cfg->mirrors[i].metadata_url);
        check_mirror_url(ps, i, "targets-url", ps->cfg->mirrors[i].targets_url);
    }
    if (!ps->failed && ps->cfg->max_timestamp_size == 0)
        fail_at(ps, ps->lineno, "[fetch] max-timestamp-size must not be 0");
    if (!ps->failed && ps->cfg->max_root_size == 0)
        fail_at(ps, ps->lineno, "[fetch] max-root-size must not be 0");
    if (!ps->failed && ps->cfg->max_metadata_size == 0)
        fail_at(ps, ps->lineno, "[fetch] max-metadata-size must not be 0");
}

int
sw_config_parse_mem(const char *name, const char *text, size_t len, struct sw_config **ret_config,
                    struct sw_error *err)
{
    struct parse_state ps;
    struct sw_config *cfg;
    int line;

    cfg = config_new();
    if (!cfg)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    memset(&ps, 0, sizeof(ps));
    ps.name = name ? name : "(config)";
    ps.p = text;
    ps.end = text + len;
    ps.cfg = cfg;
    ps.err = err;

    line = ini_parse_stream(conf_reader, &ps, conf_handler, &ps);
    clear_seen(&ps);
    if (!ps.failed && line > 0)
        fail_at(&ps, line, "syntax error: expected '[section]', 'key = value' or a comment");
    if (!ps.failed && line < 0)
        fail_at(&ps, ps.lineno, "out of memory");
    if (!ps.failed)
        check_whole(&ps);
    if (ps.failed) {
        sw_config_free(cfg);
        return -SW_E_CONFIG;
    }
    if (name && !(cfg->path = strdup(name))) {
        sw_config_free(cfg);
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    *ret_config = cfg;
    return 0;
}

int
sw_config_defaults(struct sw_config **ret_config, struct sw_error *err)
{
    struct sw_config *cfg = config_new();
    if (!cfg)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    *ret_config = cfg;
    return 0;
}

/*
 * The configuration decides which hosts and keys are trusted, so nobody but
 * root and the user running slipway may be able to change it: the file and
 * its directory must be owned by one of them and not writable by group or
 * others (a sticky directory, such as /tmp, is accepted: others cannot
 * replace a file in it). The same rule for every user, so it is tested
 * without root; the state directory is held to the same.
 */
static int
check_config_safe(const char *path, struct sw_error *err)
{
    uid_t me = geteuid();
    struct stat st;
    char *dir;
    const char *slash;
    int r = 0;

    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return 0; /* missing, a link, not a file: reading it says so */
    if (st.st_uid != 0 && st.st_uid != me)
        return sw_error_set(err, SW_E_CONFIG,
                            "configuration: refusing '%s': it is owned by uid %u, not by root or "
                            "uid %u, and decides which hosts and keys are trusted",
                            path, (unsigned)st.st_uid, (unsigned)me);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return sw_error_set(err, SW_E_CONFIG,
                            "configuration: refusing '%s': its mode %04o lets other users change "
                            "which hosts and keys are trusted; run 'chmod go-w %s'",
                            path, (unsigned)(st.st_mode & 07777), path);
    slash = strrchr(path, '/');
    if (!slash)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (!dir)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    if (stat(dir, &st) < 0) {
        r = sw_error_errno(err, SW_E_CONFIG, errno, "configuration: cannot stat directory '%s'",
                           dir);
    } else if (st.st_uid != 0 && st.st_uid != me) {
        r = sw_error_set(err, SW_E_CONFIG,
                         "configuration: refusing '%s': its directory '%s' is owned by uid %u, "
                         "not by root or uid %u",
                         path, dir, (unsigned)st.st_uid, (unsigned)me);
    } else if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
        r = sw_error_set(err, SW_E_CONFIG,
                         "configuration: refusing '%s': its directory '%s' has mode %04o, so "
                         "other users can replace the file; run 'chmod go-w %s'",
                         path, dir, (unsigned)(st.st_mode & 07777), dir);
    }
    free(dir);
    return r;
}

int
sw_config_load(const char *path, struct sw_config **ret_config, struct sw_error *err)
{
    unsigned char *text = NULL;
    size_t len = 0;
    int r;

    if (!path) {
        r = sw_fs_exists(SW_CONFIG_DEFAULT_PATH, err);
        if (r < 0)
            return r;
        if (r == 0)
            return sw_config_defaults(ret_config, err);
        path = SW_CONFIG_DEFAULT_PATH;
    }
    r = check_config_safe(path, err);
    if (r < 0)
        return r;
    r = sw_fs_read_file(path, SW_CONFIG_MAX_SIZE, &text, &len, err);
    if (r < 0) {
        sw_error_prefix(err, "configuration: ");
        if (err)
            err->code = SW_E_CONFIG;
        return -SW_E_CONFIG;
    }
    r = sw_config_parse_mem(path, (const char *)text, len, ret_config, err);
    free(text);
    return r;
}

static int
default_path(char **dest, const char *state_dir, const char *rel)
{
    if (*dest)
        return 0;
    *dest = sw_fs_join(state_dir, rel);
    return *dest ? 0 : -1;
}

int
sw_config_set_state_dir(struct sw_config *cfg, const char *state_dir, struct sw_error *err)
{
    if (state_dir) {
        if (state_dir[0] != '/') {
            char *cwd = getcwd(NULL, 0);
            char *abs = cwd ? sw_fs_join(cwd, state_dir) : NULL;
            free(cwd);
            if (!abs)
                return sw_error_set(err, SW_E_NOMEM, "cannot resolve --state-dir '%s'", state_dir);
            free(cfg->state_dir);
            cfg->state_dir = abs;
        } else if (set_string(&cfg->state_dir, state_dir) < 0) {
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        }
    } else if (!cfg->state_dir && set_string(&cfg->state_dir, SW_CONFIG_DEFAULT_STATE_DIR) < 0) {
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    if (default_path(&cfg->slot_a, cfg->state_dir, "slots/a") < 0 ||
        default_path(&cfg->slot_b, cfg->state_dir, "slots/b") < 0 ||
        default_path(&cfg->current, cfg->state_dir, "current") < 0)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    return 0;
}

const struct sw_hook_config *
sw_config_hook(const struct sw_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_hooks; i++)
        if (strcmp(cfg->hooks[i].name, name) == 0)
            return &cfg->hooks[i];
    return NULL;
}

void
sw_config_free(struct sw_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->path);
    free(cfg->state_dir);
    free(cfg->compatible);
    free(cfg->channel);
    free(cfg->slot_backend);
    free(cfg->hook_lib);
    free(cfg->slot_a);
    free(cfg->slot_b);
    free(cfg->current);
    free(cfg->metrics_file);
    free(cfg->maintenance_window);
    for (size_t i = 0; i < cfg->hook_dirs.n; i++)
        free(cfg->hook_dirs.v[i]);
    free(cfg->hook_dirs.v);
    for (size_t i = 0; i < cfg->n_mirrors; i++) {
        free(cfg->mirrors[i].name);
        free(cfg->mirrors[i].metadata_url);
        free(cfg->mirrors[i].targets_url);
        free(cfg->mirrors[i].pin);
        free(cfg->mirrors[i].ca_file);
    }
    free(cfg->mirrors);
    for (size_t i = 0; i < cfg->n_hooks; i++) {
        free(cfg->hooks[i].name);
        free(cfg->hooks[i].user);
        for (size_t j = 0; j < cfg->hooks[i].n_opts; j++) {
            free(cfg->hooks[i].opts[j].key);
            free(cfg->hooks[i].opts[j].value);
        }
        free(cfg->hooks[i].opts);
    }
    free(cfg->hooks);
    free(cfg);
}
