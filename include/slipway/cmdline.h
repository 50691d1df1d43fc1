/* SPDX-License-Identifier: MIT */
/*
 * Command lines of slipway and slipway-repo: option tables, parsing with
 * getopt_long into option values and positional arguments, and printing
 * options for --help. What the options mean, and the command tables, stay
 * with each program's command frame.
 */
#ifndef SLIPWAY_CMDLINE_H
#define SLIPWAY_CMDLINE_H

#include <slipway/error.h>

#include <stddef.h>
#include <stdio.h>

#define SW_CMDLINE_MAX_OPTS 128 /* options of all groups of one parse */

/* The "schema" field of every --json object both programs print (their man pages, JSON OUTPUT). */
#define SW_JSON_SCHEMA 1

/* One option. Tables end with an entry whose name is NULL. */
struct sw_opt {
    const char *name; /* long name, without "--" */
    int short_name;   /* 0 when none */
    int has_arg;      /* 0 or 1 */
    int id;           /* what sw_cmdline_get() is asked for */
    const char *arg_name;
    const char *help;
};

struct sw_optval {
    int id;
    const char *arg; /* borrowed from argv; NULL for a flag */
};

/* What a parse found. */
struct sw_cmdline {
    struct sw_optval *vals; /* in command-line order */
    size_t n_vals;
    char **args; /* positional arguments (borrowed from argv) */
    int n_args;
    int next; /* with stop_at_arg: index in argv of the first positional argument */
};

/*
 * Parse argv[1..argc) against the option tables in groups (n_groups of
 * them). With stop_at_arg, parsing stops at the first positional argument
 * (ret->next); otherwise positional arguments may come anywhere and "--"
 * ends the options. Unknown options and missing values are -SW_E_USAGE
 * with "WHERE: unknown option '--x'". Release ret with sw_cmdline_release().
 */
int sw_cmdline_parse(int argc, char **argv, const struct sw_opt *const *groups, size_t n_groups,
                     int stop_at_arg, const char *where, struct sw_cmdline *ret,
                     struct sw_error *err);

void sw_cmdline_release(struct sw_cmdline *c);

/* The last value given for id (NULL for a flag or when absent); *ret_present if given. */
const char *sw_cmdline_get(const struct sw_cmdline *c, int id, int *ret_present);

/* How many times id was given. */
size_t sw_cmdline_count(const struct sw_cmdline *c, int id);

/* Up to max values of id, in order, into out; returns how many were given. */
size_t sw_cmdline_all(const struct sw_cmdline *c, int id, const char **out, size_t max);

/* Print a table as "  -c, --config FILE   help" lines. */
void sw_cmdline_print(FILE *f, const struct sw_opt *opts);

/* --- shell completion, generated from the tables ------------------------------------- */

#define SW_CMDLINE_CMD_GROUPS 4 /* option groups of one command */
#define SW_CMDLINE_CMD_SKIP 4   /* global options one command does not take */

/*
 * One command as completion sees it (strings borrowed). A synopsis that
 * starts with lowercase words joined by '|' ("list|run HOOK ...") names
 * the command's sub-commands, completed as its first argument; one that
 * names FILE, DIR or PUB completes file names as arguments.
 */
struct sw_cmdline_cmd {
    const char *name;
    const char *synopsis;
    const char *summary;
    const struct sw_opt *groups[SW_CMDLINE_CMD_GROUPS]; /* its own options; unused slots NULL */
    const char *skip[SW_CMDLINE_CMD_SKIP];              /* global option names it refuses */
};

/* The words a value may be, for every option whose arg_name is arg_name ("PHASE"). */
struct sw_cmdline_values {
    const char *arg_name;
    const char *const *words; /* NULL-terminated */
};

/*
 * A program as completion sees it. Option values complete by arg_name:
 * from values, else words joined by '|' in arg_name itself, else
 * directories for *DIR and KEYS, files for *FILE and PUB, else nothing.
 */
struct sw_cmdline_prog {
    const char *name;                 /* "slipway" */
    const struct sw_opt *globals;     /* accepted before and after the command */
    const char *const *extra_globals; /* options taken only before the command ("--version") */
    const struct sw_cmdline_cmd *cmds;
    size_t n_cmds;
    const struct sw_cmdline_values *values; /* n_values of them */
    size_t n_values;
};

/*
 * Write the completion script of p for shell ("bash" or "zsh") to f: the
 * commands, the global and per-command options, option values and
 * sub-commands where the tables know them. -SW_E_USAGE for another shell.
 */
int sw_cmdline_completion(FILE *f, const struct sw_cmdline_prog *p, const char *shell,
                          struct sw_error *err);

#endif
