/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of bundle extraction. Every bundle is built here with
 * libarchive's writer (no committed binaries): the hostile corpus (each
 * escape and each cap refused with its message, nothing written beside the
 * slot), the four compressions, modes, times, in-tree links, setuid
 * stripping and keeping, and the checks against metadata (a changed file,
 * a wrong hash) made before libarchive reads a byte.
 */
#include "testutil.h"

#include <slipway/bundle.h>
#include <slipway/hash.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* --- building bundles ----------------------------------------------------------- */

enum filt { F_NONE, F_GZIP, F_XZ, F_ZSTD };

struct ent {
    const char *path;
    mode_t type; /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFIFO, AE_IFCHR; 0 = hard link */
    mode_t perm;
    const char *data; /* regular file content, or link target */
    size_t fill;      /* regular files: this many 'z' bytes instead of data */
    int64_t size;     /* header size when >= 0 and different from the data (a lie) */
};

static void
write_bundle(const char *file, enum filt f, int format, const struct ent *e, size_t n)
{
    struct archive *a = archive_write_new();
    static char zbuf[65536];
    assert_non_null(a);
    memset(zbuf, 'z', sizeof(zbuf));
    assert_int_equal(archive_write_set_format(a, format), ARCHIVE_OK);
    switch (f) {
    case F_NONE:
        break;
    case F_GZIP:
        assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
        break;
    case F_XZ:
        assert_int_equal(archive_write_add_filter_xz(a), ARCHIVE_OK);
        break;
    case F_ZSTD:
        assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
        break;
    }
    assert_int_equal(archive_write_open_filename(a, file), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *ae = archive_entry_new();
        size_t len = e[i].fill ? e[i].fill : e[i].data ? strlen(e[i].data) : 0;
        archive_entry_copy_pathname(ae, e[i].path);
        archive_entry_set_mtime(ae, 1000000000 + (time_t)i, 0);
        if (strncmp(e[i].path, "xa/", 3) == 0)
            archive_entry_xattr_add_entry(ae, "user.slipway", "value", 5);
        archive_entry_set_uid(ae, 4242);
        archive_entry_set_gid(ae, 4243);
        if (e[i].type == 0) {
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_copy_hardlink(ae, e[i].data);
            archive_entry_set_perm(ae, 0644);
            archive_entry_set_size(ae, 0);
        } else {
            archive_entry_set_filetype(ae, e[i].type);
            archive_entry_set_perm(ae, e[i].perm ? e[i].perm : 0644);
            if (e[i].type == AE_IFLNK)
                archive_entry_copy_symlink(ae, e[i].data);
            if (e[i].type == AE_IFCHR)
                archive_entry_set_rdev(ae, makedev(1, 3));
            archive_entry_set_size(
                ae, e[i].type == AE_IFREG ? (e[i].size >= 0 ? e[i].size : (int64_t)len) : 0);
        }
        assert_true(archive_write_header(a, ae) >= ARCHIVE_WARN);
        if (e[i].type == AE_IFREG) {
            if (e[i].fill) {
                for (size_t done = 0; done < e[i].fill;) {
                    size_t k = e[i].fill - done < sizeof(zbuf) ? e[i].fill - done : sizeof(zbuf);
                    assert_true(archive_write_data(a, zbuf, k) >= 0);
                    done += k;
                }
            } else if (len) {
                assert_true(archive_write_data(a, e[i].data, len) == (la_ssize_t)len);
            }
        }
        archive_entry_free(ae);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

/* A fileinfo with the true length and SHA-256 of file. */
struct info {
    struct sw_md_fileinfo fi;
    struct sw_md_hash hash;
    char hex[SW_HASH_MAX_HEX];
};

static void
make_info(const char *file, struct info *in)
{
    size_t len = 0;
    unsigned char *buf = tu_read(file, &len);
    memset(in, 0, sizeof(*in));
    assert_int_equal(sw_hash_buf_hex(SW_HASH_SHA256, buf, len, in->hex, NULL), 0);
    free(buf);
    in->fi.name = "bundle.tar";
    in->fi.length = (int64_t)len;
    in->fi.n_hashes = 1;
    in->fi.hashes = &in->hash;
    in->fi.hashes[0].alg = "sha256";
    in->fi.hashes[0].value = in->hex;
}

/* A test area: base/slot (the slot), base/sentinel (must never change), base/b.tar. */
struct area {
    char *base, *slot, *sentinel, *bundle;
    int slotfd;
};

static void
area_new(struct area *ar)
{
    char *f;
    ar->base = tu_tmpdir();
    ar->slot = tu_path(ar->base, "slot");
    ar->sentinel = tu_path(ar->base, "sentinel");
    ar->bundle = tu_path(ar->base, "b.tar");
    assert_int_equal(mkdir(ar->slot, 0700), 0);
    assert_int_equal(mkdir(ar->sentinel, 0700), 0);
    f = tu_path(ar->sentinel, "passwd");
    tu_write_str(f, "root:x:0:0\n");
    free(f);
    ar->slotfd = open(ar->slot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(ar->slotfd >= 0);
}

static int
count_tree(const char *dir)
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

/* The sentinel beside the slot holds exactly its one file, unchanged; base holds only ours. */
static void
assert_sentinel_intact(const struct area *ar)
{
    char *f = tu_path(ar->sentinel, "passwd");
    unsigned char *c = tu_read(f, NULL);
    assert_string_equal((char *)c, "root:x:0:0\n");
    free(c);
    free(f);
    assert_int_equal(count_tree(ar->sentinel), 1);
    assert_int_equal(count_tree(ar->base), 3); /* slot, sentinel, b.tar */
}

static int
make_writable(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_D)
        chmod(path, (st->st_mode & 07777) | 0700);
    return 0;
}

static void
area_free(struct area *ar)
{
    /* read-only directories of the tree: writable first, so it can be removed */
    nftw(ar->base, make_writable, 16, FTW_PHYS);
    close(ar->slotfd);
    tu_rmtree(ar->base);
    free(ar->base);
    free(ar->slot);
    free(ar->sentinel);
    free(ar->bundle);
}

static int
extract(struct area *ar, const struct sw_bundle_limits *lim, struct sw_error *err)
{
    struct info in;
    make_info(ar->bundle, &in);
    sw_error_clear(err);
    return sw_bundle_extract(ar->bundle, &in.fi, ar->slotfd, lim, NULL, NULL, NULL, err);
}

/* Build, extract, expect refusal with code and a message holding want. */
static void
refused(const struct ent *e, size_t n, int format, const struct sw_bundle_limits *lim, int code,
        const char *want)
{
    struct area ar;
    struct sw_error err = SW_ERROR_INIT;
    area_new(&ar);
    write_bundle(ar.bundle, F_NONE, format, e, n);
    assert_int_equal(extract(&ar, lim, &err), -code);
    if (!strstr(err.msg, want))
        fail_msg("message '%s' lacks '%s'", err.msg, want);
    assert_sentinel_intact(&ar);
    area_free(&ar);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define PAX ARCHIVE_FORMAT_TAR_PAX_RESTRICTED
#define USTAR ARCHIVE_FORMAT_TAR_USTAR
#define GNU ARCHIVE_FORMAT_TAR_GNUTAR

/* --- the hostile corpus ------------------------------------------------------------- */

static void
test_dotdot(void **state)
{
    const struct ent e[] = {{"a", AE_IFDIR, 0755, NULL, 0, -1},
                            {"a/../../sentinel/x", AE_IFREG, 0644, "evil", 0, -1}};
    const struct ent e2[] = {{"../sentinel/x", AE_IFREG, 0644, "evil", 0, -1}};
    (void)state;
    refused(e, N(e), PAX, NULL, SW_E_BUNDLE,
            "entry 'a/../../sentinel/x': path holds a '..' component");
    refused(e2, N(e2), PAX, NULL, SW_E_BUNDLE,
            "entry '../sentinel/x': path holds a '..' component");
}

static void
test_absolute(void **state)
{
    const struct ent e[] = {{"/etc/x", AE_IFREG, 0644, "evil", 0, -1}};
    (void)state;
    refused(e, N(e), PAX, NULL, SW_E_BUNDLE, "entry '/etc/x': path is absolute");
}

static void
test_symlink_then_file(void **state)
{
    /* an in-tree symlink, then a file written through it */
    const struct ent e[] = {{"d", AE_IFDIR, 0755, NULL, 0, -1},
                            {"l", AE_IFLNK, 0777, "d", 0, -1},
                            {"l/x", AE_IFREG, 0644, "evil", 0, -1}};
    (void)state;
    refused(e, N(e), PAX, NULL, SW_E_BUNDLE,
            "entry 'l/x': a write through a symlink ('l' is a symlink)");
}

static void
test_symlink_outside(void **state)
{
    /* a symlink to the sentinel beside the slot, then a file under it */
    const struct ent rel[] = {{"out", AE_IFLNK, 0777, "../sentinel", 0, -1},
                              {"out/x", AE_IFREG, 0644, "evil", 0, -1}};
    const struct ent abs[] = {{"out", AE_IFLNK, 0777, "/etc", 0, -1}};
    const struct ent sneak[] = {{"a/b/up", AE_IFLNK, 0777, "../..", 0, -1},
                                {"a/b/l", AE_IFLNK, 0777, "up/../x", 0, -1}};
    (void)state;
    refused(rel, N(rel), PAX, NULL, SW_E_BUNDLE,
            "entry 'out': symlink target climbs out of the tree ('../sentinel')");
    refused(abs, N(abs), PAX, NULL, SW_E_BUNDLE,
            "entry 'out': symlink target is absolute ('/etc')");
    /* lexically inside, but through another link '..' climbs anywhere */
    refused(sneak, N(sneak), PAX, NULL, SW_E_BUNDLE,
            "entry 'a/b/l': symlink target has a '..' after a named component");
}

static void
test_symlink_replaced(void **state)
{
    /* a symlink replaced by a later entry of the same name is refused */
    const struct ent e[] = {{"l", AE_IFLNK, 0777, "d", 0, -1}, {"l", AE_IFREG, 0644, "x", 0, -1}};
    const struct ent e2[] = {{"l", AE_IFLNK, 0777, "d", 0, -1}, {"l", AE_IFDIR, 0755, NULL, 0, -1}};
    (void)state;
    refused(e, N(e), PAX, NULL, SW_E_BUNDLE, "entry 'l': path already exists in the bundle");
    refused(e2, N(e2), PAX, NULL, SW_E_BUNDLE, "entry 'l/': path already exists in the bundle");
}

static void
test_symlink_loop(void **state)
{
    const struct ent e[] = {{"loop1", AE_IFLNK, 0777, "loop2", 0, -1},
                            {"loop2", AE_IFLNK, 0777, "loop1", 0, -1},
                            {"loop1/x", AE_IFREG, 0644, "evil", 0, -1}};
    (void)state;
    refused(e, N(e), PAX, NULL, SW_E_BUNDLE,
            "entry 'loop1/x': a write through a symlink ('loop1' is a symlink)");
}

static void
test_hardlink_outside(void **state)
{
    const struct ent e[] = {{"pw", 0, 0, "/etc/passwd", 0, -1}};
    const struct ent e2[] = {{"pw", 0, 0, "../sentinel/passwd", 0, -1}};
    const struct ent e3[] = {{"pw", 0, 0, "nothere", 0, -1}};
    const struct ent e4[] = {{"d", AE_IFLNK, 0777, ".", 0, -1}, {"pw", 0, 0, "d/x", 0, -1}};
    const struct ent e5[] = {{"d", AE_IFDIR, 0755, NULL, 0, -1}, {"pw", 0, 0, "d", 0, -1}};
    const struct ent e6[] = {{"f", AE_IFREG, 0644, "f", 0, -1},
                             {"l", AE_IFLNK, 0777, "f", 0, -1},
                             {"pw", 0, 0, "l", 0, -1}};
    (void)state;
    refused(e, N(e), PAX, NULL, SW_E_BUNDLE,
            "entry 'pw': hard link to '/etc/passwd' outside the tree (path is absolute)");
    refused(e2, N(e2), PAX, NULL, SW_E_BUNDLE,
            "entry 'pw': hard link to '../sentinel/passwd' outside the tree");
    refused(e3, N(e3), PAX, NULL, SW_E_BUNDLE,
            "entry 'pw': hard link to 'nothere' that is not in the tree");
    refused(e4, N(e4), PAX, NULL, SW_E_BUNDLE,
            "entry 'pw': hard link to 'd/x' that is not in the tree");
    refused(e5, N(e5), PAX, NULL, SW_E_BUNDLE,
            "entry 'pw': hard link to 'd' that is not a regular file");
    refused(e6, N(e6), PAX, NULL, SW_E_BUNDLE,
            "entry 'pw': hard link to 'l' that is not a regular file");
}

static void
test_special_files(void **state)
{
    const struct ent dev[] = {{"null", AE_IFCHR, 0666, NULL, 0, -1}};
    const struct ent fifo[] = {{"p", AE_IFIFO, 0644, NULL, 0, -1}};
    struct sw_bundle_limits lim;
    (void)state;
    refused(dev, N(dev), PAX, NULL, SW_E_BUNDLE,
            "entry 'null': device node refused (set [stage] allow-devices = yes");
    refused(fifo, N(fifo), PAX, NULL, SW_E_BUNDLE,
            "entry 'p': FIFO refused (set [stage] allow-fifos = yes)");
    sw_bundle_limits_init(&lim);
    lim.allow_devices = true;
    if (geteuid() != 0)
        refused(dev, N(dev), PAX, &lim, SW_E_BUNDLE,
                "entry 'null': device node refused: only root may create one");
}

static void
test_fifo_allowed(void **state)
{
    const struct ent fifo[] = {{"p", AE_IFIFO, 0640, NULL, 0, -1}};
    struct sw_bundle_limits lim;
    struct area ar;
    struct sw_error err = SW_ERROR_INIT;
    struct stat st;
    char *p;
    (void)state;
    sw_bundle_limits_init(&lim);
    lim.allow_fifos = true;
    area_new(&ar);
    write_bundle(ar.bundle, F_NONE, PAX, fifo, 1);
    assert_int_equal(extract(&ar, &lim, &err), 0);
    p = tu_path(ar.slot, "p");
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0640);
    free(p);
    area_free(&ar);
}

static void
test_devices_as_root(void **state)
{
    const struct ent dev[] = {{"null", AE_IFCHR, 0666, NULL, 0, -1}};
    struct sw_bundle_limits lim;
    struct area ar;
    struct sw_error err = SW_ERROR_INIT;
    struct stat st;
    char *p;
    (void)state;
    if (geteuid() != 0)
        skip();
    sw_bundle_limits_init(&lim);
    lim.allow_devices = true;
    area_new(&ar);
    write_bundle(ar.bundle, F_NONE, PAX, dev, 1);
    assert_int_equal(extract(&ar, &lim, &err), 0);
    p = tu_path(ar.slot, "null");
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(major(st.st_rdev), 1);
    assert_int_equal(minor(st.st_rdev), 3);
    free(p);
    area_free(&ar);
}

static void
test_xattrs(void **state)
{
    const struct ent e[] = {{"xa/f", AE_IFREG, 0644, "data", 0, -1}};
    struct sw_bundle_limits lim;
    struct area ar;
    struct sw_error err = SW_ERROR_INIT;
    char v[16];
    char *p;
    ssize_t n;
    (void)state;
    for (int keep = 0; keep < 2; keep++) {
        sw_bundle_limits_init(&lim);
        lim.keep_xattrs = keep;
        area_new(&ar);
        write_bundle(ar.bundle, F_NONE, PAX, e, 1);
        assert_int_equal(extract(&ar, &lim, &err), 0);
        p = tu_path(ar.slot, "xa/f");
        n = getxattr(p, "user.slipway", v, sizeof(v));
        if (keep) {
            if (n < 0 && errno == ENOTSUP) {
                free(p);
                area_free(&ar);
                skip();
            }
            assert_int_equal(n, 5);
            assert_memory_equal(v, "value", 5);
        } else {
            assert_true(n < 0);
        }
        free(p);
        area_free(&ar);
    }
}

static void
test_entry_cap(void **state)
{
    struct ent *e = calloc(10000, sizeof(*e));
    char(*names)[16] = calloc(10000, sizeof(*names));
    struct sw_bundle_limits lim;
    (void)state;
    for (size_t i = 0; i < 10000; i++) {
        snprintf(names[i], sizeof(names[i]), "f%zu", i);
        e[i].path = names[i];
        e[i].type = AE_IFREG;
        e[i].data = "x";
        e[i].size = -1;
    }
    sw_bundle_limits_init(&lim);
    lim.max_entries = 5000;
    refused(e, 10000, USTAR, &lim, SW_E_LIMIT,
            "entry 'f5000': the bundle holds more than 5000 entries (raise [stage] max-entries)");
    free(e);
    free(names);
}

static void
test_inflate_cap(void **state)
{
    /* a small archive (compressed) that inflates past the total and one-file caps */
    const struct ent e[] = {{"a", AE_IFREG, 0644, NULL, 3 << 20, -1},
                            {"b", AE_IFREG, 0644, NULL, 3 << 20, -1}};
    struct sw_bundle_limits lim;
    struct area ar;
    struct sw_error err = SW_ERROR_INIT;
    struct stat st;
    (void)state;
    sw_bundle_limits_init(&lim);
    lim.max_bytes = 4 << 20;
    area_new(&ar);
    write_bundle(ar.bundle, F_XZ, PAX, e, N(e));
    assert_int_equal(stat(ar.bundle, &st), 0);
    assert_true(st.st_size < 64 * 1024);
    assert_int_equal(extract(&ar, &lim, &err), -SW_E_LIMIT);
    assert_non_null(strstr(err.msg, "entry 'b': the bundle holds more than 4194304 bytes of file "
                                    "data (raise [stage] max-bytes)"));
    assert_sentinel_intact(&ar);
    area_free(&ar);

    sw_bundle_limits_init(&lim);
    lim.max_entry_bytes = 1 << 20;
    area_new(&ar);
    write_bundle(ar.bundle, F_GZIP, PAX, e, N(e));
    assert_int_equal(extract(&ar, &lim, &err), -SW_E_LIMIT);
    assert_non_null(strstr(err.msg, "entry 'a': file is larger than 1048576 bytes (raise [stage] "
                                    "max-entry-bytes)"));
    area_free(&ar);
}

static void
test_bad_names(void **state)
{
    const struct ent latin1[] = {{"caf\xe9", AE_IFREG, 0644, "x", 0, -1}};
    const struct ent ctl[] = {{"a\x1b[2Jb", AE_IFREG, 0644, "x", 0, -1}};
    const struct ent empty[] = {{"a//b", AE_IFREG, 0644, "x", 0, -1}};
    const struct ent dot[] = {{"a/./b", AE_IFREG, 0644, "x", 0, -1}};
    char longc[300], longp[SW_BUNDLE_MAX_PATH + 20];
    struct ent lc[] = {{longc, AE_IFREG, 0644, "x", 0, -1}};
    struct ent lp[] = {{longp, AE_IFREG, 0644, "x", 0, -1}};
    (void)state;
    refused(latin1, 1, USTAR, NULL, SW_E_BUNDLE, "entry 'caf\\xe9': name is not valid UTF-8");
    refused(ctl, 1, USTAR, NULL, SW_E_BUNDLE, "entry 'a\\x1b[2Jb': name holds a control character");
    refused(empty, 1, USTAR, NULL, SW_E_BUNDLE, "path holds an empty component");
    refused(dot, 1, USTAR, NULL, SW_E_BUNDLE, "path holds a '.' component");
    memset(longc, 'c', 256);
    longc[256] = '\0';
    refused(lc, 1, PAX, NULL, SW_E_BUNDLE, "path holds a component longer than 255 bytes");
    for (size_t i = 0; i < sizeof(longp) - 1; i++)
        longp[i] = i % 100 == 99 ? '/' : 'p';
    longp[sizeof(longp) - 1] = '\0';
    refused(lp, 1, PAX, NULL, SW_E_BUNDLE, "path is longer than 4096 bytes");
}

static void
test_truncated_and_wrong_format(void **state)
{
    const struct ent e[] = {{"a", AE_IFREG, 0644, NULL, 200000, -1},
                            {"b", AE_IFREG, 0644, "bbb", 0, -1}};
    struct area ar;
    struct sw_error err = SW_ERROR_INIT;
    struct archive *a;
    (void)state;
    for (int f = F_NONE; f <= F_ZSTD; f++) {
        struct stat st;
        area_new(&ar);
        write_bundle(ar.bundle, (enum filt)f, PAX, e, N(e));
        assert_int_equal(stat(ar.bundle, &st), 0);
        assert_int_equal(truncate(ar.bundle, st.st_size / 2), 0);
        assert_int_equal(extract(&ar, NULL, &err), -SW_E_BUNDLE);
        if (!strstr(err.msg, "damaged or truncated"))
            fail_msg("filter %d: '%s'", f, err.msg);
        assert_sentinel_intact(&ar);
        area_free(&ar);
    }
    /* a zip archive and a cpio archive are not bundles */
    for (int fmt = 0; fmt < 2; fmt++) {
        struct archive_entry *ae = archive_entry_new();
        area_new(&ar);
        a = archive_write_new();
        archive_write_set_format(a, fmt ? ARCHIVE_FORMAT_CPIO_POSIX : ARCHIVE_FORMAT_ZIP);
        assert_int_equal(archive_write_open_filename(a, ar.bundle), ARCHIVE_OK);
        archive_entry_copy_pathname(ae, "x");
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_entry_set_size(ae, 3);
        assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
        assert_int_equal(archive_write_data(a, "xyz", 3), 3);
        archive_write_close(a);
        archive_write_free(a);
        archive_entry_free(ae);
        assert_int_equal(extract(&ar, NULL, &err), -SW_E_BUNDLE);
        if (!strstr(err.msg, "is not a tar archive (plain, gzip, xz or zstd)"))
            fail_msg("format %d: '%s'", fmt, err.msg);
        assert_int_equal(count_tree(ar.slot), 0);
        area_free(&ar);
    }
    /* text */
    area_new(&ar);
    tu_write_str(ar.bundle, "this is not an archive at all, just some text\n");
    assert_int_equal(extract(&ar, NULL, &err), -SW_E_BUNDLE);
    assert_non_null(strstr(err.msg, "is not a tar archive"));
    area_free(&ar);
}

/* --- positive cases ------------------------------------------------------------------ */

static void
assert_file(const char *dir, const char *rel, const char *content, mode_t mode, time_t mtime)
{
    char *p = tu_path(dir, rel);
    struct stat st;
    unsigned char *c;
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    if ((st.st_mode & 07777) != mode)
        fail_msg("'%s': mode %o, expected %o", rel, st.st_mode & 07777, mode);
    assert_int_equal(st.st_mtime, mtime);
    c = tu_read(p, NULL);
    assert_string_equal((char *)c, content);
    free(c);
    free(p);
}

static const struct ent good[] = {
    {"./", AE_IFDIR, 0755, NULL, 0, -1},
    {"./etc", AE_IFDIR, 0750, NULL, 0, -1},
    {"./etc/hostname", AE_IFREG, 0644, "box\n", 0, -1},
    {"./etc/ro", AE_IFDIR, 0555, NULL, 0, -1}, /* read-only, then written into */
    {"./etc/ro/f", AE_IFREG, 0400, "secret", 0, -1},
    {"./bin/tool", AE_IFREG, 0755, "#!/bin/sh\n", 0, -1}, /* parent implied */
    {"./bin/su", AE_IFREG, 04755, "su", 0, -1},
    {"./bin/sg", AE_IFREG, 02711, "sg", 0, -1},
    {"./bin/link", AE_IFLNK, 0777, "tool", 0, -1},
    {"./etc/up", AE_IFLNK, 0777, "../bin/tool", 0, -1},
    {"./etc/same", AE_IFLNK, 0777, "./hostname", 0, -1},
    {"./bin/hard", 0, 0, "bin/tool", 0, -1},
    {"./usr/share/big", AE_IFREG, 0644, NULL, 300000, -1},
    {"./caf\xc3\xa9", AE_IFREG, 0644, "utf8", 0, -1},
};

static void
check_good_tree(const char *slot, int keep_setid)
{
    char *p;
    struct stat st, st2;
    char buf[64];
    ssize_t n;

    assert_file(slot, "etc/hostname", "box\n", 0644, 1000000002);
    assert_file(slot, "etc/ro/f", "secret", 0400, 1000000004);
    assert_file(slot, "bin/tool", "#!/bin/sh\n", 0755, 1000000005);
    assert_file(slot, "bin/su", "su", keep_setid ? 04755 : 0755, 1000000006);
    assert_file(slot, "bin/sg", "sg", keep_setid ? 02711 : 0711, 1000000007);
    assert_file(slot, "caf\xc3\xa9", "utf8", 0644, 1000000013);
    /* directories: modes and times applied at the end */
    p = tu_path(slot, "etc");
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0750);
    assert_int_equal(st.st_mtime, 1000000001);
    free(p);
    p = tu_path(slot, "etc/ro");
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0555);
    assert_int_equal(st.st_mtime, 1000000003);
    free(p);
    p = tu_path(slot, "bin");
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    free(p);
    /* symlinks kept as they are, with their times */
    p = tu_path(slot, "etc/up");
    n = readlink(p, buf, sizeof(buf) - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, "../bin/tool");
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_mtime, 1000000009);
    free(p);
    p = tu_path(slot, "bin/link");
    n = readlink(p, buf, sizeof(buf) - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, "tool");
    free(p);
    /* the hard link shares the inode of its target */
    p = tu_path(slot, "bin/hard");
    assert_int_equal(lstat(p, &st), 0);
    free(p);
    p = tu_path(slot, "bin/tool");
    assert_int_equal(lstat(p, &st2), 0);
    free(p);
    assert_int_equal(st.st_ino, st2.st_ino);
    assert_int_equal(st.st_nlink, 2);
    /* big file */
    p = tu_path(slot, "usr/share/big");
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_size, 300000);
    free(p);
    /* ownership is not restored when unprivileged */
    if (geteuid() != 0) {
        p = tu_path(slot, "etc/hostname");
        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(st.st_uid, geteuid());
        assert_true(st.st_uid != 4242);
        free(p);
    }
}

