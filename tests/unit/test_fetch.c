/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the fetch module without a network: URL building and the
 * relative-path rules, mirror validation, and whole downloads from file://
 * mirrors (memory and file, caps, resume, links, verify failover, the
 * "not found" rule, progress events). HTTP is tested against nginx and the
 * hostile mirror in tests/integration/t04*.
 */
#include "testutil.h"

#include <slipway/fetch.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void
join_ok(const char *path, enum sw_fetch_path_mode mode, const char *want)
{
    struct sw_error err = SW_ERROR_INIT;
    char *url = NULL;
    int r = sw_fetch_url_join("https://m.example/t/", path, mode, &url, &err);
    if (r != 0)
        fail_msg("'%s' refused: %s", path, err.msg);
    assert_string_equal(url, want);
    free(url);
}

static void
join_bad(const char *path, enum sw_fetch_path_mode mode, const char *why)
{
    struct sw_error err = SW_ERROR_INIT;
    char *url = NULL;
    int r = sw_fetch_url_join("https://m.example/t/", path, mode, &url, &err);
    if (r == 0)
        fail_msg("'%s' accepted as %s", path, url);
    assert_int_equal(r, -SW_E_FETCH_URL);
    assert_null(url);
    if (!strstr(err.msg, why))
        fail_msg("message '%s' lacks '%s'", err.msg, why);
}

