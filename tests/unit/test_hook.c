/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the hook runner: discovery (name order, override by a later
 * directory, masking by an empty file and by a /dev/null link, ignored
 * names), verdicts by exit code (pass, fail, skip, retry later then pass,
 * retry past its bound, killed by a signal, not startable), timeouts that
 * leave no process behind (a sleeper, a child ignoring SIGTERM, a child that
 * left the group with setsid, checked by pid; in a cgroup and with the
 * process-group fallback forced), the cgroup entered and removed, user =
 * (honoured as root, a missing user, another user when unprivileged), the
 * parameters read from the configuration, capped output, result-fd
 * findings and bad lines, refused files (not executable, group- or
 * world-writable, owned by someone else) and the exact environment a hook
 * sees. Hooks are small sh scripts the tests write.
 */
#include "testutil.h"

#include <slipway/config.h>
#include <slipway/hook.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct fx {
    char *root; /* temp dir */
    char *dir1; /* root/d1: first hook directory */
    char *dir2; /* root/d2: second, overrides the first */
    char *work; /* root/w: files the hooks write */
    struct sw_strlist dirs;
    char *dirv[2];
    struct sw_hook_params params;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char *p;
    assert_non_null(f);
    f->root = tu_tmpdir();
    f->dir1 = tu_path(f->root, "d1");
    f->dir2 = tu_path(f->root, "d2");
    f->work = tu_path(f->root, "w");
    assert_int_equal(mkdir(f->dir1, 0755), 0);
    assert_int_equal(mkdir(f->dir2, 0755), 0);
    assert_int_equal(mkdir(f->work, 0755), 0);
    p = tu_path(f->dir1, "pre-promote");
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
    p = tu_path(f->dir2, "pre-promote");
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
    f->dirv[0] = f->dir1;
    f->dirv[1] = f->dir2;
    f->dirs.v = f->dirv;
    f->dirs.n = 2;
    sw_hook_params_init(&f->params, NULL);
    f->params.timeout_ms = 2000;
    f->params.grace_ms = 300;
    f->params.retry_delay_ms = 10;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    tu_rmtree(f->root);
    free(f->root);
    free(f->dir1);
    free(f->dir2);
    free(f->work);
    free(f);
    return 0;
}

/* dir/pre-promote/name with body after "#!/bin/sh\n", chmod mode. */
static char *
hook_at(const char *dir, const char *name, const char *body, mode_t mode)
{
    char *sub = tu_path(dir, "pre-promote"), *path = tu_path(sub, name), *text = NULL;
    assert_true(asprintf(&text, "#!/bin/sh\n%s\n", body) > 0);
    tu_write_str(path, text);
    assert_int_equal(chmod(path, mode), 0);
    free(text);
    free(sub);
    return path;
}

static void
hook(const struct fx *f, const char *name, const char *body)
{
    free(hook_at(f->dir1, name, body, 0755));
}

static char *
work(const struct fx *f, const char *name)
{
    return tu_path(f->work, name);
}

static struct sw_hook_results *
run(struct fx *f, const struct sw_hook_env *env, const struct sw_config *cfg)
{
    struct sw_hook_list *list = NULL;
    struct sw_hook_results *res = NULL;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_hook_discover(&f->dirs, "pre-promote", &list, &err), 0);
    assert_int_equal(sw_hook_run_phase(list, env, cfg, &f->params, &res, &err), 0);
    sw_hook_list_free(list);
    return res;
}

static pid_t
read_pid(const char *path)
{
    unsigned char *s = tu_read(path, NULL);
    pid_t p = (pid_t)atol((char *)s);
    free(s);
    assert_true(p > 1);
    return p;
}

static void
assert_gone(pid_t p)
{
    errno = 0;
    assert_int_equal(kill(p, 0), -1);
    assert_int_equal(errno, ESRCH);
}

