/* SPDX-License-Identifier: MIT */
/*
 * Passphrases for slipway-repo's secret key files: sodium_malloc storage,
 * reading from a terminal with echo off (restored on every path, signals
 * included) or from a private file, and the strength check for new keys.
 * Using a passphrase to derive a key is left to keyfile.c.
 */
#include "passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

struct sw_passphrase {
    char *data; /* sodium_malloc, SW_PASSPHRASE_MAX + 1 bytes, NUL-terminated */
    size_t len;
};

/*
 * Common passwords and passphrases: the usual top entries of leaked
 * password lists, keyboard walks, and words a publisher is tempted to use.
 * Compared after the normalisation of base_form(), so "Password2024!" or
 * "p@ssw0rd1234" match "password" and the short entries stand for their
 * longer variants.
 */
static const char *const common_passphrases[] = {
    "password",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "pa55word",
    "passwort",
    "motdepasse",
    "contrasena",
    "password1",
    "password12",
    "password123",
    "password1234",
    "password12345",
    "password123456",
    "passwordpassword",
    "mypassword",
    "mypassword123",
    "mysecretpassword",
    "secretpassword",
    "thisismypassword",
    "newpassword",
    "oldpassword",
    "yourpassword",
    "masterpassword",
    "defaultpassword",
    "temppassword",
    "testpassword",
    "rootpassword",
    "adminpassword",
    "userpassword",
    "keypassword",
    "passphrase",
    "mypassphrase",
    "secretpassphrase",
    "thisismypassphrase",
    "passphrase123",
    "changeme",
    "changemenow",
    "changeme123",
    "changeit",
    "letmein",
    "letmeinplease",
    "letmein123",
    "letmeinnow",
    "opensesame",
    "welcome",
    "welcomewelcome",
    "welcome123",
    "welcomehome",
    "iloveyou",
    "iloveyou1234",
    "iloveyouforever",
    "iloveyoutoo",
    "iloveyoubaby",
    "iloveu",
    "loveyou",
    "loveyouforever",
    "ihateyou",
    "iamtheone",
    "trustno1",
    "trustnoone",
    "qwerty",
    "qwertyqwerty",
    "qwerty123",
    "qwerty123456",
    "qwertyuiop",
    "qwertyuiop123",
    "qwertyuiopasdfghjkl",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertyui",
    "qwertzuiop",
    "azertyuiop",
    "asdfghjkl",
    "asdfghjkl123",
    "asdfasdf",
    "asdfasdfasdf",
    "zxcvbnm",
    "zxcvbnm123",
    "zxcvbnmasdfghjkl",
    "1qaz2wsx",
    "1qaz2wsx3edc",
    "1qaz2wsx3edc4rfv",
    "zaq12wsx",
    "zaq1xsw2cde3",
    "qazwsx",
    "qazwsxedc",
    "qazwsxedcrfv",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "q1w2e3r4",
    "q1w2e3r4t5",
    "q1w2e3r4t5y6",
    "1234qwer",
    "1234qwerasdf",
    "qwer1234",
    "123qwe",
    "123qweasd",
    "123qweasdzxc",
    "abc123",
    "abc123abc123",
    "abcd1234",
    "abcdefgh",
    "abcdefghijkl",
    "abcdefghijklmnop",
    "abcdefghijklmnopqrstuvwxyz",
    "zyxwvutsrqponmlkjihgfedcba",
    "a1b2c3d4",
    "a1b2c3d4e5f6",
    "correcthorsebatterystaple",
    "correcthorse",
    "thequickbrownfox",
    "thequickbrownfoxjumpsoverthelazydog",
    "loremipsum",
    "loremipsumdolorsitamet",
    "helloworld",
    "hello",
    "hellohello",
    "hellothere",
    "admin",
    "administrator",
    "adminadmin",
    "admin123",
    "root",
    "rootroot",
    "toor",
    "superuser",
    "sysadmin",
    "guest",
    "test",
    "testtest",
    "test123",
    "testing",
    "demo",
    "default",
    "secret",
    "supersecret",
    "topsecret",
    "mysecret",
    "secretsecret",
    "secret123",
    "private",
    "privatekey",
    "secretkey",
    "signingkey",
    "mykey",
    "rootkey",
    "targetskey",
    "snapshotkey",
    "timestampkey",
    "releasekey",
    "slipway",
    "slipwayrepo",
    "theupdateframework",
    "updateframework",
    "dragon",
    "monkey",
    "shadow",
    "master",
    "mustang",
    "michael",
    "superman",
    "batman",
    "spiderman",
    "football",
    "baseball",
    "basketball",
    "soccer",
    "hockey",
    "tennis",
    "golfer",
    "jordan",
    "jennifer",
    "hunter",
    "buster",
    "harley",
    "andrew",
    "tigger",
    "sunshine",
    "charlie",
    "robert",
    "thomas",
    "ranger",
    "daniel",
    "starwars",
    "computer",
    "michelle",
    "jessica",
    "pepper",
    "freedom",
    "maggie",
    "ginger",
    "princess",
    "joshua",
    "cheese",
    "amanda",
    "summer",
    "winter",
    "spring",
    "autumn",
    "ashley",
    "nicole",
    "chelsea",
    "matthew",
    "access",
    "yankees",
    "dallas",
    "austin",
    "thunder",
    "taylor",
    "matrix",
    "william",
    "corvette",
    "martin",
    "heather",
    "merlin",
    "diamond",
    "hammer",
    "silver",
    "anthony",
    "justin",
    "bailey",
    "patrick",
    "internet",
    "scooter",
    "orange",
    "cookie",
    "richard",
    "samantha",
    "bigdog",
    "guitar",
    "jackson",
    "whatever",
    "mickey",
    "chicken",
    "sparky",
    "snoopy",
    "maverick",
    "phoenix",
    "camaro",
    "peanut",
    "morgan",
    "falcon",
    "cowboy",
    "ferrari",
    "samsung",
    "andrea",
    "smokey",
    "steelers",
    "joseph",
    "mercedes",
    "dakota",
    "arsenal",
    "eagles",
    "melissa",
    "boomer",
    "booboo",
    "spider",
    "nascar",
    "monster",
    "tigers",
    "yellow",
    "gateway",
    "marina",
    "diablo",
    "bulldog",
    "compaq",
    "purple",
    "banana",
    "junior",
    "hannah",
    "porsche",
    "lakers",
    "iceman",
    "money",
    "cowboys",
    "london",
    "coffee",
    "scooby",
    "miller",
    "boston",
    "brandon",
    "yamaha",
    "chester",
    "mother",
    "forever",
    "johnny",
    "edward",
    "oliver",
    "redsox",
    "player",
    "nikita",
    "knight",
    "fender",
    "barney",
    "midnight",
    "please",
    "brandy",
    "chicago",
    "badboy",
    "slayer",
    "rangers",
    "charles",
    "angel",
    "flower",
    "bigdaddy",
    "rabbit",
    "wizard",
    "jasper",
    "enter",
    "rachel",
    "chris",
    "steven",
    "winner",
    "adidas",
    "victoria",
    "natasha",
    "jasmine",
    "prince",
    "marine",
    "fishing",
    "cocacola",
    "casper",
    "james",
    "raiders",
    "marlboro",
    "gandalf",
    "crystal",
    "golden",
    "apple",
    "babygirl",
    "sweetheart",
    "lovely",
    "baby",
    "butterfly",
    "beautiful",
    "blessed",
    "jesus",
    "jesuschrist",
    "godisgood",
    "christ",
    "liverpool",
    "manchester",
    "chelseafc",
    "barcelona",
    "realmadrid",
    "pokemon",
    "pikachu",
    "minecraft",
    "fortnite",
    "roblox",
    "naruto",
    "killer",
    "blink182",
    "metallica",
    "nirvana",
    "linkinpark",
    "eminem",
    "mylove",
    "myspace",
    "facebook",
    "google",
    "youtube",
    "twitter",
    "instagram",
    "linkedin",
    "microsoft",
    "windows",
    "linux",
    "ubuntu",
    "debian",
    "iphone",
    "android",
    "nokia",
    "motorola",
    "nothing",
    "anything",
    "something",
    "everything",
    "unknown",
    "nopassword",
    "idontknow",
    "dontknow",
    "forgot",
    "forgotten",
    "remember",
    "iforgot",
    "goodluck",
    "goodmorning",
    "goodnight",
    "happy",
    "happyday",
    "happybirthday",
    "friends",
    "family",
    "familyguy",
    "simpsons",
    "homer",
    "bart",
    "southpark",
    "trinity",
    "neo",
    "morpheus",
    "zion",
    "ironman",
    "wolverine",
    "hulk",
    "thor",
    "avengers",
    "darthvader",
    "skywalker",
    "yoda",
    "jedi",
    "harrypotter",
    "hogwarts",
    "gryffindor",
    "voldemort",
    "hermione",
    "dumbledore",
    "lordoftherings",
    "frodo",
    "gollum",
    "sauron",
    "hobbit",
    "qwe123",
    "qweasdzxc",
    "qweqweqwe",
    "asdasdasd",
    "zxczxczxc",
    "asd123",
    "zxc123",
};