static void
test_url_join(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    char *url = NULL;
    char longp[SW_FETCH_MAX_PATH + 2];
    (void)state;

    join_ok("a.tar.gz", SW_FETCH_PATH, "https://m.example/t/a.tar.gz");
    join_ok("sub/dir/a-1_2.~x", SW_FETCH_PATH, "https://m.example/t/sub/dir/a-1_2.~x");
    join_ok("a b+c&d=é", SW_FETCH_PATH, "https://m.example/t/a%20b%2Bc%26d%3D%C3%A9");
    join_ok("..a/b..", SW_FETCH_PATH, "https://m.example/t/..a/b..");
    /* names: one segment, '/' and everything else outside A-Za-z0-9_.-~ encoded */
    join_ok("1.root.json", SW_FETCH_NAME, "https://m.example/t/1.root.json");
    join_ok("3.../x.json", SW_FETCH_NAME, "https://m.example/t/3...%2Fx.json");
    join_ok("2.a/b.json", SW_FETCH_NAME, "https://m.example/t/2.a%2Fb.json");
    join_ok("1.%2E%2E?#.json", SW_FETCH_NAME, "https://m.example/t/1.%252E%252E%3F%23.json");
    join_ok("1.\x01\\.json", SW_FETCH_NAME, "https://m.example/t/1.%01%5C.json");

    join_bad("", SW_FETCH_PATH, "empty");
    join_bad("/etc/passwd", SW_FETCH_PATH, "absolute");
    join_bad("../x", SW_FETCH_PATH, "'..' segment");
    join_bad("a/../x", SW_FETCH_PATH, "'..' segment");
    join_bad("a/..", SW_FETCH_PATH, "'..' segment");
    join_bad("./x", SW_FETCH_PATH, "'.' or '..'");
    join_bad("a//b", SW_FETCH_PATH, "empty segment");
    join_bad("a/", SW_FETCH_PATH, "empty segment");
    join_bad("a\\..\\b", SW_FETCH_PATH, "backslash");
    join_bad("%2e%2e/x", SW_FETCH_PATH, "'%'");
    join_bad("a%2Fb", SW_FETCH_PATH, "'%'");
    join_bad("a?b=1", SW_FETCH_PATH, "'?' or '#'");
    join_bad("a#b", SW_FETCH_PATH, "'?' or '#'");
    join_bad("a\nb", SW_FETCH_PATH, "control character");
    join_bad("a\x7f", SW_FETCH_PATH, "control character");
    join_bad("", SW_FETCH_NAME, "empty");
    join_bad("..", SW_FETCH_NAME, "'.' and '..'");
    join_bad(".", SW_FETCH_NAME, "'.' and '..'");
    memset(longp, 'a', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    join_bad(longp, SW_FETCH_PATH, "too long");

    /* a control character in a refused path is not copied into the message */
    assert_int_equal(sw_fetch_url_join("https://m/", "\x1b[2J/..", SW_FETCH_PATH, &url, &err),
                     -SW_E_FETCH_URL);
    assert_null(strchr(err.msg, '\x1b'));
    assert_non_null(strstr(err.msg, "\\x1b"));

    assert_int_equal(sw_fetch_url_join("https://m/no-slash", "a", SW_FETCH_PATH, &url, &err),
                     -SW_E_FETCH_URL);
    assert_non_null(strstr(err.msg, "does not end in '/'"));
}

static struct sw_fetch *
new_ok(const char *mdurl, const char *turl, int allow_http, const char *pin)
{
    struct sw_mirror m = {(char *)"m", (char *)mdurl, (char *)turl, (char *)pin, NULL, allow_http};
    struct sw_fetch_settings s;
    struct sw_fetch *f = NULL;
    struct sw_error err = SW_ERROR_INIT;
    memset(&s, 0, sizeof(s));
    if (sw_fetch_new(&m, 1, &s, &f, &err) != 0)
        fail_msg("refused: %s", err.msg);
    return f;
}

static void
new_bad(const char *url, int allow_http, const char *pin, int code, const char *why)
{
    struct sw_mirror m = {(char *)"m", (char *)url, (char *)url, (char *)pin, NULL, allow_http};
    struct sw_fetch_settings s;
    struct sw_fetch *f = NULL;
    struct sw_error err = SW_ERROR_INIT;
    int r;
    memset(&s, 0, sizeof(s));
    r = sw_fetch_new(&m, 1, &s, &f, &err);
    if (r == 0)
        fail_msg("'%s' accepted", url ? url : "(null)");
    assert_int_equal(r, -code);
    assert_null(f);
    if (!strstr(err.msg, why))
        fail_msg("message '%s' lacks '%s'", err.msg, why);
    assert_non_null(strstr(err.msg, "mirror 'm'"));
}

static void
test_mirror_policy(void **state)
{
    struct sw_fetch_settings s;
    struct sw_fetch *f = NULL;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;

    sw_fetch_free(new_ok("https://a.example/m/", "https://b.example:8443/t/", 0, NULL));
    sw_fetch_free(new_ok("file:///media/repo/m/", "file:///media/repo/t/", 0, NULL));
    f = new_ok("http://a.example/m/", "https://a.example/t/", 1, NULL);
    assert_int_equal(sw_fetch_n_mirrors(f), 1);
    assert_string_equal(sw_fetch_mirror_name(f, 0), "m");
    assert_null(sw_fetch_mirror_name(f, 1));
    sw_fetch_free(f);
    f = NULL;

    new_bad("http://a.example/m/", 0, NULL, SW_E_FETCH_URL, "plain http");
    new_bad("ftp://a.example/m/", 0, NULL, SW_E_FETCH_URL, "https:// or file://");
    new_bad("gopher://a.example/m/", 1, NULL, SW_E_FETCH_URL, "https:// or file://");
    new_bad("https://a.example/m", 0, NULL, SW_E_FETCH_URL, "end in '/'");
    new_bad("https://a.example/m/?x=/", 0, NULL, SW_E_FETCH_URL, "no query");
    new_bad("file:///m/", 0, "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", SW_E_FETCH_URL,
            "has a pin");
    new_bad("http://a.example/m/", 1,
            "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", SW_E_FETCH_URL, "has a pin");
    new_bad(NULL, 0, NULL, SW_E_CONFIG, "has no metadata-url");
    /* a base path whose segments cannot be compared is refused */
    new_bad("https://a.example/m/%2e%2E/", 0, NULL, SW_E_FETCH_URL, "'.' or '..' segment");
    new_bad("https://a.example/m%2Fx/", 0, NULL, SW_E_FETCH_URL, "encoded '/'");

    memset(&s, 0, sizeof(s));
    assert_int_equal(sw_fetch_new(NULL, 0, &s, &f, &err), -SW_E_CONFIG);
    assert_non_null(strstr(err.msg, "no mirror"));
    sw_fetch_free(NULL);
}

static void
test_settings(void **state)
{
    struct sw_config *cfg = NULL;
    struct sw_fetch_settings s;
    struct sw_fetch *f = NULL;
    struct sw_error err = SW_ERROR_INIT;
    const char *text = "[fetch]\nconnect-timeout = 7\ntimeout = 1m\nlow-speed-limit = 10\n"
                       "low-speed-time = 3\nmax-bandwidth = 2M\nretries = 4\n";
    (void)state;
    assert_int_equal(sw_config_parse_mem("t.conf", text, strlen(text), &cfg, &err), 0);
    sw_fetch_settings_from_config(cfg, &s);
    assert_int_equal(s.connect_timeout, 7);
    assert_int_equal(s.timeout, 60);
    assert_int_equal(s.low_speed_limit, 10);
    assert_int_equal(s.low_speed_time, 3);
    assert_int_equal(s.max_bandwidth, 2 * 1024 * 1024);
    assert_int_equal(s.retries, 4);
    assert_int_equal(s.backoff_ms, SW_FETCH_BACKOFF_MS);
    assert_int_equal(s.backoff_max_ms, SW_FETCH_BACKOFF_MAX_MS);
    /* no mirror configured */
    assert_int_equal(sw_fetch_new_config(cfg, &f, &err), -SW_E_CONFIG);
    sw_config_free(cfg);

    assert_string_equal(sw_fetch_event_to_string(SW_FETCH_EV_START), "start");
    assert_string_equal(sw_fetch_event_to_string(SW_FETCH_EV_FAILOVER), "failover");
    assert_string_equal(sw_fetch_event_to_string(SW_FETCH_EV_FAIL), "fail");
}

/* --- downloads from file:// mirrors -------------------------------------------------- */

struct fx {
    char *dir;     /* temporary root */
    char *m1, *m2; /* two mirror directories */
    char *state;   /* where downloads go */
    char *url1, *url2;
    struct sw_fetch *f;
};

static unsigned char payload[300000];

static char *
file_url(const char *dir)
{
    char *u = NULL;
    assert_true(asprintf(&u, "file://%s/", dir) > 0);
    return u;
}

static int
fx_setup(void **state)
{
    struct fx *x = calloc(1, sizeof(*x));
    struct sw_mirror ms[2];
    struct sw_fetch_settings s;
    struct sw_error err = SW_ERROR_INIT;
    char *p;

    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (unsigned char)(i * 2654435761u >> 13);
    x->dir = tu_tmpdir();
    x->m1 = tu_path(x->dir, "m1");
    x->m2 = tu_path(x->dir, "m2");
    x->state = tu_path(x->dir, "state");
    assert_int_equal(mkdir(x->m1, 0755), 0);
    assert_int_equal(mkdir(x->m2, 0755), 0);
    assert_int_equal(mkdir(x->state, 0700), 0);
    p = tu_path(x->m1, "data.bin");
    tu_write(p, payload, sizeof(payload));
    free(p);
    p = tu_path(x->m2, "data.bin");
    tu_write(p, payload, sizeof(payload));
    free(p);
    x->url1 = file_url(x->m1);
    x->url2 = file_url(x->m2);
    memset(ms, 0, sizeof(ms));
    ms[0].name = (char *)"one";
    ms[0].metadata_url = ms[0].targets_url = x->url1;
    ms[1].name = (char *)"two";
    ms[1].metadata_url = ms[1].targets_url = x->url2;
    memset(&s, 0, sizeof(s));
    if (sw_fetch_new(ms, 2, &s, &x->f, &err) != 0)
        fail_msg("%s", err.msg);
    *state = x;
    return 0;
}

static int
fx_teardown(void **state)
{
    struct fx *x = *state;
    sw_fetch_free(x->f);
    tu_rmtree(x->dir);
    free(x->dir);
    free(x->m1);
    free(x->m2);
    free(x->state);
    free(x->url1);
    free(x->url2);
    free(x);
    return 0;
}

static void
expect_payload_sha256(const struct sw_fetch_result *res)
{
    char want[SW_HASH_MAX_HEX], got[SW_HASH_MAX_HEX];
    assert_int_equal(sw_hash_buf_hex(SW_HASH_SHA256, payload, sizeof(payload), want, NULL), 0);
    sw_fetch_result_hex(res, SW_HASH_SHA256, got);
    assert_string_equal(got, want);
    sw_fetch_result_hex(res, SW_HASH_SHA512, got);
    assert_string_equal(got, "");
}

static void
test_file_memory(void **state)
{
    struct fx *x = *state;
    struct sw_buf buf = SW_BUF_INIT(0);
    struct sw_fetch_request req;
    struct sw_fetch_result res;
    struct sw_error err = SW_ERROR_INIT;

    memset(&req, 0, sizeof(req));
    req.path = "data.bin";
    req.max_bytes = sizeof(payload);
    req.hash_algs = 1u << SW_HASH_SHA256;
    req.buf = &buf;
    if (sw_fetch_get(x->f, &req, &res, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(buf.len, sizeof(payload));
    assert_memory_equal(buf.data, payload, sizeof(payload));
    assert_int_equal(res.length, sizeof(payload));
    assert_string_equal(res.mirror, "one");
    assert_int_equal(res.requests, 1);
    expect_payload_sha256(&res);
    sw_buf_release(&buf);

    /* one byte under the size: refused before any byte is read */
    req.max_bytes = sizeof(payload) - 1;
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_TOOBIG);
    assert_int_equal(buf.len, 0);
    assert_non_null(strstr(err.msg, "mirror 'one'"));
    assert_non_null(strstr(err.msg, "mirror 'two'"));

    /* the buffer's own maximum is a cap too */
    buf.max = 1000;
    req.max_bytes = sizeof(payload);
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_TOOBIG);
    assert_non_null(strstr(err.msg, "cap of 1000"));
    sw_buf_release(&buf);
}

static void
test_file_dest_and_resume(void **state)
{
    struct fx *x = *state;
    struct sw_fetch_request req;
    struct sw_fetch_result res;
    struct sw_error err = SW_ERROR_INIT;
    char *dest = tu_path(x->state, "data.bin");
    char *part = tu_path(x->state, "data.bin%part");
    unsigned char *got;
    size_t len;

    memset(&req, 0, sizeof(req));
    req.path = "data.bin";
    req.max_bytes = 1 << 20;
    req.hash_algs = (1u << SW_HASH_SHA256) | (1u << SW_HASH_SHA512);
    req.dest = dest;
    /* a .part holding the first 1000 bytes is continued */
    tu_write(part, payload, 1000);
    if (sw_fetch_get(x->f, &req, &res, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(res.resumed_from, 1000);
    assert_int_equal(res.length, sizeof(payload));
    {
        char want[SW_HASH_MAX_HEX], hex[SW_HASH_MAX_HEX];
        sw_hash_buf_hex(SW_HASH_SHA512, payload, sizeof(payload), want, NULL);
        sw_fetch_result_hex(&res, SW_HASH_SHA512, hex);
        assert_string_equal(hex, want);
    }
    got = tu_read(dest, &len);
    assert_int_equal(len, sizeof(payload));
    assert_memory_equal(got, payload, len);
    free(got);
    assert_int_equal(access(part, F_OK), -1);

    /* a .part longer than the file is started over */
    {
        unsigned char *big = calloc(1, sizeof(payload) + 10);
        tu_write(part, big, sizeof(payload) + 10);
        free(big);
    }
    if (sw_fetch_get(x->f, &req, &res, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(res.resumed_from, 0);
    got = tu_read(dest, &len);
    assert_int_equal(len, sizeof(payload));
    assert_memory_equal(got, payload, len);
    free(got);
    free(dest);
    free(part);
}

struct verify_ctx {
    const char *reject_mirror;
    unsigned calls;
    int saw_part;
};

static int
reject_one(void *ctx, const struct sw_fetch_result *res, struct sw_error *err)
{
    struct verify_ctx *v = ctx;
    v->calls++;
    if (res->part_path && access(res->part_path, F_OK) == 0)
        v->saw_part = 1;
    if (strcmp(res->mirror, v->reject_mirror) == 0)
        return sw_error_set(err, SW_E_HASH, "bad hash from '%s'", res->mirror);
    return 0;
}

static void
test_verify_failover(void **state)
{
    struct fx *x = *state;
    struct sw_fetch_request req;
    struct sw_fetch_result res;
    struct sw_error err = SW_ERROR_INIT;
    struct verify_ctx v = {"one", 0, 0};
    char *dest = tu_path(x->state, "v.bin");
    char *part = tu_path(x->state, "v.bin%part");

    memset(&req, 0, sizeof(req));
    req.path = "data.bin";
    req.max_bytes = 1 << 20;
    req.dest = dest;
    req.verify = reject_one;
    req.verify_ctx = &v;
    if (sw_fetch_get(x->f, &req, &res, &err) != 0)
        fail_msg("%s", err.msg);
    assert_string_equal(res.mirror, "two");
    assert_int_equal(v.calls, 2);
    assert_int_equal(v.saw_part, 1);
    assert_int_equal(access(dest, F_OK), 0);

    free(dest);
    free(part);
}

static int
reject_all(void *ctx, const struct sw_fetch_result *res, struct sw_error *err)
{
    (void)ctx;
    return sw_error_set(err, SW_E_LENGTH, "length %llu is wrong", (unsigned long long)res->length);
}

static void
test_verify_all_fail(void **state)
{
    struct fx *x = *state;
    struct sw_fetch_request req;
    struct sw_fetch_result res;
    struct sw_error err = SW_ERROR_INIT;
    char *dest = tu_path(x->state, "w.bin");
    char *part = tu_path(x->state, "w.bin%part");

    memset(&req, 0, sizeof(req));
    req.path = "data.bin";
    req.max_bytes = 1 << 20;
    req.dest = dest;
    req.verify = reject_all;
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_LENGTH);
    assert_non_null(strstr(err.msg, "mirror 'one'"));
    assert_non_null(strstr(err.msg, "mirror 'two'"));
    assert_non_null(strstr(err.msg, "verification failed: length 300000 is wrong"));
    assert_int_equal(access(dest, F_OK), -1);
    assert_int_equal(access(part, F_OK), -1);
    free(dest);
    free(part);
}

static void
test_notfound_rule(void **state)
{
    struct fx *x = *state;
    struct sw_buf buf = SW_BUF_INIT(0);
    struct sw_fetch_request req;
    struct sw_fetch_result res;
    struct sw_error err = SW_ERROR_INIT;
    char *p;

    memset(&req, 0, sizeof(req));
    req.base = SW_FETCH_METADATA;
    req.mode = SW_FETCH_NAME;
    req.path = "2.root.json";
    req.max_bytes = 1000;
    req.buf = &buf;
    /* missing everywhere: "not found" */
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_NOTFOUND);
    assert_non_null(strstr(err.msg, "cannot fetch '2.root.json'"));
    /* present only on the second mirror: found there */
    p = tu_path(x->m2, "2.root.json");
    tu_write_str(p, "{}");
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), 0);
    assert_string_equal(res.mirror, "two");
    assert_string_equal((char *)buf.data, "{}");
    sw_buf_release(&buf);
    /* too big on the second: not "not found", the other failure wins */
    tu_write(p, payload, 2000);
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_TOOBIG);
    unlink(p);
    free(p);
    sw_buf_release(&buf);

    /* a mirror that cannot be reached does not turn the other's "not found" into an error */
    p = tu_path(x->dir, "m1-away");
    assert_int_equal(rename(x->m1, p), 0);
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_NOTFOUND);
    assert_non_null(strstr(err.msg, "mirror 'one'"));
    assert_non_null(strstr(err.msg, "cannot open the mirror directory"));
    assert_non_null(strstr(err.msg, "mirror 'two'"));
    assert_non_null(strstr(err.msg, "not found"));
    /* the same when the unreachable one is the last */
    assert_int_equal(rename(p, x->m1), 0);
    assert_int_equal(rename(x->m2, p), 0);
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_NOTFOUND);
    /* ... but with no mirror answering at all it is the connection failure */
    {
        char *p1 = tu_path(x->dir, "m1-away-too");
        assert_int_equal(rename(x->m1, p1), 0);
        assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_CONNECT);
        assert_int_equal(rename(p1, x->m1), 0);
        free(p1);
    }
    /* ... and a mirror that answered wrongly is not outvoted by "not found" */
    assert_int_equal(rename(p, x->m2), 0);
    free(p);
    p = tu_path(x->m1, "2.root.json");
    tu_write(p, payload, 2000);
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_TOOBIG);
    free(p);
    sw_buf_release(&buf);
}

