/* SPDX-License-Identifier: MIT */
/*
 * The fetch module: builds URLs from a mirror's base and a checked relative
 * path, downloads over libcurl (https, http where allowed) or reads file://
 * mirrors directly, enforcing caps, pins, redirects that stay on the mirror,
 * timeouts, retries and failover. File downloads are hashed and written on a
 * second thread while the next bytes arrive. What the bytes mean is the
 * caller's business (the verify callback).
 */
#include <slipway/fault.h>
#include <slipway/fetch.h>
#include <slipway/pin.h>
#include <slipway/fs.h>
#include <slipway/log.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SINK_BLOCK (1024 * 1024)  /* bytes handed to the writer thread at once */
#define SINK_NBLOCKS 8            /* blocks in flight: the memory a download uses */
#define SINK_SYNC_EVERY (8 << 20) /* buffered: start write-back every this many bytes */
#define DIRECT_ALIGN 4096         /* O_DIRECT: alignment of offsets, lengths and memory */
#define CURL_BUFFER (256 * 1024)  /* libcurl's receive buffer */
#define PROGRESS_EVERY 0.1        /* seconds between progress events */
#define MSG_PATH_MAX 200          /* bytes of a path or URL quoted in a message */

enum scheme {
    SCHEME_HTTPS,
    SCHEME_HTTP,
    SCHEME_FILE,
};

/* One base URL of a mirror, parsed once. */
struct base_url {
    char *url; /* ends in '/' */
    enum scheme scheme;
    char *scheme_str; /* as libcurl normalises it, for redirect checks */
    char *host;
    char *port; /* numeric, the scheme's default filled in */
    char *path; /* canonical (canonical_path), ends in '/': redirects stay below it */
    char *dir;  /* file://: the decoded local directory */
};

struct mirror {
    char *name;
    struct base_url base[2]; /* SW_FETCH_METADATA, SW_FETCH_TARGETS */
    char *pin;
    char *ca_file;
    int allow_http;
};

struct sw_fetch {
    struct mirror *mirrors;
    size_t n_mirrors;
    struct sw_fetch_settings s;
    CURL *curl;
    char curl_err[CURL_ERROR_SIZE];
    unsigned total_requests; /* every request made, failed ones included */
};

/* --- small helpers ---------------------------------------------------------------- */

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A copy of s safe to print: printable ASCII kept, other bytes as \xNN, shortened. */
static const char *
quote(const char *s, char *out, size_t outlen)
{
    size_t o = 0;
    for (; *s && o + 5 < outlen; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[o++] = (char)c;
        } else {
            snprintf(out + o, outlen - o, "\\x%02x", c);
            o += 4;
        }
    }
    if (*s && outlen > 4) {
        if (o > outlen - 4)
            o = outlen - 4;
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

static int
is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-' || c == '~';
}

static int
write_all_at(int fd, const unsigned char *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

void
sw_fetch_settings_from_config(const struct sw_config *cfg, struct sw_fetch_settings *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->connect_timeout = cfg->connect_timeout;
    ret->timeout = cfg->timeout;
    ret->low_speed_limit = cfg->low_speed_limit;
    ret->low_speed_time = cfg->low_speed_time;
    ret->max_bandwidth = cfg->max_bandwidth;
    ret->retries = cfg->retries;
    ret->backoff_ms = SW_FETCH_BACKOFF_MS;
    ret->backoff_max_ms = SW_FETCH_BACKOFF_MAX_MS;
    ret->deadline = cfg->deadline;
}

const char *
sw_fetch_event_to_string(enum sw_fetch_event ev)
{
    switch (ev) {
    case SW_FETCH_EV_START:
        return "start";
    case SW_FETCH_EV_PROGRESS:
        return "progress";
    case SW_FETCH_EV_DONE:
        return "done";
    case SW_FETCH_EV_RETRY:
        return "retry";
    case SW_FETCH_EV_FAILOVER:
        return "failover";
    case SW_FETCH_EV_FAIL:
        return "fail";
    }
    return "unknown";
}

void
sw_fetch_result_hex(const struct sw_fetch_result *res, enum sw_hash_alg alg,
                    char out[SW_HASH_MAX_HEX])
{
    if ((unsigned)alg >= SW_HASH_N_ALGS || !(res->hash_algs & (1u << alg))) {
        out[0] = '\0';
        return;
    }
    sw_hex_encode(res->digest[alg], sw_hash_len(alg), out);
}

/* --- relative paths and URLs --------------------------------------------------------- */

/* Why path, split at '/', has a segment that is empty, "." or "..", or NULL. */
static const char *
path_segments_problem(const char *path)
{
    for (const char *seg = path;;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (len == 0)
            return "it has an empty segment";
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return "it has a '.' or '..' segment";
        if (!slash)
            return NULL;
        seg = slash + 1;
    }
}

/* Why path may not be used in mode, or NULL when it may. */
static const char *
path_problem(const char *path, enum sw_fetch_path_mode mode)
{
    size_t n = strlen(path);

    if (n == 0)
        return "it is empty";
    if (n > SW_FETCH_MAX_PATH)
        return "it is too long";
    if (mode == SW_FETCH_NAME) {
        if (strcmp(path, ".") == 0 || strcmp(path, "..") == 0)
            return "'.' and '..' are not names";
        return NULL;
    }
    if (path[0] == '/')
        return "it is absolute";
    for (const char *p = path; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            return "it holds a control character";
        if (c == '\\')
            return "it holds a backslash";
        if (c == '%')
            return "it holds '%' (encoded paths are refused)";
        if (c == '?' || c == '#')
            return "it holds '?' or '#'";
    }
    return path_segments_problem(path);
}

int
sw_fetch_url_join(const char *base, const char *path, enum sw_fetch_path_mode mode, char **ret_url,
                  struct sw_error *err)
{
    static const char hex[] = "0123456789ABCDEF";
    char q[MSG_PATH_MAX];
    const char *why;
    size_t bl, o;
    char *url;

    why = path_problem(path, mode);
    if (why)
        return sw_error_set(err, SW_E_FETCH_URL, "path '%s' is refused: %s",
                            quote(path, q, sizeof(q)), why);
    bl = strlen(base);
    if (bl == 0 || base[bl - 1] != '/')
        return sw_error_set(err, SW_E_FETCH_URL, "base URL '%s' does not end in '/'",
                            quote(base, q, sizeof(q)));
    if (bl + 3 * strlen(path) + 1 > SW_FETCH_MAX_URL)
        return sw_error_set(err, SW_E_FETCH_URL, "the URL for '%s' would be too long",
                            quote(path, q, sizeof(q)));
    url = malloc(bl + 3 * strlen(path) + 1);
    if (!url)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    memcpy(url, base, bl);
    o = bl;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (is_unreserved(*p) || (*p == '/' && mode == SW_FETCH_PATH)) {
            url[o++] = (char)*p;
        } else {
            url[o++] = '%';
            url[o++] = hex[*p >> 4];
            url[o++] = hex[*p & 15];
        }
    }
    url[o] = '\0';
    *ret_url = url;
    return 0;
}

/* --- mirrors -------------------------------------------------------------------------- */

static void
base_release(struct base_url *b)
{
    free(b->url);
    free(b->scheme_str);
    free(b->host);
    free(b->port);
    free(b->path);
    free(b->dir);
    memset(b, 0, sizeof(*b));
}

static void
mirror_release(struct mirror *m)
{
    free(m->name);
    base_release(&m->base[0]);
    base_release(&m->base[1]);
    free(m->pin);
    free(m->ca_file);
}

static int
hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * The one spelling of a URL path (as libcurl hands it out, literal dot
 * segments already removed), to compare paths segment by segment: each
 * segment is percent-decoded and encoded again with every byte outside
 * A-Za-z0-9_.-~ as %XX (upper case), so "%7e", "~" and "%7E" are one
 * segment. NULL with *ret_why when a decoded segment is "." or ".." (such
 * as "%2e%2e", which a server may still resolve), or holds '/' or NUL
 * ("%2F": a server may see two segments where the check saw one), or a
 * backslash (encoded or not), which some servers take for '/'.
 * Caller frees.
 */
