/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the configuration parser: valid files (defaults, every
 * section, comments, indentation), and each kind of bad file with its
 * message checked for FILE:LINE and the key at fault.
 */
#include "testutil.h"

#include <slipway/config.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct sw_config *
parse_ok(const char *text)
{
    struct sw_config *cfg = NULL;
    struct sw_error err = SW_ERROR_INIT;
    int r = sw_config_parse_mem("t.conf", text, strlen(text), &cfg, &err);
    if (r != 0)
        fail_msg("unexpected error: %s", err.msg);
    assert_non_null(cfg);
    return cfg;
}

/* Parse text that must fail; the message must contain each of the needles. */
static void
parse_bad(const char *text, const char *needle1, const char *needle2)
{
    struct sw_config *cfg = NULL;
    struct sw_error err = SW_ERROR_INIT;
    int r = sw_config_parse_mem("t.conf", text, strlen(text), &cfg, &err);
    if (r == 0)
        fail_msg("accepted a bad configuration:\n%s", text);
    assert_int_equal(r, -SW_E_CONFIG);
    assert_int_equal(err.code, SW_E_CONFIG);
    assert_null(cfg);
    if (needle1 && !strstr(err.msg, needle1))
        fail_msg("message '%s' lacks '%s'", err.msg, needle1);
    if (needle2 && !strstr(err.msg, needle2))
        fail_msg("message '%s' lacks '%s'", err.msg, needle2);
}

static void
test_defaults(void **state)
{
    struct sw_config *cfg = NULL;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    assert_int_equal(sw_config_defaults(&cfg, &err), 0);
    assert_int_equal(sw_config_set_state_dir(cfg, NULL, &err), 0);
    assert_string_equal(cfg->state_dir, "/var/lib/slipway");
    assert_string_equal(cfg->channel, "stable");
    assert_string_equal(cfg->slot_backend, "dir");
    assert_string_equal(cfg->slot_a, "/var/lib/slipway/slots/a");
    assert_string_equal(cfg->slot_b, "/var/lib/slipway/slots/b");
    assert_string_equal(cfg->current, "/var/lib/slipway/current");
    assert_null(cfg->compatible);
    assert_int_equal(cfg->hook_timeout, 60);
    assert_int_equal(cfg->hook_grace, 5);
    assert_int_equal(cfg->hook_retries, 3);
    assert_int_equal(cfg->hook_retry_delay, 10);
    assert_int_equal(cfg->hook_output_max, 65536);
    assert_string_equal(cfg->hook_lib, SW_HOOK_LIB_DEFAULT);
    assert_int_equal(cfg->hook_dirs.n, 3);
    assert_string_equal(cfg->hook_dirs.v[1], "/etc/slipway/hooks.d");
    assert_int_equal(cfg->canary, 0);
    assert_int_equal(cfg->max_timestamp_size, 16 * 1024);
    assert_int_equal(cfg->n_mirrors, 0);
    assert_null(cfg->path);
    sw_config_free(cfg);
}

