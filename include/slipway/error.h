/* SPDX-License-Identifier: MIT */
/*
 * Error reporting: stable numbered error codes grouped by module, and
 * struct sw_error, the message that names the file, field, key or URL at
 * fault. Library code fills a struct sw_error and never prints.
 */
#ifndef SLIPWAY_ERROR_H
#define SLIPWAY_ERROR_H

#include <stddef.h>

#define SW_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/*
 * Error codes. Functions return 0 or the negated code. The numbers are
 * stable: they appear in logs and in the store. Never reuse a number.
 */
enum sw_errcode {
    SW_OK = 0,
    /* general: 1-99 */
    SW_E_NOMEM = 1,        /* out of memory */
    SW_E_INVAL = 2,        /* invalid argument or value */
    SW_E_IO = 3,           /* file or system call failed */
    SW_E_EXISTS = 4,       /* already exists */
    SW_E_NOTFOUND = 5,     /* no such file, role, target or key */
    SW_E_PERM = 6,         /* unsafe ownership or mode, permission denied */
    SW_E_LIMIT = 7,        /* a named size or count limit was exceeded */
    SW_E_INTERNAL = 8,     /* a bug: a broken internal invariant */
    SW_E_BUSY = 9,         /* another instance holds the lock */
    SW_E_USAGE = 10,       /* bad command line */
    SW_E_UNSUPPORTED = 11, /* not supported (algorithm, scheme, key type) */
    SW_E_FAULT = 12,       /* injected fault (test builds only) */
    /* configuration: 100-199 */
    SW_E_CONFIG = 100, /* configuration file is wrong */
    /* state store: 200-299 */
    SW_E_STORE = 200,         /* SQLite reported an error */
    SW_E_STORE_NEWER = 201,   /* schema is newer than this program */
    SW_E_STORE_FOREIGN = 202, /* the file is not a slipway store */
    SW_E_STORE_CORRUPT = 203, /* the store is damaged */
    /* JSON and metadata: 300-399 */
    SW_E_JSON = 300,            /* malformed or non-canonical JSON */
    SW_E_METADATA = 301,        /* metadata is missing a field or has a wrong one */
    SW_E_SIGNATURE = 302,       /* signature threshold not met, bad signature */
    SW_E_EXPIRED = 303,         /* metadata has expired */
    SW_E_ROLLBACK = 304,        /* a version went down */
    SW_E_HASH = 305,            /* content does not match its hash */
    SW_E_LENGTH = 306,          /* content does not match its length */
    SW_E_KEY = 307,             /* a key is malformed or of an unknown type */
    SW_E_PASSPHRASE = 308,      /* wrong passphrase or damaged key file */
    SW_E_WEAK_PASSPHRASE = 309, /* passphrase refused as too weak */
    SW_E_VERSION = 310,         /* version link broken (not consecutive, mismatch) */
    /* the publisher's repository (slipway-repo): 350-369 */
    SW_E_REPO_UNSIGNED = 350, /* a staged role lacks signatures: its threshold is not met */
    SW_E_REPO_INVALID = 351,  /* the repository tree does not verify */
    SW_E_REPO_KEYDIR = 352,   /* the key directory is inside the repository (or holds it) */
    SW_E_KEYFILE = 353,       /* a publisher's key, key file or passphrase file is refused */
    /* fetch: 400-499 */
    SW_E_FETCH = 400,          /* a download failed */
    SW_E_FETCH_NOTFOUND = 401, /* the mirror answered 404 or 403 */
    SW_E_FETCH_TOOBIG = 402,   /* the download passed its byte cap */
    SW_E_FETCH_SLOW = 403,     /* below the minimum speed, or past the deadline */
    SW_E_FETCH_TLS = 404,      /* TLS failed: certificate, CA, handshake */
    SW_E_FETCH_PIN = 405,      /* the server key does not match the pin */
    SW_E_FETCH_REDIRECT = 406, /* a redirect tried to leave the mirror */
    SW_E_FETCH_HTTP = 407,     /* any other HTTP error status */
    SW_E_FETCH_URL = 408,      /* a URL or path is refused by policy */
    SW_E_FETCH_CONNECT = 409,  /* could not connect */
    /* trust: 500-599 */
    SW_E_TRUST = 500,        /* the TUF workflow refused the repository */
    SW_E_TRUST_NOROOT = 501, /* no trusted root: run 'slipway init' */
    /* bundles and slots: 600-699 */
    SW_E_BUNDLE = 600,        /* a bundle breaks an extraction rule */
    SW_E_NOSPACE = 601,       /* not enough free space (with the reserve) */
    SW_E_SLOT = 602,          /* a slot backend operation failed */
    SW_E_SLOT_MISMATCH = 603, /* the slots on disk and the store disagree */
    /* updates: 700-799 */
    SW_E_UPDATE_STATE = 700, /* the update is not in a state that allows this */
    SW_E_DOWNGRADE = 701,    /* an older version, refused without --allow-downgrade */

    SW_E_CHECK = 800,       /* a required pre-promote hook failed (or has not passed) */
    SW_E_ROLLED_BACK = 801, /* a required post-promote hook failed: rolled back */
    SW_E_DECLINED = 802,    /* an update exists but policy, a hold or the window declined it */
};

#define SW_ERROR_MSG_MAX 1024

/* A caller-owned error report. Initialise with SW_ERROR_INIT. */
struct sw_error {
    int code;                   /* enum sw_errcode, positive; 0 = none */
    char msg[SW_ERROR_MSG_MAX]; /* lowercase, no trailing period */
};

#define SW_ERROR_INIT                                                                              \
    {                                                                                              \
        0,                                                                                         \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/*
 * Fill err (may be NULL) with code and a formatted message and return
 * -code, so `return sw_error_set(err, SW_E_IO, "...")` is one line.
 */
int sw_error_set(struct sw_error *err, int code, const char *fmt, ...) SW_PRINTF(3, 4);

/* Like sw_error_set() with ": strerror(errnum)" appended. */
int sw_error_errno(struct sw_error *err, int code, int errnum, const char *fmt, ...)
    SW_PRINTF(4, 5);

/*
 * Prepend context ("staging slot 'b': ") to an error already set and
 * return its negated code (or -SW_E_INTERNAL when none was set).
 */
int sw_error_prefix(struct sw_error *err, const char *fmt, ...) SW_PRINTF(2, 3);

/* Reset err to "no error". err may be NULL. */
void sw_error_clear(struct sw_error *err);

/* Short constant description of a code (positive or negative). */
const char *sw_strerror(int code);

/* Stable symbolic name ("SW_E_IO") of a code, or "SW_E_UNKNOWN". */
const char *sw_errcode_name(int code);

#endif
