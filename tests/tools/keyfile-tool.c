/* SPDX-License-Identifier: MIT */
/*
 * Test driver for src/repo/keyfile.c and passphrase.c, so integration
 * tests can make keys, sign and answer passphrase prompts from a script
 * and check the results with independent implementations (Python's nacl,
 * cryptography and securesystemslib). Not installed.
 *
 *   keyfile-tool generate DIR NAME [--type T] [--kdf L] [--passphrase-file F]
 *       make DIR/NAME.{pub,sec}; print the public key object
 *   keyfile-tool sign DIR NAME [--passphrase-file F] MSGFILE
 *       print the hex signature of MSGFILE's bytes
 *   keyfile-tool public DIR NAME      print DIR/NAME.pub's key object
 *   keyfile-tool ask [--confirm] OUTFILE
 *       ask on the terminal; write "LENGTH SHA256HEX" of the answer to OUTFILE
 *   keyfile-tool strength [--passphrase-file F]
 *       exit 0 when the passphrase is good enough for a new key
 *
 * Without --passphrase-file the passphrase is asked on the terminal
 * (twice for generate). Errors: "keyfile-tool: error: MESSAGE (SW_E_NAME)",
 * exit 1; usage errors exit 2.
 */
#include "repo/keyfile.h"
#include "repo/passphrase.h"

#include <slipway/fs.h>
#include <slipway/hash.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MESSAGE (16 * 1024 * 1024)

static int
usage(void)
{
    fprintf(stderr, "usage: keyfile-tool generate DIR NAME [--type T] [--kdf L] "
                    "[--passphrase-file F]\n"
                    "       keyfile-tool sign DIR NAME [--passphrase-file F] MSGFILE\n"
                    "       keyfile-tool public DIR NAME\n"
                    "       keyfile-tool ask [--confirm] OUTFILE\n"
                    "       keyfile-tool strength [--passphrase-file F]\n");
    return 2;
}

static int
fail(const struct sw_error *err)
{
    fprintf(stderr, "keyfile-tool: error: %s (%s)\n", err->msg, sw_errcode_name(err->code));
    return 1;
}

static int
print_json(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    if (!s)
        return 1;
    printf("%s\n", s);
    free(s);
    return 0;
}

/* The options every command may take; positional arguments are left in pos[]. */
struct args {
    const char *type;
    const char *kdf;
    const char *pass_file;
    int confirm;
    const char *pos[4];
    int npos;
};

static int
parse_args(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--type") == 0 && i + 1 < argc)
            a->type = argv[++i];
        else if (strcmp(argv[i], "--kdf") == 0 && i + 1 < argc)
            a->kdf = argv[++i];
        else if (strcmp(argv[i], "--passphrase-file") == 0 && i + 1 < argc)
            a->pass_file = argv[++i];
        else if (strcmp(argv[i], "--confirm") == 0)
            a->confirm = 1;
        else if (argv[i][0] == '-' || a->npos == 4)
            return -1;
        else
            a->pos[a->npos++] = argv[i];
    }
    return 0;
}

static int
get_passphrase(const struct args *a, int confirm, struct sw_passphrase **ret, struct sw_error *err)
{
    if (a->pass_file)
        return sw_passphrase_read_file(a->pass_file, ret, err);
    return sw_passphrase_read_tty("Passphrase: ", confirm ? "Passphrase (again): " : NULL, ret,
                                  err);
}

static int
cmd_generate(const struct args *a)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_passphrase *pass = NULL;
    enum sw_key_type type = SW_KEY_ED25519;
    enum sw_kdf_level level = SW_KDF_INTERACTIVE;
    json_t *pub = NULL;
    int rc;

    if (a->npos != 2)
        return usage();
    if ((a->type && sw_key_type_from_string(a->type, &type, &err) < 0) ||
        (a->kdf && sw_kdf_level_from_string(a->kdf, &level, &err) < 0) ||
        get_passphrase(a, 1, &pass, &err) < 0 ||
        sw_keyfile_generate(a->pos[0], a->pos[1], type, pass, level, &pub, &err) < 0)
        rc = fail(&err);
    else
        rc = print_json(pub);
    json_decref(pub);
    sw_passphrase_free(pass);
    return rc;
}

static int
cmd_sign(const struct args *a)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_passphrase *pass = NULL;
    struct sw_signer *signer = NULL;
    unsigned char *msg = NULL;
    size_t len = 0;
    char *sig = NULL;
    int rc;

    if (a->npos != 3)
        return usage();
    if (sw_fs_read_file(a->pos[2], MAX_MESSAGE, &msg, &len, &err) < 0 ||
        get_passphrase(a, 0, &pass, &err) < 0 ||
        sw_keyfile_load_signer(a->pos[0], a->pos[1], pass, &signer, &err) < 0 ||
        sw_signer_sign(signer, msg, len, &sig, &err) < 0) {
        rc = fail(&err);
    } else {
        printf("%s\n", sig);
        rc = 0;
    }
    free(sig);
    free(msg);
    sw_signer_free(signer);
    sw_passphrase_free(pass);
    return rc;
}

static int
cmd_public(const struct args *a)
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *pub = NULL;
    int rc;

    if (a->npos != 2)
        return usage();
    if (sw_keyfile_load_public(a->pos[0], a->pos[1], &pub, &err) < 0)
        return fail(&err);
    rc = print_json(pub);
    json_decref(pub);
    return rc;
}

static int
cmd_ask(const struct args *a)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_passphrase *pass = NULL;
    char hex[SW_HASH_MAX_HEX];
    FILE *f;
    int rc = 1;

    if (a->npos != 1)
        return usage();
    if (get_passphrase(a, a->confirm, &pass, &err) < 0 ||
        sw_hash_buf_hex(SW_HASH_SHA256, sw_passphrase_data(pass), sw_passphrase_len(pass), hex,
                        &err) < 0) {
        rc = fail(&err);
        goto out;
    }
    f = fopen(a->pos[0], "w");
    if (f) {
        fprintf(f, "%zu %s\n", sw_passphrase_len(pass), hex);
        rc = fclose(f) == 0 ? 0 : 1;
    }
out:
    sw_passphrase_free(pass);
    return rc;
}

static int
cmd_strength(const struct args *a)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_passphrase *pass = NULL;
    int rc = 0;

    if (a->npos != 0)
        return usage();
    if (get_passphrase(a, 0, &pass, &err) < 0 || sw_passphrase_check_strength(pass, &err) < 0)
        rc = fail(&err);
    sw_passphrase_free(pass);
    return rc;
}

int
main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(const struct args *a);
    } cmds[] = {
        {"generate", cmd_generate}, {"sign", cmd_sign},         {"public", cmd_public},
        {"ask", cmd_ask},           {"strength", cmd_strength},
    };
    struct args a;

    if (argc < 2 || parse_args(argc, argv, &a) < 0)
        return usage();
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].run(&a);
    return usage();
}
