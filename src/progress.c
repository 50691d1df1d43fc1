/* SPDX-License-Identifier: MIT */
/*
 * Progress rendering: turns the fetch module's events into a bar redrawn in
 * place on a terminal and into JSON lines for front ends. Owns the format
 * of both; choosing whether to show them is the command layer's business.
 */
#include <slipway/progress.h>
#include <slipway/text.h>

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define BAR_MAX_WIDTH 160

struct sw_progress {
    int bar_fd;
    int json_fd;
    int bar_drawn; /* a bar line is on the screen, not yet ended */
    char *role;    /* what the downloads are for (sw_progress_set_item), or NULL */
    char *target;
    int probe;
    int extract;      /* the events are the extraction of target */
    int target_steps; /* steps of a command that downloads a target: 1, or 2 for stage */
};

int
sw_progress_new(int bar_fd, int json_fd, struct sw_progress **ret_progress, struct sw_error *err)
{
    struct sw_progress *pr = calloc(1, sizeof(*pr));
    if (!pr)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    pr->bar_fd = bar_fd;
    pr->json_fd = json_fd;
    *ret_progress = pr;
    return 0;
}

int
sw_progress_want_bar(int fd, int quiet)
{
    const char *term = getenv("TERM");
    if (quiet || fd < 0 || !isatty(fd))
        return 0;
    return !(term && strcmp(term, "dumb") == 0);
}

void
sw_progress_format_bytes(uint64_t n, char *out, size_t outlen)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    size_t u = 0;

    if (n < 1024) {
        snprintf(out, outlen, "%" PRIu64 " B", n);
        return;
    }
    v /= 1024.0;
    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    snprintf(out, outlen, "%.1f %s", v, units[u]);
}

static void
write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* a front end that went away does not stop a download */
        s += w;
        n -= (size_t)w;
    }
}

/* Bytes per second of this request, or 0 while too little has been seen to tell. */
static double
rate_of(const struct sw_fetch_progress *p)
{
    if (p->bytes <= p->resumed_from)
        return 0.0;
    if (p->event != SW_FETCH_EV_DONE && p->elapsed < SW_PROGRESS_RATE_AFTER)
        return 0.0;
    if (p->elapsed <= 0.0)
        return 0.0;
    return (double)(p->bytes - p->resumed_from) / p->elapsed;
}

void
sw_progress_set_item(struct sw_progress *pr, const char *role, const char *target, int probe)
{
    if (!pr)
        return;
    free(pr->role);
    free(pr->target);
    pr->role = role ? strdup(role) : NULL;
    pr->target = target && !role ? strdup(target) : NULL;
    pr->probe = probe && pr->role;
    pr->extract = 0;
}

void
sw_progress_set_target_steps(struct sw_progress *pr, int steps)
{
    if (pr)
        pr->target_steps = steps;
}

void
sw_progress_set_extract(struct sw_progress *pr, const char *target)
{
    if (!pr)
        return;
    sw_progress_set_item(pr, NULL, target, 0);
    pr->extract = 1;
}

/* The workflow step of what is fetched: 1-5 of 5 for metadata, 1 of 1 for a target. */
static void
step_of(const struct sw_progress *pr, int *ret_step, int *ret_steps)
{
    static const char *const top[] = {"root", "timestamp", "snapshot", "targets"};
    *ret_step = 0;
    *ret_steps = 0;
    if (pr->target) {
        *ret_steps = pr->target_steps > 1 ? pr->target_steps : 1;
        *ret_step = pr->extract ? *ret_steps : 1;
        return;
    }
    if (!pr->role)
        return;
    *ret_steps = 5;
    *ret_step = 5; /* a delegated role */
    for (int i = 0; i < 4; i++)
        if (strcmp(pr->role, top[i]) == 0)
            *ret_step = i + 1;
}

/* A "not found" that is the expected end of the next-root probe, not a failure. */
static int
expected_absence(const struct sw_progress *pr, const struct sw_fetch_progress *p)
{
    return pr->probe && p->error && p->error->code == SW_E_FETCH_NOTFOUND &&
           (p->event == SW_FETCH_EV_FAIL || p->event == SW_FETCH_EV_FAILOVER);
}

static int
term_width(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col > BAR_MAX_WIDTH ? BAR_MAX_WIDTH : ws.ws_col;
    return 80;
}