static void
test_four_compressions(void **state)
{
    (void)state;
    for (int f = F_NONE; f <= F_ZSTD; f++) {
        for (int k = 0; k < 3; k++) {
            static const int formats[] = {PAX, USTAR, GNU};
            struct area ar;
            struct sw_error err = SW_ERROR_INIT;
            struct sw_bundle_stats stats;
            struct info in;
            area_new(&ar);
            write_bundle(ar.bundle, (enum filt)f, formats[k], good, N(good));
            make_info(ar.bundle, &in);
            memset(&stats, 0, sizeof(stats));
            if (sw_bundle_extract(ar.bundle, &in.fi, ar.slotfd, NULL, NULL, NULL, &stats, &err) !=
                0)
                fail_msg("filter %d format %d: %s", f, k, err.msg);
            check_good_tree(ar.slot, 0);
            assert_int_equal(stats.entries, N(good));
            assert_int_equal(stats.bytes, 4 + 6 + 10 + 2 + 2 + 300000 + 4);
            assert_int_equal(stats.bundle_bytes, (uint64_t)in.fi.length);
            assert_sentinel_intact(&ar);
            area_free(&ar);
        }
    }
}

static void
test_keep_setid(void **state)
{
    struct sw_bundle_limits lim;
    struct area ar;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    sw_bundle_limits_init(&lim);
    lim.keep_setid = true;
    area_new(&ar);
    write_bundle(ar.bundle, F_ZSTD, PAX, good, N(good));
    assert_int_equal(extract(&ar, &lim, &err), 0);
    check_good_tree(ar.slot, 1);
    area_free(&ar);
}

