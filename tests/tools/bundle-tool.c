/* SPDX-License-Identifier: MIT */
/*
 * Test and benchmark driver of the bundle module: checks a bundle against a
 * given length and SHA-256, extracts it into an empty directory with the
 * given limits, then makes it durable with one syncfs (as the slot backend
 * does), and prints a JSON result (entries, bytes, timings, peak memory) or
 * the error. Not installed; tests/integration and tests/bench use it.
 */
#include <slipway/bundle.h>
#include <slipway/error.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: bundle-tool [--check] BUNDLE [DIR] --sha256 HEX [--length N]\n"
    "                   [--max-bytes N] [--max-entries N] [--max-entry-bytes N] [--reserve N]\n"
    "                   [--allow-devices] [--allow-fifos] [--keep-setid] [--keep-xattrs]\n"
    "                   [--no-restore-owner] [--no-sync] [--progress]\n"
    "Without --length the bundle's size is taken as its length; the hash is always checked.\n";

enum {
    OPT_CHECK = 256,
    OPT_SHA256,
    OPT_LENGTH,
    OPT_MAX_BYTES,
    OPT_MAX_ENTRIES,
    OPT_MAX_ENTRY_BYTES,
    OPT_RESERVE,
    OPT_DEVICES,
    OPT_FIFOS,
    OPT_SETID,
    OPT_XATTRS,
    OPT_NO_OWNER,
    OPT_NO_SYNC,
    OPT_PROGRESS,
};

static const struct option longopts[] = {
    {"check", no_argument, NULL, OPT_CHECK},
    {"sha256", required_argument, NULL, OPT_SHA256},
    {"length", required_argument, NULL, OPT_LENGTH},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"max-entries", required_argument, NULL, OPT_MAX_ENTRIES},
    {"max-entry-bytes", required_argument, NULL, OPT_MAX_ENTRY_BYTES},
    {"reserve", required_argument, NULL, OPT_RESERVE},
    {"allow-devices", no_argument, NULL, OPT_DEVICES},
    {"allow-fifos", no_argument, NULL, OPT_FIFOS},
    {"keep-setid", no_argument, NULL, OPT_SETID},
    {"keep-xattrs", no_argument, NULL, OPT_XATTRS},
    {"no-restore-owner", no_argument, NULL, OPT_NO_OWNER},
    {"no-sync", no_argument, NULL, OPT_NO_SYNC},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static uint64_t
number(const char *s, const char *opt)
{
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *end) {
        fprintf(stderr, "bundle-tool: %s: '%s' is not a number\n", opt, s);
        exit(2);
    }
    return v;
}

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_progress(void *ctx, uint64_t done, uint64_t total)
{
    (void)ctx;
    fprintf(stderr, "progress %" PRIu64 " %" PRIu64 "\n", done, total);
}

int
main(int argc, char **argv)
{
    struct sw_bundle_limits lim;
    struct sw_md_fileinfo fi;
    struct sw_md_hash hash;
    struct sw_bundle_stats st;
    struct sw_error err = SW_ERROR_INIT;
    struct rusage ru;
    const char *sha = NULL;
    int64_t length = -1;
    int check_only = 0, sync_it = 1, progress = 0, c, dfd, r;
    double t0, sync_s = 0;

    sw_bundle_limits_init(&lim);
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_CHECK:
            check_only = 1;
            break;
        case OPT_SHA256:
            sha = optarg;
            break;
        case OPT_LENGTH:
            length = (int64_t)number(optarg, "--length");
            break;
        case OPT_MAX_BYTES:
            lim.max_bytes = number(optarg, "--max-bytes");
            break;
        case OPT_MAX_ENTRIES:
            lim.max_entries = number(optarg, "--max-entries");
            break;
        case OPT_MAX_ENTRY_BYTES:
            lim.max_entry_bytes = number(optarg, "--max-entry-bytes");
            break;
        case OPT_RESERVE:
            lim.reserve_bytes = number(optarg, "--reserve");
            break;
        case OPT_DEVICES:
            lim.allow_devices = true;
            break;
        case OPT_FIFOS:
            lim.allow_fifos = true;
            break;
        case OPT_SETID:
            lim.keep_setid = true;
            break;
        case OPT_XATTRS:
            lim.keep_xattrs = true;
            break;
        case OPT_NO_OWNER:
            lim.restore_owner = false;
            break;
        case OPT_NO_SYNC:
            sync_it = 0;
            break;
        case OPT_PROGRESS:
            progress = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (!sha || argc - optind != (check_only ? 1 : 2)) {
        fputs(usage, stderr);
        return 2;
    }
    if (length < 0) {
        struct stat sb;
        if (lstat(argv[optind], &sb) < 0) {
            fprintf(stderr, "bundle-tool: %s: %s\n", argv[optind], strerror(errno));
            return 1;
        }
        length = (int64_t)sb.st_size;
    }
    memset(&fi, 0, sizeof(fi));
    fi.name = argv[optind];
    fi.length = length;
    fi.n_hashes = 1;
    fi.hashes = &hash;
    fi.hashes[0].alg = "sha256";
    fi.hashes[0].value = sha;

    if (check_only) {
        r = sw_bundle_check(argv[optind], &fi, &err);
        if (r < 0) {
            fprintf(stderr, "bundle-tool: %s: %s\n", sw_errcode_name(r), err.msg);
            return 1;
        }
        printf("{\"ok\":true}\n");
        return 0;
    }
    dfd = open(argv[optind + 1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        fprintf(stderr, "bundle-tool: %s: %s\n", argv[optind + 1], strerror(errno));
        return 1;
    }
    memset(&st, 0, sizeof(st));
    r = sw_bundle_extract(argv[optind], &fi, dfd, &lim, progress ? on_progress : NULL, NULL, &st,
                          &err);
    if (r < 0) {
        fprintf(stderr, "bundle-tool: %s: %s\n", sw_errcode_name(r), err.msg);
        close(dfd);
        return 1;
    }
    if (sync_it) {
        t0 = now();
        if (syncfs(dfd) < 0) {
            fprintf(stderr, "bundle-tool: syncfs: %s\n", strerror(errno));
            close(dfd);
            return 1;
        }
        sync_s = now() - t0;
    }
    close(dfd);
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"entries\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"bundle_bytes\":%" PRIu64
           ",\"hash_seconds\":%.3f,\"extract_seconds\":%.3f,\"sync_seconds\":%.3f,"
           "\"max_rss_kib\":%ld}\n",
           st.entries, st.bytes, st.bundle_bytes, st.hash_seconds, st.extract_seconds, sync_s,
           ru.ru_maxrss);
    return 0;
}