static void
test_links_and_specials(void **state)
{
    struct fx *x = *state;
    struct sw_buf buf = SW_BUF_INIT(0);
    struct sw_fetch_request req;
    struct sw_fetch_result res;
    struct sw_error err = SW_ERROR_INIT;
    char *link = tu_path(x->m1, "link.bin");
    char *link2 = tu_path(x->m2, "link.bin");
    char *sub = tu_path(x->m1, "sub");

    assert_int_equal(symlink("data.bin", link), 0);
    assert_int_equal(symlink("/etc/passwd", link2), 0);
    assert_int_equal(symlink(x->m2, sub), 0);
    memset(&req, 0, sizeof(req));
    req.path = "link.bin";
    req.max_bytes = 1 << 20;
    req.buf = &buf;
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_URL);
    assert_non_null(strstr(err.msg, "'link.bin' is a symbolic link"));
    req.path = "sub/data.bin";
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_URL);
    assert_non_null(strstr(err.msg, "'sub' is a symbolic link"));
    /* a directory is not a file */
    {
        char *d1 = tu_path(x->m1, "dir.bin"), *d2 = tu_path(x->m2, "dir.bin");
        assert_int_equal(mkdir(d1, 0755), 0);
        assert_int_equal(mkdir(d2, 0755), 0);
        req.path = "dir.bin";
        assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_URL);
        assert_non_null(strstr(err.msg, "not a regular file"));
        free(d1);
        free(d2);
    }
    free(link);
    free(link2);
    free(sub);
    sw_buf_release(&buf);
}

