/* SPDX-License-Identifier: MIT */
/*
 * A growable byte buffer with a hard maximum: appending past the maximum is
 * an error (SW_E_LIMIT), never a silent truncation. Used for everything read
 * from outside into memory.
 */
#ifndef SLIPWAY_BUF_H
#define SLIPWAY_BUF_H

#include <slipway/error.h>
#include <stddef.h>

struct sw_buf {
    unsigned char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max; /* 0 = SIZE_MAX - 1 */
};

#define SW_BUF_INIT(maxlen)                                                                        \
    {                                                                                              \
        NULL, 0, 0, (maxlen)                                                                       \
    }

/* Append n bytes. -SW_E_LIMIT when len would pass max, -SW_E_NOMEM. */
int sw_buf_append(struct sw_buf *b, const void *p, size_t n, struct sw_error *err);
int sw_buf_append_str(struct sw_buf *b, const char *s, struct sw_error *err);
int sw_buf_printf(struct sw_buf *b, struct sw_error *err, const char *fmt, ...) SW_PRINTF(3, 4);

/* Hand the bytes to the caller (free() them); the buffer is left empty. */
unsigned char *sw_buf_steal(struct sw_buf *b, size_t *ret_len);

/* Free the bytes; the buffer may be reused. */
void sw_buf_release(struct sw_buf *b);

#endif
