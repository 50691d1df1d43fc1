/* SPDX-License-Identifier: MIT */
/*
 * File-system primitives used by every module that persists something:
 * bounded reads, atomic and exclusive writes, private directories. Which
 * files to write and what they contain is the callers' business.
 */
#include <slipway/fault.h>
#include <slipway/fs.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
read_file(const char *path, size_t max, int private_only, unsigned char **ret_buf, size_t *ret_len,
          struct sw_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0, cap;
    struct stat st;
    int fd = -1, r;

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return sw_error_errno(err, SW_E_NOTFOUND, e, "cannot open '%s'", path);
        if (e == ELOOP)
            return sw_error_set(err, SW_E_PERM, "refusing '%s': it is a symbolic link", path);
        return sw_error_errno(err, SW_E_IO, e, "cannot open '%s'", path);
    }
    if (fstat(fd, &st) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot stat '%s'", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = sw_error_set(err, SW_E_INVAL, "refusing '%s': not a regular file", path);
        goto out;
    }
    if (private_only && (st.st_mode & 077)) {
        r = sw_error_set(err, SW_E_PERM,
                         "refusing '%s': its mode %04o lets other users read or change it; "
                         "run 'chmod 600 %s'",
                         path, (unsigned)(st.st_mode & 07777), path);
        goto out;
    }
    if ((unsigned long long)st.st_size > max) {
        r = sw_error_set(err, SW_E_LIMIT, "'%s' is %lld bytes, more than the limit of %zu", path,
                         (long long)st.st_size, max);
        goto out;
    }
    cap = (size_t)st.st_size + 1;
    buf = malloc(cap + 1);
    if (!buf) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory reading '%s'", path);
        goto out;
    }
    for (;;) {
        ssize_t n;
        if (len == cap) {
            /* the file grew while we read it */
            unsigned char *nb;
            if (len > max) {
                r = sw_error_set(err, SW_E_LIMIT, "'%s' is more than the limit of %zu bytes", path,
                                 max);
                goto out;
            }
            cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            nb = realloc(buf, cap + 1);
            if (!nb) {
                r = sw_error_set(err, SW_E_NOMEM, "out of memory reading '%s'", path);
                goto out;
            }
            buf = nb;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = sw_error_errno(err, SW_E_IO, errno, "cannot read '%s'", path);
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > max) {
        r = sw_error_set(err, SW_E_LIMIT, "'%s' is more than the limit of %zu bytes", path, max);
        goto out;
    }
    buf[len] = '\0';
    *ret_buf = buf;
    if (ret_len)
        *ret_len = len;
    buf = NULL;
    r = 0;
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    return r;
}

int
sw_fs_read_file(const char *path, size_t max, unsigned char **ret_buf, size_t *ret_len,
                struct sw_error *err)
{
    return read_file(path, max, 0, ret_buf, ret_len, err);
}

int
sw_fs_read_private(const char *path, size_t max, unsigned char **ret_buf, size_t *ret_len,
                   struct sw_error *err)
{
    return read_file(path, max, 1, ret_buf, ret_len, err);
}

static int
write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int
sw_fs_fsync_dir(const char *dir, struct sw_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot open directory '%s'", dir);
    if (fsync(fd) < 0) {
        int e = errno;
        close(fd);
        return sw_error_errno(err, SW_E_IO, e, "cannot fsync directory '%s'", dir);
    }
    close(fd);
    return 0;
}

int
sw_fs_fsync_parent(const char *path, struct sw_error *err)
{
    char *copy = strdup(path);
    int r;
    if (!copy)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = sw_fs_fsync_dir(dirname(copy), err);
    free(copy);
    return r;
}

static int write_atomic(const char *path, const void *data, size_t len, mode_t mode, int dirsync,
                        struct sw_error *err);

int
sw_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                   struct sw_error *err)
{
    return write_atomic(path, data, len, mode, 1, err);
}

int
sw_fs_write_replace(const char *path, const void *data, size_t len, mode_t mode,
                    struct sw_error *err)
{
    return write_atomic(path, data, len, mode, 0, err);
}

static int
write_atomic(const char *path, const void *data, size_t len, mode_t mode, int dirsync,
             struct sw_error *err)
{
    char *dcopy = NULL, *bcopy = NULL, *tmp = NULL;
    const char *dir, *base;
    int fd = -1, r;

