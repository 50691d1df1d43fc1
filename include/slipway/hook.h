/* SPDX-License-Identifier: MIT */
/*
 * The test-hook runner: discovery of the hooks of one phase over the
 * configured hook directories (override by name, masking), and running
 * them (scrubbed environment, timeouts that kill the whole process tree,
 * captured output, result-fd findings, exit-code verdicts). Storing the
 * results and deciding what a phase's verdict means (the promote gate) is
 * left to the callers. The library never prints.
 */
#ifndef SLIPWAY_HOOK_H
#define SLIPWAY_HOOK_H

#include <slipway/config.h>
#include <slipway/error.h>

#include <stddef.h>
#include <stdint.h>

#define SW_HOOK_PHASE_PRE_PROMOTE "pre-promote"
#define SW_HOOK_PHASE_POST_PROMOTE "post-promote"

#define SW_HOOK_MAX_PER_PHASE 1024 /* hooks discovered in one phase */
#define SW_HOOK_EXIT_SKIP 77       /* not applicable here */
#define SW_HOOK_EXIT_RETRY 75      /* try again later */
#define SW_HOOK_SAFE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define SW_HOOK_RESULT_FD 3       /* SLIPWAY_RESULT_FD in the hook */
#define SW_HOOK_BAD_LINE_KEEP 200 /* bytes of a bad result line kept */

/* Persisted and printed: never reuse a number. */
enum sw_hook_status {
    SW_HOOK_PASS = 0,
    SW_HOOK_FAIL = 1,
    SW_HOOK_SKIP = 2,
    SW_HOOK_ERROR = 3,   /* could not be started (exec failed, no memory) */
    SW_HOOK_REFUSED = 4, /* unsafe owner or mode, not executable: never run */
};

const char *sw_hook_status_to_string(enum sw_hook_status status);
int sw_hook_status_from_string(const char *s, enum sw_hook_status *ret_status);

/* One discovered hook of a phase. */
struct sw_hook {
    char *name;      /* file name, "NN-name" */
    char *path;      /* DIR/PHASE/NAME of the winning file */
    char *origin;    /* DIR it came from */
    char *overrides; /* path of the file it overrides (the last one), or NULL */
    int masked;      /* empty file or link to /dev/null: never run */
};

struct sw_hook_list {
    char *phase;
    struct sw_hook *v; /* sorted by name (byte order) */
    size_t n;
};

/*
 * The hooks of phase over dirs (borrowed), in order: for each DIR the files
 * of DIR/PHASE named NN-name (digits, a dash, then letters, digits, '.', '_'
 * or '-'); other names are ignored. A missing DIR/PHASE is not an error. A
 * name found again in a later DIR replaces the earlier one; an empty regular
 * file or a symbolic link to /dev/null masks it (masked hooks stay in the
 * list, flagged, for `hooks list`). Ownership and mode are checked when a
 * hook runs, not here. Free *ret_list with sw_hook_list_free().
 */
int sw_hook_discover(const struct sw_strlist *dirs, const char *phase,
                     struct sw_hook_list **ret_list, struct sw_error *err);
void sw_hook_list_free(struct sw_hook_list *list);

/*
 * The configuration section name of a hook file name: "NN-name" -> "name"
 * (a pointer into name). [hook "NAME"] sections match it, or the whole file
 * name.
 */
const char *sw_hook_config_name(const char *name);

/* What the hooks are told (all borrowed; NULL reaches the hook as ""). */
struct sw_hook_env {
    const char *phase;
    const char *txn;
    const char *slot;
    const char *slot_dir; /* also the working directory; "/" when NULL */
    const char *active_dir;
    const char *version_new;
    const char *version_old;
    const char *channel;
};

#define SW_HOOK_BIN_MAX 4096 /* bytes of SLIPWAY_BIN */

/* How a hook's processes were contained. Persisted and printed. */
enum sw_hook_containment {
    SW_HOOK_CONTAIN_NONE = 0,   /* not run */
    SW_HOOK_CONTAIN_PGROUP = 1, /* process group plus child subreaper sweep */
    SW_HOOK_CONTAIN_CGROUP = 2, /* its own cgroup v2 (and the sweep to reap) */
};

const char *sw_hook_containment_to_string(enum sw_hook_containment c);

