/* SPDX-License-Identifier: MIT */
/*
 * Test and benchmark driver of the fetch module: fetches one path from the
 * mirrors of a configuration (or of one base URL) into memory or a file,
 * and prints a JSON result (mirror, URL, length, digests, requests, peak
 * memory) or the error. Not installed; tests/integration and tests/bench use it.
 */
#include <slipway/config.h>
#include <slipway/fetch.h>
#include <slipway/hash.h>
#include <slipway/log.h>
#include <slipway/progress.h>

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: fetch-tool (-c CONF | --url BASE [--allow-http] [--pin PIN] [--ca-file FILE])\n"
    "                  --path REL --max BYTES [--metadata|--targets] [--name]\n"
    "                  [--sha256] [--sha512] [--out FILE | --dump FILE]\n"
    "                  [--expect-sha256 HEX] [--expect-length N]\n"
    "                  [--retries N] [--backoff-ms MS] [--progress-fd N] [--bar] [-q] [-v]\n";

enum {
    OPT_URL = 256,
    OPT_ALLOW_HTTP,
    OPT_PIN,
    OPT_CA,
    OPT_PATH,
    OPT_MAX,
    OPT_METADATA,
    OPT_TARGETS,
    OPT_NAME,
    OPT_SHA256,
    OPT_SHA512,
    OPT_OUT,
    OPT_DUMP,
    OPT_EXPECT_SHA256,
    OPT_EXPECT_LENGTH,
    OPT_RETRIES,
    OPT_BACKOFF,
    OPT_PROGRESS_FD,
    OPT_BAR,
};

static const struct option longopts[] = {
    {"config", required_argument, NULL, 'c'},
    {"url", required_argument, NULL, OPT_URL},
    {"allow-http", no_argument, NULL, OPT_ALLOW_HTTP},
    {"pin", required_argument, NULL, OPT_PIN},
    {"ca-file", required_argument, NULL, OPT_CA},
    {"path", required_argument, NULL, OPT_PATH},
    {"max", required_argument, NULL, OPT_MAX},
    {"metadata", no_argument, NULL, OPT_METADATA},
    {"targets", no_argument, NULL, OPT_TARGETS},
    {"name", no_argument, NULL, OPT_NAME},
    {"sha256", no_argument, NULL, OPT_SHA256},
    {"sha512", no_argument, NULL, OPT_SHA512},
    {"out", required_argument, NULL, OPT_OUT},
    {"dump", required_argument, NULL, OPT_DUMP},
    {"expect-sha256", required_argument, NULL, OPT_EXPECT_SHA256},
    {"expect-length", required_argument, NULL, OPT_EXPECT_LENGTH},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"backoff-ms", required_argument, NULL, OPT_BACKOFF},
    {"progress-fd", required_argument, NULL, OPT_PROGRESS_FD},
    {"bar", no_argument, NULL, OPT_BAR},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct expect {
    const char *sha256; /* hex, or NULL */
    long long length;   /* -1: any */
};

/* The verify callback: what the trust client will do with signed metadata. */
static int
verify(void *ctx, const struct sw_fetch_result *res, struct sw_error *err)
{
    const struct expect *e = ctx;
    char hex[SW_HASH_MAX_HEX];

    if (e->length >= 0 && res->length != (uint64_t)e->length)
        return sw_error_set(err, SW_E_LENGTH, "length %llu, expected %lld",
                            (unsigned long long)res->length, e->length);
    if (e->sha256) {
        sw_fetch_result_hex(res, SW_HASH_SHA256, hex);
        if (strcasecmp(hex, e->sha256) != 0)
            return sw_error_set(err, SW_E_HASH, "sha256 %s, expected %s", hex, e->sha256);
    }
    return 0;
}

static unsigned long long
parse_num(const char *s, const char *what)
{
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || !*s) {
        fprintf(stderr, "fetch-tool: %s '%s' is not a number\n", what, s);
        exit(2);
    }
    return v;
}

