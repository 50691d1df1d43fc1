/* SPDX-License-Identifier: MIT */
/*
 * The command frame of slipway-repo: the one command table, global options
 * and option groups (key directory, expiry), --help for the program and
 * each command, --json, and turning errors into messages and exit codes.
 * What each command does lives in the cmd-*.c files of its family.
 */
#include "repo.h"

#include "repo-cli.h"

#include <slipway/fs.h>
#include <slipway/log.h>
#include <slipway/text.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_JSON = 950,
    OPT_VERBOSE,
    OPT_QUIET,
    OPT_HELP,
};

static const struct sw_opt global_opts[] = {
    {"json", 0, 0, OPT_JSON, NULL, "report as one JSON object on stdout"},
    {"verbose", 'v', 0, OPT_VERBOSE, NULL, "say more (repeat for debug output)"},
    {"quiet", 'q', 0, OPT_QUIET, NULL, "say only warnings and errors"},
    {"help", 'h', 0, OPT_HELP, NULL, "show this help"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const struct sw_opt key_opts[] = {
    {"key-dir", 0, 1, SW_REPO_OPT_KEY_DIR, "KEYS",
     "key directory, outside the repository (default $SLIPWAY_REPO_KEY_DIR)"},
    {"passphrase-file", 0, 1, SW_REPO_OPT_PASSPHRASE_FILE, "FILE",
     "read the passphrase from FILE's first line (mode 0600), not the terminal"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const struct sw_opt expiry_opts[] = {
    {"expires-root", 0, 1, SW_REPO_OPT_EXPIRES_ROOT, "DAYS", "root expires after DAYS (365)"},
    {"expires-targets", 0, 1, SW_REPO_OPT_EXPIRES_TARGETS, "DAYS",
     "targets and delegated roles expire after DAYS (90)"},
    {"expires-snapshot", 0, 1, SW_REPO_OPT_EXPIRES_SNAPSHOT, "DAYS",
     "snapshot expires after DAYS (7)"},
    {"expires-timestamp", 0, 1, SW_REPO_OPT_EXPIRES_TIMESTAMP, "DAYS",
     "timestamp expires after DAYS (1)"},
    {"expires-at", 0, 1, SW_REPO_OPT_EXPIRES_AT, "ROLE=DATE",
     "ROLE expires at DATE (YYYY-MM-DDTHH:MM:SSZ); repeatable"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const struct sw_repo_cmd commands[] = {
    {"keygen", 1, 1, SW_REPO_F_KEYS, sw_repo_keygen_opts, sw_repo_cmd_keygen,
     "NAME [--type ed25519|ecdsa] [--kdf LEVEL]",
     "make a key pair KEYS/NAME.pub and KEYS/NAME.sec (passphrase asked twice)"},
    {"init", 1, 1, SW_REPO_F_KEYS | SW_REPO_F_EXPIRY, sw_repo_init_opts, sw_repo_cmd_init,
     "DIR [--ROLE-keys N --ROLE-threshold T] [--ROLE-key PUB ...]",
     "make a repository with root, targets, snapshot and timestamp keys, and publish it"},
    {"add", 1, -1, SW_REPO_F_EXPIRY, sw_repo_add_opts, sw_repo_cmd_add,
     "DIR (FILE|DIRECTORY)... [--manifest FILE] --version V --compatible C [--channel CH ...] "
     "[--rollout PERCENT]",
     "copy bundles in as targets with their custom.slipway fields (staged; one write)"},
    {"remove", 2, 2, SW_REPO_F_EXPIRY, sw_repo_remove_opts, sw_repo_cmd_remove,
     "DIR TARGET [--role ROLE]", "take a target out of its role (staged)"},
    {"rollout", 2, 2, SW_REPO_F_EXPIRY, sw_repo_rollout_opts, sw_repo_cmd_rollout,
     "DIR TARGET [--percent P | --wave AFTER:PERCENT... [--start T] [--ramp R]] [--salt S] "
     "[--pull [--replace-with V] | --unpull] [--role ROLE]",
     "set a target's rollout: percentage or waves, salt, pull (staged)"},
    {"delegate", 2, 2, SW_REPO_F_KEYS | SW_REPO_F_EXPIRY, sw_repo_delegate_opts,
     sw_repo_cmd_delegate,
     "DIR ROLE --key PUB ... --threshold N (--paths GLOB ... | --hash-prefix HEX ... | "
     "--succinct BITS)",
     "delegate target paths to a role, or to 2^BITS hash bins ROLE-HEX, with their own keys "
     "(staged)"},
    {"rotate-root", 1, 1, SW_REPO_F_KEYS | SW_REPO_F_EXPIRY, sw_repo_rotate_root_opts,
     sw_repo_cmd_rotate_root, "DIR [--role ROLE] [--add-key PUB ...] [--remove-key KEY ...]",
     "stage root N+1 with keys added or removed, or a new threshold"},
    {"renew", 2, -1, SW_REPO_F_EXPIRY, NULL, sw_repo_cmd_renew, "DIR ROLE ...",
     "stage roles again, unchanged but with a new version and expiry"},
    {"sign", 2, 2, SW_REPO_F_KEYS, sw_repo_sign_opts, sw_repo_cmd_sign, "DIR ROLE --key NAME ...",
     "add signatures to a staged role (threshold signing by several people)"},
    {"commit", 1, 1, SW_REPO_F_KEYS | SW_REPO_F_EXPIRY, NULL, sw_repo_cmd_commit, "DIR",
     "publish what is staged: new versions, snapshot and timestamp"},
    {"timestamp", 1, 1, SW_REPO_F_KEYS | SW_REPO_F_EXPIRY, NULL, sw_repo_cmd_timestamp, "DIR",
     "renew only the timestamp (what a cron job runs)"},
    {"snapshot", 1, 1, SW_REPO_F_KEYS | SW_REPO_F_EXPIRY, NULL, sw_repo_cmd_snapshot, "DIR",
     "write a new snapshot and timestamp over the newest published roles"},
    {"status", 1, 1, 0, NULL, sw_repo_cmd_status, "DIR",
     "show published versions and expiry, and what is staged and who must sign it"},
    {"verify", 1, 1, 0, sw_repo_verify_opts, sw_repo_cmd_verify,
     "DIR [--root FILE] [--at DATE] [--no-target-files]",
     "check the tree as a client would, from its root, and report every problem"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* --- helpers for commands ---------------------------------------------------------- */

int
sw_repo_exit_code(int r)
{
    return sw_exit_code(r);
}

const char *
sw_repo_opt(const struct sw_repo_cli *cli, int id)
{
    int present;
    const char *v = sw_cmdline_get(&cli->line, id, &present);
    return present ? (v ? v : "") : NULL;
}

int
sw_repo_opt_flag(const struct sw_repo_cli *cli, int id)
{
    return sw_repo_opt(cli, id) != NULL;
}

size_t
sw_repo_opt_all(const struct sw_repo_cli *cli, int id, const char **out, size_t max)
{
    return sw_cmdline_all(&cli->line, id, out, max);
}

int
sw_repo_opt_int(struct sw_repo_cli *cli, int id, const char *name, long min, long max, long *ret)
{
    const char *s = sw_repo_opt(cli, id);
    char *end;
    long v;
    if (!s)
        return 0;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return sw_error_set(&cli->err, SW_E_USAGE, "%s: --%s must be an integer from %ld to %ld",
                            cli->cmd->name, name, min, max);
    *ret = v;
    return 0;
}

void
sw_repo_say(const struct sw_repo_cli *cli, const char *fmt, ...)
{
    va_list ap;
    if (cli->json)
        return;
    va_start(ap, fmt);
    sw_text_vprintf(stdout, fmt, ap); /* names from the repository: no control byte */
    va_end(ap);
}

time_t
sw_repo_now(void)
{
#ifdef SW_FAULT_INJECTION
    const char *fake = secure_getenv("SLIPWAY_REPO_NOW");
    time_t t;
    if (fake && sw_md_parse_time(fake, &t) == 0)
        return t;
#endif
    return time(NULL);
}

int
sw_repo_parse_expiry(struct sw_repo_cli *cli, time_t now, struct sw_repo_expiry *ret)
{
    static const struct {
        int id;
        const char *name;
        enum sw_md_type type;
    } days[] = {
        {SW_REPO_OPT_EXPIRES_ROOT, "expires-root", SW_MD_ROOT},
        {SW_REPO_OPT_EXPIRES_TARGETS, "expires-targets", SW_MD_TARGETS},
        {SW_REPO_OPT_EXPIRES_SNAPSHOT, "expires-snapshot", SW_MD_SNAPSHOT},
        {SW_REPO_OPT_EXPIRES_TIMESTAMP, "expires-timestamp", SW_MD_TIMESTAMP},
    };
    const char *at[SW_REPO_MAX_EXPIRES_AT];
    size_t n;
    int r;

    sw_repo_expiry_defaults(ret);
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        r = sw_repo_opt_int(cli, days[i].id, days[i].name, 1, 36500, &ret->days[days[i].type]);
        if (r < 0)
            return r;
    }
    n = sw_repo_opt_all(cli, SW_REPO_OPT_EXPIRES_AT, at, SW_REPO_MAX_EXPIRES_AT);
    if (n > SW_REPO_MAX_EXPIRES_AT)
        return sw_error_set(&cli->err, SW_E_USAGE, "%s: at most %d --expires-at", cli->cmd->name,
                            SW_REPO_MAX_EXPIRES_AT);
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(at[i], '=');
        char role[SW_MD_MAX_ROLE_NAME + 1];
        time_t t;
        if (!eq || eq == at[i] || (size_t)(eq - at[i]) > SW_MD_MAX_ROLE_NAME ||
            sw_md_parse_time(eq + 1, &t) < 0)
            return sw_error_set(&cli->err, SW_E_USAGE,
                                "%s: --expires-at '%s' must be ROLE=YYYY-MM-DDTHH:MM:SSZ",
                                cli->cmd->name, at[i]);
        memcpy(role, at[i], (size_t)(eq - at[i]));
        role[eq - at[i]] = '\0';
        if (t <= now)
            sw_log_warning("--expires-at %s is in the past: clients will refuse that metadata",
                           at[i]);
        ret->at[ret->n_at].role = at[i]; /* compared up to '=' below */
        ret->at[ret->n_at].at = t;
        ret->n_at++;
    }
    return 0;
}

int
sw_repo_open_keyring(struct sw_repo_cli *cli, const char *repo_dir, int required,
                     struct sw_keyring **ret)
{
    const char *dir = sw_repo_opt(cli, SW_REPO_OPT_KEY_DIR);
    const char *pass = sw_repo_opt(cli, SW_REPO_OPT_PASSPHRASE_FILE);
    int r;

    *ret = NULL;
    if (!dir || !*dir)
        dir = secure_getenv("SLIPWAY_REPO_KEY_DIR");
    if (!dir || !*dir) {
        if (!required)
            return 0;
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "%s: no key directory: give --key-dir KEYS or set "
                            "SLIPWAY_REPO_KEY_DIR",
                            cli->cmd->name);
    }
    if (repo_dir) {
        r = sw_keyring_check_placement(dir, repo_dir, &cli->err);
        if (r < 0)
            return r;
    }
    return sw_keyring_open(dir, pass, ret, &cli->err);
}

#define STAGED_SHOWN 8 /* staged roles printed one by one */

void
sw_repo_print_staged(const struct sw_repo_cli *cli, const char *dir, int how_to_sign)
{
    const json_t *staged = json_object_get(cli->report, "staged");
    size_t i;
    const json_t *e;

    if (cli->json)
        return;
    json_array_foreach(staged, i, e)
    {
        const char *role = json_string_value(json_object_get(e, "role"));
        /* thousands of hash bins: the first few, then a count */
        if (i == STAGED_SHOWN && json_array_size(staged) > STAGED_SHOWN + 2) {
            printf("... and %zu more staged roles ('--json' lists every one)\n",
                   json_array_size(staged) - STAGED_SHOWN);
            break;
        }
        json_int_t have = json_integer_value(json_object_get(e, "signatures"));
        json_int_t need = json_integer_value(json_object_get(e, "threshold"));
        const json_t *missing = json_object_get(e, "missing");
        sw_text_printf(stdout,
                       "role '%s' version %" JSON_INTEGER_FORMAT ": %" JSON_INTEGER_FORMAT
                       " of %" JSON_INTEGER_FORMAT " signature%s by %s%s\n",
                       role, json_integer_value(json_object_get(e, "version")), have, need,
                       need == 1 ? "" : "s", json_string_value(json_object_get(e, "check")),
                       have >= need ? " (ready)" : "");
        if (have < need && !how_to_sign) {
            size_t j;
            const json_t *m;
            sw_text_printf(stdout,
                           "  needs %" JSON_INTEGER_FORMAT " more signature%s from:", need - have,
                           need - have == 1 ? "" : "s");
            json_array_foreach(missing, j, m)
            {
                const char *name = json_string_value(json_object_get(m, "name"));
                sw_text_printf(stdout, " %s",
                               name ? name : json_string_value(json_object_get(m, "keyid")));
            }
            sw_text_printf(
                stdout, "\n  ('commit' signs with the keys of its key directory; other holders run "
                        "'slipway-repo sign')\n");
        } else if (have < need) {
            size_t j;
            const json_t *m;
            sw_text_printf(stdout,
                           "  still needed: %" JSON_INTEGER_FORMAT " more, from:", need - have);
            json_array_foreach(missing, j, m)
            {
                const char *name = json_string_value(json_object_get(m, "name"));
                const char *id = json_string_value(json_object_get(m, "keyid"));
                if (name)
                    sw_text_printf(stdout, " %s", name);
                else
                    sw_text_printf(stdout, " (key id %.16s...)", id);
            }
            sw_text_printf(stdout, "\n");
            json_array_foreach(missing, j, m)
            {
                const char *name = json_string_value(json_object_get(m, "name"));
                sw_text_printf(stdout, "  slipway-repo sign %s %s --key %s --key-dir KEYS\n", dir,
                               role, name ? name : "NAME");
            }
        }
    }
}

/* --- the frame ----------------------------------------------------------------------- */

static void
usage_main(FILE *f)
{
    fprintf(f, "usage: slipway-repo [OPTIONS] COMMAND [ARGS]\n"
               "\n"
               "slipway-repo makes, signs and checks a static TUF repository for slipway clients:\n"
               "DIR/metadata/ and DIR/targets/ are served by any web server.\n"
               "\n"
               "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nOptions:\n");
    sw_cmdline_print(f, global_opts);
    fprintf(f, "  %-30s %s\n", "    --version", "print the version and exit");
    fprintf(f,
            "\nRun 'slipway-repo COMMAND --help' for a command's options; 'man slipway-repo' for "
            "more.\n"
            "Exit status: 0 ok, 1 failure, 2 usage, 5 the repository does not verify,\n"
            "7 key directory, key file or passphrase refused, 8 waiting for signatures\n"
            "(the scheme shared with slipway; see 'man slipway-repo').\n");
}

static void
usage_cmd(FILE *f, const struct sw_repo_cmd *cmd)
{
    fprintf(f, "usage: slipway-repo %s %s\n\n%s\n", cmd->name, cmd->args, cmd->summary);
    if (cmd->opts && cmd->opts->name) {
        fprintf(f, "\nOptions:\n");
        sw_cmdline_print(f, cmd->opts);
    }
    if (cmd->flags & SW_REPO_F_KEYS) {
        fprintf(f, "\nKeys:\n");
        sw_cmdline_print(f, key_opts);
    }
    if (cmd->flags & SW_REPO_F_EXPIRY) {
        fprintf(f, "\nExpiry of what this command stages or signs:\n");
        sw_cmdline_print(f, expiry_opts);
    }
    fprintf(f, "\nGlobal options:\n");
    sw_cmdline_print(f, global_opts);
}

static const struct sw_repo_cmd *
find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/*
 * Parse options: before the command (cmd NULL: stop at the command's name)
 * or the command's own with its groups and the global ones. Global options
 * take effect here; the command's stay in *ret_line. Returns 1 for --help,
 * 0 to go on, -SW_E_USAGE on error.
 */
static int
parse_options(struct sw_repo_cli *cli, const struct sw_repo_cmd *cmd, int argc, char **argv,
              struct sw_cmdline *ret_line)
{
    const struct sw_opt *groups[4] = {global_opts, NULL, NULL, NULL};
    struct sw_cmdline line;
    size_t n = 1;
    int r, help = 0;

    if (cmd) {
        groups[n++] = cmd->opts;
        if (cmd->flags & SW_REPO_F_KEYS)
            groups[n++] = key_opts;
        if (cmd->flags & SW_REPO_F_EXPIRY)
            groups[n++] = expiry_opts;
    }
    r = sw_cmdline_parse(argc, argv, groups, n, cmd == NULL, cmd ? cmd->name : "slipway-repo",
                         &line, &cli->err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < line.n_vals; i++) {
        switch (line.vals[i].id) {
        case OPT_JSON:
            cli->json = 1;
            break;
        case OPT_VERBOSE:
            cli->verbosity++;
            break;
        case OPT_QUIET:
            cli->verbosity--;
            break;
        case OPT_HELP:
            help = 1;
            break;
        default:
            break;
        }
    }
    *ret_line = line;
    return help;
}

/* JSON on stdout, ASCII only (names from a repository hold no control byte there) */
static void
print_json(const json_t *v)
{
    char *text = sw_text_json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text) {
        fputs(text, stdout);
        fputc('\n', stdout);
    }
    free(text);
}

static void
report_error(struct sw_repo_cli *cli, int r)
{
    if (cli->err.code == 0)
        sw_error_set(&cli->err, r < 0 ? -r : r, "%s", sw_strerror(r));
    sw_log_sw_error(&cli->err);
    if (cli->json && cli->cmd) {
        json_t *o = cli->report ? json_incref(cli->report) : json_object();
        json_t *e = json_pack("{s:i,s:s,s:s}", "code", cli->err.code, "name",
                              sw_errcode_name(cli->err.code), "message", cli->err.msg);
        if (o && e && json_object_set_new(o, "error", e) == 0) {
            print_json(o);
        } else {
            json_decref(e);
        }
        json_decref(o);
    }
}

int
sw_repo_main(int argc, char **argv)
{
    struct sw_repo_cli cli;
    struct sw_cmdline global;
    char **args = NULL;
    int first = 0, nargs = 0, r, help, exit_code;

    memset(&cli, 0, sizeof(cli));
    sw_log_init("slipway-repo");
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("slipway-repo %s\n", SW_VERSION);
        return SW_REPO_EXIT_OK;
    }
    memset(&global, 0, sizeof(global));
    help = parse_options(&cli, NULL, argc, argv, &global);
    first = global.next;
    sw_cmdline_release(&global);
    if (help < 0) {
        report_error(&cli, help);
        fprintf(stderr, "Run 'slipway-repo --help' for usage.\n");
        exit_code = SW_REPO_EXIT_USAGE;
        goto out;
    }
    if (first >= argc) {
        if (help) {
            usage_main(stdout);
            exit_code = SW_REPO_EXIT_OK;
        } else {
            sw_log_error("no command given");
            usage_main(stderr);
            exit_code = SW_REPO_EXIT_USAGE;
        }
        goto out;
    }
    if (strcmp(argv[first], "help") == 0) {
        const struct sw_repo_cmd *c = first + 1 < argc ? find_command(argv[first + 1]) : NULL;
        if (first + 1 < argc && !c) {
            sw_log_error("unknown command '%s'", argv[first + 1]);
            exit_code = SW_REPO_EXIT_USAGE;
        } else {
            if (c)
                usage_cmd(stdout, c);
            else
                usage_main(stdout);
            exit_code = SW_REPO_EXIT_OK;
        }
        goto out;
    }
    cli.cmd = find_command(argv[first]);
    if (!cli.cmd) {
        sw_log_error("unknown command '%s'; run 'slipway-repo --help' for the list", argv[first]);
        exit_code = SW_REPO_EXIT_USAGE;
        goto out;
    }
    r = parse_options(&cli, cli.cmd, argc - first, argv + first, &cli.line);
    args = cli.line.args;
    nargs = cli.line.n_args;
    if (r < 0) {
        report_error(&cli, r);
        fprintf(stderr, "Run 'slipway-repo %s --help' for usage.\n", cli.cmd->name);
        exit_code = SW_REPO_EXIT_USAGE;
        goto out;
    }
    if (help || r == 1) {
        usage_cmd(stdout, cli.cmd);
        exit_code = SW_REPO_EXIT_OK;
        goto out;
    }
    sw_log_set_level(SW_LOG_NOTICE + cli.verbosity);
    if (nargs < cli.cmd->min_args || (cli.cmd->max_args >= 0 && nargs > cli.cmd->max_args)) {
        sw_error_set(&cli.err, SW_E_USAGE, "%s: expected %s, got %d argument%s", cli.cmd->name,
                     cli.cmd->args, nargs, nargs == 1 ? "" : "s");
        report_error(&cli, -SW_E_USAGE);
        fprintf(stderr, "Run 'slipway-repo %s --help' for usage.\n", cli.cmd->name);
        exit_code = SW_REPO_EXIT_USAGE;
        goto out;
    }
    cli.report = json_object();
    if (!cli.report) {
        fprintf(stderr, "slipway-repo: out of memory\n");
        exit_code = SW_REPO_EXIT_FAILURE;
        goto out;
    }
    r = cli.cmd->run(&cli, nargs, args);
    if (r < 0) {
        report_error(&cli, r);
        exit_code = sw_repo_exit_code(r);
    } else {
        exit_code = r;
        if (cli.json) {
            print_json(cli.report);
        }
    }
out:
    sw_cmdline_release(&cli.line);
    json_decref(cli.report);
    if (fflush(stdout) == EOF && exit_code == 0)
        exit_code = SW_REPO_EXIT_FAILURE;
    return exit_code;
}
