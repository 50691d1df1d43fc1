/* SPDX-License-Identifier: MIT */
/*
 * Fetch: every byte slipway reads from the network comes through here. One
 * resource is downloaded from the configured mirrors in order (https, file,
 * and http only where a mirror allows it), with a byte cap, pins, timeouts,
 * retries with backoff, resume and failover. Deciding whether the bytes are
 * the right ones is left to the caller (the verify callback).
 */
#ifndef SLIPWAY_FETCH_H
#define SLIPWAY_FETCH_H

#include <slipway/buf.h>
#include <slipway/config.h>
#include <slipway/error.h>
#include <slipway/hash.h>

#include <stdint.h>

#define SW_FETCH_MAX_PATH 1024        /* bytes in a relative path, before encoding */
#define SW_FETCH_MAX_URL 8192         /* bytes in a URL built from a base and a path */
#define SW_FETCH_MAX_REDIRECTS 5      /* redirects followed within one mirror */
#define SW_FETCH_MAX_ERROR_BODY 65536 /* bytes of an error page read before hanging up */

/*
 * A file download is written to DEST + this suffix. '%' is refused in target
 * paths (SW_FETCH_PATH) and a percent-encoded name has it only before two hex
 * digits, so no target's file is another one's partial file; a dest ending
 * in it is refused.
 */
#define SW_FETCH_PART_SUFFIX "%part"

/* Settings of the [fetch] section, and two that only code and tests set. */
struct sw_fetch_settings {
    unsigned connect_timeout; /* seconds; 0 = libcurl's default */
    unsigned timeout;         /* seconds for one request; 0 = none */
    unsigned low_speed_limit; /* bytes per second ... */
    unsigned low_speed_time;  /* ... over this many seconds, or abort; 0 = off */
    uint64_t max_bandwidth;   /* bytes per second; 0 = unlimited */
    unsigned retries;         /* extra attempts on the same mirror */
    unsigned backoff_ms;      /* delay before the first retry; doubles each time */
    unsigned backoff_max_ms;  /* ceiling of the delay; a random part is taken off */
    double deadline;          /* CLOCK_MONOTONIC seconds by which every request, retry and
                                 mirror must be done (a whole run's bound); 0 = none */
};

#define SW_FETCH_BACKOFF_MS 1000
#define SW_FETCH_BACKOFF_MAX_MS 30000

/* Fill settings from the [fetch] section, with the default backoff and cfg->deadline. */
void sw_fetch_settings_from_config(const struct sw_config *cfg, struct sw_fetch_settings *ret);

/* Which base URL of a mirror a path is relative to. */
enum sw_fetch_base {
    SW_FETCH_METADATA = 0,
    SW_FETCH_TARGETS = 1,
};

/*
 * How a relative path is checked and encoded into the URL:
 *  SW_FETCH_PATH: a target path; '/' separates segments and is kept. Refused:
 *    empty, absolute, empty/"."/".." segments, '\', '%', '?', '#', control
 *    characters. Other bytes outside A-Za-z0-9_.-~ are percent-encoded.
 *  SW_FETCH_NAME: one segment (a metadata file name such as "3.a/b.json"):
 *    every byte outside A-Za-z0-9_.-~ is percent-encoded, '/' included.
 *    Refused: empty, "." and "..". On a file:// mirror a name that holds '/'
 *    is a path below the base (role "a/b" is the file N.a/b.json, as a web
 *    server decoding %2F finds it): refused when a segment is empty, "." or
 *    "..", and a symbolic link in any segment is refused.
 */
enum sw_fetch_path_mode {
    SW_FETCH_PATH = 0,
    SW_FETCH_NAME = 1,
};

/*
 * base (ending in '/') + checked and encoded path. *ret_url: caller frees.
 * -SW_E_FETCH_URL naming the path and the rule it breaks.
 */
int sw_fetch_url_join(const char *base, const char *path, enum sw_fetch_path_mode mode,
                      char **ret_url, struct sw_error *err);

/* What a download produced. Strings are borrowed from the fetcher. */
struct sw_fetch_result {
    const char *mirror;         /* name of the mirror that delivered */
    char url[SW_FETCH_MAX_URL]; /* the URL first requested on it */
    uint64_t length;            /* bytes of the resource */
    uint64_t resumed_from;      /* bytes taken from an existing partial file (files only) */
    unsigned hash_algs;         /* bit (1u << alg) for each digest below */
    unsigned char digest[SW_HASH_N_ALGS][SW_HASH_MAX_LEN];
    unsigned requests; /* HTTP requests or file opens made, on all mirrors */
    /* Only while the verify callback runs: */
    const unsigned char *data; /* memory: the bytes (length of them), else NULL */
    const char *part_path;     /* file: the complete, fsynced partial file, else NULL */
};

/* Lowercase hex of one digest of res into out; "" when it was not computed. */
void sw_fetch_result_hex(const struct sw_fetch_result *res, enum sw_hash_alg alg,
                         char out[SW_HASH_MAX_HEX]);

/*
 * The caller's check of a complete download (length, hashes, signature),
 * run before a file is renamed into place or memory is handed back. Return
 * 0 to accept, or a negative -SW_E_* with err filled: the bytes are thrown
 * away and the next mirror is tried.
 */
