/* SPDX-License-Identifier: MIT */
/*
 * The repository tree of slipway-repo on disk: names and paths of
 * metadata and target files, loading what is published and what is
 * staged, staging edits, and writing files atomically. It never signs:
 * publish.c decides what to sign and when; check.c verifies as a client.
 */
#include "tree.h"

#include <slipway/buf.h>
#include <slipway/cjson.h>
#include <slipway/fault.h>
#include <slipway/fs.h>
#include <slipway/hash.h>
#include <slipway/log.h>
#include <slipway/trust.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (1024 * 1024)

/* One file of a batch: written to tmp, given its name once all are durable. */
struct pending_file {
    char *tmp, *path;
};

static int make_parent_once(struct sw_repo *repo, const char *path, struct sw_error *err);

/* --- expiry ---------------------------------------------------------------------- */

void
sw_repo_expiry_defaults(struct sw_repo_expiry *e)
{
    memset(e, 0, sizeof(*e));
    e->secs[SW_MD_ROOT] = SW_REPO_EXPIRES_ROOT_DAYS * 86400LL;
    e->secs[SW_MD_TARGETS] = SW_REPO_EXPIRES_TARGETS_DAYS * 86400LL;
    e->secs[SW_MD_SNAPSHOT] = SW_REPO_EXPIRES_SNAPSHOT_DAYS * 86400LL;
    e->secs[SW_MD_TIMESTAMP] = SW_REPO_EXPIRES_TIMESTAMP_DAYS * 86400LL;
}

void
sw_repo_expiry_for(const struct sw_repo_expiry *e, const char *role, enum sw_md_type t, time_t now,
                   char out[21])
{
    size_t rl = strlen(role);
    for (size_t i = e->n_at; i > 0; i--)
        if (strcspn(e->at[i - 1].role, "=") == rl && strncmp(e->at[i - 1].role, role, rl) == 0) {
            sw_md_format_time(e->at[i - 1].at, out);
            return;
        }
    sw_md_format_time(now + (time_t)e->secs[t], out);
}

/* --- names ------------------------------------------------------------------------- */

static int
is_top_level(const char *name)
{
    return strcmp(name, "root") == 0 || strcmp(name, "targets") == 0 ||
           strcmp(name, "snapshot") == 0 || strcmp(name, "timestamp") == 0;
}

int
sw_repo_check_role_name(const char *name, struct sw_error *err)
{
    size_t n = strlen(name);
    const char *seg = name;

    if (n == 0 || n > SW_MD_MAX_ROLE_NAME)
        return sw_error_set(err, SW_E_INVAL, "role name must be 1 to %d bytes",
                            SW_MD_MAX_ROLE_NAME);
    if (is_top_level(name))
        return sw_error_set(err, SW_E_INVAL, "'%s' is a top-level role, not a delegated one", name);
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '~' || c == '-' || c == '/'))
            return sw_error_set(err, SW_E_INVAL,
                                "role name '%s' may hold only A-Z a-z 0-9 . _ ~ - and '/' "
                                "between segments",
                                name);
    }
    for (;;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return sw_error_set(err, SW_E_INVAL, "role name '%s' has an empty, '.' or '..' segment",
                                name);
        if (slash && len >= 5 && memcmp(seg + len - 5, ".json", 5) == 0)
            return sw_error_set(err, SW_E_INVAL,
                                "role name '%s': only its last segment may end in '.json'", name);
        if (!slash)
            break;
        seg = slash + 1;
    }
    return 0;
}

int
sw_repo_md_name(const char *role, int64_t version, char **ret, struct sw_error *err)
{
    char q[SW_CJSON_PRINTABLE_MAX];
    const char *seg = role;
    size_t n = strlen(role);

    if (n == 0 || n > SW_MD_MAX_ROLE_NAME)
        return sw_error_set(err, SW_E_METADATA, "role name of %zu bytes cannot be a file name", n);
    for (;;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (len == 0 || (seg != role && ((len == 1 && seg[0] == '.') ||
                                         (len == 2 && seg[0] == '.' && seg[1] == '.'))))
            return sw_error_set(err, SW_E_METADATA,
                                "role '%s' cannot be served as a file: it has an empty, '.' or "
                                "'..' segment",
                                sw_cjson_printable(role, q, sizeof(q)));
        if (!slash)
            break;
        seg = slash + 1;
    }
    if (asprintf(ret, "%" PRId64 ".%s.json", version, role) < 0)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    return 0;
}

/* Length of a valid UTF-8 sequence at p, or 0. */
static size_t
utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
            return 0;
        return 4;
    }
    return 0;
}

int
sw_repo_check_target_path(const char *path, struct sw_error *err)
{
    char q[SW_CJSON_PRINTABLE_MAX];
    size_t n = strlen(path);
    const char *seg = path;

    sw_cjson_printable(path, q, sizeof(q));
    if (n == 0 || n > SW_MD_MAX_PATH_LEN)
        return sw_error_set(err, SW_E_INVAL, "target path must be 1 to %d bytes",
                            SW_MD_MAX_PATH_LEN);
    if (path[0] == '/')
        return sw_error_set(err, SW_E_INVAL, "target path '%s' must be relative", q);
    for (const unsigned char *p = (const unsigned char *)path; *p;) {
        size_t l = utf8_len(p);
        if (l == 0)
            return sw_error_set(err, SW_E_INVAL, "target path '%s' is not valid UTF-8", q);
        if (l == 1 &&
            (*p < 0x20 || *p == 0x7f || *p == '\\' || *p == '%' || *p == '?' || *p == '#'))
            return sw_error_set(err, SW_E_INVAL,
                                "target path '%s' holds a control character, '\\', '%%', '?' "
                                "or '#', which clients refuse",
                                q);
        p += l;
    }
    for (;;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return sw_error_set(err, SW_E_INVAL,
                                "target path '%s' has an empty, '.' or '..' segment", q);
        if (!slash)
            break;
        seg = slash + 1;
    }
    return 0;
}

int
sw_repo_target_file_name(const char *path, const char *hash_hex, char **ret, struct sw_error *err)
{
    const char *slash = strrchr(path, '/');
    int r;
    if (slash)
        r = asprintf(ret, "%.*s/%s.%s", (int)(slash - path), path, hash_hex, slash + 1);
    else
        r = asprintf(ret, "%s.%s", hash_hex, path);
    if (r < 0)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    return 0;
}

/* --- files ------------------------------------------------------------------------- */

int
sw_repo_encode(const json_t *envelope, unsigned char **ret, size_t *ret_len, struct sw_error *err)
{
    char *s = json_dumps(envelope, JSON_INDENT(1) | JSON_SORT_KEYS);
    if (!s)
        return sw_error_set(err, SW_E_NOMEM, "cannot encode metadata as JSON");
    *ret = (unsigned char *)s;
    *ret_len = strlen(s);
    return 0;
}

int
sw_repo_md_from_json(const json_t *envelope, enum sw_md_type type, const char *role_name,
                     struct sw_md **ret, struct sw_error *err)
{
    struct sw_buf buf = SW_BUF_INIT(SW_MD_MAX_LEN);
    int r = sw_cjson_encode(envelope, &buf, err);
    if (r == 0)
        r = sw_md_parse_role_mem(buf.data, buf.len, type, role_name, ret, err);
    sw_buf_release(&buf);
    return r;
}

