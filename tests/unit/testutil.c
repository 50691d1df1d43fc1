/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the unit tests (see testutil.h): temporary trees and files.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *
tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *t;
    if (!base || !*base)
        base = "/tmp";
    assert_true(asprintf(&t, "%s/slipway-unit.XXXXXX", base) > 0);
    assert_non_null(mkdtemp(t));
    return t;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        chmod(path, 0700), rmdir(path);
    else
        unlink(path);
    return 0;
}

void
tu_rmtree(const char *path)
{
    if (path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *
tu_path(const char *dir, const char *name)
{
    char *p;
    assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

void
tu_write(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const unsigned char *p = data;
    assert_true(fd >= 0);
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        assert_true(n > 0);
        p += n;
        len -= (size_t)n;
    }
    assert_int_equal(close(fd), 0);
}

void
tu_write_str(const char *path, const char *text)
{
    tu_write(path, text, strlen(text));
}

unsigned char *
tu_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    assert_non_null(f);
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

const char *
tu_srcdir(void)
{
    const char *s = getenv("SW_SRCDIR");
    return s && *s ? s : ".";
}

char *
tu_src_path(const char *rel)
{
    return tu_path(tu_srcdir(), rel);
}