struct events {
    char kinds[64];
    uint64_t last_bytes;
    uint64_t total;
};

static void
record(void *ctx, const struct sw_fetch_progress *p)
{
    struct events *e = ctx;
    size_t n = strlen(e->kinds);
    if (n + 1 < sizeof(e->kinds)) {
        e->kinds[n] = sw_fetch_event_to_string(p->event)[0];
        e->kinds[n + 1] = '\0';
    }
    assert_true(p->bytes >= e->last_bytes || p->event == SW_FETCH_EV_START);
    e->last_bytes = p->bytes;
    e->total = p->total;
    assert_string_equal(p->path, "data.bin");
}

static void
test_events_and_requests(void **state)
{
    struct fx *x = *state;
    struct sw_buf buf = SW_BUF_INIT(0);
    struct sw_fetch_request req;
    struct sw_fetch_result res;
    struct sw_error err = SW_ERROR_INIT;
    struct events ev;
    char *p = tu_path(x->m1, "data.bin");

    memset(&ev, 0, sizeof(ev));
    memset(&req, 0, sizeof(req));
    req.path = "data.bin";
    req.max_bytes = 1 << 20;
    req.buf = &buf;
    req.progress = record;
    req.progress_ctx = &ev;
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), 0);
    assert_int_equal(ev.kinds[0], 's');
    assert_int_equal(ev.kinds[strlen(ev.kinds) - 1], 'd');
    assert_int_equal(ev.last_bytes, sizeof(payload));
    assert_int_equal(ev.total, sizeof(payload));
    sw_buf_release(&buf);

    /* the first mirror lacks it: start, failover, start, ..., done */
    unlink(p);
    memset(&ev, 0, sizeof(ev));
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), 0);
    assert_int_equal(strncmp(ev.kinds, "sfs", 3), 0);
    assert_string_equal(res.mirror, "two");
    assert_int_equal(res.requests, 2);
    sw_buf_release(&buf);
    free(p);
}

