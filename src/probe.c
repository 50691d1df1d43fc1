/* SPDX-License-Identifier: MIT */
/*
 * Health probes: a non-blocking TCP connect under a deadline, an HTTP GET
 * through libcurl (no redirects, no proxy, a body cap), and an MQTT 3.1.1
 * CONNECT/CONNACK exchange. Retries and output are the command's business
 * (src/cli/probe.c); this module only says healthy or why not.
 */
#include <slipway/probe.h>

#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
left_ms(long long deadline)
{
    long long left = deadline - now_ms();
    return left <= 0 ? 0 : left > 86400000 ? 86400000 : (int)left;
}

/* "host:port", with brackets around an IPv6 address */
static void
host_port(char *out, size_t n, const char *host, const char *port)
{
    snprintf(out, n, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
}

static double
secs(int ms)
{
    return ms / 1000.0;
}

/*
 * Connect to one of the addresses of host:port before the deadline; *ret_fd
 * is the connected, non-blocking socket (caller closes).
 */
static int
connect_deadline(const char *host, const char *port, int timeout_ms, long long deadline,
                 int *ret_fd, struct sw_error *err)
{
    struct addrinfo hints, *res = NULL, *ai;
    char where[600];
    int r, last_errno = 0, timed_out = 0;

    host_port(where, sizeof(where), host, port);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    r = getaddrinfo(host, port, &hints, &res);
    if (r != 0)
        return sw_error_set(err, SW_E_FETCH_CONNECT, "cannot resolve '%s': %s", where,
                            r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
    for (ai = res; ai; ai = ai->ai_next) {
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            freeaddrinfo(res);
            *ret_fd = fd;
            return 0;
        }
        if (errno == EINPROGRESS) {
            struct pollfd p = {fd, POLLOUT, 0};
            int n;
            do
                n = poll(&p, 1, left_ms(deadline));
            while (n < 0 && errno == EINTR);
            if (n == 0) {
                timed_out = 1;
                close(fd);
                break;
            }
            if (n > 0) {
                int soerr = 0;
                socklen_t len = sizeof(soerr);
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0) {
                    freeaddrinfo(res);
                    *ret_fd = fd;
                    return 0;
                }
                last_errno = soerr ? soerr : errno;
            } else {
                last_errno = errno;
            }
        } else {
            last_errno = errno;
        }
        close(fd);
    }
    freeaddrinfo(res);
    if (timed_out)
        return sw_error_set(err, SW_E_FETCH_SLOW, "cannot connect to %s: timed out after %gs",
                            where, secs(timeout_ms));
    return sw_error_errno(err, SW_E_FETCH_CONNECT, last_errno ? last_errno : ECONNREFUSED,
                          "cannot connect to %s", where);
}

int
sw_probe_tcp(const char *host, const char *port, int timeout_ms, struct sw_error *err)
{
    int fd = -1;
    int r = connect_deadline(host, port, timeout_ms, now_ms() + timeout_ms, &fd, err);
    if (r < 0)
        return r;
    close(fd);
    return 0;
}

/* --- HTTP ------------------------------------------------------------------------ */

struct body_cap {
    size_t seen;
    int capped;
};

static size_t
body_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct body_cap *b = userdata;
    size_t n = size * nmemb;
    (void)data;
    if (b->seen + n > SW_PROBE_MAX_BODY) {
        b->capped = 1;
        return 0; /* stop reading: the status is all a probe needs */
    }
    b->seen += n;
    return n;
}

int
sw_probe_http(const struct sw_probe_http *p, int timeout_ms, long *ret_status, struct sw_error *err)
{
    char errbuf[CURL_ERROR_SIZE];
    struct body_cap body = {0, 0};
    CURL *c = NULL;
    CURLcode rc;
    long status = 0;
    int r = 0;

    if (ret_status)
        *ret_status = 0;
    if (strncasecmp(p->url, "http://", 7) != 0 && strncasecmp(p->url, "https://", 8) != 0)
        return sw_error_set(err, SW_E_INVAL, "'%s' is not an http:// or https:// URL", p->url);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return sw_error_set(err, SW_E_INTERNAL, "cannot initialise libcurl");
    c = curl_easy_init();
    if (!c) {
        r = sw_error_set(err, SW_E_NOMEM, "cannot initialise libcurl");
        goto out;
    }
    errbuf[0] = '\0';
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (curl_easy_setopt(c, opt, val) != CURLE_OK) {                                           \
            r = sw_error_set(err, SW_E_INTERNAL, "libcurl refused option " #opt);                  \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)
    SET(CURLOPT_URL, p->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_PROXY, "");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    SET(CURLOPT_USERAGENT, "slipway-probe/" SW_VERSION);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_WRITEFUNCTION, body_write);
    SET(CURLOPT_WRITEDATA, &body);
    if (p->ca_file)
        SET(CURLOPT_CAINFO, p->ca_file);
#undef SET
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_WRITE_ERROR && body.capped)
        rc = CURLE_OK;
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        r = sw_error_set(err, SW_E_FETCH_SLOW, "no answer from '%s' within %gs", p->url,
                         secs(timeout_ms));
        goto out;
    }
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
        r = sw_error_set(err, SW_E_FETCH_CONNECT, "cannot connect to '%s': %s", p->url,
                         errbuf[0] ? errbuf : curl_easy_strerror(rc));
        goto out;
    }
    if (rc != CURLE_OK) {
        r = sw_error_set(err, SW_E_FETCH, "'%s': %s", p->url,
                         errbuf[0] ? errbuf : curl_easy_strerror(rc));
        goto out;
    }
    if (ret_status)
        *ret_status = status;
    if (status < p->status_min || status > p->status_max) {
        if (p->status_min == p->status_max)
            r = sw_error_set(err, SW_E_FETCH_HTTP, "'%s' answered status %ld, wanted %ld", p->url,
                             status, p->status_min);
        else
            r = sw_error_set(err, SW_E_FETCH_HTTP, "'%s' answered status %ld, wanted %ld-%ld",
                             p->url, status, p->status_min, p->status_max);
    }
