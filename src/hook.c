/* SPDX-License-Identifier: MIT */
/*
 * The test-hook runner: finds the hooks of a phase (override, masking),
 * checks each file is safe to run, runs it in its own process group with a
 * scrubbed environment and a timeout, collects its output and result-fd
 * findings, and kills and reaps whatever it left behind. Storing results
 * and the promote gate belong to the callers.
 */
#include <slipway/hook.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHILDREN_SCAN 4096
#define SWEEP_DEADLINE_MS 2000
#define CGROUP_RMDIR_MS 1000
#define MAX_USER_GROUPS 4096

/* What the child reports on its error pipe before exec (or instead of it). */
enum child_report {
    REPORT_CGROUP = 1, /* could not enter the cgroup: went on without it */
    REPORT_PRIV = 2,   /* could not become the configured user */
    REPORT_EXEC = 3,   /* could not set up or exec */
};

const char *
sw_hook_containment_to_string(enum sw_hook_containment c)
{
    switch (c) {
    case SW_HOOK_CONTAIN_NONE:
        return "none";
    case SW_HOOK_CONTAIN_PGROUP:
        return "process-group";
    case SW_HOOK_CONTAIN_CGROUP:
        return "cgroup";
    }
    return "unknown";
}

const char *
sw_hook_status_to_string(enum sw_hook_status status)
{
    switch (status) {
    case SW_HOOK_PASS:
        return "pass";
    case SW_HOOK_FAIL:
        return "fail";
    case SW_HOOK_SKIP:
        return "skip";
    case SW_HOOK_ERROR:
        return "error";
    case SW_HOOK_REFUSED:
        return "refused";
    }
    return "unknown";
}

int
sw_hook_status_from_string(const char *s, enum sw_hook_status *ret_status)
{
    static const enum sw_hook_status all[] = {SW_HOOK_PASS, SW_HOOK_FAIL, SW_HOOK_SKIP,
                                              SW_HOOK_ERROR, SW_HOOK_REFUSED};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (s && !strcmp(s, sw_hook_status_to_string(all[i]))) {
            *ret_status = all[i];
            return 0;
        }
    return -SW_E_INVAL;
}

/* ---- discovery ------------------------------------------------------------ */

static int
valid_hook_name(const char *name)
{
    const char *p = name;
    if (!isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p++ != '-' || !*p)
        return 0;
    for (; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return 0;
    return 1;
}

const char *
sw_hook_config_name(const char *name)
{
    const char *p = name;
    while (isdigit((unsigned char)*p))
        p++;
    return (p != name && *p == '-' && p[1]) ? p + 1 : name;
}

static char *
join3(const char *a, const char *b, const char *c)
{
    char *s = NULL;
    if (asprintf(&s, "%s/%s/%s", a, b, c) < 0)
        return NULL;
    return s;
}

static int
is_masked(const char *path)
{
    struct stat st;
    char target[64];
    if (lstat(path, &st) < 0)
        return 0;
    if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            if (!strcmp(target, "/dev/null"))
                return 1;
        }
        return 0;
    }
    return S_ISREG(st.st_mode) && st.st_size == 0;
}

static void
hook_release(struct sw_hook *h)
{
    free(h->name);
    free(h->path);
    free(h->origin);
    free(h->overrides);
    memset(h, 0, sizeof(*h));
}

void
sw_hook_list_free(struct sw_hook_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++)
        hook_release(&list->v[i]);
    free(list->v);
    free(list->phase);
    free(list);
}

static int
cmp_hook(const void *a, const void *b)
{
    return strcmp(((const struct sw_hook *)a)->name, ((const struct sw_hook *)b)->name);
}

static int
valid_phase(const char *phase)
{
    if (!phase || !*phase || !strcmp(phase, ".") || !strcmp(phase, ".."))
        return 0;
    for (const char *p = phase; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return 0;
    return 1;
}

int
sw_hook_discover(const struct sw_strlist *dirs, const char *phase, struct sw_hook_list **ret_list,
                 struct sw_error *err)
{
    struct sw_hook_list *list = NULL;
    DIR *d = NULL;
    char *pdir = NULL;
    int r = 0;

    if (!valid_phase(phase))
        return sw_error_set(err, SW_E_INVAL, "invalid hook phase '%s'", phase ? phase : "");
    list = calloc(1, sizeof(*list));
    if (!list || !(list->phase = strdup(phase))) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; dirs && i < dirs->n; i++) {
        struct dirent *e;
        free(pdir);
        if (asprintf(&pdir, "%s/%s", dirs->v[i], phase) < 0) {
            pdir = NULL;
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto out;
        }
        d = opendir(pdir);
        if (!d) {
            if (errno == ENOENT || errno == ENOTDIR)
                continue;
            r = sw_error_errno(err, SW_E_IO, errno, "hook directory '%s'", pdir);
            goto out;
        }
        while ((e = readdir(d))) {
            struct sw_hook *h = NULL;
            if (!valid_hook_name(e->d_name))
                continue;
            for (size_t j = 0; j < list->n; j++)
                if (!strcmp(list->v[j].name, e->d_name))
                    h = &list->v[j];
            if (h) {
                free(h->overrides);
                h->overrides = h->path;
                h->path = NULL;
                free(h->origin);
                h->origin = NULL;
            } else {
                struct sw_hook *v;
                if (list->n >= SW_HOOK_MAX_PER_PHASE) {
                    r = sw_error_set(err, SW_E_LIMIT, "more than %d hooks in phase '%s'",
                                     SW_HOOK_MAX_PER_PHASE, phase);
                    goto out;
                }
                v = realloc(list->v, (list->n + 1) * sizeof(*v));
                if (!v) {
                    r = sw_error_set(err, SW_E_NOMEM, "out of memory");
                    goto out;
                }
                list->v = v;
                h = &list->v[list->n++];
                memset(h, 0, sizeof(*h));
                if (!(h->name = strdup(e->d_name))) {
                    r = sw_error_set(err, SW_E_NOMEM, "out of memory");
                    goto out;
                }
            }
            h->path = join3(dirs->v[i], phase, e->d_name);
            h->origin = strdup(dirs->v[i]);
            if (!h->path || !h->origin) {
                r = sw_error_set(err, SW_E_NOMEM, "out of memory");
                goto out;
            }
            h->masked = is_masked(h->path);
        }
        closedir(d);
        d = NULL;
    }
    if (list->n)
        qsort(list->v, list->n, sizeof(list->v[0]), cmp_hook);
    *ret_list = list;
    list = NULL;
out:
    if (d)
        closedir(d);
    free(pdir);
    sw_hook_list_free(list);
    return r;
}

