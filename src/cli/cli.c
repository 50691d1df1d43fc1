/* SPDX-License-Identifier: MIT */
/*
 * The command frame of slipway: global options, the one command table,
 * per-command option parsing and --help, loading the configuration and the
 * store a command asks for, the lock, and turning errors into messages and
 * exit codes. What each command does lives in its own file.
 */
#include "cli.h"

#include <slipway/fs.h>
#include <slipway/hook.h>
#include <slipway/log.h>
#include <slipway/metadata.h>
#include <slipway/progress.h>
#include <slipway/text.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

enum {
    OPT_GLOBAL_CONFIG = 1000,
    OPT_GLOBAL_STATE_DIR,
    OPT_GLOBAL_JSON,
    OPT_GLOBAL_VERBOSE,
    OPT_GLOBAL_QUIET,
    OPT_GLOBAL_HELP,
    OPT_GLOBAL_VERSION,
    OPT_GLOBAL_PROGRESS_FD,
    OPT_GLOBAL_ACTOR,
};

static const struct sw_opt global_opts[] = {
    {"config", 'c', 1, OPT_GLOBAL_CONFIG, "FILE",
     "configuration file (default " SW_CONFIG_DEFAULT_PATH ")"},
    {"state-dir", 0, 1, OPT_GLOBAL_STATE_DIR, "DIR",
     "state directory (overrides the configuration)"},
    {"json", 0, 0, OPT_GLOBAL_JSON, NULL, "report as one JSON object on stdout"},
    {"verbose", 'v', 0, OPT_GLOBAL_VERBOSE, NULL, "say more (repeat for debug output)"},
    {"quiet", 'q', 0, OPT_GLOBAL_QUIET, NULL, "say only warnings and errors"},
    {"progress-fd", 0, 1, OPT_GLOBAL_PROGRESS_FD, "N",
     "write download progress as JSON lines to file descriptor N"},
    {"actor", 0, 1, OPT_GLOBAL_ACTOR, "NAME",
     "who runs this, as recorded: 'timer' or 'operator' (default: timer under systemd)"},
    {"help", 'h', 0, OPT_GLOBAL_HELP, NULL, "show this help"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const struct sw_cli_cmd commands[] = {
    {"init", 0, 0, SW_CLI_STORE | SW_CLI_LOCK | SW_CLI_JSON, sw_cli_init_opts, sw_cmd_init,
     "--root FILE [--force] | --reset-clock-floor [--yes]",
     "pin the first trusted root (checked: self-signed, not expired), or reset the clock floor"},
    {"refresh", 0, 0, SW_CLI_STORE | SW_CLI_LOCK | SW_CLI_JSON | SW_CLI_DOWNLOADS, NULL,
     sw_cmd_refresh, "", "update trusted metadata from the mirrors (the TUF client workflow)"},
    {"list", 0, 0, SW_CLI_STORE | SW_CLI_LOCK | SW_CLI_JSON, sw_cli_list_opts, sw_cmd_list,
     "[--why]", "list the trusted targets offered to this machine"},
    {"show", 1, 1, SW_CLI_STORE | SW_CLI_LOCK | SW_CLI_JSON, NULL, sw_cmd_show, "TARGET",
     "every signed field of one target, who signed it, and whether it is offered here"},
    {"status", 0, 0, SW_CLI_STORE | SW_CLI_JSON, NULL, sw_cmd_status, "",
     "show the state directory, store, device id, slots and trusted metadata"},
    {"pin", 1, 1, SW_CLI_JSON, sw_cli_pin_opts, sw_cmd_pin, "URL|CERT-FILE [--ca-file FILE]",
     "print the sha256// pin of a server's or a certificate's public key"},
    {"probe", 2, 3, 0, sw_cli_probe_opts, sw_cmd_probe,
     "tcp HOST PORT | http URL [--status N] | mqtt HOST PORT [--client-id ID]",
     "is a service healthy: a TCP connect, an HTTP status, an MQTT CONNACK"},
    {"fetch", 0, 1, SW_CLI_STORE | SW_CLI_LOCK | SW_CLI_JSON | SW_CLI_DOWNLOADS, sw_cli_fetch_opts,
     sw_cmd_fetch, "[--allow-downgrade] [TARGET]",
     "download a target (default: the newest offered), verified"},
    {"stage", 0, 1, SW_CLI_STORE | SW_CLI_LOCK | SW_CLI_JSON | SW_CLI_DOWNLOADS | SW_CLI_HOLD_NOTE,
     sw_cli_stage_opts, sw_cmd_stage, "[--allow-downgrade] [TARGET]",
     "fetch if needed, verify and extract into the inactive slot"},
    {"check", 0, 0, SW_CLI_STORE | SW_CLI_LOCK | SW_CLI_JSON, NULL, sw_cmd_check, "",
     "run the pre-promote hooks against the staged slot and show the result"},
    {"promote", 0, 0, SW_CLI_STORE | SW_CLI_LOCK | SW_CLI_JSON | SW_CLI_HOLD_NOTE,
     sw_cli_promote_opts, sw_cmd_promote, "[--force --reason TEXT]",
     "run the gate (pre-promote hooks), switch to the staged slot, run post-promote hooks"},
    {"rollback", 0, 0, SW_CLI_STORE | SW_CLI_LOCK | SW_CLI_JSON | SW_CLI_HOLD_NOTE,
     sw_cli_rollback_opts, sw_cmd_rollback, "[--reason TEXT]",
     "switch back to the previous version in the other slot"},
    {"history", 0, 0, SW_CLI_STORE | SW_CLI_JSON, sw_cli_history_opts, sw_cmd_history,
     "[--limit N]", "every update with its transitions, timings, actor and reason"},
    {"update", 0, 0, SW_CLI_STORE | SW_CLI_JSON | SW_CLI_DOWNLOADS, sw_cli_update_opts,
     sw_cmd_update,
     "[--stage-only | --promote-only] [--dry-run] [--timeout SECONDS] [--metrics-file FILE]",
     "the whole pipeline for a timer: refresh, choose, fetch, stage, check, promote, commit"},
    {"hooks", 1, 2, SW_CLI_CONFIG | SW_CLI_JSON, sw_cli_hooks_opts, sw_cmd_hooks,
     "list [--phase PHASE] | run NAME [--phase PHASE] [--slot-dir DIR] [--active-dir DIR]",
     "list the test hooks of each phase, or run one against a directory (exit: its verdict)"},
    {"config", 1, 1, SW_CLI_JSON, NULL, sw_cmd_config, "check",
     "validate the configuration and print it with every default (creates nothing)"},
    {"hold", 0, 0, SW_CLI_STORE | SW_CLI_JSON, sw_cli_hold_opts, sw_cmd_hold, "[--reason TEXT]",
     "stop unattended updates on this machine (manual commands still work)"},
    {"unhold", 0, 0, SW_CLI_STORE | SW_CLI_JSON, sw_cli_hold_opts, sw_cmd_unhold, "[--reason TEXT]",
     "release the hold: unattended updates may run again"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

int
sw_cli_exit_code(int r)
{
    return sw_exit_code(r);
}

const char *
sw_cli_opt_get(const struct sw_cli *cli, int id, int *ret_present)
{
    return sw_cmdline_get(&cli->line, id, ret_present);
}

int
sw_cli_opt_flag(const struct sw_cli *cli, int id)
{
    int present;
    sw_cli_opt_get(cli, id, &present);
    return present;
}

int
sw_cli_progress(struct sw_cli *cli, struct sw_progress **ret_progress)
{
    int bar = sw_progress_want_bar(STDERR_FILENO, cli->verbosity < 0) ? STDERR_FILENO : -1;
    *ret_progress = NULL;
    if (bar < 0 && cli->progress_fd < 0)
        return 0;
    return sw_progress_new(bar, cli->progress_fd, ret_progress, &cli->err);
}

int
sw_cli_print_json(struct sw_cli *cli, json_t *v)
{
    char *text;
    int r;
    if (!v)
        return sw_error_set(&cli->err, SW_E_NOMEM, "out of memory building JSON output");
    if (json_is_object(v) && !json_object_get(v, "schema")) {
        /* every object carries "schema" first (slipway(1), JSON OUTPUT) */
        json_t *o = json_pack("{s:i}", "schema", SW_JSON_SCHEMA);
        if (!o || json_object_update(o, v) < 0) {
            json_decref(o);
            json_decref(v);
            return sw_error_set(&cli->err, SW_E_NOMEM, "out of memory building JSON output");
        }
        json_decref(v);
        v = o;
    }
    /* ASCII only: names from metadata cannot put a control byte on the terminal */
    text = sw_text_json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(v);
    if (!text)
        return sw_error_set(&cli->err, SW_E_NOMEM, "out of memory writing JSON output");
    r = fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout) == EOF;
    free(text);
    if (r)
        return sw_error_errno(&cli->err, SW_E_IO, errno, "cannot write to stdout");
    return 0;
}

static void
usage_main(FILE *f)
{
    fprintf(f, "usage: slipway [OPTIONS] COMMAND [ARGS]\n"
               "\n"
               "slipway fetches signed updates (TUF), stages them into the inactive slot of an\n"
               "A/B pair, tests them with hooks, and promotes or rolls back atomically.\n"
               "\n"
               "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nOptions (before or after the command):\n");
    sw_cmdline_print(f, global_opts);
    fprintf(f, "  %-30s %s\n", "    --version", "print the version and exit");
    fprintf(f, "\nRun 'slipway COMMAND --help' for a command's options; 'man slipway' for more.\n"
               "Exit status: 0 ok, 1 failure, 2 usage, 3 configuration, 4 state store,\n"
               "5 verification, 6 fetch, 7 keys, 8 unsigned, 9 refused, 10 bundle, 11 slot,\n"
               "12 check failed, 13 rolled back, 17 locked; update: 0 nothing to do,\n"
               "14 updated, 15 staged, 16 declined (see 'man slipway').\n");
}

static void
usage_cmd(FILE *f, const struct sw_cli_cmd *cmd)
{
    fprintf(f, "usage: slipway %s [OPTIONS]%s%s\n\n%s\n", cmd->name, cmd->args[0] ? " " : "",
            cmd->args, cmd->summary);
    if (cmd->opts && cmd->opts->name) {
        fprintf(f, "\nOptions:\n");
        sw_cmdline_print(f, cmd->opts);
    }
    fprintf(f, "\nGlobal options:\n");
    for (const struct sw_opt *o = global_opts; o->name; o++) {
        if (o->id == OPT_GLOBAL_JSON && !(cmd->flags & SW_CLI_JSON))
            continue;
        if (o->id == OPT_GLOBAL_PROGRESS_FD && !(cmd->flags & SW_CLI_DOWNLOADS))
            continue;
        struct sw_opt one[2] = {*o, {NULL, 0, 0, 0, NULL, NULL}};
        sw_cmdline_print(f, one);
    }
}

/*
 * The hidden `slipway --completion bash|zsh`: the completion script, made
 * from the command table and the option tables (the build installs it).
 */
static int
print_completion(const char *shell, struct sw_error *err)
{
    static const char *const phases[] = {SW_HOOK_PHASE_PRE_PROMOTE, SW_HOOK_PHASE_POST_PROMOTE,
                                         NULL};
    static const struct sw_cmdline_values values[] = {{"PHASE", phases}};
    static const char *const extra[] = {"--version", NULL};
    struct sw_cmdline_cmd cmds[N_COMMANDS];
    struct sw_cmdline_prog prog;

    memset(cmds, 0, sizeof(cmds));
    for (size_t i = 0; i < N_COMMANDS; i++) {
        size_t k = 0;
        cmds[i].name = commands[i].name;
        cmds[i].synopsis = commands[i].args;
        cmds[i].summary = commands[i].summary;
        cmds[i].groups[0] = commands[i].opts;
        if (!(commands[i].flags & SW_CLI_JSON))
            cmds[i].skip[k++] = "json";
        if (!(commands[i].flags & SW_CLI_DOWNLOADS))
            cmds[i].skip[k++] = "progress-fd";
    }
    memset(&prog, 0, sizeof(prog));
    prog.name = "slipway";
    prog.globals = global_opts;
    prog.extra_globals = extra;
    prog.cmds = cmds;
    prog.n_cmds = N_COMMANDS;
    prog.values = values;
    prog.n_values = sizeof(values) / sizeof(values[0]);
    return sw_cmdline_completion(stdout, &prog, shell, err);
}

static const struct sw_cli_cmd *
find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/*
 * Parse options: before the command (cmd NULL: stop at the command's name)
 * or the command's own, with the global ones accepted there too. Global
 * options take effect here; the command's stay in cli->line. Returns 1 when
 * --help was asked for, 0 to go on, -SW_E_USAGE on error.
 */
static int
parse_options(struct sw_cli *cli, const struct sw_cli_cmd *cmd, int argc, char **argv,
              struct sw_cmdline *ret_line)
{
    const struct sw_opt *groups[2] = {global_opts, cmd ? cmd->opts : NULL};
    const char *where = cmd ? cmd->name : "slipway";
    struct sw_cmdline line;
    int r, help = 0;

    r = sw_cmdline_parse(argc, argv, groups, 2, cmd == NULL, where, &line, &cli->err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < line.n_vals; i++) {
        const char *arg = line.vals[i].arg;
        switch (line.vals[i].id) {
        case OPT_GLOBAL_CONFIG:
            cli->config_path = arg;
            break;
        case OPT_GLOBAL_STATE_DIR:
            cli->state_dir = arg;
            break;
        case OPT_GLOBAL_JSON:
            cli->json = 1;
            break;
        case OPT_GLOBAL_VERBOSE:
            cli->verbosity++;
            break;
        case OPT_GLOBAL_QUIET:
            cli->verbosity--;
            break;
        case OPT_GLOBAL_HELP:
            help = 1;
            break;
        case OPT_GLOBAL_ACTOR:
            if (strcmp(arg, "timer") != 0 && strcmp(arg, "operator") != 0) {
                sw_cmdline_release(&line);
                return sw_error_set(&cli->err, SW_E_USAGE,
                                    "%s: --actor '%s': only 'timer' or 'operator'", where, arg);
            }
            cli->actor_opt = arg;
            break;
        case OPT_GLOBAL_PROGRESS_FD: {
            char *end;
            long fd = strtol(arg, &end, 10);
            if (*end || fd <= 2 || fd > 65535 || fcntl((int)fd, F_GETFD) < 0) {
                sw_cmdline_release(&line);
                return sw_error_set(&cli->err, SW_E_USAGE,
                                    "%s: --progress-fd '%s' is not an open file descriptor "
                                    "above 2",
                                    where, arg);
            }
            cli->progress_fd = (int)fd;
            break;
        }
        default:
            break;
        }
    }
    *ret_line = line;
    return help;
}

/*
 * Who holds the lock, from what its holder wrote into it ("pid N" and
 * "since TIME" lines): "pid N, since TIME", or "" when it says nothing
 * readable. Only digits, '-', ':', 'T' and 'Z' are copied.
 */
static void
lock_holder(int fd, char *out, size_t outlen)
{
    char buf[128], pid[24] = "", since[32] = "";
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

    out[0] = '\0';
    if (n <= 0)
        return;
    buf[n] = '\0';
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        char *dst = NULL;
        size_t cap = 0, k = 0;
        const char *v = NULL;
        if (strncmp(line, "pid ", 4) == 0) {
            dst = pid, cap = sizeof(pid), v = line + 4;
        } else if (strncmp(line, "since ", 6) == 0) {
            dst = since, cap = sizeof(since), v = line + 6;
        } else {
            continue;
        }
        for (; *v && k + 1 < cap; v++)
            if ((*v >= '0' && *v <= '9') || *v == '-' || *v == ':' || *v == 'T' || *v == 'Z')
                dst[k++] = *v;
        dst[k] = '\0';
    }
    /* a pid left by a holder that has gone is not named (a lock held by flock(1), say) */
    if (pid[0] && (kill((pid_t)strtol(pid, NULL, 10), 0) == 0 || errno == EPERM))
        snprintf(out, outlen, "pid %s, since %s", pid, since[0] ? since : "?");
}

/* Write "pid N" and "since TIME" into the lock just taken (best effort). */
static void
lock_write_holder(int fd)
{
    char buf[96], at[21];
    int n;

    sw_md_format_time(time(NULL), at);
    n = snprintf(buf, sizeof(buf), "pid %ld\nsince %s\n", (long)getpid(), at);
    if (ftruncate(fd, 0) == 0 && n > 0 && pwrite(fd, buf, (size_t)n, 0) != n)
        sw_log_debug("cannot write the lock holder's pid");
}

/* A user name from the environment, cut to name characters so it is safe to record and print. */
static void
clean_name(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; *in && k + 1 < n; in++)
        if ((*in >= 'a' && *in <= 'z') || (*in >= 'A' && *in <= 'Z') ||
            (*in >= '0' && *in <= '9') || *in == '.' || *in == '_' || *in == '-')
            out[k++] = *in;
    out[k] = '\0';
}

const char *
sw_cli_actor(struct sw_cli *cli)
{
    const char *inv = secure_getenv("INVOCATION_ID");
    int timer = cli->actor_opt ? strcmp(cli->actor_opt, "timer") == 0 : inv && *inv;

    if (cli->actor[0])
        return cli->actor;
    if (timer) {
        snprintf(cli->actor, sizeof(cli->actor), "timer");
    } else {
        struct passwd *pw = getpwuid(geteuid());
        const char *sudo = secure_getenv("SUDO_USER");
        char user[40], by[40] = "";
        if (pw && pw->pw_name)
            clean_name(pw->pw_name, user, sizeof(user));
        else
            snprintf(user, sizeof(user), "uid%u", (unsigned)geteuid());
        if (sudo && *sudo)
            clean_name(sudo, by, sizeof(by));
        if (by[0] && strcmp(by, user) != 0)
            snprintf(cli->actor, sizeof(cli->actor), "operator:%s (sudo: %s)", user, by);
        else
            snprintf(cli->actor, sizeof(cli->actor), "operator:%s", user);
    }
    return cli->actor;
}

int
sw_cli_lock(struct sw_cli *cli)
{
    char *path = sw_fs_join(cli->cfg->state_dir, "lock");
    int fd;

    if (!path)
        return sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
    fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int r = sw_error_errno(&cli->err, SW_E_IO, errno, "cannot open lock '%s'", path);
        free(path);
        return r;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        int r;
        if (e == EWOULDBLOCK) {
            char who[96];
            lock_holder(fd, who, sizeof(who));
            if (who[0])
                r = sw_error_set(&cli->err, SW_E_BUSY,
                                 "another slipway holds the lock (%s): '%s'; try again when it "
                                 "has finished",
                                 who, path);
            else
                r = sw_error_set(&cli->err, SW_E_BUSY,
                                 "another slipway holds '%s'; try again when it has finished",
                                 path);
        } else {
            r = sw_error_errno(&cli->err, SW_E_IO, e, "cannot lock '%s'", path);
        }
        close(fd);
        free(path);
        return r;
    }
    free(path);
    lock_write_holder(fd);
    cli->lock_fd = fd;
    return 0;
}