static void
test_verdicts_and_order(void **state)
{
    struct fx *f = *state;
    struct sw_hook_results *res;
    char *log = work(f, "log"), *body = NULL;
    unsigned char *text;

    /* byte order: 10-pass < 100-fail < 20-skip; a log shows run order */
    assert_true(asprintf(&body, "echo \"$0\" >> %s\n", log) > 0);
    {
        char *b1 = NULL, *b2 = NULL, *b3 = NULL;
        assert_true(asprintf(&b1, "%sexit 0", body) > 0);
        assert_true(asprintf(&b2, "%secho broken; exit 3", body) > 0);
        assert_true(asprintf(&b3, "%sexit 77", body) > 0);
        hook(f, "20-skip", b3);
        hook(f, "100-fail", b2);
        hook(f, "10-pass", b1);
        free(b1);
        free(b2);
        free(b3);
    }
    /* not hook names: ignored */
    hook(f, "README", "exit 1");
    hook(f, "10-x~", "exit 1");
    hook(f, ".10-hidden", "exit 1");
    hook(f, "-10", "exit 1");

    res = run(f, NULL, NULL);
    assert_int_equal(res->n, 3);
    assert_string_equal(res->v[0].name, "10-pass");
    assert_int_equal(res->v[0].status, SW_HOOK_PASS);
    assert_int_equal(res->v[0].exit_code, 0);
    assert_string_equal(res->v[1].name, "100-fail");
    assert_int_equal(res->v[1].status, SW_HOOK_FAIL);
    assert_int_equal(res->v[1].exit_code, 3);
    assert_string_equal(res->v[1].output, "broken\n");
    assert_non_null(strstr(res->v[1].reason, "100-fail"));
    assert_string_equal(res->v[2].name, "20-skip");
    assert_int_equal(res->v[2].status, SW_HOOK_SKIP);
    assert_int_equal(res->v[2].exit_code, 77);
    assert_int_equal(res->required_failed, 1);
    assert_int_equal(res->wanted_failed, 0);
    sw_hook_results_free(res);

    text = tu_read(log, NULL);
    {
        char *want = NULL;
        char *p1 = tu_path(f->dir1, "pre-promote/10-pass");
        char *p2 = tu_path(f->dir1, "pre-promote/100-fail");
        char *p3 = tu_path(f->dir1, "pre-promote/20-skip");
        assert_true(asprintf(&want, "%s\n%s\n%s\n", p1, p2, p3) > 0);
        assert_string_equal((char *)text, want);
        free(want);
        free(p1);
        free(p2);
        free(p3);
    }
    free(text);
    free(body);
    free(log);
}

static void
test_wanted_failure(void **state)
{
    struct fx *f = *state;
    struct sw_config *cfg = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_hook_results *res;
    const char *conf = "[hook \"advisory\"]\nrequired = no\n";

    hook(f, "10-advisory", "exit 1");
    assert_int_equal(sw_config_parse_mem("t.conf", conf, strlen(conf), &cfg, &err), 0);
    res = run(f, NULL, cfg);
    assert_int_equal(res->n, 1);
    assert_int_equal(res->v[0].status, SW_HOOK_FAIL);
    assert_int_equal(res->v[0].required, 0);
    assert_int_equal(res->required_failed, 0);
    assert_int_equal(res->wanted_failed, 1);
    sw_hook_results_free(res);
    sw_config_free(cfg);
}

static void
test_retry(void **state)
{
    struct fx *f = *state;
    struct sw_hook_results *res;
    char *count = work(f, "count"), *body = NULL;

    /* exit 75 twice, then pass: three attempts with retries = 3 */
    assert_true(asprintf(&body,
                         "n=$(cat %s 2>/dev/null || echo 0); n=$((n + 1)); echo $n > %s\n"
                         "echo attempt $n\n[ $n -ge 3 ] && exit 0\nexit 75",
                         count, count) > 0);
    hook(f, "10-flaky", body);
    f->params.retries = 3;
    res = run(f, NULL, NULL);
    assert_int_equal(res->v[0].status, SW_HOOK_PASS);
    assert_int_equal(res->v[0].attempts, 3);
    /* the output is the last attempt's */
    assert_string_equal(res->v[0].output, "attempt 3\n");
    sw_hook_results_free(res);
    free(body);
    free(count);
}

static void
test_retry_past_bound(void **state)
{
    struct fx *f = *state;
    struct sw_hook_results *res;

    hook(f, "10-never", "exit 75");
    f->params.retries = 2;
    res = run(f, NULL, NULL);
    assert_int_equal(res->v[0].status, SW_HOOK_FAIL);
    assert_int_equal(res->v[0].attempts, 3);
    assert_int_equal(res->v[0].exit_code, 75);
    assert_non_null(strstr(res->v[0].reason, "retry later"));
    assert_int_equal(res->required_failed, 1);
    sw_hook_results_free(res);
}

static void
test_signal_and_exec_failure(void **state)
{
    struct fx *f = *state;
    struct sw_hook_results *res;
    char *p;

    hook(f, "10-killed", "kill -9 $$");
    p = tu_path(f->dir1, "pre-promote/20-badinterp");
    tu_write_str(p, "#!/nonexistent/interpreter\n");
    assert_int_equal(chmod(p, 0755), 0);
    res = run(f, NULL, NULL);
    assert_int_equal(res->n, 2);
    assert_int_equal(res->v[0].status, SW_HOOK_FAIL);
    assert_int_equal(res->v[0].signal, SIGKILL);
    assert_int_equal(res->v[0].exit_code, -1);
    assert_non_null(strstr(res->v[0].reason, "signal 9"));
    assert_int_equal(res->v[1].status, SW_HOOK_ERROR);
    assert_non_null(strstr(res->v[1].reason, "20-badinterp"));
    assert_non_null(strstr(res->v[1].reason, "could not be started"));
    assert_int_equal(res->required_failed, 2);
    sw_hook_results_free(res);
    free(p);
}

