/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of slipway-repo's repository tree (src/repo/tree.c) and key
 * ring placement (keyring.c): which role names and target paths are
 * accepted, the files they map to (never outside metadata/ or targets/),
 * expiry choices and the lifetimes --expires-* take, and key directories
 * that would be served.
 */
#include "testutil.h"

#include "repo/keyring.h"
#include "repo/repo-cli.h"
#include "repo/tree.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
test_role_names(void **state)
{
    static const char *good[] = {"apps", "team/edge", "a.b-c_d~e", "bins/00-7f", "x/y.json"};
    static const char *bad[] = {"",      "../x",     "a//b",        "/abs", "a/",
                                "a/./b", "a/..",     "..",          ".",    "targets",
                                "root",  "snapshot", "timestamp",   "a b",  "a%2Fb",
                                "a\\b",  "x.json/y", "caf\xc3\xa9", "a?b",  "a#b"};
    char long_name[SW_MD_MAX_ROLE_NAME + 2];
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (sw_repo_check_role_name(good[i], NULL) != 0)
            fail_msg("role name '%s' was refused", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sw_repo_check_role_name(bad[i], NULL) != -SW_E_INVAL)
            fail_msg("role name '%s' was accepted", bad[i]);
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(sw_repo_check_role_name(long_name, NULL), -SW_E_INVAL);
    long_name[SW_MD_MAX_ROLE_NAME] = '\0';
    assert_int_equal(sw_repo_check_role_name(long_name, NULL), 0);
}

static void
test_md_names(void **state)
{
    char *n = NULL;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    assert_int_equal(sw_repo_md_name("targets", 3, &n, NULL), 0);
    assert_string_equal(n, "3.targets.json");
    free(n);
    assert_int_equal(sw_repo_md_name("a/b", 12, &n, NULL), 0);
    assert_string_equal(n, "12.a/b.json");
    free(n);
    /* a leading ".." becomes "1...", a harmless first segment inside metadata/ */
    assert_int_equal(sw_repo_md_name("../x", 1, &n, NULL), 0);
    assert_string_equal(n, "1.../x.json");
    free(n);
    assert_int_equal(sw_repo_md_name("..", 1, &n, NULL), 0);
    assert_string_equal(n, "1....json");
    free(n);
    assert_int_equal(sw_repo_md_name("a/../../x", 1, &n, &err), -SW_E_METADATA);
    assert_non_null(strstr(err.msg, "cannot be served as a file"));
    assert_int_equal(sw_repo_md_name("a//b", 1, &n, NULL), -SW_E_METADATA);
    assert_int_equal(sw_repo_md_name("a/.", 1, &n, NULL), -SW_E_METADATA);
    assert_int_equal(sw_repo_md_name("a/", 1, &n, NULL), -SW_E_METADATA);
    assert_int_equal(sw_repo_md_name("", 1, &n, NULL), -SW_E_METADATA);
}

static void
test_target_paths(void **state)
{
    static const char *good[] = {"app.tar", "sub/dir/notes.txt", "caf\xc3\xa9.bin", "a b.tar",
                                 ".hidden/x"};
    static const char *bad[] = {"",    "/abs", "../x", "a/../b",  "a//b", "a/",  "a\\b",    "a%2F",
                                "a?b", "a#b",  "a\nb", "bad\xff", ".",    "x/.", "\xc0\xaf"};
    char *f = NULL;
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (sw_repo_check_target_path(good[i], NULL) != 0)
            fail_msg("target path '%s' was refused", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sw_repo_check_target_path(bad[i], NULL) != -SW_E_INVAL)
            fail_msg("target path '%s' was accepted", bad[i]);
    assert_int_equal(sw_repo_target_file_name("sub/dir/notes.txt", "abc", &f, NULL), 0);
    assert_string_equal(f, "sub/dir/abc.notes.txt");
    free(f);
    assert_int_equal(sw_repo_target_file_name("app.tar", "00ff", &f, NULL), 0);
    assert_string_equal(f, "00ff.app.tar");
    free(f);
}

static void
test_expiry(void **state)
{
    struct sw_repo_expiry e;
    char out[21];
    (void)state;
    sw_repo_expiry_defaults(&e);
    sw_repo_expiry_for(&e, "root", SW_MD_ROOT, 0, out);
    assert_string_equal(out, "1971-01-01T00:00:00Z");
    sw_repo_expiry_for(&e, "timestamp", SW_MD_TIMESTAMP, 0, out);
    assert_string_equal(out, "1970-01-02T00:00:00Z");
    sw_repo_expiry_for(&e, "apps", SW_MD_TARGETS, 0, out);
    assert_string_equal(out, "1970-04-01T00:00:00Z");
    e.at[0].role = "apps=2030-01-01T00:00:00Z";
    e.at[0].at = 1893456000;
    e.n_at = 1;
    sw_repo_expiry_for(&e, "apps", SW_MD_TARGETS, 0, out);
    assert_string_equal(out, "2030-01-01T00:00:00Z");
    /* "app" is not "apps" */
    sw_repo_expiry_for(&e, "app", SW_MD_TARGETS, 0, out);
    assert_string_equal(out, "1970-04-01T00:00:00Z");
}