static void
test_example_file_parses_to_defaults(void **state)
{
    /* the shipped example documents the defaults: it must say exactly them */
    struct sw_config *cfg = NULL, *def = NULL;
    struct sw_error err = SW_ERROR_INIT;
    char *path = tu_src_path("contrib/slipway.conf.example");
    (void)state;
    if (sw_config_load(path, &cfg, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(sw_config_defaults(&def, &err), 0);
    assert_int_equal(sw_config_set_state_dir(cfg, NULL, &err), 0);
    assert_int_equal(sw_config_set_state_dir(def, NULL, &err), 0);
    assert_string_equal(cfg->path, path);
    assert_string_equal(cfg->state_dir, def->state_dir);
    assert_string_equal(cfg->channel, def->channel);
    assert_string_equal(cfg->slot_a, def->slot_a);
    assert_int_equal(cfg->hook_timeout, def->hook_timeout);
    assert_int_equal(cfg->hook_grace, def->hook_grace);
    assert_int_equal(cfg->hook_retries, def->hook_retries);
    assert_int_equal(cfg->hook_retry_delay, def->hook_retry_delay);
    assert_int_equal(cfg->hook_output_max, def->hook_output_max);
    assert_string_equal(cfg->hook_lib, def->hook_lib);
    assert_int_equal(cfg->hook_dirs.n, def->hook_dirs.n);
    for (size_t i = 0; i < cfg->hook_dirs.n; i++)
        assert_string_equal(cfg->hook_dirs.v[i], def->hook_dirs.v[i]);
    assert_int_equal(cfg->connect_timeout, def->connect_timeout);
    assert_int_equal(cfg->timeout, def->timeout);
    assert_int_equal(cfg->low_speed_limit, def->low_speed_limit);
    assert_int_equal(cfg->low_speed_time, def->low_speed_time);
    assert_int_equal(cfg->max_bandwidth, def->max_bandwidth);
    assert_int_equal(cfg->retries, def->retries);
    assert_int_equal(cfg->max_root_size, def->max_root_size);
    assert_int_equal(cfg->max_timestamp_size, def->max_timestamp_size);
    assert_int_equal(cfg->max_metadata_size, def->max_metadata_size);
    assert_int_equal(cfg->max_target_size, def->max_target_size);
    assert_int_equal(cfg->max_delegated_roles, def->max_delegated_roles);
    assert_int_equal(def->max_delegated_roles, 8192);
    assert_int_equal(cfg->canary, def->canary);
    assert_int_equal(cfg->stage.max_bytes, def->stage.max_bytes);
    assert_int_equal(cfg->stage.max_entries, def->stage.max_entries);
    assert_int_equal(cfg->stage.max_entry_bytes, def->stage.max_entry_bytes);
    assert_int_equal(cfg->stage.reserve_bytes, def->stage.reserve_bytes);
    assert_int_equal(cfg->stage.allow_devices, def->stage.allow_devices);
    assert_int_equal(cfg->stage.allow_fifos, def->stage.allow_fifos);
    assert_int_equal(cfg->stage.keep_setid, def->stage.keep_setid);
    assert_int_equal(cfg->stage.keep_xattrs, def->stage.keep_xattrs);
    assert_int_equal(cfg->stage.restore_owner, def->stage.restore_owner);
    assert_memory_equal(&cfg->stage, &def->stage, sizeof(cfg->stage));
    sw_config_free(cfg);
    sw_config_free(def);
    free(path);
}

static void
test_full_file(void **state)
{
    struct sw_config *cfg;
    (void)state;
    cfg = parse_ok("# a comment\n"
                   "; another\n"
                   "[slipway]\n"
                   "state-dir = /srv/sw        # trailing comment\n"
                   "  compatible = acme-gateway-v2\n"
                   "\tchannel = beta ; semicolon comment\n"
                   "slot-a = /slots/A\n"
                   "hook-timeout = 2m\n"
                   "hook-dirs = /a /b\n"
                   "canary = YES\n"
                   "\n"
                   "[fetch]\n"
                   "max-bandwidth = 2M\n"
                   "max-root-size = 1K\n"
                   "retries = 0\n"
                   "timeout = 1h\n"
                   "\n"
                   "[mirror \"primary\"]\n"
                   "metadata-url = https://updates.example.com/metadata\n"
                   "targets-url = https://updates.example.com/targets/\n"
                   "pin = sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=\n"
                   "\n"
                   "[mirror \"usb\"]\n"
                   "metadata-url = file:///media/usb/metadata/\n"
                   "targets-url = file:///media/usb/targets/\n"
                   "[mirror \"lab\"]\n"
                   "metadata-url = http://10.0.0.1/m/\n"
                   "targets-url = http://10.0.0.1/t/\n"
                   "allow-insecure-http = yes\n"
                   "[hook \"openssl-version\"]\n"
                   "required = no\n"
                   "timeout = 30\n"
                   "min-version = 3.0.13\n");
    assert_string_equal(cfg->state_dir, "/srv/sw");
    assert_string_equal(cfg->compatible, "acme-gateway-v2");
    assert_string_equal(cfg->channel, "beta");
    assert_int_equal(cfg->hook_timeout, 120);
    assert_int_equal(cfg->hook_dirs.n, 2);
    assert_string_equal(cfg->hook_dirs.v[1], "/b");
    assert_int_equal(cfg->canary, 1);
    assert_int_equal(cfg->max_bandwidth, 2 * 1024 * 1024);
    assert_int_equal(cfg->max_root_size, 1024);
    assert_int_equal(cfg->retries, 0);
    assert_int_equal(cfg->timeout, 3600);
    assert_int_equal(cfg->n_mirrors, 3);
    assert_string_equal(cfg->mirrors[0].name, "primary");
    /* base URLs always end in '/' */
    assert_string_equal(cfg->mirrors[0].metadata_url, "https://updates.example.com/metadata/");
    assert_string_equal(cfg->mirrors[0].targets_url, "https://updates.example.com/targets/");
    assert_string_equal(cfg->mirrors[0].pin,
                        "sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=");
    assert_string_equal(cfg->mirrors[1].name, "usb");
    assert_null(cfg->mirrors[1].pin);
    assert_int_equal(cfg->mirrors[2].allow_insecure_http, 1);
    assert_int_equal(cfg->n_hooks, 1);
    assert_string_equal(cfg->hooks[0].name, "openssl-version");
    assert_int_equal(cfg->hooks[0].required, 0);
    assert_int_equal(cfg->hooks[0].timeout, 30);
    assert_int_equal(cfg->hooks[0].n_opts, 1);
    assert_string_equal(cfg->hooks[0].opts[0].key, "min-version");
    assert_string_equal(cfg->hooks[0].opts[0].value, "3.0.13");
    assert_ptr_equal(sw_config_hook(cfg, "openssl-version"), &cfg->hooks[0]);
    assert_null(sw_config_hook(cfg, "nope"));
    /* slot-b and current still default under the state dir */
    assert_int_equal(sw_config_set_state_dir(cfg, NULL, NULL), 0);
    assert_string_equal(cfg->slot_a, "/slots/A");
    assert_string_equal(cfg->slot_b, "/srv/sw/slots/b");
    assert_string_equal(cfg->current, "/srv/sw/current");
    sw_config_free(cfg);
}

static void
test_state_dir_override(void **state)
{
    struct sw_config *cfg;
    (void)state;
    cfg = parse_ok("[slipway]\nstate-dir = /srv/sw\nslot-b = /fixed/b\n");
    assert_int_equal(sw_config_set_state_dir(cfg, "/tmp/other", NULL), 0);
    assert_string_equal(cfg->state_dir, "/tmp/other");
    assert_string_equal(cfg->slot_a, "/tmp/other/slots/a");
    assert_string_equal(cfg->slot_b, "/fixed/b");
    sw_config_free(cfg);
}

static void
test_hook_default_required(void **state)
{
    struct sw_config *cfg;
    (void)state;
    cfg = parse_ok("[hook \"ports\"]\nallow = 22 443\n");
    assert_int_equal(cfg->hooks[0].required, 1);
    assert_int_equal(cfg->hooks[0].timeout, 0);
    assert_null(cfg->hooks[0].user);
    sw_config_free(cfg);
    /* user = is a table key, not an option the hook sees */
    cfg = parse_ok("[slipway]\nhook-grace = 1m\nhook-retries = 0\nhook-retry-delay = 2\n"
                   "hook-output-max = 1M\nhook-lib = /opt/lib/hook-lib.sh\n"
                   "[hook \"ports\"]\nuser = nobody\n");
    assert_string_equal(cfg->hooks[0].user, "nobody");
    assert_int_equal(cfg->hooks[0].n_opts, 0);
    assert_int_equal(cfg->hook_grace, 60);
    assert_int_equal(cfg->hook_retries, 0);
    assert_int_equal(cfg->hook_retry_delay, 2);
    assert_int_equal(cfg->hook_output_max, 1024 * 1024);
    assert_string_equal(cfg->hook_lib, "/opt/lib/hook-lib.sh");
    sw_config_free(cfg);
}

static void
test_unknown_key(void **state)
{
    (void)state;
    parse_bad("[slipway]\nchannel = a\nchanel = b\n", "t.conf:3:", "unknown key 'chanel'");
    parse_bad("[mirror \"m\"]\nmetadata-url = https://h/\nurl = x\n",
              "t.conf:3:", "unknown key 'url' in section [mirror]");
    parse_bad("[fetch]\nstate-dir = /x\n", "t.conf:2:", "'state-dir'");
}

static void
test_unknown_section(void **state)
{
    (void)state;
    parse_bad("[slipway]\n\n[slipwya]\nchannel = x\n", "t.conf:3:", "unknown section [slipwya]");
    /* an unknown section is an error even with no keys in it */
    parse_bad("[network]\n", "t.conf:1:", "unknown section [network]");
    parse_bad("[mirror]\n", "t.conf:1:", "unknown section [mirror]");
    parse_bad("[mirror \"a b\"]\n", "t.conf:1:", "mirror name 'a b'");
}

static void
test_stage_section(void **state)
{
    struct sw_config *cfg;
    (void)state;
    cfg = parse_ok("[stage]\nmax-bytes = 2G\nmax-entries = 5000\nmax-entry-bytes = 512M\n"
                   "reserve = 0\nallow-devices = yes\nallow-fifos = on\nkeep-setid = true\n"
                   "keep-xattrs = 1\nrestore-owner = no\n");
    assert_int_equal(cfg->stage.max_bytes, 2ULL << 30);
    assert_int_equal(cfg->stage.max_entries, 5000);
    assert_int_equal(cfg->stage.max_entry_bytes, 512ULL << 20);
    assert_int_equal(cfg->stage.reserve_bytes, 0);
    assert_true(cfg->stage.allow_devices);
    assert_true(cfg->stage.allow_fifos);
    assert_true(cfg->stage.keep_setid);
    assert_true(cfg->stage.keep_xattrs);
    assert_false(cfg->stage.restore_owner);
    sw_config_free(cfg);
    /* the defaults are the documented ones */
    cfg = parse_ok("[stage]\n");
    assert_int_equal(cfg->stage.max_bytes, SW_BUNDLE_DEFAULT_MAX_BYTES);
    assert_int_equal(cfg->stage.max_entries, SW_BUNDLE_DEFAULT_MAX_ENTRIES);
    assert_int_equal(cfg->stage.max_entry_bytes, SW_BUNDLE_DEFAULT_MAX_ENTRY_BYTES);
    assert_int_equal(cfg->stage.reserve_bytes, SW_BUNDLE_DEFAULT_RESERVE_BYTES);
    assert_false(cfg->stage.allow_devices);
    assert_false(cfg->stage.keep_setid);
    assert_true(cfg->stage.restore_owner);
    sw_config_free(cfg);
    parse_bad("[stage]\nmax-bytes = 0\n", "t.conf:2:", "[stage] max-bytes = '0': must not be 0");
    parse_bad("[stage]\nmax-entries = 0\n", "t.conf:2:", "must be at least 1");
    parse_bad("[stage]\nmax-entries = 10K\n", "t.conf:2:", "max-entries = '10K'");
    parse_bad("[stage]\nmax-entry-bytes = lots\n", "t.conf:2:", "max-entry-bytes");
    parse_bad("[stage]\nkeep-setid = maybe\n", "t.conf:2:", "must be 'yes' or 'no'");
    parse_bad("[stage]\nmax-size = 1G\n", "t.conf:2:", "unknown key 'max-size' in section [stage]");
}

static void
test_bad_values(void **state)
{
    (void)state;
    parse_bad("[slipway]\nhook-timeout = soon\n", "t.conf:2:", "hook-timeout = 'soon'");
    parse_bad("[slipway]\nhook-timeout = -5\n", "t.conf:2:", "hook-timeout");
    parse_bad("[slipway]\nhook-timeout = 99999999999999999999\n", "t.conf:2:", "out of range");
    parse_bad("[slipway]\ncanary = maybe\n", "t.conf:2:", "must be 'yes' or 'no'");
    parse_bad("[slipway]\nstate-dir = relative/dir\n", "t.conf:2:", "absolute path");
    parse_bad("[slipway]\nchannel = two words\n", "t.conf:2:", "channel");
    parse_bad("[slipway]\nslot-backend = block\n", "t.conf:2:", "slot-backend");
    parse_bad("[slipway]\nhook-dirs = /a rel\n", "t.conf:2:", "'rel' is not an absolute path");
    parse_bad("[fetch]\nmax-root-size = 12Q\n", "t.conf:2:", "max-root-size");
    parse_bad("[fetch]\nmax-timestamp-size = 0\n", "max-timestamp-size", "must not be 0");
    parse_bad("[mirror \"m\"]\nmetadata-url = ftp://h/\n", "t.conf:2:", "https://");
    parse_bad("[mirror \"m\"]\nmetadata-url = https://h/?q=1\n", "t.conf:2:", "query");
    parse_bad("[mirror \"m\"]\npin = sha1//abc\n", "t.conf:2:", "pin");
    parse_bad("[mirror \"m\"]\npin = sha256//short=\n", "t.conf:2:", "pin");
    parse_bad("[hook \"h\"]\nrequired = sometimes\n", "t.conf:2:", "required");
    parse_bad("[hook \"h\"]\nuser = -rf\n", "t.conf:2:", "must be a user name");
    parse_bad("[hook \"h\"]\nuser = a b\n", "t.conf:2:", "user = 'a b'");
    parse_bad("[slipway]\nhook-output-max = 0\n", "t.conf:2:", "must not be 0");
    parse_bad("[slipway]\nhook-output-max = 17M\n", "t.conf:2:", "out of range");
    parse_bad("[slipway]\nhook-lib = hook-lib.sh\n", "t.conf:2:", "absolute path");
    parse_bad("[slipway]\nhook-retries = 101\n", "t.conf:2:", "hook-retries");
    parse_bad("[hook \"h\"]\nMin_Version = 1\n", "t.conf:2:", "Min_Version");
    parse_bad("[fetch]\nmax-delegated-roles = 0\n", "t.conf:2:", "at least 1");
    parse_bad("[fetch]\nmax-delegated-roles = 131073\n", "t.conf:2:", "out of range");
    parse_bad("[fetch]\nmax-delegated-roles = 2k\n", "t.conf:2:", "max-delegated-roles");
}

static void
test_mirror_policy(void **state)
{
    (void)state;
    parse_bad("[mirror \"m\"]\nmetadata-url = https://h/m/\n",
              "t.conf:1:", "[mirror \"m\"] has no targets-url");
    parse_bad("[mirror \"plain\"]\nmetadata-url = http://h/m/\ntargets-url = http://h/t/\n",
              "t.conf:1:", "allow-insecure-http = yes");
    parse_bad("[mirror \"m\"]\nmetadata-url = file:///m/\ntargets-url = file:///t/\n"
              "pin = sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=\n",
              "t.conf:1:", "not https");
}

static void
test_duplicates(void **state)
{
    (void)state;
    parse_bad("[mirror \"a\"]\nmetadata-url = https://h/\ntargets-url = https://h/\n"
              "[mirror \"b\"]\nmetadata-url = https://h/\ntargets-url = https://h/\n"
              "[mirror \"a\"]\n",
              "t.conf:7:", "duplicate section [mirror \"a\"]");
    /* the same mirror header twice in a row is still a duplicate */
    parse_bad("[mirror \"a\"]\n[mirror \"a\"]\n", "t.conf:2:", "duplicate section");
    parse_bad("[hook \"x\"]\n[hook \"x\"]\n", "t.conf:2:", "duplicate section [hook \"x\"]");
    parse_bad("[slipway]\nchannel = a\nchannel = b\n", "t.conf:3:", "'channel' is set twice");
}

static void
test_syntax(void **state)
{
    (void)state;
    parse_bad("[slipway]\nthis line has no equals sign\n", "t.conf:2:", "syntax error");
    parse_bad("channel = x\n", "t.conf:1:", "outside any section");
    parse_bad("[slipway\n", "t.conf:1:", "syntax error");
    {
        char text[400];
        memset(text, 'a', sizeof(text));
        memcpy(text, "[slipway]\nchannel = ", 20);
        text[sizeof(text) - 1] = '\0';
        parse_bad(text, "t.conf:2:", "longer than");
    }
    {
        static const char nul[] = "[slipway]\nchannel = a\0b\n";
        struct sw_config *cfg = NULL;
        struct sw_error err = SW_ERROR_INIT;
        assert_int_equal(sw_config_parse_mem("t.conf", nul, sizeof(nul) - 1, &cfg, &err),
                         -SW_E_CONFIG);
        assert_non_null(strstr(err.msg, "t.conf:2: contains a NUL byte"));
    }
}

static void
test_files(void **state)
{
    char *dir = tu_tmpdir();
    char *good = tu_path(dir, "good.conf");
    char *missing = tu_path(dir, "missing.conf");
    char *link = tu_path(dir, "link.conf");
    struct sw_config *cfg = NULL;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;

    tu_write_str(good, "[slipway]\nchannel = edge\n");
    assert_int_equal(sw_config_load(good, &cfg, &err), 0);
    assert_string_equal(cfg->channel, "edge");
    assert_string_equal(cfg->path, good);
    sw_config_free(cfg);
    cfg = NULL;

    assert_int_equal(sw_config_load(missing, &cfg, &err), -SW_E_CONFIG);
    assert_null(cfg);
    assert_non_null(strstr(err.msg, "missing.conf"));
    assert_non_null(strstr(err.msg, "No such file"));

    /* a directory is not a configuration file */
    assert_int_equal(sw_config_load(dir, &cfg, &err), -SW_E_CONFIG);
    assert_non_null(strstr(err.msg, "not a regular file"));

    assert_int_equal(symlink(good, link), 0);
    assert_int_equal(sw_config_load(link, &cfg, &err), -SW_E_CONFIG);
    assert_non_null(strstr(err.msg, "symbolic link"));

    /* a bad file names the path given */
    tu_write_str(good, "[slipway]\nbogus = 1\n");
    assert_int_equal(sw_config_load(good, &cfg, &err), -SW_E_CONFIG);
    assert_non_null(strstr(err.msg, "good.conf:2: unknown key 'bogus'"));

    tu_rmtree(dir);
    free(dir);
    free(good);
    free(missing);
    free(link);
}

/* sw_config_walk() into an INI text, as config check prints it (unset keys left out). */
struct walk_buf {
    char text[16384];
    size_t len;
    char last[160];
    unsigned n;
};

static int
walk_ini(void *ctx, const char *section, const char *name, const char *key, const char *value)
{
    struct walk_buf *b = ctx;
    char head[160];

    snprintf(head, sizeof(head), name ? "[%s \"%s\"]" : "[%s]", section, name);
    if (strcmp(head, b->last) != 0) {
        b->len += (size_t)snprintf(b->text + b->len, sizeof(b->text) - b->len, "%s\n", head);
        snprintf(b->last, sizeof(b->last), "%s", head);
    }
    b->n++;
    if (value)
        b->len +=
            (size_t)snprintf(b->text + b->len, sizeof(b->text) - b->len, "%s = %s\n", key, value);
    assert_true(b->len < sizeof(b->text));
    return 0;
}

static int
walk_stop(void *ctx, const char *section, const char *name, const char *key, const char *value)
{
    (void)section;
    (void)name;
    (void)value;
    if (strcmp(key, "retries") == 0)
        return -SW_E_IO;
    (*(unsigned *)ctx)++;
    return 0;
}

static void
test_walk_round_trip(void **state)
{
    static const char text[] = "[slipway]\ncompatible = board-7\nhook-dirs = /a /b\ncanary = yes\n"
                               "[fetch]\nmax-metadata-size = 3M\nmax-root-size = 1000\n"
                               "timeout = 2m\n[stage]\nmax-bytes = 2G\nkeep-xattrs = yes\n"
                               "[mirror \"m1\"]\nmetadata-url = https://h/md\n"
                               "targets-url = https://h/t/\n"
                               "pin = sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=\n"
                               "[hook \"smoke\"]\nrequired = no\nurl = http://x/\n";
    struct walk_buf a, b;
    struct sw_config *cfg = parse_ok(text), *again;
    unsigned before_stop = 0;

    (void)state;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    assert_int_equal(sw_config_walk(cfg, walk_ini, &a), 0);
    /* 18 [slipway] + 11 [fetch] + 9 [stage] + 5 mirror + 3 hook keys + 1 hook option */
    assert_int_equal(a.n, 47);
    assert_non_null(strstr(a.text, "compatible = board-7\n"));
    assert_non_null(strstr(a.text, "hook-dirs = /a /b\n"));
    assert_non_null(strstr(a.text, "max-metadata-size = 3M\n"));
    assert_non_null(strstr(a.text, "max-root-size = 1000\n"));
    assert_non_null(strstr(a.text, "timeout = 120\n"));
    assert_non_null(strstr(a.text, "max-bytes = 2G\n"));
    assert_non_null(strstr(a.text, "max-entries = 1000000\n"));
    assert_non_null(strstr(a.text, "[mirror \"m1\"]\nmetadata-url = https://h/md/\n"));
    assert_non_null(
        strstr(a.text, "[hook \"smoke\"]\nrequired = no\ntimeout = 0\nurl = http://x/\n"));
    assert_null(strstr(a.text, "ca-file")); /* unset: NULL value */
    /* what it prints parses back to the same configuration */
    again = parse_ok(a.text);
    assert_int_equal(sw_config_walk(again, walk_ini, &b), 0);
    assert_string_equal(a.text, b.text);
    /* a callback's error stops the walk and is returned */
    assert_int_equal(sw_config_walk(cfg, walk_stop, &before_stop), -SW_E_IO);
    assert_int_equal(before_stop, 23); /* 18 [slipway] keys, then [fetch] up to retries */
    sw_config_free(again);
    sw_config_free(cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_example_file_parses_to_defaults),
        cmocka_unit_test(test_stage_section),
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_state_dir_override),
        cmocka_unit_test(test_hook_default_required),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_unknown_section),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_walk_round_trip),
        cmocka_unit_test(test_mirror_policy),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
