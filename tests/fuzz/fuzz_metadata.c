/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: TUF metadata parsing (sw_md_parse_mem) as each role type,
 * then every accessor, threshold checks against the document's own roles,
 * delegation matching and file checks on what parsed. Nothing may crash,
 * leak or read out of bounds, whatever the bytes.
 */
#include <slipway/metadata.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
poke_fileinfo(const struct sw_md_fileinfo *fi, const uint8_t *data, size_t size)
{
    struct sw_error err = SW_ERROR_INIT;
    if (!fi)
        return;
    (void)sw_md_fileinfo_check(fi, data, size, &err);
}

static void
poke(struct sw_md *md, const uint8_t *data, size_t size)
{
    struct sw_error err = SW_ERROR_INIT;
    size_t len;

    (void)sw_md_signed_bytes(md, &len);
    (void)sw_md_check_expiry(md, 1700000000, &err);
    for (size_t i = 0; i < sw_md_signature_count(md); i++)
        (void)sw_md_key(md, sw_md_signature_keyid(md, i));
    switch (sw_md_type(md)) {
    case SW_MD_ROOT:
        for (int t = 0; t < SW_MD_N_TYPES; t++) {
            const struct sw_md_role *role = sw_md_root_role(md, (enum sw_md_type)t);
            (void)sw_md_verify(md, role, &err);
            (void)sw_md_role_keyid(role, 0);
        }
        break;
    case SW_MD_TIMESTAMP:
        poke_fileinfo(sw_md_timestamp_snapshot(md), data, size);
        break;
    case SW_MD_SNAPSHOT:
        for (size_t i = 0; i < sw_md_snapshot_meta_count(md) && i < 8; i++)
            poke_fileinfo(sw_md_snapshot_meta_at(md, i), data, size);
        (void)sw_md_snapshot_meta(md, "targets");
        break;
    case SW_MD_TARGETS:
        for (size_t i = 0; i < sw_md_target_count(md) && i < 8; i++) {
            const struct sw_md_fileinfo *fi = sw_md_target_at(md, i);
            poke_fileinfo(fi, data, size);
            (void)sw_md_fileinfo_custom(fi);
            for (size_t j = 0; j < sw_md_delegation_count(md) && j < 8; j++)
                (void)sw_md_delegation_matches(sw_md_delegation_at(md, j), fi->name);
        }
        for (size_t j = 0; j < sw_md_delegation_count(md) && j < 8; j++) {
            const struct sw_md_role *role = sw_md_delegation_at(md, j);
            (void)sw_md_verify(md, role, &err);
            (void)sw_md_delegation_matches(role, "a/b.tgz");
        }
        break;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int t = 0; t < SW_MD_N_TYPES; t++) {
        struct sw_error err = SW_ERROR_INIT;
        struct sw_md *md = NULL;
        if (sw_md_parse_mem(data, size, (enum sw_md_type)t, &md, &err) == 0) {
            poke(md, data, size);
            sw_md_free(md);
            md = NULL;
            /* without signed bytes: the same document, checked from data */
            if (sw_md_parse_role_flags(data, size, (enum sw_md_type)t, NULL,
                                       SW_MD_PARSE_NO_SIGNED_BYTES, &md, &err) != 0)
                abort();
            if (t == SW_MD_ROOT) {
                const struct sw_md_role *role = sw_md_root_role(md, SW_MD_ROOT);
                (void)sw_md_verify_mem(md, data, size, role, &err);
            }
            sw_md_free(md);
        }
    }
    /* path patterns: the first line is the pattern, the rest the path */
    if (size < 2048) {
        char buf[2048];
        char *nl;
        memcpy(buf, data, size);
        buf[size] = '\0';
        nl = strchr(buf, '\n');
        if (nl) {
            *nl = '\0';
            (void)sw_md_path_pattern_match(buf, nl + 1);
        }
    }
    return 0;
}