static void
report_error(struct sw_cli *cli, int r)
{
    if (cli->err.code == 0)
        sw_error_set(&cli->err, r, "%s", sw_strerror(r));
    sw_log_sw_error(&cli->err);
    if (cli->json && cli->cmd) {
        json_t *o = json_pack("{s:i,s:{s:i,s:s,s:s}}", "schema", SW_JSON_SCHEMA, "error", "code",
                              cli->err.code, "name", sw_errcode_name(cli->err.code), "message",
                              cli->err.msg);
        if (o) {
            json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            fputc('\n', stdout);
            json_decref(o);
        }
    }
}

/*
 * Load what the command asks for. Any failure with the state directory, the
 * or the store makes the store the problem (exit 4), whatever the code; a
 * lock held by another slipway exits 17.
 */
static int
prepare(struct sw_cli *cli, int *ret_store_failed)
{
    const struct sw_cli_cmd *cmd = cli->cmd;
    int r;

    if (!(cmd->flags & (SW_CLI_CONFIG | SW_CLI_STORE | SW_CLI_LOCK)))
        return 0;
    r = sw_config_load(cli->config_path, &cli->cfg, &cli->err);
    if (r < 0)
        return r;
    r = sw_config_set_state_dir(cli->cfg, cli->state_dir, &cli->err);
    if (r < 0)
        return r;
    *ret_store_failed = 1;
    if (cmd->flags & (SW_CLI_STORE | SW_CLI_LOCK)) {
        r = sw_fs_private_dir(cli->cfg->state_dir, &cli->err);
        if (r < 0)
            return sw_error_prefix(&cli->err, "state directory: ");
    }
    if (cmd->flags & SW_CLI_LOCK) {
        r = sw_cli_lock(cli);
        if (r < 0)
            return r;
    }
    if (cmd->flags & SW_CLI_STORE) {
        r = sw_store_open(cli->cfg->state_dir, SW_STORE_CREATE, &cli->store, &cli->err);
        if (r < 0)
            return r;
    }
    *ret_store_failed = 0;
    if (cmd->flags & SW_CLI_LOCK) {
        r = sw_cli_recover(cli); /* an interrupted update is finished or undone first */
        if (r < 0)
            return r;
    }
    return 0;
}

