/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of passphrases (src/repo/passphrase.c): the strength rules
 * with their reasons; passphrase files (first line, limits, modes, links,
 * FIFOs); and the terminal path on a real pseudo-terminal, where a helper
 * thread plays the user: it checks that echo is off when the prompt shows,
 * types after it, and the transcript must not contain what was typed; the
 * terminal settings must be back afterwards, also when a signal interrupts.
 */
#include "testutil.h"

#include "repo/passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int
strength(const char *s, struct sw_error *err)
{
    struct sw_passphrase *p = NULL;
    int r;
    assert_int_equal(sw_passphrase_from_mem(s, strlen(s), &p, NULL), 0);
    r = sw_passphrase_check_strength(p, err);
    sw_passphrase_free(p);
    return r;
}

static void
expect_weak(const char *s, const char *why)
{
    struct sw_error err = SW_ERROR_INIT;
    int r = strength(s, &err);
    if (r != -SW_E_WEAK_PASSPHRASE || !strstr(err.msg, why) || !strstr(err.msg, "random words"))
        fail_msg("'%s': got %d '%s', want the reason '%s'", s, r, err.msg, why);
}

static void
expect_strong(const char *s)
{
    struct sw_error err = SW_ERROR_INIT;
    if (strength(s, &err) != 0)
        fail_msg("'%s' refused: %s", s, err.msg);
}

static void
test_strength(void **state)
{
    (void)state;
    expect_weak("", "it has 0 characters, at least 12 are needed");
    expect_weak("Xq7#pL9!mZ2", "it has 11 characters, at least 12 are needed");
    /* characters, not bytes: 11 two-byte characters are still 11 */
    expect_weak("\xc3\xa9\xc3\xa0\xc3\xbc\xc3\xb6\xc3\xa7\xc3\xb1\xc3\xa5\xc3\xb8\xc3\xa6\xc3\x9f"
                "\xc3\xb0",
                "it has 11 characters");
    /* the list, whatever the case, spacing or added digits and symbols */
    expect_weak("password1234", "common password");
    expect_weak("PASSWORD1234", "common password");
    expect_weak("correcthorsebatterystaple", "common password");
    expect_weak("Correct Horse Battery Staple", "common password");
    expect_weak("correct-horse-battery-staple!", "common password");
    expect_weak("qwertyuiop123", "common password");
    expect_weak("iloveyou1234", "common password");
    expect_weak("P@ssw0rd2024!", "common password");
    expect_weak("2024monkey!!!", "common password");
    expect_weak("1qaz2wsx3edc", "common password");
    expect_weak("letmeinplease", "common password");
    expect_weak("Administrator", "common password");
    /* no word at all */
    expect_weak("123456789012", "only of digits and punctuation");
    expect_weak("2024-01-01 12:00", "only of digits and punctuation");
    /* hardly any different characters */
    expect_weak("aaaaaaaaaaaaaaaa", "fewer than 5 different characters");
    expect_weak("abababababab", "fewer than 5 different characters");

    expect_strong("umbrella quarry violet 1987 tundra");
    expect_strong("monkeybusiness at noon"); /* a listed word inside is fine */
    expect_strong("Xq7#pL9!mZ2w");
    expect_strong("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x91\xe3\x82\xb9"
                  "\xe3\x83\x95\xe3\x83\xac\xe3\x83\xbc\xe3\x82\xba\xe3\x81\xa7\xe3\x81\x99");
}

static void
test_from_mem(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_passphrase *p = NULL;
    char big[SW_PASSPHRASE_MAX + 1];
    (void)state;

    memset(big, 'x', sizeof(big));
    assert_int_equal(sw_passphrase_from_mem(big, SW_PASSPHRASE_MAX, &p, &err), 0);
    assert_int_equal(sw_passphrase_len(p), SW_PASSPHRASE_MAX);
    assert_int_equal(strlen(sw_passphrase_data(p)), SW_PASSPHRASE_MAX);
    sw_passphrase_free(p);
    p = NULL;
    assert_int_equal(sw_passphrase_from_mem(big, SW_PASSPHRASE_MAX + 1, &p, &err), -SW_E_LIMIT);
    assert_null(p);
    sw_passphrase_free(NULL);
}

/* --- files ---------------------------------------------------------------- */

