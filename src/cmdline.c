/* SPDX-License-Identifier: MIT */
/*
 * Command-line parsing shared by both programs' command frames: builds the
 * getopt_long tables from option groups, collects option values and
 * positional arguments, and prints option help. The frames decide what
 * each option does.
 */
#include <slipway/cmdline.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int
sw_cmdline_parse(int argc, char **argv, const struct sw_opt *const *groups, size_t n_groups,
                 int stop_at_arg, const char *where, struct sw_cmdline *ret, struct sw_error *err)
{
    struct option longs[SW_CMDLINE_MAX_OPTS + 1];
    const struct sw_opt *index[SW_CMDLINE_MAX_OPTS];
    char shorts[2 * SW_CMDLINE_MAX_OPTS + 3];
    struct sw_cmdline c;
    size_t nl = 0, ns = 0;
    int r;

    memset(&c, 0, sizeof(c));
    shorts[ns++] = '+'; /* stop at the first positional argument; the loop decides */
    shorts[ns++] = ':'; /* report a missing value as ':' */
    for (size_t g = 0; g < n_groups; g++) {
        for (const struct sw_opt *o = groups[g]; o && o->name; o++) {
            if (nl >= SW_CMDLINE_MAX_OPTS)
                return sw_error_set(err, SW_E_INTERNAL, "%s: too many options", where);
            longs[nl].name = o->name;
            longs[nl].has_arg = o->has_arg ? required_argument : no_argument;
            longs[nl].flag = NULL;
            longs[nl].val = 256 + (int)nl;
            index[nl++] = o;
            if (o->short_name) {
                shorts[ns++] = (char)o->short_name;
                if (o->has_arg)
                    shorts[ns++] = ':';
            }
        }
    }
    memset(&longs[nl], 0, sizeof(longs[nl]));
    shorts[ns] = '\0';

    c.args = calloc((size_t)argc + 1, sizeof(*c.args));
    c.vals = calloc(nl ? (size_t)argc + 1 : 1, sizeof(*c.vals));
    if (!c.args || !c.vals) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto fail;
    }
    optind = 1;
    opterr = 0;
    for (;;) {
        const struct sw_opt *o = NULL;
        int opt = getopt_long(argc, argv, shorts, longs, NULL);
        if (opt == -1) {
            if (optind >= argc || stop_at_arg)
                break;
            if (strcmp(argv[optind - 1], "--") == 0 && optind > 1) {
                while (optind < argc)
                    c.args[c.n_args++] = argv[optind++];
                break;
            }
            c.args[c.n_args++] = argv[optind++];
            continue;
        }
        if (opt == '?' || opt == ':') {
            const char *bad = argv[optind - 1];
            if (opt == ':')
                r = sw_error_set(err, SW_E_USAGE, "%s: option '%s' needs a value", where, bad);
            else if (optopt && optopt < 256)
                r = sw_error_set(err, SW_E_USAGE, "%s: unknown option '-%c'", where, optopt);
            else
                r = sw_error_set(err, SW_E_USAGE, "%s: unknown option '%s'", where, bad);
            goto fail;
        }
        if (opt >= 256) {
            o = index[opt - 256];
        } else {
            for (size_t i = 0; i < nl && !o; i++)
                if (index[i]->short_name == opt)
                    o = index[i];
        }
        if (!o) {
            r = sw_error_set(err, SW_E_INTERNAL, "%s: option table mismatch", where);
            goto fail;
        }
        c.vals[c.n_vals].id = o->id;
        c.vals[c.n_vals].arg = o->has_arg ? optarg : NULL;
        c.n_vals++;
    }
    c.next = optind;
    *ret = c;
    return 0;
fail:
    sw_cmdline_release(&c);
    return r;
}

void
sw_cmdline_release(struct sw_cmdline *c)
{
    free(c->vals);
    free(c->args);
    memset(c, 0, sizeof(*c));
}

const char *
sw_cmdline_get(const struct sw_cmdline *c, int id, int *ret_present)
{
    const char *v = NULL;
    int present = 0;
    for (size_t i = 0; i < c->n_vals; i++)
        if (c->vals[i].id == id) {
            v = c->vals[i].arg;
            present = 1;
        }
    if (ret_present)
        *ret_present = present;
    return v;
}

size_t
sw_cmdline_count(const struct sw_cmdline *c, int id)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_vals; i++)
        n += c->vals[i].id == id;
    return n;
}

size_t
sw_cmdline_all(const struct sw_cmdline *c, int id, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_vals; i++)
        if (c->vals[i].id == id) {
            if (n < max)
                out[n] = c->vals[i].arg;
            n++;
        }
    return n;
}

void
sw_cmdline_print(FILE *f, const struct sw_opt *opts)
{
    for (const struct sw_opt *o = opts; o && o->name; o++) {
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
                     o->has_arg ? " " : "", o->has_arg ? o->arg_name : "");
        else
            snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->has_arg ? " " : "",
                     o->has_arg ? o->arg_name : "");
        fprintf(f, "  %-30s %s\n", left, o->help);
    }
}
