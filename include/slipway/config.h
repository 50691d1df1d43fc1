/* SPDX-License-Identifier: MIT */
/*
 * Configuration: /etc/slipway/slipway.conf (or -c FILE), INI parsed with
 * inih through one table of section, key, parser and destination. Every key
 * has a default; an unknown section or key, a bad value or an unreadable
 * file is an error naming FILE:LINE and the key. Using the values is left
 * to the modules that own them.
 */
#ifndef SLIPWAY_CONFIG_H
#define SLIPWAY_CONFIG_H

#include <slipway/bundle.h>
#include <slipway/error.h>
#include <stddef.h>
#include <stdint.h>

#define SW_CONFIG_DEFAULT_PATH "/etc/slipway/slipway.conf"
#define SW_CONFIG_DEFAULT_STATE_DIR "/var/lib/slipway"
#define SW_CONFIG_MAX_SIZE (256 * 1024) /* bytes in a configuration file */
#define SW_CONFIG_MAX_MIRRORS 32
#define SW_CONFIG_MAX_HOOKS 256
#define SW_CONFIG_MAX_HOOK_OPTS 64
#define SW_CONFIG_MAX_HOOK_OUTPUT (16 * 1024 * 1024) /* hook-output-max at most */

/* Where `make install` puts hook-lib.sh: $(LIBDIR)/slipway/hook-lib.sh. */
#ifndef SW_HOOK_LIB_DEFAULT
#define SW_HOOK_LIB_DEFAULT "/usr/local/lib/slipway/hook-lib.sh"
#endif

/* [mirror "NAME"]: one place the repository is served from. */
struct sw_mirror {
    char *name;
    char *metadata_url; /* ends in '/' */
    char *targets_url;  /* ends in '/' */
    char *pin;          /* "sha256//BASE64=[;sha256//...]" or NULL */
    char *ca_file;      /* NULL: the system's CA store */
    int allow_insecure_http;
};

/* A list of strings. */
struct sw_strlist {
    char **v;
    size_t n;
};

struct sw_hook_opt {
    char *key; /* lowercase, dashes: reaches the hook as SLIPWAY_OPT_KEY */
    char *value;
};

/* [hook "NAME"]: settings of one test hook. */
struct sw_hook_config {
    char *name;
    int required;     /* default 1; "required = no" makes it advisory */
    unsigned timeout; /* seconds; 0 = [slipway] hook-timeout */
    char *user;       /* run as this user (slipway as root), or NULL */
    struct sw_hook_opt *opts;
    size_t n_opts;
};

struct sw_config {
    char *path; /* file read, or NULL when built-in defaults are used */

    /* [slipway] */
    char *state_dir;
    char *compatible; /* NULL when unset: no target is for this machine */
    char *channel;
    char *slot_backend;
    char *slot_a;  /* default STATE_DIR/slots/a */
    char *slot_b;  /* default STATE_DIR/slots/b */
    char *current; /* default STATE_DIR/current */
    unsigned hook_timeout;
    struct sw_strlist hook_dirs; /* searched in order; later ones override */
    unsigned hook_grace;         /* seconds between SIGTERM and SIGKILL */
    unsigned hook_retries;       /* extra attempts after exit 75 */
    unsigned hook_retry_delay;   /* seconds before each extra attempt */
    uint64_t hook_output_max;    /* bytes of a hook's output kept */
    char *hook_lib;              /* path of hook-lib.sh (SLIPWAY_HOOK_LIB) */
    int canary;
    unsigned update_timeout; /* seconds, one `slipway update` run; 0 = none */
    char *metrics_file;      /* Prometheus text file `slipway update` writes; NULL = none */

    /* set by code, not a key: CLOCK_MONOTONIC seconds a whole run must end by (0 = none),
       passed to every fetcher made from this configuration */
    double deadline;
    char *maintenance_window; /* [slipway] maintenance-window as written (sw_window_parse);
                               * NULL or "" = always */

    /* [fetch] */
    unsigned connect_timeout;     /* seconds */
    unsigned timeout;             /* seconds, whole download; 0 = none */
    unsigned low_speed_limit;     /* bytes per second ... */
    unsigned low_speed_time;      /* ... over this many seconds, or abort */
    uint64_t max_bandwidth;       /* bytes per second; 0 = unlimited */
    unsigned retries;             /* extra attempts per mirror */
    uint64_t max_root_size;       /* cap for N.root.json */
    uint64_t max_timestamp_size;  /* cap for timestamp.json */
    uint64_t max_metadata_size;   /* cap for a role whose length is not given */
    uint64_t max_target_size;     /* refuse targets larger than this; 0 = no limit */
    unsigned max_delegated_roles; /* delegated roles one refresh or list walks */

    /* [stage]: what a bundle may do (defaults: sw_bundle_limits_init()) */
    struct sw_bundle_limits stage;

    struct sw_mirror *mirrors;
    size_t n_mirrors;
    struct sw_hook_config *hooks;
    size_t n_hooks;
};

/*
 * Load path, or when path is NULL: SW_CONFIG_DEFAULT_PATH if it exists,
 * built-in defaults otherwise. Free with sw_config_free().
 */
int sw_config_load(const char *path, struct sw_config **ret_config, struct sw_error *err);

/*
 * Parse configuration text in memory (len bytes, need not be NUL-terminated);
 * name is used in messages. The fuzzing entry point.
 */
int sw_config_parse_mem(const char *name, const char *text, size_t len,
                        struct sw_config **ret_config, struct sw_error *err);

/* Built-in defaults only. */
int sw_config_defaults(struct sw_config **ret_config, struct sw_error *err);

/*
 * Override the state directory (NULL: keep the configured one) and fill the
 * paths that default to places under it. Call once, after loading.
 */
int sw_config_set_state_dir(struct sw_config *cfg, const char *state_dir, struct sw_error *err);

/* The settings of hook NAME, or NULL when it has no section. */
const struct sw_hook_config *sw_config_hook(const struct sw_config *cfg, const char *name);

/*
 * One setting of the effective configuration: section ("slipway", "fetch",
 * "stage", "mirror", "hook"), name (NAME of [mirror "NAME"] or [hook "NAME"],
 * NULL otherwise), key, and the value as the file would write it (sizes in
 * bytes, times in seconds, yes/no), NULL when unset. All borrowed for the
 * call. Return 0 to go on, negative to stop the walk with that value.
 */
typedef int (*sw_config_walk_fn)(void *ctx, const char *section, const char *name, const char *key,
                                 const char *value);

/*
 * Call fn for every key of the key table, in its order: [slipway], [fetch],
 * [stage], then each mirror, then each hook (its table keys, then its own
 * options). Returns 0, -SW_E_NOMEM, or what fn returned.
 */
int sw_config_walk(const struct sw_config *cfg, sw_config_walk_fn fn, void *ctx);

void sw_config_free(struct sw_config *cfg);

#endif