typedef int (*sw_fetch_verify_fn)(void *ctx, const struct sw_fetch_result *res,
                                  struct sw_error *err);

enum sw_fetch_event {
    SW_FETCH_EV_START = 0,    /* a request begins (url, resumed_from set) */
    SW_FETCH_EV_PROGRESS = 1, /* bytes arrived; at most every 100 ms */
    SW_FETCH_EV_DONE = 2,     /* the resource is complete and accepted */
    SW_FETCH_EV_RETRY = 3,    /* an attempt failed; the same mirror is tried again */
    SW_FETCH_EV_FAILOVER = 4, /* a mirror failed; the next one is tried */
    SW_FETCH_EV_FAIL = 5,     /* every mirror failed */
};

/* "start", "progress", "done", "retry", "failover", "fail" */
const char *sw_fetch_event_to_string(enum sw_fetch_event ev);

struct sw_fetch_progress {
    enum sw_fetch_event event;
    const char *mirror;           /* mirror name */
    const char *url;              /* URL of the request, NULL for FAIL */
    const char *path;             /* the path the caller asked for */
    uint64_t bytes;               /* bytes of the resource held now (resumed ones included) */
    uint64_t total;               /* expected bytes of the resource; 0 = unknown */
    uint64_t resumed_from;        /* bytes that were already there when the request began */
    double elapsed;               /* seconds since the request began */
    const struct sw_error *error; /* RETRY, FAILOVER, FAIL: why */
};

/* Called on the calling thread, from inside sw_fetch_get(). */
typedef void (*sw_fetch_progress_fn)(void *ctx, const struct sw_fetch_progress *p);

struct sw_fetch_request {
    enum sw_fetch_base base;
    const char *path; /* relative to the base, not encoded (borrowed) */
    enum sw_fetch_path_mode mode;
    uint64_t max_bytes; /* the byte cap; required (> 0) */
    unsigned hash_algs; /* (1u << SW_HASH_SHA256) | ...: digests to compute */
    /*
     * Exactly one destination:
     *  buf: memory; bytes are appended to the caller's bounded buffer, which
     *       must be empty. Its max, when set, is a second cap. Never resumed.
     *  dest: a file; bytes go to the partial file DEST%part
     *       (SW_FETCH_PART_SUFFIX; created 0600, or resumed with a range
     *       request when it exists), which is fsynced, verified and renamed
     *       to DEST only when complete. DEST's directory must be private to
     *       the caller (the state dir); DEST must not end in "%part"
     *       (-SW_E_INVAL). A resumed partial file is taken as the start of
     *       the resource: give a verify callback (or compare the digests,
     *       which cover the whole file) for anything that matters.
     */
    struct sw_buf *buf;
    const char *dest;
    sw_fetch_verify_fn verify; /* optional */
    void *verify_ctx;
    sw_fetch_progress_fn progress; /* optional */
    void *progress_ctx;
};

struct sw_fetch;

/*
 * A fetcher over n mirrors (copied; tried in this order). Base URLs must end
 * in '/' and be https://, file:// or, when the mirror allows it, http://
 * (a warning is logged for each such mirror). Free with sw_fetch_free().
 * Without a configuration (a test adapter given one base URL), fill one
 * struct sw_mirror on the stack and pass it with settings of your own
 * (retries = 0 for "one request per attempt").
 */
int sw_fetch_new(const struct sw_mirror *mirrors, size_t n, const struct sw_fetch_settings *s,
                 struct sw_fetch **ret_fetch, struct sw_error *err);

/* The configured mirrors and [fetch] settings. No mirror is an error. */
int sw_fetch_new_config(const struct sw_config *cfg, struct sw_fetch **ret_fetch,
                        struct sw_error *err);

/*
 * Download one resource. On success *ret (caller-owned) describes it; the
 * bytes are in req->buf or at req->dest. On failure every mirror's reason
 * is in err and the code is:
 *   -SW_E_FETCH_NOTFOUND when at least one mirror answered 404 or 403 (or,
 *    for file://, had no such file) and every other one was unreachable
 *    (could not connect, or timed out or broke off before any HTTP status):
 *    the resource does not exist;
 *   else, when some mirror said "not found", the code of the last failure
 *    of a mirror that was reachable (5xx, TLS, pin, redirect, cap, verify);
 *   otherwise the code of the last mirror's failure (-SW_E_FETCH_*, or the
 *   verify callback's code).
 * Each mirror's failure is logged at SW_LOG_INFO (-v) as the next is tried.
 * Not found, TLS and pin failures, refused redirects, caps and verification
 * failures move to the next mirror at once; connection errors, timeouts,
 * cut transfers and HTTP 5xx/408/429 are retried on the same mirror first.
 */
int sw_fetch_get(struct sw_fetch *f, const struct sw_fetch_request *req,
                 struct sw_fetch_result *ret, struct sw_error *err);

/* Requests made (HTTP requests or file opens) by all sw_fetch_get() calls so far,
 * failed ones included. */
unsigned sw_fetch_request_count(const struct sw_fetch *f);

/* Number of mirrors, and the name of mirror i (borrowed). */
size_t sw_fetch_n_mirrors(const struct sw_fetch *f);
const char *sw_fetch_mirror_name(const struct sw_fetch *f, size_t i);

void sw_fetch_free(struct sw_fetch *f);

#endif