out:
    curl_easy_cleanup(c);
    curl_global_cleanup();
    return r;
}

/* --- MQTT 3.1.1 -------------------------------------------------------------------- */

size_t
sw_probe_mqtt_varint(uint32_t value, uint8_t out[4])
{
    size_t n = 0;
    if (value > 268435455u) /* 0xFF 0xFF 0xFF 0x7F, MQTT 3.1.1 2.2.3 */
        return 0;
    do {
        uint8_t b = value % 128;
        value /= 128;
        if (value > 0)
            b |= 0x80;
        out[n++] = b;
    } while (value > 0);
    return n;
}

static uint8_t *
put_field(uint8_t *q, const void *data, size_t len)
{
    *q++ = (uint8_t)(len >> 8);
    *q++ = (uint8_t)(len & 0xff);
    if (len)
        memcpy(q, data, len);
    return q + len;
}

int
sw_probe_mqtt_connect_encode(const struct sw_probe_mqtt *m, uint16_t keepalive, uint8_t *buf,
                             size_t cap, size_t *ret_len, struct sw_error *err)
{
    size_t id_len = strlen(m->client_id);
    size_t user_len = m->username ? strlen(m->username) : 0;
    size_t remaining, total, vlen;
    uint8_t flags = 0x02; /* clean session */
    uint8_t var[4];
    uint8_t *q;

    if (id_len > SW_PROBE_MAX_MQTT_FIELD)
        return sw_error_set(err, SW_E_INVAL, "client id of %zu bytes is longer than %d", id_len,
                            SW_PROBE_MAX_MQTT_FIELD);
    if (user_len > SW_PROBE_MAX_MQTT_FIELD)
        return sw_error_set(err, SW_E_INVAL, "user name of %zu bytes is longer than %d", user_len,
                            SW_PROBE_MAX_MQTT_FIELD);
    if (m->password && m->password_len > SW_PROBE_MAX_MQTT_FIELD)
        return sw_error_set(err, SW_E_INVAL, "password of %zu bytes is longer than %d",
                            m->password_len, SW_PROBE_MAX_MQTT_FIELD);
    if (m->password && !m->username)
        return sw_error_set(err, SW_E_INVAL, "a password needs a user name (MQTT 3.1.1 3.1.2.9)");
    remaining = 10 + 2 + id_len;
    if (m->username) {
        flags |= 0x80;
        remaining += 2 + user_len;
    }
    if (m->password) {
        flags |= 0x40;
        remaining += 2 + m->password_len;
    }
    vlen = sw_probe_mqtt_varint((uint32_t)remaining, var);
    total = 1 + vlen + remaining;
    if (total > cap)
        return sw_error_set(err, SW_E_LIMIT, "CONNECT of %zu bytes does not fit in %zu", total,
                            cap);
    q = buf;
    *q++ = 0x10;
    memcpy(q, var, vlen);
    q += vlen;
    q = put_field(q, "MQTT", 4);
    *q++ = 0x04; /* protocol level 4: 3.1.1 */
    *q++ = flags;
    *q++ = (uint8_t)(keepalive >> 8);
    *q++ = (uint8_t)(keepalive & 0xff);
    q = put_field(q, m->client_id, id_len);
    if (m->username)
        q = put_field(q, m->username, user_len);
    if (m->password)
        q = put_field(q, m->password, m->password_len);
    *ret_len = (size_t)(q - buf);
    return 0;
}

const char *
sw_probe_mqtt_rc_to_string(int rc)
{
    switch (rc) {
    case 0:
        return "connection accepted";
    case 1:
        return "unacceptable protocol version";
    case 2:
        return "client identifier rejected";
    case 3:
        return "server unavailable";
    case 4:
        return "bad user name or password";
    case 5:
        return "not authorized";
    default:
        return "unknown";
    }
}