/* ---- running -------------------------------------------------------------- */

void
sw_hook_params_init(struct sw_hook_params *params, const struct sw_config *cfg)
{
    ssize_t n;

    memset(params, 0, sizeof(*params));
    params->timeout_ms = SW_HOOK_DEFAULT_TIMEOUT_MS;
    params->grace_ms = SW_HOOK_DEFAULT_GRACE_MS;
    params->retries = SW_HOOK_DEFAULT_RETRIES;
    params->retry_delay_ms = SW_HOOK_DEFAULT_RETRY_DELAY_MS;
    params->max_output = SW_HOOK_DEFAULT_MAX_OUTPUT;
    params->max_line = SW_HOOK_DEFAULT_MAX_LINE;
    params->max_findings = SW_HOOK_DEFAULT_MAX_FINDINGS;
    params->hook_lib = SW_HOOK_LIB_DEFAULT;
    if (cfg) {
        if (cfg->hook_timeout)
            params->timeout_ms = cfg->hook_timeout * 1000u;
        params->grace_ms = cfg->hook_grace * 1000u;
        params->retries = cfg->hook_retries;
        params->retry_delay_ms = cfg->hook_retry_delay * 1000u;
        if (cfg->hook_output_max)
            params->max_output = (size_t)cfg->hook_output_max;
        if (cfg->hook_lib)
            params->hook_lib = cfg->hook_lib;
    }
    n = readlink("/proc/self/exe", params->bin, sizeof(params->bin) - 1);
    params->bin[n > 0 ? n : 0] = '\0';
}

static uint64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

void
sw_hook_result_release(struct sw_hook_result *res)
{
    if (!res)
        return;
    free(res->name);
    free(res->path);
    free(res->reason);
    free(res->output);
    for (size_t i = 0; i < res->n_findings; i++) {
        free(res->findings[i].check);
        free(res->findings[i].detail);
    }
    free(res->findings);
    for (size_t i = 0; i < res->n_bad_lines; i++)
        free(res->bad_lines[i]);
    free(res->bad_lines);
    memset(res, 0, sizeof(*res));
}

void
sw_hook_results_free(struct sw_hook_results *results)
{
    if (!results)
        return;
    for (size_t i = 0; i < results->n; i++)
        sw_hook_result_release(&results->v[i]);
    free(results->v);
    free(results);
}

/* Forget the previous attempt's output, findings and verdict. */
static void
reset_attempt(struct sw_hook_result *res)
{
    free(res->reason);
    res->reason = NULL;
    free(res->output);
    res->output = NULL;
    res->output_len = 0;
    res->output_truncated = 0;
    for (size_t i = 0; i < res->n_findings; i++) {
        free(res->findings[i].check);
        free(res->findings[i].detail);
    }
    free(res->findings);
    res->findings = NULL;
    res->n_findings = res->findings_dropped = 0;
    for (size_t i = 0; i < res->n_bad_lines; i++)
        free(res->bad_lines[i]);
    free(res->bad_lines);
    res->bad_lines = NULL;
    res->n_bad_lines = res->bad_lines_dropped = 0;
    res->exit_code = -1;
    res->signal = 0;
    res->timed_out = 0;
}

/* Bytes of s to keep for at most max: never cutting a UTF-8 sequence in two. */
static int
utf8_cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return (int)n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return (int)max;
}

SW_PRINTF(2, 3)
static int
set_reason(struct sw_hook_result *res, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    free(res->reason);
    res->reason = s;
    return s ? 0 : -SW_E_NOMEM;
}

/* Refuse what is not ours to run; 1 = refused (reason set), 0 = fine. */
static int
check_file(const char *path, struct sw_hook_result *res)
{
    struct stat st;
    uid_t me = geteuid();
    int r;

    if (stat(path, &st) < 0)
        r = set_reason(res, "hook '%s' cannot be read: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        r = set_reason(res, "hook '%s' is not a regular file", path);
    else if (st.st_uid != 0 && st.st_uid != me)
        r = set_reason(res, "hook '%s' is owned by uid %u, not root%s", path, (unsigned)st.st_uid,
                       me ? " nor the running user" : "");
    else if (st.st_mode & (S_IWGRP | S_IWOTH))
        r = set_reason(res, "hook '%s' is %s-writable (mode %04o)", path,
                       (st.st_mode & S_IWOTH) ? "world" : "group", (unsigned)(st.st_mode & 07777));
    else if (!(st.st_mode & S_IXUSR) || access(path, X_OK) < 0)
        r = set_reason(res, "hook '%s' is not executable (mode %04o)", path,
                       (unsigned)(st.st_mode & 07777));
    else
        return 0;
    return r < 0 ? r : 1;
}

/* ---- the environment ---- */

struct envv {
    char **v;
    size_t n;
};

static void
envv_free(struct envv *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i]);
    free(e->v);
    e->v = NULL;
    e->n = 0;
}