int
sw_repo_read_metadata(const char *metadata_dir, const char *rel, unsigned char **ret,
                      size_t *ret_len, struct sw_error *err)
{
    char *path = sw_fs_join(metadata_dir, rel);
    int r;

    if (!path)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = sw_fs_exists(path, err);
    if (r == 0)
        r = sw_error_set(err, SW_E_NOTFOUND, "'%s' does not exist", path);
    else if (r > 0)
        r = sw_fs_read_file(path, SW_MD_MAX_LEN, ret, ret_len, err);
    free(path);
    return r;
}

static int
mkdir_parent(const char *path, struct sw_error *err)
{
    char *copy = strdup(path), *slash;
    int r = 0;
    if (!copy)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    slash = strrchr(copy, '/');
    if (slash && slash != copy) {
        *slash = '\0';
        r = sw_fs_mkdir_p(copy, 0755, err);
    }
    free(copy);
    return r;
}

int
sw_repo_write_metadata(const struct sw_repo *repo, const char *rel, const void *bytes, size_t len,
                       int exclusive, struct sw_error *err)
{
    char *path = sw_fs_join(repo->metadata_dir, rel);
    unsigned char *old = NULL;
    size_t old_len = 0;
    int r;

    if (!path)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = mkdir_parent(path, err);
    if (r < 0)
        goto out;
    if (exclusive) {
        r = sw_fs_exists(path, err);
        if (r < 0)
            goto out;
        if (r == 1) {
            r = sw_fs_read_file(path, SW_MD_MAX_LEN, &old, &old_len, err);
            if (r < 0)
                goto out;
            if (old_len != len || memcmp(old, bytes, len) != 0)
                r = sw_error_set(err, SW_E_EXISTS,
                                 "'%s' already exists with other content; a published version "
                                 "is never rewritten",
                                 path);
            goto out;
        }
        r = sw_fs_write_new(path, bytes, len, 0644, err);
    } else {
        r = sw_fs_write_atomic(path, bytes, len, 0644, err);
    }
    if (r == 0)
        sw_log_info("wrote '%s' (%zu bytes)", path, len);
out:
    free(old);
    free(path);
    return r;
}

/* --- a batch of new metadata files ------------------------------------------------ */

struct sw_repo_batch {
    struct pending_file *v;
    size_t n, cap;
};

/* Write len bytes into a new temporary file beside path (*ret_tmp: caller frees); no fsync. */
static int
write_tmp_beside(const char *path, const void *bytes, size_t len, char **ret_tmp,
                 struct sw_error *err)
{
    const unsigned char *b = bytes;
    char *tmp = NULL;
    size_t off = 0;
    int fd, r = 0;

    if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot create a file beside '%s'", path);
        free(tmp);
        return r;
    }
    (void)fchmod(fd, 0644);
    while (off < len && r == 0) {
        ssize_t w = write(fd, b + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            r = sw_error_errno(err, SW_E_IO, errno, "cannot write '%s'", tmp);
        else
            off += (size_t)w;
    }
    if (close(fd) < 0 && r == 0)
        r = sw_error_errno(err, SW_E_IO, errno, "cannot write '%s'", tmp);
    if (r < 0) {
        unlink(tmp);
        free(tmp);
        return r;
    }
    *ret_tmp = tmp;
    return 0;
}

int
sw_repo_batch_add(struct sw_repo *repo, struct sw_repo_batch **b, const char *rel,
                  const void *bytes, size_t len, struct sw_error *err)
{
    struct pending_file *p;
    char *path;
    int r;

    if (!*b && !(*b = calloc(1, sizeof(**b))))
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    if ((*b)->n == (*b)->cap) {
        size_t cap = (*b)->cap ? 2 * (*b)->cap : 16;
        p = realloc((*b)->v, cap * sizeof(*p));
        if (!p)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        (*b)->v = p;
        (*b)->cap = cap;
    }
    path = sw_fs_join(repo->metadata_dir, rel);
    if (!path)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = make_parent_once(repo, path, err);
    p = &(*b)->v[(*b)->n];
    if (r == 0)
        r = write_tmp_beside(path, bytes, len, &p->tmp, err);
    if (r < 0) {
        free(path);
        return r;
    }
    p->path = path;
    (*b)->n++;
    return 0;
}

/* Whether the file at path holds exactly the bytes of the file at tmp. */
static int
same_bytes(const char *path, const char *tmp, struct sw_error *err)
{
    unsigned char *a = NULL, *b = NULL;
    size_t al = 0, bl = 0;
    int r = sw_fs_read_file(path, SW_MD_MAX_LEN, &a, &al, err);
    if (r == 0)
        r = sw_fs_read_file(tmp, SW_MD_MAX_LEN, &b, &bl, err);
    if (r == 0)
        r = al == bl && memcmp(a, b, al) == 0;
    free(a);
    free(b);
    return r;
}

int
sw_repo_batch_commit(struct sw_repo *repo, struct sw_repo_batch *b, struct sw_error *err)
{
    char *synced_dir = NULL;
    int fd, r = 0;

    if (!b || b->n == 0)
        return 0;
    fd = open(repo->metadata_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot open '%s'", repo->metadata_dir);
    if (SW_FAULT("repo-metadata-sync"))
        r = sw_error_set(err, SW_E_FAULT, "injected fault before syncing '%s'", repo->metadata_dir);
    else if (syncfs(fd) < 0)
        r = sw_error_errno(err, SW_E_IO, errno, "cannot sync the file system of '%s'",
                           repo->metadata_dir);
    close(fd);
    for (size_t i = 0; i < b->n && r == 0; i++) {
        struct pending_file *p = &b->v[i];
        if (SW_FAULT("repo-metadata-link")) {
            r = sw_error_set(err, SW_E_FAULT, "injected fault before linking '%s'", p->path);
            break;
        }
        /* created exclusively: an existing file must hold these bytes (a commit run again) */
        if (link(p->tmp, p->path) < 0) {
            if (errno != EEXIST) {
                r = sw_error_errno(err, SW_E_IO, errno, "cannot create '%s'", p->path);
                break;
            }
            r = same_bytes(p->path, p->tmp, err);
            if (r == 0)
                r = sw_error_set(err, SW_E_EXISTS,
                                 "'%s' already exists with other content; a published version "
                                 "is never rewritten",
                                 p->path);
            if (r < 0)
                break;
            r = 0;
        }
        unlink(p->tmp);
        free(p->tmp);
        p->tmp = NULL;
        sw_log_info("wrote '%s'", p->path);
    }
    /* each directory the batch created files in, once (they come in runs) */
    for (size_t i = 0; i < b->n && r == 0; i++) {
        const char *slash = strrchr(b->v[i].path, '/');
        size_t n = (size_t)(slash - b->v[i].path);
        if (synced_dir && strlen(synced_dir) == n && strncmp(synced_dir, b->v[i].path, n) == 0)
            continue;
        free(synced_dir);
        synced_dir = strndup(b->v[i].path, n);
        r = synced_dir ? sw_fs_fsync_dir(synced_dir, err)
                       : sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    free(synced_dir);
    return r;
}

void
sw_repo_batch_free(struct sw_repo_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        if (b->v[i].tmp)
            unlink(b->v[i].tmp);
        free(b->v[i].tmp);
        free(b->v[i].path);
    }
    free(b->v);
    free(b);
}

static int
read_json(const char *path, size_t max, json_t **ret, unsigned char **ret_bytes, size_t *ret_len,
          struct sw_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    int r = sw_fs_read_file(path, max, &bytes, &len, err);
    if (r < 0)
        return r;
    r = sw_cjson_parse_mem(bytes, len, max, ret, err);
    if (r < 0) {
        sw_error_prefix(err, "'%s': ", path);
        free(bytes);
        return r;
    }
    if (!json_is_object(*ret)) {
        json_decref(*ret);
        free(bytes);
        return sw_error_set(err, SW_E_METADATA, "'%s' is not a JSON object", path);
    }
    if (ret_bytes) {
        *ret_bytes = bytes;
        *ret_len = len;
    } else {
        free(bytes);
    }
    return 0;
}

static int64_t
signed_int(const json_t *env, const char *field)
{
    const json_t *v = json_object_get(json_object_get(env, "signed"), field);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* meta[NAME].version of a timestamp or snapshot envelope, or 0. */
static int64_t
meta_version(const json_t *env, const char *name)
{
    const json_t *m =
        json_object_get(json_object_get(json_object_get(env, "signed"), "meta"), name);
    const json_t *v = json_object_get(m, "version");
    return json_is_integer(v) && json_integer_value(v) > 0 ? (int64_t)json_integer_value(v) : 0;
}

/* 1 when metadata/VERSION.NAME.json exists, 0 when not, <0 on error. */
static int
version_published(const struct sw_repo *repo, const char *name, int64_t version,
                  struct sw_error *err)
{
    char *rel = NULL, *path;
    int r = sw_repo_md_name(name, version, &rel, err);
    if (r < 0)
        return r;
    path = sw_fs_join(repo->metadata_dir, rel);
    free(rel);
    if (!path)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = sw_fs_exists(path, NULL);
    free(path);
    return r == 1;
}

/* --- opening ----------------------------------------------------------------------- */

static char *
staged_role_path(const struct sw_repo *repo, const char *role, struct sw_error *err)
{
    char *fname = NULL, *path;
    if (sw_trust_role_filename(role, &fname, err) < 0)
        return NULL;
    path = sw_fs_join(repo->roles_dir, fname);
    free(fname);
    if (!path)
        sw_error_set(err, SW_E_NOMEM, "out of memory");
    return path;
}

/* Read a staged envelope; *ret stays NULL when there is none. */
static int
read_staged(const struct sw_repo *repo, const char *role, json_t **ret, struct sw_error *err)
{
    char *path = staged_role_path(repo, role, err);
    int r;
    *ret = NULL;
    if (!path)
        return -err->code;
    r = sw_fs_exists(path, err);
    if (r == 1)
        r = read_json(path, SW_MD_MAX_LEN, ret, NULL, NULL, err);
    free(path);
    return r < 0 ? r : 0;
}

static void
role_release(struct sw_repo_role *r)
{
    free(r->name);
    free(r->parent);
    json_decref(r->published);
    json_decref(r->staged);
    free(r->bytes);
}

/* FNV-1a of a role name, for the role index. */
static size_t
name_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29));
}

