/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the validator and its views against the tree parser. For
 * any bytes both accept or both refuse, with the same code and message;
 * what is accepted encodes through a view to the bytes the tree encodes
 * to, the in-place check (_same) agrees with comparing those bytes to the
 * input, a view's tree equals the parsed tree, and walking the views
 * counts what the tree holds.
 */
#include <slipway/cjson.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walk v and its tree t together: same kinds, members, elements, strings and integers. */
static void
walk(const struct sw_cjson_val *v, const json_t *t, int depth)
{
    struct sw_cjson_iter it;
    struct sw_cjson_val k, x;
    size_t n = 0;

    if (depth > SW_CJSON_MAX_DEPTH + 1)
        abort();
    switch (sw_cjson_kind(v)) {
    case SW_CJSON_OBJECT:
        if (!json_is_object(t) || sw_cjson_count(v) != json_object_size(t))
            abort();
        sw_cjson_iter_init(&it, v);
        while (sw_cjson_iter_next(&it, &k, &x)) {
            size_t kl;
            char *key = sw_cjson_str_dup(&k, &kl);
            const json_t *m;
            if (!key)
                abort();
            /* keys never hold NUL (refused): a C string is the whole key */
            m = json_object_get(t, key);
            if (!m || strlen(key) != kl || !sw_cjson_str_eq(&k, key))
                abort();
            walk(&x, m, depth + 1);
            free(key);
            n++;
        }
        if (n != json_object_size(t))
            abort();
        return;
    case SW_CJSON_ARRAY:
        if (!json_is_array(t))
            abort();
        sw_cjson_iter_init(&it, v);
        while (sw_cjson_iter_next(&it, NULL, &x))
            walk(&x, json_array_get(t, n++), depth + 1);
        if (n != json_array_size(t))
            abort();
        return;
    case SW_CJSON_STRING: {
        size_t sl, rl;
        bool esc;
        char *s = sw_cjson_str_dup(v, &sl);
        const unsigned char *raw = sw_cjson_str_raw(v, &rl, &esc);
        if (!s || !json_is_string(t) || sl != json_string_length(t) ||
            memcmp(s, json_string_value(t), sl) != 0)
            abort();
        /* without an escape the bytes as served are the string */
        if (!esc && (rl != sl || memcmp(raw, s, sl) != 0))
            abort();
        /* equal to itself, not to itself one byte shorter */
        if (!sw_cjson_str_eq(v, s) || (sl > 0 && (s[sl - 1] = '\0', sw_cjson_str_eq(v, s))))
            abort();
        free(s);
        return;
    }
    case SW_CJSON_INTEGER:
        if (!json_is_integer(t) || sw_cjson_int(v) != json_integer_value(t))
            abort();
        return;
    case SW_CJSON_TRUE:
        if (!json_is_true(t))
            abort();
        return;
    case SW_CJSON_FALSE:
        if (!json_is_false(t))
            abort();
        return;
    case SW_CJSON_NULL:
        if (!json_is_null(t))
            abort();
        return;
    case SW_CJSON_NONE:
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_error e1 = SW_ERROR_INIT, e2 = SW_ERROR_INIT;
    struct sw_buf a = SW_BUF_INIT(0), b = SW_BUF_INIT(0);
    struct sw_cjson_val v;
    json_t *t = NULL, *u = NULL;
    bool same = false;
    int r1, r2;

    r1 = sw_cjson_parse_mem(data, size, 1024 * 1024, &t, &e1);
    r2 = sw_cjson_validate(data, size, 1024 * 1024, &v, &e2);
    if (r1 != r2 || (r1 < 0 && strcmp(e1.msg, e2.msg) != 0))
        abort(); /* the same verdict, the same words */
    if (r1 < 0)
        return 0;
    walk(&v, t, 1);
    if (sw_cjson_encode(t, &a, &e1) < 0 || sw_cjson_encode_view(&v, &b, &e2) < 0)
        abort();
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort(); /* a view encodes as its tree does */
    b.len = 0;
    {
        const unsigned char *end = NULL;
        if (sw_cjson_encode_view_end(&v, &b, &end, &e2) < 0 || end != v.p + sw_cjson_raw_len(&v))
            abort(); /* where the value ends, as passing over it finds */
        if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
            abort();
    }
    {
        /* plain: minified is canonical */
        bool plain = false;
        if (sw_cjson_validate_plain(data, size, 1024 * 1024, &v, &plain, &e2) < 0)
            abort();
        b.len = 0;
        if (sw_cjson_minify_view(&v, NULL, &b, &e2) < 0)
            abort();
        if (plain && (a.len != b.len || memcmp(a.data, b.data, a.len) != 0))
            abort();
        {
            struct sw_buf c = SW_BUF_INIT(0);
            bool msame = false;
            if (sw_cjson_minify_view(&v, &msame, &c, &e2) < 0)
                abort();
            if (msame ? (c.len != 0 || sw_cjson_raw_len(&v) != b.len ||
                         memcmp(v.p, b.data, b.len) != 0)
                      : (c.len != b.len || memcmp(c.data, b.data, b.len) != 0))
                abort(); /* nothing copied exactly when there is nothing to drop */
            sw_buf_release(&c);
        }
    }
    b.len = 0;
    if (sw_cjson_encode_view_same(&v, &same, &b, &e2) < 0)
        abort();
    if (same != (sw_cjson_raw_len(&v) == a.len && memcmp(v.p, a.data, a.len) == 0))
        abort();
    if (!same && (b.len != a.len || memcmp(b.data, a.data, a.len) != 0))
        abort();
    if (sw_cjson_view_to_json(&v, &u, &e2) < 0 || !json_equal(t, u))
        abort();
    json_decref(t);
    json_decref(u);
    sw_buf_release(&a);
    sw_buf_release(&b);
    return 0;
}