static char *
canonical_path(const char *raw, const char **ret_why)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(raw), o = 0;
    char *out, *seg;

    *ret_why = "out of memory";
    if (n > SW_FETCH_MAX_URL || !(out = malloc(3 * n + 1)))
        return NULL;
    seg = malloc(n + 1);
    if (!seg) {
        free(out);
        return NULL;
    }
    for (const char *p = raw;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p), sl = 0;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)p[i];
            int hi, lo;
            if (c == '%' && i + 2 < len && (hi = hex_value((unsigned char)p[i + 1])) >= 0 &&
                (lo = hex_value((unsigned char)p[i + 2])) >= 0) {
                c = (unsigned char)(hi << 4 | lo);
                i += 2;
                if (c == '/' || c == '\0') {
                    *ret_why = "it holds an encoded '/' or NUL";
                    goto fail;
                }
            }
            if (c == '\\') { /* a separator to some servers */
                *ret_why = "it holds a backslash";
                goto fail;
            }
            seg[sl++] = (char)c;
        }
        if ((sl == 1 && seg[0] == '.') || (sl == 2 && seg[0] == '.' && seg[1] == '.')) {
            *ret_why = "it has a '.' or '..' segment";
            goto fail;
        }
        for (size_t i = 0; i < sl; i++) {
            unsigned char c = (unsigned char)seg[i];
            if (is_unreserved(c)) {
                out[o++] = (char)c;
            } else {
                out[o++] = '%';
                out[o++] = hex[c >> 4];
                out[o++] = hex[c & 15];
            }
        }
        if (!slash)
            break;
        out[o++] = '/';
        p = slash + 1;
    }
    out[o] = '\0';
    free(seg);
    *ret_why = NULL;
    return out;
fail:
    free(seg);
    free(out);
    return NULL;
}

/* scheme, host and port of url, as libcurl parses them (default port filled in). */
static int
url_origin(const char *url, char **ret_scheme, char **ret_host, char **ret_port)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    int r = -1;

    if (!u)
        return -1;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
        goto out;
    if (strcmp(scheme, "file") != 0) {
        if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
            goto out;
    }
    *ret_scheme = strdup(scheme);
    *ret_host = strdup(host ? host : "");
    *ret_port = strdup(port ? port : "");
    if (!*ret_scheme || !*ret_host || !*ret_port) {
        free(*ret_scheme);
        free(*ret_host);
        free(*ret_port);
        goto out;
    }
    r = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return r;
}

static int
base_init(struct base_url *b, const struct sw_mirror *sm, const char *what, const char *url,
          struct sw_error *err)
{
    char q[MSG_PATH_MAX];
    size_t n = url ? strlen(url) : 0;

    if (n == 0)
        return sw_error_set(err, SW_E_CONFIG, "mirror '%s' has no %s", sm->name, what);
    quote(url, q, sizeof(q));
    if (url[n - 1] != '/' || strpbrk(url, "?#") || n > SW_FETCH_MAX_URL / 2)
        return sw_error_set(err, SW_E_FETCH_URL,
                            "mirror '%s': %s '%s' must end in '/' and have no query or fragment",
                            sm->name, what, q);
    if (strncmp(url, "https://", 8) == 0) {
        b->scheme = SCHEME_HTTPS;
    } else if (strncmp(url, "file://", 7) == 0) {
        b->scheme = SCHEME_FILE;
    } else if (strncmp(url, "http://", 7) == 0) {
        if (!sm->allow_insecure_http)
            return sw_error_set(err, SW_E_FETCH_URL,
                                "mirror '%s': %s '%s' is plain http, which the mirror does not "
                                "allow (allow-insecure-http = no)",
                                sm->name, what, q);
        b->scheme = SCHEME_HTTP;
    } else {
        return sw_error_set(err, SW_E_FETCH_URL,
                            "mirror '%s': %s '%s' must be an https:// or file:// URL", sm->name,
                            what, q);
    }
    if (sm->pin && b->scheme != SCHEME_HTTPS)
        return sw_error_set(err, SW_E_FETCH_URL, "mirror '%s' has a pin but %s '%s' is not https",
                            sm->name, what, q);
    if (!(b->url = strdup(url)))
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    if (url_origin(url, &b->scheme_str, &b->host, &b->port) < 0)
        return sw_error_set(err, SW_E_FETCH_URL, "mirror '%s': %s '%s' is not a valid URL",
                            sm->name, what, q);
    {
        CURLU *u = curl_url();
        char *path = NULL;
        const char *why = "it is not a valid URL";
        if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK)
            b->path = canonical_path(path, &why);
        curl_free(path);
        curl_url_cleanup(u);
        if (!b->path)
            return sw_error_set(err, SW_E_FETCH_URL, "mirror '%s': %s '%s' is refused: %s",
                                sm->name, what, q, why);
    }
    if (b->scheme == SCHEME_FILE) {
        CURLU *u = curl_url();
        char *path = NULL;
        int ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
                 curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) == CURLUE_OK &&
                 path[0] == '/' && strlen(path) == strcspn(path, "\n\r");
        if (ok)
            b->dir = strdup(path);
        curl_free(path);
        curl_url_cleanup(u);
        if (!ok)
            return sw_error_set(err, SW_E_FETCH_URL,
                                "mirror '%s': %s '%s' is not a local file:// directory", sm->name,
                                what, q);
        if (!b->dir)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    return 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void
curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
sw_fetch_new(const struct sw_mirror *mirrors, size_t n, const struct sw_fetch_settings *s,
             struct sw_fetch **ret_fetch, struct sw_error *err)
{
    struct sw_fetch *f = NULL;
    int r;

    if (n == 0)
        return sw_error_set(err, SW_E_CONFIG,
                            "no mirror is configured; add a [mirror \"NAME\"] section");
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return sw_error_set(err, SW_E_FETCH, "cannot initialise libcurl: %s",
                            curl_easy_strerror(curl_init_rc));
    f = calloc(1, sizeof(*f));
    if (!f || !(f->mirrors = calloc(n, sizeof(*f->mirrors)))) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    f->s = *s;
    for (size_t i = 0; i < n; i++) {
        const struct sw_mirror *sm = &mirrors[i];
        struct mirror *m = &f->mirrors[i];
        f->n_mirrors = i + 1;
        if (!sm->name || !(m->name = strdup(sm->name))) {
            r = sw_error_set(err, sm->name ? SW_E_NOMEM : SW_E_INVAL, "mirror %zu has no name", i);
            goto out;
        }
        m->allow_http = sm->allow_insecure_http;
        r = base_init(&m->base[SW_FETCH_METADATA], sm, "metadata-url", sm->metadata_url, err);
        if (r < 0)
            goto out;
        r = base_init(&m->base[SW_FETCH_TARGETS], sm, "targets-url", sm->targets_url, err);
        if (r < 0)
            goto out;
        if ((sm->pin && !(m->pin = strdup(sm->pin))) ||
            (sm->ca_file && !(m->ca_file = strdup(sm->ca_file)))) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto out;
        }
        if (m->base[0].scheme == SCHEME_HTTP || m->base[1].scheme == SCHEME_HTTP)
            sw_log_warning("mirror '%s' is plain http (allow-insecure-http = yes): anyone on the "
                           "path can see and delay what is fetched; only signatures protect it",
                           m->name);
    }
    f->curl = curl_easy_init();
    if (!f->curl) {
        r = sw_error_set(err, SW_E_NOMEM, "cannot create a libcurl handle");
        goto out;
    }
    *ret_fetch = f;
    f = NULL;
    r = 0;
out:
    sw_fetch_free(f);
    return r;
}

int
sw_fetch_new_config(const struct sw_config *cfg, struct sw_fetch **ret_fetch, struct sw_error *err)
{
    struct sw_fetch_settings s;
    sw_fetch_settings_from_config(cfg, &s);
    return sw_fetch_new(cfg->mirrors, cfg->n_mirrors, &s, ret_fetch, err);
}

size_t
sw_fetch_n_mirrors(const struct sw_fetch *f)
{
    return f->n_mirrors;
}

const char *
sw_fetch_mirror_name(const struct sw_fetch *f, size_t i)
{
    return i < f->n_mirrors ? f->mirrors[i].name : NULL;
}

void
sw_fetch_free(struct sw_fetch *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_mirrors; i++)
        mirror_release(&f->mirrors[i]);
    free(f->mirrors);
    if (f->curl)
        curl_easy_cleanup(f->curl);
    free(f);
}

