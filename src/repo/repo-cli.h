/* SPDX-License-Identifier: MIT */
/*
 * Private to slipway-repo's command layer: the command table entry, the
 * context each command runs with, option groups (key directory, expiry)
 * and the helpers commands share. Commands live one family per file:
 * cmd-keys.c, cmd-edit.c, cmd-publish.c, cmd-verify.c.
 */
#ifndef SLIPWAY_REPO_CLI_H
#define SLIPWAY_REPO_CLI_H

#include "keyring.h"
#include "publish.h"
#include "tree.h"

#include <slipway/cmdline.h>
#include <slipway/error.h>
#include <slipway/exit.h>

#include <jansson.h>
#include <time.h>

/*
 * Exit codes of slipway-repo: the scheme shared with slipway
 * (slipway/exit.h, documented in slipway-repo(1) and docs/exit-codes.md).
 */
#define SW_REPO_EXIT_OK SW_EXIT_OK
#define SW_REPO_EXIT_FAILURE SW_EXIT_FAILURE
#define SW_REPO_EXIT_USAGE SW_EXIT_USAGE
#define SW_REPO_EXIT_UNSIGNED SW_EXIT_UNSIGNED /* not published: a threshold is not met yet */
#define SW_REPO_EXIT_INVALID SW_EXIT_TRUST     /* the repository (or a document) does not verify */
#define SW_REPO_EXIT_KEYS SW_EXIT_KEYS         /* key directory, key file or passphrase refused */

/* The "schema" of every --json report: raised when a field changes meaning or goes. */
#define SW_REPO_JSON_SCHEMA 1

/* Map a negative SW_E_* code to an exit code: sw_exit_code(). */
int sw_repo_exit_code(int r);

enum sw_repo_cmd_flags {
    SW_REPO_F_KEYS = 1 << 0,   /* accepts --key-dir and --passphrase-file */
    SW_REPO_F_EXPIRY = 1 << 1, /* accepts --expires-ROLE and --expires-at */
};

struct sw_repo_cli;

struct sw_repo_cmd {
    const char *name;
    int min_args, max_args; /* positional; max -1 = any */
    unsigned flags;
    const struct sw_opt *opts;
    int (*run)(struct sw_repo_cli *cli, int argc, char **argv);
    const char *args;
    const char *summary;
};

struct sw_repo_cli {
    const struct sw_repo_cmd *cmd;
    int json;
    int verbosity;
    struct sw_cmdline line; /* the command's options and arguments */
    json_t *report;         /* what the command did; printed under --json */
    struct sw_error err;
};

/* Option ids shared by groups (command option ids start at 1 and stay below 900). */
enum {
    SW_REPO_OPT_KEY_DIR = 900,
    SW_REPO_OPT_PASSPHRASE_FILE,
    SW_REPO_OPT_EXPIRES_ROOT,
    SW_REPO_OPT_EXPIRES_TARGETS,
    SW_REPO_OPT_EXPIRES_SNAPSHOT,
    SW_REPO_OPT_EXPIRES_TIMESTAMP,
    SW_REPO_OPT_EXPIRES_AT,
};

/* The last value of an option, or NULL; and every value in order. */
const char *sw_repo_opt(const struct sw_repo_cli *cli, int id);
int sw_repo_opt_flag(const struct sw_repo_cli *cli, int id);
size_t sw_repo_opt_all(const struct sw_repo_cli *cli, int id, const char **out, size_t max);

/* Parse an integer option in [min, max]; *ret untouched when absent. -SW_E_USAGE if bad. */
int sw_repo_opt_int(struct sw_repo_cli *cli, int id, const char *name, long min, long max,
                    long *ret);

/* Print unless --json (report lines go to stdout). */
void sw_repo_say(const struct sw_repo_cli *cli, const char *fmt, ...) SW_PRINTF(2, 3);

/* The clock (UTC seconds). SLIPWAY_REPO_NOW=YYYY-MM-DDTHH:MM:SSZ overrides it in test builds. */
time_t sw_repo_now(void);

/*
 * A lifetime as --expires-* take it: plain DAYS, N with a unit (m minutes,
 * h hours, d days, w weeks, y 365 days), or a date YYYY-MM-DD (midnight
 * UTC) or YYYY-MM-DDTHH:MM:SSZ (as seconds from now; may be negative: in
 * the past). Up to 100 years. -SW_E_USAGE (no message) otherwise.
 */
int sw_repo_parse_lifetime(const char *s, time_t now, long long *ret_secs);

/* The expiry options of the command. Warns for dates in the past. */
int sw_repo_parse_expiry(struct sw_repo_cli *cli, time_t now, struct sw_repo_expiry *ret);

/*
 * The key directory (--key-dir, else SLIPWAY_REPO_KEY_DIR), checked to lie
 * outside repo_dir (when non-NULL), opened as a ring. required: its
 * absence is a usage error; otherwise *ret is NULL when none is given.
 */
int sw_repo_open_keyring(struct sw_repo_cli *cli, const char *repo_dir, int required,
                         struct sw_keyring **ret);

/*
 * Print report["staged"] (who signed, who must still sign what) for dir;
 * with how_to_sign, the 'slipway-repo sign' command line for each key.
 */
void sw_repo_print_staged(const struct sw_repo_cli *cli, const char *dir, int how_to_sign);

/* Commands. */
int sw_repo_cmd_keygen(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_init(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_add(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_remove(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_rollout(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_delegate(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_rotate_root(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_renew(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_sign(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_commit(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_timestamp(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_snapshot(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_status(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_verify(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_list(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_unstage(struct sw_repo_cli *cli, int argc, char **argv);
int sw_repo_cmd_prune(struct sw_repo_cli *cli, int argc, char **argv);

/*
 * 'delegate --hash-prefix-for PATH [--bits N | --succinct N] [ROLE | DIR ROLE]'
 * (cmd-list.c): the sha256 of PATH as clients compute it, its first N bits
 * as a hex prefix and a TAP 15 bin, the bin's name for prefix ROLE, or with
 * DIR, whether DIR's delegation ROLE (hash prefixes or bins) holds PATH.
 */
int sw_repo_hash_prefix_for(struct sw_repo_cli *cli, int argc, char **argv, const char *path,
                            const char *bits, const char *succinct);

extern const struct sw_opt sw_repo_keygen_opts[];
extern const struct sw_opt sw_repo_init_opts[];
extern const struct sw_opt sw_repo_add_opts[];
extern const struct sw_opt sw_repo_remove_opts[];
extern const struct sw_opt sw_repo_rollout_opts[];
extern const struct sw_opt sw_repo_delegate_opts[];
extern const struct sw_opt sw_repo_rotate_root_opts[];
extern const struct sw_opt sw_repo_sign_opts[];
extern const struct sw_opt sw_repo_verify_opts[];
extern const struct sw_opt sw_repo_list_opts[];
extern const struct sw_opt sw_repo_prune_opts[];

#endif