/* Put role idx into the index (which has room). */
static void
index_put(size_t *slots, size_t cap, const struct sw_repo_role *roles, size_t idx)
{
    size_t i = name_hash(roles[idx].name) & (cap - 1);
    while (slots[i])
        i = (i + 1) & (cap - 1);
    slots[i] = idx + 1;
}

/* Index the newest role (repo->roles[repo->n_roles - 1]), growing the index at half full. */
static int
index_add(struct sw_repo *repo, struct sw_error *err)
{
    if (2 * repo->n_roles > repo->role_index_cap) {
        size_t cap = repo->role_index_cap ? 2 * repo->role_index_cap : 64;
        size_t *slots = calloc(cap, sizeof(*slots));
        if (!slots)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        for (size_t i = 0; i + 1 < repo->n_roles; i++)
            index_put(slots, cap, repo->roles, i);
        free(repo->role_index);
        repo->role_index = slots;
        repo->role_index_cap = cap;
    }
    index_put(repo->role_index, repo->role_index_cap, repo->roles, repo->n_roles - 1);
    return 0;
}

struct sw_repo_role *
sw_repo_role(struct sw_repo *repo, const char *name)
{
    if (!repo->role_index_cap)
        return NULL;
    for (size_t i = name_hash(name) & (repo->role_index_cap - 1); repo->role_index[i];
         i = (i + 1) & (repo->role_index_cap - 1))
        if (strcmp(repo->roles[repo->role_index[i] - 1].name, name) == 0)
            return &repo->roles[repo->role_index[i] - 1];
    return NULL;
}

/* Append a role of this name (copied) and parent (copied, or NULL) to the list and the index. */
static int
add_role(struct sw_repo *repo, const char *name, const char *parent, struct sw_error *err)
{
    struct sw_repo_role *role;
    if (repo->n_roles >= SW_REPO_MAX_ROLES)
        return sw_error_set(err, SW_E_LIMIT, "more than %d targets roles", SW_REPO_MAX_ROLES);
    if (repo->n_roles == repo->roles_cap) {
        size_t cap = repo->roles_cap ? 2 * repo->roles_cap : 16;
        role = realloc(repo->roles, cap * sizeof(*role));
        if (!role)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        repo->roles = role;
        repo->roles_cap = cap;
    }
    role = &repo->roles[repo->n_roles];
    memset(role, 0, sizeof(*role));
    role->name = strdup(name);
    role->parent = parent ? strdup(parent) : NULL;
    if (!role->name || (parent && !role->parent)) {
        free(role->name);
        free(role->parent);
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    repo->n_roles++;
    return index_add(repo, err);
}

json_t *
sw_repo_role_current(const struct sw_repo_role *role)
{
    return role->staged ? role->staged : role->published;
}

json_t *
sw_repo_root_current(const struct sw_repo *repo)
{
    return repo->staged_root ? repo->staged_root : repo->root;
}

/* Load the published envelope of a role at a version. */
static int
load_published_role(struct sw_repo *repo, struct sw_repo_role *role, int64_t version,
                    struct sw_error *err)
{
    char *rel = NULL, *path = NULL;
    int r = sw_repo_md_name(role->name, version, &rel, err);
    if (r < 0)
        return r;
    path = sw_fs_join(repo->metadata_dir, rel);
    if (!path) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    r = read_json(path, SW_MD_MAX_LEN, &role->published, &role->bytes, &role->len, err);
    if (r < 0) {
        if (r == -SW_E_NOTFOUND || err->code == SW_E_IO)
            r = sw_error_prefix(err, "snapshot lists role '%s' at version %" PRId64 ": ",
                                role->name, version);
        goto out;
    }
    if (signed_int(role->published, "version") != version) {
        r = sw_error_set(err, SW_E_REPO_INVALID,
                         "'%s' does not hold version %" PRId64 " of role '%s'; run "
                         "'slipway-repo verify'",
                         path, version, role->name);
        goto out;
    }
    role->version = version;
out:
    free(rel);
    free(path);
    return r;
}

static int walk(struct sw_repo *repo, const char *name, const char *parent, unsigned depth,
                struct sw_error *err);

/* The TAP 15 bins of role idx ("succinct_roles"), in bin order; bins delegate nothing further. */
static int
walk_succinct(struct sw_repo *repo, size_t idx, unsigned depth, struct sw_error *err)
{
    const json_t *sc = json_object_get(
        json_object_get(json_object_get(sw_repo_role_current(&repo->roles[idx]), "signed"),
                        "delegations"),
        "succinct_roles");
    const json_t *bl = json_object_get(sc, "bit_length"), *np = json_object_get(sc, "name_prefix");
    char *pname, *prefix, bin[SW_MD_MAX_ROLE_NAME + 2];
    json_int_t bits;
    int r = 0;

    if (!sc)
        return 0;
    bits = json_integer_value(bl);
    if (!json_is_integer(bl) || !json_is_string(np) || bits < 1 || bits > SW_MD_MAX_SUCCINCT_BITS)
        return sw_error_set(err, SW_E_REPO_INVALID,
                            "role '%s': malformed 'delegations.succinct_roles' (bit_length 1 to "
                            "%d and a name_prefix)",
                            repo->roles[idx].name, SW_MD_MAX_SUCCINCT_BITS);
    if (repo->n_roles + ((size_t)1 << bits) > SW_REPO_MAX_ROLES)
        return sw_error_set(err, SW_E_LIMIT, "role '%s': %lu bins make more than %d targets roles",
                            repo->roles[idx].name, 1UL << bits, SW_REPO_MAX_ROLES);
    pname = strdup(repo->roles[idx].name);
    prefix = strdup(json_string_value(np));
    if (!pname || !prefix) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; r == 0 && i < (uint32_t)1 << bits; i++) {
        if (sw_md_succinct_bin_name(prefix, (unsigned)bits, i, bin, sizeof(bin)) < 0) {
            r = sw_error_set(err, SW_E_REPO_INVALID, "role '%s': name_prefix is too long", pname);
            break;
        }
        r = walk(repo, bin, pname, depth + 1, err);
    }
out:
    free(pname);
    free(prefix);
    return r;
}