static int
sodium_ready(struct sw_error *err)
{
    if (sodium_init() < 0)
        return sw_error_set(err, SW_E_INTERNAL, "cannot initialise libsodium");
    return 0;
}

static int
passphrase_new(struct sw_passphrase **ret_pass, struct sw_error *err)
{
    struct sw_passphrase *p;
    int r = sodium_ready(err);

    if (r < 0)
        return r;
    p = calloc(1, sizeof(*p));
    if (!p)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    p->data = sodium_malloc(SW_PASSPHRASE_MAX + 1);
    if (!p->data) {
        free(p);
        return sw_error_set(err, SW_E_NOMEM, "out of memory for a passphrase buffer");
    }
    sodium_memzero(p->data, SW_PASSPHRASE_MAX + 1);
    *ret_pass = p;
    return 0;
}

void
sw_passphrase_free(struct sw_passphrase *p)
{
    if (!p)
        return;
    if (p->data) {
        sodium_memzero(p->data, SW_PASSPHRASE_MAX + 1);
        sodium_free(p->data);
    }
    free(p);
}

const char *
sw_passphrase_data(const struct sw_passphrase *p)
{
    return p->data;
}

size_t
sw_passphrase_len(const struct sw_passphrase *p)
{
    return p->len;
}

int
sw_passphrase_from_mem(const char *s, size_t len, struct sw_passphrase **ret_pass,
                       struct sw_error *err)
{
    struct sw_passphrase *p = NULL;
    int r;

