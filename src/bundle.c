/* SPDX-License-Identifier: MIT */
/*
 * Bundle extraction: checks the bundle file against verified metadata from
 * one descriptor, then reads it with libarchive (tar; none, gzip, xz or
 * zstd) and creates every entry itself under the slot's directory
 * descriptor, component by component, never following a symlink. Owns the
 * rules of what a bundle may hold; emptying a refused slot and the one
 * syncfs are the slot backend's.
 */
#include <slipway/bundle.h>
#include <slipway/fault.h>
#include <slipway/hash.h>
#include <slipway/text.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define HASH_BUF (1u << 20)           /* bytes read at a time while hashing */
#define SPACE_CHECK_EVERY (16u << 20) /* bytes written between free-space checks */
#define NAME_MSG 200                  /* bytes of an entry name quoted in a message */
#define STR_(x) #x
#define SW_STR(x) STR_(x)

/* --- libarchive, loaded when a bundle is extracted ---------------------------------- */

/*
 * Only extraction needs libarchive, and linking it costs every run of every
 * command its dependency tree (libxml2, ICU, nettle, lz4, acl...): it is
 * loaded by its soname (the one found at build time) the first time a
 * bundle is extracted, and each function is looked up by name. The header
 * gives each one's type, so a call through la.NAME is checked as a direct
 * call would be.
 */
#ifndef SW_LIBARCHIVE_SONAME
#if ARCHIVE_VERSION_NUMBER >= 3000000 && ARCHIVE_VERSION_NUMBER < 4000000
#define SW_LIBARCHIVE_SONAME "libarchive.so.13" /* every libarchive 3.x */
#else
#error "set SW_LIBARCHIVE_SONAME to the soname of this libarchive"
#endif
#endif

#define LA_FUNCS(X)                                                                                \
    X(archive_version_number)                                                                      \
    X(archive_entry_atime)                                                                         \
    X(archive_entry_atime_is_set)                                                                  \
    X(archive_entry_atime_nsec)                                                                    \
    X(archive_entry_filetype)                                                                      \
    X(archive_entry_gid)                                                                           \
    X(archive_entry_hardlink)                                                                      \
    X(archive_entry_mtime)                                                                         \
    X(archive_entry_mtime_is_set)                                                                  \
    X(archive_entry_mtime_nsec)                                                                    \
    X(archive_entry_pathname)                                                                      \
    X(archive_entry_perm)                                                                          \
    X(archive_entry_rdev)                                                                          \
    X(archive_entry_size)                                                                          \
    X(archive_entry_size_is_set)                                                                   \
    X(archive_entry_symlink)                                                                       \
    X(archive_entry_uid)                                                                           \
    X(archive_entry_xattr_count)                                                                   \
    X(archive_entry_xattr_next)                                                                    \
    X(archive_entry_xattr_reset)                                                                   \
    X(archive_errno)                                                                               \
    X(archive_error_string)                                                                        \
    X(archive_filter_bytes)                                                                        \
    X(archive_format)                                                                              \
    X(archive_read_data)                                                                           \
    X(archive_read_data_block)                                                                     \
    X(archive_read_free)                                                                           \
    X(archive_read_new)                                                                            \
    X(archive_read_next_header)                                                                    \
    X(archive_read_open)                                                                           \
    X(archive_read_open_fd)                                                                        \
    X(archive_read_support_filter_gzip)                                                            \
    X(archive_read_support_filter_none)                                                            \
    X(archive_read_support_filter_xz)                                                              \
    X(archive_read_support_filter_zstd)                                                            \
    X(archive_read_support_format_raw)                                                             \
    X(archive_read_support_format_tar)                                                             \
    X(archive_set_error)

static struct {
#define LA_FIELD(name) __typeof__(name) *name;
    LA_FUNCS(LA_FIELD)
#undef LA_FIELD
} la;

static pthread_once_t la_once = PTHREAD_ONCE_INIT;
static char la_failed[256]; /* why loading failed; empty when it worked */

static void
la_load_once(void)
{
    const char *soname = SW_LIBARCHIVE_SONAME;
    const char *e;
    void *h;

    /* test builds: a soname that does not exist, to test the message */
    if (SW_FAULT("bundle-libarchive-load"))
        soname = "libarchive-missing.so.0";
    h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        e = dlerror();
        snprintf(la_failed, sizeof(la_failed), "cannot load %s: %s", soname, e ? e : "?");
        return;
    }
#define LA_SYM(name)                                                                               \
    *(void **)&la.name = dlsym(h, #name);                                                          \
    if (!la.name) {                                                                                \
        snprintf(la_failed, sizeof(la_failed), "%s has no function %s", soname, #name);            \
        return;                                                                                    \
    }
    LA_FUNCS(LA_SYM)
#undef LA_SYM
    if (la.archive_version_number() / 1000000 != ARCHIVE_VERSION_NUMBER / 1000000)
        snprintf(la_failed, sizeof(la_failed), "%s is libarchive %d, built for %d", soname,
                 la.archive_version_number(), ARCHIVE_VERSION_NUMBER);
    /* the handle stays open for the life of the process */
}

/* Load libarchive (once per process). */
static int
la_load(struct sw_error *err)
{
    pthread_once(&la_once, la_load_once);
    if (la_failed[0])
        return sw_error_set(err, SW_E_UNSUPPORTED,
                            "bundles cannot be extracted: %s (the libarchive package, libarchive13 "
                            "on Debian, is missing or broken)",
                            la_failed);
    return 0;
}

void
sw_bundle_limits_init(struct sw_bundle_limits *lim)
{
    memset(lim, 0, sizeof(*lim));
    lim->max_bytes = SW_BUNDLE_DEFAULT_MAX_BYTES;
    lim->max_entries = SW_BUNDLE_DEFAULT_MAX_ENTRIES;
    lim->max_entry_bytes = SW_BUNDLE_DEFAULT_MAX_ENTRY_BYTES;
    lim->reserve_bytes = SW_BUNDLE_DEFAULT_RESERVE_BYTES;
    lim->restore_owner = true;
}

static double
now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A short printable form of an untrusted name, cut with "..." when long. */
static const char *
printable(const char *s, char *buf, size_t bufsz)
{
    size_t n;
    char *full;
    if (!s)
        s = "";
    n = strlen(s);
    if (n < bufsz && sw_text_is_safe(s, n, 0)) {
        memcpy(buf, s, n + 1);
        return buf;
    }
    full = sw_text_escape(s, 0);
    if (full && strlen(full) < bufsz) {
        memcpy(buf, full, strlen(full) + 1);
    } else {
        size_t w = sw_text_escape_buf(buf, bufsz - 3, s, n, 0);
        memcpy(buf + w, "...", 4);
    }
    free(full);
    return buf;
}

/* --- checking the file ------------------------------------------------------------ */

static int
open_bundle(const char *path, struct stat *ret_st, struct sw_error *err)
{
    char pn[NAME_MSG];
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        printable(path, pn, sizeof(pn));
        if (e == ENOENT)
            return sw_error_set(err, SW_E_NOTFOUND, "bundle '%s' does not exist", pn);
        if (e == ELOOP)
            return sw_error_set(err, SW_E_IO, "bundle '%s' is a symlink", pn);
        return sw_error_errno(err, SW_E_IO, e, "cannot open bundle '%s'", pn);
    }
    if (fstat(fd, ret_st) < 0) {
        int e = errno;
        close(fd);
        return sw_error_errno(err, SW_E_IO, e, "cannot stat bundle '%s'",
                              printable(path, pn, sizeof(pn)));
    }
    if (!S_ISREG(ret_st->st_mode)) {
        close(fd);
        return sw_error_set(err, SW_E_IO, "bundle '%s' is not a regular file",
                            printable(path, pn, sizeof(pn)));
    }
    return fd;
}

