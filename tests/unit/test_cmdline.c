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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed),       cmocka_unit_test(test_stop_at_first_argument),
        cmocka_unit_test(test_double_dash), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_print),
    };
    return cmocka_run_group_tests(tests, NULL, free_copies);
}
