/* SPDX-License-Identifier: MIT */
/*
 * Test driver for the canonical JSON, key and metadata modules, so that
 * integration tests can compare them with independent implementations
 * (securesystemslib, hashlib, fnmatch):
 *   cjson-tool canon [-m MEMBER] FILE       canonical bytes of FILE (or of
 *                                           its top-level MEMBER) to stdout
 *   cjson-tool canon-many FILE...           each FILE to FILE.out; a file
 *                                           that fails gets FILE.err
 *   cjson-tool keyids FILE                  "GIVEN COMPUTED" per key in a
 *                                           root's keys or a targets'
 *                                           delegations.keys
 *   cjson-tool match                        stdin "PATTERN<TAB>PATH" lines,
 *                                           prints 1 or 0 for each
 *   cjson-tool bench FILE N                 parse + encode FILE N times
 *   cjson-tool bench-md TYPE FILE N         sw_md_parse_mem N times; for a
 *                                           root, then N root-role checks
 */
#include <slipway/cjson.h>
#include <slipway/fs.h>
#include <slipway/key.h>
#include <slipway/metadata.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_INPUT ((size_t)256 * 1024 * 1024)

static int
usage(void)
{
    fprintf(stderr, "usage: cjson-tool canon [-m MEMBER] FILE | canon-many FILE... | "
                    "keyids FILE | match | bench FILE N | bench-md TYPE FILE N\n");
    return 2;
}

static int
load(const char *path, json_t **ret, struct sw_error *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    int r = sw_fs_read_file(path, MAX_INPUT, &data, &len, err);
    if (r == 0)
        r = sw_cjson_parse_mem(data, len, MAX_INPUT, ret, err);
    free(data);
    return r;
}

static int
canon_one(const char *path, const char *member, struct sw_buf *out, struct sw_error *err)
{
    json_t *doc = NULL;
    const json_t *v;
    int r = load(path, &doc, err);
    if (r < 0)
        return r;
    v = doc;
    if (member) {
        v = json_object_get(doc, member);
        if (!v) {
            json_decref(doc);
            return sw_error_set(err, SW_E_NOTFOUND, "no member '%s'", member);
        }
    }
    r = sw_cjson_encode(v, out, err);
    json_decref(doc);
    return r;
}

static int
write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok;
    if (!f)
        return -1;
    ok = fwrite(data, 1, len, f) == len;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

static int
cmd_canon(int argc, char **argv)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_buf out = SW_BUF_INIT(MAX_INPUT);
    const char *member = NULL;
    int r;

    if (argc == 4 && strcmp(argv[1], "-m") == 0) {
        member = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc != 2)
        return usage();
    r = canon_one(argv[1], member, &out, &err);
    if (r < 0) {
        fprintf(stderr, "cjson-tool: %s: %s\n", argv[1], err.msg);
        sw_buf_release(&out);
        return 1;
    }
    fwrite(out.data, 1, out.len, stdout);
    sw_buf_release(&out);
    return 0;
}

static int
cmd_canon_many(int argc, char **argv)
{
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        struct sw_error err = SW_ERROR_INIT;
        struct sw_buf out = SW_BUF_INIT(MAX_INPUT);
        char *name = malloc(strlen(argv[i]) + 5);
        if (!name)
            return 1;
        if (canon_one(argv[i], NULL, &out, &err) == 0) {
            sprintf(name, "%s.out", argv[i]);
            if (write_file(name, out.data ? out.data : (unsigned char *)"", out.len) < 0)
                failed = 1;
        } else {
            sprintf(name, "%s.err", argv[i]);
            if (write_file(name, err.msg, strlen(err.msg)) < 0)
                failed = 1;
        }
        free(name);
        sw_buf_release(&out);
    }
    return failed;
}

static int
cmd_keyids(int argc, char **argv)
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *doc = NULL;
    const json_t *keys, *kobj;
    const char *id;

    if (argc != 2)
        return usage();
    if (load(argv[1], &doc, &err) < 0) {
        fprintf(stderr, "cjson-tool: %s: %s\n", argv[1], err.msg);
        return 1;
    }
    keys = json_object_get(json_object_get(doc, "signed"), "keys");
    if (!keys)
        keys =
            json_object_get(json_object_get(json_object_get(doc, "signed"), "delegations"), "keys");
    json_object_foreach((json_t *)keys, id, kobj)
    {
        char computed[SW_KEY_ID_HEX_SIZE];
        if (sw_key_id_compute(kobj, computed, &err) < 0) {
            fprintf(stderr, "cjson-tool: %s: %s\n", argv[1], err.msg);
            json_decref(doc);
            return 1;
        }
        printf("%s %s\n", id, computed);
    }
    json_decref(doc);
    return 0;
}