/* Length and every hash of info, read from fd (from offset 0). */
static int
check_fd(int fd, const char *path, const struct stat *st, const struct sw_md_fileinfo *info,
         struct sw_error *err)
{
    char pn[NAME_MSG];
    struct sw_md_filecheck *fc = NULL;
    unsigned char *buf = NULL;
    off_t off = 0;
    int r;

    printable(path, pn, sizeof(pn));
    if (info->length < 0)
        return sw_error_set(err, SW_E_LENGTH, "bundle '%s': the metadata gives no length", pn);
    if (info->n_hashes == 0)
        return sw_error_set(err, SW_E_HASH, "bundle '%s': the metadata gives no hash", pn);
    if ((uint64_t)st->st_size != (uint64_t)info->length)
        return sw_error_set(err, SW_E_LENGTH,
                            "bundle '%s': %" PRIu64 " bytes, the metadata says %" PRId64, pn,
                            (uint64_t)st->st_size, info->length);
    r = sw_md_filecheck_new(info, &fc, err);
    if (r < 0)
        return r;
    buf = malloc(HASH_BUF);
    if (!buf) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    for (;;) {
        ssize_t n = pread(fd, buf, HASH_BUF, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = sw_error_errno(err, SW_E_IO, errno, "cannot read bundle '%s'", pn);
            goto out;
        }
        if (n == 0)
            break;
        r = sw_md_filecheck_update(fc, buf, (size_t)n, err);
        if (r < 0)
            goto out;
        off += n;
    }
    r = sw_md_filecheck_final(fc, err);
out:
    if (r < 0 && err && err->code && strncmp(err->msg, "bundle", 6) != 0)
        sw_error_prefix(err, "bundle '%s': ", pn);
    free(buf);
    sw_md_filecheck_free(fc);
    return r;
}

int
sw_bundle_check(const char *path, const struct sw_md_fileinfo *info, struct sw_error *err)
{
    struct stat st;
    int fd = open_bundle(path, &st, err);
    int r;
    if (fd < 0)
        return fd;
    r = check_fd(fd, path, &st, info, err);
    close(fd);
    return r;
}

/* --- names --------------------------------------------------------------------- */

/*
 * Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF)
 * without C0 controls, DEL or C1 controls. Returns NULL when good, else
 * the rule broken.
 */
static const char *
check_name_bytes(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        uint32_t cp;
        size_t len;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return "name holds a control character";
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return "name is not valid UTF-8";
        }
        if (i + len > n)
            return "name is not valid UTF-8";
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return "name is not valid UTF-8";
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return "name is not valid UTF-8";
        if (cp >= 0x80 && cp <= 0x9f)
            return "name holds a control character";
        i += len;
    }
    return NULL;
}

/*
 * Normalise an entry path into out (SW_BUNDLE_MAX_PATH + 1 bytes): a
 * leading "./" and one trailing '/' removed. An empty result is the slot
 * root itself. Returns NULL when good, else the rule broken (static text).
 */
static const char *
normalize_path(const char *raw, char *out)
{
    const char *p = raw, *c;
    size_t n;

    if (!raw || !*raw)
        return "path is empty";
    n = strlen(raw);
    if (n > SW_BUNDLE_MAX_PATH)
        return "path is longer than " SW_STR(SW_BUNDLE_MAX_PATH) " bytes";
    if (raw[0] == '/')
        return "path is absolute";
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    if (strcmp(p, ".") == 0)
        p += 1;
    n = strlen(p);
    if (n > 0 && p[n - 1] == '/')
        n--;
    memcpy(out, p, n);
    out[n] = '\0';
    if (n == 0)
        return NULL;
    for (c = out;;) {
        const char *slash = strchr(c, '/');
        size_t len = slash ? (size_t)(slash - c) : strlen(c);
        const char *why;
        if (len == 0)
            return "path holds an empty component";
        if (len == 1 && c[0] == '.')
            return "path holds a '.' component";
        if (len == 2 && c[0] == '.' && c[1] == '.')
            return "path holds a '..' component";
        if (len > SW_BUNDLE_MAX_NAME)
            return "path holds a component longer than " SW_STR(SW_BUNDLE_MAX_NAME) " bytes";
        why = check_name_bytes((const unsigned char *)c, len);
        if (why)
            return why;
        if (!slash)
            break;
        c = slash + 1;
    }
    return NULL;
}

/*
 * A symlink target is kept only when it stays inside the tree lexically:
 * relative, its leading '..' components never climbing above the slot
 * root from the link's own directory (of depth `depth`), and no '..' after
 * a named component (which, through another symlink, could climb
 * anywhere). Returns NULL when good, else the rule broken.
 */