static int
envv_add(struct envv *e, const char *key, const char *value)
{
    char **v = realloc(e->v, (e->n + 2) * sizeof(*v));
    if (!v)
        return -SW_E_NOMEM;
    e->v = v;
    if (asprintf(&e->v[e->n], "%s=%s", key, value ? value : "") < 0)
        return -SW_E_NOMEM;
    e->v[++e->n] = NULL;
    return 0;
}

/* The user a hook runs as (user = NAME), resolved before the fork. */
struct run_as {
    int drop; /* 1: setgroups/setgid/setuid in the child */
    uid_t uid;
    gid_t gid;
    gid_t *groups;
    int ngroups;
    char *name; /* USER */
    char *home; /* HOME */
};

static void
run_as_release(struct run_as *ra)
{
    free(ra->groups);
    free(ra->name);
    free(ra->home);
    memset(ra, 0, sizeof(*ra));
}

/*
 * Resolve user (the section's user =) for hook path: 0 = fine (ra filled),
 * 1 = refused (reason set), negative = no memory. Reads the user database
 * only for hooks that name a user.
 */
static int
resolve_user(const char *path, const char *section, const char *user, struct run_as *ra,
             struct sw_hook_result *res)
{
    struct passwd pwbuf, *pw = NULL;
    long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
    char *buf = NULL;
    uid_t me = geteuid();
    int e, r = 0;

    if (sz < 1024 || sz > 1024 * 1024)
        sz = 16384;
    if (!(buf = malloc((size_t)sz)))
        return -SW_E_NOMEM;
    e = getpwnam_r(user, &pwbuf, buf, (size_t)sz, &pw);
    if (!pw) {
        r = set_reason(res, "hook '%s': user '%s' (user = in [hook \"%s\"]) does not exist%s%s",
                       path, user, section, e ? ": " : "", e ? strerror(e) : "");
        r = r < 0 ? r : 1;
        goto out;
    }
    if (me != 0 && pw->pw_uid != me) {
        r = set_reason(res,
                       "hook '%s' is to run as user '%s' (user = in [hook \"%s\"]), but slipway "
                       "runs as uid %u, not root: it cannot change user",
                       path, user, section, (unsigned)me);
        r = r < 0 ? r : 1;
        goto out;
    }
    ra->uid = pw->pw_uid;
    ra->gid = pw->pw_gid;
    ra->name = strdup(pw->pw_name);
    ra->home = strdup(pw->pw_dir);
    if (!ra->name || !ra->home) {
        r = -SW_E_NOMEM;
        goto out;
    }
    if (me == 0) {
        int n = 64;
        ra->drop = 1;
        for (;;) {
            int got = n;
            gid_t *g = realloc(ra->groups, (size_t)n * sizeof(*g));
            if (!g) {
                r = -SW_E_NOMEM;
                goto out;
            }
            ra->groups = g;
            if (getgrouplist(pw->pw_name, pw->pw_gid, ra->groups, &got) >= 0) {
                ra->ngroups = got;
                break;
            }
            if (got <= n || got > MAX_USER_GROUPS) {
                r = set_reason(res, "hook '%s': the groups of user '%s' cannot be read", path,
                               user);
                r = r < 0 ? r : 1;
                goto out;
            }
            n = got;
        }
    }
out:
    free(buf);
    return r;
}

static int
build_env(const struct sw_hook_env *env, const struct sw_hook_config *hc, unsigned timeout_ms,
          const struct sw_hook_params *params, const struct run_as *ra, struct envv *out)
{
    char tbuf[32], fdbuf[16];
    int r = 0;

    snprintf(tbuf, sizeof(tbuf), "%u", (timeout_ms + 999) / 1000);
    snprintf(fdbuf, sizeof(fdbuf), "%d", SW_HOOK_RESULT_FD);
    if ((r = envv_add(out, "PATH", SW_HOOK_SAFE_PATH)) < 0 ||
        (r = envv_add(out, "SLIPWAY_PHASE", env->phase)) < 0 ||
        (r = envv_add(out, "SLIPWAY_TXN", env->txn)) < 0 ||
        (r = envv_add(out, "SLIPWAY_SLOT", env->slot)) < 0 ||
        (r = envv_add(out, "SLIPWAY_SLOT_DIR", env->slot_dir)) < 0 ||
        (r = envv_add(out, "SLIPWAY_ACTIVE_DIR", env->active_dir)) < 0 ||
        (r = envv_add(out, "SLIPWAY_VERSION_NEW", env->version_new)) < 0 ||
        (r = envv_add(out, "SLIPWAY_VERSION_OLD", env->version_old)) < 0 ||
        (r = envv_add(out, "SLIPWAY_CHANNEL", env->channel)) < 0 ||
        (r = envv_add(out, "SLIPWAY_HOOK_TIMEOUT", tbuf)) < 0 ||
        (r = envv_add(out, "SLIPWAY_RESULT_FD", fdbuf)) < 0 ||
        (r = envv_add(out, "SLIPWAY_HOOK_LIB", params->hook_lib)) < 0 ||
        (r = envv_add(out, "SLIPWAY_BIN", params->bin)) < 0)
        return r;
    if (ra->name &&
        ((r = envv_add(out, "HOME", ra->home)) < 0 || (r = envv_add(out, "USER", ra->name)) < 0))
        return r;
    for (size_t i = 0; hc && i < hc->n_opts; i++) {
        char *key = NULL;
        if (asprintf(&key, "SLIPWAY_OPT_%s", hc->opts[i].key) < 0)
            return -SW_E_NOMEM;
        for (char *p = key + strlen("SLIPWAY_OPT_"); *p; p++)
            *p = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
        r = envv_add(out, key, hc->opts[i].value);
        free(key);
        if (r < 0)
            return r;
    }
    return 0;
}