static void
test_timeout_sleeper(void **state)
{
    struct fx *f = *state;
    struct sw_hook_results *res;
    char *pidf = work(f, "pid"), *body = NULL;

    assert_true(asprintf(&body, "echo $$ > %s\nexec sleep 30", pidf) > 0);
    hook(f, "10-sleeper", body);
    f->params.timeout_ms = 500;
    res = run(f, NULL, NULL);
    assert_int_equal(res->v[0].status, SW_HOOK_FAIL);
    assert_int_equal(res->v[0].timed_out, 1);
    assert_int_equal(res->v[0].signal, SIGTERM);
    assert_true(res->v[0].duration_ms >= 450 && res->v[0].duration_ms < 5000);
    assert_non_null(strstr(res->v[0].reason, "timed out"));
    assert_gone(read_pid(pidf));
    sw_hook_results_free(res);
    free(body);
    free(pidf);
}

static void
test_timeout_ignores_term(void **state)
{
    struct fx *f = *state;
    struct sw_hook_results *res;
    char *pidf = work(f, "pid"), *body = NULL;

    /* the child shrugs off SIGTERM; the hook itself waits for it */
    assert_true(asprintf(&body,
                         "sh -c 'trap \"\" TERM; echo $$ > %s; while :; do sleep 1; done' &\n"
                         "while [ ! -s %s ]; do sleep 0.05; done\ntrap '' TERM\nwait",
                         pidf, pidf) > 0);
    hook(f, "10-stubborn", body);
    f->params.timeout_ms = 700;
    res = run(f, NULL, NULL);
    assert_int_equal(res->v[0].status, SW_HOOK_FAIL);
    assert_int_equal(res->v[0].timed_out, 1);
    assert_int_equal(res->v[0].signal, SIGKILL);
    assert_non_null(strstr(res->v[0].reason, "killed"));
    assert_gone(read_pid(pidf));
    sw_hook_results_free(res);
    free(body);
    free(pidf);
}

/*
 * The test's own view of whether a child cgroup v2 can be made here: the
 * "0::" line of /proc/self/cgroup under /sys/fs/cgroup or
 * /sys/fs/cgroup/unified, and a mkdir that works.
 */
static int
cgroup_writable_here(void)
{
    static const char *const mounts[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
    char line[1024], rel[1024] = "", dir[PATH_MAX], probe[PATH_MAX + 32];
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "0::", 3)) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(rel, sizeof(rel), "%s", line + 3);
        }
    fclose(f);
    if (rel[0] != '/')
        return 0;
    for (size_t i = 0; i < 2; i++) {
        snprintf(dir, sizeof(dir), "%s%s/cgroup.procs", mounts[i], strcmp(rel, "/") ? rel : "");
        if (access(dir, W_OK) < 0)
            continue;
        snprintf(probe, sizeof(probe), "%s%s/test-hook-probe.%ld", mounts[i],
                 strcmp(rel, "/") ? rel : "", (long)getpid());
        if (mkdir(probe, 0755) == 0) {
            rmdir(probe);
            return 1;
        }
    }
    return 0;
}

static void
setsid_case(struct fx *f, int no_cgroup)
{
    struct sw_hook_results *res;
    char *pidf = work(f, "pid"), *body = NULL;

    /* the child leaves the process group: only the subreaper sweep finds it */
    assert_true(asprintf(&body,
                         "setsid sh -c 'trap \"\" TERM; echo $$ > %s; exec sleep 30' &\n"
                         "while [ ! -s %s ]; do sleep 0.05; done\nsleep 30",
                         pidf, pidf) > 0);
    hook(f, "10-escapee", body);
    f->params.timeout_ms = 700;
    f->params.no_cgroup = no_cgroup;
    res = run(f, NULL, NULL);
    assert_int_equal(res->v[0].status, SW_HOOK_FAIL);
    assert_int_equal(res->v[0].timed_out, 1);
    if (no_cgroup)
        assert_int_equal(res->v[0].containment, SW_HOOK_CONTAIN_PGROUP);
    else if (cgroup_writable_here())
        assert_int_equal(res->v[0].containment, SW_HOOK_CONTAIN_CGROUP);
    else
        assert_int_equal(res->v[0].containment, SW_HOOK_CONTAIN_PGROUP);
    assert_gone(read_pid(pidf));
    sw_hook_results_free(res);
    free(body);
    free(pidf);
}

static void
test_timeout_setsid(void **state)
{
    setsid_case(*state, 0); /* a cgroup when one is writable */
}

static void
test_timeout_setsid_no_cgroup(void **state)
{
    setsid_case(*state, 1); /* forced fallback: process group and subreaper */
}