static const char *
check_symlink_target(const char *target, size_t depth)
{
    const char *c = target;
    int named = 0;
    size_t n;

    if (!target || !*target)
        return "symlink target is empty";
    n = strlen(target);
    if (n > SW_BUNDLE_MAX_PATH)
        return "symlink target is longer than " SW_STR(SW_BUNDLE_MAX_PATH) " bytes";
    if (target[0] == '/')
        return "symlink target is absolute";
    for (;;) {
        const char *slash = strchr(c, '/');
        size_t len = slash ? (size_t)(slash - c) : strlen(c);
        if (len == 2 && c[0] == '.' && c[1] == '.') {
            if (named)
                return "symlink target has a '..' after a named component";
            if (depth == 0)
                return "symlink target climbs out of the tree";
            depth--;
        } else if (len > 0 && !(len == 1 && c[0] == '.')) {
            const char *why;
            if (len > SW_BUNDLE_MAX_NAME)
                return "symlink target holds a component longer than " SW_STR(
                    SW_BUNDLE_MAX_NAME) " bytes";
            why = check_name_bytes((const unsigned char *)c, len);
            if (why)
                return strcmp(why, "name is not valid UTF-8") == 0
                           ? "symlink target is not valid UTF-8"
                           : "symlink target holds a control character";
            named = 1;
        }
        if (!slash)
            break;
        c = slash + 1;
    }
    return NULL;
}

/* --- extraction ------------------------------------------------------------------- */

struct dirrec {
    char *path; /* normalised, not empty */
    size_t index;
    mode_t mode;
    uid_t uid;
    gid_t gid;
    int has_owner;
    struct timespec times[2]; /* atime, mtime; UTIME_OMIT when unset */
};

struct xtract {
    int root;
    const struct sw_bundle_limits *lim;
    const char *bundle_name; /* printable */
    struct sw_error *err;
    int as_root;

    uint64_t entries;
    uint64_t bytes;
    uint64_t since_space_check;

    /* the parent directory of the last entry, kept open */
    char cache_path[SW_BUNDLE_MAX_PATH + 1];
    int cache_fd;

    struct dirrec *dirs;
    size_t n_dirs, cap_dirs;

    char path[SW_BUNDLE_MAX_PATH + 1];   /* current entry, normalised */
    const char *raw;                     /* current entry as named in the archive */
    char rawbuf[SW_BUNDLE_MAX_PATH + 1]; /* a copy of it that outlives the entry */
    char ename[NAME_MSG];                /* printable form of raw, made for messages */
};

static const char *
ename(struct xtract *x)
{
    return printable(x->raw, x->ename, sizeof(x->ename));
}

static int
entry_error(struct xtract *x, int code, const char *rule)
{
    return sw_error_set(x->err, code, "entry '%s': %s", ename(x), rule);
}

static int
entry_errno(struct xtract *x, int e, const char *what)
{
    if (e == ENOSPC || e == EDQUOT)
        return sw_error_set(x->err, SW_E_NOSPACE, "entry '%s': %s: no space left on the slot",
                            ename(x), what);
    return sw_error_errno(x->err, SW_E_IO, e, "entry '%s': %s", ename(x), what);
}

static int
check_space(struct xtract *x, int fd)
{
    struct statvfs sv;
    uint64_t avail;
    if (fstatvfs(fd, &sv) < 0)
        return entry_errno(x, errno, "cannot read free space");
    avail = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
    if (avail < x->lim->reserve_bytes)
        return sw_error_set(x->err, SW_E_NOSPACE,
                            "entry '%s': free space on the slot fell below the reserve of %" PRIu64
                            " bytes ([stage] reserve)",
                            ename(x), x->lim->reserve_bytes);
    x->since_space_check = 0;
    return 0;
}

/* Classify a failed open of component `comp` under `dfd`. */
static int
walk_error(struct xtract *x, int dfd, const char *comp, size_t prefix_len, int e)
{
    char rule[NAME_MSG + 64], pn[NAME_MSG];
    char prefix[SW_BUNDLE_MAX_PATH + 1];
    struct stat st;

    memcpy(prefix, x->path, prefix_len);
    prefix[prefix_len] = '\0';
    printable(prefix, pn, sizeof(pn));
    if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(st.st_mode)) {
            snprintf(rule, sizeof(rule), "a write through a symlink ('%s' is a symlink)", pn);
            return entry_error(x, SW_E_BUNDLE, rule);
        }
        if (!S_ISDIR(st.st_mode)) {
            snprintf(rule, sizeof(rule), "'%s' is not a directory", pn);
            return entry_error(x, SW_E_BUNDLE, rule);
        }
    }
    snprintf(rule, sizeof(rule), "cannot open directory '%s'", pn);
    return entry_errno(x, e, rule);
}

static int add_dirrec(struct xtract *x, const char *path, struct archive_entry *ae);

/*
 * Open the directory holding the first `len` bytes of x->path (a prefix
 * ending before a '/', or 0 for the root), creating missing components
 * (mode 0755, recorded) when `create`. Never follows a symlink. Returns a
 * descriptor the caller must not close (the root or the cache), or < 0.
 */
static int
open_parent(struct xtract *x, size_t len, int create)
{
    int cur = x->root;
    size_t pos = 0;

    if (len == 0)
        return x->root;
    if (x->cache_fd >= 0 && strlen(x->cache_path) == len &&
        memcmp(x->cache_path, x->path, len) == 0)
        return x->cache_fd;
    while (pos < len) {
        char comp[SW_BUNDLE_MAX_NAME + 1];
        const char *slash = memchr(x->path + pos, '/', len - pos);
        size_t end = slash ? (size_t)(slash - x->path) : len;
        int fd;

        memcpy(comp, x->path + pos, end - pos);
        comp[end - pos] = '\0';
        fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
            char sub[SW_BUNDLE_MAX_PATH + 1];
            if (mkdirat(cur, comp, 0700) < 0 && errno != EEXIST) {
                int e = errno;
                if (cur != x->root)
                    close(cur);
                return entry_errno(x, e, "cannot create a directory");
            }
            memcpy(sub, x->path, end);
            sub[end] = '\0';
            if (add_dirrec(x, sub, NULL) < 0) {
                if (cur != x->root)
                    close(cur);
                return -SW_E_NOMEM;
            }
            fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) {
            int r = walk_error(x, cur, comp, end, errno);
            if (cur != x->root)
                close(cur);
            return r;
        }
        if (cur != x->root)
            close(cur);
        cur = fd;
        pos = end + 1;
    }
    if (x->cache_fd >= 0)
        close(x->cache_fd);
    x->cache_fd = cur;
    memcpy(x->cache_path, x->path, len);
    x->cache_path[len] = '\0';
    return cur;
}