static void
test_bad_requests(void **state)
{
    struct fx *x = *state;
    struct sw_buf buf = SW_BUF_INIT(0);
    struct sw_fetch_request req;
    struct sw_fetch_result res;
    struct sw_error err = SW_ERROR_INIT;

    memset(&req, 0, sizeof(req));
    req.path = "data.bin";
    req.max_bytes = 100;
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_INVAL); /* no destination */
    req.buf = &buf;
    req.dest = "/nonexistent/x";
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_INVAL); /* two */
    req.dest = NULL;
    req.max_bytes = 0;
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_INVAL); /* no cap */
    req.max_bytes = 100;
    req.hash_algs = 1u << 7;
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_UNSUPPORTED);
    req.hash_algs = 0;
    req.path = "../data.bin";
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_URL);
    assert_non_null(strstr(err.msg, "mirror 'one'"));
    sw_buf_release(&buf);
}

/* A name holding '/' (role "a/b") is the path N.a/b.json below a file:// mirror. */
static void
test_file_names_with_slash(void **state)
{
    struct fx *x = *state;
    struct sw_buf buf = SW_BUF_INIT(0);
    struct sw_fetch_request req;
    struct sw_fetch_result res;
    struct sw_error err = SW_ERROR_INIT;
    static const char *bad[] = {"2.a//b.json", "2.a/../b.json", "2.a/./b.json",
                                "2.a/b.json/", "/2.a/b.json",   "../m2/2.a/b.json"};
    char *d1 = tu_path(x->m1, "2.a"), *f1 = tu_path(x->m1, "2.a/b.json");
    char *d2 = tu_path(x->m2, "2.a"), *f2 = tu_path(x->m2, "2.a/b.json");

    assert_int_equal(mkdir(d1, 0755), 0);
    tu_write_str(f1, "{\"one\": 1}");
    memset(&req, 0, sizeof(req));
    req.base = SW_FETCH_METADATA;
    req.mode = SW_FETCH_NAME;
    req.path = "2.a/b.json";
    req.max_bytes = 1000;
    req.buf = &buf;
    if (sw_fetch_get(x->f, &req, &res, &err) != 0)
        fail_msg("%s", err.msg);
    assert_string_equal(res.mirror, "one");
    assert_int_equal(buf.len, strlen("{\"one\": 1}"));
    assert_memory_equal(buf.data, "{\"one\": 1}", buf.len);
    sw_buf_release(&buf);

    /* empty, "." and ".." segments are refused before anything is opened */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        req.path = bad[i];
        assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_URL);
        if (!strstr(err.msg, "segment"))
            fail_msg("'%s': %s", bad[i], err.msg);
        assert_int_equal(buf.len, 0);
    }

    /* a directory segment that is a symbolic link is refused, the next mirror used */
    unlink(f1);
    rmdir(d1);
    assert_int_equal(mkdir(d2, 0755), 0);
    tu_write_str(f2, "{\"two\": 2}");
    assert_int_equal(symlink(d2, d1), 0);
    req.path = "2.a/b.json";
    if (sw_fetch_get(x->f, &req, &res, &err) != 0)
        fail_msg("%s", err.msg);
    assert_string_equal(res.mirror, "two");
    assert_memory_equal(buf.data, "{\"two\": 2}", buf.len);
    sw_buf_release(&buf);
    /* ... and alone it fails, naming the link */
    unlink(f2);
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_URL);
    assert_non_null(strstr(err.msg, "'2.a' is a symbolic link"));
    /* so is a last segment that is a link */
    unlink(d1);
    assert_int_equal(mkdir(d1, 0755), 0);
    assert_int_equal(symlink("/etc/passwd", f1), 0);
    assert_int_equal(sw_fetch_get(x->f, &req, &res, &err), -SW_E_FETCH_URL);
    assert_non_null(strstr(err.msg, "'b.json' is a symbolic link"));
    assert_int_equal(buf.len, 0);
    free(d1);
    free(f1);
    free(d2);
    free(f2);
    sw_buf_release(&buf);
}

