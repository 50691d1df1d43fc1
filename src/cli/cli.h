/* SPDX-License-Identifier: MIT */
/*
 * Private to the slipway command layer: the command table entry, the
 * context every command receives (configuration, store, output mode) and
 * the helpers commands share for options, output and exit codes. Commands
 * live one family per file in src/cli/.
 */
#ifndef SLIPWAY_CLI_H
#define SLIPWAY_CLI_H

#include <slipway/cmdline.h>
#include <slipway/config.h>
#include <slipway/error.h>
#include <slipway/exit.h>
#include <slipway/store.h>

#include <jansson.h>
#include <stdio.h>

/* Map a negative SW_E_* code to an exit code: sw_exit_code() (slipway/exit.h). */
int sw_cli_exit_code(int r);

enum sw_cli_flags {
    SW_CLI_CONFIG = 1 << 0,    /* load the configuration */
    SW_CLI_STORE = 1 << 1,     /* open (create) the state store; implies CONFIG */
    SW_CLI_LOCK = 1 << 2,      /* hold STATE_DIR/lock for the whole command */
    SW_CLI_JSON = 1 << 3,      /* reports: accepts --json */
    SW_CLI_DOWNLOADS = 1 << 4, /* downloads: accepts --progress-fd (refused elsewhere, exit 2) */
    SW_CLI_HOLD_NOTE = 1 << 5, /* a manual update command: say so when the machine is held */
};

struct sw_cli;

struct sw_cli_cmd {
    const char *name;
    int min_args, max_args;                                /* positional arguments; max -1 = any */
    unsigned flags;                                        /* enum sw_cli_flags */
    const struct sw_opt *opts;                             /* terminated by {NULL} or NULL */
    int (*run)(struct sw_cli *cli, int argc, char **argv); /* returns 0 or -SW_E_* */
    const char *args;    /* synopsis of arguments, "--root FILE" */
    const char *summary; /* one line for 'slipway --help' */
};

/* What a command runs with. */
struct sw_cli {
    const struct sw_cli_cmd *cmd;
    const char *config_path; /* -c, or NULL */
    const char *state_dir;   /* --state-dir, or NULL */
    int json;                /* --json */
    int verbosity;           /* -v count minus -q count */
    int progress_fd;         /* --progress-fd, or -1 */
    struct sw_config *cfg;   /* with SW_CLI_CONFIG */
    struct sw_store *store;  /* with SW_CLI_STORE */
    int lock_fd;
    struct sw_cmdline line; /* the command's options and arguments */
    struct sw_error err;    /* where a failing command leaves its message */
    const char *actor_opt;  /* --actor: "timer", "operator" or NULL */
    char actor[128];        /* sw_cli_actor(), once computed */
};

/*
 * Who runs this command, as events and updates record it: "timer" (with
 * --actor timer, or INVOCATION_ID set by systemd and no --actor operator),
 * else "operator:USER" for the effective user, with " (sudo: NAME)" when
 * SUDO_USER names someone else. Borrowed from cli.
 */
const char *sw_cli_actor(struct sw_cli *cli);

/* The last value given for option id, or NULL; *ret_present says if it was given. */
const char *sw_cli_opt_get(const struct sw_cli *cli, int id, int *ret_present);
/* Whether a flag option was given. */
int sw_cli_opt_flag(const struct sw_cli *cli, int id);

struct sw_progress;

/*
 * The progress renderer a command that downloads should use: a bar on
 * stderr when it is a terminal and not -q, JSON lines on --progress-fd.
 * NULL (and 0) when neither applies. Free with sw_progress_free().
 */
int sw_cli_progress(struct sw_cli *cli, struct sw_progress **ret_progress);

/* Print a JSON value on stdout (indented, one newline) and drop the reference. */
int sw_cli_print_json(struct sw_cli *cli, json_t *v);

struct sw_trust;
struct sw_trust_fetching;

/* A sw_trust_fetching_fn labelling the downloads of a struct sw_progress (ctx). */
void sw_cli_progress_fetching(void *ctx, const struct sw_trust_fetching *what);

/*
 * A clock this far (seconds) after the newest verified timestamp looks
 * wrong rather than the mirror stale (docs/trust.md, "Expired metadata").
 */
#define SW_CLI_CLOCK_FAR_AHEAD (30LL * 86400)

/* status marks a trusted role that expires within this many seconds (fixed: 24 h). */
#define SW_CLI_EXPIRY_WARNING (24LL * 3600)

/* A duration for a person: "40 s", "5 min", "3 h", "2 d" (the sign is dropped). */
void sw_cli_duration(long long secs, char *out, size_t n);

/*
 * When r is -SW_E_EXPIRED and t found a role expired, append to cli->err
 * who must act (the mirror looks stale, or the local clock looks wrong),
 * the machine's time used and the role's expiry. Returns r.
 */
int sw_cli_explain_expiry(struct sw_cli *cli, const struct sw_trust *t, int r);

/* Entry point of the slipway program. */
int sw_cli_main(int argc, char **argv);

/* STATE_DIR/metadata, where trusted metadata is kept (caller frees). */
char *sw_cli_metadata_dir(struct sw_cli *cli);

