/* SPDX-License-Identifier: MIT */
/*
 * Bounded growable buffers. Owns growth and the limit check; what the bytes
 * mean is the caller's business.
 */
#include <slipway/buf.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
sw_buf_append(struct sw_buf *b, const void *p, size_t n, struct sw_error *err)
{
    size_t max = b->max ? b->max : SIZE_MAX - 1;
    size_t need;

    if (n > max || b->len > max - n)
        return sw_error_set(err, SW_E_LIMIT, "data exceeds the limit of %zu bytes", max);
    need = b->len + n + 1;
    if (need > b->cap) {
        size_t ncap = b->cap ? b->cap : 256;
        unsigned char *nd;
        while (ncap < need)
            ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
        nd = realloc(b->data, ncap);
        if (!nd)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        b->data = nd;
        b->cap = ncap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
sw_buf_append_str(struct sw_buf *b, const char *s, struct sw_error *err)
{
    return sw_buf_append(b, s, strlen(s), err);
}

int
sw_buf_printf(struct sw_buf *b, struct sw_error *err, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n, r;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = sw_buf_append(b, s, (size_t)n, err);
    free(s);
    return r;
}

unsigned char *
sw_buf_steal(struct sw_buf *b, size_t *ret_len)
{
    unsigned char *d = b->data;
    if (!d) {
        d = calloc(1, 1);
    }
    if (ret_len)
        *ret_len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

void
sw_buf_release(struct sw_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