static void
entry_times(struct archive_entry *ae, struct timespec times[2])
{
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    times[1] = times[0];
    if (la.archive_entry_atime_is_set(ae)) {
        times[0].tv_sec = la.archive_entry_atime(ae);
        times[0].tv_nsec = la.archive_entry_atime_nsec(ae);
    }
    if (la.archive_entry_mtime_is_set(ae)) {
        times[1].tv_sec = la.archive_entry_mtime(ae);
        times[1].tv_nsec = la.archive_entry_mtime_nsec(ae);
        if (times[0].tv_nsec == UTIME_OMIT)
            times[0] = times[1];
    }
    for (int i = 0; i < 2; i++)
        if (times[i].tv_nsec != UTIME_OMIT &&
            (times[i].tv_nsec < 0 || times[i].tv_nsec > 999999999))
            times[i].tv_nsec = 0;
}

static mode_t
entry_mode(const struct xtract *x, struct archive_entry *ae)
{
    mode_t m = la.archive_entry_perm(ae) & 07777;
    if (!x->lim->keep_setid)
        m &= (mode_t) ~(S_ISUID | S_ISGID);
    return m;
}

static int
add_dirrec(struct xtract *x, const char *path, struct archive_entry *ae)
{
    struct dirrec *d;
    if (x->n_dirs == x->cap_dirs) {
        size_t nc = x->cap_dirs ? 2 * x->cap_dirs : 64;
        struct dirrec *nd = realloc(x->dirs, nc * sizeof(*nd));
        if (!nd)
            return sw_error_set(x->err, SW_E_NOMEM, "out of memory");
        x->dirs = nd;
        x->cap_dirs = nc;
    }
    d = &x->dirs[x->n_dirs];
    memset(d, 0, sizeof(*d));
    d->path = strdup(path);
    if (!d->path)
        return sw_error_set(x->err, SW_E_NOMEM, "out of memory");
    d->index = x->n_dirs;
    d->mode = 0755;
    d->times[0].tv_nsec = UTIME_OMIT;
    d->times[1].tv_nsec = UTIME_OMIT;
    if (ae) {
        d->mode = entry_mode(x, ae);
        entry_times(ae, d->times);
        d->has_owner = x->as_root && x->lim->restore_owner;
        d->uid = (uid_t)la.archive_entry_uid(ae);
        d->gid = (gid_t)la.archive_entry_gid(ae);
    }
    x->n_dirs++;
    return 0;
}

static int
set_xattrs(struct xtract *x, int fd, struct archive_entry *ae)
{
    const char *name;
    const void *value;
    size_t size;

    if (!x->lim->keep_xattrs || la.archive_entry_xattr_reset(ae) == 0)
        return 0;
    while (la.archive_entry_xattr_next(ae, &name, &value, &size) == ARCHIVE_OK) {
        if (!name || !*name)
            continue;
        if (fsetxattr(fd, name, value, size, 0) < 0) {
            char rule[NAME_MSG + 64], pn[NAME_MSG];
            snprintf(rule, sizeof(rule), "cannot set extended attribute '%s'",
                     printable(name, pn, sizeof(pn)));
            return entry_errno(x, errno, rule);
        }
    }
    return 0;
}

static int
write_all(struct xtract *x, int fd, const char *p, size_t n, off_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return entry_errno(x, errno, "cannot write");
        p += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

static int
limit_bytes(struct xtract *x, uint64_t entry_end, uint64_t add)
{
    char rule[160];
    if (entry_end > x->lim->max_entry_bytes) {
        snprintf(rule, sizeof(rule),
                 "file is larger than %" PRIu64 " bytes (raise [stage] max-entry-bytes)",
                 x->lim->max_entry_bytes);
        return entry_error(x, SW_E_LIMIT, rule);
    }
    if (add > x->lim->max_bytes - x->bytes) {
        snprintf(rule, sizeof(rule),
                 "the bundle holds more than %" PRIu64
                 " bytes of file data (raise [stage] max-bytes)",
                 x->lim->max_bytes);
        return entry_error(x, SW_E_LIMIT, rule);
    }
    return 0;
}

static int
extract_file(struct xtract *x, struct archive *a, struct archive_entry *ae, int dfd,
             const char *leaf)
{
    int fd, r = 0;
    uint64_t end = 0;

    fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return entry_error(x, SW_E_BUNDLE, "path already exists in the bundle");
        return entry_errno(x, errno, "cannot create file");
    }
    for (;;) {
        const void *buf;
        size_t size;
        la_int64_t off;
        int ar = la.archive_read_data_block(a, &buf, &size, &off);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar != ARCHIVE_OK) {
            char rule[NAME_MSG + 64];
            snprintf(rule, sizeof(rule), "archive is damaged or truncated: %s",
                     la.archive_error_string(a) ? la.archive_error_string(a) : "read error");
            r = entry_error(x, SW_E_BUNDLE, rule);
            goto out;
        }
        if (off < 0 || (uint64_t)off > UINT64_MAX - size) {
            r = entry_error(x, SW_E_BUNDLE, "data block at a bad offset");
            goto out;
        }
        if ((uint64_t)off + size > end)
            end = (uint64_t)off + size;
        r = limit_bytes(x, end, size);
        if (r < 0)
            goto out;
        r = write_all(x, fd, buf, size, (off_t)off);
        if (r < 0)
            goto out;
        x->bytes += size;
        x->since_space_check += size;
        if (x->since_space_check >= SPACE_CHECK_EVERY) {
            r = check_space(x, fd);
            if (r < 0)
                goto out;
        }
    }
    /* a sparse file may end in a hole */
    if (la.archive_entry_size_is_set(ae) && la.archive_entry_size(ae) > 0 &&
        (uint64_t)la.archive_entry_size(ae) > end) {
        r = limit_bytes(x, (uint64_t)la.archive_entry_size(ae), 0);
        if (r < 0)
            goto out;
        if (ftruncate(fd, (off_t)la.archive_entry_size(ae)) < 0) {
            r = entry_errno(x, errno, "cannot set the file's size");
            goto out;
        }
    }
    if (x->as_root && x->lim->restore_owner &&
        fchown(fd, (uid_t)la.archive_entry_uid(ae), (gid_t)la.archive_entry_gid(ae)) < 0) {
        r = entry_errno(x, errno, "cannot set the owner");
        goto out;
    }
    if (fchmod(fd, entry_mode(x, ae)) < 0) {
        r = entry_errno(x, errno, "cannot set the mode");
        goto out;
    }
    r = set_xattrs(x, fd, ae);
    if (r < 0)
        goto out;
    {
        struct timespec t[2];
        entry_times(ae, t);
        if (futimens(fd, t) < 0) {
            r = entry_errno(x, errno, "cannot set the times");
            goto out;
        }
    }
