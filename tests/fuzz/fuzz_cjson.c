/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the strict JSON parser and the canonical encoder. Any bytes
 * must be accepted or refused without crashing or leaking; whatever is
 * accepted must encode, and its canonical form must parse back and encode
 * to the very same bytes (canonical form is a fixed point).
 */
#include <slipway/cjson.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_buf a = SW_BUF_INIT(0), b = SW_BUF_INIT(0);
    json_t *v = NULL, *w = NULL;

    if (sw_cjson_parse_mem(data, size, 1024 * 1024, &v, &err) < 0)
        return 0;
    if (sw_cjson_encode(v, &a, &err) < 0)
        abort(); /* a parsed tree always encodes */
    if (sw_cjson_parse_mem(a.data, a.len, 0, &w, &err) < 0)
        abort(); /* canonical bytes always parse */
    if (sw_cjson_encode(w, &b, &err) < 0 || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort(); /* and are a fixed point */
    if (!json_equal(v, w))
        abort();
    json_decref(v);
    json_decref(w);
    sw_buf_release(&a);
    sw_buf_release(&b);
    return 0;
}