static long
peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int
main(int argc, char **argv)
{
    const char *conf = NULL, *url = NULL, *pin = NULL, *ca = NULL, *path = NULL, *out = NULL;
    const char *dump = NULL;
    unsigned long long max = 0;
    long long retries = -1, backoff = -1;
    int allow_http = 0, quiet = 0, verbose = 0, bar = 0, progress_fd = -1, c, r, rc = 1;
    struct expect exp = {NULL, -1};
    struct sw_config *cfg = NULL;
    struct sw_fetch *f = NULL;
    struct sw_progress *pr = NULL;
    struct sw_fetch_settings st;
    struct sw_fetch_request req;
    struct sw_fetch_result res;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_buf buf = SW_BUF_INIT(0);
    struct timespec t0, t1;
    json_t *o = NULL;

    memset(&req, 0, sizeof(req));
    req.base = SW_FETCH_TARGETS;
    while ((c = getopt_long(argc, argv, "c:qvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            conf = optarg;
            break;
        case OPT_URL:
            url = optarg;
            break;
        case OPT_ALLOW_HTTP:
            allow_http = 1;
            break;
        case OPT_PIN:
            pin = optarg;
            break;
        case OPT_CA:
            ca = optarg;
            break;
        case OPT_PATH:
            path = optarg;
            break;
        case OPT_MAX:
            max = parse_num(optarg, "--max");
            break;
        case OPT_METADATA:
            req.base = SW_FETCH_METADATA;
            break;
        case OPT_TARGETS:
            req.base = SW_FETCH_TARGETS;
            break;
        case OPT_NAME:
            req.mode = SW_FETCH_NAME;
            break;
        case OPT_SHA256:
            req.hash_algs |= 1u << SW_HASH_SHA256;
            break;
        case OPT_SHA512:
            req.hash_algs |= 1u << SW_HASH_SHA512;
            break;
        case OPT_OUT:
            out = optarg;
            break;
        case OPT_DUMP:
            dump = optarg;
            break;
        case OPT_EXPECT_SHA256:
            exp.sha256 = optarg;
            req.hash_algs |= 1u << SW_HASH_SHA256;
            break;
        case OPT_EXPECT_LENGTH:
            exp.length = (long long)parse_num(optarg, "--expect-length");
            break;
        case OPT_RETRIES:
            retries = (long long)parse_num(optarg, "--retries");
            break;
        case OPT_BACKOFF:
            backoff = (long long)parse_num(optarg, "--backoff-ms");
            break;
        case OPT_PROGRESS_FD:
            progress_fd = (int)parse_num(optarg, "--progress-fd");
            break;
        case OPT_BAR:
            bar = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (optind != argc || !path || !max || !conf == !url) {
        fputs(usage, stderr);
        return 2;
    }
    sw_log_init("fetch-tool");
    sw_log_set_level(verbose ? SW_LOG_DEBUG : quiet ? SW_LOG_ERR : SW_LOG_NOTICE);

    if (conf) {
        r = sw_config_load(conf, &cfg, &err);
        if (r < 0)
            goto fail;
        sw_fetch_settings_from_config(cfg, &st);
    } else {
        r = sw_config_defaults(&cfg, &err);
        if (r < 0)
            goto fail;
        sw_fetch_settings_from_config(cfg, &st);
    }
    if (retries >= 0)
        st.retries = (unsigned)retries;
    if (backoff >= 0)
        st.backoff_ms = (unsigned)backoff;
    if (conf) {
        r = sw_fetch_new(cfg->mirrors, cfg->n_mirrors, &st, &f, &err);
    } else {
        struct sw_mirror m;
        memset(&m, 0, sizeof(m));
        m.name = (char *)"url";
        m.metadata_url = (char *)url;
        m.targets_url = (char *)url;
        m.pin = (char *)pin;
        m.ca_file = (char *)ca;
        m.allow_insecure_http = allow_http;
        r = sw_fetch_new(&m, 1, &st, &f, &err);
    }
    if (r < 0)
        goto fail;

    if (progress_fd >= 0 || (bar && sw_progress_want_bar(STDERR_FILENO, quiet))) {
        r = sw_progress_new(bar && sw_progress_want_bar(STDERR_FILENO, quiet) ? STDERR_FILENO : -1,
                            progress_fd, &pr, &err);
        if (r < 0)
            goto fail;
        req.progress = sw_progress_fetch;
        req.progress_ctx = pr;
    }
    req.path = path;
    req.max_bytes = max;
    if (out)
        req.dest = out;
    else
        req.buf = &buf;
    if (exp.sha256 || exp.length >= 0) {
        req.verify = verify;
        req.verify_ctx = &exp;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = sw_fetch_get(f, &req, &res, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (r < 0)
        goto fail;
    if (dump && buf.data) {
        FILE *df = fopen(dump, "wb");
        if (!df || fwrite(buf.data, 1, buf.len, df) != buf.len || fclose(df) != 0) {
            fprintf(stderr, "fetch-tool: cannot write '%s'\n", dump);
            goto out;
        }
    }
    o = json_pack("{s:s, s:s, s:I, s:I, s:i, s:f, s:I}", "mirror", res.mirror, "url", res.url,
                  "length", (json_int_t)res.length, "resumed_from", (json_int_t)res.resumed_from,
                  "requests", (int)res.requests, "seconds",
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                  "peak_rss_kb", (json_int_t)peak_rss_kb());
    for (unsigned a = 0; a < SW_HASH_N_ALGS; a++) {
        char hex[SW_HASH_MAX_HEX];
        if (!(res.hash_algs & (1u << a)))
            continue;
        sw_fetch_result_hex(&res, (enum sw_hash_alg)a, hex);
        json_object_set_new(o, sw_hash_alg_to_string((enum sw_hash_alg)a), json_string(hex));
    }
    json_dumpf(o, stdout, JSON_COMPACT);
    putchar('\n');
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "fetch-tool: %s\n", err.msg);
    o = json_pack("{s:{s:i, s:s, s:s}, s:I}", "error", "code", err.code, "name",
                  sw_errcode_name(err.code), "message", err.msg, "peak_rss_kb",
                  (json_int_t)peak_rss_kb());
    if (o) {
        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
    }
out:
    json_decref(o);
    sw_progress_free(pr);
    sw_fetch_free(f);
    sw_config_free(cfg);
    sw_buf_release(&buf);
    return rc;
}