/* --- the sink: where accepted bytes go ------------------------------------------------- */

/*
 * Memory: appended to the caller's buffer and hashed at once. File: copied
 * into a ring of blocks that a writer thread hashes and writes to the .part,
 * so receiving, hashing and writing overlap on two cores. The ring bounds
 * the memory a download uses. Whole blocks go out with O_DIRECT where the
 * file system takes it: no copy into the page cache, and nothing left for
 * the final fsync to write; elsewhere buffered writes, with write-back
 * started as they go.
 */
struct sink {
    int fd;             /* the .part, or -1 */
    int dfd;            /* the .part opened O_DIRECT, or -1 */
    struct sw_buf *buf; /* memory destination, or NULL */
    unsigned algs;
    struct sw_hash *hash[SW_HASH_N_ALGS];
    uint64_t cap;   /* bytes the resource may have */
    uint64_t start; /* bytes already in the .part when the transfer began */
    uint64_t got;   /* bytes accepted since */
    /* the writer thread (file only) */
    int threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char *mem; /* SINK_NBLOCKS blocks */
    size_t fill[SINK_NBLOCKS];
    unsigned prod, cons, count;
    int closing; /* no more blocks will come */
    int discard; /* ... and the pending ones are not wanted */
    int failed;
    struct sw_error err; /* why the writer failed */
    uint64_t written, synced;
    const char *part; /* for messages */
};