/* Commands (one family per file) and their options. */
int sw_cmd_status(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_init(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_refresh(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_list(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_pin(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_probe(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_show(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_config(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_fetch(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_stage(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_promote(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_check(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_rollback(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_history(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_hooks(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_hold(struct sw_cli *cli, int argc, char **argv);
int sw_cmd_unhold(struct sw_cli *cli, int argc, char **argv);
extern const struct sw_opt sw_cli_hold_opts[];
/* The hold for status --json: {"held": false} or {"held", "actor", "reason", "since"}. */
json_t *sw_cli_hold_json(struct sw_cli *cli);
/*
 * With label, the status line of the hold ("LABELno" / "LABELyes, since ...");
 * without, the note a manual command logs when the machine is held (else nothing).
 */
void sw_cli_hold_print(struct sw_cli *cli, FILE *f, const char *label);
/*
 * For history: the newest hold and unhold events (at most limit, 0 = 20),
 * oldest first, with actor and reason: printed when out is NULL, else set
 * as out["controls"] (out may be NULL from a failed json_pack: then no-op).
 */
int sw_cli_hold_history(struct sw_cli *cli, size_t limit, json_t *out);
extern const struct sw_opt sw_cli_fetch_opts[];
extern const struct sw_opt sw_cli_stage_opts[];
extern const struct sw_opt sw_cli_rollback_opts[];
extern const struct sw_opt sw_cli_promote_opts[];
extern const struct sw_opt sw_cli_history_opts[];
/*
 * Take STATE_DIR/lock (flock, not waiting) and write "pid N" and "since
 * TIME" into it; -SW_E_BUSY naming the holder's pid and start when another
 * slipway holds it. Commands with SW_CLI_LOCK have it taken by the frame.
 */
int sw_cli_lock(struct sw_cli *cli);
/* Recover an interrupted update (every command that holds the lock, on start). */
int sw_cli_recover(struct sw_cli *cli);
struct sw_offer_device;
/* This machine as the offer rules see it; strings borrowed from cli and installed. */
void sw_cli_offer_device(struct sw_cli *cli, const char *installed, struct sw_offer_device *dev);
extern const struct sw_opt sw_cli_init_opts[];
extern const struct sw_opt sw_cli_list_opts[];
extern const struct sw_opt sw_cli_pin_opts[];
extern const struct sw_opt sw_cli_probe_opts[];
extern const struct sw_opt sw_cli_hooks_opts[];

/*
 * The pieces of the update commands (src/cli/update.c) that `slipway
 * update` (src/cli/run-update.c) runs in its own order.
 */
#include <slipway/bundle.h>
#include <slipway/update.h>

#include <stdint.h>
#include <sys/time.h>

struct sw_fetch;
struct sw_trust;
struct sw_md_fileinfo;

struct pipeline {
    struct sw_cli *cli;
    struct sw_slot_backend *slots;
    struct sw_update_ctx uc;
    struct sw_fetch *fetch;
    struct sw_trust *trust;
    struct sw_progress *progress;
    char *mdir;
    char *downloads;
    struct sw_update_hooks hooks;
};

struct choice {
    char *target;
    const struct sw_md_fileinfo *info; /* borrowed from the trust */
    char *version;
};

struct stage_progress {
    struct sw_progress *pr;
    const char *target;
    struct timeval t0;
    int started;
};

/* Open the update context (and the slot backend when need_slots); close with pipeline_close. */
int pipeline_open(struct sw_cli *cli, struct pipeline *p, int need_slots);
void pipeline_close(struct pipeline *p);
/* Trusted metadata as the last refresh kept it, and the fetcher for targets. */
int pipeline_trust(struct pipeline *p);
/* p->trust opened (nothing loaded yet) with p->fetch, p->progress; the downloads directory. */
int pipeline_trust_open(struct pipeline *p, int local_roles);
/* STATE_DIR/downloads/NAME of a target (caller frees). */
char *download_path(struct pipeline *p, const char *target);
/* The version the store says runs now (borrowed from v), or NULL. */
const char *active_version(const struct sw_update_view *v);
void choice_release(struct choice *ch);
/* The newest pending update of target (-SW_E_NOTFOUND when none). */
int find_pending_for(struct pipeline *p, const char *target, struct sw_store_update *ret);
/* Cancel pending updates of other targets (staged ones too when staged_too). */
int cancel_others(struct pipeline *p, const char *target, int staged_too);
/* Record a new update (available) of the chosen target. */
int new_update(struct pipeline *p, const struct choice *ch, const char *installed,
               struct sw_store_update *ret);
/* Download the chosen target for u: downloading, then downloaded once verified. */
int download(struct pipeline *p, struct sw_store_update *u, const struct choice *ch,
             const char *path, int *ret_cached);
/* Remove old downloads but target's and those of the slots' updates. */
void prune_downloads(struct pipeline *p, const char *target, const struct sw_update_view *v,
                     json_t *pruned);
/* Downgrade and no-op rules: 1 nothing to do (msg says why), 0 go on, or -SW_E_*. */
int version_rules(struct pipeline *p, const struct choice *ch, const struct sw_update_view *v,
                  int allow_downgrade, int staging, char *msg, size_t msglen);
void stage_limits(struct sw_cli *cli, struct sw_bundle_limits *lim);
void stage_progress_fn(void *ctx, uint64_t done, uint64_t total);

/* `slipway update` (src/cli/run-update.c). */
int sw_cmd_update(struct sw_cli *cli, int argc, char **argv);
extern const struct sw_opt sw_cli_update_opts[];

#endif