static void
test_directory_twice(void **state)
{
    /* implied by a file first, then given twice: the last entry's mode and time win */
    const struct ent e[] = {{"d/f", AE_IFREG, 0644, "f", 0, -1},
                            {"d", AE_IFDIR, 0000, NULL, 0, -1},
                            {"d/g", AE_IFREG, 0644, "g", 0, -1},
                            {"d", AE_IFDIR, 0750, NULL, 0, -1},
                            {"d/f", AE_IFREG, 0644, "again", 0, -1}};
    struct area ar;
    struct sw_error err = SW_ERROR_INIT;
    struct stat st;
    char *p;
    (void)state;
    area_new(&ar);
    write_bundle(ar.bundle, F_NONE, PAX, e, 4);
    assert_int_equal(extract(&ar, NULL, &err), 0);
    p = tu_path(ar.slot, "d");
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0750);
    assert_int_equal(st.st_mtime, 1000000003);
    free(p);
    area_free(&ar);
    /* a file given twice is refused, even inside a directory given twice */
    refused(e, N(e), PAX, NULL, SW_E_BUNDLE, "entry 'd/f': path already exists in the bundle");
}

static void
test_reserve_while_writing(void **state)
{
    /* the free space is enough before writing, and falls below the reserve while writing */
    const struct ent e[] = {{"zeros", AE_IFREG, 0644, NULL, 192 << 20, -1}};
    struct sw_bundle_limits lim;
    struct area ar;
    struct sw_error err = SW_ERROR_INIT;
    struct statvfs sv;
    uint64_t avail;
    (void)state;
    area_new(&ar);
    write_bundle(ar.bundle, F_ZSTD, PAX, e, 1);
    assert_int_equal(fstatvfs(ar.slotfd, &sv), 0);
    avail = (uint64_t)sv.f_bavail * sv.f_frsize;
    if (avail < (256u << 20)) {
        area_free(&ar);
        skip();
    }
    sw_bundle_limits_init(&lim);
    lim.reserve_bytes = avail - (64u << 20);
    assert_int_equal(extract(&ar, &lim, &err), -SW_E_NOSPACE);
    if (!strstr(err.msg, "entry 'zeros': free space on the slot fell below the reserve of"))
        fail_msg("'%s'", err.msg);
    area_free(&ar);
}