    if (len > SW_PASSPHRASE_MAX)
        return sw_error_set(err, SW_E_LIMIT, "passphrase is longer than %d bytes",
                            SW_PASSPHRASE_MAX);
    r = passphrase_new(&p, err);
    if (r < 0)
        return r;
    memcpy(p->data, s, len);
    p->data[len] = '\0';
    p->len = len;
    *ret_pass = p;
    return 0;
}

/* --- from a file -------------------------------------------------------------- */

int
sw_passphrase_read_file(const char *path, struct sw_passphrase **ret_pass, struct sw_error *err)
{
    struct sw_passphrase *p = NULL;
    struct stat st;
    size_t len = 0;
    char *nl = NULL;
    int fd = -1, r;

    r = passphrase_new(&p, err);
    if (r < 0)
        return r;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            r = sw_error_set(err, SW_E_KEYFILE,
                             "refusing passphrase file '%s': it is a symbolic link", path);
        else
            r = sw_error_errno(err, e == ENOENT ? SW_E_NOTFOUND : SW_E_IO, e,
                               "cannot open passphrase file '%s'", path);
        goto out;
    }
    if (fstat(fd, &st) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot stat passphrase file '%s'", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        r = sw_error_set(err, SW_E_INVAL,
                         "refusing passphrase file '%s': not a regular file or a pipe", path);
        goto out;
    }
    if (st.st_mode & 077) {
        r = sw_error_set(err, SW_E_KEYFILE,
                         "passphrase file '%s' has mode %04o, open to other users; "
                         "run 'chmod 600 %s'",
                         path, (unsigned)(st.st_mode & 07777), path);
        goto out;
    }
    /*
     * Opened without blocking, so a FIFO could be checked before a writer
     * came; now read blocking, and for a FIFO first wait for its writer
     * (before one connects, read() would see the end at once).
     */
    if (fcntl(fd, F_SETFL, 0) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot read passphrase file '%s'", path);
        goto out;
    }
    if (S_ISFIFO(st.st_mode)) {
        struct pollfd pfd = {fd, POLLIN, 0};
        while (poll(&pfd, 1, -1) < 0) {
            if (errno != EINTR) {
                r = sw_error_errno(err, SW_E_IO, errno, "cannot wait for passphrase pipe '%s'",
                                   path);
                goto out;
            }
        }
    }
    /* read until the first newline, the end, or one byte past the maximum */
    while (!nl && len < SW_PASSPHRASE_MAX + 1) {
        ssize_t n = read(fd, p->data + len, SW_PASSPHRASE_MAX + 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = sw_error_errno(err, SW_E_IO, errno, "cannot read passphrase file '%s'", path);
            goto out;
        }
        if (n == 0)
            break;
        nl = memchr(p->data + len, '\n', (size_t)n);
        len += (size_t)n;
    }
    if (nl)
        len = (size_t)(nl - p->data);
    else if (len > SW_PASSPHRASE_MAX) {
        r = sw_error_set(err, SW_E_LIMIT,
                         "the first line of passphrase file '%s' is longer than %d bytes", path,
                         SW_PASSPHRASE_MAX);
        goto out;
    }
    if (len > 0 && p->data[len - 1] == '\r')
        len--;
    sodium_memzero(p->data + len, SW_PASSPHRASE_MAX + 1 - len);
    p->len = len;
    if (len == 0) {
        r = sw_error_set(err, SW_E_INVAL, "passphrase file '%s' has an empty first line", path);
        goto out;
    }
    *ret_pass = p;
    p = NULL;
    r = 0;