static void
test_cgroup_entered_and_removed(void **state)
{
    struct fx *f = *state;
    struct sw_hook_results *res;
    char *cgf = work(f, "cgroup"), *body = NULL, *text, *p;
    char dir[PATH_MAX + 64], own[1024] = "";
    FILE *fp;

    if (!cgroup_writable_here()) {
        print_message("skipped: no writable cgroup v2 here\n");
        return;
    }
    fp = fopen("/proc/self/cgroup", "r");
    assert_non_null(fp);
    while (fgets(own, sizeof(own), fp) && strncmp(own, "0::", 3))
        ;
    fclose(fp);
    own[strcspn(own, "\n")] = '\0';
    assert_true(asprintf(&body, "cat /proc/self/cgroup > %s", cgf) > 0);
    hook(f, "10-where", body);
    res = run(f, NULL, NULL);
    assert_int_equal(res->v[0].status, SW_HOOK_PASS);
    assert_int_equal(res->v[0].containment, SW_HOOK_CONTAIN_CGROUP);
    assert_string_equal(sw_hook_containment_to_string(res->v[0].containment), "cgroup");
    sw_hook_results_free(res);
    /* the hook ran in a child of our own cgroup, named after us */
    text = (char *)tu_read(cgf, NULL);
    p = strstr(text, "0::");
    assert_non_null(p);
    assert_int_equal(strncmp(p, own, strlen(own)), 0);
    snprintf(dir, sizeof(dir), "/slipway-hook.%ld.", (long)getpid());
    assert_non_null(strstr(p, dir));
    /* and that cgroup is gone */
    p[strcspn(p, "\n")] = '\0';
    snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s", p + 3);
    if (access("/sys/fs/cgroup/cgroup.procs", F_OK) < 0)
        snprintf(dir, sizeof(dir), "/sys/fs/cgroup/unified%s", p + 3);
    errno = 0;
    assert_int_equal(access(dir, F_OK), -1);
    assert_int_equal(errno, ENOENT);
    free(text);
    free(body);
    free(cgf);
}

/* Let "nobody" reach the hook files and write into work/. */
static void
open_up(struct fx *f)
{
    assert_int_equal(chmod(f->root, 0755), 0);
    assert_int_equal(chmod(f->work, 0777), 0);
}

static void
test_user_honoured(void **state)
{
    struct fx *f = *state;
    struct sw_config *cfg = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_hook_results *res;
    const char *conf = "[hook \"whoami\"]\nuser = nobody\n";
    struct passwd *pw;
    char *want = NULL;

    if (geteuid() != 0) {
        print_message("skipped: user = needs root\n");
        return;
    }
    pw = getpwnam("nobody");
    assert_non_null(pw);
    assert_true(asprintf(&want, "%u %u %s nobody\n", (unsigned)pw->pw_uid, (unsigned)pw->pw_gid,
                         pw->pw_dir) > 0);
    open_up(f);
    hook(f, "10-whoami", "echo \"$(id -u) $(id -g) $HOME $USER\"");
    hook(f, "20-root", "id -u");
    assert_int_equal(sw_config_parse_mem("t.conf", conf, strlen(conf), &cfg, &err), 0);
    res = run(f, NULL, cfg);
    assert_int_equal(res->n, 2);
    assert_int_equal(res->v[0].status, SW_HOOK_PASS);
    assert_string_equal(res->v[0].output, want);
    /* a hook without user = still runs as the caller */
    assert_int_equal(res->v[1].status, SW_HOOK_PASS);
    assert_string_equal(res->v[1].output, "0\n");
    sw_hook_results_free(res);
    sw_config_free(cfg);
    free(want);
}

static void
test_user_missing(void **state)
{
    struct fx *f = *state;
    struct sw_config *cfg = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_hook_results *res;
    char *marker = work(f, "ran"), *body = NULL;
    const char *conf = "[hook \"ghost\"]\nuser = no-such-user-sw\n";

    assert_true(asprintf(&body, "touch %s", marker) > 0);
    hook(f, "10-ghost", body);
    assert_int_equal(sw_config_parse_mem("t.conf", conf, strlen(conf), &cfg, &err), 0);
    res = run(f, NULL, cfg);
    assert_int_equal(res->v[0].status, SW_HOOK_REFUSED);
    assert_non_null(strstr(res->v[0].reason, "10-ghost"));
    assert_non_null(strstr(res->v[0].reason, "'no-such-user-sw'"));
    assert_non_null(strstr(res->v[0].reason, "does not exist"));
    assert_int_equal(res->v[0].attempts, 0);
    assert_int_equal(access(marker, F_OK), -1);
    assert_int_equal(res->required_failed, 1);
    sw_hook_results_free(res);
    sw_config_free(cfg);
    free(body);
    free(marker);
}

/* Unprivileged, user = someone else: refused, never run. 0 = as expected. */
static int
unprivileged_other_user(struct fx *f)
{
    struct sw_config *cfg = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_hook_results *res = NULL;
    struct sw_hook_list *list = NULL;
    const char *conf = "[hook \"other\"]\nuser = root\n";
    int ok;

    if (sw_config_parse_mem("t.conf", conf, strlen(conf), &cfg, &err) < 0 ||
        sw_hook_discover(&f->dirs, "pre-promote", &list, &err) < 0 ||
        sw_hook_run_phase(list, NULL, cfg, &f->params, &res, &err) < 0)
        return 10;
    ok = res->n == 1 && res->v[0].status == SW_HOOK_REFUSED && res->v[0].attempts == 0 &&
         strstr(res->v[0].reason, "10-other") && strstr(res->v[0].reason, "'root'") &&
         strstr(res->v[0].reason, "not root");
    if (!ok)
        fprintf(stderr, "got: %s: %s\n", sw_hook_status_to_string(res->v[0].status),
                res->v[0].reason ? res->v[0].reason : "(no reason)");
    sw_hook_results_free(res);
    sw_hook_list_free(list);
    sw_config_free(cfg);
    return ok ? 0 : 11;
}

