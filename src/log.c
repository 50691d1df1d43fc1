/* SPDX-License-Identifier: MIT */
/*
 * The logger: formats one line per call, escapes what could steer a
 * terminal (untrusted names reach messages), and writes it to stderr with a
 * single write(2), so lines of concurrent processes do not interleave.
 * Deciding what is worth saying is left to callers.
 */
#include <slipway/log.h>
#include <slipway/text.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *log_progname = "slipway";
static int log_level = SW_LOG_NOTICE;
static int log_journal;
static char log_txn[64];

static int
stderr_is_journal(void)
{
    const char *js = secure_getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    char tail;

    if (!js || sscanf(js, "%llu:%llu%c", &dev, &ino, &tail) != 2)
        return 0;
    if (fstat(STDERR_FILENO, &st) < 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
sw_log_init(const char *progname)
{
    if (progname) {
        const char *slash = strrchr(progname, '/');
        log_progname = slash ? slash + 1 : progname;
    }
    log_journal = stderr_is_journal();
}

void
sw_log_set_level(int max_level)
{
    if (max_level < SW_LOG_ERR)
        max_level = SW_LOG_ERR;
    if (max_level > SW_LOG_DEBUG)
        max_level = SW_LOG_DEBUG;
    log_level = max_level;
}

int
sw_log_get_level(void)
{
    return log_level;
}

int
sw_log_is_journal(void)
{
    return log_journal;
}

void
sw_log_set_txn(const char *txn)
{
    if (!txn)
        log_txn[0] = '\0';
    else
        snprintf(log_txn, sizeof(log_txn), "%s", txn);
}

static const char *
level_word(int level)
{
    switch (level) {
    case SW_LOG_ERR:
        return "error: ";
    case SW_LOG_WARNING:
        return "warning: ";
    case SW_LOG_DEBUG:
        return "debug: ";
    default:
        return "";
    }
}

void
sw_log(int level, const char *fmt, ...)
{
    char line[2048], out[2048 + 1024];
    size_t n = 0;
    va_list ap;
    int r;

    if (level > log_level)
        return;
    if (log_journal)
        r = snprintf(line, sizeof(line), "<%d>", level);
    else
        r = snprintf(line, sizeof(line), "%s: ", log_progname);
    n = r > 0 ? (size_t)r : 0;
    if (log_txn[0] && n < sizeof(line)) {
        r = snprintf(line + n, sizeof(line) - n, "[%s] ", log_txn);
        n += r > 0 ? (size_t)r : 0;
    }
    if (n < sizeof(line)) {
        r = snprintf(line + n, sizeof(line) - n, "%s", level_word(level));
        n += r > 0 ? (size_t)r : 0;
    }
    if (n < sizeof(line)) {
        va_start(ap, fmt);
        r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        va_end(ap);
        n += r > 0 ? (size_t)r : 0;
    }
    if (n > sizeof(line) - 1)
        n = sizeof(line) - 1;
    /* one record per line: fold embedded newlines */
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n')
            line[i] = ' ';
    /*
     * Messages carry untrusted names (targets, roles, files of a
     * repository): escape every control, C1 and malformed UTF-8 byte here,
     * where every line passes, so none reaches the terminal or the journal.
     */
    n = sw_text_escape_buf(out, sizeof(out) - 1, line, n, 0);
    out[n++] = '\n';
    for (size_t off = 0; off < n;) {
        ssize_t w = write(STDERR_FILENO, out + off, n - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

void
sw_log_sw_error(const struct sw_error *err)
{
    if (!err || err->code == 0)
        sw_log_error("unknown error");
    else
        sw_log_error("%s", err->msg);
}