static void
test_slot_not_empty(void **state)
{
    struct area ar;
    struct sw_error err = SW_ERROR_INIT;
    char *p;
    (void)state;
    area_new(&ar);
    write_bundle(ar.bundle, F_NONE, PAX, good, N(good));
    p = tu_path(ar.slot, "leftover");
    tu_write_str(p, "x");
    assert_int_equal(extract(&ar, NULL, &err), -SW_E_INVAL);
    assert_non_null(strstr(err.msg, "not empty"));
    free(p);
    area_free(&ar);
}

/* --- checks against metadata ------------------------------------------------------------ */

static void
test_changed_between_check_and_extract(void **state)
{
    const struct ent e[] = {{"a", AE_IFREG, 0644, "aaa", 0, -1}};
    const struct ent evil[] = {{"a", AE_IFREG, 0644, "bad", 0, -1}};
    struct area ar;
    struct sw_error err = SW_ERROR_INIT;
    struct info in;
    (void)state;
    area_new(&ar);
    write_bundle(ar.bundle, F_NONE, PAX, e, 1);
    make_info(ar.bundle, &in);
    assert_int_equal(sw_bundle_check(ar.bundle, &in.fi, &err), 0);
    /* same length, other bytes, put in place after the check */
    write_bundle(ar.bundle, F_NONE, PAX, evil, 1);
    assert_int_equal(sw_bundle_check(ar.bundle, &in.fi, &err), -SW_E_HASH);
    assert_int_equal(sw_bundle_extract(ar.bundle, &in.fi, ar.slotfd, NULL, NULL, NULL, NULL, &err),
                     -SW_E_HASH);
    assert_non_null(strstr(err.msg, "sha256 mismatch"));
    assert_int_equal(count_tree(ar.slot), 0);
    area_free(&ar);
}