static void
draw_bar(struct sw_progress *pr, const struct sw_fetch_progress *p, int final)
{
    char line[BAR_MAX_WIDTH * 2], have[32], total[32], rate[32], eta[32] = "", pct[8] = "";
    char safe[41];
    const char *name = strrchr(p->path, '/');
    double r = rate_of(p);
    int width = term_width(pr->bar_fd), n;

    name = name ? name + 1 : p->path;
    sw_progress_format_bytes(p->bytes, have, sizeof(have));
    sw_progress_format_bytes((uint64_t)r, rate, sizeof(rate));
    if (p->total) {
        sw_progress_format_bytes(p->total, total, sizeof(total));
        snprintf(pct, sizeof(pct), "%3u%%",
                 (unsigned)(p->bytes >= p->total ? 100 : p->bytes * 100 / p->total));
        if (final) {
            snprintf(eta, sizeof(eta), "in %.1f s", p->elapsed);
        } else if (r > 0.0) {
            double left = (double)(p->total - (p->bytes < p->total ? p->bytes : p->total)) / r;
            unsigned s = left > 359999.0 ? 359999u : (unsigned)left;
            snprintf(eta, sizeof(eta), "ETA %u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
        } else {
            snprintf(eta, sizeof(eta), "ETA --:--:--");
        }
    } else {
        snprintf(total, sizeof(total), "?");
        if (final)
            snprintf(eta, sizeof(eta), "in %.1f s", p->elapsed);
    }
    /* the name comes from metadata: escaped, and cut at 40 bytes of the escaped form */
    sw_text_escape_buf(safe, sizeof(safe), name, strlen(name), 0);
    n = snprintf(line, sizeof(line), "\r%s %s %s / %s  %s/s  %s", safe, pct, have, total, rate,
                 eta);
    if (n < 0)
        return;
    if (n > width) /* "\r" does not take a column; keep the last one free */
        n = width;
    line[n] = '\0';
    write_all(pr->bar_fd, line, (size_t)n);
    write_all(pr->bar_fd, "\033[K", 3);
    if (final)
        write_all(pr->bar_fd, "\n", 1);
    pr->bar_drawn = !final;
}

static void
bar_clear(struct sw_progress *pr)
{
    if (pr->bar_drawn) {
        write_all(pr->bar_fd, "\r\033[K", 4);
        pr->bar_drawn = 0;
    }
}

static json_t *
json_size(uint64_t v, int known)
{
    return known ? json_integer((json_int_t)v) : json_null();
}

static void
json_event(struct sw_progress *pr, const struct sw_fetch_progress *p)
{
    json_t *o = json_object();
    char *text;
    double r = rate_of(p);

    int step, steps, absent = expected_absence(pr, p);

    if (!o)
        return;
    step_of(pr, &step, &steps);
    json_object_set_new(o, "version", json_integer(SW_PROGRESS_SCHEMA));
    json_object_set_new(o, "event",
                        json_string(absent && p->event == SW_FETCH_EV_FAIL
                                        ? "absent"
                                        : sw_fetch_event_to_string(p->event)));
    json_object_set_new(o, "kind",
                        json_string(pr->extract  ? "extract"
                                    : pr->target ? "target"
                                    : pr->role   ? "metadata"
                                                 : "file"));
    json_object_set_new(o, "role", pr->role ? json_string(pr->role) : json_null());
    json_object_set_new(o, "target", pr->target ? json_string(pr->target) : json_null());
    json_object_set_new(o, "step", step ? json_integer(step) : json_null());
    json_object_set_new(o, "steps", steps ? json_integer(steps) : json_null());
    json_object_set_new(o, "probe", json_boolean(pr->probe));
    json_object_set_new(o, "mirror", json_string(p->mirror ? p->mirror : ""));
    json_object_set_new(o, "path", json_stringn(p->path, strlen(p->path)));
    if (p->url)
        json_object_set_new(o, "url", json_string(p->url));
    json_object_set_new(o, "bytes", json_integer((json_int_t)p->bytes));
    json_object_set_new(o, "total", json_size(p->total, p->total != 0));
    json_object_set_new(o, "resumed_from", json_integer((json_int_t)p->resumed_from));
    json_object_set_new(o, "elapsed", json_real(p->elapsed));
    if (p->event == SW_FETCH_EV_PROGRESS || p->event == SW_FETCH_EV_DONE) {
        /* no rate before there is one to tell, and no ETA without a rate */
        json_object_set_new(o, "rate", r >= 1.0 ? json_integer((json_int_t)r) : json_null());
        if (p->event == SW_FETCH_EV_PROGRESS)
            json_object_set_new(o, "eta",
                                p->total && r >= 1.0 && p->bytes <= p->total
                                    ? json_integer((json_int_t)((double)(p->total - p->bytes) / r))
                                    : json_null());
    }
    if (absent)
        json_object_set_new(o, "not_found", json_true()); /* expected: no error */
    else if (p->error)
        json_object_set_new(o, "error",
                            json_pack("{s:i, s:s, s:s}", "code", p->error->code, "name",
                                      sw_errcode_name(p->error->code), "message", p->error->msg));
    text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
    json_decref(o);
    if (!text)
        return;
    {
        size_t n = strlen(text);
        char *line = malloc(n + 2);
        if (line) {
            memcpy(line, text, n);
            line[n] = '\n';
            write_all(pr->json_fd, line, n + 1); /* one write: lines never interleave */
            free(line);
        }
    }
    free(text);
}

void
sw_progress_fetch(void *ctx, const struct sw_fetch_progress *p)
{
    struct sw_progress *pr = ctx;

    if (!pr || !p)
        return;
    if (pr->json_fd >= 0)
        json_event(pr, p);
    if (pr->bar_fd < 0)
        return;
    switch (p->event) {
    case SW_FETCH_EV_START:
    case SW_FETCH_EV_PROGRESS:
        draw_bar(pr, p, 0);
        break;
    case SW_FETCH_EV_DONE:
        draw_bar(pr, p, 1);
        break;
    case SW_FETCH_EV_RETRY:
    case SW_FETCH_EV_FAILOVER:
    case SW_FETCH_EV_FAIL:
        /* the command layer says why; leave it a clean line */
        bar_clear(pr);
        break;
    }
}

void
sw_progress_free(struct sw_progress *pr)
{
    if (!pr)
        return;
    if (pr->bar_fd >= 0)
        bar_clear(pr);
    free(pr->role);
    free(pr->target);
    free(pr);
}