static void
test_lifetimes(void **state)
{
    /* seconds worked out by hand: 90*60, 6*3600, 30*86400, 12*7*86400, 365*86400 */
    static const struct {
        const char *s;
        long long secs;
    } good[] = {
        {"90m", 5400},    {"6h", 21600},          {"30d", 2592000},
        {"12w", 7257600}, {"1y", 31536000},       {"7", 604800},
        {"1m", 60},       {"100y", 3153600000LL}, {"36500", 3153600000LL},
    };
    static const char *bad[] = {"",           "0",
                                "0d",         "1.5d",
                                "6x",         "-1",
                                "+1d",        "101y",
                                "36501",      "1 d",
                                "d",          "12W",
                                "6hh",        "99999999999999999999",
                                "2030-13-01", "2030-01-01T24:00:00Z",
                                "2030-1-01"};
    long long secs;
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        secs = -1;
        if (sw_repo_parse_lifetime(good[i].s, 1000, &secs) != 0)
            fail_msg("lifetime '%s' was refused", good[i].s);
        if (secs != good[i].secs)
            fail_msg("lifetime '%s' is %lld s, not %lld", good[i].s, secs, good[i].secs);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sw_repo_parse_lifetime(bad[i], 1000, &secs) != -SW_E_USAGE)
            fail_msg("lifetime '%s' was accepted", bad[i]);
    /* dates: 2030-01-01T00:00:00Z is 1893456000 */
    assert_int_equal(sw_repo_parse_lifetime("2030-01-01", 0, &secs), 0);
    assert_true(secs == 1893456000LL);
    assert_int_equal(sw_repo_parse_lifetime("2030-01-01T00:00:10Z", 1893456000, &secs), 0);
    assert_true(secs == 10);
    /* a date in the past is a negative lifetime (the caller warns) */
    assert_int_equal(sw_repo_parse_lifetime("2030-01-01", 1893456100, &secs), 0);
    assert_true(secs == -100);
}

static void
test_key_dir_placement(void **state)
{
    char *d = tu_tmpdir();
    char *repo = tu_path(d, "repo");
    char *inside = tu_path(d, "repo/keys");
    char *beside = tu_path(d, "keys");
    char *dotted = tu_path(d, "repo/../repo/keys");
    char *unresolved = tu_path(d, "repo/missing/../keys");
    char *link = tu_path(d, "link");
    (void)state;
    assert_int_equal(mkdir(repo, 0700), 0);
    assert_int_equal(sw_keyring_check_placement(beside, repo, NULL), 0);
    assert_int_equal(sw_keyring_check_placement(inside, repo, NULL), -SW_E_REPO_KEYDIR);
    assert_int_equal(sw_keyring_check_placement(repo, repo, NULL), -SW_E_REPO_KEYDIR);
    assert_int_equal(sw_keyring_check_placement(d, repo, NULL), -SW_E_REPO_KEYDIR);
    /* "repo2" is not inside "repo" */
    {
        char *repo2 = tu_path(d, "repo2");
        assert_int_equal(sw_keyring_check_placement(repo2, repo, NULL), 0);
        free(repo2);
    }
    /* a symbolic link into the repository is seen through */
    assert_int_equal(symlink(repo, link), 0);
    {
        char *via = tu_path(d, "link/keys");
        assert_int_equal(sw_keyring_check_placement(via, repo, NULL), -SW_E_REPO_KEYDIR);
        free(via);
    }
    assert_int_equal(mkdir(inside, 0700), 0);
    assert_int_equal(sw_keyring_check_placement(dotted, repo, NULL), -SW_E_REPO_KEYDIR);
    /* what cannot be resolved is refused, not waved through */
    assert_true(sw_keyring_check_placement(unresolved, repo, NULL) < 0);
    tu_rmtree(d);
    free(d);
    free(repo);
    free(inside);
    free(beside);
    free(dotted);
    free(unresolved);
    free(link);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_names),        cmocka_unit_test(test_md_names),
        cmocka_unit_test(test_target_paths),      cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_key_dir_placement), cmocka_unit_test(test_lifetimes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