out:
    if (fd >= 0)
        close(fd);
    sw_passphrase_free(p);
    return r;
}

/* --- from the terminal ------------------------------------------------------ */

/* Signals that would leave the terminal without echo if they killed us. */
static const int tty_signals[] = {SIGALRM, SIGHUP,  SIGINT,  SIGPIPE, SIGQUIT,
                                  SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU};
#define N_TTY_SIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))

static volatile sig_atomic_t caught_signal[NSIG];

static void
catch_signal(int sig)
{
    if (sig > 0 && sig < NSIG)
        caught_signal[sig] = 1;
}

static bool
any_signal_caught(void)
{
    for (size_t i = 0; i < N_TTY_SIGNALS; i++)
        if (caught_signal[tty_signals[i]])
            return true;
    return false;
}

static void
write_tty(int fd, const char *s)
{
    size_t len = strlen(s);
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* nothing sensible to do about a broken prompt */
        s += n;
        len -= (size_t)n;
    }
}

enum read_outcome {
    READ_OK,
    READ_RESTART, /* stopped and continued: ask again */
};

/*
 * One prompt and one line with echo off, into p. Returns <0 on error,
 * READ_OK, or READ_RESTART.
 */
static int
read_one(int fd, const char *prompt, struct sw_passphrase *p, struct sw_error *err)
{
    struct sigaction sa, saved[N_TTY_SIGNALS];
    struct termios old, quiet;
    bool too_long = false, interrupted = false, restart = false;
    size_t len = 0;
    char c = 0;
    int r = 0, read_errno = 0;
    size_t i;

    if (tcgetattr(fd, &old) < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot read the terminal settings");

    for (i = 0; i < N_TTY_SIGNALS; i++)
        caught_signal[tty_signals[i]] = 0;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a signal must end the read() */
    sa.sa_handler = catch_signal;
    for (i = 0; i < N_TTY_SIGNALS; i++) {
        /* a signal the caller ignores stays ignored (and cannot loop us) */
        sigaction(tty_signals[i], NULL, &saved[i]);
        if (saved[i].sa_handler != SIG_IGN)
            sigaction(tty_signals[i], &sa, NULL);
    }

    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    quiet.c_lflag |= ICANON;
    /* echo goes off before the prompt: nothing typed after it is shown */
    if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot switch off echo on the terminal");
        goto restore_signals;
    }
    write_tty(fd, prompt);

    for (;;) {
        ssize_t n;
        if (any_signal_caught()) {
            interrupted = true;
            break;
        }
        n = read(fd, &c, 1);
        if (n < 0) {
            if (errno == EINTR)
                continue; /* the check at the top decides */
            read_errno = errno;
            break;
        }
        if (n == 0 || c == '\n' || c == '\r')
            break;
        if (len < SW_PASSPHRASE_MAX)
            p->data[len++] = c;
        else
            too_long = true;
    }
    sodium_memzero(&c, sizeof(c));
    write_tty(fd, "\n");
    tcsetattr(fd, TCSAFLUSH, &old);

restore_signals:
    for (i = 0; i < N_TTY_SIGNALS; i++)
        sigaction(tty_signals[i], &saved[i], NULL);
    /* with the terminal and dispositions restored, deliver what arrived */
    for (i = 0; i < N_TTY_SIGNALS; i++) {
        int sig = tty_signals[i];
        if (!caught_signal[sig])
            continue;
        caught_signal[sig] = 0;
        kill(getpid(), sig);
        if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
            restart = true;
    }
    if (restart) {
        r = READ_RESTART;
        goto wipe;
    }
    if (r < 0)
        goto wipe;
    if (interrupted) {
        r = sw_error_set(err, SW_E_IO, "interrupted while reading the passphrase");
        goto wipe;
    }
    if (read_errno) {
        r = sw_error_errno(err, SW_E_IO, read_errno,
                           "cannot read the passphrase from the terminal");
        goto wipe;
    }
    if (too_long) {
        r = sw_error_set(err, SW_E_LIMIT, "passphrase is longer than %d bytes", SW_PASSPHRASE_MAX);
        goto wipe;
    }
    p->data[len] = '\0';
    p->len = len;
    return READ_OK;
wipe:
    sodium_memzero(p->data, SW_PASSPHRASE_MAX + 1);
    p->len = 0;
    return r;
}