static int
read_file(const char *path, char *out, size_t outmax, struct sw_error *err)
{
    struct sw_passphrase *p = NULL;
    int r = sw_passphrase_read_file(path, &p, err);
    if (r == 0) {
        assert_true(sw_passphrase_len(p) < outmax);
        memcpy(out, sw_passphrase_data(p), sw_passphrase_len(p) + 1);
        assert_int_equal(strlen(out), sw_passphrase_len(p));
    }
    sw_passphrase_free(p);
    return r;
}

static void
test_file(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    char *tmp = tu_tmpdir(), *f = tu_path(tmp, "pass"), *link = tu_path(tmp, "link");
    char out[SW_PASSPHRASE_MAX + 8], big[SW_PASSPHRASE_MAX + 2], expect[4200];
    (void)state;

    tu_write_str(f, "first line here\nsecond line\n");
    assert_int_equal(read_file(f, out, sizeof(out), &err), 0);
    assert_string_equal(out, "first line here");
    tu_write_str(f, "windows line\r\n");
    assert_int_equal(read_file(f, out, sizeof(out), &err), 0);
    assert_string_equal(out, "windows line");
    tu_write_str(f, "no newline at all");
    assert_int_equal(read_file(f, out, sizeof(out), &err), 0);
    assert_string_equal(out, "no newline at all");
    tu_write_str(f, "  spaces are kept \t\n");
    assert_int_equal(read_file(f, out, sizeof(out), &err), 0);
    assert_string_equal(out, "  spaces are kept \t");

    /* exactly the maximum, then one byte more */
    memset(big, 'y', sizeof(big));
    big[SW_PASSPHRASE_MAX] = '\n';
    tu_write(f, big, SW_PASSPHRASE_MAX + 1);
    assert_int_equal(read_file(f, out, sizeof(out), &err), 0);
    assert_int_equal(strlen(out), SW_PASSPHRASE_MAX);
    big[SW_PASSPHRASE_MAX] = 'y';
    tu_write(f, big, SW_PASSPHRASE_MAX + 1);
    assert_int_equal(read_file(f, out, sizeof(out), &err), -SW_E_LIMIT);
    assert_non_null(strstr(err.msg, "longer than 1024 bytes"));
    big[SW_PASSPHRASE_MAX + 1] = '\n';
    tu_write(f, big, SW_PASSPHRASE_MAX + 2);
    assert_int_equal(read_file(f, out, sizeof(out), &err), -SW_E_LIMIT);

    /* empty */
    tu_write_str(f, "\nsecond\n");
    assert_int_equal(read_file(f, out, sizeof(out), &err), -SW_E_INVAL);
    assert_non_null(strstr(err.msg, "empty first line"));
    tu_write_str(f, "");
    assert_int_equal(read_file(f, out, sizeof(out), &err), -SW_E_INVAL);

    /* open to others: refused with the fix */
    tu_write_str(f, "good enough passphrase\n");
    static const mode_t bad[] = {0644, 0640, 0604, 0620, 0602};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(chmod(f, bad[i]), 0);
        assert_int_equal(read_file(f, out, sizeof(out), &err), -SW_E_KEYFILE);
        snprintf(expect, sizeof(expect), "run 'chmod 600 %s'", f);
        assert_non_null(strstr(err.msg, expect));
    }
    assert_int_equal(chmod(f, 0400), 0);
    assert_int_equal(read_file(f, out, sizeof(out), &err), 0);

    /* links, directories, missing files */
    assert_int_equal(symlink(f, link), 0);
    assert_int_equal(read_file(link, out, sizeof(out), &err), -SW_E_KEYFILE);
    assert_non_null(strstr(err.msg, "symbolic link"));
    assert_int_equal(chmod(tmp, 0700), 0);
    assert_true(read_file(tmp, out, sizeof(out), &err) < 0);
    assert_int_equal(read_file("/nonexistent/pass", out, sizeof(out), &err), -SW_E_NOTFOUND);
    assert_non_null(strstr(err.msg, "/nonexistent/pass"));

    tu_rmtree(tmp);
    free(f);
    free(link);
    free(tmp);
}