/* ---- the children this process has (for the orphan sweep) ---- */

struct pidset {
    pid_t *v;
    size_t n;
};

static int
pidset_has(const struct pidset *s, pid_t p)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == p)
            return 1;
    return 0;
}

static void
pidset_add(struct pidset *s, pid_t p)
{
    pid_t *v;
    if (s->n >= MAX_CHILDREN_SCAN || pidset_has(s, p))
        return;
    v = realloc(s->v, (s->n + 1) * sizeof(*v));
    if (!v)
        return;
    s->v = v;
    s->v[s->n++] = p;
}

/* Our children: /proc/self/task/T/children, else a scan of /proc. */
static void
list_children(struct pidset *out)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int found_file = 0;
    pid_t self = getpid();

    out->n = 0;
    if (d) {
        while ((e = readdir(d))) {
            char path[320];
            FILE *f;
            long p;
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
            f = fopen(path, "re");
            if (!f)
                continue;
            found_file = 1;
            while (fscanf(f, "%ld", &p) == 1)
                pidset_add(out, (pid_t)p);
            fclose(f);
        }
        closedir(d);
    }
    if (found_file)
        return;
    d = opendir("/proc");
    if (!d)
        return;
    while ((e = readdir(d))) {
        char path[320], buf[512], *rp;
        FILE *f;
        long ppid;
        size_t n;
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        f = fopen(path, "re");
        if (!f)
            continue;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        rp = strrchr(buf, ')');
        if (rp && sscanf(rp + 1, " %*c %ld", &ppid) == 1 && ppid == self)
            pidset_add(out, (pid_t)atol(e->d_name));
    }
    closedir(d);
}

/* ---- cgroup v2 containment ---- */

/* The process's own cgroup v2 directory, found once: 1 usable, -1 not, 0 not looked yet. */
static int cg_state;
static char cg_base[PATH_MAX];
static unsigned cg_serial;

struct cgroup {
    int active; /* the directory exists and cgroup.procs is open */
    int procs_fd;
    char path[PATH_MAX + 48];
};

/* The mount point of the cgroup2 file system whose root is "/", into mnt. */
static int
cgroup2_mount(char *mnt, size_t len)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096];
    int found = 0;

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        char root[1024], point[1024], *dash = strstr(line, " - ");
        if (!dash || strncmp(dash, " - cgroup2 ", 11) != 0)
            continue;
        if (sscanf(line, "%*s %*s %*s %1023s %1023s", root, point) != 2)
            continue;
        if (strcmp(root, "/") != 0 || strchr(point, '\\'))
            continue; /* a bind of a sub-tree, or a name with escapes */
        if (!found || !strcmp(point, "/sys/fs/cgroup")) {
            snprintf(mnt, len, "%s", point);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

static void cgroup_kill_path(const char *dir);

/*
 * Cgroups a slipway that died mid-hook left behind (slipway-hook.PID.N of a
 * PID that is gone): whatever still runs there is killed and the cgroup
 * removed, once per process, when the base is first found.
 */
static void
cgroup_reap_stale(void)
{
    DIR *d = opendir(cg_base);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        char path[PATH_MAX + 300];
        long pid;
        unsigned n;
        char tail;
        if (sscanf(e->d_name, "slipway-hook.%ld.%u%c", &pid, &n, &tail) != 2 || pid <= 0 ||
            pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(path, sizeof(path), "%s/%s", cg_base, e->d_name);
        cgroup_kill_path(path);
        for (int i = 0; i < 100 && rmdir(path) < 0 && errno == EBUSY; i++)
            sleep_ms(1);
    }
    closedir(d);
}

static int
cgroup_find_base(void)
{
    char mnt[1024], line[2048], rel[2048] = "";
    FILE *f;

    if (cg_state)
        return cg_state > 0;
    cg_state = -1;
    f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "0::", 3) != 0)
            continue;
        line[strcspn(line, "\n")] = '\0';
        snprintf(rel, sizeof(rel), "%s", line + 3);
    }
    fclose(f);
    if (rel[0] != '/' || strstr(rel, "/..") || !cgroup2_mount(mnt, sizeof(mnt)))
        return 0;
    if ((size_t)snprintf(cg_base, sizeof(cg_base), "%s%s", mnt, strcmp(rel, "/") ? rel : "") >=
        sizeof(cg_base) - 64)
        return 0;
    cg_state = 1;
    cgroup_reap_stale();
    return 1;
}

/* A fresh child cgroup for one attempt; cg->active = 0 when none can be made. */
static void
cgroup_create(struct cgroup *cg, const struct sw_hook_params *p)
{
    char procs[PATH_MAX + 64];

    cg->active = 0;
    cg->procs_fd = -1;
    if (p->no_cgroup || !cgroup_find_base())
        return;
    snprintf(cg->path, sizeof(cg->path), "%s/slipway-hook.%ld.%u", cg_base, (long)getpid(),
             ++cg_serial);
    if (mkdir(cg->path, 0755) < 0 &&
        (errno != EEXIST || rmdir(cg->path) < 0 || mkdir(cg->path, 0755) < 0)) {
        if (errno == EACCES || errno == EPERM || errno == EROFS || errno == ENOENT)
            cg_state = -1; /* not ours to use: stop trying */
        return;
    }
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg->path);
    cg->procs_fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (cg->procs_fd < 0) {
        rmdir(cg->path);
        return;
    }
    cg->active = 1;
}