int
sw_passphrase_read_terminal(int fd, const char *prompt, const char *confirm_prompt,
                            struct sw_passphrase **ret_pass, struct sw_error *err)
{
    struct sw_passphrase *p = NULL, *again = NULL;
    int r;

    if (!isatty(fd))
        return sw_error_set(err, SW_E_IO, "cannot ask for a passphrase: not a terminal");
    r = passphrase_new(&p, err);
    if (r < 0)
        goto out;
    if (confirm_prompt) {
        r = passphrase_new(&again, err);
        if (r < 0)
            goto out;
    }
    for (;;) {
        r = read_one(fd, prompt, p, err);
        if (r < 0)
            goto out;
        if (r == READ_RESTART)
            continue;
        if (!confirm_prompt)
            break;
        r = read_one(fd, confirm_prompt, again, err);
        if (r < 0)
            goto out;
        if (r == READ_RESTART)
            continue;
        break;
    }
    if (again && (again->len != p->len || sodium_memcmp(again->data, p->data, p->len) != 0)) {
        r = sw_error_set(err, SW_E_INVAL, "the two passphrases do not match; nothing was changed");
        goto out;
    }
    *ret_pass = p;
    p = NULL;
    r = 0;
out:
    sw_passphrase_free(again);
    sw_passphrase_free(p);
    return r;
}

int
sw_passphrase_read_tty(const char *prompt, const char *confirm_prompt,
                       struct sw_passphrase **ret_pass, struct sw_error *err)
{
    int fd, r;

    fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return sw_error_errno(err, SW_E_IO, errno,
                              "cannot open the terminal to ask for the passphrase "
                              "(use --passphrase-file FILE instead)");
    r = sw_passphrase_read_terminal(fd, prompt, confirm_prompt, ret_pass, err);
    close(fd);
    return r;
}

/* --- strength --------------------------------------------------------------- */

static bool
is_ascii_punct_or_digit(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= '!' && c <= '/') || (c >= ':' && c <= '@') ||
           (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
}

