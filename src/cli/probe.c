/* SPDX-License-Identifier: MIT */
/*
 * slipway probe tcp HOST PORT | http URL | mqtt HOST PORT: is a service
 * healthy? One probe (src/probe.c) per attempt, with retries and a delay.
 * Exit 0 healthy, 1 unhealthy with the reason on stderr, 2 usage. Reads no
 * configuration and no state; the service-health hook calls it.
 */
#include "cli.h"

#include <slipway/fs.h>
#include <slipway/log.h>
#include <slipway/probe.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_MAX_SECONDS 3600.0 /* --timeout and --retry-delay */
#define PROBE_MAX_RETRIES 1000
#define PROBE_MAX_PASSWORD_FILE 4096

enum {
    OPT_PROBE_TIMEOUT = 1,
    OPT_PROBE_RETRIES,
    OPT_PROBE_RETRY_DELAY,
    OPT_PROBE_STATUS,
    OPT_PROBE_CA_FILE,
    OPT_PROBE_CLIENT_ID,
    OPT_PROBE_USERNAME,
    OPT_PROBE_PASSWORD_FILE,
};

const struct sw_opt sw_cli_probe_opts[] = {
    {"timeout", 0, 1, OPT_PROBE_TIMEOUT, "SECONDS",
     "give up on one attempt after SECONDS (default 5; fractions allowed)"},
    {"retries", 0, 1, OPT_PROBE_RETRIES, "N", "try N more times after a failure (default 0)"},
    {"retry-delay", 0, 1, OPT_PROBE_RETRY_DELAY, "SECONDS", "wait between attempts (default 1)"},
    {"status", 0, 1, OPT_PROBE_STATUS, "N[-M]",
     "http: the status (or range) that is healthy (default 200-399)"},
    {"ca-file", 0, 1, OPT_PROBE_CA_FILE, "FILE",
     "http: verify an https server against the CA certificates in FILE"},
    {"client-id", 0, 1, OPT_PROBE_CLIENT_ID, "ID",
     "mqtt: the client identifier (default slipway-probe-PID)"},
    {"username", 0, 1, OPT_PROBE_USERNAME, "USER", "mqtt: the user name to connect with"},
    {"password-file", 0, 1, OPT_PROBE_PASSWORD_FILE, "FILE",
     "mqtt: the password, read from FILE (private; one trailing newline dropped)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static int
parse_seconds(struct sw_cli *cli, int id, const char *name, double def, double min, int *ret_ms)
{
    const char *s = sw_cli_opt_get(cli, id, NULL);
    double v = def;
    char *end;
    if (s) {
        errno = 0;
        v = strtod(s, &end);
        if (!*s || *end || errno || !isfinite(v) || v < min || v > PROBE_MAX_SECONDS)
            return sw_error_set(&cli->err, SW_E_USAGE,
                                "probe: --%s '%s' is not a number of seconds from %g to %g", name,
                                s, min, PROBE_MAX_SECONDS);
    }
    *ret_ms = (int)(v * 1000.0 + 0.5);
    if (min > 0 && *ret_ms < 1)
        *ret_ms = 1;
    return 0;
}

static int
parse_long(const char *s, long min, long max, long *ret)
{
    char *end;
    long v;
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (*end || errno || v < min || v > max)
        return -1;
    *ret = v;
    return 0;
}

static int
parse_status(struct sw_cli *cli, struct sw_probe_http *h)
{
    const char *s = sw_cli_opt_get(cli, OPT_PROBE_STATUS, NULL);
    char lo[8], *dash;
    h->status_min = 200;
    h->status_max = 399;
    if (!s)
        return 0;
    dash = strchr(s, '-');
    if (strlen(s) < 16) {
        if (!dash && parse_long(s, 100, 599, &h->status_min) == 0) {
            h->status_max = h->status_min;
            return 0;
        }
        if (dash && (size_t)(dash - s) < sizeof(lo)) {
            memcpy(lo, s, (size_t)(dash - s));
            lo[dash - s] = '\0';
            if (parse_long(lo, 100, 599, &h->status_min) == 0 &&
                parse_long(dash + 1, 100, 599, &h->status_max) == 0 &&
                h->status_min <= h->status_max)
                return 0;
        }
    }
    return sw_error_set(&cli->err, SW_E_USAGE,
                        "probe: --status '%s' is not a status (100-599) or a range N-M", s);
}

static int
check_port(struct sw_cli *cli, const char *port)
{
    long v;
    if (parse_long(port, 1, 65535, &v) < 0)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "probe: port '%s' is not a number from 1 to 65535", port);
    return 0;
}

static void
sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int
sw_cmd_probe(struct sw_cli *cli, int argc, char **argv)
{
    const char *kind = argv[0];
    const char *user = sw_cli_opt_get(cli, OPT_PROBE_USERNAME, NULL);
    const char *pwfile = sw_cli_opt_get(cli, OPT_PROBE_PASSWORD_FILE, NULL);
    const char *client_id = sw_cli_opt_get(cli, OPT_PROBE_CLIENT_ID, NULL);
    const char *retries_s = sw_cli_opt_get(cli, OPT_PROBE_RETRIES, NULL);
    struct sw_probe_http http = {NULL, 200, 399, NULL};
    struct sw_probe_mqtt mqtt = {NULL, NULL, NULL, 0};
    struct sw_error perr = SW_ERROR_INIT;
    unsigned char *pw = NULL;
    size_t pw_len = 0;
    char default_id[64];
    long retries = 0;
    int timeout_ms, delay_ms, is_http = 0, is_mqtt = 0, r;

    if (strcmp(kind, "tcp") == 0 || strcmp(kind, "mqtt") == 0) {
        is_mqtt = kind[0] == 'm';
        if (argc != 3)
            return sw_error_set(&cli->err, SW_E_USAGE, "probe: %s needs HOST PORT", kind);
        if ((r = check_port(cli, argv[2])) < 0)
            return r;
        if (!argv[1][0])
            return sw_error_set(&cli->err, SW_E_USAGE, "probe: the host is empty");
    } else if (strcmp(kind, "http") == 0) {
        is_http = 1;
        if (argc != 2)
            return sw_error_set(&cli->err, SW_E_USAGE, "probe: http needs one URL");
        if (strncmp(argv[1], "http://", 7) != 0 && strncmp(argv[1], "https://", 8) != 0)
            return sw_error_set(&cli->err, SW_E_USAGE,
                                "probe: '%s' is not an http:// or https:// URL", argv[1]);
    } else {
        return sw_error_set(&cli->err, SW_E_USAGE, "probe: unknown probe '%s' (tcp, http or mqtt)",
                            kind);
    }
    if (!is_http && (sw_cli_opt_get(cli, OPT_PROBE_STATUS, NULL) ||
                     sw_cli_opt_get(cli, OPT_PROBE_CA_FILE, NULL)))
        return sw_error_set(&cli->err, SW_E_USAGE, "probe: --status and --ca-file are for http");
    if (!is_mqtt && (user || pwfile || client_id))
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "probe: --client-id, --username and --password-file are for mqtt");
    if (pwfile && !user)
        return sw_error_set(&cli->err, SW_E_USAGE, "probe: --password-file needs --username");
    if ((r = parse_seconds(cli, OPT_PROBE_TIMEOUT, "timeout", 5, 0.001, &timeout_ms)) < 0 ||
        (r = parse_seconds(cli, OPT_PROBE_RETRY_DELAY, "retry-delay", 1, 0, &delay_ms)) < 0)
        return r;
    if (retries_s && parse_long(retries_s, 0, PROBE_MAX_RETRIES, &retries) < 0)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "probe: --retries '%s' is not a number from 0 to %d", retries_s,
                            PROBE_MAX_RETRIES);
    if (is_http) {
        if ((r = parse_status(cli, &http)) < 0)
            return r;
        http.url = argv[1];
        http.ca_file = sw_cli_opt_get(cli, OPT_PROBE_CA_FILE, NULL);
    }
    if (is_mqtt) {
        snprintf(default_id, sizeof(default_id), "slipway-probe-%ld", (long)getpid());
        mqtt.client_id = client_id ? client_id : default_id;
        mqtt.username = user;
        if (pwfile) {
            r = sw_fs_read_private(pwfile, PROBE_MAX_PASSWORD_FILE, &pw, &pw_len, &cli->err);
            if (r < 0)
                return sw_error_prefix(&cli->err, "probe: password file: ");
            if (pw_len > 0 && pw[pw_len - 1] == '\n')
                pw_len--;
            mqtt.password = pw;
            mqtt.password_len = pw_len;
        }
    }

    for (long attempt = 0;; attempt++) {
        sw_error_clear(&perr);
        if (is_http)
            r = sw_probe_http(&http, timeout_ms, NULL, &perr);
        else if (is_mqtt)
            r = sw_probe_mqtt(argv[1], argv[2], &mqtt, timeout_ms, NULL, &perr);
        else
            r = sw_probe_tcp(argv[1], argv[2], timeout_ms, &perr);
        if (r == 0 || attempt >= retries)
            break;
        sw_log_info("probe attempt %ld of %ld failed: %s", attempt + 1, retries + 1, perr.msg);
        sleep_ms(delay_ms);
    }
    if (pw) {
        memset(pw, 0, pw_len);
        free(pw);
    }
    if (r == 0) {
        if (cli->verbosity >= 0)
            printf("healthy: %s %s%s%s\n", kind, argv[1], argc > 2 ? " " : "",
                   argc > 2 ? argv[2] : "");
        return 0;
    }
    sw_log_error("unhealthy: %s", perr.msg);
    return SW_EXIT_FAILURE;
}