/* SIGKILL every process in the cgroup directory dir; 1 = some were there. */
static int
kill_procs_in(const char *dir)
{
    char path[PATH_MAX + 400];
    FILE *f;
    long pid;
    int any = 0;

    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    f = fopen(path, "re");
    if (!f)
        return 0;
    while (fscanf(f, "%ld", &pid) == 1)
        if (pid > 1 && kill((pid_t)pid, SIGKILL) == 0)
            any = 1;
    fclose(f);
    return any;
}

static int
cgroup_kill_procs(const struct cgroup *cg)
{
    return kill_procs_in(cg->path);
}

/* Kill a whole cgroup: cgroup.kill when the kernel has it (5.14), else pid by pid. */
static void
cgroup_kill_path(const char *dir)
{
    char path[PATH_MAX + 400];
    int fd;

    snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = write(fd, "1", 1);
        close(fd);
        if (n == 1)
            return;
    }
    kill_procs_in(dir);
}

static void
cgroup_kill(const struct cgroup *cg)
{
    if (cg->active)
        cgroup_kill_path(cg->path);
}

static void
cgroup_remove(struct cgroup *cg)
{
    uint64_t deadline;

    if (cg->procs_fd >= 0)
        close(cg->procs_fd);
    cg->procs_fd = -1;
    if (!cg->active)
        return;
    deadline = now_ms() + CGROUP_RMDIR_MS;
    while (rmdir(cg->path) < 0 && errno == EBUSY && now_ms() < deadline) {
        cgroup_kill_procs(cg);
        sleep_ms(1);
    }
    cg->active = 0;
}

/*
 * Kill the hook's process group, its cgroup when it has one, and every
 * child we gained since before (orphans reparented to us as subreaper),
 * reap them, until none is left.
 */
static void
sweep(pid_t pgid, const struct pidset *before, const struct cgroup *cg)
{
    struct pidset now = {0};
    uint64_t deadline = now_ms() + SWEEP_DEADLINE_MS;

    cgroup_kill(cg);
    for (;;) {
        int group_alive = kill(-pgid, SIGKILL) == 0;
        int any = cg->active && cgroup_kill_procs(cg);
        list_children(&now);
        for (size_t i = 0; i < now.n; i++) {
            if (pidset_has(before, now.v[i]))
                continue;
            any = 1;
            kill(now.v[i], SIGKILL);
            while (waitpid(now.v[i], NULL, 0) < 0 && errno == EINTR)
                ;
        }
        if ((!group_alive && !any) || now_ms() > deadline)
            break;
        if (!any)
            sleep_ms(1);
    }
    free(now.v);
}

/* ---- output and result lines ---- */

struct linebuf {
    char *buf;
    size_t len;
    int overflow; /* the current line passed max_line: drop until '\n' */
};

static int
add_bad_line(struct sw_hook_result *res, const struct sw_hook_params *p, const char *why,
             const char *line, size_t len)
{
    char **v;
    char *s = NULL;
    int keep = (int)(len < SW_HOOK_BAD_LINE_KEEP ? len : SW_HOOK_BAD_LINE_KEEP);
    if (res->n_bad_lines >= p->max_findings) {
        res->bad_lines_dropped++;
        return 0;
    }
    if (asprintf(&s, "%s: %.*s", why, keep, line) < 0)
        return -SW_E_NOMEM;
    for (char *c = s; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
            *c = '?';
    v = realloc(res->bad_lines, (res->n_bad_lines + 1) * sizeof(*v));
    if (!v) {
        free(s);
        return -SW_E_NOMEM;
    }
    res->bad_lines = v;
    res->bad_lines[res->n_bad_lines++] = s;
    return 0;
}

static int
parse_line(struct sw_hook_result *res, const struct sw_hook_params *p, const char *line, size_t len)
{
    json_t *j = NULL, *check, *status, *detail;
    json_error_t jerr;
    enum sw_hook_status st;
    struct sw_hook_finding *v;
    int r = 0;

    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (!len)
        return 0;
    j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j || !json_is_object(j)) {
        r = add_bad_line(res, p, j ? "not a JSON object" : "not JSON", line, len);
        goto out;
    }
    check = json_object_get(j, "check");
    status = json_object_get(j, "status");
    detail = json_object_get(j, "detail");
    if (!json_is_string(check) || !json_string_length(check)) {
        r = add_bad_line(res, p, "no \"check\" string", line, len);
        goto out;
    }
    if (!json_is_string(status) || sw_hook_status_from_string(json_string_value(status), &st) < 0 ||
        (st != SW_HOOK_PASS && st != SW_HOOK_FAIL && st != SW_HOOK_SKIP)) {
        r = add_bad_line(res, p, "\"status\" is not pass, fail or skip", line, len);
        goto out;
    }
    if (detail && !json_is_string(detail)) {
        r = add_bad_line(res, p, "\"detail\" is not a string", line, len);
        goto out;
    }
    if (res->n_findings >= p->max_findings) {
        res->findings_dropped++;
        goto out;
    }
    v = realloc(res->findings, (res->n_findings + 1) * sizeof(*v));
    if (!v) {
        r = -SW_E_NOMEM;
        goto out;
    }
    res->findings = v;
    v = &res->findings[res->n_findings];
    v->status = st;
    v->check = strdup(json_string_value(check));
    v->detail = strdup(detail ? json_string_value(detail) : "");
    if (!v->check || !v->detail) {
        free(v->check);
        free(v->detail);
        r = -SW_E_NOMEM;
        goto out;
    }
    res->n_findings++;
out:
    json_decref(j);
    return r;
}