/* Lowercase (ASCII), without spaces, '-', '_' and '.', into out (len+1 bytes). */
static size_t
fold(const char *in, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '\t' || c == '-' || c == '_' || c == '.')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return n;
}

/*
 * fold(), then without digits and punctuation at either end, then with the
 * usual letter substitutions undone (0 → o, @ → a, 3 → e, ...): the "word"
 * a password is built on. Written to out (len+1 bytes); returns its length.
 */
static size_t
base_form(const char *in, size_t len, char *out)
{
    size_t n = fold(in, len, out), start = 0;
    while (n > 0 && is_ascii_punct_or_digit((unsigned char)out[n - 1]))
        n--;
    while (start < n && is_ascii_punct_or_digit((unsigned char)out[start]))
        start++;
    memmove(out, out + start, n - start);
    n -= start;
    out[n] = '\0';
    for (size_t i = 0; i < n; i++) {
        switch (out[i]) {
        case '0':
            out[i] = 'o';
            break;
        case '1':
        case '!':
            out[i] = 'i';
            break;
        case '3':
            out[i] = 'e';
            break;
        case '4':
        case '@':
            out[i] = 'a';
            break;
        case '5':
        case '$':
            out[i] = 's';
            break;
        case '7':
            out[i] = 't';
            break;
        default:
            break;
        }
    }
    return n;
}

static size_t
count_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

static size_t
count_distinct(const char *s, size_t len)
{
    unsigned char seen[256] = {0};
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (!seen[(unsigned char)s[i]])
            n++;
        seen[(unsigned char)s[i]] = 1;
    }
    return n;
}

static const char advice[] = "use four or more random words, or a password manager's "
                             "generated passphrase";

int
sw_passphrase_check_strength(const struct sw_passphrase *p, struct sw_error *err)
{
    char *folded = NULL, *base = NULL;
    char entry[128], entry_base[128];
    size_t chars, flen, blen;
    int r;

    chars = count_chars(p->data, p->len);
    if (chars < SW_PASSPHRASE_MIN_CHARS)
        return sw_error_set(err, SW_E_WEAK_PASSPHRASE,
                            "passphrase refused: it has %zu characters, at least %d are needed; %s",
                            chars, SW_PASSPHRASE_MIN_CHARS, advice);
    r = sodium_ready(err);
    if (r < 0)
        return r;
    folded = sodium_malloc(p->len + 1);
    base = sodium_malloc(p->len + 1);
    if (!folded || !base) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    flen = fold(p->data, p->len, folded);
    if (count_distinct(folded, flen) < 5) {
        r = sw_error_set(err, SW_E_WEAK_PASSPHRASE,
                         "passphrase refused: it uses fewer than 5 different characters; %s",
                         advice);
        goto out;
    }
    blen = base_form(p->data, p->len, base);
    if (blen == 0) {
        r = sw_error_set(err, SW_E_WEAK_PASSPHRASE,
                         "passphrase refused: it is made only of digits and punctuation; %s",
                         advice);
        goto out;
    }
    for (size_t i = 0; i < sizeof(common_passphrases) / sizeof(common_passphrases[0]); i++) {
        const char *c = common_passphrases[i];
        size_t clen = strlen(c);
        if (clen >= sizeof(entry))
            continue; /* no entry is that long; keep the buffers honest */
        size_t cf = fold(c, clen, entry);
        size_t cb = base_form(c, clen, entry_base);
        if ((cf == flen && memcmp(entry, folded, flen) == 0) ||
            (cb > 0 && cb == blen && memcmp(entry_base, base, blen) == 0)) {
            r = sw_error_set(err, SW_E_WEAK_PASSPHRASE,
                             "passphrase refused: it is a common password (or one with digits "
                             "or symbols added), the first thing an attacker tries; %s",
                             advice);
            goto out;
        }
    }
    r = 0;
out:
    if (folded) {
        sodium_memzero(folded, p->len + 1);
        sodium_free(folded);
    }
    if (base) {
        sodium_memzero(base, p->len + 1);
        sodium_free(base);
    }
    return r;
}