int
sw_cli_main(int argc, char **argv)
{
    struct sw_cli cli;
    struct sw_cmdline global;
    int first, nargs, r, help;
    char **args;
    int exit_code;

    memset(&cli, 0, sizeof(cli));
    memset(&global, 0, sizeof(global));
    cli.lock_fd = -1;
    cli.progress_fd = -1;
    sw_log_init("slipway");

    /* global options before the command */
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("slipway %s\n", SW_VERSION);
        return SW_EXIT_OK;
    }
    if (argc >= 2 && strcmp(argv[1], "--completion") == 0) {
        r = argc == 3 ? print_completion(argv[2], &cli.err)
                      : sw_error_set(&cli.err, SW_E_USAGE, "usage: slipway --completion bash|zsh");
        if (r < 0)
            sw_log_sw_error(&cli.err);
        return r < 0 ? sw_cli_exit_code(r) : SW_EXIT_OK;
    }
    help = parse_options(&cli, NULL, argc, argv, &global);
    first = global.next;
    sw_cmdline_release(&global);
    if (help < 0) {
        report_error(&cli, help);
        fprintf(stderr, "Run 'slipway --help' for usage.\n");
        exit_code = SW_EXIT_USAGE;
        goto out;
    }
    if (first >= argc) {
        if (help) {
            usage_main(stdout);
            exit_code = SW_EXIT_OK;
        } else {
            sw_log_error("no command given");
            usage_main(stderr);
            exit_code = SW_EXIT_USAGE;
        }
        goto out;
    }
    if (strcmp(argv[first], "help") == 0) {
        const struct sw_cli_cmd *c = first + 1 < argc ? find_command(argv[first + 1]) : NULL;
        if (first + 1 < argc && !c) {
            sw_log_error("unknown command '%s'", argv[first + 1]);
            exit_code = SW_EXIT_USAGE;
        } else {
            if (c)
                usage_cmd(stdout, c);
            else
                usage_main(stdout);
            exit_code = SW_EXIT_OK;
        }
        goto out;
    }
    cli.cmd = find_command(argv[first]);
    if (!cli.cmd) {
        sw_log_error("unknown command '%s'; run 'slipway --help' for the list", argv[first]);
        exit_code = SW_EXIT_USAGE;
        goto out;
    }

    /* the command's own options (global ones are accepted here too) */
    r = parse_options(&cli, cli.cmd, argc - first, argv + first, &cli.line);
    args = cli.line.args;
    nargs = cli.line.n_args;
    if (r == 0 && cli.json && !(cli.cmd->flags & SW_CLI_JSON))
        r = sw_error_set(&cli.err, SW_E_USAGE, "%s: --json is not supported here", cli.cmd->name);
    if (r == 0 && cli.progress_fd >= 0 && !(cli.cmd->flags & SW_CLI_DOWNLOADS))
        r = sw_error_set(&cli.err, SW_E_USAGE,
                         "%s: --progress-fd is not supported here: this command downloads nothing",
                         cli.cmd->name);
    if (r < 0) {
        report_error(&cli, r);
        fprintf(stderr, "Run 'slipway %s --help' for usage.\n", cli.cmd->name);
        exit_code = SW_EXIT_USAGE;
        goto out;
    }
    if (help || r == 1) {
        usage_cmd(stdout, cli.cmd);
        exit_code = SW_EXIT_OK;
        goto out;
    }
    sw_log_set_level(SW_LOG_NOTICE + cli.verbosity);
    if (nargs < cli.cmd->min_args || (cli.cmd->max_args >= 0 && nargs > cli.cmd->max_args)) {
        sw_error_set(&cli.err, SW_E_USAGE, "%s: expected %s%s, got %d argument%s", cli.cmd->name,
                     cli.cmd->args[0] ? "" : "no arguments", cli.cmd->args, nargs,
                     nargs == 1 ? "" : "s");
        report_error(&cli, -SW_E_USAGE);
        fprintf(stderr, "Run 'slipway %s --help' for usage.\n", cli.cmd->name);
        exit_code = SW_EXIT_USAGE;
        goto out;
    }
    {
        int store_failed = 0;
        r = prepare(&cli, &store_failed);
        if (r < 0) {
            report_error(&cli, r);
            exit_code = store_failed && r != -SW_E_BUSY ? SW_EXIT_STORE : sw_cli_exit_code(r);
            goto out;
        }
    }
    if (cli.cmd->flags & SW_CLI_HOLD_NOTE)
        sw_cli_hold_print(&cli, stderr, NULL);
    r = cli.cmd->run(&cli, nargs, args);
    if (r < 0) {
        report_error(&cli, r);
        exit_code = sw_cli_exit_code(r);
    } else {
        exit_code = r; /* a command may return a positive exit code of its own */
    }
out:
    sw_cmdline_release(&cli.line);
    sw_store_close(cli.store);
    sw_config_free(cli.cfg);
    if (cli.lock_fd >= 0)
        close(cli.lock_fd);
    if (fflush(stdout) == EOF && exit_code == 0)
        exit_code = SW_EXIT_FAILURE;
    return exit_code;
}