static void
test_fifo(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    char *tmp = tu_tmpdir(), *fifo = tu_path(tmp, "fifo");
    char out[64];
    pid_t pid;
    int status;
    (void)state;

    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd;
        alarm(10); /* never outlive a failed test */
        fd = open(fifo, O_WRONLY);
        ssize_t n = fd >= 0 ? write(fd, "from a pipe\nmore\n", 17) : -1;
        _exit(n == 17 ? 0 : 1);
    }
    assert_int_equal(read_file(fifo, out, sizeof(out), &err), 0);
    assert_string_equal(out, "from a pipe");
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    tu_rmtree(tmp);
    free(fifo);
    free(tmp);
}

/* --- the terminal ------------------------------------------------------------- */

/* The user at the other end of the pseudo-terminal. */
struct user {
    int master;
    pthread_t reader; /* the thread that reads the passphrase */
    const char *prompts[2];
    const char *answers[2];
    int steps;
    int signal_at; /* if >= 0: at this step send SIGALRM to reader instead of answering */
    char transcript[8192];
    size_t tlen;
    int echo_seen_on; /* ECHO was set when a prompt showed */
};

/* Read from the master until text appears in the transcript after from. */
static int
wait_for(struct user *u, size_t from, const char *text)
{
    for (;;) {
        struct pollfd pfd = {u->master, POLLIN, 0};
        ssize_t n;
        u->transcript[u->tlen] = '\0';
        if (strstr(u->transcript + from, text))
            return 0;
        if (poll(&pfd, 1, 5000) <= 0)
            return -1;
        n = read(u->master, u->transcript + u->tlen, sizeof(u->transcript) - 1 - u->tlen);
        if (n <= 0)
            return -1;
        u->tlen += (size_t)n;
    }
}

static void *
play_user(void *arg)
{
    struct user *u = arg;
    size_t from = 0;
    for (int i = 0; i < u->steps; i++) {
        struct termios t;
        if (wait_for(u, from, u->prompts[i]) < 0) {
            /* no prompt: end the line so the reader returns and the test fails */
            if (write(u->master, "\n", 1) < 0)
                return NULL;
            return NULL;
        }
        from = u->tlen;
        if (tcgetattr(u->master, &t) == 0 && (t.c_lflag & ECHO))
            u->echo_seen_on = 1;
        if (i == u->signal_at) {
            pthread_kill(u->reader, SIGALRM);
            return NULL;
        }
        if (write(u->master, u->answers[i], strlen(u->answers[i])) < 0)
            return NULL;
    }
    return NULL;
}

/* Whatever is left to read on the master, without waiting long. */
static void
drain(struct user *u)
{
    for (;;) {
        struct pollfd pfd = {u->master, POLLIN, 0};
        ssize_t n;
        if (poll(&pfd, 1, 100) <= 0)
            break;
        n = read(u->master, u->transcript + u->tlen, sizeof(u->transcript) - 1 - u->tlen);
        if (n <= 0)
            break;
        u->tlen += (size_t)n;
    }
    u->transcript[u->tlen] = '\0';
}

static int
ask(struct user *u, int slave, const char *confirm, struct sw_passphrase **ret,
    struct sw_error *err)
{
    pthread_t th;
    int r;
    u->reader = pthread_self();
    assert_int_equal(pthread_create(&th, NULL, play_user, u), 0);
    r = sw_passphrase_read_terminal(slave, "Passphrase: ", confirm, ret, err);
    assert_int_equal(pthread_join(th, NULL), 0);
    drain(u);
    return r;
}

static void
open_pty(int *master, int *slave)
{
    struct termios t;
    assert_int_equal(openpty(master, slave, NULL, NULL, NULL), 0);
    assert_int_equal(tcgetattr(*slave, &t), 0);
    assert_true(t.c_lflag & ECHO); /* what a terminal starts with */
}

static void
assert_echo_back(int slave)
{
    struct termios t;
    assert_int_equal(tcgetattr(slave, &t), 0);
    assert_true(t.c_lflag & ECHO);
}

