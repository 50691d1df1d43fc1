/* SPDX-License-Identifier: MIT */
/*
 * slipway-repo keygen: a new key pair in the key directory. The key file
 * format and passphrase rules are keyfile.c's and passphrase.c's; this
 * only reads the command line and reports.
 */
#include "repo-cli.h"

#include <slipway/log.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_KEYGEN_TYPE = 1, OPT_KEYGEN_KDF };

const struct sw_opt sw_repo_keygen_opts[] = {
    {"type", 0, 1, OPT_KEYGEN_TYPE, "TYPE", "ed25519 (default) or ecdsa (P-256)"},
    {"kdf", 0, 1, OPT_KEYGEN_KDF, "LEVEL",
     "Argon2id cost: interactive (default), moderate or sensitive"},
    {NULL, 0, 0, 0, NULL, NULL},
};

int
sw_repo_cmd_keygen(struct sw_repo_cli *cli, int argc, char **argv)
{
    const char *name = argv[0];
    const char *dir = sw_repo_opt(cli, SW_REPO_OPT_KEY_DIR);
    const char *pass_file = sw_repo_opt(cli, SW_REPO_OPT_PASSPHRASE_FILE);
    const char *type_s = sw_repo_opt(cli, OPT_KEYGEN_TYPE);
    const char *kdf_s = sw_repo_opt(cli, OPT_KEYGEN_KDF);
    enum sw_key_type type = SW_KEY_ED25519;
    enum sw_kdf_level kdf = SW_KDF_INTERACTIVE;
    struct sw_passphrase *pass = NULL;
    json_t *pub = NULL;
    char id[SW_KEY_ID_HEX_SIZE];
    int r;

    (void)argc;
    if (!dir || !*dir)
        dir = secure_getenv("SLIPWAY_REPO_KEY_DIR");
    if (!dir || !*dir)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "keygen: no key directory: give --key-dir KEYS or set "
                            "SLIPWAY_REPO_KEY_DIR");
    if ((r = sw_keyfile_check_name(name, &cli->err)) < 0)
        return sw_error_prefix(&cli->err, "keygen: ");
    if (type_s && sw_key_type_from_string(type_s, &type, &cli->err) < 0)
        return sw_error_set(&cli->err, SW_E_USAGE, "keygen: --type must be ed25519 or ecdsa");
    if (kdf_s && sw_kdf_level_from_string(kdf_s, &kdf, &cli->err) < 0)
        return sw_error_set(&cli->err, SW_E_USAGE,
                            "keygen: --kdf must be interactive, moderate or sensitive");
    if (pass_file) {
        r = sw_passphrase_read_file(pass_file, &pass, &cli->err);
    } else {
        /* on a terminal a refused passphrase is asked again, saying why */
        char prompt[SW_ERROR_MSG_MAX + 128];
        snprintf(prompt, sizeof(prompt), "passphrase for the new key: ");
        for (int tries = 1;; tries++) {
            r = sw_passphrase_read_tty(prompt, "the same passphrase again: ", &pass, &cli->err);
            if (r == 0)
                r = sw_passphrase_check_strength(pass, &cli->err);
            if (r == 0 || (r != -SW_E_WEAK_PASSPHRASE && r != -SW_E_INVAL) ||
                tries >= SW_KEYRING_TTY_TRIES)
                break;
            sw_passphrase_free(pass);
            pass = NULL;
            snprintf(prompt, sizeof(prompt),
                     "%s (%d tr%s left)\npassphrase for the new key: ", cli->err.msg,
                     SW_KEYRING_TTY_TRIES - tries, SW_KEYRING_TTY_TRIES - tries == 1 ? "y" : "ies");
            sw_log_debug("keygen: asking again: %s", cli->err.msg);
            sw_error_clear(&cli->err);
        }
    }
    if (r < 0)
        goto out;
    r = sw_keyfile_generate(dir, name, type, pass, kdf, &pub, &cli->err);
    if (r < 0)
        goto out;
    r = sw_key_id_compute(pub, id, &cli->err);
    if (r < 0)
        goto out;
    if (json_object_set_new(cli->report, "name", json_string(name)) < 0 ||
        json_object_set_new(cli->report, "keyid", json_string(id)) < 0 ||
        json_object_set_new(cli->report, "type", json_string(sw_key_type_to_string(type))) < 0 ||
        json_object_set_new(cli->report, "key_dir", json_string(dir)) < 0 ||
        json_object_set(cli->report, "public", pub) < 0) {
        r = sw_error_set(&cli->err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    sw_repo_say(cli, "made %s key '%s' (key id %s)\n  public: %s/%s.pub\n  secret: %s/%s.sec\n",
                sw_key_type_to_string(type), name, id, dir, name, dir, name);
out:
    json_decref(pub);
    sw_passphrase_free(pass);
    return r;
}