static int
feed_result(struct sw_hook_result *res, const struct sw_hook_params *p, struct linebuf *lb,
            const char *data, size_t n)
{
    int r;
    for (size_t i = 0; i < n; i++) {
        char c = data[i];
        if (c == '\n') {
            if (lb->overflow)
                r = add_bad_line(res, p, "line too long", lb->buf, lb->len);
            else
                r = parse_line(res, p, lb->buf, lb->len);
            lb->len = 0;
            lb->overflow = 0;
            if (r < 0)
                return r;
            continue;
        }
        if (lb->len >= p->max_line) {
            lb->overflow = 1;
            continue;
        }
        lb->buf[lb->len++] = c;
    }
    return 0;
}

static void
feed_output(struct sw_hook_result *res, const struct sw_hook_params *p, const char *data, size_t n)
{
    size_t room = p->max_output - res->output_len;
    if (n > room) {
        res->output_truncated = 1;
        n = room;
    }
    memcpy(res->output + res->output_len, data, n);
    res->output_len += n;
}

/* Read what is there; 1 = EOF or error (stop polling it), 0 = more may come. */
static int
drain(int fd, struct sw_hook_result *res, const struct sw_hook_params *p, struct linebuf *lb,
      int *rerr)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n > 0) {
            if (lb) {
                int r = feed_result(res, p, lb, buf, (size_t)n);
                if (r < 0)
                    *rerr = r;
            } else {
                feed_output(res, p, buf, (size_t)n);
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return 1;
    }
}

static void
close_from(int lowfd)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0) == 0)
        return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (int fd = lowfd; fd < max; fd++)
        close(fd);
}

/* What the child is to do. */
struct child_spec {
    const char *path;
    char **envp;
    const char *workdir;
    int outfd, resfd, errfd;
    int cgfd; /* cgroup.procs of its cgroup, or -1 */
    const struct run_as *ra;
};

static void
child_report(int fd, int what, int e)
{
    int rec[2] = {what, e};
    if (write(fd, rec, sizeof(rec)) < 0) {
        /* nothing more to say */
    }
}

/*
 * In the child: never returns. Reports on errfd (two ints: enum
 * child_report, errno) a cgroup it could not enter (and goes on), or why
 * it could not become the user or exec (and exits 127). The descriptors
 * are first copied above SW_HOOK_RESULT_FD + 1, so no dup2() onto 0..4 can
 * clobber one not yet moved, wherever they were.
 */
static void
child_exec(const struct child_spec *cs)
{
    sigset_t all;
    int e, nullfd, hi_null, hi_out, hi_res, hi_err, what = REPORT_EXEC;
    int outfd = cs->outfd, resfd = cs->resfd, errfd = cs->errfd;
    const struct run_as *ra = cs->ra;
    char *argv[2];

    setpgid(0, 0);
    /* first, before it can start anything: "0" moves the writer */
    if (cs->cgfd >= 0 && write(cs->cgfd, "0", 1) != 1)
        child_report(errfd, REPORT_CGROUP, errno);
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    hi_err = fcntl(errfd, F_DUPFD_CLOEXEC, 10);
    if (hi_err < 0)
        _exit(127);
    errfd = hi_err;
    hi_null = nullfd < 0 ? -1 : fcntl(nullfd, F_DUPFD_CLOEXEC, 10);
    hi_out = fcntl(outfd, F_DUPFD_CLOEXEC, 10);
    hi_res = fcntl(resfd, F_DUPFD_CLOEXEC, 10);
    if (hi_null < 0 || hi_out < 0 || hi_res < 0 || dup2(hi_null, 0) < 0 || dup2(hi_out, 1) < 0 ||
        dup2(hi_out, 2) < 0 || dup2(hi_res, SW_HOOK_RESULT_FD) < 0 ||
        dup2(hi_err, SW_HOOK_RESULT_FD + 1) < 0)
        goto fail;
    errfd = SW_HOOK_RESULT_FD + 1;
    close_from(SW_HOOK_RESULT_FD + 2);
    if (fcntl(errfd, F_SETFD, FD_CLOEXEC) < 0)
        goto fail;
    if (ra->drop) {
        what = REPORT_PRIV;
        if (setgroups((size_t)ra->ngroups, ra->groups) < 0 || setgid(ra->gid) < 0 ||
            setuid(ra->uid) < 0)
            goto fail;
        /* all checked: no way back to root, and the ids are the user's */
        if (getuid() != ra->uid || geteuid() != ra->uid || getgid() != ra->gid ||
            getegid() != ra->gid || (ra->uid != 0 && setuid(0) == 0)) {
            errno = EPERM;
            goto fail;
        }
        what = REPORT_EXEC;
    }
    if (chdir(cs->workdir) < 0)
        goto fail;
    argv[0] = (char *)cs->path;
    argv[1] = NULL;
    execve(cs->path, argv, cs->envp);
fail:
    e = errno;
    child_report(errfd, what, e);
    _exit(127);
}

static int
open_pipe(int fds[2], struct sw_error *err)
{
    if (pipe2(fds, O_CLOEXEC) < 0)
        return sw_error_errno(err, SW_E_IO, errno, "hook runner: pipe");
    if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        fds[0] = fds[1] = -1;
        return sw_error_errno(err, SW_E_IO, e, "hook runner: pipe");
    }
    return 0;
}