static int
cmd_match(void)
{
    char line[8192];
    while (fgets(line, sizeof(line), stdin)) {
        char *tab = strchr(line, '\t');
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        if (!tab) {
            fprintf(stderr, "cjson-tool: match: line without a tab\n");
            return 1;
        }
        *tab = '\0';
        printf("%d\n", sw_md_path_pattern_match(line, tab + 1) ? 1 : 0);
    }
    return 0;
}

static int
cmd_bench(int argc, char **argv)
{
    struct sw_error err = SW_ERROR_INIT;
    unsigned char *data = NULL;
    size_t len = 0;
    long n;
    struct timespec t0, t1;
    double secs;

    if (argc != 3 || (n = strtol(argv[2], NULL, 10)) <= 0)
        return usage();
    if (sw_fs_read_file(argv[1], MAX_INPUT, &data, &len, &err) < 0) {
        fprintf(stderr, "cjson-tool: %s: %s\n", argv[1], err.msg);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        json_t *doc = NULL;
        struct sw_buf out = SW_BUF_INIT(MAX_INPUT);
        if (sw_cjson_parse_mem(data, len, MAX_INPUT, &doc, &err) < 0 ||
            sw_cjson_encode(doc, &out, &err) < 0) {
            fprintf(stderr, "cjson-tool: %s: %s\n", argv[1], err.msg);
            free(data);
            return 1;
        }
        json_decref(doc);
        sw_buf_release(&out);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%zu bytes x %ld: %.3f s, %.1f MB/s parse+encode\n", len, n, secs,
           (double)len * (double)n / secs / 1e6);
    free(data);
    return 0;
}

static double
elapsed(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int
cmd_bench_md(int argc, char **argv)
{
    struct sw_error err = SW_ERROR_INIT;
    enum sw_md_type type;
    unsigned char *data = NULL;
    size_t len = 0;
    struct sw_md *md = NULL;
    struct timespec t0;
    double secs;
    long n;

    if (argc != 4 || sw_md_type_from_string(argv[1], &type) < 0 ||
        (n = strtol(argv[3], NULL, 10)) <= 0)
        return usage();
    if (sw_fs_read_file(argv[2], MAX_INPUT, &data, &len, &err) < 0) {
        fprintf(stderr, "cjson-tool: %s: %s\n", argv[2], err.msg);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        sw_md_free(md);
        md = NULL;
        if (sw_md_parse_mem(data, len, type, &md, &err) < 0) {
            fprintf(stderr, "cjson-tool: %s: %s\n", argv[2], err.msg);
            free(data);
            return 1;
        }
    }
    secs = elapsed(&t0);
    printf("parse %s: %zu bytes x %ld: %.3f ms each, %.1f MB/s\n", argv[1], len, n,
           secs * 1e3 / (double)n, (double)len * (double)n / secs / 1e6);
    if (type == SW_MD_ROOT) {
        const struct sw_md_role *role = sw_md_root_role(md, SW_MD_ROOT);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < n; i++) {
            if (sw_md_verify(md, role, &err) < 0) {
                fprintf(stderr, "cjson-tool: %s: %s\n", argv[2], err.msg);
                break;
            }
        }
        secs = elapsed(&t0);
        printf("verify root (threshold %lld, %s): %.1f us each\n",
               (long long)sw_md_role_threshold(role),
               sw_key_scheme(sw_md_key(md, sw_md_role_keyid(role, 0))), secs * 1e6 / (double)n);
    }
    sw_md_free(md);
    free(data);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "canon") == 0)
        return cmd_canon(argc - 1, argv + 1);
    if (strcmp(argv[1], "canon-many") == 0)
        return cmd_canon_many(argc - 1, argv + 1);
    if (strcmp(argv[1], "keyids") == 0)
        return cmd_keyids(argc - 1, argv + 1);
    if (strcmp(argv[1], "match") == 0 && argc == 2)
        return cmd_match();
    if (strcmp(argv[1], "bench") == 0)
        return cmd_bench(argc - 1, argv + 1);
    if (strcmp(argv[1], "bench-md") == 0)
        return cmd_bench_md(argc - 1, argv + 1);
    return usage();
}
