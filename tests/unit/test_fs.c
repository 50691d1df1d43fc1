/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the file-system primitives: bounded reads (limits, links,
 * non-regular files), atomic replacement (content, mode, no temporary left
 * behind, an injected failure leaving the old file whole), exclusive
 * creation, private directories and path joining.
 */
#include "testutil.h"

#include <slipway/fs.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void
test_read_file(void **state)
{
    char *dir = tu_tmpdir(), *f = tu_path(dir, "f"), *l = tu_path(dir, "l");
    unsigned char *buf = NULL;
    size_t len = 0;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;

    tu_write_str(f, "0123456789");
    assert_int_equal(sw_fs_read_file(f, 10, &buf, &len, &err), 0);
    assert_int_equal(len, 10);
    assert_string_equal((char *)buf, "0123456789");
    free(buf);
    buf = NULL;
    /* one byte over the limit is an error, not a truncation */
    assert_int_equal(sw_fs_read_file(f, 9, &buf, &len, &err), -SW_E_LIMIT);
    assert_null(buf);
    assert_non_null(strstr(err.msg, "limit of 9"));
    assert_int_equal(symlink(f, l), 0);
    assert_int_equal(sw_fs_read_file(l, 100, &buf, &len, &err), -SW_E_PERM);
    assert_int_equal(sw_fs_read_file(dir, 100, &buf, &len, &err), -SW_E_INVAL);
    assert_int_equal(sw_fs_read_file("/nonexistent/x", 100, &buf, &len, &err), -SW_E_NOTFOUND);
    /* an empty file reads as an empty string */
    tu_write_str(f, "");
    assert_int_equal(sw_fs_read_file(f, 0, &buf, &len, &err), 0);
    assert_int_equal(len, 0);
    free(buf);
    tu_rmtree(dir);
    free(dir);
    free(f);
    free(l);
}

static void
test_read_private(void **state)
{
    char *dir = tu_tmpdir(), *f = tu_path(dir, "k.sec");
    unsigned char *buf = NULL;
    size_t len = 0;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;

    tu_write_str(f, "secret");
    assert_int_equal(chmod(f, 0640), 0);
    assert_int_equal(sw_fs_read_private(f, 100, &buf, &len, &err), -SW_E_PERM);
    assert_null(buf);
    assert_non_null(strstr(err.msg, "0640"));
    assert_non_null(strstr(err.msg, "chmod 600"));
    assert_int_equal(chmod(f, 0600), 0);
    assert_int_equal(sw_fs_read_private(f, 100, &buf, &len, &err), 0);
    assert_string_equal((char *)buf, "secret");
    free(buf);
    /* the ordinary read does not care */
    assert_int_equal(chmod(f, 0644), 0);
    assert_int_equal(sw_fs_read_file(f, 100, &buf, &len, &err), 0);
    free(buf);
    tu_rmtree(dir);
    free(dir);
    free(f);
}

static void
test_write_atomic(void **state)
{
    char *dir = tu_tmpdir(), *f = tu_path(dir, "data.json");
    struct stat st;
    unsigned char *got;
    (void)state;

    assert_int_equal(sw_fs_write_atomic(f, "first", 5, 0600, NULL), 0);
    assert_int_equal(sw_fs_write_atomic(f, "second", 6, 0640, NULL), 0);
    got = tu_read(f, NULL);
    assert_string_equal((char *)got, "second");
    free(got);
    assert_int_equal(stat(f, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(count_entries(dir), 1); /* no temporary file left */
    tu_rmtree(dir);
    free(dir);
    free(f);
}

static void
test_write_atomic_fault_keeps_old(void **state)
{
#ifdef SW_FAULT_INJECTION
    char *dir = tu_tmpdir(), *f = tu_path(dir, "data.json");
    struct sw_error err = SW_ERROR_INIT;
    unsigned char *got;
    (void)state;

    assert_int_equal(sw_fs_write_atomic(f, "old", 3, 0600, NULL), 0);
    setenv("SLIPWAY_FAULT", "fs-write-rename:fail", 1);
    assert_int_equal(sw_fs_write_atomic(f, "new", 3, 0600, &err), -SW_E_FAULT);
    unsetenv("SLIPWAY_FAULT");
    got = tu_read(f, NULL);
    assert_string_equal((char *)got, "old");
    free(got);
    assert_int_equal(count_entries(dir), 1);
    tu_rmtree(dir);
    free(dir);
    free(f);
#else
    (void)state;
    skip();
#endif
}

static void
test_write_new(void **state)
{
    char *dir = tu_tmpdir(), *f = tu_path(dir, "k.sec");
    struct stat st;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    assert_int_equal(sw_fs_write_new(f, "s", 1, 0600, &err), 0);
    assert_int_equal(stat(f, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(sw_fs_write_new(f, "t", 1, 0600, &err), -SW_E_EXISTS);
    tu_rmtree(dir);
    free(dir);
    free(f);
}

static void
test_private_dir(void **state)
{
    char *dir = tu_tmpdir(), *p = tu_path(dir, "a/b/c"), *l = tu_path(dir, "link");
    struct stat st;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    assert_int_equal(sw_fs_private_dir(p, &err), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(sw_fs_private_dir(p, &err), 0);
    assert_int_equal(chmod(p, 0750), 0);
    assert_int_equal(sw_fs_private_dir(p, &err), -SW_E_PERM);
    assert_non_null(strstr(err.msg, "0750"));
    assert_int_equal(chmod(p, 0700), 0);
    assert_int_equal(symlink(p, l), 0);
    assert_int_equal(sw_fs_private_dir(l, &err), -SW_E_PERM);
    assert_non_null(strstr(err.msg, "symbolic link"));
    tu_rmtree(dir);
    free(dir);
    free(p);
    free(l);
}

static void
test_join_exists(void **state)
{
    char *s;
    (void)state;
    s = sw_fs_join("/a/", "/b");
    assert_string_equal(s, "/a/b");
    free(s);
    s = sw_fs_join("/", "x");
    assert_string_equal(s, "/x");
    free(s);
    s = sw_fs_join("rel", "x/y");
    assert_string_equal(s, "rel/x/y");
    free(s);
    assert_int_equal(sw_fs_exists("/", NULL), 1);
    assert_int_equal(sw_fs_exists("/nonexistent-slipway", NULL), 0);
    assert_int_equal(sw_fs_unlink("/nonexistent-slipway/x", NULL), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_file),    cmocka_unit_test(test_read_private),
        cmocka_unit_test(test_write_atomic), cmocka_unit_test(test_write_atomic_fault_keeps_old),
        cmocka_unit_test(test_write_new),    cmocka_unit_test(test_private_dir),
        cmocka_unit_test(test_join_exists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
