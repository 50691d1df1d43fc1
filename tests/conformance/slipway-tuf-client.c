/* SPDX-License-Identifier: MIT */
/*
 * slipway-tuf-client: speaks the command-line protocol of the public TUF
 * client conformance suite (tuf-conformance CLIENT-CLI.md), so any TUF test
 * harness can drive slipway's trust engine:
 *
 *   CLIENT --metadata-dir MD init TRUSTED_ROOT_FILE
 *   CLIENT --metadata-url MURL --metadata-dir MD refresh
 *   CLIENT --metadata-url MURL --metadata-dir MD --target-name T [--target-name T2 ...]
 *          --target-dir TD --target-base-url TURL download
 *
 * Options in any order before the command; -v for debug output. Exit 0 on
 * success and exactly 1 on any failure. MD ends up holding only the trusted
 * roles' files; TD only verified targets. All the work is the trust module's.
 */
#include <slipway/config.h>
#include <slipway/fetch.h>
#include <slipway/fs.h>
#include <slipway/log.h>
#include <slipway/trust.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_TARGET_NAMES 256

struct args {
    const char *md;
    const char *murl;
    const char *turl;
    const char *td;
    const char *names[MAX_TARGET_NAMES];
    size_t n_names;
    const char *cmd;
    const char *cmd_arg;
};

static void
usage(void)
{
    fprintf(stderr,
            "usage: slipway-tuf-client --metadata-dir MD init TRUSTED_ROOT\n"
            "       slipway-tuf-client --metadata-dir MD --metadata-url URL refresh\n"
            "       slipway-tuf-client --metadata-dir MD --metadata-url URL --target-name T "
            "[--target-name T ...]\n"
            "                          --target-dir TD --target-base-url URL download\n");
}

static int
parse_args(int argc, char **argv, struct args *a)
{
    enum { O_MD = 1, O_MURL, O_TNAME, O_TDIR, O_TURL };
    static const struct option longs[] = {
        {"metadata-dir", required_argument, NULL, O_MD},
        {"metadata-url", required_argument, NULL, O_MURL},
        {"target-name", required_argument, NULL, O_TNAME},
        {"target-dir", required_argument, NULL, O_TDIR},
        {"target-base-url", required_argument, NULL, O_TURL},
        {"verbose", no_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(a, 0, sizeof(*a));
    opterr = 1;
    while ((c = getopt_long(argc, argv, "+v", longs, NULL)) != -1) {
        switch (c) {
        case O_MD:
            a->md = optarg;
            break;
        case O_MURL:
            a->murl = optarg;
            break;
        case O_TNAME:
            if (a->n_names >= MAX_TARGET_NAMES)
                return -1;
            a->names[a->n_names++] = optarg;
            break;
        case O_TDIR:
            a->td = optarg;
            break;
        case O_TURL:
            a->turl = optarg;
            break;
        case 'v':
            sw_log_set_level(SW_LOG_DEBUG);
            break;
        default:
            return -1;
        }
    }
    if (optind >= argc || !a->md)
        return -1;
    a->cmd = argv[optind++];
    if (strcmp(a->cmd, "init") == 0) {
        if (optind + 1 != argc)
            return -1;
        a->cmd_arg = argv[optind];
        return 0;
    }
    if (optind != argc || !a->murl)
        return -1;
    if (strcmp(a->cmd, "refresh") == 0)
        return 0;
    if (strcmp(a->cmd, "download") == 0)
        return a->n_names && a->td && a->turl ? 0 : -1;
    return -1;
}

/* base + "/" unless it already ends so; caller frees. */
static char *
with_slash(const char *url)
{
    size_t n = strlen(url);
    char *s;
    if (asprintf(&s, "%s%s", url, n && url[n - 1] == '/' ? "" : "/") < 0)
        return NULL;
    return s;
}

static int
do_init(const struct args *a, const struct sw_config *cfg, struct sw_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    int r = sw_fs_mkdir_p(a->md, 0700, err);
    if (r < 0)
        return r;
    r = sw_fs_read_file(a->cmd_arg, (size_t)cfg->max_root_size, &bytes, &len, err);
    if (r < 0)
        return r;
    /* the initial root's expiry does not matter: the refresh updates it first */
    r = sw_trust_install_root(a->md, NULL, bytes, len, 1, 0, time(NULL), err);
    free(bytes);
    return r;
}

static int
run(const struct args *a, const struct sw_config *cfg, struct sw_error *err)
{
    struct sw_mirror m;
    struct sw_fetch_settings fs;
    struct sw_fetch *fetch = NULL;
    struct sw_trust_config tc;
    struct sw_trust *t = NULL;
    char *murl = NULL, *turl = NULL;
    int r;

    memset(&m, 0, sizeof(m));
    murl = with_slash(a->murl);
    turl = with_slash(a->turl ? a->turl : a->murl);
    if (!murl || !turl) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    m.name = (char *)"repository";
    m.metadata_url = murl;
    m.targets_url = turl;
    m.allow_insecure_http = 1; /* the harness serves plain HTTP on loopback */
    sw_fetch_settings_from_config(cfg, &fs);
    fs.retries = 0; /* exactly the requests the workflow needs */
    r = sw_fetch_new(&m, 1, &fs, &fetch, err);
    if (r < 0)
        goto out;
    memset(&tc, 0, sizeof(tc));
    tc.metadata_dir = a->md;
    tc.fetch = fetch;
    tc.max_root_size = cfg->max_root_size;
    tc.max_timestamp_size = cfg->max_timestamp_size;
    tc.max_metadata_size = cfg->max_metadata_size;
    r = sw_trust_open(&tc, &t, err);
    if (r < 0)
        goto out;
    r = sw_trust_refresh(t, time(NULL), NULL, err);
    if (r < 0 || strcmp(a->cmd, "download") != 0)
        goto out;
    r = sw_fs_mkdir_p(a->td, 0755, err);
    for (size_t i = 0; r == 0 && i < a->n_names; i++) {
        const struct sw_md_fileinfo *info = NULL;
        char *fname = NULL, *dest = NULL, *part = NULL;
        r = sw_trust_find_target(t, a->names[i], &info, NULL, err);
        if (r == 0)
            r = sw_trust_role_filename(a->names[i], &fname, err);
        if (r == 0) {
            /* TD/<percent-encoded target path>, without the ".json" */
            fname[strlen(fname) - 5] = '\0';
            dest = sw_fs_join(a->td, fname);
            if (!dest || asprintf(&part, "%s%s", dest, SW_FETCH_PART_SUFFIX) < 0) {
                part = NULL;
                r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            }
        }
        if (r == 0)
            r = sw_trust_download_target(t, a->names[i], info, dest, NULL, err);
        if (r < 0 && part)
            unlink(part); /* TD holds only verified targets */
        free(fname);
        free(dest);
        free(part);
    }
out:
    sw_trust_free(t);
    sw_fetch_free(fetch);
    free(murl);
    free(turl);
    return r;
}

int
main(int argc, char **argv)
{
    struct args a;
    struct sw_config *cfg = NULL;
    struct sw_error err = SW_ERROR_INIT;
    int r;

    sw_log_init("slipway-tuf-client");
    sw_log_set_level(SW_LOG_ERR);
    if (parse_args(argc, argv, &a) < 0) {
        usage();
        return 1;
    }
    r = sw_config_defaults(&cfg, &err);
    if (r == 0)
        r = strcmp(a.cmd, "init") == 0 ? do_init(&a, cfg, &err) : run(&a, cfg, &err);
    sw_config_free(cfg);
    if (r < 0) {
        sw_log_sw_error(&err);
        return 1;
    }
    return 0;
}
