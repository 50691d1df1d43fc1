/* SPDX-License-Identifier: MIT */
/*
 * The `dir` slot backend: two directories (slot-a, slot-b) and a `current`
 * symlink switched atomically, a small state file beside each slot (was it
 * finished, its health mark), and crash-safe emptying (rename aside, fresh
 * directory, removal with descriptors that never follows a link). Which
 * update a slot holds is the update module's; see docs/slots.md.
 */
#include "slot-int.h"

#include <slipway/fault.h>
#include <slipway/fs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_MAGIC "slipway-slot-state 1"
#define STATE_MAX 4096
#define STATE_SUFFIX ".slot-state"
#define OLD_INFIX ".old-"
#define TMP_INFIX ".tmp-"

/* Prefix err (when the caller gave one) and return r, the code already set. */
#define PREFIXED(r, err, ...) ((void)sw_error_prefix((err), __VA_ARGS__), (r))

struct dslot {
    char *path;       /* normalised absolute path of the slot directory */
    char *parent;     /* its directory */
    char *base;       /* its last component */
    char *state_path; /* PARENT/.BASE.slot-state */
};

struct dstate {
    struct dslot slot[SW_SLOT_COUNT];
    char *state_dir; /* normalised, or NULL: kept private when created from here */
    char *current;   /* normalised path of the `current` symlink */
    char *cparent;
    char *cbase;
};

/* What the state file beside a slot says. */
struct dfile {
    bool finished; /* finish() completed and no prepare() since */
    int health;    /* enum sw_slot_health */
    dev_t dev;     /* identity of the slot directory that was finished */
    ino_t ino;
};

static const char *
idname(enum sw_slot_id id)
{
    return sw_slot_id_to_string(id);
}

/* ---- paths ---------------------------------------------------------------- */

/*
 * Lexical normal form of an absolute path: no doubled slashes, no "."
 * components, no trailing slash. ".." is refused (-1): it would make the
 * containment checks lie.
 */
static int
normalize(const char *in, char **ret)
{
    size_t n = strlen(in), o = 0;
    char *out;

    if (n == 0 || in[0] != '/')
        return -1;
    out = malloc(n + 2);
    if (!out)
        return -2;
    for (size_t i = 0; i < n;) {
        size_t j;
        while (i < n && in[i] == '/')
            i++;
        j = i;
        while (j < n && in[j] != '/')
            j++;
        if (j == i)
            break;
        if (j - i == 1 && in[i] == '.') {
            i = j;
            continue;
        }
        if (j - i == 2 && in[i] == '.' && in[i + 1] == '.') {
            free(out);
            return -1;
        }
        out[o++] = '/';
        memcpy(out + o, in + i, j - i);
        o += j - i;
        i = j;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    *ret = out;
    return 0;
}

/* path is inside dir (strictly below it); both normalised. */
static bool
inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (strcmp(dir, "/") == 0)
        return strcmp(path, "/") != 0;
    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* Split a normalised path (not "/") into parent and base. */
static int
split(const char *path, char **ret_parent, char **ret_base)
{
    const char *slash = strrchr(path, '/');
    char *p, *b;
    p = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
    b = strdup(slash + 1);
    if (!p || !b) {
        free(p);
        free(b);
        return -1;
    }
    *ret_parent = p;
    *ret_base = b;
    return 0;
}

static void
random_suffix(char out[17])
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        v = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16);
    }
    snprintf(out, 17, "%016" PRIx64, v);
}