out:
    if (close(fd) < 0 && r == 0)
        r = entry_errno(x, errno, "cannot write");
    return r;
}

static int
extract_dir(struct xtract *x, struct archive_entry *ae, int dfd, const char *leaf)
{
    struct stat st;
    if (mkdirat(dfd, leaf, 0700) < 0) {
        if (errno != EEXIST)
            return entry_errno(x, errno, "cannot create directory");
        if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return entry_errno(x, errno, "cannot stat");
        if (!S_ISDIR(st.st_mode))
            return entry_error(x, SW_E_BUNDLE, "path already exists in the bundle");
    }
    if (x->lim->keep_xattrs && la.archive_entry_xattr_count(ae) > 0) {
        int fd = openat(dfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r;
        if (fd < 0)
            return entry_errno(x, errno, "cannot open directory");
        r = set_xattrs(x, fd, ae);
        close(fd);
        if (r < 0)
            return r;
    }
    return add_dirrec(x, x->path, ae);
}

static int
extract_symlink(struct xtract *x, struct archive_entry *ae, int dfd, const char *leaf, size_t depth)
{
    const char *target = la.archive_entry_symlink(ae);
    const char *why = check_symlink_target(target, depth);
    struct timespec t[2];

    if (why) {
        char rule[NAME_MSG + 80], pn[NAME_MSG];
        snprintf(rule, sizeof(rule), "%s ('%s')", why, printable(target, pn, sizeof(pn)));
        return entry_error(x, SW_E_BUNDLE, rule);
    }
    if (symlinkat(target, dfd, leaf) < 0) {
        if (errno == EEXIST)
            return entry_error(x, SW_E_BUNDLE, "path already exists in the bundle");
        return entry_errno(x, errno, "cannot create symlink");
    }
    if (x->as_root && x->lim->restore_owner &&
        fchownat(dfd, leaf, (uid_t)la.archive_entry_uid(ae), (gid_t)la.archive_entry_gid(ae),
                 AT_SYMLINK_NOFOLLOW) < 0)
        return entry_errno(x, errno, "cannot set the owner");
    entry_times(ae, t);
    if (utimensat(dfd, leaf, t, AT_SYMLINK_NOFOLLOW) < 0)
        return entry_errno(x, errno, "cannot set the times");
    return 0;
}

static int
extract_hardlink(struct xtract *x, const char *raw_target, int dfd, const char *link_leaf)
{
    char norm[SW_BUNDLE_MAX_PATH + 1], save[SW_BUNDLE_MAX_PATH + 1];
    char leaf[SW_BUNDLE_MAX_NAME + 1];
    char rule[NAME_MSG + 80], pn[NAME_MSG];
    const char *why = normalize_path(raw_target, norm);
    const char *slash, *tleaf;
    struct stat st;
    int tfd, r;

    /* link_leaf points into x->path, which the walk to the target reuses */
    if (strlen(link_leaf) >= sizeof(leaf))
        return sw_error_set(x->err, SW_E_INTERNAL, "component too long");
    memcpy(leaf, link_leaf, strlen(link_leaf) + 1);
    printable(raw_target, pn, sizeof(pn));
    if (why || !norm[0]) {
        snprintf(rule, sizeof(rule), "hard link to '%s' outside the tree (%s)", pn,
                 why ? why : "the slot root");
        return entry_error(x, SW_E_BUNDLE, rule);
    }
    /* the directory of the new link stays open: dfd may be the cache, so
       walk the target with the cache saved and restored */
    memcpy(save, x->path, sizeof(save));
    memcpy(x->path, norm, strlen(norm) + 1);
    slash = strrchr(x->path, '/');
    tleaf = slash ? slash + 1 : x->path;
    {
        int dup_fd = dfd == x->root ? x->root : dup(dfd);
        if (dup_fd < 0) {
            memcpy(x->path, save, sizeof(save));
            return entry_errno(x, errno, "cannot duplicate a descriptor");
        }
        tfd = open_parent(x, slash ? (size_t)(slash - x->path) : 0, 0);
        if (tfd < 0) {
            memcpy(x->path, save, sizeof(save));
            if (dup_fd != x->root)
                close(dup_fd);
            snprintf(rule, sizeof(rule), "hard link to '%s' that is not in the tree", pn);
            return x->err && x->err->code == SW_E_BUNDLE ? entry_error(x, SW_E_BUNDLE, rule) : tfd;
        }
        if (fstatat(tfd, tleaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            int e = errno;
            memcpy(x->path, save, sizeof(save));
            if (dup_fd != x->root)
                close(dup_fd);
            if (e == ENOENT) {
                snprintf(rule, sizeof(rule), "hard link to '%s' that is not in the tree", pn);
                return entry_error(x, SW_E_BUNDLE, rule);
            }
            return entry_errno(x, e, "cannot stat the hard link's target");
        }
        if (!S_ISREG(st.st_mode)) {
            memcpy(x->path, save, sizeof(save));
            if (dup_fd != x->root)
                close(dup_fd);
            snprintf(rule, sizeof(rule), "hard link to '%s' that is not a regular file", pn);
            return entry_error(x, SW_E_BUNDLE, rule);
        }
        r = linkat(tfd, tleaf, dup_fd, leaf, 0) < 0 ? errno : 0;
        memcpy(x->path, save, sizeof(save));
        if (dup_fd != x->root)
            close(dup_fd);
    }
    if (r == EEXIST)
        return entry_error(x, SW_E_BUNDLE, "path already exists in the bundle");
    if (r)
        return entry_errno(x, r, "cannot create hard link");
    return 0;
}

static int
extract_special(struct xtract *x, struct archive_entry *ae, int dfd, const char *leaf, mode_t type)
{
    struct timespec t[2];
    mode_t m = entry_mode(x, ae);
    if (type == S_IFIFO) {
        if (!x->lim->allow_fifos)
            return entry_error(x, SW_E_BUNDLE, "FIFO refused (set [stage] allow-fifos = yes)");
        if (mkfifoat(dfd, leaf, 0600) < 0)
            return errno == EEXIST
                       ? entry_error(x, SW_E_BUNDLE, "path already exists in the bundle")
                       : entry_errno(x, errno, "cannot create FIFO");
    } else {
        if (!x->lim->allow_devices)
            return entry_error(x, SW_E_BUNDLE,
                               "device node refused (set [stage] allow-devices = yes; root only)");
        if (!x->as_root)
            return entry_error(x, SW_E_BUNDLE, "device node refused: only root may create one");
        if (mknodat(dfd, leaf, type | 0600, la.archive_entry_rdev(ae)) < 0)
            return errno == EEXIST
                       ? entry_error(x, SW_E_BUNDLE, "path already exists in the bundle")
                       : entry_errno(x, errno, "cannot create device node");
    }
    if (x->as_root && x->lim->restore_owner &&
        fchownat(dfd, leaf, (uid_t)la.archive_entry_uid(ae), (gid_t)la.archive_entry_gid(ae),
                 AT_SYMLINK_NOFOLLOW) < 0)
        return entry_errno(x, errno, "cannot set the owner");
    /* just created by us as a FIFO or node: the name cannot be a symlink */
    if (fchmodat(dfd, leaf, m, 0) < 0)
        return entry_errno(x, errno, "cannot set the mode");
    entry_times(ae, t);
    if (utimensat(dfd, leaf, t, AT_SYMLINK_NOFOLLOW) < 0)
        return entry_errno(x, errno, "cannot set the times");
    return 0;
}

static int
extract_entry(struct xtract *x, struct archive *a, struct archive_entry *ae)
{
    const char *raw = la.archive_entry_pathname(ae);
    const char *why, *slash, *leaf, *hl;
    mode_t type = la.archive_entry_filetype(ae);
    size_t depth = 0;
    int dfd;

    snprintf(x->rawbuf, sizeof(x->rawbuf), "%s", raw ? raw : "");
    x->raw = x->rawbuf;
    if (++x->entries > x->lim->max_entries) {
        char rule[128];
        snprintf(rule, sizeof(rule),
                 "the bundle holds more than %" PRIu64 " entries (raise [stage] max-entries)",
                 x->lim->max_entries);
        return entry_error(x, SW_E_LIMIT, rule);
    }
    why = normalize_path(raw, x->path);
    if (why)
        return entry_error(x, SW_E_BUNDLE, why);
    hl = la.archive_entry_hardlink(ae);
    if (!x->path[0]) {
        /* "./": the slot root; its mode and times are the slot backend's */
        if (hl || type != AE_IFDIR)
            return entry_error(x, SW_E_BUNDLE, "the slot root must be a directory");
        return 0;
    }
    for (const char *p = x->path; *p; p++)
        depth += *p == '/';
    slash = strrchr(x->path, '/');
    leaf = slash ? slash + 1 : x->path;
    dfd = open_parent(x, slash ? (size_t)(slash - x->path) : 0, 1);
    if (dfd < 0)
        return dfd;
    if (hl)
        return extract_hardlink(x, hl, dfd, leaf);
    switch (type) {
    case AE_IFREG:
        return extract_file(x, a, ae, dfd, leaf);
    case AE_IFDIR:
        return extract_dir(x, ae, dfd, leaf);
    case AE_IFLNK:
        return extract_symlink(x, ae, dfd, leaf, depth);
    case AE_IFIFO:
        return extract_special(x, ae, dfd, leaf, S_IFIFO);
    case AE_IFCHR:
        return extract_special(x, ae, dfd, leaf, S_IFCHR);
    case AE_IFBLK:
        return extract_special(x, ae, dfd, leaf, S_IFBLK);
    case AE_IFSOCK:
        return entry_error(x, SW_E_BUNDLE, "socket refused");
    default:
        return entry_error(x, SW_E_BUNDLE, "entry of an unknown type refused");
    }
}

static int
cmp_dirrec(const void *pa, const void *pb)
{
    const struct dirrec *a = pa, *b = pb;
    int c = strcmp(b->path, a->path); /* deepest (longest with a common prefix) first */
    if (c)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Modes, owners and times of directories, deepest first, once all is written. */
static int
finish_dirs(struct xtract *x)
{
    if (x->n_dirs > 1)
        qsort(x->dirs, x->n_dirs, sizeof(*x->dirs), cmp_dirrec);
    for (size_t i = 0; i < x->n_dirs; i++) {
        struct dirrec *d = &x->dirs[i];
        const char *slash;
        int dfd, fd, r = 0;

        /* a directory given twice: the last entry wins, applied once */
        if (i + 1 < x->n_dirs && strcmp(d->path, x->dirs[i + 1].path) == 0)
            continue;

        memcpy(x->path, d->path, strlen(d->path) + 1);
        x->raw = d->path;
        slash = strrchr(x->path, '/');
        dfd = open_parent(x, slash ? (size_t)(slash - x->path) : 0, 0);
        if (dfd < 0)
            return dfd;
        fd = openat(dfd, slash ? slash + 1 : x->path,
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return entry_errno(x, errno, "cannot open directory");
        if (d->has_owner && fchown(fd, d->uid, d->gid) < 0)
            r = entry_errno(x, errno, "cannot set the owner");
        if (!r && fchmod(fd, d->mode) < 0)
            r = entry_errno(x, errno, "cannot set the mode");
        if (!r && (d->times[1].tv_nsec != UTIME_OMIT || d->times[0].tv_nsec != UTIME_OMIT) &&
            futimens(fd, d->times) < 0)
            r = entry_errno(x, errno, "cannot set the times");
        close(fd);
        if (r < 0)
            return r;
    }
    return 0;
}

static int
dir_is_empty(int dirfd, struct sw_error *err)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *e;
    int empty = 1;

    if (fd < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot open the slot directory");
    d = fdopendir(fd);
    if (!d) {
        int en = errno;
        close(fd);
        return sw_error_errno(err, SW_E_IO, en, "cannot read the slot directory");
    }
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    closedir(d);
    if (!empty)
        return sw_error_set(err, SW_E_INVAL, "the slot directory is not empty");
    return 0;
}

/*
 * The decompressor: a thread runs libarchive's filters (none, gzip, xz,
 * zstd; its "raw" format passes the decompressed stream through) over the
 * bundle's descriptor and hands the plain tar stream, in chunks, to the
 * extracting thread, whose libarchive reads only tar from it. So
 * decompression runs while files are written. A ring of CHUNKS buffers
 * bounds memory; the decompressor waits when all are full, the extractor
 * when all are empty.
 */
#define CHUNK (1u << 20)
#define CHUNKS 6

struct pipe {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned char *buf[CHUNKS];
    size_t len[CHUNKS];
    unsigned head, tail; /* chunks filled: tail..head-1 (mod CHUNKS), counted in `full` */
    unsigned full;
    int held;   /* the extractor holds the chunk at tail until its next read */
    int eof;    /* the decompressor has delivered all */
    int stop;   /* the extractor gave up: the decompressor stops */
    int failed; /* the decompressor failed: msg says why */
    char msg[256];
    int fd;
    _Atomic uint64_t raw_bytes; /* bytes of the bundle consumed */
    pthread_t thread;
    int inited, started;
};

static int
filters_setup(struct archive *ra, char *why, size_t whylen)
{
    if (la.archive_read_support_format_raw(ra) != ARCHIVE_OK ||
        la.archive_read_support_filter_none(ra) != ARCHIVE_OK) {
        snprintf(why, whylen, "libarchive: no raw reader");
        return -1;
    }
    /* ARCHIVE_WARN here means an external program would run: refused */
    if (la.archive_read_support_filter_gzip(ra) != ARCHIVE_OK ||
        la.archive_read_support_filter_xz(ra) != ARCHIVE_OK ||
        la.archive_read_support_filter_zstd(ra) != ARCHIVE_OK) {
        snprintf(why, whylen, "libarchive is built without zlib, liblzma or libzstd");
        return -1;
    }
    return 0;
}

static void
pipe_fail(struct pipe *p, const char *msg)
{
    pthread_mutex_lock(&p->lock);
    if (!p->failed) {
        p->failed = 1;
        snprintf(p->msg, sizeof(p->msg), "%s", msg ? msg : "read error");
    }
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

static void *
decompressor(void *arg)
{
    struct pipe *p = arg;
    struct archive *ra = la.archive_read_new();
    struct archive_entry *ae;
    char why[128];

    if (!ra) {
        pipe_fail(p, "out of memory");
        return NULL;
    }
    if (filters_setup(ra, why, sizeof(why)) < 0) {
        pipe_fail(p, why);
        goto out;
    }
    if (la.archive_read_open_fd(ra, p->fd, CHUNK) != ARCHIVE_OK ||
        la.archive_read_next_header(ra, &ae) != ARCHIVE_OK) {
        pipe_fail(p, la.archive_error_string(ra));
        goto out;
    }
    for (;;) {
        unsigned slot;
        size_t got = 0;
        la_ssize_t n = 0;

        pthread_mutex_lock(&p->lock);
        while (!p->stop && p->full >= CHUNKS) /* the held chunk counts in full */
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->stop) {
            pthread_mutex_unlock(&p->lock);
            break;
        }
        slot = p->head;
        pthread_mutex_unlock(&p->lock);
        /* fill the chunk whole, so the tar reader sees large blocks */
        while (got < CHUNK) {
            n = la.archive_read_data(ra, p->buf[slot] + got, CHUNK - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        atomic_store(&p->raw_bytes, (uint64_t)la.archive_filter_bytes(ra, -1));
        if (n < 0) {
            pipe_fail(p, la.archive_error_string(ra));
            break;
        }
        pthread_mutex_lock(&p->lock);
        if (got > 0) {
            p->len[slot] = got;
            p->head = (p->head + 1) % CHUNKS;
            p->full++;
        }
        if (n == 0)
            p->eof = 1;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        if (n == 0)
            break;
    }
out:
    la.archive_read_free(ra);
    return NULL;
}

/* libarchive's read callback of the extracting side. */
static la_ssize_t
pipe_read(struct archive *a, void *arg, const void **ret_buf)
{
    struct pipe *p = arg;
    la_ssize_t n;

    pthread_mutex_lock(&p->lock);
    if (p->held) {
        p->held = 0;
        p->tail = (p->tail + 1) % CHUNKS;
        p->full--;
        pthread_cond_broadcast(&p->cond);
    }
    while (!p->full && !p->eof && !p->failed)
        pthread_cond_wait(&p->cond, &p->lock);
    if (p->full) {
        *ret_buf = p->buf[p->tail];
        n = (la_ssize_t)p->len[p->tail];
        p->held = 1;
    } else if (p->failed) {
        la.archive_set_error(a, EIO, "%s", p->msg);
        n = -1;
    } else {
        n = 0;
    }
    pthread_mutex_unlock(&p->lock);
    return n;
}

static int
pipe_start(struct pipe *p, int fd, struct sw_error *err)
{
    int e;
    memset(p, 0, sizeof(*p));
    p->fd = fd;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->inited = 1;
    for (unsigned i = 0; i < CHUNKS; i++) {
        p->buf[i] = malloc(CHUNK);
        if (!p->buf[i])
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    e = pthread_create(&p->thread, NULL, decompressor, p);
    if (e)
        return sw_error_errno(err, SW_E_INTERNAL, e, "cannot start the decompressor");
    p->started = 1;
    return 0;
}

static void
pipe_finish(struct pipe *p)
{
    if (!p->inited)
        return;
    if (p->started) {
        pthread_mutex_lock(&p->lock);
        p->stop = 1;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->thread, NULL);
        p->started = 0;
    }
    for (unsigned i = 0; i < CHUNKS; i++) {
        free(p->buf[i]);
        p->buf[i] = NULL;
    }
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
}

/* libarchive's ARCHIVE_ERRNO_FILE_FORMAT on Linux (archive_platform.h, not installed) */
#define LA_ERRNO_FILE_FORMAT EILSEQ

/* Opening reads the first blocks: a wrong format or a damaged start. */
static int
open_error(struct archive *a, const char *pn, struct sw_error *err)
{
    const char *msg = la.archive_error_string(a) ? la.archive_error_string(a) : "read error";
    if (la.archive_errno(a) == LA_ERRNO_FILE_FORMAT)
        return sw_error_set(err, SW_E_BUNDLE,
                            "bundle '%s' is not a tar archive (plain, gzip, xz or zstd): %s", pn,
                            msg);
    return sw_error_set(err, SW_E_BUNDLE, "bundle '%s' is damaged or truncated: %s", pn, msg);
}

static int
same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int
sw_bundle_extract(const char *path, const struct sw_md_fileinfo *info, int dirfd,
                  const struct sw_bundle_limits *lim, sw_bundle_progress_fn progress,
                  void *progress_ctx, struct sw_bundle_stats *ret_stats, struct sw_error *err)
{
    struct sw_bundle_limits deflim;
    struct xtract x;
    struct archive *a = NULL;
    struct stat st, st2;
    struct statvfs sv;
    char pn[NAME_MSG];
    double t0, t1;
    int fd = -1, r;
    uint64_t last_progress = 0;
    locale_t utf8 = (locale_t)0, old = (locale_t)0;
    struct pipe pp;

    memset(&x, 0, sizeof(x));
    memset(&pp, 0, sizeof(pp));
    x.cache_fd = -1;
    if (!lim) {
        sw_bundle_limits_init(&deflim);
        lim = &deflim;
    }
    printable(path, pn, sizeof(pn));
    r = la_load(err);
    if (r < 0)
        return r;
    t0 = now_seconds();
    fd = open_bundle(path, &st, err);
    if (fd < 0)
        return fd;
    r = check_fd(fd, path, &st, info, err);
    if (r < 0)
        goto out;
    t1 = now_seconds();
    r = dir_is_empty(dirfd, err);
    if (r < 0)
        goto out;
    if (fstatvfs(dirfd, &sv) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot read free space of the slot");
        goto out;
    }
    {
        uint64_t avail = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
        uint64_t need = (uint64_t)st.st_size + lim->reserve_bytes;
        if (avail < need) {
            r = sw_error_set(err, SW_E_NOSPACE,
                             "bundle '%s': %" PRIu64 " bytes free on the slot, %" PRIu64
                             " needed (the bundle's %" PRIu64 " and the [stage] reserve of %" PRIu64
                             ")",
                             pn, avail, need, (uint64_t)st.st_size, lim->reserve_bytes);
            goto out;
        }
    }
    if (lseek(fd, 0, SEEK_SET) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot rewind bundle '%s'", pn);
        goto out;
    }

    /* libarchive converts pax names to the locale's charset: make it UTF-8 */
    utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (utf8)
        old = uselocale(utf8);

    x.root = dirfd;
    x.lim = lim;
    x.bundle_name = pn;
    x.err = err;
    x.as_root = geteuid() == 0;
    r = pipe_start(&pp, fd, err);
    if (r < 0)
        goto out;
    a = la.archive_read_new();
    if (!a) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    /* tar only: the decompressor has taken off any compression */
    if (la.archive_read_support_format_tar(a) != ARCHIVE_OK) {
        r = sw_error_set(err, SW_E_INTERNAL, "libarchive: no tar reader");
        goto out;
    }
    if (la.archive_read_open(a, &pp, NULL, pipe_read, NULL) != ARCHIVE_OK) {
        r = open_error(a, pn, err);
        goto out;
    }
    for (;;) {
        struct archive_entry *ae;
        int ar = la.archive_read_next_header(a, &ae);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar == ARCHIVE_WARN) {
            char rule[NAME_MSG + 64];
            x.raw = la.archive_entry_pathname(ae);
            snprintf(rule, sizeof(rule), "libarchive: %s",
                     la.archive_error_string(a) ? la.archive_error_string(a) : "warning");
            r = entry_error(&x, SW_E_BUNDLE, rule);
            goto out;
        }
        if (ar != ARCHIVE_OK) {
            const char *msg =
                la.archive_error_string(a) ? la.archive_error_string(a) : "read error";
            if (x.entries == 0 && la.archive_format(a) == 0)
                r = open_error(a, pn, err);
            else
                r = sw_error_set(err, SW_E_BUNDLE,
                                 "bundle '%s' is damaged or truncated after entry '%s': %s", pn,
                                 ename(&x), msg);
            goto out;
        }
        r = extract_entry(&x, a, ae);
        if (r < 0)
            goto out;
        if (progress && x.bytes - last_progress >= (4u << 20)) {
            last_progress = x.bytes;
            progress(progress_ctx, atomic_load(&pp.raw_bytes), (uint64_t)st.st_size);
        }
    }
    if (x.entries == 0) {
        r = sw_error_set(err, SW_E_BUNDLE, "bundle '%s' holds no entries", pn);
        goto out;
    }
    r = finish_dirs(&x);
    if (r < 0)
        goto out;
    if (fstat(fd, &st2) < 0 || !same_file(&st, &st2)) {
        r = sw_error_set(err, SW_E_BUNDLE, "bundle '%s' changed on disk while it was extracted",
                         pn);
        goto out;
    }
    if (progress)
        progress(progress_ctx, (uint64_t)st.st_size, (uint64_t)st.st_size);
    if (ret_stats) {
        ret_stats->entries = x.entries;
        ret_stats->bytes = x.bytes;
        ret_stats->bundle_bytes = (uint64_t)st.st_size;
        ret_stats->hash_seconds = t1 - t0;
        ret_stats->extract_seconds = now_seconds() - t1;
    }
    r = 0;
out:
    if (a)
        la.archive_read_free(a);
    pipe_finish(&pp);
    if (utf8) {
        uselocale(old);
        freelocale(utf8);
    }
    if (x.cache_fd >= 0)
        close(x.cache_fd);
    for (size_t i = 0; i < x.n_dirs; i++)
        free(x.dirs[i].path);
    free(x.dirs);
    if (fd >= 0)
        close(fd);
    return r;
}