/* How the runner behaves; sw_hook_params_init() fills the defaults. */
struct sw_hook_params {
    unsigned timeout_ms;       /* per hook unless its section sets timeout */
    unsigned grace_ms;         /* SIGTERM .. SIGKILL */
    unsigned retries;          /* extra attempts after exit 75 */
    unsigned retry_delay_ms;   /* pause before each extra attempt */
    size_t max_output;         /* bytes of stdout+stderr kept */
    size_t max_line;           /* bytes of one result-fd line */
    size_t max_findings;       /* findings kept (and bad lines kept) */
    const char *hook_lib;      /* SLIPWAY_HOOK_LIB (borrowed: cfg or a constant) */
    char bin[SW_HOOK_BIN_MAX]; /* SLIPWAY_BIN: this program, "" when unknown */
    int no_cgroup;             /* 1: never try a cgroup (process group only) */
};

#define SW_HOOK_DEFAULT_TIMEOUT_MS 60000
#define SW_HOOK_DEFAULT_GRACE_MS 5000
#define SW_HOOK_DEFAULT_RETRIES 3
#define SW_HOOK_DEFAULT_RETRY_DELAY_MS 10000
#define SW_HOOK_DEFAULT_MAX_OUTPUT (64 * 1024)
#define SW_HOOK_DEFAULT_MAX_LINE 4096
#define SW_HOOK_DEFAULT_MAX_FINDINGS 256

/*
 * Defaults, or with cfg (borrowed; must outlive params) its [slipway]
 * hook-timeout, hook-grace, hook-retries, hook-retry-delay, hook-output-max
 * and hook-lib. bin is read from /proc/self/exe here, once.
 */
void sw_hook_params_init(struct sw_hook_params *params, const struct sw_config *cfg);

/* One {"check": ..., "status": "pass|fail|skip", "detail": ...} line. */
struct sw_hook_finding {
    char *check;
    enum sw_hook_status status; /* PASS, FAIL or SKIP */
    char *detail;               /* "" when absent */
};

struct sw_hook_result {
    char *name;
    char *path;
    enum sw_hook_status status;
    int required;                         /* from the hook's section; 1 by default */
    int exit_code;                        /* of the last attempt; -1 when it did not exit */
    int signal;                           /* the signal that ended it, 0 when none */
    int timed_out;                        /* killed by the runner at its timeout */
    enum sw_hook_containment containment; /* of the last attempt */
    unsigned attempts;
    uint64_t duration_ms; /* all attempts, without the retry delays */
    char *reason;         /* why it failed, was refused or not run; or NULL */
    char *output;         /* stdout and stderr, NUL-terminated, capped */
    size_t output_len;
    int output_truncated;
    struct sw_hook_finding *findings;
    size_t n_findings;
    size_t findings_dropped; /* valid findings past max_findings */
    char **bad_lines;        /* "reason: first bytes of the line" */
    size_t n_bad_lines;
    size_t bad_lines_dropped;
};

struct sw_hook_results {
    struct sw_hook_result *v; /* in run order; masked hooks are absent */
    size_t n;
    size_t required_failed; /* required hooks not PASS or SKIP */
    size_t wanted_failed;   /* wanted ones not PASS or SKIP */
};

/*
 * Run the unmasked hooks of list in order, each to its end (a failure does
 * not stop the others). cfg (may be NULL) gives each hook's section:
 * required, timeout, the SLIPWAY_OPT_* keys. A hook's own failure, refusal
 * or timeout is a result, not an error; the call fails only when the runner
 * itself cannot work (no memory, no pipe, no fork). While it runs, the
 * process is a child subreaper, and every process that becomes its child
 * and was not one before is killed and reaped when the hook ends: callers
 * must not start other children concurrently. Free *ret_results with
 * sw_hook_results_free().
 */
int sw_hook_run_phase(const struct sw_hook_list *list, const struct sw_hook_env *env,
                      const struct sw_config *cfg, const struct sw_hook_params *params,
                      struct sw_hook_results **ret_results, struct sw_error *err);

/*
 * Run one hook (not masked) the same way; fills *result (caller releases).
 * With a section's user = NAME: when running as root the child takes that
 * user's groups, gid and uid (checked) before exec, and HOME and USER
 * describe it; a missing user, or a user other than the running one when
 * not root, refuses the hook. Containment: a child cgroup v2 of the
 * process's own when one can be made and entered (unless params->no_cgroup),
 * killed whole (cgroup.kill, else each pid) and removed after the hook;
 * else the process group and the subreaper sweep.
 */
int sw_hook_run_one(const struct sw_hook *hook, const struct sw_hook_env *env,
                    const struct sw_config *cfg, const struct sw_hook_params *params,
                    struct sw_hook_result *result, struct sw_error *err);

void sw_hook_result_release(struct sw_hook_result *result);
void sw_hook_results_free(struct sw_hook_results *results);

#endif