static int
open_dir_at(int dfd, const char *name)
{
    return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* A slot's or current's directory: a link to it is allowed (only slots may not be links). */
static int
open_parent(const char *path)
{
    return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* ---- removal that never follows a link ---------------------------------- */

/* Open subdirectory name of dfd for removal, making it writable if need be. */
static int
open_for_removal(int dfd, const char *name, struct sw_error *err)
{
    struct stat st;
    int fd = open_dir_at(dfd, name);

    if (fd < 0 && errno == EACCES) {
        /* a read-only directory from a bundle: ours to open up */
        if (fchmodat(dfd, name, 0700, 0) == 0)
            fd = open_dir_at(dfd, name);
    }
    if (fd < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot open directory '%s' to remove it", name);
    if (fstat(fd, &st) == 0 && (st.st_mode & 0700) != 0700)
        (void)fchmod(fd, 0700);
    return fd;
}

struct frame {
    char *name; /* this directory's name in its parent */
    dev_t pdev; /* the parent's identity, checked when climbing back */
    ino_t pino;
};

/*
 * Remove the directory name in parentfd and everything below it. One
 * descriptor is open at a time whatever the depth: a directory is emptied
 * of non-directories, its first subdirectory entered, and ".." climbed
 * when it is empty (checked against the identity recorded on the way
 * down). Nothing is ever followed: entries are examined with
 * AT_SYMLINK_NOFOLLOW and opened with O_NOFOLLOW.
 */
static int
remove_tree_at(int parentfd, const char *name, struct sw_error *err)
{
    struct frame *stack = NULL;
    size_t depth = 0, cap = 0;
    int cur = -1, r = 0;
    DIR *d = NULL;

    cur = open_for_removal(parentfd, name, err);
    if (cur == -SW_E_NOTFOUND) {
        sw_error_clear(err);
        return 0;
    }
    if (cur < 0)
        return PREFIXED(cur, err, "removing '%s': ", name);
    for (;;) {
        struct dirent *e;
        struct stat st;
        char *sub = NULL;
        int dfd = dup(cur);

        if (dfd < 0 || !(d = fdopendir(dfd))) {
            if (dfd >= 0)
                close(dfd);
            r = sw_error_errno(err, SW_E_IO, errno, "cannot read a directory under '%s'", name);
            goto out;
        }
        rewinddir(d);
        while ((errno = 0, e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (fstatat(cur, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                    continue;
                r = sw_error_errno(err, SW_E_IO, errno, "cannot examine '%s' under '%s'", e->d_name,
                                   name);
                goto out;
            }
            if (S_ISDIR(st.st_mode)) {
                if (!(sub = strdup(e->d_name))) {
                    r = sw_error_set(err, SW_E_NOMEM, "out of memory");
                    goto out;
                }
                break;
            }
            if (unlinkat(cur, e->d_name, 0) < 0 && errno != ENOENT) {
                r = sw_error_errno(err, SW_E_IO, errno, "cannot remove '%s' under '%s'", e->d_name,
                                   name);
                goto out;
            }
        }
        closedir(d);
        d = NULL;
        if (sub) {
            struct stat pst;
            int nfd;
            if (depth == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                struct frame *ns = realloc(stack, ncap * sizeof(*ns));
                if (!ns) {
                    free(sub);
                    r = sw_error_set(err, SW_E_NOMEM, "out of memory");
                    goto out;
                }
                stack = ns;
                cap = ncap;
            }
            if (fstat(cur, &pst) < 0) {
                free(sub);
                r = sw_error_errno(err, SW_E_IO, errno, "cannot stat a directory under '%s'", name);
                goto out;
            }
            stack[depth].name = sub;
            stack[depth].pdev = pst.st_dev;
            stack[depth].pino = pst.st_ino;
            depth++;
            nfd = open_for_removal(cur, sub, err);
            if (nfd < 0) {
                r = PREFIXED(nfd, err, "removing '%s': ", name);
                goto out;
            }
            close(cur);
            cur = nfd;
            continue;
        }
        if (depth == 0)
            break;
        {
            struct stat pst;
            int pfd = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (pfd < 0 || fstat(pfd, &pst) < 0) {
                r = sw_error_errno(err, SW_E_IO, errno, "cannot climb back up under '%s'", name);
                if (pfd >= 0)
                    close(pfd);
                goto out;
            }
            if (pst.st_dev != stack[depth - 1].pdev || pst.st_ino != stack[depth - 1].pino) {
                close(pfd);
                r = sw_error_set(err, SW_E_SLOT,
                                 "a directory under '%s' moved while it was being removed", name);
                goto out;
            }
            close(cur);
            cur = pfd;
            depth--;
            if (unlinkat(cur, stack[depth].name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
                r = sw_error_errno(err, SW_E_IO, errno, "cannot remove directory '%s' under '%s'",
                                   stack[depth].name, name);
                free(stack[depth].name);
                goto out;
            }
            free(stack[depth].name);
        }
    }
    close(cur);
    cur = -1;
    if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        r = sw_error_errno(err, SW_E_IO, errno, "cannot remove directory '%s'", name);
out:
    if (d)
        closedir(d);
    if (cur >= 0)
        close(cur);
    for (size_t i = 0; i < depth; i++)
        free(stack[i].name);
    free(stack);
    return r;
}

/* 1 when the directory open at fd has no entries, 0 when it has, <0 on error. */
static int
dir_empty_fd(int fd)
{
    struct dirent *e;
    int dfd = dup(fd), r = 1;
    DIR *d;

    if (dfd < 0)
        return -1;
    if (!(d = fdopendir(dfd))) {
        close(dfd);
        return -1;
    }
    rewinddir(d);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            r = 0;
            break;
        }
    closedir(d);
    return r;
}

/* ---- the state file beside a slot ---------------------------------------- */

static const char *const health_names[] = {"unknown", "good", "bad"};

static int
read_dfile(const struct dslot *s, struct dfile *ret, struct sw_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    struct dfile f = {false, SW_SLOT_HEALTH_UNKNOWN, 0, 0};
    char state[16] = "", health[16] = "";
    uintmax_t dev = 0, ino = 0;
    int r, n;

    r = sw_fs_read_file(s->state_path, STATE_MAX, &buf, &len, err);
    if (r == -SW_E_NOTFOUND) {
        sw_error_clear(err);
        *ret = f;
        return 0;
    }
    if (r < 0)
        return r;
    n = sscanf((char *)buf, STATE_MAGIC "\nstate %15s\nhealth %15s\ndev %ju\nino %ju\n", state,
               health, &dev, &ino);
    free(buf);
    if (n != 4)
        return sw_error_set(err, SW_E_SLOT, "slot state file '%s' is damaged", s->state_path);
    if (strcmp(state, "finished") == 0)
        f.finished = true;
    else if (strcmp(state, "empty") != 0)
        return sw_error_set(err, SW_E_SLOT, "slot state file '%s' has an unknown state '%s'",
                            s->state_path, state);
    f.health = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(health, health_names[i]) == 0)
            f.health = i;
    if (f.health < 0)
        return sw_error_set(err, SW_E_SLOT, "slot state file '%s' has an unknown health '%s'",
                            s->state_path, health);
    f.dev = (dev_t)dev;
    f.ino = (ino_t)ino;
    *ret = f;
    return 0;
}

static int clean_leftovers(int pfd, const struct dslot *s, bool trees, struct sw_error *err);

/* Replace the state file atomically, first removing temporary ones a crash left. */
static int
write_dfile(const struct dslot *s, const struct dfile *f, struct sw_error *err)
{
    char buf[256];
    int pfd = open_parent(s->parent), r;

    if (pfd < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot open '%s'", s->parent);
    r = clean_leftovers(pfd, s, false, err);
    close(pfd);
    if (r < 0)
        return r;
    int n = snprintf(buf, sizeof(buf), STATE_MAGIC "\nstate %s\nhealth %s\ndev %ju\nino %ju\n",
                     f->finished ? "finished" : "empty", health_names[f->health], (uintmax_t)f->dev,
                     (uintmax_t)f->ino);
    return sw_fs_write_atomic(s->state_path, buf, (size_t)n, 0644, err);
}

/* ---- `current` ------------------------------------------------------------- */

enum cur_kind {
    CUR_OK,        /* points to a slot, which exists */
    CUR_MISSING,   /* no `current` at all: first install */
    CUR_NOTLINK,   /* something that is not a symlink */
    CUR_DANGLING,  /* a symlink to nothing */
    CUR_ELSEWHERE, /* a symlink to a directory that is neither slot */
};

struct cur {
    enum cur_kind kind;
    int id;     /* CUR_OK: the slot */
    int lex_id; /* the slot the link names by path, or -1 (also when dangling) */
};

/*
 * Read `current` without trusting it: lstat, readlink, then the identity
 * of what it leads to against each slot's. On anything but CUR_OK err says
 * what is wrong, and the return is -SW_E_SLOT; other failures are -SW_E_IO.
 */
static int
resolve_current(const struct dstate *d, struct cur *ret, struct sw_error *err)
{
    struct cur c = {CUR_MISSING, -1, -1};
    char target[PATH_MAX];
    char *abs = NULL, *norm = NULL;
    struct stat st, sst;
    ssize_t n;
    int r;

    *ret = c; /* what a caller sees when reading fails: nothing known */
    if (lstat(d->current, &st) < 0) {
        if (errno != ENOENT)
            return sw_error_errno(err, SW_E_IO, errno, "cannot examine '%s'", d->current);
        *ret = c;
        return sw_error_set(err, SW_E_SLOT,
                            "no slot is active: '%s' does not exist (nothing installed yet)",
                            d->current);
    }
    if (!S_ISLNK(st.st_mode)) {
        c.kind = CUR_NOTLINK;
        *ret = c;
        return sw_error_set(err, SW_E_SLOT,
                            "'%s' is %s, not a symbolic link: refusing to guess the active slot",
                            d->current,
                            S_ISDIR(st.st_mode)   ? "a directory"
                            : S_ISREG(st.st_mode) ? "a regular file"
                                                  : "a special file");
    }
    n = readlink(d->current, target, sizeof(target) - 1);
    if (n < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot read the link '%s'", d->current);
    target[n] = '\0';
    if (target[0] == '/')
        abs = strdup(target);
    else
        abs = sw_fs_join(d->cparent, target);
    if (!abs)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    if (normalize(abs, &norm) == 0) {
        for (int i = 0; i < SW_SLOT_COUNT; i++)
            if (strcmp(norm, d->slot[i].path) == 0)
                c.lex_id = i;
    }
    free(abs);
    free(norm);
    if (stat(d->current, &st) < 0) {
        if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
            return sw_error_errno(err, SW_E_IO, errno, "cannot follow '%s'", d->current);
        c.kind = CUR_DANGLING;
        *ret = c;
        if (c.lex_id >= 0)
            return sw_error_set(err, SW_E_SLOT,
                                "'%s' points to slot '%s' ('%s'), which does not exist", d->current,
                                idname(c.lex_id), d->slot[c.lex_id].path);
        return sw_error_set(err, SW_E_SLOT,
                            "'%s' is dangling: it points to '%s', which does not exist", d->current,
                            target);
    }
    for (int i = 0; i < SW_SLOT_COUNT; i++) {
        if (lstat(d->slot[i].path, &sst) == 0 && S_ISDIR(sst.st_mode) && sst.st_dev == st.st_dev &&
            sst.st_ino == st.st_ino) {
            c.kind = CUR_OK;
            c.id = i;
            *ret = c;
            return 0;
        }
    }
    c.kind = CUR_ELSEWHERE;
    *ret = c;
    r = sw_error_set(err, SW_E_SLOT,
                     "'%s' points to '%s', which is neither slot 'a' ('%s') nor slot 'b' ('%s')",
                     d->current, target, d->slot[0].path, d->slot[1].path);
    return r;
}

/* What `current` should hold for slot s: relative when s is below current's directory. */
static const char *
link_target(const struct dstate *d, const struct dslot *s)
{
    if (inside(s->path, d->cparent))
        return s->path + strlen(d->cparent) + (strcmp(d->cparent, "/") == 0 ? 0 : 1);
    return s->path;
}

/* ---- open / close ---------------------------------------------------------- */

static void
dir_close(void *state)
{
    struct dstate *d = state;
    if (!d)
        return;
    for (int i = 0; i < SW_SLOT_COUNT; i++) {
        free(d->slot[i].path);
        free(d->slot[i].parent);
        free(d->slot[i].base);
        free(d->slot[i].state_path);
    }
    free(d->state_dir);
    free(d->current);
    free(d->cparent);
    free(d->cbase);
    free(d);
}

static int
config_path(const char *key, const char *value, char **ret, struct sw_error *err)
{
    int r;
    if (!value)
        return sw_error_set(err, SW_E_CONFIG, "slot backend 'dir': '%s' is not set", key);
    r = normalize(value, ret);
    if (r == -2)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    if (r < 0)
        return sw_error_set(err, SW_E_CONFIG,
                            "slot backend 'dir': %s '%s' must be an absolute path without '..'",
                            key, value);
    if (strcmp(*ret, "/") == 0)
        return sw_error_set(err, SW_E_CONFIG, "slot backend 'dir': %s cannot be '/'", key);
    return 0;
}

static int
dir_open(const struct sw_config *cfg, void **ret_state, struct sw_error *err)
{
    static const char *const keys[SW_SLOT_COUNT] = {"slot-a", "slot-b"};
    const char *values[SW_SLOT_COUNT] = {cfg->slot_a, cfg->slot_b};
    struct stat st[SW_SLOT_COUNT];
    bool exists[SW_SLOT_COUNT] = {false, false};
    struct dstate *d;
    int r;

    d = calloc(1, sizeof(*d));
    if (!d)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    for (int i = 0; i < SW_SLOT_COUNT; i++) {
        struct dslot *s = &d->slot[i];
        if ((r = config_path(keys[i], values[i], &s->path, err)) < 0)
            goto fail;
        if (split(s->path, &s->parent, &s->base) < 0 ||
            asprintf(&s->state_path, "%s/.%s" STATE_SUFFIX, s->parent, s->base) < 0) {
            s->state_path = NULL;
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
    }
    if ((r = config_path("current", cfg->current, &d->current, err)) < 0)
        goto fail;
    if (cfg->state_dir && normalize(cfg->state_dir, &d->state_dir) == -2) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto fail;
    }
    if (split(d->current, &d->cparent, &d->cbase) < 0) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto fail;
    }
    if (strcmp(d->slot[0].path, d->slot[1].path) == 0) {
        r = sw_error_set(err, SW_E_CONFIG,
                         "slot backend 'dir': slot-a and slot-b are the same directory '%s'",
                         d->slot[0].path);
        goto fail;
    }
    for (int i = 0; i < SW_SLOT_COUNT; i++) {
        const char *p = d->slot[i].path, *o = d->slot[1 - i].path;
        if (inside(p, o)) {
            r = sw_error_set(err, SW_E_CONFIG, "slot backend 'dir': %s '%s' is inside %s '%s'",
                             keys[i], p, keys[1 - i], o);
            goto fail;
        }
        if (strcmp(d->current, p) == 0 || inside(d->current, p)) {
            r = sw_error_set(err, SW_E_CONFIG, "slot backend 'dir': current '%s' is %s %s '%s'",
                             d->current, strcmp(d->current, p) == 0 ? "the same path as" : "inside",
                             keys[i], p);
            goto fail;
        }
        if (inside(p, d->current)) {
            r = sw_error_set(err, SW_E_CONFIG,
                             "slot backend 'dir': %s '%s' is under current '%s', a symlink",
                             keys[i], p, d->current);
            goto fail;
        }
        if (lstat(p, &st[i]) == 0) {
            exists[i] = true;
            if (S_ISLNK(st[i].st_mode)) {
                r = sw_error_set(err, SW_E_SLOT,
                                 "slot backend 'dir': %s '%s' is a symbolic link; a slot must be "
                                 "a real directory",
                                 keys[i], p);
                goto fail;
            }
            if (!S_ISDIR(st[i].st_mode)) {
                r = sw_error_set(err, SW_E_SLOT, "slot backend 'dir': %s '%s' is not a directory",
                                 keys[i], p);
                goto fail;
            }
        } else if (errno != ENOENT) {
            r = sw_error_errno(err, SW_E_IO, errno, "slot backend 'dir': cannot examine %s '%s'",
                               keys[i], p);
            goto fail;
        }
    }
    if (exists[0] && exists[1] && st[0].st_dev == st[1].st_dev && st[0].st_ino == st[1].st_ino) {
        r = sw_error_set(err, SW_E_CONFIG,
                         "slot backend 'dir': slot-a '%s' and slot-b '%s' are the same directory",
                         d->slot[0].path, d->slot[1].path);
        goto fail;
    }
    *ret_state = d;
    return 0;
fail:
    dir_close(d);
    return r;
}

/* ---- info / active --------------------------------------------------------- */

static int
dir_info(void *state, enum sw_slot_id id, struct sw_slot_info *ret_info, struct sw_error *err)
{
    struct dstate *d = state;
    const struct dslot *s = &d->slot[id];
    struct sw_slot_info info;
    struct sw_error ignored = SW_ERROR_INIT;
    struct dfile f;
    struct cur c;
    struct stat st;
    int r;

    memset(&info, 0, sizeof(info));
    memset(&st, 0, sizeof(st));
    info.id = id;
    info.path = s->path;
    info.empty = true;
    if (lstat(s->path, &st) == 0) {
        info.present = S_ISDIR(st.st_mode);
        if (info.present) {
            int fd = open_dir_at(AT_FDCWD, s->path);
            if (fd < 0 || (r = dir_empty_fd(fd)) < 0) {
                r = sw_error_errno(err, SW_E_IO, errno, "cannot read slot '%s' ('%s')", idname(id),
                                   s->path);
                if (fd >= 0)
                    close(fd);
                return r;
            }
            close(fd);
            info.empty = r == 1;
        } else {
            info.empty = false;
        }
    } else if (errno != ENOENT) {
        return sw_error_errno(err, SW_E_IO, errno, "cannot examine slot '%s' ('%s')", idname(id),
                              s->path);
    }
    if (read_dfile(s, &f, &ignored) == 0) {
        info.health = f.health;
        info.complete = f.finished && info.present && f.dev == st.st_dev && f.ino == st.st_ino;
    }
    /* a `current` that cannot be read at all is an error, not "nothing active" */
    r = resolve_current(d, &c, &ignored);
    if (r < 0 && r != -SW_E_SLOT)
        return sw_error_set(err, -r, "%s", ignored.msg);
    info.active =
        (c.kind == CUR_OK && c.id == (int)id) || (c.kind == CUR_DANGLING && c.lex_id == (int)id);
    info.next_boot = info.active;
    *ret_info = info;
    return 0;
}

static int
dir_active(void *state, enum sw_slot_id *ret_id, struct sw_error *err)
{
    struct dstate *d = state;
    struct cur c;
    int r = resolve_current(d, &c, err);
    if (r < 0)
        return r;
    *ret_id = (enum sw_slot_id)c.id;
    return 0;
}

/*
 * Create the directory a slot or `current` lives in when it is missing:
 * 0755, durably (the new entry's parent fsynced). Under the state
 * directory, that one is made first as the private directory it must be.
 */
static int
ensure_dir(const struct dstate *d, const char *path, struct sw_error *err)
{
    struct stat st;
    int r;

    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return sw_error_set(err, SW_E_SLOT, "'%s' is not a directory", path);
        return 0;
    }
    if (errno != ENOENT)
        return sw_error_errno(err, SW_E_IO, errno, "cannot examine '%s'", path);
    if (d->state_dir && (strcmp(path, d->state_dir) == 0 || inside(path, d->state_dir)) &&
        (r = sw_fs_private_dir(d->state_dir, err)) < 0)
        return r;
    if ((r = sw_fs_mkdir_p(path, 0755, err)) < 0)
        return r;
    return sw_fs_fsync_parent(path, err);
}

/* ---- prepare / abort -------------------------------------------------------- */

/* Remove what a crash left beside slot s: trees renamed aside, temporary state files. */
static int
clean_leftovers(int pfd, const struct dslot *s, bool trees, struct sw_error *err)
{
    char *old = NULL, *tmp = NULL;
    DIR *d = NULL;
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, i;
    int dfd, r = 0;

    if (asprintf(&old, ".%s" OLD_INFIX, s->base) < 0 ||
        asprintf(&tmp, "..%s" STATE_SUFFIX ".tmp", s->base) < 0) {
        free(old);
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    dfd = dup(pfd);
    if (dfd < 0 || !(d = fdopendir(dfd))) {
        if (dfd >= 0)
            close(dfd);
        r = sw_error_errno(err, SW_E_IO, errno, "cannot read '%s'", s->parent);
        goto out;
    }
    rewinddir(d);
    /* collect first: removing while reading the same directory is unspecified */
    while ((e = readdir(d))) {
        if (!(trees && strncmp(e->d_name, old, strlen(old)) == 0) &&
            strncmp(e->d_name, tmp, strlen(tmp)) != 0)
            continue;
        char **nn = realloc(names, (n + 1) * sizeof(*nn));
        if (!nn || !(nn[n] = strdup(e->d_name))) {
            if (nn)
                names = nn;
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto out;
        }
        names = nn;
        n++;
    }
    for (i = 0; i < n && r == 0; i++) {
        struct stat st;
        if (fstatat(pfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISDIR(st.st_mode))
            r = remove_tree_at(pfd, names[i], err);
        else if (unlinkat(pfd, names[i], 0) < 0 && errno != ENOENT)
            r = sw_error_errno(err, SW_E_IO, errno, "cannot remove '%s/%s'", s->parent, names[i]);
    }
out:
    if (d)
        closedir(d);
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(old);
    free(tmp);
    return r;
}

static int
make_slot_dir(int pfd, const struct dslot *s, struct sw_error *err)
{
    if (mkdirat(pfd, s->base, 0755) < 0 && errno != EEXIST)
        return sw_error_errno(err, SW_E_IO, errno, "cannot create slot directory '%s'", s->path);
    /* served to the system: 0755 whatever the umask */
    if (fchmodat(pfd, s->base, 0755, 0) < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot set the mode of '%s'", s->path);
    if (SW_FAULT("slot-dir-prepare-fsync"))
        return sw_error_set(err, SW_E_FAULT, "injected fault before fsync of '%s'", s->parent);
    if (fsync(pfd) < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot fsync '%s'", s->parent);
    return 0;
}

/*
 * Leave slot s an empty directory, and its state file saying so (written
 * first, so a finished mark never outlives what it describes). A tree that
 * is there is renamed aside and removed afterwards; a crash leaves at worst
 * a hidden .BASE.old-* tree, which the next call removes.
 */
static int
empty_slot(struct dstate *d, enum sw_slot_id id, struct sw_error *err)
{
    const struct dslot *s = &d->slot[id];
    struct dfile f = {false, SW_SLOT_HEALTH_UNKNOWN, 0, 0};
    struct stat st;
    char old[PATH_MAX];
    int pfd = -1, fd = -1, r;

    if ((r = ensure_dir(d, s->parent, err)) < 0)
        return PREFIXED(r, err, "slot '%s': ", idname(id));
    pfd = open_parent(s->parent);
    if (pfd < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot open '%s'", s->parent);
    /* both slots' leftovers: an old tree is never what runs, whichever slot it was */
    for (int i = 0; i < SW_SLOT_COUNT; i++) {
        const struct dslot *o = &d->slot[i];
        int ofd = pfd;
        if (i != (int)id && strcmp(o->parent, s->parent) != 0) {
            ofd = open_parent(o->parent);
            if (ofd < 0)
                continue; /* nothing was ever created there */
        }
        r = clean_leftovers(ofd, o, true, err);
        if (ofd != pfd)
            close(ofd);
        if (r < 0)
            goto out;
    }
    /* refuse before changing anything: a link in a slot's place is the operator's */
    if (fstatat(pfd, s->base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT) {
            r = sw_error_errno(err, SW_E_IO, errno, "cannot examine '%s'", s->path);
            goto out;
        }
        if ((r = write_dfile(s, &f, err)) < 0)
            goto out;
        r = make_slot_dir(pfd, s, err);
        goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
        r = sw_error_set(err, SW_E_SLOT, "refusing to empty slot '%s': '%s' is %s", idname(id),
                         s->path, S_ISLNK(st.st_mode) ? "a symbolic link" : "not a directory");
        goto out;
    }
    if ((r = write_dfile(s, &f, err)) < 0)
        goto out;
    fd = open_dir_at(pfd, s->base);
    if (fd < 0 || (r = dir_empty_fd(fd)) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot read slot directory '%s'", s->path);
        goto out;
    }
    close(fd);
    fd = -1;
    if (r == 1) {
        /* already empty: only its mode and durability to see to */
        r = make_slot_dir(pfd, s, err);
        goto out;
    }
    for (int tries = 0;; tries++) {
        char rnd[17];
        random_suffix(rnd);
        snprintf(old, sizeof(old), ".%s" OLD_INFIX "%s", s->base, rnd);
        if (SW_FAULT("slot-dir-prepare-rename")) {
            r = sw_error_set(err, SW_E_FAULT, "injected fault before renaming '%s' aside", s->path);
            goto out;
        }
        if (renameat2(pfd, s->base, pfd, old, RENAME_NOREPLACE) == 0)
            break;
        /* a file system without RENAME_NOREPLACE: the random name is as good */
        if (errno == EINVAL && renameat(pfd, s->base, pfd, old) == 0)
            break;
        if (errno != EEXIST || tries > 8) {
            r = sw_error_errno(err, SW_E_IO, errno, "cannot rename '%s' aside", s->path);
            goto out;
        }
    }
    if ((r = make_slot_dir(pfd, s, err)) < 0)
        goto out;
    r = remove_tree_at(pfd, old, err);
    if (r < 0)
        r = PREFIXED(r, err, "emptying slot '%s': ", idname(id));
out:
    if (fd >= 0)
        close(fd);
    close(pfd);
    return r;
}

static int
dir_prepare(void *state, enum sw_slot_id id, struct sw_error *err)
{
    struct dstate *d = state;
    struct cur c;
    struct sw_error ignored = SW_ERROR_INIT;
    int r;

    /* the wrapper checks too; a backend must never empty what runs */
    r = resolve_current(d, &c, &ignored);
    if (r < 0 && r != -SW_E_SLOT)
        return sw_error_set(err, -r, "%s", ignored.msg);
    if ((c.kind == CUR_OK && c.id == (int)id) || (c.kind == CUR_DANGLING && c.lex_id == (int)id))
        return sw_error_set(err, SW_E_SLOT, "refusing to prepare slot '%s': it is the active slot",
                            idname(id));
    return empty_slot(d, id, err);
}

static int
dir_abort(void *state, enum sw_slot_id id, struct sw_slot_writer *w, struct sw_error *err)
{
    if (w) {
        if (w->dirfd >= 0)
            close(w->dirfd);
        if (w->fd >= 0)
            close(w->fd);
        w->dirfd = w->fd = -1;
    }
    return dir_prepare(state, id, err);
}

/* ---- writing ---------------------------------------------------------------- */

static int
dir_open_writer(void *state, enum sw_slot_id id, enum sw_slot_write_kind kind,
                struct sw_slot_writer *ret_writer, struct sw_error *err)
{
    struct dstate *d = state;
    const struct dslot *s = &d->slot[id];
    struct dfile f;
    int fd, r;

    if (kind != SW_SLOT_WRITE_TREE)
        return sw_error_set(err, SW_E_UNSUPPORTED,
                            "slot backend 'dir' takes tree bundles only, not images");
    if ((r = read_dfile(s, &f, err)) < 0)
        return r;
    if (f.finished)
        return sw_error_set(err, SW_E_SLOT, "slot '%s' holds a finished tree: prepare it first",
                            idname(id));
    fd = open_dir_at(AT_FDCWD, s->path);
    if (fd < 0) {
        if (errno == ENOENT)
            return sw_error_set(err, SW_E_SLOT, "slot '%s' ('%s') does not exist: prepare it first",
                                idname(id), s->path);
        if (errno == ELOOP || errno == ENOTDIR)
            return sw_error_set(err, SW_E_SLOT, "refusing slot '%s': '%s' is not a directory",
                                idname(id), s->path);
        return sw_error_errno(err, SW_E_IO, errno, "cannot open slot '%s' ('%s')", idname(id),
                              s->path);
    }
    r = dir_empty_fd(fd);
    if (r != 1) {
        close(fd);
        if (r < 0)
            return sw_error_errno(err, SW_E_IO, errno, "cannot read slot '%s'", s->path);
        return sw_error_set(err, SW_E_SLOT, "slot '%s' ('%s') is not empty: prepare it first",
                            idname(id), s->path);
    }
    memset(ret_writer, 0, sizeof(*ret_writer));
    ret_writer->kind = SW_SLOT_WRITE_TREE;
    ret_writer->dirfd = fd;
    ret_writer->path = s->path;
    ret_writer->fd = -1;
    return 0;
}

static int
dir_finish(void *state, enum sw_slot_id id, struct sw_slot_writer *w, struct sw_error *err)
{
    struct dstate *d = state;
    const struct dslot *s = &d->slot[id];
    struct dfile f = {true, SW_SLOT_HEALTH_UNKNOWN, 0, 0};
    struct stat st, lst;
    int pfd, r;

    if (w->kind != SW_SLOT_WRITE_TREE || w->dirfd < 0)
        return sw_error_set(err, SW_E_INTERNAL, "finishing slot '%s' without an open tree writer",
                            idname(id));
    if (fstat(w->dirfd, &st) < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot stat slot '%s'", s->path);
    if (lstat(s->path, &lst) < 0 || lst.st_dev != st.st_dev || lst.st_ino != st.st_ino)
        return sw_error_set(err, SW_E_SLOT,
                            "slot '%s' ('%s') was replaced while it was being written", idname(id),
                            s->path);
    if (SW_FAULT("slot-dir-finish-syncfs"))
        return sw_error_set(err, SW_E_FAULT, "injected fault before syncfs of '%s'", s->path);
    if (syncfs(w->dirfd) < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot sync the file system of '%s'", s->path);
    pfd = open_parent(s->parent);
    if (pfd < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot open '%s'", s->parent);
    if (SW_FAULT("slot-dir-finish-fsync")) {
        close(pfd);
        return sw_error_set(err, SW_E_FAULT, "injected fault before fsync of '%s'", s->parent);
    }
    r = fsync(pfd) < 0 ? sw_error_errno(err, SW_E_IO, errno, "cannot fsync '%s'", s->parent) : 0;
    close(pfd);
    if (r < 0)
        return r;
    f.dev = st.st_dev;
    f.ino = st.st_ino;
    if ((r = write_dfile(s, &f, err)) < 0)
        return PREFIXED(r, err, "finishing slot '%s': ", idname(id));
    close(w->dirfd);
    w->dirfd = -1;
    return 0;
}

/* The checks activate and verify share: finished, and still the directory that was. */
static int
check_finished(const struct dstate *d, enum sw_slot_id id, struct sw_error *err)
{
    const struct dslot *s = &d->slot[id];
    struct dfile f;
    struct stat st;
    int r;

    if ((r = read_dfile(s, &f, err)) < 0)
        return PREFIXED(r, err, "slot '%s': ", idname(id));
    if (!f.finished)
        return sw_error_set(err, SW_E_SLOT, "slot '%s' ('%s') holds no finished tree", idname(id),
                            s->path);
    if (lstat(s->path, &st) < 0)
        return sw_error_errno(err, SW_E_SLOT, errno, "slot '%s' ('%s') is gone", idname(id),
                              s->path);
    if (!S_ISDIR(st.st_mode))
        return sw_error_set(err, SW_E_SLOT, "slot '%s' ('%s') is %s", idname(id), s->path,
                            S_ISLNK(st.st_mode) ? "a symbolic link" : "not a directory");
    if (st.st_dev != f.dev || st.st_ino != f.ino)
        return sw_error_set(err, SW_E_SLOT,
                            "slot '%s' ('%s') is not the directory that was finished", idname(id),
                            s->path);
    return 0;
}

static int
dir_verify(void *state, enum sw_slot_id id, struct sw_error *err)
{
    return check_finished(state, id, err);
}

/* ---- activate / mark ---------------------------------------------------------- */

/* Remove temporary links a crashed activate left in current's directory. */
static int
clean_tmp_links(int cfd, const struct dstate *d, struct sw_error *err)
{
    char *prefix = NULL;
    struct dirent *e;
    DIR *dir;
    int dfd, r = 0;

    if (asprintf(&prefix, ".%.200s" TMP_INFIX, d->cbase) < 0)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    dfd = dup(cfd);
    if (dfd < 0 || !(dir = fdopendir(dfd))) {
        if (dfd >= 0)
            close(dfd);
        free(prefix);
        return sw_error_errno(err, SW_E_IO, errno, "cannot read '%s'", d->cparent);
    }
    rewinddir(dir);
    while ((e = readdir(dir))) {
        struct stat st;
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        /* only links are ours; anything else is left for the operator */
        if (fstatat(cfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
            unlinkat(cfd, e->d_name, 0) < 0 && errno != ENOENT) {
            r = sw_error_errno(err, SW_E_IO, errno, "cannot remove '%s/%s'", d->cparent, e->d_name);
            break;
        }
    }
    closedir(dir);
    free(prefix);
    return r;
}

static int
dir_activate(void *state, enum sw_slot_id id, struct sw_error *err)
{
    struct dstate *d = state;
    const char *target = link_target(d, &d->slot[id]);
    char have[PATH_MAX], tmp[NAME_MAX + 1];
    struct stat st;
    int cfd = -1, r;
    ssize_t n;

    if ((r = check_finished(d, id, err)) < 0)
        return PREFIXED(r, err, "refusing to activate: ");
    if ((r = ensure_dir(d, d->cparent, err)) < 0)
        return r;
    cfd = open_parent(d->cparent);
    if (cfd < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot open '%s'", d->cparent);
    if ((r = clean_tmp_links(cfd, d, err)) < 0)
        goto out;
    if (fstatat(cfd, d->cbase, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISLNK(st.st_mode)) {
            r = sw_error_set(err, SW_E_SLOT,
                             "refusing to activate slot '%s': '%s' exists and is not a symbolic "
                             "link",
                             idname(id), d->current);
            goto out;
        }
        n = readlinkat(cfd, d->cbase, have, sizeof(have) - 1);
        if (n >= 0) {
            have[n] = '\0';
            if (strcmp(have, target) == 0)
                goto sync; /* switched already (a repeat after a crash): make it durable */
        }
    } else if (errno != ENOENT) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot examine '%s'", d->current);
        goto out;
    }
    for (int tries = 0;; tries++) {
        char rnd[17];
        random_suffix(rnd);
        snprintf(tmp, sizeof(tmp), ".%.200s" TMP_INFIX "%s", d->cbase, rnd);
        if (symlinkat(target, cfd, tmp) == 0)
            break;
        if (errno != EEXIST || tries > 8) {
            r = sw_error_errno(err, SW_E_IO, errno, "cannot create a link in '%s'", d->cparent);
            goto out;
        }
    }
    if (SW_FAULT("slot-dir-activate-rename")) {
        (void)unlinkat(cfd, tmp, 0);
        r = sw_error_set(err, SW_E_FAULT, "injected fault before renaming a link over '%s'",
                         d->current);
        goto out;
    }
    if (renameat(cfd, tmp, cfd, d->cbase) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot switch '%s' to slot '%s'", d->current,
                           idname(id));
        (void)unlinkat(cfd, tmp, 0);
        goto out;
    }
sync:
    if (SW_FAULT("slot-dir-activate-fsync")) {
        r = sw_error_set(err, SW_E_FAULT, "injected fault before fsync of '%s'", d->cparent);
        goto out;
    }
    if (fsync(cfd) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot fsync '%s'", d->cparent);
        goto out;
    }
    r = 0;
out:
    close(cfd);
    return r;
}

static int
dir_mark(void *state, enum sw_slot_id id, enum sw_slot_health health, struct sw_error *err)
{
    struct dstate *d = state;
    const struct dslot *s = &d->slot[id];
    struct dfile f;
    int r;

    if ((r = read_dfile(s, &f, err)) < 0)
        return PREFIXED(r, err, "marking slot '%s': ", idname(id));
    if (health == SW_SLOT_HEALTH_GOOD && (r = check_finished(d, id, err)) < 0)
        return PREFIXED(r, err, "refusing to mark good: ");
    if (f.health == (int)health)
        return 0;
    f.health = (int)health;
    if ((r = write_dfile(s, &f, err)) < 0)
        return PREFIXED(r, err, "marking slot '%s': ", idname(id));
    return 0;
}

const struct sw_slot_ops sw_slot_dir_ops = {
    .version = SW_SLOT_OPS_VERSION,
    .name = "dir",
    .open = dir_open,
    .close = dir_close,
    .info = dir_info,
    .active = dir_active,
    .prepare = dir_prepare,
    .open_writer = dir_open_writer,
    .finish = dir_finish,
    .abort = dir_abort,
    .verify = dir_verify,
    .activate = dir_activate,
    .mark = dir_mark,
};