int
sw_probe_mqtt_connack_check(const uint8_t *buf, size_t len, int *ret_rc, struct sw_error *err)
{
    *ret_rc = -1;
    if (len < 1)
        return sw_error_set(err, SW_E_INVAL, "bad answer: empty");
    if (buf[0] != 0x20)
        return sw_error_set(err, SW_E_INVAL,
                            "bad answer: not a CONNACK (packet type byte 0x%02x, wanted 0x20)",
                            buf[0]);
    if (len < SW_PROBE_MQTT_CONNACK_LEN)
        return sw_error_set(err, SW_E_INVAL, "bad answer: CONNACK cut after %zu bytes", len);
    if (buf[1] != 0x02)
        return sw_error_set(err, SW_E_INVAL, "bad answer: CONNACK remaining length %u, wanted 2",
                            buf[1]);
    if (buf[2] & 0xfe)
        return sw_error_set(err, SW_E_INVAL,
                            "bad answer: CONNACK acknowledge flags 0x%02x have reserved bits set",
                            buf[2]);
    *ret_rc = buf[3];
    if (buf[3] != 0)
        return sw_error_set(err, SW_E_INVAL, "broker refused the connection: return code %u (%s)",
                            buf[3], sw_probe_mqtt_rc_to_string(buf[3]));
    return 0;
}

static int
send_all(int fd, const uint8_t *buf, size_t len, long long deadline, const char *where,
         int timeout_ms, struct sw_error *err)
{
    while (len > 0) {
        struct pollfd p = {fd, POLLOUT, 0};
        ssize_t n;
        int k = poll(&p, 1, left_ms(deadline));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return sw_error_errno(err, SW_E_IO, errno, "%s: poll", where);
        if (k == 0)
            return sw_error_set(err, SW_E_FETCH_SLOW, "%s: cannot send within %gs", where,
                                secs(timeout_ms));
        n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n < 0)
            return sw_error_errno(err, SW_E_FETCH_CONNECT, errno, "%s: send", where);
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int
sw_probe_mqtt(const char *host, const char *port, const struct sw_probe_mqtt *m, int timeout_ms,
              int *ret_rc, struct sw_error *err)
{
    static const uint8_t disconnect[2] = {0xe0, 0x00};
    long long deadline = now_ms() + timeout_ms;
    uint8_t *pkt = NULL;
    uint8_t ack[SW_PROBE_MQTT_CONNACK_LEN];
    size_t len = 0, got = 0;
    char where[600];
    int fd = -1, r, rc = -1;

    if (ret_rc)
        *ret_rc = -1;
    host_port(where, sizeof(where), host, port);
    pkt = malloc(SW_PROBE_MQTT_MAX_CONNECT);
    if (!pkt)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = sw_probe_mqtt_connect_encode(m, SW_PROBE_MQTT_KEEPALIVE, pkt, SW_PROBE_MQTT_MAX_CONNECT,
                                     &len, err);
    if (r < 0)
        goto out;
    r = connect_deadline(host, port, timeout_ms, deadline, &fd, err);
    if (r < 0)
        goto out;
    r = send_all(fd, pkt, len, deadline, where, timeout_ms, err);
    if (r < 0)
        goto out;
    while (got < sizeof(ack)) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t n;
        int k = poll(&p, 1, left_ms(deadline));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            r = sw_error_errno(err, SW_E_IO, errno, "%s: poll", where);
            goto out;
        }
        if (k == 0) {
            r = sw_error_set(err, SW_E_FETCH_SLOW,
                             "%s: no CONNACK within %gs (%zu of %d bytes received)", where,
                             secs(timeout_ms), got, SW_PROBE_MQTT_CONNACK_LEN);
            goto out;
        }
        n = recv(fd, ack + got, sizeof(ack) - got, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n < 0) {
            r = sw_error_errno(err, SW_E_FETCH_CONNECT, errno, "%s: receiving CONNACK", where);
            goto out;
        }
        if (n == 0) {
            if (got > 0 && ack[0] != 0x20)
                break; /* say what it sent instead */
            r = sw_error_set(err, SW_E_FETCH_CONNECT,
                             "%s: connection closed before the CONNACK (%zu of %d bytes)", where,
                             got, SW_PROBE_MQTT_CONNACK_LEN);
            goto out;
        }
        got += (size_t)n;
        if (ack[0] != 0x20)
            break; /* not a CONNACK: no need to wait for more */
    }
    r = sw_probe_mqtt_connack_check(ack, got, &rc, err);
    if (r < 0) {
        sw_error_prefix(err, "%s: ", where);
        goto out;
    }
    /* polite: the broker logs a clean disconnect rather than a lost client */
    (void)send_all(fd, disconnect, sizeof(disconnect), deadline, where, timeout_ms, NULL);
out:
    if (ret_rc)
        *ret_rc = rc;
    if (fd >= 0)
        close(fd);
    free(pkt);
    return r;
}