/*
 * The run deadline: a mirror that refuses connections, retried with long
 * backoffs, is given up at the deadline, not after the retries (which
 * would take 4 + 8 + 16 + 30 s); and [fetch] settings carry cfg->deadline.
 */
static void
test_deadline(void **state)
{
    struct sw_mirror m = {
        (char *)"m", (char *)"http://127.0.0.1:1/", (char *)"http://127.0.0.1:1/", NULL, NULL, 1};
    struct sw_fetch_settings s;
    struct sw_fetch *f = NULL;
    struct sw_buf buf = SW_BUF_INIT(0);
    struct sw_fetch_request req;
    struct sw_fetch_result res;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_config *cfg = NULL;
    struct timespec t0, t1;
    double el;
    int r;
    (void)state;

    memset(&s, 0, sizeof(s));
    s.connect_timeout = 5;
    s.retries = 4;
    s.backoff_ms = 4000;
    s.backoff_max_ms = 30000;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    s.deadline = (double)t0.tv_sec + (double)t0.tv_nsec / 1e9 + 0.5;
    assert_int_equal(sw_fetch_new(&m, 1, &s, &f, &err), 0);
    memset(&req, 0, sizeof(req));
    req.base = SW_FETCH_METADATA;
    req.path = "timestamp.json";
    req.mode = SW_FETCH_NAME;
    req.max_bytes = 1024;
    req.buf = &buf;
    r = sw_fetch_get(f, &req, &res, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_int_equal(r, -SW_E_FETCH_SLOW);
    if (!strstr(err.msg, "deadline"))
        fail_msg("message '%s' lacks 'deadline'", err.msg);
    if (el > 2.0)
        fail_msg("the deadline of 0.5 s was overrun: %.2f s", el);
    sw_fetch_free(f);
    sw_buf_release(&buf);

    assert_int_equal(sw_config_defaults(&cfg, &err), 0);
    cfg->deadline = 1234.5;
    sw_fetch_settings_from_config(cfg, &s);
    assert_true(s.deadline == 1234.5);
    sw_config_free(cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_join),
        cmocka_unit_test(test_mirror_policy),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test_setup_teardown(test_file_memory, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_file_dest_and_resume, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_verify_failover, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_verify_all_fail, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_notfound_rule, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_links_and_specials, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_events_and_requests, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_file_names_with_slash, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