static int
sink_init(struct sink *s, int fd, struct sw_buf *buf, unsigned algs, uint64_t cap, uint64_t start,
          const char *part, struct sw_error *err)
{
    memset(s, 0, sizeof(*s));
    s->fd = fd;
    s->dfd = -1;
    s->buf = buf;
    s->algs = algs;
    s->cap = cap;
    s->start = start;
    s->part = part;
    for (unsigned a = 0; a < SW_HASH_N_ALGS; a++) {
        if (!(algs & (1u << a)))
            continue;
        int r = sw_hash_new((enum sw_hash_alg)a, &s->hash[a], err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int
sink_hash(struct sink *s, const unsigned char *p, size_t n, struct sw_error *err)
{
    for (unsigned a = 0; a < SW_HASH_N_ALGS; a++) {
        if (!s->hash[a])
            continue;
        int r = sw_hash_update(s->hash[a], p, n, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Drop what the .part holds: the transfer starts from byte 0. */
static int
sink_restart(struct sink *s, struct sw_error *err)
{
    if (s->fd >= 0 && s->start > 0 && ftruncate(s->fd, 0) < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot truncate '%s'", s->part);
    s->start = 0;
    return 0;
}

/* Hash the s->start bytes the .part already holds (a resume). */
static int
sink_hash_existing(struct sink *s, struct sw_error *err)
{
    unsigned char *tmp;
    uint64_t off = 0;
    int r = 0;

    if (s->start == 0)
        return 0;
    tmp = malloc(SINK_BLOCK);
    if (!tmp)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    while (off < s->start) {
        size_t want = s->start - off > SINK_BLOCK ? SINK_BLOCK : (size_t)(s->start - off);
        ssize_t n = pread(s->fd, tmp, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r = n < 0 ? sw_error_errno(err, SW_E_IO, errno, "cannot read '%s'", s->part)
                      : sw_error_set(err, SW_E_IO, "'%s' shrank while being read", s->part);
            break;
        }
        r = sink_hash(s, tmp, (size_t)n, err);
        if (r < 0)
            break;
        off += (uint64_t)n;
    }
    free(tmp);
    return r;
}

/* Write n bytes at the end of what the writer has written (writer thread only). */
static int
sink_write(struct sink *s, const unsigned char *p, size_t n)
{
    uint64_t off = s->start + s->written;

    if (s->dfd >= 0) {
        size_t head = n - n % DIRECT_ALIGN;
        if (head > 0 && write_all_at(s->dfd, p, head, off) < 0) {
            if (errno != EINVAL)
                return -1;
            head = 0; /* the file system refuses direct I/O after all */
        }
        if (head < n) {
            /* a tail, or a refusal: buffered from here on */
            close(s->dfd);
            s->dfd = -1;
        }
        p += head;
        n -= head;
        off += head;
        s->written += head;
    }
    if (n == 0)
        return 0;
    if (write_all_at(s->fd, p, n, off) < 0)
        return -1;
    s->written += n;
    if (s->written - s->synced >= SINK_SYNC_EVERY) {
        /* start write-back now, so the final fsync has little left to do */
        (void)sync_file_range(s->fd, (off_t)(s->start + s->synced), (off_t)(s->written - s->synced),
                              SYNC_FILE_RANGE_WRITE);
        s->synced = s->written;
    }
    return 0;
}

static void *
sink_thread(void *arg)
{
    struct sink *s = arg;

    pthread_mutex_lock(&s->mu);
    for (;;) {
        unsigned idx;
        size_t n;
        int r;
        while (s->count == 0 && !s->closing)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->count == 0 || s->discard)
            break;
        idx = s->cons;
        n = s->fill[idx];
        pthread_mutex_unlock(&s->mu);

        r = sink_hash(s, s->mem + (size_t)idx * SINK_BLOCK, n, &s->err);
        if (r == 0 && sink_write(s, s->mem + (size_t)idx * SINK_BLOCK, n) < 0)
            r = sw_error_errno(&s->err, SW_E_IO, errno, "cannot write '%s'", s->part);

        pthread_mutex_lock(&s->mu);
        s->cons = (s->cons + 1) % SINK_NBLOCKS;
        s->count--;
        if (r < 0)
            s->failed = 1;
        pthread_cond_broadcast(&s->cv);
        if (r < 0)
            break;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Called once the transfer is known to deliver the resource. */
static int
sink_start(struct sink *s, struct sw_error *err)
{
    int r;
    if (s->fd < 0 || s->threaded)
        return 0;
    if (posix_memalign((void **)&s->mem, DIRECT_ALIGN, (size_t)SINK_NBLOCKS * SINK_BLOCK) != 0) {
        s->mem = NULL;
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    s->synced = s->written = 0;
    if (s->start % DIRECT_ALIGN == 0)
        s->dfd = open(s->part, O_WRONLY | O_DIRECT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    r = pthread_create(&s->thread, NULL, sink_thread, s);
    if (r != 0) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        return sw_error_errno(err, SW_E_NOMEM, r, "cannot start the writer thread");
    }
    s->threaded = 1;
    return 0;
}

/* Hand the block being filled to the writer; wait for a free one. */
static int
sink_submit(struct sink *s, struct sw_error *err)
{
    int failed;
    pthread_mutex_lock(&s->mu);
    if (!s->failed) {
        s->count++;
        pthread_cond_broadcast(&s->cv);
        while (s->count == SINK_NBLOCKS && !s->failed)
            pthread_cond_wait(&s->cv, &s->mu);
        s->prod = (s->prod + 1) % SINK_NBLOCKS;
        s->fill[s->prod] = 0;
    }
    failed = s->failed;
    pthread_mutex_unlock(&s->mu);
    if (failed) {
        if (err)
            *err = s->err;
        return -s->err.code;
    }
    return 0;
}

/* Accept n more bytes; the caller has checked the cap. */
static int
sink_put(struct sink *s, const unsigned char *p, size_t n, struct sw_error *err)
{
    int r;
    if (!s->threaded) {
        if (s->fd >= 0) {
            r = sink_start(s, err);
            if (r < 0)
                return r;
        } else {
            r = sw_buf_append(s->buf, p, n, err);
            if (r == 0)
                r = sink_hash(s, p, n, err);
            if (r == 0)
                s->got += n;
            return r;
        }
    }
    s->got += n;
    while (n > 0) {
        size_t room = SINK_BLOCK - s->fill[s->prod];
        size_t k = n < room ? n : room;
        memcpy(s->mem + (size_t)s->prod * SINK_BLOCK + s->fill[s->prod], p, k);
        s->fill[s->prod] += k;
        p += k;
        n -= k;
        if (s->fill[s->prod] == SINK_BLOCK) {
            r = sink_submit(s, err);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

/* Stop the writer; with flush, write what is pending first and report its errors. */
static int
sink_close(struct sink *s, int flush, struct sw_error *err)
{
    int r = 0;
    if (!s->threaded)
        return 0;
    if (flush && s->fill[s->prod] > 0)
        r = sink_submit(s, err);
    pthread_mutex_lock(&s->mu);
    s->discard = !flush;
    s->closing = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    s->threaded = 0;
    if (r == 0 && flush && s->failed) {
        if (err)
            *err = s->err;
        r = -s->err.code;
    }
    return r;
}

static int
sink_digests(struct sink *s, struct sw_fetch_result *res, struct sw_error *err)
{
    res->hash_algs = 0;
    for (unsigned a = 0; a < SW_HASH_N_ALGS; a++) {
        if (!s->hash[a])
            continue;
        int r = sw_hash_final(s->hash[a], res->digest[a], err);
        sw_hash_free(s->hash[a]);
        s->hash[a] = NULL;
        if (r < 0)
            return r;
        res->hash_algs |= 1u << a;
    }
    return 0;
}

static void
sink_release(struct sink *s)
{
    sink_close(s, 0, NULL);
    for (unsigned a = 0; a < SW_HASH_N_ALGS; a++)
        sw_hash_free(s->hash[a]);
    free(s->mem);
    if (s->dfd >= 0)
        close(s->dfd);
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->dfd = -1;
}

/* --- one transfer ------------------------------------------------------------------------ */

/* What one attempt on one mirror is doing. */
struct xfer {
    struct sw_fetch *f;
    const struct mirror *m;
    const struct base_url *bu;
    const struct sw_fetch_request *req;
    struct sink *sink;
    const char *url; /* of the current request */
    char qurl[MSG_PATH_MAX];
    unsigned *requests;
    double t0, last_emit;
    uint64_t total; /* expected bytes of the resource; 0 = unknown */
    /* per HTTP request */
    int range; /* a Range was sent */
    int begun, accept;
    long status;
    uint64_t discarded;
    int cb_code; /* a callback's failure: negative code, message in cb_err */
    struct sw_error cb_err;
    int retryable; /* the failure may pass if the same mirror is asked again */
    int verify_failed;
};

static void
emit(struct xfer *x, enum sw_fetch_event ev, const struct sw_error *error)
{
    struct sw_fetch_progress p;
    if (!x->req->progress)
        return;
    memset(&p, 0, sizeof(p));
    p.event = ev;
    p.mirror = x->m->name;
    p.url = x->url;
    p.path = x->req->path;
    p.bytes = x->sink ? x->sink->start + x->sink->got : 0;
    p.total = x->total;
    p.resumed_from = x->sink ? x->sink->start : 0;
    p.elapsed = now_s() - x->t0;
    p.error = error;
    x->req->progress(x->req->progress_ctx, &p);
}

static void
emit_progress(struct xfer *x, int force)
{
    double t = now_s();
    if (!force && t - x->last_emit < PROGRESS_EVERY)
        return;
    x->last_emit = t;
    emit(x, SW_FETCH_EV_PROGRESS, NULL);
}

static int xfer_fail(struct xfer *x, int code, int retryable, const char *fmt, ...) SW_PRINTF(4, 5);

/* Record a failure of this request: "mirror 'NAME': URL: reason". */
static int
xfer_fail(struct xfer *x, int code, int retryable, const char *fmt, ...)
{
    char msg[SW_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    x->retryable = retryable;
    x->cb_code = sw_error_set(&x->cb_err, code, "mirror '%s': %s: %s", x->m->name, x->qurl, msg);
    return x->cb_code;
}

/* Parse "bytes A-B/T" (T may be '*'). */
static int
parse_content_range(const char *v, uint64_t *a, uint64_t *b, uint64_t *t, int *t_known)
{
    char *end;
    if (strncasecmp(v, "bytes ", 6) != 0)
        return -1;
    v += 6;
    if (*v < '0' || *v > '9')
        return -1;
    *a = strtoull(v, &end, 10);
    if (*end != '-' || end[1] < '0' || end[1] > '9')
        return -1;
    *b = strtoull(end + 1, &end, 10);
    if (*end != '/' || *b < *a)
        return -1;
    if (end[1] == '*' && end[2] == '\0') {
        *t_known = 0;
        return 0;
    }
    if (end[1] < '0' || end[1] > '9')
        return -1;
    *t = strtoull(end + 1, &end, 10);
    *t_known = 1;
    return *end == '\0' ? 0 : -1;
}

/* The response's headers are in: decide whether its body is the resource. */
static int
xfer_begin(struct xfer *x)
{
    CURL *c = x->f->curl;
    struct sink *s = x->sink;
    curl_off_t cl = -1;
    int r;

    x->begun = 1;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
    if (!(x->status == 200 || (x->status == 206 && x->range)))
        return 0; /* an error page or a redirect: its body is read a little and dropped */
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    if (x->status == 200 && s->start > 0) {
        /* the server ignored the range: start again */
        r = sink_restart(s, &x->cb_err);
        if (r < 0)
            return xfer_fail(x, r, 0, "%s", x->cb_err.msg);
    }
    if (x->status == 206) {
        struct curl_header *h = NULL;
        uint64_t a = 0, b = 0, t = 0;
        int t_known = 0;
        char qv[MSG_PATH_MAX];
        if (curl_easy_header(c, "Content-Range", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
            return xfer_fail(x, SW_E_FETCH, 0, "partial content (206) without Content-Range");
        if (parse_content_range(h->value, &a, &b, &t, &t_known) < 0 || a != s->start ||
            (t_known && t != b + 1) || (cl >= 0 && (uint64_t)cl != b - a + 1))
            return xfer_fail(x, SW_E_FETCH, 0,
                             "Content-Range '%s' does not continue the %" PRIu64
                             " bytes already fetched",
                             quote(h->value, qv, sizeof(qv)), s->start);
        if (b + 1 > s->cap)
            return xfer_fail(x, SW_E_FETCH_TOOBIG, 0,
                             "announces %" PRIu64 " bytes, more than the cap of %" PRIu64, b + 1,
                             s->cap);
        r = sink_hash_existing(s, &x->cb_err);
        if (r < 0)
            return xfer_fail(x, r, 0, "%s", x->cb_err.msg);
    }
    if (cl >= 0) {
        if ((uint64_t)cl > s->cap - s->start)
            return xfer_fail(x, SW_E_FETCH_TOOBIG, 0,
                             "announces %" PRIu64 " bytes, more than the cap of %" PRIu64,
                             s->start + (uint64_t)cl, s->cap);
        x->total = s->start + (uint64_t)cl;
    }
    x->accept = 1;
    r = sink_start(s, &x->cb_err);
    if (r < 0)
        return xfer_fail(x, r, 0, "%s", x->cb_err.msg);
    return 0;
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    struct sink *s = x->sink;
    size_t n = size * nmemb;
    int r;

    if (x->cb_code)
        return 0;
    if (!x->begun && xfer_begin(x) < 0)
        return 0;
    if (!x->accept) {
        x->discarded += n;
        return x->discarded > SW_FETCH_MAX_ERROR_BODY ? 0 : n;
    }
    if (n > s->cap - s->start - s->got) {
        /* nothing past the cap is kept: not even the part of this chunk below it */
        xfer_fail(x, SW_E_FETCH_TOOBIG, 0, "sent more than the cap of %" PRIu64 " bytes; cut off",
                  s->cap);
        return 0;
    }
    r = sink_put(s, (const unsigned char *)p, n, &x->cb_err);
    if (r < 0) {
        xfer_fail(x, r, 0, "%s", x->cb_err.msg);
        return 0;
    }
    emit_progress(x, 0);
    return n;
}

static int
on_xferinfo(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    struct xfer *x = ud;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    if (x->accept)
        emit_progress(x, 0);
    return 0;
}

static int
setup_request(struct xfer *x, const char *url)
{
    CURL *c = x->f->curl;
    const struct sw_fetch_settings *st = &x->f->s;
    const char *protos = x->m->allow_http ? "http,https" : "https";
    char range[48];
    CURLcode rc = CURLE_OK;

    curl_easy_reset(c);
    x->f->curl_err[0] = '\0';
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(c, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, protos);
    SET(CURLOPT_REDIR_PROTOCOLS_STR, protos);
    SET(CURLOPT_FOLLOWLOCATION, 0L); /* redirects are checked and followed here */
    SET(CURLOPT_PATH_AS_IS, 1L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, x->f->curl_err);
    SET(CURLOPT_USERAGENT, "slipway/" SW_VERSION);
    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (x->m->pin) {
        SET(CURLOPT_PINNEDPUBLICKEY, x->m->pin);
        SET(CURLOPT_CERTINFO, 1L); /* a mismatch then names the pin the server presented */
    }
    if (x->m->ca_file)
        SET(CURLOPT_CAINFO, x->m->ca_file);
    if (st->connect_timeout)
        SET(CURLOPT_CONNECTTIMEOUT, (long)st->connect_timeout);
    if (st->deadline > 0) {
        /* the run's deadline bounds this request too */
        double left_ms = (st->deadline - now_s()) * 1000.0;
        long ms = left_ms < 1.0 ? 1L : (long)left_ms;
        if (st->timeout && (double)st->timeout * 1000.0 < left_ms)
            ms = (long)st->timeout * 1000L;
        SET(CURLOPT_TIMEOUT_MS, ms);
    } else if (st->timeout) {
        SET(CURLOPT_TIMEOUT, (long)st->timeout);
    }
    if (st->low_speed_limit && st->low_speed_time) {
        SET(CURLOPT_LOW_SPEED_LIMIT, (long)st->low_speed_limit);
        SET(CURLOPT_LOW_SPEED_TIME, (long)st->low_speed_time);
    }
    if (st->max_bandwidth)
        SET(CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)st->max_bandwidth);
    SET(CURLOPT_BUFFERSIZE, (long)CURL_BUFFER);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    /*
     * No CURLOPT_MAXFILESIZE: libcurl applies it to error pages too, which
     * would turn a 404 into "too big". xfer_begin() checks Content-Length
     * against the cap before the first byte of a body is taken, and on_body()
     * cuts off a body that runs past it.
     */
    x->range = x->sink->start > 0;
    if (x->range) {
        snprintf(range, sizeof(range), "%" PRIu64 "-", x->sink->start);
        SET(CURLOPT_RANGE, range);
    }
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, x);
    SET(CURLOPT_XFERINFOFUNCTION, on_xferinfo);
    SET(CURLOPT_XFERINFODATA, x);
    SET(CURLOPT_NOPROGRESS, 0L);
#undef SET
    if (rc != CURLE_OK)
        return xfer_fail(x, SW_E_FETCH, 0, "cannot set up libcurl: %s", curl_easy_strerror(rc));
    return 0;
}

static const char *
curl_reason(struct xfer *x, CURLcode rc)
{
    return x->f->curl_err[0] ? x->f->curl_err : curl_easy_strerror(rc);
}

/* Map a libcurl failure to a code, a reason and whether to retry. */
static int
curl_failure(struct xfer *x, CURLcode rc)
{
    const struct sw_fetch_settings *st = &x->f->s;
    const char *why = curl_reason(x, rc);

    if (x->status == 0) /* did the server answer before it failed? (see sw_fetch_get) */
        curl_easy_getinfo(x->f->curl, CURLINFO_RESPONSE_CODE, &x->status);

    switch ((int)rc) { /* an int: libcurl has far more codes than are named here */
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return xfer_fail(x, SW_E_FETCH_CONNECT, 1, "could not connect (%s)", why);
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t connected = 0;
        double el = now_s() - x->t0;
        if (st->deadline > 0 && now_s() + 0.05 >= st->deadline)
            return xfer_fail(x, SW_E_FETCH_SLOW, 0, "stopped at the run's deadline (%s)", why);
        curl_easy_getinfo(x->f->curl, CURLINFO_CONNECT_TIME_T, &connected);
        if (connected == 0)
            return xfer_fail(x, SW_E_FETCH_CONNECT, 1, "could not connect in time (%s)", why);
        if (st->timeout && el + 0.5 >= (double)st->timeout)
            return xfer_fail(x, SW_E_FETCH_SLOW, 1, "not done within the timeout of %u s (%s)",
                             st->timeout, why);
        return xfer_fail(x, SW_E_FETCH_SLOW, 1,
                         "slower than %u bytes/s for %u s: slow retrieval (%s)",
                         st->low_speed_limit, st->low_speed_time, why);
    }
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: {
        char presented[SW_PIN_SIZE];
        if (sw_pin_from_curl(x->f->curl, presented, NULL) < 0)
            return xfer_fail(x, SW_E_FETCH_PIN, 0,
                             "the server's public key does not match the mirror's pin (%s)", why);
        return xfer_fail(x, SW_E_FETCH_PIN, 0,
                         "the server's public key does not match the mirror's pin (%s): the "
                         "server presented %s, the configuration pins %s; if the server's key "
                         "was changed on purpose, check the new pin with 'slipway pin CERT-FILE' "
                         "on the server's certificate and put it in the configuration",
                         why, presented, x->m->pin);
    }
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return xfer_fail(x, SW_E_FETCH_TLS, 0, "TLS failed (%s)", why);
    case CURLE_FILESIZE_EXCEEDED:
        return xfer_fail(x, SW_E_FETCH_TOOBIG, 0,
                         "announces more than the cap of %" PRIu64 " bytes (%s)", x->sink->cap,
                         why);
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
        return xfer_fail(x, SW_E_FETCH, 1, "the transfer broke off (%s)", why);
    case CURLE_UNSUPPORTED_PROTOCOL:
        return xfer_fail(x, SW_E_FETCH_URL, 0, "scheme refused (%s)", why);
    case CURLE_OUT_OF_MEMORY:
        return xfer_fail(x, SW_E_NOMEM, 0, "out of memory");
    default:
        return xfer_fail(x, SW_E_FETCH, 0, "%s", why);
    }
}

/*
 * canon (a canonical path) names a file below the canonical directory base
 * (ending in '/'): base's segments are its first ones, and every segment
 * after them is non-empty. A string prefix alone is not enough: it is the
 * '/' ending base that makes "/repo/metadata-evil/x" not be below
 * "/repo/metadata/".
 */
static int
path_below(const char *canon, const char *base)
{
    size_t bl = strlen(base);
    const char *rest = canon + bl;
    if (bl == 0 || base[bl - 1] != '/' || strncmp(canon, base, bl) != 0 || *rest == '\0')
        return 0;
    return strstr(rest, "//") == NULL && rest[0] != '/' && rest[strlen(rest) - 1] != '/';
}

/*
 * A 3xx: follow it only when it stays on the mirror's scheme, host and port
 * and below its base path, compared segment by segment after normalisation.
 */
static int
check_redirect(struct xfer *x, char **ret_next)
{
    char *loc = NULL, *scheme = NULL, *host = NULL, *port = NULL;
    char *path = NULL, *canon = NULL, *norm = NULL;
    char ql[MSG_PATH_MAX], qb[MSG_PATH_MAX];
    const char *why = NULL;
    CURLU *u = NULL;
    int r;

    curl_easy_getinfo(x->f->curl, CURLINFO_REDIRECT_URL, &loc);
    if (!loc || !*loc)
        return xfer_fail(x, SW_E_FETCH_HTTP, 0, "HTTP %ld without a usable Location", x->status);
    quote(loc, ql, sizeof(ql));
    if (url_origin(loc, &scheme, &host, &port) < 0)
        return xfer_fail(x, SW_E_FETCH_REDIRECT, 0, "redirect to '%s' refused: not a valid URL",
                         ql);
    if (strcasecmp(scheme, x->bu->scheme_str) != 0 || strcasecmp(host, x->bu->host) != 0 ||
        strcmp(port, x->bu->port) != 0) {
        r = xfer_fail(x, SW_E_FETCH_REDIRECT, 0,
                      "redirect to '%s' refused: it leaves the mirror (%s://%s:%s)", ql,
                      x->bu->scheme_str, x->bu->host, x->bu->port);
        goto out;
    }
    if (strlen(loc) >= SW_FETCH_MAX_URL) {
        r = xfer_fail(x, SW_E_FETCH_REDIRECT, 0, "redirect to '%s' refused: too long", ql);
        goto out;
    }
    /* parsed again without CURLOPT_PATH_AS_IS: literal "." and ".." segments are resolved */
    u = curl_url();
    if (!u || curl_url_set(u, CURLUPART_URL, loc, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &norm, 0) != CURLUE_OK) {
        r = xfer_fail(x, SW_E_FETCH_REDIRECT, 0, "redirect to '%s' refused: not a valid URL", ql);
        goto out;
    }
    canon = canonical_path(path, &why);
    if (!canon) {
        r = xfer_fail(x, SW_E_FETCH_REDIRECT, 0, "redirect to '%s' refused: %s", ql, why);
        goto out;
    }
    if (!path_below(canon, x->bu->path)) {
        r = xfer_fail(x, SW_E_FETCH_REDIRECT, 0,
                      "redirect to '%s' refused: it leaves the mirror's base path '%s'", ql,
                      quote(x->bu->path, qb, sizeof(qb)));
        goto out;
    }
    if (strlen(norm) >= SW_FETCH_MAX_URL || !(*ret_next = strdup(norm))) {
        r = xfer_fail(x, SW_E_FETCH_REDIRECT, 0, "redirect to '%s' refused: too long", ql);
        goto out;
    }
    r = 0;
out:
    curl_free(path);
    curl_free(norm);
    curl_url_cleanup(u);
    free(canon);
    free(scheme);
    free(host);
    free(port);
    return r;
}

/* The outcome of a response that was not the resource. */
static int
http_status_failure(struct xfer *x)
{
    long st = x->status;
    if (st == 404 || st == 403)
        return xfer_fail(x, SW_E_FETCH_NOTFOUND, 0, "not found (HTTP %ld)", st);
    if (st == 206)
        return xfer_fail(x, SW_E_FETCH, 0, "partial content (206) that was not asked for");
    return xfer_fail(x, SW_E_FETCH_HTTP, st >= 500 || st == 408 || st == 429, "HTTP %ld", st);
}

/*
 * A 416 answer to a resume. When the server's length ("bytes *\/T") is the
 * .part's, the .part holds the whole resource (a run that stopped before
 * the rename): return 1, it is complete. Otherwise empty the .part and
 * return 0, to ask again from byte 0.
 */
static int
range_unsatisfiable(struct xfer *x)
{
    struct curl_header *h = NULL;
    struct sink *s = x->sink;
    int r;

    if (curl_easy_header(x->f->curl, "Content-Range", 0, CURLH_HEADER, -1, &h) == CURLHE_OK &&
        strncasecmp(h->value, "bytes */", 8) == 0) {
        char *end;
        unsigned long long t;
        errno = 0;
        t = strtoull(h->value + 8, &end, 10);
        if (!errno && *end == '\0' && end != h->value + 8 && t == s->start) {
            r = sink_hash_existing(s, &x->cb_err);
            if (r < 0)
                return xfer_fail(x, r, 0, "%s", x->cb_err.msg);
            x->total = s->start;
            x->accept = 1;
            return 1;
        }
    }
    r = sink_restart(s, &x->cb_err);
    if (r < 0)
        return xfer_fail(x, r, 0, "%s", x->cb_err.msg);
    return 0;
}

/* Download over HTTP(S) into x->sink, following redirects that stay on the mirror. */
static int
xfer_http(struct xfer *x, const char *first_url)
{
    char *next = NULL, *cur = NULL;
    int r;

    for (unsigned hops = 0;; hops++) {
        CURLcode rc;
        x->url = cur ? cur : first_url;
        quote(x->url, x->qurl, sizeof(x->qurl));
        x->begun = x->accept = 0;
        x->status = 0;
        x->discarded = 0;
        x->total = 0;
        x->t0 = now_s();
        r = setup_request(x, x->url);
        if (r < 0)
            goto out;
        (*x->requests)++;
        emit(x, SW_FETCH_EV_START, NULL);
        rc = curl_easy_perform(x->f->curl);
        if (x->cb_code) {
            r = x->cb_code;
            goto out;
        }
        if (rc == CURLE_OK && !x->begun && xfer_begin(x) < 0) {
            r = x->cb_code;
            goto out;
        }
        if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && x->begun && !x->accept)) {
            r = curl_failure(x, rc);
            goto out;
        }
        if (x->accept) {
            r = 0; /* the body was the resource, complete */
            goto out;
        }
        if (x->range && x->status == 416) {
            /* nothing after the .part's end: it is complete, or not ours */
            r = range_unsatisfiable(x);
            if (r != 0)
                goto out;
            continue;
        }
        if (x->status >= 300 && x->status < 400 && x->status != 304) {
            if (hops >= SW_FETCH_MAX_REDIRECTS) {
                r = xfer_fail(x, SW_E_FETCH_REDIRECT, 0, "more than %d redirects",
                              SW_FETCH_MAX_REDIRECTS);
                goto out;
            }
            r = check_redirect(x, &next);
            if (r < 0)
                goto out;
            free(cur);
            cur = next;
            next = NULL;
            continue;
        }
        r = http_status_failure(x);
        goto out;
    }
out:
    if (r < 0 && x->url == cur) {
        /* keep the message's URL valid: it was quoted already */
        x->url = NULL;
    }
    free(cur);
    free(next);
    return r;
}

/* Open rel under dir without following any symbolic link below dir. */
static int
open_beneath(struct xfer *x, const char *dir, const char *rel, int *ret_fd)
{
    char seg[SW_FETCH_MAX_PATH + 1];
    int dfd, fd = -1, r = 0;
    const char *p = rel;

    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return xfer_fail(x, errno == ENOENT ? SW_E_FETCH_CONNECT : SW_E_FETCH, 1,
                         "cannot open the mirror directory: %s", strerror(errno));
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
        int nfd;
        memcpy(seg, p, len);
        seg[len] = '\0';
        flags |= slash ? O_DIRECTORY : (O_NONBLOCK | O_NOCTTY);
        nfd = openat(dfd, seg, flags);
        if (nfd < 0) {
            int e = errno;
            struct stat lst;
            if ((e == ELOOP || e == ENOTDIR) && fstatat(dfd, seg, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(lst.st_mode))
                e = ELOOP; /* O_DIRECTORY|O_NOFOLLOW on a link says ENOTDIR */
            if (e == ENOENT || (e == ENOTDIR && slash))
                r = xfer_fail(x, SW_E_FETCH_NOTFOUND, 0, "not found (no such file)");
            else if (e == ELOOP)
                r = xfer_fail(x, SW_E_FETCH_URL, 0, "refused: '%s' is a symbolic link", seg);
            else if (e == EACCES)
                r = xfer_fail(x, SW_E_FETCH_NOTFOUND, 0, "not found (%s)", strerror(e));
            else
                r = xfer_fail(x, SW_E_FETCH, 0, "cannot open: %s", strerror(e));
            break;
        }
        close(dfd);
        dfd = -1;
        if (!slash) {
            fd = nfd;
            break;
        }
        dfd = nfd;
        p = slash + 1;
    }
    if (dfd >= 0)
        close(dfd);
    if (r < 0)
        return r;
    *ret_fd = fd;
    return 0;
}

/* Read a file:// mirror's file into x->sink, with the same caps. */
static int
xfer_file(struct xfer *x, const char *url)
{
    struct sink *s = x->sink;
    unsigned char *tmp = NULL;
    struct stat st;
    uint64_t off;
    int fd = -1, r;

    x->url = url;
    quote(url, x->qurl, sizeof(x->qurl));
    x->t0 = now_s();
    (*x->requests)++;
    emit(x, SW_FETCH_EV_START, NULL);
    if (x->req->mode == SW_FETCH_NAME && strchr(x->req->path, '/')) {
        /*
         * A web server decodes the name's %2F, so the repository keeps
         * role "a/b" as the file N.a/b.json: read that path below the base,
         * each segment opened without following links.
         */
        const char *why = path_segments_problem(x->req->path);
        if (why) {
            r = xfer_fail(x, SW_E_FETCH_URL, 0, "name refused on a file mirror: %s", why);
            goto out;
        }
    }
    r = open_beneath(x, x->bu->dir, x->req->path, &fd);
    if (r < 0)
        goto out;
    if (fstat(fd, &st) < 0) {
        r = xfer_fail(x, SW_E_FETCH, 1, "cannot stat: %s", strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = xfer_fail(x, SW_E_FETCH_URL, 0, "refused: not a regular file");
        goto out;
    }
    if ((uint64_t)st.st_size > s->cap) {
        r = xfer_fail(x, SW_E_FETCH_TOOBIG, 0,
                      "is %" PRIu64 " bytes, more than the cap of %" PRIu64, (uint64_t)st.st_size,
                      s->cap);
        goto out;
    }
    if (s->start > (uint64_t)st.st_size) {
        r = sink_restart(s, &x->cb_err);
        if (r < 0) {
            r = xfer_fail(x, r, 0, "%s", x->cb_err.msg);
            goto out;
        }
    }
    r = sink_hash_existing(s, &x->cb_err);
    if (r == 0)
        r = sink_start(s, &x->cb_err);
    if (r < 0) {
        r = xfer_fail(x, r, 0, "%s", x->cb_err.msg);
        goto out;
    }
    x->total = (uint64_t)st.st_size;
    x->accept = 1;
    tmp = malloc(SINK_BLOCK);
    if (!tmp) {
        r = xfer_fail(x, SW_E_NOMEM, 0, "out of memory");
        goto out;
    }
    off = s->start;
    for (;;) {
        ssize_t n = pread(fd, tmp, SINK_BLOCK, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = xfer_fail(x, SW_E_FETCH, 1, "cannot read: %s", strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if ((uint64_t)n > s->cap - s->start - s->got) {
            r = xfer_fail(x, SW_E_FETCH_TOOBIG, 0,
                          "grew past the cap of %" PRIu64 " bytes while being read", s->cap);
            goto out;
        }
        r = sink_put(s, tmp, (size_t)n, &x->cb_err);
        if (r < 0) {
            r = xfer_fail(x, r, 0, "%s", x->cb_err.msg);
            goto out;
        }
        off += (uint64_t)n;
        emit_progress(x, 0);
    }
    r = 0;
out:
    free(tmp);
    if (fd >= 0)
        close(fd);
    return r;
}

/* --- attempts, retries, failover ------------------------------------------------------- */

static int
open_part(const char *part, uint64_t cap, int *ret_fd, uint64_t *ret_size, struct sw_error *err)
{
    struct stat st;
    int fd;

    fd = open(part, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        if (errno == ELOOP)
            return sw_error_set(err, SW_E_PERM, "refusing '%s': it is a symbolic link", part);
        return sw_error_errno(err, SW_E_IO, errno, "cannot open '%s'", part);
    }
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return sw_error_errno(err, SW_E_IO, e, "cannot stat '%s'", part);
    }
    if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid()) {
        close(fd);
        return sw_error_set(err, SW_E_PERM,
                            "refusing '%s': not a regular file of ours with one link", part);
    }
    if ((uint64_t)st.st_size > cap) {
        /* cannot be a prefix of an acceptable download */
        if (ftruncate(fd, 0) < 0) {
            int e = errno;
            close(fd);
            return sw_error_errno(err, SW_E_IO, e, "cannot truncate '%s'", part);
        }
        st.st_size = 0;
    }
    *ret_fd = fd;
    *ret_size = (uint64_t)st.st_size;
    return 0;
}

/* The byte cap of a request: its own, and the buffer's for memory. */
static uint64_t
sink_cap(const struct sw_fetch_request *req)
{
    if (req->buf && req->buf->max && req->buf->max < req->max_bytes)
        return req->buf->max;
    return req->max_bytes;
}

/*
 * One attempt on mirror m: transfer, then (file) fsync, verify, rename.
 * On failure x->cb_err holds "mirror 'NAME': URL: reason".
 */
static int
attempt(struct xfer *x, const char *url, const char *part, struct sw_fetch_result *res)
{
    const struct sw_fetch_request *req = x->req;
    struct sink sink;
    uint64_t start = 0;
    int fd = -1, r, drop_part = 0;

    memset(&sink, 0, sizeof(sink));
    sink.fd = -1;
    x->sink = &sink;
    x->cb_code = 0;
    x->retryable = 0;
    x->verify_failed = 0;
    sw_error_clear(&x->cb_err);
    x->url = url;
    quote(url, x->qurl, sizeof(x->qurl));

    if (req->dest) {
        r = open_part(part, sink_cap(req), &fd, &start, &x->cb_err);
        if (r < 0) {
            r = xfer_fail(x, r, 0, "%s", x->cb_err.msg);
            goto out;
        }
    } else {
        req->buf->len = 0;
    }
    r = sink_init(&sink, fd, req->dest ? NULL : req->buf, req->hash_algs, sink_cap(req), start,
                  part, &x->cb_err);
    if (r < 0) {
        r = xfer_fail(x, r, 0, "%s", x->cb_err.msg);
        goto out;
    }
    r = x->bu->scheme == SCHEME_FILE ? xfer_file(x, url) : xfer_http(x, url);
    if (r < 0) {
        drop_part =
            x->cb_code == -SW_E_FETCH_TOOBIG || (x->cb_code == -SW_E_FETCH && !x->retryable);
        goto out;
    }
    r = sink_close(&sink, 1, &x->cb_err);
    if (r < 0) {
        r = xfer_fail(x, r, 0, "%s", x->cb_err.msg);
        goto out;
    }
    if (fd >= 0) {
        if (SW_FAULT("fetch-fsync")) {
            r = xfer_fail(x, SW_E_FAULT, 0, "injected fault before fsync of '%s'", part);
            goto out;
        }
        if (fsync(fd) < 0) {
            r = xfer_fail(x, SW_E_IO, 0, "cannot fsync '%s': %s", part, strerror(errno));
            goto out;
        }
    }
    memset(res, 0, sizeof(*res));
    res->mirror = x->m->name;
    snprintf(res->url, sizeof(res->url), "%s", url);
    res->length = sink.start + sink.got;
    res->resumed_from = sink.start;
    r = sink_digests(&sink, res, &x->cb_err);
    if (r < 0) {
        r = xfer_fail(x, r, 0, "%s", x->cb_err.msg);
        goto out;
    }
    if (req->verify) {
        struct sw_error verr = SW_ERROR_INIT;
        res->data = req->buf ? req->buf->data : NULL;
        res->part_path = req->dest ? part : NULL;
        r = req->verify(req->verify_ctx, res, &verr);
        res->data = NULL;
        res->part_path = NULL;
        if (r < 0) {
            if (!verr.code)
                sw_error_set(&verr, r, "rejected by the caller");
            x->url = url;
            quote(url, x->qurl, sizeof(x->qurl));
            r = xfer_fail(x, r, 0, "verification failed: %s", verr.msg);
            x->verify_failed = 1;
            drop_part = 1;
            goto out;
        }
    }
    if (req->dest) {
        if (SW_FAULT("fetch-rename")) {
            r = xfer_fail(x, SW_E_FAULT, 0, "injected fault before rename to '%s'", req->dest);
            goto out;
        }
        if (rename(part, req->dest) < 0) {
            r = xfer_fail(x, SW_E_IO, 0, "cannot rename '%s' to '%s': %s", part, req->dest,
                          strerror(errno));
            goto out;
        }
        r = sw_fs_fsync_parent(req->dest, &x->cb_err);
        if (r < 0) {
            r = xfer_fail(x, r, 0, "%s", x->cb_err.msg);
            goto out;
        }
    }
    x->url = url;
    {
        char qurl[sizeof(x->qurl)];
        quote(url, qurl, sizeof(qurl));
        if (x->bu->scheme == SCHEME_FILE)
            sw_log_info("mirror '%s': %s: read, %" PRIu64 " bytes", x->m->name, qurl, res->length);
        else
            sw_log_info("mirror '%s': %s: HTTP %ld, %" PRIu64 " bytes%s", x->m->name, qurl,
                        x->status, res->length, res->resumed_from ? " (resumed)" : "");
    }
    emit(x, SW_FETCH_EV_DONE, NULL);
    r = 0;
out:
    /* a transfer that broke off keeps what arrived, for a resume */
    sink_close(&sink, r < 0 && !drop_part, NULL);
    if (r < 0) {
        if (drop_part && fd >= 0)
            unlink(part);
        if (req->buf)
            req->buf->len = 0;
    }
    x->sink = NULL;
    sink_release(&sink);
    if (fd >= 0)
        close(fd);
    return r;
}

/* Whether the run's deadline (when there is one) has passed. */
static int
past_deadline(const struct sw_fetch_settings *st)
{
    /* less than a millisecond left is no time for a request */
    return st->deadline > 0 && now_s() + 0.001 >= st->deadline;
}

/* Sleep before retry number n (0-based): base * 2^n, at most max, less a random part. */
static void
backoff(const struct sw_fetch_settings *st, unsigned n)
{
    uint64_t d = st->backoff_ms;
    uint32_t rnd = 0;
    struct timespec ts;

    if (d == 0)
        return;
    for (unsigned i = 0; i < n && d < st->backoff_max_ms; i++)
        d *= 2;
    if (st->backoff_max_ms && d > st->backoff_max_ms)
        d = st->backoff_max_ms;
    /* jitter: somewhere in [d/2, d], so a fleet does not retry in step */
    if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
        rnd = (uint32_t)now_s() ^ (uint32_t)getpid();
    d = d / 2 + (d / 2 + 1) * (uint64_t)rnd / ((uint64_t)UINT32_MAX + 1);
    if (st->deadline > 0) {
        /* rounded up, so that the loop finds the deadline passed after the sleep */
        double left = st->deadline - now_s();
        uint64_t left_ms = left > 0 ? (uint64_t)(left * 1000.0) + 1 : 0;
        if (d > left_ms)
            d = left_ms;
    }
    ts.tv_sec = (time_t)(d / 1000);
    ts.tv_nsec = (long)(d % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int
check_request(const struct sw_fetch_request *req, struct sw_error *err)
{
    if (!req->path)
        return sw_error_set(err, SW_E_INVAL, "fetch request without a path");
    if (!req->buf == !req->dest)
        return sw_error_set(err, SW_E_INVAL,
                            "fetch request for '%s' needs exactly one of a buffer and a file",
                            req->path);
    if (req->max_bytes == 0)
        return sw_error_set(err, SW_E_INVAL, "fetch request for '%s' has no byte cap", req->path);
    if (req->hash_algs & ~((1u << SW_HASH_N_ALGS) - 1))
        return sw_error_set(err, SW_E_UNSUPPORTED,
                            "fetch request for '%s' asks for an unknown hash", req->path);
    if (req->base != SW_FETCH_METADATA && req->base != SW_FETCH_TARGETS)
        return sw_error_set(err, SW_E_INVAL, "fetch request for '%s' has an unknown base",
                            req->path);
    if (req->buf && req->buf->len != 0)
        return sw_error_set(err, SW_E_INVAL, "fetch request for '%s': the buffer is not empty",
                            req->path);
    if (req->dest) {
        size_t dl = strlen(req->dest), sl = strlen(SW_FETCH_PART_SUFFIX);
        /* else it could be the partial file of another destination */
        if (dl >= sl && strcmp(req->dest + dl - sl, SW_FETCH_PART_SUFFIX) == 0)
            return sw_error_set(err, SW_E_INVAL,
                                "fetch request for '%s': destination '%s' ends in '%s', the form "
                                "of partial files",
                                req->path, req->dest, SW_FETCH_PART_SUFFIX);
    }
    return 0;
}

/* Append "; " + msg to the summary of every mirror's failure. */
static void
summary_add(char *sum, size_t n, const char *msg)
{
    size_t l = strlen(sum), ml = strlen(msg);
    if (l && l + 2 < n) {
        memcpy(sum + l, "; ", 2);
        l += 2;
    }
    if (ml > n - 1 - l)
        ml = n - 1 - l;
    memcpy(sum + l, msg, ml);
    sum[l + ml] = '\0';
}

int
sw_fetch_get(struct sw_fetch *f, const struct sw_fetch_request *req, struct sw_fetch_result *ret,
             struct sw_error *err)
{
    struct sw_fetch_result *res = NULL;
    char summary[SW_ERROR_MSG_MAX] = "";
    char qpath[MSG_PATH_MAX];
    char *part = NULL;
    unsigned requests = 0;
    int r, last_code = 0, hard_code = 0, n_notfound = 0, n_unreachable = 0;

    r = check_request(req, err);
    if (r < 0)
        return r;
    quote(req->path, qpath, sizeof(qpath));
    if (req->dest && asprintf(&part, "%s%s", req->dest, SW_FETCH_PART_SUFFIX) < 0) {
        part = NULL;
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    if (part) {
        /* a local problem is reported as such, not as every mirror's failure */
        int fd = -1;
        uint64_t size;
        r = open_part(part, req->max_bytes, &fd, &size, err);
        if (r < 0)
            goto out;
        close(fd);
    }
    res = calloc(1, sizeof(*res));
    if (!res) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t mi = 0; mi < f->n_mirrors; mi++) {
        struct xfer x;
        char *url = NULL;
        int restarted = 0;

        memset(&x, 0, sizeof(x));
        x.f = f;
        x.m = &f->mirrors[mi];
        x.bu = &x.m->base[req->base];
        x.req = req;
        x.requests = &requests;
        r = sw_fetch_url_join(x.bu->url, req->path, req->mode, &url, &x.cb_err);
        if (r < 0) {
            x.cb_code = sw_error_prefix(&x.cb_err, "mirror '%s': ", x.m->name);
        } else {
            for (unsigned n = 0;;) {
                if (past_deadline(&f->s)) {
                    x.retryable = 0;
                    x.cb_code = sw_error_set(&x.cb_err, SW_E_FETCH_SLOW,
                                             "mirror '%s': not tried, the run's deadline has "
                                             "passed",
                                             x.m->name);
                    break;
                }
                r = attempt(&x, url, part, res);
                if (r == 0) {
                    res->requests = requests;
                    *ret = *res;
                    free(url);
                    goto out;
                }
                x.url = url;
                if (x.verify_failed && res->resumed_from > 0 && !restarted) {
                    /* the old .part may have been the bad part: once more from byte 0 */
                    restarted = 1;
                    emit(&x, SW_FETCH_EV_RETRY, &x.cb_err);
                    continue;
                }
                if (!x.retryable || n >= f->s.retries)
                    break;
                sw_log_info("%s; retrying (%u of %u)", x.cb_err.msg, n + 1, f->s.retries);
                emit(&x, SW_FETCH_EV_RETRY, &x.cb_err);
                backoff(&f->s, n++);
            }
        }
        free(url);
        if (x.cb_code == -SW_E_FETCH_NOTFOUND) {
            n_notfound++;
        } else {
            last_code = x.cb_code;
            if (x.retryable && x.status == 0)
                n_unreachable++; /* no connection, or no answer before it failed */
            else
                hard_code = x.cb_code;
        }
        summary_add(summary, sizeof(summary), x.cb_err.msg);
        if (mi + 1 < f->n_mirrors) {
            sw_log_info("%s; trying mirror '%s'", x.cb_err.msg, f->mirrors[mi + 1].name);
            x.url = NULL;
            emit(&x, SW_FETCH_EV_FAILOVER, &x.cb_err);
        } else {
            /*
             * Not found when some mirror answered so and every other one was
             * unreachable (no connection, or a timeout or a cut before any
             * HTTP status): one dead mirror must not turn "no newer root"
             * into an error. A mirror that answered otherwise (5xx, TLS, pin,
             * redirect, cap, wrong bytes) is not outvoted.
             */
            struct sw_error fe = SW_ERROR_INIT;
            int notfound = n_notfound > 0 && hard_code == 0;
            int code = notfound ? -SW_E_FETCH_NOTFOUND : n_notfound ? hard_code : last_code;
            r = sw_error_set(&fe, -code, "cannot fetch '%s': %s", qpath, summary);
            if (notfound && n_unreachable > 0)
                sw_log_info(
                    "'%s' is taken as missing: %u mirror(s) said not found, %u could not be "
                    "reached (%s)",
                    qpath, (unsigned)n_notfound, (unsigned)n_unreachable, summary);
            else if (notfound)
                sw_log_info("%s", fe.msg); /* often expected: the next root's probe */
            else
                sw_log_debug("%s", fe.msg);
            x.url = NULL;
            emit(&x, SW_FETCH_EV_FAIL, &fe);
            if (err)
                *err = fe;
        }
    }
out:
    f->total_requests += requests;
    free(res);
    free(part);
    return r;
}

unsigned
sw_fetch_request_count(const struct sw_fetch *f)
{
    return f->total_requests;
}