    dcopy = strdup(path);
    bcopy = strdup(path);
    if (!dcopy || !bcopy) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    dir = dirname(dcopy);
    base = basename(bcopy);
    if (asprintf(&tmp, "%s/.%s.tmpXXXXXX", dir, base) < 0) {
        tmp = NULL;
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot create a temporary file in '%s'", dir);
        free(tmp);
        tmp = NULL;
        goto out;
    }
    if (fchmod(fd, mode) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot set the mode of '%s'", tmp);
        goto out;
    }
    if (write_all(fd, data, len) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot write '%s'", tmp);
        goto out;
    }
    if (SW_FAULT("fs-write-fsync")) {
        r = sw_error_set(err, SW_E_FAULT, "injected fault before fsync of '%s'", tmp);
        goto out;
    }
    if (fsync(fd) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot fsync '%s'", tmp);
        goto out;
    }
    if (close(fd) < 0) {
        fd = -1;
        r = sw_error_errno(err, SW_E_IO, errno, "cannot close '%s'", tmp);
        goto out;
    }
    fd = -1;
    if (SW_FAULT("fs-write-rename")) {
        r = sw_error_set(err, SW_E_FAULT, "injected fault before rename to '%s'", path);
        goto out;
    }
    if (rename(tmp, path) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot rename '%s' to '%s'", tmp, path);
        goto out;
    }
    free(tmp);
    tmp = NULL;
    r = dirsync ? sw_fs_fsync_dir(dir, err) : 0;
out:
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(dcopy);
    free(bcopy);
    return r;
}

int
sw_fs_write_new(const char *path, const void *data, size_t len, mode_t mode, struct sw_error *err)
{
    int fd, r;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        if (errno == EEXIST)
            return sw_error_set(err, SW_E_EXISTS, "'%s' already exists", path);
        return sw_error_errno(err, SW_E_IO, errno, "cannot create '%s'", path);
    }
    if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot write '%s'", path);
        close(fd);
        unlink(path);
        return r;
    }
    if (close(fd) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot close '%s'", path);
        unlink(path);
        return r;
    }
    return sw_fs_fsync_parent(path, err);
}

int
sw_fs_mkdir_p(const char *path, mode_t mode, struct sw_error *err)
{
    char *copy = strdup(path);
    char *p;
    int r = 0;

    if (!copy)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    for (p = copy + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(copy, mode) < 0 && errno != EEXIST) {
                r = sw_error_errno(err, SW_E_IO, errno, "cannot create directory '%s'", copy);
                break;
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    free(copy);
    if (r == 0) {
        struct stat st;
        if (stat(path, &st) < 0)
            return sw_error_errno(err, SW_E_IO, errno, "cannot stat '%s'", path);
        if (!S_ISDIR(st.st_mode))
            return sw_error_set(err, SW_E_INVAL, "'%s' exists and is not a directory", path);
    }
    return r;
}

int
sw_fs_private_dir(const char *path, struct sw_error *err)
{
    struct stat st;
    int r;

    if (lstat(path, &st) < 0) {
        if (errno != ENOENT)
            return sw_error_errno(err, SW_E_IO, errno, "cannot stat '%s'", path);
        r = sw_fs_mkdir_p(path, 0700, err);
        if (r < 0)
            return r;
        if (chmod(path, 0700) < 0)
            return sw_error_errno(err, SW_E_IO, errno, "cannot set the mode of '%s'", path);
        if (lstat(path, &st) < 0)
            return sw_error_errno(err, SW_E_IO, errno, "cannot stat '%s'", path);
    }
    if (S_ISLNK(st.st_mode))
        return sw_error_set(err, SW_E_PERM, "refusing directory '%s': it is a symbolic link", path);
    if (!S_ISDIR(st.st_mode))
        return sw_error_set(err, SW_E_INVAL, "'%s' is not a directory", path);
    if (st.st_uid != geteuid())
        return sw_error_set(err, SW_E_PERM,
                            "directory '%s' is owned by uid %u, not by the running user (uid %u)",
                            path, (unsigned)st.st_uid, (unsigned)geteuid());
    if (st.st_mode & 077)
        return sw_error_set(err, SW_E_PERM,
                            "directory '%s' has mode %04o, open to other users; run 'chmod 700 %s'",
                            path, (unsigned)(st.st_mode & 07777), path);
    return 0;
}

char *
sw_fs_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    char *s;
    while (la > 1 && a[la - 1] == '/')
        la--;
    while (*b == '/')
        b++;
    if (la == 1 && a[0] == '/')
        la = 0; /* "/" + "x" is "/x" */
    if (asprintf(&s, "%.*s/%s", (int)la, a, b) < 0)
        return NULL;
    return s;
}

int
sw_fs_exists(const char *path, struct sw_error *err)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        return 1;
    if (errno == ENOENT || errno == ENOTDIR)
        return 0;
    return sw_error_errno(err, SW_E_IO, errno, "cannot stat '%s'", path);
}

int
sw_fs_unlink(const char *path, struct sw_error *err)
{
    if (unlink(path) < 0 && errno != ENOENT)
        return sw_error_errno(err, SW_E_IO, errno, "cannot remove '%s'", path);
    return 0;
}
