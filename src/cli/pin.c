/* SPDX-License-Identifier: MIT */
/*
 * slipway pin URL|CERT-FILE: print the sha256// pin of the public key of a
 * certificate file, or of the certificate an https server presents, in the
 * form [mirror "NAME"] pin = takes. Reads no configuration and no state.
 */
#include "cli.h"

#include <slipway/log.h>
#include <slipway/pin.h>

#include <string.h>

enum { OPT_PIN_CA_FILE = 1 };

const struct sw_opt sw_cli_pin_opts[] = {
    {"ca-file", 0, 1, OPT_PIN_CA_FILE, "FILE",
     "verify the server against the CA certificates in FILE (default: the system's)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

int
sw_cmd_pin(struct sw_cli *cli, int argc, char **argv)
{
    const char *what = argv[0];
    const char *ca_file = sw_cli_opt_get(cli, OPT_PIN_CA_FILE, NULL);
    char pin[SW_PIN_SIZE];
    int is_url = strstr(what, "://") != NULL;
    int r;

    (void)argc;
    if (is_url && strncmp(what, "https://", 8) != 0)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "pin: '%s' is not https://: only TLS servers have a pin", what);
    if (!is_url && ca_file)
        return sw_error_set(&cli->err, SW_E_USAGE, "pin: --ca-file is for an https:// URL");
    if (is_url)
        r = sw_pin_of_server(what, ca_file, 0, pin, &cli->err);
    else
        r = sw_pin_from_file(what, pin, &cli->err);
    if (r < 0)
        return sw_error_prefix(&cli->err, "pin: ");
    if (cli->json)
        return sw_cli_print_json(cli, json_pack("{s:s,s:s,s:s}", "pin", pin, "source",
                                                is_url ? "server" : "file", "from", what));
    printf("%s\n", pin);
    sw_log_notice("put it in the mirror's section of slipway.conf: pin = %s", pin);
    return 0;
}