static void
close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* One attempt: fills exit_code/signal/timed_out/output/findings/reason. */
static int
attempt(const struct sw_hook *hook, char **envp, const char *workdir, const struct run_as *ra,
        unsigned timeout_ms, const struct sw_hook_params *p, struct sw_hook_result *res,
        struct sw_error *err)
{
    int outp[2] = {-1, -1}, resp[2] = {-1, -1}, errp[2] = {-1, -1};
    struct linebuf lb = {0};
    struct pidset before = {0};
    struct cgroup cg = {.active = 0, .procs_fd = -1};
    uint64_t start = now_ms(), deadline, kill_at = 0;
    int status = 0, reaped = 0, out_open = 1, res_open = 1, rerr = 0, r = 0;
    int fail_what = 0, fail_errno = 0, cg_failed = 0, rec[2];
    int pidfd = -1;
    pid_t pid = -1;

    res->output = malloc(p->max_output + 1);
    lb.buf = malloc(p->max_line + 1);
    if (!res->output || !lb.buf) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = open_pipe(outp, err)) < 0 || (r = open_pipe(resp, err)) < 0 ||
        (r = open_pipe(errp, err)) < 0)
        goto out;
    list_children(&before);
    cgroup_create(&cg, p);
    pid = fork();
    if (pid < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "hook '%s': fork", hook->path);
        goto out;
    }
    if (pid == 0) {
        struct child_spec cs = {.path = hook->path,
                                .envp = envp,
                                .workdir = workdir,
                                .outfd = outp[1],
                                .resfd = resp[1],
                                .errfd = errp[1],
                                .cgfd = cg.procs_fd,
                                .ra = ra};
        child_exec(&cs);
    }
    close_fd(&cg.procs_fd);
    setpgid(pid, pid); /* either side may win the race; both set the same */
    close_fd(&outp[1]);
    close_fd(&resp[1]);
    close_fd(&errp[1]);
#ifdef SYS_pidfd_open
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* readable when it exits */
#endif
    deadline = start + timeout_ms;

    while (!reaped) {
        struct pollfd pfd[3];
        nfds_t n = 0;
        uint64_t t = now_ms(), wake;
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            reaped = 1;
            break;
        }
        if (!kill_at && t >= deadline) {
            res->timed_out = 1;
            kill(-pid, SIGTERM);
            kill(pid, SIGTERM);
            kill_at = t + p->grace_ms;
        } else if (kill_at && t >= kill_at) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            cgroup_kill(&cg);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            reaped = 1;
            break;
        }
        wake = kill_at ? kill_at : deadline;
        if (out_open)
            pfd[n++] = (struct pollfd){.fd = outp[0], .events = POLLIN};
        if (res_open)
            pfd[n++] = (struct pollfd){.fd = resp[0], .events = POLLIN};
        if (pidfd >= 0)
            pfd[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
        /* Without a pidfd (Linux < 5.3), tick so an exit is seen soon. */
        {
            uint64_t left = wake > t ? wake - t : 0;
            int tick = pidfd >= 0 ? 1000 : (out_open || res_open) ? 10 : 2;
            if (left < (uint64_t)tick)
                tick = (int)left;
            if (poll(pfd, n, tick) > 0) {
                for (nfds_t i = 0; i < n; i++) {
                    if (!pfd[i].revents)
                        continue;
                    if (pfd[i].fd == outp[0] && drain(outp[0], res, p, NULL, &rerr))
                        out_open = 0;
                    else if (pfd[i].fd == resp[0] && drain(resp[0], res, p, &lb, &rerr))
                        res_open = 0;
                }
            }
        }
    }
    sweep(pid, &before, &cg);
    /* Every writer is gone now: what is left in the pipes ends with EOF. */
    if (out_open)
        drain(outp[0], res, p, NULL, &rerr);
    if (res_open)
        drain(resp[0], res, p, &lb, &rerr);
    if (lb.len && !rerr)
        rerr = lb.overflow ? add_bad_line(res, p, "line too long", lb.buf, lb.len)
                           : parse_line(res, p, lb.buf, lb.len);
    if (rerr < 0) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    res->output[res->output_len] = '\0';
    while (read(errp[0], rec, sizeof(rec)) == (ssize_t)sizeof(rec)) {
        if (rec[0] == REPORT_CGROUP)
            cg_failed = 1;
        else if (!fail_what) {
            fail_what = rec[0];
            fail_errno = rec[1];
        }
    }
    if (cg_failed)
        cg_state = -1; /* the cgroup cannot be entered here: stop trying */
    res->containment = cg.active && !cg_failed ? SW_HOOK_CONTAIN_CGROUP : SW_HOOK_CONTAIN_PGROUP;
    if (fail_what) {
        int sr;
        res->exit_code = -1;
        if (fail_what == REPORT_PRIV)
            sr = set_reason(res, "hook '%s' could not run as user '%s': %s", hook->path,
                            ra->name ? ra->name : "?", strerror(fail_errno));
        else
            sr = set_reason(res, "hook '%s' could not be started: %s", hook->path,
                            strerror(fail_errno));
        if (sr < 0)
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        else
            r = 1; /* not started */
        goto out;
    }
    if (WIFEXITED(status))
        res->exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        res->signal = WTERMSIG(status);
out:
    cgroup_remove(&cg);
    res->duration_ms += now_ms() - start;
    close_fd(&outp[0]);
    close_fd(&outp[1]);
    close_fd(&resp[0]);
    close_fd(&resp[1]);
    close_fd(&errp[0]);
    close_fd(&errp[1]);
    close_fd(&pidfd);
    free(lb.buf);
    free(before.v);
    return r;
}

