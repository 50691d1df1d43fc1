/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the relative-path check and URL encoding of the fetch module
 * (sw_fetch_url_join). Whatever the bytes, an accepted path must give a URL
 * that starts with the base, has no dot segment, no empty segment, and only
 * unreserved characters, '/' (target paths) and %XX escapes after it.
 */
#include <slipway/fetch.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const char *base, const char *url, enum sw_fetch_path_mode mode)
{
    const char *p = url + strlen(base);
    const char *seg = p;

    if (strncmp(url, base, strlen(base)) != 0 || *p == '\0')
        abort();
    for (;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t len = (size_t)(p - seg);
            if (len == 0 || (len == 1 && seg[0] == '.') ||
                (len == 2 && seg[0] == '.' && seg[1] == '.'))
                abort();
            if (*p == '\0')
                break;
            if (mode == SW_FETCH_NAME)
                abort();
            seg = p + 1;
            continue;
        }
        if (*p == '%') {
            if (!strchr("0123456789ABCDEF", p[1]) || !p[1] || !strchr("0123456789ABCDEF", p[2]) ||
                !p[2])
                abort();
            p += 2;
            continue;
        }
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~", *p))
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char base[] = "https://mirror.example/targets/";
    struct sw_error err = SW_ERROR_INIT;
    char *path = malloc(size + 1);
    char *url = NULL;

    if (!path)
        return 0;
    memcpy(path, data, size);
    path[size] = '\0';
    for (int m = 0; m < 2; m++) {
        enum sw_fetch_path_mode mode = m ? SW_FETCH_NAME : SW_FETCH_PATH;
        if (sw_fetch_url_join(base, path, mode, &url, &err) == 0) {
            check(base, url, mode);
            free(url);
            url = NULL;
        }
    }
    free(path);
    return 0;
}