static void
test_wrong_hash_and_length(void **state)
{
    const struct ent e[] = {{"a", AE_IFREG, 0644, "aaa", 0, -1}};
    struct area ar;
    struct sw_error err = SW_ERROR_INIT;
    struct info in;
    char *l;
    (void)state;
    area_new(&ar);
    write_bundle(ar.bundle, F_NONE, PAX, e, 1);
    make_info(ar.bundle, &in);
    in.hex[0] = in.hex[0] == '0' ? '1' : '0';
    assert_int_equal(sw_bundle_extract(ar.bundle, &in.fi, ar.slotfd, NULL, NULL, NULL, NULL, &err),
                     -SW_E_HASH);
    assert_int_equal(count_tree(ar.slot), 0);
    make_info(ar.bundle, &in);
    in.fi.length++;
    assert_int_equal(sw_bundle_extract(ar.bundle, &in.fi, ar.slotfd, NULL, NULL, NULL, NULL, &err),
                     -SW_E_LENGTH);
    assert_int_equal(sw_bundle_check(ar.bundle, &in.fi, &err), -SW_E_LENGTH);
    assert_int_equal(count_tree(ar.slot), 0);
    /* the bundle itself may not be a symlink */
    make_info(ar.bundle, &in);
    l = tu_path(ar.base, "l.tar");
    assert_int_equal(symlink(ar.bundle, l), 0);
    assert_true(sw_bundle_check(l, &in.fi, &err) < 0);
    assert_non_null(strstr(err.msg, "is a symlink"));
    assert_int_equal(sw_bundle_extract(l, &in.fi, ar.slotfd, NULL, NULL, NULL, NULL, &err),
                     -SW_E_IO);
    assert_int_equal(unlink(l), 0);
    free(l);
    assert_int_equal(sw_bundle_check("/nonexistent/b.tar", &in.fi, &err), -SW_E_NOTFOUND);
    area_free(&ar);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dotdot),
        cmocka_unit_test(test_absolute),
        cmocka_unit_test(test_symlink_then_file),
        cmocka_unit_test(test_symlink_outside),
        cmocka_unit_test(test_symlink_replaced),
        cmocka_unit_test(test_symlink_loop),
        cmocka_unit_test(test_hardlink_outside),
        cmocka_unit_test(test_special_files),
        cmocka_unit_test(test_fifo_allowed),
        cmocka_unit_test(test_devices_as_root),
        cmocka_unit_test(test_xattrs),
        cmocka_unit_test(test_entry_cap),
        cmocka_unit_test(test_inflate_cap),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_truncated_and_wrong_format),
        cmocka_unit_test(test_four_compressions),
        cmocka_unit_test(test_keep_setid),
        cmocka_unit_test(test_directory_twice),
        cmocka_unit_test(test_reserve_while_writing),
        cmocka_unit_test(test_slot_not_empty),
        cmocka_unit_test(test_changed_between_check_and_extract),
        cmocka_unit_test(test_wrong_hash_and_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
