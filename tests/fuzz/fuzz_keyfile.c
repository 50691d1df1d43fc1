/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the parsers of slipway-repo's key files, NAME.sec's header
 * (sw_keysec_parse, structure only: nothing is decrypted) and NAME.pub's
 * public key object (sw_keyfile_public_parse_mem), must reject or accept
 * any bytes without crashing, leaking or reading out of bounds.
 */
#include "repo/keyfile-int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_keysec ks;
    json_t *pub = NULL;
    /* an exact-size copy, so any read past the end is caught */
    unsigned char *copy = malloc(size ? size : 1);

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (sw_keysec_parse(copy, size, "'fuzz.sec'", &ks, &err) == 0) {
        if (ks.ciphertext + ks.secret_len + SW_KEYSEC_TAG_LEN != copy + size)
            abort();
    }
    if (sw_keyfile_public_parse_mem((const char *)copy, size, "'fuzz.pub'", &pub, &err) == 0)
        json_decref(pub);
    free(copy);
    return 0;
}