int
sw_hook_run_one(const struct sw_hook *hook, const struct sw_hook_env *env,
                const struct sw_config *cfg, const struct sw_hook_params *params,
                struct sw_hook_result *res, struct sw_error *err)
{
    const struct sw_hook_config *hc = NULL;
    struct sw_hook_env noenv = {0};
    struct envv envv = {0};
    struct run_as ra = {0};
    unsigned timeout_ms;
    const char *workdir;
    int was_reaper = 1, r; /* 1: leave the setting alone */

    memset(res, 0, sizeof(*res));
    res->exit_code = -1;
    res->required = 1;
    if (!env)
        env = &noenv;
    if (cfg) {
        hc = sw_config_hook(cfg, sw_hook_config_name(hook->name));
        if (!hc)
            hc = sw_config_hook(cfg, hook->name);
    }
    if (hc)
        res->required = hc->required;
    timeout_ms = (hc && hc->timeout) ? hc->timeout * 1000u : params->timeout_ms;
    workdir = (env->slot_dir && *env->slot_dir) ? env->slot_dir : "/";
    res->name = strdup(hook->name);
    res->path = strdup(hook->path);
    if (!res->name || !res->path) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto fail;
    }
    r = check_file(hook->path, res);
    if (r < 0) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto fail;
    }
    if (r == 0 && hc && hc->user)
        r = resolve_user(hook->path, hc->name, hc->user, &ra, res);
    if (r < 0) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto fail;
    }
    if (r > 0) {
        res->status = SW_HOOK_REFUSED;
        run_as_release(&ra);
        return 0;
    }
    if (build_env(env, hc, timeout_ms, params, &ra, &envv) < 0) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto fail;
    }
    if (prctl(PR_GET_CHILD_SUBREAPER, &was_reaper, 0, 0, 0) < 0)
        was_reaper = 1; /* unknown: leave it as it is */
    if (!was_reaper)
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    for (;;) {
        reset_attempt(res);
        res->attempts++;
        r = attempt(hook, envv.v, workdir, &ra, timeout_ms, params, res, err);
        if (r < 0)
            goto fail;
        if (r > 0) {
            res->status = SW_HOOK_ERROR;
            break;
        }
        if (res->timed_out) {
            res->status = SW_HOOK_FAIL;
            r = set_reason(res, "hook '%s' timed out after %u ms%s", hook->path, timeout_ms,
                           res->signal == SIGKILL ? " and was killed" : "");
        } else if (res->signal) {
            res->status = SW_HOOK_FAIL;
            r = set_reason(res, "hook '%s' was killed by signal %d", hook->path, res->signal);
        } else if (res->exit_code == 0) {
            res->status = SW_HOOK_PASS;
        } else if (res->exit_code == SW_HOOK_EXIT_SKIP) {
            res->status = SW_HOOK_SKIP;
        } else if (res->exit_code == SW_HOOK_EXIT_RETRY) {
            if (res->attempts <= params->retries) {
                sleep_ms(params->retry_delay_ms);
                continue;
            }
            res->status = SW_HOOK_FAIL;
            r = set_reason(res, "hook '%s' still asked to retry later after %u attempts",
                           hook->path, res->attempts);
        } else {
            /* the reason names the first failing finding: what a reader of status wants */
            const struct sw_hook_finding *ff = NULL;
            size_t n_fail = 0;
            for (size_t k = 0; k < res->n_findings; k++)
                if (res->findings[k].status == SW_HOOK_FAIL && !n_fail++)
                    ff = &res->findings[k];
            res->status = SW_HOOK_FAIL;
            if (ff)
                r = set_reason(res, "hook '%s' exited with status %d: %.*s%s%.*s%s", hook->path,
                               res->exit_code, utf8_cut(ff->check, 80), ff->check,
                               ff->detail[0] ? ": " : "", utf8_cut(ff->detail, 160), ff->detail,
                               n_fail > 1 ? " (and more failing findings)" : "");
            else
                r = set_reason(res, "hook '%s' exited with status %d", hook->path, res->exit_code);
        }
        if (r < 0) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
        break;
    }
    if (!was_reaper)
        prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    envv_free(&envv);
    run_as_release(&ra);
    return 0;
fail:
    if (!was_reaper)
        prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    envv_free(&envv);
    run_as_release(&ra);
    sw_hook_result_release(res);
    return r;
}

int
sw_hook_run_phase(const struct sw_hook_list *list, const struct sw_hook_env *env,
                  const struct sw_config *cfg, const struct sw_hook_params *params,
                  struct sw_hook_results **ret_results, struct sw_error *err)
{
    struct sw_hook_results *results = NULL;
    int r = 0;

    results = calloc(1, sizeof(*results));
    if (!results || (list->n && !(results->v = calloc(list->n, sizeof(results->v[0]))))) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < list->n; i++) {
        struct sw_hook_result *res = &results->v[results->n];
        if (list->v[i].masked)
            continue;
        r = sw_hook_run_one(&list->v[i], env, cfg, params, res, err);
        if (r < 0) {
            sw_error_prefix(err, "phase '%s': ", list->phase);
            break;
        }
        results->n++;
        if (res->status != SW_HOOK_PASS && res->status != SW_HOOK_SKIP) {
            if (res->required)
                results->required_failed++;
            else
                results->wanted_failed++;
        }
    }
    if (r < 0)
        goto out;
    *ret_results = results;
    results = NULL;
out:
    sw_hook_results_free(results);
    return r;
}
