/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of progress rendering: byte sizes, the JSON lines read back
 * with jansson, the bar's content (percentage, sizes, rate, ETA; ended by a
 * newline when done), and that no bar is wanted on a pipe or when quiet.
 */
#include "testutil.h"

#include <slipway/progress.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
test_format_bytes(void **state)
{
    char b[32];
    (void)state;
    sw_progress_format_bytes(0, b, sizeof(b));
    assert_string_equal(b, "0 B");
    sw_progress_format_bytes(1023, b, sizeof(b));
    assert_string_equal(b, "1023 B");
    sw_progress_format_bytes(1536, b, sizeof(b));
    assert_string_equal(b, "1.5 KiB");
    sw_progress_format_bytes(256ULL << 20, b, sizeof(b));
    assert_string_equal(b, "256.0 MiB");
    sw_progress_format_bytes(3ULL << 30, b, sizeof(b));
    assert_string_equal(b, "3.0 GiB");
    sw_progress_format_bytes(5ULL << 40, b, sizeof(b));
    assert_string_equal(b, "5.0 TiB");
}

/* Everything written to the read end of a pipe so far (NUL-terminated). */
static char *
drain(int fd)
{
    static char buf[8192];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    assert_true(n >= 0);
    buf[n] = '\0';
    return buf;
}

static void
test_json_lines(void **state)
{
    struct sw_progress *pr = NULL;
    struct sw_fetch_progress p;
    struct sw_error e = SW_ERROR_INIT;
    json_error_t jerr;
    json_t *o;
    int fds[2];
    char *out, *nl;
    (void)state;

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(sw_progress_new(-1, fds[1], &pr, NULL), 0);
    memset(&p, 0, sizeof(p));
    p.event = SW_FETCH_EV_PROGRESS;
    p.mirror = "m1";
    p.url = "https://x/t/a.bin";
    p.path = "a.bin";
    p.bytes = 3000;
    p.total = 10000;
    p.resumed_from = 1000;
    p.elapsed = 2.0;
    sw_progress_fetch(pr, &p);
    out = drain(fds[0]);
    nl = strchr(out, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0'); /* exactly one line */
    o = json_loads(out, 0, &jerr);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "event")), "progress");
    assert_string_equal(json_string_value(json_object_get(o, "mirror")), "m1");
    assert_string_equal(json_string_value(json_object_get(o, "path")), "a.bin");
    assert_string_equal(json_string_value(json_object_get(o, "url")), "https://x/t/a.bin");
    assert_int_equal(json_integer_value(json_object_get(o, "bytes")), 3000);
    assert_int_equal(json_integer_value(json_object_get(o, "total")), 10000);
    assert_int_equal(json_integer_value(json_object_get(o, "resumed_from")), 1000);
    /* 2000 new bytes in 2 s; 7000 to go at 1000/s */
    assert_int_equal(json_integer_value(json_object_get(o, "rate")), 1000);
    assert_int_equal(json_integer_value(json_object_get(o, "eta")), 7);
    json_decref(o);

    /* unknown total: null; an error is carried with its code name */
    p.event = SW_FETCH_EV_RETRY;
    p.total = 0;
    sw_error_set(&e, SW_E_FETCH_HTTP, "mirror 'm1': https://x/t/a.bin: HTTP 503");
    p.error = &e;
    sw_progress_fetch(pr, &p);
    o = json_loads(drain(fds[0]), 0, &jerr);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "event")), "retry");
    assert_true(json_is_null(json_object_get(o, "total")));
    assert_null(json_object_get(o, "eta"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "error"), "name")),
                        "SW_E_FETCH_HTTP");
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "error"), "message")),
                        e.msg);
    json_decref(o);

    /* a path with a quote and a control character stays valid JSON */
    p.event = SW_FETCH_EV_START;
    p.error = NULL;
    p.path = "we\"ird\n";
    sw_progress_fetch(pr, &p);
    o = json_loads(drain(fds[0]), 0, &jerr);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "path")), "we\"ird\n");
    json_decref(o);

    sw_progress_free(pr);
    close(fds[0]);
    close(fds[1]);
}

static void
test_bar(void **state)
{
    struct sw_progress *pr = NULL;
    struct sw_fetch_progress p;
    int fds[2];
    char *out;
    (void)state;

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(sw_progress_new(fds[1], -1, &pr, NULL), 0);
    memset(&p, 0, sizeof(p));
    p.event = SW_FETCH_EV_PROGRESS;
    p.mirror = "m1";
    p.path = "dir/app-1.0.tar";
    p.bytes = 64ULL << 20;
    p.total = 256ULL << 20;
    p.elapsed = 2.0;
    sw_progress_fetch(pr, &p);
    out = drain(fds[0]);
    assert_int_equal(out[0], '\r');
    assert_non_null(strstr(out, "app-1.0.tar"));
    assert_null(strstr(out, "dir/"));
    assert_non_null(strstr(out, " 25%"));
    assert_non_null(strstr(out, "64.0 MiB / 256.0 MiB"));
    assert_non_null(strstr(out, "32.0 MiB/s"));
    assert_non_null(strstr(out, "ETA 0:00:06"));
    assert_null(strchr(out, '\n'));

    p.event = SW_FETCH_EV_DONE;
    p.bytes = p.total;
    p.elapsed = 8.0;
    sw_progress_fetch(pr, &p);
    out = drain(fds[0]);
    assert_non_null(strstr(out, "100%"));
    assert_non_null(strstr(out, "in 8.0 s"));
    assert_int_equal(out[strlen(out) - 1], '\n');

    /* a name from metadata cannot steer the terminal: only the bar's own \r and ESC[K */
    p.event = SW_FETCH_EV_PROGRESS;
    p.path = "dir/\033]0;owned\007\033[2J\r\xc2\x9bx.tar";
    sw_progress_fetch(pr, &p);
    out = drain(fds[0]);
    assert_non_null(strstr(out, "\\x1b]0;owned\\x07\\x1b[2J\\x0d\\xc2\\x9bx.tar"));
    assert_int_equal(out[0], '\r');
    assert_null(strchr(out + 1, '\r'));
    assert_null(strchr(out, '\007'));
    assert_non_null(strstr(out, "\033[K"));
    assert_ptr_equal(strchr(out, '\033'), strstr(out, "\033[K"));
    p.path = "dir/app-1.0.tar";

    /* a retry clears a half-drawn bar so the message that follows has its own line */
    p.event = SW_FETCH_EV_PROGRESS;
    p.bytes = 10;
    sw_progress_fetch(pr, &p);
    (void)drain(fds[0]);
    p.event = SW_FETCH_EV_RETRY;
    sw_progress_fetch(pr, &p);
    assert_string_equal(drain(fds[0]), "\r\033[K");

    sw_progress_free(pr);
    close(fds[0]);
    close(fds[1]);
}

static void
test_want_bar(void **state)
{
    int fds[2];
    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(sw_progress_want_bar(fds[1], 0), 0);
    assert_int_equal(sw_progress_want_bar(-1, 0), 0);
    close(fds[0]);
    close(fds[1]);
    sw_progress_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_bytes),
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_bar),
        cmocka_unit_test(test_want_bar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