static void
test_terminal(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_passphrase *p = NULL;
    struct user u;
    int master, slave;
    (void)state;

    open_pty(&master, &slave);
    memset(&u, 0, sizeof(u));
    u.master = master;
    u.prompts[0] = "Passphrase: ";
    u.answers[0] = "secret typed here\n";
    u.steps = 1;
    u.signal_at = -1;
    assert_int_equal(ask(&u, slave, NULL, &p, &err), 0);
    assert_string_equal(sw_passphrase_data(p), "secret typed here");
    assert_false(u.echo_seen_on);
    assert_non_null(strstr(u.transcript, "Passphrase: "));
    assert_null(strstr(u.transcript, "secret"));
    assert_echo_back(slave);
    sw_passphrase_free(p);
    p = NULL;

    /* confirmation: the same twice */
    memset(&u, 0, sizeof(u));
    u.master = master;
    u.prompts[0] = "Passphrase: ";
    u.answers[0] = "twice the same\n";
    u.prompts[1] = "Again: ";
    u.answers[1] = "twice the same\r"; /* a carriage return ends a line too */
    u.steps = 2;
    u.signal_at = -1;
    assert_int_equal(ask(&u, slave, "Again: ", &p, &err), 0);
    assert_string_equal(sw_passphrase_data(p), "twice the same");
    assert_null(strstr(u.transcript, "twice"));
    assert_false(u.echo_seen_on);
    assert_echo_back(slave);
    sw_passphrase_free(p);
    p = NULL;

    /* confirmation: different */
    memset(&u, 0, sizeof(u));
    u.master = master;
    u.prompts[0] = "Passphrase: ";
    u.answers[0] = "first answer\n";
    u.prompts[1] = "Again: ";
    u.answers[1] = "second answer\n";
    u.steps = 2;
    u.signal_at = -1;
    assert_int_equal(ask(&u, slave, "Again: ", &p, &err), -SW_E_INVAL);
    assert_non_null(strstr(err.msg, "do not match"));
    assert_null(p);
    assert_echo_back(slave);

    close(master);
    close(slave);
}

static void
test_terminal_too_long(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_passphrase *p = NULL;
    static char answer[SW_PASSPHRASE_MAX + 3];
    struct user u;
    int master, slave;
    (void)state;

    open_pty(&master, &slave);
    /* a canonical-mode line is at most 4095 bytes; this one fits */
    memset(answer, 'z', SW_PASSPHRASE_MAX + 1);
    answer[SW_PASSPHRASE_MAX + 1] = '\n';
    memset(&u, 0, sizeof(u));
    u.master = master;
    u.prompts[0] = "Passphrase: ";
    u.answers[0] = answer;
    u.steps = 1;
    u.signal_at = -1;
    assert_int_equal(ask(&u, slave, NULL, &p, &err), -SW_E_LIMIT);
    assert_null(p);
    assert_echo_back(slave);
    close(master);
    close(slave);
}

static volatile sig_atomic_t alarm_seen;

static void
on_alarm(int sig)
{
    (void)sig;
    alarm_seen = 1;
}

static void
test_terminal_signal(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_passphrase *p = NULL;
    struct sigaction sa, old;
    struct user u;
    int master, slave;
    (void)state;

    /* the caller's own handler must run, after the terminal is restored */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    alarm_seen = 0;

    open_pty(&master, &slave);
    memset(&u, 0, sizeof(u));
    u.master = master;
    u.prompts[0] = "Passphrase: ";
    u.steps = 1;
    u.signal_at = 0;
    assert_int_equal(ask(&u, slave, NULL, &p, &err), -SW_E_IO);
    assert_non_null(strstr(err.msg, "interrupted"));
    assert_null(p);
    assert_true(alarm_seen);
    assert_echo_back(slave);
    /* and the caller's handler is in place again */
    {
        struct sigaction now;
        assert_int_equal(sigaction(SIGALRM, NULL, &now), 0);
        assert_ptr_equal(now.sa_handler, on_alarm);
    }
    assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
    close(master);
    close(slave);
}

static void
test_not_a_terminal(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_passphrase *p = NULL;
    int fds[2];
    (void)state;

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(sw_passphrase_read_terminal(fds[0], "Passphrase: ", NULL, &p, &err), -SW_E_IO);
    assert_non_null(strstr(err.msg, "not a terminal"));
    assert_null(p);
    close(fds[0]);
    close(fds[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strength),
        cmocka_unit_test(test_from_mem),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_terminal),
        cmocka_unit_test(test_terminal_too_long),
        cmocka_unit_test(test_terminal_signal),
        cmocka_unit_test(test_not_a_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