/* Pre-order walk of the delegation tree, each role once. */
static int
walk(struct sw_repo *repo, const char *name, const char *parent, unsigned depth,
     struct sw_error *err)
{
    struct sw_repo_role *role;
    const json_t *roles;
    size_t idx;
    int r;

    if (sw_repo_role(repo, name))
        return 0;
    if (depth > SW_REPO_MAX_ROLES)
        return sw_error_set(err, SW_E_LIMIT, "more than %d targets roles", SW_REPO_MAX_ROLES);
    idx = repo->n_roles;
    r = add_role(repo, name, parent, err);
    if (r < 0)
        return r;
    role = &repo->roles[idx];
    {
        char *mname = NULL;
        if (asprintf(&mname, "%s.json", name) < 0)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        int64_t v = repo->snapshot ? meta_version(repo->snapshot, mname) : 0;
        free(mname);
        while (repo->probe && v < SW_REPO_MAX_VERSIONS) {
            r = version_published(repo, name, v + 1, err);
            if (r < 0)
                return r;
            if (r == 0)
                break;
            v++;
        }
        if (v > 0) {
            r = load_published_role(repo, role, v, err);
            if (r < 0)
                return r;
        }
    }
    r = read_staged(repo, name, &role->staged, err);
    if (r < 0)
        return r;
    r = walk_succinct(repo, idx, depth, err);
    if (r < 0)
        return r;
    roles = json_object_get(
        json_object_get(json_object_get(sw_repo_role_current(role), "signed"), "delegations"),
        "roles");
    for (size_t i = 0; i < json_array_size(roles); i++) {
        const json_t *n = json_object_get(json_array_get(roles, i), "name");
        char *child;
        if (!json_is_string(n))
            continue;
        child = strdup(json_string_value(n));
        if (!child)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        /* repo->roles may move: pass copies */
        {
            char *pname = strdup(name);
            if (!pname) {
                free(child);
                return sw_error_set(err, SW_E_NOMEM, "out of memory");
            }
            r = walk(repo, child, pname, depth + 1, err);
            free(pname);
        }
        free(child);
        if (r < 0)
            return r;
        roles = json_object_get(
            json_object_get(json_object_get(sw_repo_role_current(&repo->roles[idx]), "signed"),
                            "delegations"),
            "roles");
    }
    return 0;
}

/*
 * Read staged/sources.json into repo->sources, once, when a command first
 * needs it ('add', 'unstage', 'commit' at the copy): a commit of 100 000
 * targets does not hold it while it signs.
 */
static int
load_sources(struct sw_repo *repo, struct sw_error *err)
{
    char *path;
    int r;

    if (repo->sources)
        return 0;
    path = sw_fs_join(repo->staged_dir, "sources.json");
    if (!path)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = sw_fs_exists(path, err);
    if (r == 1)
        r = read_json(path, SW_REPO_MAX_SOURCES_LEN, &repo->sources, NULL, NULL, err);
    free(path);
    if (r < 0)
        return r;
    if (!repo->sources && !(repo->sources = json_object()))
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    return 0;
}

static int
take_lock(struct sw_repo *repo, struct sw_error *err)
{
    char *path = sw_fs_join(repo->staged_dir, "lock");
    int fd;
    if (!path)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        int r = sw_error_errno(err, SW_E_IO, errno, "cannot open lock '%s'", path);
        free(path);
        return r;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno, r;
        close(fd);
        if (e == EWOULDBLOCK)
            r = sw_error_set(err, SW_E_BUSY,
                             "another slipway-repo holds '%s'; try again when it has finished",
                             path);
        else
            r = sw_error_errno(err, SW_E_IO, e, "cannot lock '%s'", path);
        free(path);
        return r;
    }
    free(path);
    repo->lock_fd = fd;
    return 0;
}

static int
load(struct sw_repo *repo, struct sw_error *err)
{
    char *path = NULL;
    int r = 0;

    /* the newest root: N.root.json for N = 1, 2, ... */
    for (int64_t v = 1; v <= SW_REPO_MAX_VERSIONS; v++) {
        char rel[48];
        snprintf(rel, sizeof(rel), "%" PRId64 ".root.json", v);
        free(path);
        path = sw_fs_join(repo->metadata_dir, rel);
        if (!path)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        r = sw_fs_exists(path, err);
        if (r < 0)
            goto out;
        if (r == 0)
            break;
        repo->root_version = v;
    }
    if (repo->root_version > 0) {
        char rel[48];
        snprintf(rel, sizeof(rel), "%" PRId64 ".root.json", repo->root_version);
        free(path);
        path = sw_fs_join(repo->metadata_dir, rel);
        if (!path)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        r = read_json(path, SW_MD_MAX_LEN, &repo->root, NULL, NULL, err);
        if (r < 0)
            goto out;
    }
    free(path);
    path = sw_fs_join(repo->metadata_dir, "timestamp.json");
    if (!path)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = sw_fs_exists(path, err);
    if (r < 0)
        goto out;
    if (r == 1) {
        r = read_json(path, SW_MD_MAX_LEN, &repo->timestamp, NULL, NULL, err);
        if (r < 0)
            goto out;
        repo->timestamp_version = signed_int(repo->timestamp, "version");
        repo->snapshot_version = meta_version(repo->timestamp, "snapshot.json");
        if (repo->snapshot_version > 0) {
            char rel[48];
            snprintf(rel, sizeof(rel), "%" PRId64 ".snapshot.json", repo->snapshot_version);
            free(path);
            path = sw_fs_join(repo->metadata_dir, rel);
            if (!path)
                return sw_error_set(err, SW_E_NOMEM, "out of memory");
            r = read_json(path, SW_MD_MAX_LEN, &repo->snapshot, NULL, NULL, err);
            if (r < 0)
                goto out;
            if (signed_int(repo->snapshot, "version") != repo->snapshot_version) {
                r = sw_error_set(err, SW_E_REPO_INVALID,
                                 "'%s' does not hold snapshot version %" PRId64
                                 "; run 'slipway-repo verify'",
                                 path, repo->snapshot_version);
                goto out;
            }
        }
    }
    r = read_staged(repo, "root", &repo->staged_root, err);
    if (r < 0)
        goto out;
    free(path);
    path = sw_fs_join(repo->staged_dir, "keynames.json");
    if (!path)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = sw_fs_exists(path, err);
    if (r == 1)
        r = read_json(path, SW_REPO_MAX_KEYNAMES_LEN, &repo->keynames, NULL, NULL, err);
    if (r < 0)
        goto out;
    if (!repo->keynames && !(repo->keynames = json_object())) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    /* staged/sources.json is read when first needed (load_sources) */
    r = walk(repo, "targets", NULL, 0, err);
out:
    free(path);
    return r < 0 ? r : 0;
}

