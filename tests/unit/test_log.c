/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the logger: plain lines with the program name, "<N>"
 * priority prefixes when JOURNAL_STREAM names stderr (and only then),
 * level filtering, the transaction id, one record per line.
 */
#include "testutil.h"

#include <slipway/log.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct capture {
    char *dir;
    char *path;
    int saved;
};

/* Point stderr at a file; returns what was logged when finished. */
static void
capture_start(struct capture *c)
{
    int fd;
    c->dir = tu_tmpdir();
    c->path = tu_path(c->dir, "stderr");
    fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    c->saved = dup(STDERR_FILENO);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    close(fd);
}

static char *
capture_end(struct capture *c)
{
    char *text;
    assert_true(dup2(c->saved, STDERR_FILENO) >= 0);
    close(c->saved);
    text = (char *)tu_read(c->path, NULL);
    tu_rmtree(c->dir);
    free(c->dir);
    free(c->path);
    return text;
}

static void
test_plain(void **state)
{
    struct capture c;
    char *out;
    (void)state;
    unsetenv("JOURNAL_STREAM");
    capture_start(&c);
    sw_log_init("/usr/bin/slipway");
    sw_log_set_level(SW_LOG_NOTICE);
    assert_int_equal(sw_log_is_journal(), 0);
    sw_log_error("bad %s", "thing");
    sw_log_warning("careful");
    sw_log_notice("fyi");
    sw_log_info("dropped at notice level");
    sw_log_debug("dropped too");
    out = capture_end(&c);
    assert_string_equal(out, "slipway: error: bad thing\n"
                             "slipway: warning: careful\n"
                             "slipway: fyi\n");
    free(out);
}

static void
test_journal(void **state)
{
    struct capture c;
    struct stat st;
    char js[64];
    char *out;
    (void)state;
    capture_start(&c);
    assert_int_equal(fstat(STDERR_FILENO, &st), 0);
    snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", js, 1);
    sw_log_init("slipway");
    sw_log_set_level(SW_LOG_DEBUG);
    assert_int_equal(sw_log_is_journal(), 1);
    sw_log_error("e");
    sw_log_info("i");
    sw_log_debug("d");
    sw_log_set_txn("tx-1");
    sw_log_notice("two\nlines");
    sw_log_set_txn(NULL);
    out = capture_end(&c);
    assert_string_equal(out, "<3>error: e\n<6>i\n<7>debug: d\n<5>[tx-1] two lines\n");
    free(out);

    /* a JOURNAL_STREAM for another file does not count */
    capture_start(&c);
    setenv("JOURNAL_STREAM", "1:2", 1);
    sw_log_init("slipway");
    assert_int_equal(sw_log_is_journal(), 0);
    free(capture_end(&c));
    setenv("JOURNAL_STREAM", "garbage", 1);
    sw_log_init("slipway");
    assert_int_equal(sw_log_is_journal(), 0);
    unsetenv("JOURNAL_STREAM");
}

static void
test_level_clamp(void **state)
{
    (void)state;
    sw_log_set_level(-10);
    assert_int_equal(sw_log_get_level(), SW_LOG_ERR);
    sw_log_set_level(99);
    assert_int_equal(sw_log_get_level(), SW_LOG_DEBUG);
}

/*
 * Untrusted names in messages cannot steer the terminal: controls, C1
 * and malformed UTF-8 are escaped by the writer; printable UTF-8 is kept;
 * the only raw newline is the one ending the line.
 */
static void
test_escapes_controls(void **state)
{
    struct capture c;
    struct sw_error err = SW_ERROR_INIT;
    char *out;
    (void)state;
    unsetenv("JOURNAL_STREAM");
    capture_start(&c);
    sw_log_init("slipway");
    sw_log_set_level(SW_LOG_NOTICE);
    sw_log_error("target '%s' role '%s'", "\033[2J\033]0;owned\007x\ry",
                 "\xc2\x9b"
                 "31m\x7f\xff");
    sw_log_notice("caf\xc3\xa9 a\tb");
    sw_error_set(&err, SW_E_TRUST, "role '\033[31mred'");
    sw_log_sw_error(&err);
    out = capture_end(&c);
    assert_string_equal(out, "slipway: error: target '\\x1b[2J\\x1b]0;owned\\x07x\\x0dy' role "
                             "'\\xc2\\x9b31m\\x7f\\xff'\n"
                             "slipway: caf\xc3\xa9 a\\x09b\n"
                             "slipway: error: role '\\x1b[31mred'\n");
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_escapes_controls),
        cmocka_unit_test(test_journal),
        cmocka_unit_test(test_level_clamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
