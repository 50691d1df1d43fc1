/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of command-line parsing: option groups, short and long forms,
 * values given twice, positional arguments anywhere or up to the first,
 * "--", and the usage errors with the option at fault.
 */
#include "testutil.h"

#include <slipway/cmdline.h>

#include <stdlib.h>
#include <string.h>

enum { A_CONFIG = 1, A_JSON, A_VERBOSE, B_KEY, B_FORCE };

static const struct sw_opt global[] = {
    {"config", 'c', 1, A_CONFIG, "FILE", "configuration"},
    {"json", 0, 0, A_JSON, NULL, "json"},
    {"verbose", 'v', 0, A_VERBOSE, NULL, "more"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const struct sw_opt cmd[] = {
    {"key", 'k', 1, B_KEY, "NAME", "a key"},
    {"force", 0, 0, B_FORCE, NULL, "force"},
    {NULL, 0, 0, 0, NULL, NULL},
};

/* getopt wants writable strings: copies, freed when the tests end */
static char **copies[16];
static size_t n_copies;

static char **
args(const char *const *in)
{
    int n = 0;
    char **out;
    while (in[n])
        n++;
    out = calloc((size_t)n + 1, sizeof(*out));
    assert_non_null(out);
    for (int i = 0; i < n; i++)
        out[i] = strdup(in[i]);
    assert_true(n_copies < 16);
    copies[n_copies++] = out;
    return out;
}

static int
free_copies(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_copies; i++) {
        for (char **p = copies[i]; *p; p++)
            free(*p);
        free(copies[i]);
    }
    return 0;
}

static int
parse(int argc, const char *const *in, int stop, struct sw_cmdline *ret, struct sw_error *err)
{
    const struct sw_opt *groups[] = {global, cmd};
    return sw_cmdline_parse(argc, args(in), groups, 2, stop, "t", ret, err);
}

static void
test_mixed(void **state)
{
    const char *const argv[] = {"add", "DIR", "--key",           "a",       "-vv", "FILE",
                                "-k",  "b",   "--config=x.conf", "--force", NULL};
    struct sw_cmdline c;
    const char *keys[4];
    int present;
    (void)state;
    assert_int_equal(parse(10, argv, 0, &c, NULL), 0);
    assert_int_equal(c.n_args, 2);
    assert_string_equal(c.args[0], "DIR");
    assert_string_equal(c.args[1], "FILE");
    assert_int_equal(sw_cmdline_count(&c, A_VERBOSE), 2);
    assert_int_equal(sw_cmdline_all(&c, B_KEY, keys, 4), 2);
    assert_string_equal(keys[0], "a");
    assert_string_equal(keys[1], "b");
    assert_string_equal(sw_cmdline_get(&c, B_KEY, NULL), "b");
    assert_string_equal(sw_cmdline_get(&c, A_CONFIG, NULL), "x.conf");
    assert_null(sw_cmdline_get(&c, B_FORCE, &present));
    assert_int_equal(present, 1);
    assert_null(sw_cmdline_get(&c, A_JSON, &present));
    assert_int_equal(present, 0);
    sw_cmdline_release(&c);
}

static void
test_stop_at_first_argument(void **state)
{
    const char *const argv[] = {"prog", "-c", "f", "--json", "status", "--force", NULL};
    struct sw_cmdline c;
    (void)state;
    assert_int_equal(parse(6, argv, 1, &c, NULL), 0);
    assert_int_equal(c.next, 4);
    assert_int_equal(c.n_args, 0);
    assert_string_equal(sw_cmdline_get(&c, A_CONFIG, NULL), "f");
    assert_int_equal(sw_cmdline_count(&c, B_FORCE), 0);
    sw_cmdline_release(&c);
}

static void
test_double_dash(void **state)
{
    const char *const argv[] = {"rm", "--force", "--", "--key", "-v", NULL};
    struct sw_cmdline c;
    (void)state;
    assert_int_equal(parse(5, argv, 0, &c, NULL), 0);
    assert_int_equal(c.n_args, 2);
    assert_string_equal(c.args[0], "--key");
    assert_string_equal(c.args[1], "-v");
    assert_int_equal(sw_cmdline_count(&c, A_VERBOSE), 0);
    sw_cmdline_release(&c);
}

static void
test_errors(void **state)
{
    const char *const a1[] = {"x", "--bogus", NULL};
    const char *const a2[] = {"x", "-Z", NULL};
    const char *const a3[] = {"x", "--key", NULL};
    const char *const a4[] = {"x", "--force=yes", NULL};
    struct sw_cmdline c;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    assert_int_equal(parse(2, a1, 0, &c, &err), -SW_E_USAGE);
    assert_string_equal(err.msg, "t: unknown option '--bogus'");
    assert_int_equal(parse(2, a2, 0, &c, &err), -SW_E_USAGE);
    assert_string_equal(err.msg, "t: unknown option '-Z'");
    assert_int_equal(parse(2, a3, 0, &c, &err), -SW_E_USAGE);
    assert_string_equal(err.msg, "t: option '--key' needs a value");
    assert_int_equal(parse(2, a4, 0, &c, &err), -SW_E_USAGE);
}

static void
test_print(void **state)
{
    char *dir = tu_tmpdir(), *path = tu_path(dir, "out");
    FILE *f = fopen(path, "w");
    unsigned char *text;
    (void)state;
    assert_non_null(f);
    sw_cmdline_print(f, cmd);
    fclose(f);
    text = tu_read(path, NULL);
    assert_non_null(strstr((char *)text, "  -k, --key NAME"));
    assert_non_null(strstr((char *)text, "      --force"));
    assert_non_null(strstr((char *)text, "a key\n"));
    free(text);
    tu_rmtree(dir);
    free(dir);
    free(path);
}

/* The completion script of a small program, as text */
static char *
completion_text(const char *shell, int *ret_r)
{
    static const char *const colours[] = {"red", "green", NULL};
    static const struct sw_cmdline_values values[] = {{"COLOUR", colours}};
    static const struct sw_opt paint_opts[] = {
        {"colour", 0, 1, 1, "COLOUR", "which colour"},
        {"mode", 0, 1, 2, "fast|slow", "how: it's fast or slow"},
        {"out", 'o', 1, 3, "FILE", "where"},
        {NULL, 0, 0, 0, NULL, NULL},
    };
    struct sw_cmdline_cmd cmds[2];
    struct sw_cmdline_prog prog;
    struct sw_error err = SW_ERROR_INIT;
    char *dir = tu_tmpdir(), *path = tu_path(dir, "out");
    FILE *f = fopen(path, "w");
    unsigned char *text;

    assert_non_null(f);
    memset(cmds, 0, sizeof(cmds));
    cmds[0].name = "paint";
    cmds[0].synopsis = "wall|door [--colour COLOUR]";
    cmds[0].summary = "paint [it]: now";
    cmds[0].groups[0] = paint_opts;
    cmds[1].name = "show";
    cmds[1].synopsis = "FILE";
    cmds[1].summary = "show a file";
    cmds[1].skip[0] = "json";
    memset(&prog, 0, sizeof(prog));
    prog.name = "tool-x";
    prog.globals = global;
    prog.cmds = cmds;
    prog.n_cmds = 2;
    prog.values = values;
    prog.n_values = 1;
    *ret_r = sw_cmdline_completion(f, &prog, shell, &err);
    fclose(f);
    text = tu_read(path, NULL);
    tu_rmtree(dir);
    free(dir);
    free(path);
    return (char *)text;
}

static void
test_completion(void **state)
{
    int r;
    char *b = completion_text("bash", &r), *z;
    (void)state;
    assert_int_equal(r, 0);
    /* the function is named for bash: no '-' in it */
    assert_non_null(strstr(b, "_tool_x() {"));
    assert_non_null(strstr(b, "complete -F _tool_x tool-x"));
    assert_non_null(strstr(b, "compgen -W 'paint show help'"));
    assert_non_null(strstr(b, "--colour) COMPREPLY=($(compgen -W 'red green'"));
    assert_non_null(strstr(b, "--mode) COMPREPLY=($(compgen -W 'fast slow'"));
    assert_non_null(strstr(b, "-o|--out) COMPREPLY=($(compgen -f"));
    assert_non_null(strstr(b, "-c|--config) COMPREPLY=($(compgen -f"));
    assert_non_null(strstr(b, "compgen -W 'wall door'"));
    /* show refuses --json: not offered there */
    assert_non_null(strstr(b, "compgen -W ' --config -c --verbose -v'"));
    free(b);
    z = completion_text("zsh", &r);
    assert_int_equal(r, 0);
    assert_non_null(strstr(z, "#compdef tool-x\n"));
    /* descriptions lose brackets and colons, quotes are closed and reopened */
    assert_non_null(strstr(z, "'paint:paint (it), now'"));
    assert_non_null(strstr(z, "'--mode[how, it'\\''s fast or slow]:fast|slow:(fast slow)'"));
    assert_non_null(strstr(z, "'--colour[which colour]:COLOUR:(red green)'"));
    assert_non_null(strstr(z, "'1: :(wall door)'"));
    free(z);
    free(completion_text("fish", &r));
    assert_int_equal(r, -SW_E_USAGE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed),       cmocka_unit_test(test_stop_at_first_argument),
        cmocka_unit_test(test_double_dash), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_print),       cmocka_unit_test(test_completion),
    };
    return cmocka_run_group_tests(tests, NULL, free_copies);
}