int
sw_repo_open(const char *dir, unsigned flags, struct sw_repo **ret, struct sw_error *err)
{
    struct sw_repo *repo = calloc(1, sizeof(*repo));
    int r;

    if (!repo)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    repo->lock_fd = -1;
    repo->probe = (flags & SW_REPO_PROBE) != 0;
    repo->dir = strdup(dir);
    repo->metadata_dir = sw_fs_join(dir, "metadata");
    repo->targets_dir = sw_fs_join(dir, "targets");
    repo->staged_dir = sw_fs_join(dir, "staged");
    repo->roles_dir = sw_fs_join(dir, "staged/roles");
    if (!repo->dir || !repo->metadata_dir || !repo->targets_dir || !repo->staged_dir ||
        !repo->roles_dir) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    if (flags & SW_REPO_CREATE) {
        char *root1 = sw_fs_join(repo->metadata_dir, "1.root.json");
        char *staged_root = sw_fs_join(repo->roles_dir, "root.json");
        int e1 = root1 ? sw_fs_exists(root1, NULL) : -1;
        int e2 = staged_root ? sw_fs_exists(staged_root, NULL) : -1;
        free(root1);
        free(staged_root);
        if (e1 != 0 || e2 != 0) {
            r = sw_error_set(err, SW_E_EXISTS,
                             "'%s' already holds a repository (or cannot be read)", dir);
            goto out;
        }
        if ((r = sw_fs_mkdir_p(repo->metadata_dir, 0755, err)) < 0 ||
            (r = sw_fs_mkdir_p(repo->targets_dir, 0755, err)) < 0 ||
            (r = sw_fs_mkdir_p(repo->roles_dir, 0755, err)) < 0)
            goto out;
    } else {
        struct stat st;
        if (stat(repo->metadata_dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
            stat(repo->staged_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
            r = sw_error_set(err, SW_E_NOTFOUND,
                             "'%s' is not a slipway-repo repository (no metadata/ and staged/); "
                             "make one with 'slipway-repo init'",
                             dir);
            goto out;
        }
        r = sw_fs_mkdir_p(repo->roles_dir, 0755, err);
        if (r < 0)
            goto out;
    }
    if (!(flags & SW_REPO_NOLOCK)) {
        r = take_lock(repo, err);
        if (r < 0)
            goto out;
    }
    r = load(repo, err);
out:
    if (r < 0) {
        sw_repo_free(repo);
        return r;
    }
    *ret = repo;
    return 0;
}

void
sw_repo_free(struct sw_repo *repo)
{
    if (!repo)
        return;
    for (size_t i = 0; i < repo->n_roles; i++)
        role_release(&repo->roles[i]);
    free(repo->roles);
    free(repo->role_index);
    free(repo->src_dir);
    free(repo->src_dir_real);
    free(repo->made_dir);
    json_decref(repo->root);
    json_decref(repo->staged_root);
    json_decref(repo->timestamp);
    json_decref(repo->snapshot);
    json_decref(repo->keynames);
    json_decref(repo->sources);
    if (repo->lock_fd >= 0)
        close(repo->lock_fd);
    free(repo->dir);
    free(repo->metadata_dir);
    free(repo->targets_dir);
    free(repo->staged_dir);
    free(repo->roles_dir);
    free(repo);
}

/* --- staging ----------------------------------------------------------------------- */

static json_t *
empty_targets(void)
{
    return json_pack("{s:s,s:s,s:i,s:s,s:{}}", "_type", "targets", "spec_version",
                     SW_REPO_SPEC_VERSION, "version", 1, "expires", "1970-01-01T00:00:00Z",
                     "targets");
}

/* Make or edit the staged envelope: new version, fresh expiry, no signatures. */
static int
restage(json_t **staged, const json_t *published, int64_t pub_version, const char *name,
        enum sw_md_type type, const struct sw_repo_expiry *e, time_t now, json_t **ret_signed,
        size_t *ret_dropped, struct sw_error *err)
{
    char exp[21];
    json_t *signed_;
    size_t dropped = 0;

    if (!*staged && pub_version >= SW_MD_MAX_VERSION)
        return sw_error_set(err, SW_E_VERSION,
                            "role '%s' is at version %" PRId64 ", the largest a client accepts",
                            name, pub_version);
    if (!*staged) {
        json_t *copy =
            published ? json_deep_copy(json_object_get(published, "signed")) : empty_targets();
        if (!copy)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        *staged = json_pack("{s:[],s:o}", "signatures", "signed", copy);
        if (!*staged)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        if (json_object_set_new(copy, "version", json_integer(pub_version + 1)) < 0)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
    } else {
        dropped = json_array_size(json_object_get(*staged, "signatures"));
        if (json_object_set_new(*staged, "signatures", json_array()) < 0)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    signed_ = json_object_get(*staged, "signed");
    if (!json_is_object(signed_))
        return sw_error_set(err, SW_E_METADATA, "staged role '%s' has no 'signed' object", name);
    sw_repo_expiry_for(e, name, type, now, exp);
    if (json_object_set_new(signed_, "expires", json_string(exp)) < 0 ||
        json_object_set_new(signed_, "spec_version", json_string(SW_REPO_SPEC_VERSION)) < 0)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    *ret_signed = signed_;
    if (ret_dropped)
        *ret_dropped = dropped;
    return 0;
}

int
sw_repo_stage(struct sw_repo *repo, const char *name, const struct sw_repo_expiry *e, time_t now,
              json_t **ret_signed, size_t *ret_dropped, struct sw_error *err)
{
    struct sw_repo_role *role = sw_repo_role(repo, name);
    int r;
    if (!role)
        return sw_error_set(err, SW_E_NOTFOUND, "no role '%s' is delegated in '%s'", name,
                            repo->dir);
    r = restage(&role->staged, role->published, role->version, name, SW_MD_TARGETS, e, now,
                ret_signed, ret_dropped, err);
    if (r == 0)
        role->dirty = 1;
    return r;
}

int
sw_repo_stage_new_role(struct sw_repo *repo, const char *name, const char *parent,
                       const struct sw_repo_expiry *e, time_t now, struct sw_error *err)
{
    struct sw_repo_role *role;
    int64_t last = 0;
    json_t *signed_;
    int r;

    if (sw_repo_role(repo, name))
        return sw_error_set(err, SW_E_EXISTS, "role '%s' already exists", name);
    if (repo->n_roles >= SW_REPO_MAX_ROLES)
        return sw_error_set(err, SW_E_LIMIT, "more than %d targets roles", SW_REPO_MAX_ROLES);
    /* a role delegated once before keeps counting its versions */
    for (int64_t v = 1; v <= SW_REPO_MAX_VERSIONS; v++) {
        r = version_published(repo, name, v, err);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        last = v;
    }
    r = add_role(repo, name, parent, err);
    if (r < 0)
        return r;
    role = &repo->roles[repo->n_roles - 1];
    r = restage(&role->staged, NULL, last, name, SW_MD_TARGETS, e, now, &signed_, NULL, err);
    if (r == 0)
        role->dirty = 1;
    return r;
}

int
sw_repo_stage_root(struct sw_repo *repo, const struct sw_repo_expiry *e, time_t now,
                   json_t **ret_signed, size_t *ret_dropped, struct sw_error *err)
{
    int r;
    if (!repo->root && !repo->staged_root)
        return sw_error_set(err, SW_E_NOTFOUND, "'%s' has no root; run 'slipway-repo init'",
                            repo->dir);
    r = restage(&repo->staged_root, repo->root, repo->root_version, "root", SW_MD_ROOT, e, now,
                ret_signed, ret_dropped, err);
    if (r == 0)
        repo->root_dirty = 1;
    return r;
}

/* Write env into a new temporary file next to the staged file of name; no fsync. */
static int
write_pending(const struct sw_repo *repo, const char *name, const json_t *env,
              struct pending_file *p, struct sw_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0, off = 0;
    int fd = -1, r;

    p->path = staged_role_path(repo, name, err);
    if (!p->path)
        return -err->code;
    if (asprintf(&p->tmp, "%s.tmpXXXXXX", p->path) < 0) {
        p->tmp = NULL;
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    r = sw_repo_encode(env, &bytes, &len, err);
    if (r < 0) {
        free(p->tmp);
        p->tmp = NULL;
        return r;
    }
    fd = mkostemp(p->tmp, O_CLOEXEC);
    if (fd < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot create a file in '%s'", repo->roles_dir);
        free(p->tmp);
        p->tmp = NULL;
        goto out;
    }
    (void)fchmod(fd, 0644);
    while (off < len) {
        ssize_t w = write(fd, bytes + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            r = sw_error_errno(err, SW_E_IO, errno, "cannot write '%s'", p->tmp);
            goto out;
        }
        off += (size_t)w;
    }
    if (close(fd) < 0) {
        fd = -1;
        r = sw_error_errno(err, SW_E_IO, errno, "cannot write '%s'", p->tmp);
        goto out;
    }
    fd = -1;
    sw_log_debug("wrote the staged envelope '%s' (%zu bytes)", p->path, len);
out:
    if (fd >= 0)
        close(fd);
    free(bytes);
    return r;
}

/*
 * Write every changed staged envelope (root's and the targets roles'), as
 * a batch: each into a temporary file, one syncfs() of the file system,
 * each renamed into place, one fsync of staged/roles/. A delegation of
 * 2^14 bins costs two syncs, not 2^15 fsyncs. A crash leaves each staged
 * file old or new, never torn.
 */
static int
save_roles(struct sw_repo *repo, struct sw_error *err)
{
    struct pending_file *p = NULL;
    size_t n = 0, cap = repo->n_roles + 1;
    int fd = -1, r = 0;

    for (size_t i = 0; i <= repo->n_roles && r == 0; i++) {
        const char *name = i == 0 ? "root" : repo->roles[i - 1].name;
        const json_t *env = i == 0 ? repo->staged_root : repo->roles[i - 1].staged;
        int dirty = i == 0 ? repo->root_dirty : repo->roles[i - 1].dirty;
        if (!dirty || !env)
            continue;
        if (!p && !(p = calloc(cap, sizeof(*p)))) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            break;
        }
        r = write_pending(repo, name, env, &p[n], err);
        n++;
    }
    if (r < 0 || n == 0)
        goto out;
    fd = open(repo->roles_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot open '%s'", repo->roles_dir);
        goto out;
    }
    if (SW_FAULT("fs-write-fsync")) {
        r = sw_error_set(err, SW_E_FAULT, "injected fault before syncing '%s'", repo->roles_dir);
        goto out;
    }
    if (syncfs(fd) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot sync the file system of '%s'",
                           repo->roles_dir);
        goto out;
    }
    if (SW_FAULT("fs-write-rename")) {
        r = sw_error_set(err, SW_E_FAULT, "injected fault before renaming into '%s'",
                         repo->roles_dir);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (rename(p[i].tmp, p[i].path) < 0) {
            r = sw_error_errno(err, SW_E_IO, errno, "cannot rename '%s'", p[i].tmp);
            goto out;
        }
        free(p[i].tmp);
        p[i].tmp = NULL;
    }
    r = sw_fs_fsync_dir(repo->roles_dir, err);
    if (r < 0)
        goto out;
    repo->root_dirty = 0;
    for (size_t i = 0; i < repo->n_roles; i++)
        repo->roles[i].dirty = 0;
out:
    if (fd >= 0)
        close(fd);
    for (size_t i = 0; p && i < n; i++) {
        if (p[i].tmp)
            unlink(p[i].tmp);
        free(p[i].tmp);
        free(p[i].path);
    }
    free(p);
    return r;
}

int
sw_repo_save(struct sw_repo *repo, struct sw_error *err)
{
    int r = save_roles(repo, err);
    if (r < 0)
        return r;
    if (repo->keynames_dirty) {
        char *path = sw_fs_join(repo->staged_dir, "keynames.json");
        char *s = json_dumps(repo->keynames, JSON_INDENT(1) | JSON_SORT_KEYS);
        r = path && s ? sw_fs_write_atomic(path, s, strlen(s), 0644, err)
                      : sw_error_set(err, SW_E_NOMEM, "out of memory");
        free(path);
        free(s);
        if (r < 0)
            return r;
        repo->keynames_dirty = 0;
    }
    if (repo->sources_dirty) {
        /* compact and in insertion order: read back only by slipway-repo */
        char *path = sw_fs_join(repo->staged_dir, "sources.json");
        char *s = json_dumps(repo->sources, JSON_COMPACT);
        if (!path || !s)
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        else if (json_object_size(repo->sources) == 0)
            r = sw_fs_unlink(path, err);
        else
            r = sw_fs_write_atomic(path, s, strlen(s), 0644, err);
        free(path);
        free(s);
        if (r < 0)
            return r;
        repo->sources_dirty = 0;
    }
    return 0;
}

static int
unlink_staged(const struct sw_repo *repo, const char *name, struct sw_error *err)
{
    char *path = staged_role_path(repo, name, err);
    int r;
    if (!path)
        return -err->code;
    r = sw_fs_unlink(path, err);
    free(path);
    return r;
}

int
sw_repo_clear_staged(struct sw_repo *repo, struct sw_error *err)
{
    int r = unlink_staged(repo, "root", err);
    if (r < 0)
        return r;
    json_decref(repo->staged_root);
    repo->staged_root = NULL;
    repo->root_dirty = 0;
    for (size_t i = 0; i < repo->n_roles; i++) {
        struct sw_repo_role *role = &repo->roles[i];
        r = unlink_staged(repo, role->name, err);
        if (r < 0)
            return r;
        json_decref(role->staged);
        role->staged = NULL;
        role->dirty = 0;
    }
    if (!repo->sources) {
        /* never read: an empty set, so that sw_repo_save() removes the file */
        if (!(repo->sources = json_object()))
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        repo->sources_dirty = 1;
    } else if (json_object_size(repo->sources)) {
        json_object_clear(repo->sources);
        repo->sources_dirty = 1;
    }
    return sw_fs_fsync_dir(repo->roles_dir, err);
}

int
sw_repo_unstage(struct sw_repo *repo, const char *name, int *ret_had, size_t *ret_sources,
                struct sw_error *err)
{
    size_t n = 0;
    int r, had = 0;

    r = load_sources(repo, err);
    if (r < 0)
        return r;
    if (strcmp(name, "root") == 0) {
        had = repo->staged_root != NULL;
        json_decref(repo->staged_root);
        repo->staged_root = NULL;
        repo->root_dirty = 0;
    } else {
        struct sw_repo_role *role = sw_repo_role(repo, name);
        if (!role)
            return sw_error_set(err, SW_E_NOTFOUND, "no role '%s' in '%s'", name, repo->dir);
        had = role->staged != NULL;
        json_decref(role->staged);
        role->staged = NULL;
        role->dirty = 0;
        n = json_object_size(json_object_get(repo->sources, name));
        if (json_object_get(repo->sources, name)) {
            json_object_del(repo->sources, name);
            repo->sources_dirty = 1;
        }
    }
    r = unlink_staged(repo, name, err);
    if (r < 0)
        return r;
    *ret_had = had;
    *ret_sources = n;
    return 0;
}

int
sw_repo_note_keyname(struct sw_repo *repo, const char *keyid, const char *name,
                     struct sw_error *err)
{
    const json_t *old = json_object_get(repo->keynames, keyid);
    if (json_is_string(old) && strcmp(json_string_value(old), name) == 0)
        return 0;
    if (json_object_set_new(repo->keynames, keyid, json_string(name)) < 0)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    repo->keynames_dirty = 1;
    return 0;
}

const char *
sw_repo_keyname(const struct sw_repo *repo, const char *keyid)
{
    const json_t *v = json_object_get(repo->keynames, keyid);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* --- target files ------------------------------------------------------------------ */

/*
 * mkdir -p of the directory of path, unless it is the one made last by
 * this command (a run of targets in one directory makes it once).
 */
static int
make_parent_once(struct sw_repo *repo, const char *path, struct sw_error *err)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    int r;
    if (repo->made_dir && strlen(repo->made_dir) == n && strncmp(repo->made_dir, path, n) == 0)
        return 0;
    r = mkdir_parent(path, err);
    if (r < 0)
        return r;
    free(repo->made_dir);
    repo->made_dir = strndup(path, n);
    return 0;
}

static int
link_as(const char *tmp, const char *dest, off_t size, struct sw_error *err)
{
    struct stat st;
    if (link(tmp, dest) == 0)
        return 0;
    if (errno != EEXIST)
        return sw_error_errno(err, SW_E_IO, errno, "cannot link '%s'", dest);
    /* content-addressed: the same name holds the same bytes, unless damaged */
    if (lstat(dest, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != size)
        return sw_error_set(err, SW_E_EXISTS,
                            "'%s' exists but is not the same file; remove it and add again", dest);
    return 0;
}

int
sw_repo_import_target(struct sw_repo *repo, const char *src, const char *path, json_t **ret_info,
                      struct sw_error *err)
{
    return sw_repo_import_target_batch(repo, src, path, 0, ret_info, err);
}

int
sw_repo_sync_targets(const struct sw_repo *repo, struct sw_error *err)
{
    int fd = open(repo->targets_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot open '%s'", repo->targets_dir);
    if (SW_FAULT("repo-target-sync")) {
        close(fd);
        return sw_error_set(err, SW_E_FAULT, "injected fault before syncing '%s'",
                            repo->targets_dir);
    }
    if (syncfs(fd) < 0) {
        int e = errno;
        close(fd);
        return sw_error_errno(err, SW_E_IO, e, "cannot sync the file system of '%s'",
                              repo->targets_dir);
    }
    close(fd);
    return 0;
}

/* The same length and sha256 and sha512 digests, as info objects hold them. */
static int
same_content(const json_t *a, const json_t *b)
{
    const json_t *ha = json_object_get(a, "hashes"), *hb = json_object_get(b, "hashes");
    const char *names[] = {"sha256", "sha512"};
    if (!json_is_integer(json_object_get(a, "length")) ||
        json_integer_value(json_object_get(a, "length")) !=
            json_integer_value(json_object_get(b, "length")))
        return 0;
    for (size_t i = 0; i < 2; i++) {
        const char *x = json_string_value(json_object_get(ha, names[i]));
        const char *y = json_string_value(json_object_get(hb, names[i]));
        if (!x || !y || strcmp(x, y) != 0)
            return 0;
    }
    return 1;
}

static int import_file(struct sw_repo *repo, const char *src, const char *path, int batch, int copy,
                       const json_t *expect, json_t **ret_info, struct sw_error *err);

int
sw_repo_import_target_batch(struct sw_repo *repo, const char *src, const char *path, int batch,
                            json_t **ret_info, struct sw_error *err)
{
    return import_file(repo, src, path, batch, 1, NULL, ret_info, err);
}

int
sw_repo_hash_file(const char *src, json_t **ret_info, struct sw_error *err)
{
    return import_file(NULL, src, NULL, 1, 0, NULL, ret_info, err);
}

/*
 * realpath(src), resolving the directory of src once for a run of files in
 * it: a file that is not a symbolic link resolves to its directory's real
 * path and its name. NULL with errno set when it cannot be resolved.
 */
static char *
resolve_source(struct sw_repo *repo, const char *src)
{
    const char *slash = strrchr(src, '/');
    char *dir, *out;
    struct stat st;

    if (lstat(src, &st) < 0)
        return NULL;
    if (S_ISLNK(st.st_mode) || (slash && !slash[1]))
        return realpath(src, NULL);
    dir = slash ? strndup(src, (size_t)(slash - src) + (slash == src)) : strdup(".");
    if (!dir)
        return NULL;
    if (!repo->src_dir || strcmp(repo->src_dir, dir) != 0) {
        char *real = realpath(dir, NULL);
        if (!real) {
            free(dir);
            return NULL;
        }
        free(repo->src_dir);
        free(repo->src_dir_real);
        repo->src_dir = dir;
        repo->src_dir_real = real;
    } else {
        free(dir);
    }
    out = sw_fs_join(repo->src_dir_real, slash ? slash + 1 : src);
    if (!out)
        errno = ENOMEM;
    return out;
}

int
sw_repo_note_source(struct sw_repo *repo, const char *path, const char *role, const char *src,
                    const json_t *info, struct sw_error *err)
{
    char *abs;
    json_t *e, *of_role;
    int r = load_sources(repo, err);
    if (r < 0)
        return r;
    of_role = json_object_get(repo->sources, role);
    abs = resolve_source(repo, src);
    if (!abs)
        return sw_error_errno(err, SW_E_IO, errno, "cannot resolve '%s'", src);
    e = json_pack("{s:s,s:O,s:O}", "source", abs, "length", json_object_get(info, "length"),
                  "hashes", json_object_get(info, "hashes"));
    free(abs);
    if (!e)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    if (!json_is_object(of_role)) {
        of_role = json_object();
        if (!of_role || json_object_set_new(repo->sources, role, of_role) < 0) {
            json_decref(e);
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        }
    }
    if (json_object_set_new(of_role, path, e) < 0)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    repo->sources_dirty = 1;
    return 0;
}

/* Whether targets/ already holds the file of info under both of its names. */
static int
target_present(const struct sw_repo *repo, const char *path, const json_t *info)
{
    const char *names[] = {"sha256", "sha512"};
    for (size_t i = 0; i < 2; i++) {
        const char *hex =
            json_string_value(json_object_get(json_object_get(info, "hashes"), names[i]));
        char *rel = NULL, *full;
        struct stat st;
        int ok;
        if (!hex || sw_repo_target_file_name(path, hex, &rel, NULL) < 0)
            return 0;
        full = sw_fs_join(repo->targets_dir, rel);
        free(rel);
        ok = full && lstat(full, &st) == 0 && S_ISREG(st.st_mode) &&
             st.st_size == (off_t)json_integer_value(json_object_get(info, "length"));
        free(full);
        if (!ok)
            return 0;
    }
    return 1;
}

int
sw_repo_copy_sources(struct sw_repo *repo, size_t *ret_copied, struct sw_error *err)
{
    size_t copied = 0;
    int r = load_sources(repo, err);

    if (r < 0)
        return r;
    for (size_t i = 0; i < repo->n_roles; i++) {
        struct sw_repo_role *role = &repo->roles[i];
        const char *path;
        const json_t *t;
        if (!role->staged)
            continue;
        json_object_foreach(json_object_get(json_object_get(role->staged, "signed"), "targets"),
                            path, t)
        {
            const json_t *src = json_object_get(json_object_get(repo->sources, role->name), path);
            const char *file = json_string_value(json_object_get(src, "source"));
            json_t *info = NULL;
            if (!file || !same_content(src, t))
                continue;
            if (target_present(repo, path, t)) {
                sw_log_debug("target '%s' is already in '%s'", path, repo->targets_dir);
                continue;
            }
            r = import_file(repo, file, path, 1, 1, t, &info, err);
            json_decref(info);
            if (r < 0)
                return sw_error_prefix(err, "target '%s' of role '%s': ", path, role->name);
            sw_log_info("copied '%s' into '%s' as target '%s'", file, repo->targets_dir, path);
            copied++;
        }
    }
    if (copied) {
        r = sw_repo_sync_targets(repo, err);
        if (r < 0)
            return r;
    }
    *ret_copied = copied;
    return 0;
}

/*
 * Stream src once through both digests; with copy, into a temporary file
 * under targets/ linked under both names; with expect, refuse (leaving
 * nothing) a length or digest that differs from it.
 */
static int
import_file(struct sw_repo *repo, const char *src, const char *path, int batch, int copy,
            const json_t *expect, json_t **ret_info, struct sw_error *err)
{
    struct sw_hash *h256 = NULL, *h512 = NULL;
    unsigned char *chunk = NULL, d256[SW_HASH_MAX_LEN], d512[SW_HASH_MAX_LEN];
    char x256[SW_HASH_MAX_HEX], x512[SW_HASH_MAX_HEX];
    char *tmp = NULL, *rel256 = NULL, *rel512 = NULL, *dest256 = NULL, *dest512 = NULL;
    int in = -1, out = -1, r;
    off_t total = 0;
    size_t chunk_len;
    struct stat st;

    *ret_info = NULL;
    in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot open '%s'", src);
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
        r = sw_error_set(err, SW_E_INVAL, "'%s' is not a regular file", src);
        goto out;
    }
    if ((r = sw_hash_new(SW_HASH_SHA256, &h256, err)) < 0 ||
        (r = sw_hash_new(SW_HASH_SHA512, &h512, err)) < 0)
        goto out;
    /* a small file is read into a buffer of its size (and one byte to see its end) */
    chunk_len = st.st_size >= 0 && st.st_size < COPY_CHUNK ? (size_t)st.st_size + 1 : COPY_CHUNK;
    if (!copy) {
        if (!(chunk = malloc(chunk_len))) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto out;
        }
        goto stream;
    }
    /* a temporary name next to the final ones, so link() stays in one directory */
    r = sw_repo_target_file_name(path, ".slipway-import-XXXXXX", &rel256, err);
    if (r < 0)
        goto out;
    tmp = sw_fs_join(repo->targets_dir, rel256);
    free(rel256);
    rel256 = NULL;
    if (!tmp || !(chunk = malloc(chunk_len))) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    r = make_parent_once(repo, tmp, err);
    if (r < 0)
        goto out;
    {
        /* the template's XXXXXX sits before ".NAME": mkostemps keeps the suffix */
        const char *x = strstr(strrchr(tmp, '/'), "XXXXXX");
        int suffix = (int)strlen(x + 6);
        out = mkostemps(tmp, suffix, O_CLOEXEC);
    }
    if (out < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot create a file in '%s'", repo->targets_dir);
        free(tmp);
        tmp = NULL;
        goto out;
    }
    (void)fchmod(out, 0644);
stream:
    for (;;) {
        ssize_t n = read(in, chunk, chunk_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = sw_error_errno(err, SW_E_IO, errno, "cannot read '%s'", src);
            goto out;
        }
        if (n == 0)
            break;
        if ((r = sw_hash_update(h256, chunk, (size_t)n, err)) < 0 ||
            (r = sw_hash_update(h512, chunk, (size_t)n, err)) < 0)
            goto out;
        for (ssize_t off = 0; out >= 0 && off < n;) {
            ssize_t w = write(out, chunk + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                r = sw_error_errno(err, SW_E_IO, errno, "cannot write '%s'", tmp);
                goto out;
            }
            off += w;
        }
        total += n;
    }
    if (copy && !batch && fsync(out) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot fsync '%s'", tmp);
        goto out;
    }
    if ((r = sw_hash_final(h256, d256, err)) < 0 || (r = sw_hash_final(h512, d512, err)) < 0)
        goto out;
    sw_hex_encode(d256, sw_hash_len(SW_HASH_SHA256), x256);
    sw_hex_encode(d512, sw_hash_len(SW_HASH_SHA512), x512);
    *ret_info = json_pack("{s:I,s:{s:s,s:s}}", "length", (json_int_t)total, "hashes", "sha256",
                          x256, "sha512", x512);
    if (!*ret_info) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    if (expect && !same_content(expect, *ret_info)) {
        r = sw_error_set(
            err, SW_E_INVAL,
            "'%s' changed since it was added (now %lld bytes, sha256 %s; added as "
            "%" JSON_INTEGER_FORMAT " bytes, sha256 %s): add it again, or "
            "'slipway-repo unstage' to drop the change",
            src, (long long)total, x256, json_integer_value(json_object_get(expect, "length")),
            json_string_value(json_object_get(json_object_get(expect, "hashes"), "sha256")));
        goto out;
    }
    if (!copy)
        goto out;
    if ((r = sw_repo_target_file_name(path, x256, &rel256, err)) < 0 ||
        (r = sw_repo_target_file_name(path, x512, &rel512, err)) < 0)
        goto out;
    dest256 = sw_fs_join(repo->targets_dir, rel256);
    dest512 = sw_fs_join(repo->targets_dir, rel512);
    if (!dest256 || !dest512) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    if (SW_FAULT("repo-target-link")) {
        r = sw_error_set(err, SW_E_FAULT, "injected fault before linking '%s'", dest256);
        goto out;
    }
    if ((r = link_as(tmp, dest256, total, err)) < 0 || (r = link_as(tmp, dest512, total, err)) < 0)
        goto out;
    r = batch ? 0 : sw_fs_fsync_parent(dest256, err);
out:
    if (r < 0 && ret_info && *ret_info) {
        json_decref(*ret_info);
        *ret_info = NULL;
    }
    if (out >= 0)
        close(out);
    if (in >= 0)
        close(in);
    if (tmp)
        unlink(tmp);
    sw_hash_free(h256);
    sw_hash_free(h512);
    free(chunk);
    free(tmp);
    free(rel256);
    free(rel512);
    free(dest256);
    free(dest512);
    return r;
}
