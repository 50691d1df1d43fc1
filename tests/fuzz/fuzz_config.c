/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the configuration parser (sw_config_parse_mem) must reject
 * or accept any bytes without crashing, leaking or reading out of bounds.
 */
#include <slipway/config.h>

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_config *cfg = NULL;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_config_parse_mem("fuzz.conf", (const char *)data, size, &cfg, &err) == 0)
        sw_config_free(cfg);
    return 0;
}