static void
test_user_refused_unprivileged(void **state)
{
    struct fx *f = *state;
    int status;
    pid_t pid;

    hook(f, "10-other", "exit 0");
    if (geteuid() != 0) {
        assert_int_equal(unprivileged_other_user(f), 0);
        return;
    }
    /* as root: the same from a child that became nobody */
    open_up(f);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct passwd *pw = getpwnam("nobody");
        if (!pw || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
            _exit(12);
        _exit(unprivileged_other_user(f));
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_params_from_config(void **state)
{
    struct sw_config *cfg = NULL, *def = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_hook_params p;
    char exe[PATH_MAX];
    ssize_t n;
    const char *conf = "[slipway]\nhook-timeout = 9\nhook-grace = 2\nhook-retries = 0\n"
                       "hook-retry-delay = 1m\nhook-output-max = 1K\nhook-lib = /opt/x/lib.sh\n";
    (void)state;

    assert_int_equal(sw_config_parse_mem("t.conf", conf, strlen(conf), &cfg, &err), 0);
    sw_hook_params_init(&p, cfg);
    assert_int_equal(p.timeout_ms, 9000);
    assert_int_equal(p.grace_ms, 2000);
    assert_int_equal(p.retries, 0);
    assert_int_equal(p.retry_delay_ms, 60000);
    assert_int_equal(p.max_output, 1024);
    assert_string_equal(p.hook_lib, "/opt/x/lib.sh");
    assert_int_equal(p.no_cgroup, 0);
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    assert_string_equal(p.bin, exe);
    assert_int_equal(sw_config_defaults(&def, &err), 0);
    sw_hook_params_init(&p, def);
    assert_int_equal(p.timeout_ms, 60000);
    assert_int_equal(p.grace_ms, 5000);
    assert_int_equal(p.retries, 3);
    assert_int_equal(p.retry_delay_ms, 10000);
    assert_int_equal(p.max_output, 65536);
    assert_string_equal(p.hook_lib, SW_HOOK_LIB_DEFAULT);
    sw_config_free(cfg);
    sw_config_free(def);
}

static void
test_leftover_daemon_killed(void **state)
{
    struct fx *f = *state;
    struct sw_hook_results *res;
    char *pidf = work(f, "pid"), *body = NULL;

    /* a hook that passes but leaves a daemon (new session, stdout closed) */
    assert_true(asprintf(&body,
                         "setsid sh -c 'echo $$ > %s; exec sleep 30' >/dev/null 2>&1 3>&- &\n"
                         "while [ ! -s %s ]; do sleep 0.05; done\nexit 0",
                         pidf, pidf) > 0);
    hook(f, "10-daemon", body);
    res = run(f, NULL, NULL);
    assert_int_equal(res->v[0].status, SW_HOOK_PASS);
    assert_int_equal(res->v[0].timed_out, 0);
    assert_true(res->v[0].duration_ms < 1500);
    assert_gone(read_pid(pidf));
    sw_hook_results_free(res);
    free(body);
    free(pidf);
}

static void
test_output_capped(void **state)
{
    struct fx *f = *state;
    struct sw_hook_results *res;

    /* a megabyte to stdout and some to stderr: the hook is not blocked */
    hook(f, "10-chatty", "head -c 1000000 /dev/zero | tr '\\000' x\necho err >&2\nexit 0");
    f->params.max_output = 1000;
    res = run(f, NULL, NULL);
    assert_int_equal(res->v[0].status, SW_HOOK_PASS);
    assert_int_equal(res->v[0].output_len, 1000);
    assert_int_equal(strlen(res->v[0].output), 1000);
    assert_int_equal(res->v[0].output_truncated, 1);
    assert_int_equal(res->v[0].output[999], 'x');
    sw_hook_results_free(res);

    /* stdout and stderr land in one stream, in order */
    hook(f, "10-chatty", "echo one; echo two >&2; echo three");
    f->params.max_output = 1000;
    res = run(f, NULL, NULL);
    assert_string_equal(res->v[0].output, "one\ntwo\nthree\n");
    assert_int_equal(res->v[0].output_truncated, 0);
    sw_hook_results_free(res);
}

static void
test_result_lines(void **state)
{
    struct fx *f = *state;
    struct sw_hook_results *res;
    const struct sw_hook_result *r;

    hook(f, "10-report",
         "fd=$SLIPWAY_RESULT_FD\n"
         "echo '{\"check\": \"tls\", \"status\": \"pass\", \"detail\": \"ok\"}' >&$fd\n"
         "echo 'not json at all' >&$fd\n"
         "echo '{\"check\": \"x\"}' >&$fd\n"
         "echo '[1, 2]' >&$fd\n"
         "echo '{\"check\": \"y\", \"status\": \"maybe\"}' >&$fd\n"
         "head -c 500 /dev/zero | tr '\\000' a >&$fd; echo >&$fd\n"
         "echo >&$fd\n"
         "printf '{\"check\": \"ports\", \"status\": \"fail\"}' >&$fd\n"
         "exit 0");
    f->params.max_line = 100;
    res = run(f, NULL, NULL);
    r = &res->v[0];
    /* bad lines never change the verdict */
    assert_int_equal(r->status, SW_HOOK_PASS);
    assert_int_equal(r->n_findings, 2);
    assert_string_equal(r->findings[0].check, "tls");
    assert_int_equal(r->findings[0].status, SW_HOOK_PASS);
    assert_string_equal(r->findings[0].detail, "ok");
    /* the last line had no newline: still read */
    assert_string_equal(r->findings[1].check, "ports");
    assert_int_equal(r->findings[1].status, SW_HOOK_FAIL);
    assert_string_equal(r->findings[1].detail, "");
    assert_int_equal(r->n_bad_lines, 5);
    assert_non_null(strstr(r->bad_lines[0], "not json at all"));
    assert_non_null(strstr(r->bad_lines[1], "check"));
    assert_non_null(strstr(r->bad_lines[4], "line too long"));
    assert_true(strlen(r->bad_lines[4]) < 100 + SW_HOOK_BAD_LINE_KEEP);
    sw_hook_results_free(res);

    /* counts are capped too */
    hook(f, "10-report",
         "i=0; while [ $i -lt 20 ]; do\n"
         "echo '{\"check\": \"c\", \"status\": \"skip\"}' >&3; echo bad >&3; i=$((i+1)); done");
    f->params.max_findings = 5;
    res = run(f, NULL, NULL);
    r = &res->v[0];
    assert_int_equal(r->n_findings, 5);
    assert_int_equal(r->findings_dropped, 15);
    assert_int_equal(r->n_bad_lines, 5);
    assert_int_equal(r->bad_lines_dropped, 15);
    sw_hook_results_free(res);
}

/* Valid UTF-8 (no sequence cut in two), for the reasons built from findings. */
static int
utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : 3;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

static void
test_reason_names_finding(void **state)
{
    struct fx *f = *state;
    struct sw_hook_results *res;
    const struct sw_hook_result *r;

    /* "x" then 200 two-byte characters: a cut at 160 bytes would split one */
    hook(f, "10-vuln",
         "d=x; i=0; while [ $i -lt 200 ]; do d=\"$d\303\251\"; i=$((i+1)); done\n"
         "printf '{\"check\": \"ok\", \"status\": \"pass\"}\\n' >&3\n"
         "printf '{\"check\": \"openssl\", \"status\": \"fail\", \"detail\": \"%s\"}\\n' \"$d\" "
         ">&3\n"
         "printf '{\"check\": \"other\", \"status\": \"fail\"}\\n' >&3\n"
         "exit 1");
    res = run(f, NULL, NULL);
    r = &res->v[0];
    assert_int_equal(r->status, SW_HOOK_FAIL);
    assert_int_equal(r->n_findings, 3);
    assert_non_null(strstr(r->reason, "exited with status 1: openssl: x\303\251"));
    assert_non_null(strstr(r->reason, "(and more failing findings)"));
    assert_null(strstr(r->reason, "other"));
    assert_true(utf8_ok(r->reason));
    sw_hook_results_free(res);

    /* no failing finding: the exit status alone */
    hook(f, "10-vuln", "exit 3");
    res = run(f, NULL, NULL);
    assert_non_null(strstr(res->v[0].reason, "exited with status 3"));
    assert_null(strstr(res->v[0].reason, "status 3:"));
    sw_hook_results_free(res);
}

static void
test_refused(void **state)
{
    struct fx *f = *state;
    struct sw_hook_results *res;
    char *marker = work(f, "ran"), *body = NULL, *p;

    assert_true(asprintf(&body, "touch %s", marker) > 0);
    free(hook_at(f->dir1, "10-noexec", body, 0644));
    free(hook_at(f->dir1, "20-groupw", body, 0775));
    free(hook_at(f->dir1, "30-worldw", body, 0757));
    p = hook_at(f->dir1, "40-foreign", body, 0755);
    if (geteuid() == 0)
        assert_int_equal(chown(p, 65534, 65534), 0);
    res = run(f, NULL, NULL);
    assert_int_equal(res->n, 4);
    assert_int_equal(res->v[0].status, SW_HOOK_REFUSED);
    assert_non_null(strstr(res->v[0].reason, "10-noexec"));
    assert_non_null(strstr(res->v[0].reason, "not executable"));
    assert_int_equal(res->v[1].status, SW_HOOK_REFUSED);
    assert_non_null(strstr(res->v[1].reason, "20-groupw"));
    assert_non_null(strstr(res->v[1].reason, "group-writable"));
    assert_int_equal(res->v[2].status, SW_HOOK_REFUSED);
    assert_non_null(strstr(res->v[2].reason, "world-writable"));
    if (geteuid() == 0) {
        assert_int_equal(res->v[3].status, SW_HOOK_REFUSED);
        assert_non_null(strstr(res->v[3].reason, "40-foreign"));
        assert_non_null(strstr(res->v[3].reason, "uid 65534"));
        assert_int_equal(res->required_failed, 4);
    } else {
        /* unprivileged: a file of the running user is fine */
        assert_int_equal(res->v[3].status, SW_HOOK_PASS);
    }
    assert_int_equal(res->v[0].attempts, 0);
    sw_hook_results_free(res);
    /* none of the refused ones ran */
    if (geteuid() == 0)
        assert_int_equal(access(marker, F_OK), -1);
    free(p);
    free(body);
    free(marker);
}

static void
test_mask_and_override(void **state)
{
    struct fx *f = *state;
    struct sw_hook_list *list = NULL;
    struct sw_hook_results *res;
    struct sw_error err = SW_ERROR_INIT;
    char *p, *p1, *p2;

    free(hook_at(f->dir1, "10-empty-masked", "exit 1", 0755));
    p = tu_path(f->dir2, "pre-promote/10-empty-masked");
    tu_write_str(p, "");
    free(p);
    free(hook_at(f->dir1, "20-null-masked", "exit 1", 0755));
    p = tu_path(f->dir2, "pre-promote/20-null-masked");
    assert_int_equal(symlink("/dev/null", p), 0);
    free(p);
    p1 = hook_at(f->dir1, "30-overridden", "echo vendor; exit 1", 0755);
    p2 = hook_at(f->dir2, "30-overridden", "echo local; exit 0", 0755);
    free(hook_at(f->dir2, "40-only-local", "exit 0", 0755));

    assert_int_equal(sw_hook_discover(&f->dirs, "pre-promote", &list, &err), 0);
    assert_int_equal(list->n, 4);
    assert_string_equal(list->v[0].name, "10-empty-masked");
    assert_int_equal(list->v[0].masked, 1);
    assert_int_equal(list->v[1].masked, 1);
    assert_string_equal(list->v[2].name, "30-overridden");
    assert_int_equal(list->v[2].masked, 0);
    assert_string_equal(list->v[2].path, p2);
    assert_string_equal(list->v[2].overrides, p1);
    assert_string_equal(list->v[2].origin, f->dir2);
    assert_null(list->v[3].overrides);
    assert_string_equal(list->v[3].origin, f->dir2);
    assert_int_equal(sw_hook_run_phase(list, NULL, NULL, &f->params, &res, &err), 0);
    assert_int_equal(res->n, 2);
    assert_string_equal(res->v[0].name, "30-overridden");
    assert_string_equal(res->v[0].output, "local\n");
    assert_int_equal(res->v[0].status, SW_HOOK_PASS);
    assert_string_equal(res->v[1].name, "40-only-local");
    assert_int_equal(res->required_failed, 0);
    sw_hook_results_free(res);
    sw_hook_list_free(list);

    /* a missing directory is no error; a bad phase name is */
    list = NULL;
    assert_int_equal(sw_hook_discover(&f->dirs, "post-promote", &list, &err), 0);
    assert_int_equal(list->n, 0);
    sw_hook_list_free(list);
    list = NULL;
    assert_int_equal(sw_hook_discover(&f->dirs, "../etc", &list, &err), -SW_E_INVAL);
    assert_null(list);
    free(p1);
    free(p2);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
test_environment(void **state)
{
    struct fx *f = *state;
    struct sw_config *cfg = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_hook_results *res;
    char *envf = work(f, "env"), *cwdf = work(f, "cwd"), *stdinf = work(f, "stdin");
    char *slot = tu_path(f->root, "slot"), *body = NULL, *text, *line, *save = NULL;
    const char *got[64], *want[64];
    char *sd = NULL, *bin = NULL, exe[PATH_MAX];
    ssize_t n;
    size_t n_got = 0, n_want = 0;
    const char *conf = "[hook \"env\"]\ntimeout = 7\nmin-version = 3.0.13\nallow = 22 443\n";
    struct sw_hook_env env = {
        .phase = "pre-promote",
        .txn = "txn-42",
        .slot = "b",
        .slot_dir = slot,
        .active_dir = "/srv/a",
        .version_new = "2.0.0",
        .version_old = "1.0.0",
        .channel = NULL, /* unknown: present and empty */
    };

    assert_int_equal(mkdir(slot, 0755), 0);
    assert_int_equal(setenv("SLIPWAY_LEAK", "secret", 1), 0);
    assert_true(asprintf(&body, "env > %s\npwd > %s\nreadlink /proc/self/fd/0 > %s", envf, cwdf,
                         stdinf) > 0);
    hook(f, "50-env", body);
    f->params.hook_lib = "/opt/test/hook-lib.sh";
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    assert_int_equal(sw_config_parse_mem("t.conf", conf, strlen(conf), &cfg, &err), 0);
    res = run(f, &env, cfg);
    assert_int_equal(res->v[0].status, SW_HOOK_PASS);
    sw_hook_results_free(res);
    unsetenv("SLIPWAY_LEAK");

    want[n_want++] = "PATH=" SW_HOOK_SAFE_PATH;
    want[n_want++] = "SLIPWAY_PHASE=pre-promote";
    want[n_want++] = "SLIPWAY_TXN=txn-42";
    want[n_want++] = "SLIPWAY_SLOT=b";
    assert_true(asprintf(&sd, "SLIPWAY_SLOT_DIR=%s", slot) > 0);
    want[n_want++] = sd;
    want[n_want++] = "SLIPWAY_ACTIVE_DIR=/srv/a";
    want[n_want++] = "SLIPWAY_VERSION_NEW=2.0.0";
    want[n_want++] = "SLIPWAY_VERSION_OLD=1.0.0";
    want[n_want++] = "SLIPWAY_CHANNEL=";
    want[n_want++] = "SLIPWAY_HOOK_TIMEOUT=7";
    want[n_want++] = "SLIPWAY_RESULT_FD=3";
    want[n_want++] = "SLIPWAY_HOOK_LIB=/opt/test/hook-lib.sh";
    assert_true(asprintf(&bin, "SLIPWAY_BIN=%s", exe) > 0);
    want[n_want++] = bin;
    want[n_want++] = "SLIPWAY_OPT_MIN_VERSION=3.0.13";
    want[n_want++] = "SLIPWAY_OPT_ALLOW=22 443";
    qsort(want, n_want, sizeof(want[0]), cmp_str);

    text = (char *)tu_read(envf, NULL);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        /* variables /bin/sh itself exports to the env it runs */
        if (!strncmp(line, "PWD=", 4) || !strncmp(line, "OLDPWD=", 7) ||
            !strncmp(line, "SHLVL=", 6) || !strncmp(line, "_=", 2))
            continue;
        assert_true(n_got < 64);
        got[n_got++] = line;
    }
    qsort(got, n_got, sizeof(got[0]), cmp_str);
    assert_int_equal(n_got, n_want);
    for (size_t i = 0; i < n_got; i++)
        assert_string_equal(got[i], want[i]);
    free(text);

    text = (char *)tu_read(cwdf, NULL);
    assert_int_equal(strncmp(text, slot, strlen(slot)), 0);
    free(text);
    text = (char *)tu_read(stdinf, NULL);
    assert_string_equal(text, "/dev/null\n");
    free(text);
    free(sd);
    free(bin);
    sw_config_free(cfg);
    free(body);
    free(slot);
    free(envf);
    free(cwdf);
    free(stdinf);
}

static void
test_descriptors(void **state)
{
    struct fx *f = *state;
    struct sw_hook_results *res;
    int leak, saved0, saved1, saved2;
    char *dummy = work(f, "open-file");

    /* a descriptor slipway left inheritable is not inherited */
    tu_write_str(dummy, "x");
    leak = open(dummy, O_RDONLY);
    assert_true(leak >= 0);
    assert_int_equal(dup2(leak, 20), 20);
    close(leak);
    hook(f, "10-fds",
         "for n in 4 5 6 7 8 9 20; do [ -e /proc/$$/fd/$n ] && echo leaked $n; done\n"
         "readlink /proc/$$/fd/0; echo out; echo err >&2; exit 0");
    /*
     * and with 0, 1 and 2 closed, the pipes land on them (one already on
     * the number it must have in the hook, close-on-exec set) and still end
     * up right
     */
    saved0 = fcntl(0, F_DUPFD_CLOEXEC, 30);
    saved1 = fcntl(1, F_DUPFD_CLOEXEC, 30);
    saved2 = fcntl(2, F_DUPFD_CLOEXEC, 30);
    assert_true(saved0 >= 0 && saved1 >= 0 && saved2 >= 0);
    close(0);
    close(1);
    close(2);
    res = run(f, NULL, NULL);
    dup2(saved0, 0);
    dup2(saved1, 1);
    dup2(saved2, 2);
    close(saved0);
    close(saved1);
    close(saved2);
    close(20);
    assert_int_equal(res->v[0].status, SW_HOOK_PASS);
    assert_string_equal(res->v[0].output, "/dev/null\nout\nerr\n");
    sw_hook_results_free(res);
    free(dummy);
}

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(sw_hook_config_name("50-openssl-version"), "openssl-version");
    assert_string_equal(sw_hook_config_name("openssl"), "openssl");
    assert_string_equal(sw_hook_config_name("50-"), "50-");
    for (int s = SW_HOOK_PASS; s <= SW_HOOK_REFUSED; s++) {
        enum sw_hook_status back;
        assert_int_equal(sw_hook_status_from_string(sw_hook_status_to_string(s), &back), 0);
        assert_int_equal((int)back, s);
    }
    {
        enum sw_hook_status back;
        assert_int_equal(sw_hook_status_from_string("ok", &back), -SW_E_INVAL);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_verdicts_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wanted_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_past_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signal_and_exec_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_sleeper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_ignores_term, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_setsid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_setsid_no_cgroup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cgroup_entered_and_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_honoured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_refused_unprivileged, setup, teardown),
        cmocka_unit_test(test_params_from_config),
        cmocka_unit_test_setup_teardown(test_leftover_daemon_killed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_result_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reason_names_finding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mask_and_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_descriptors, setup, teardown),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
