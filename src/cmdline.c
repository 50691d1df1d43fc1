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

/* --- shell completion ---------------------------------------------------------------- */

enum value_kind { VALUE_NONE, VALUE_FILES, VALUE_DIRS, VALUE_WORDS };

/* How a value named arg_name completes; words set for VALUE_WORDS. */
static enum value_kind
value_kind(const struct sw_cmdline_prog *p, const char *arg_name, const char *const **ret_words)
{
    size_t n = arg_name ? strlen(arg_name) : 0;
    *ret_words = NULL;
    if (!arg_name)
        return VALUE_NONE;
    for (size_t i = 0; i < p->n_values; i++)
        if (strcmp(p->values[i].arg_name, arg_name) == 0) {
            *ret_words = p->values[i].words;
            return VALUE_WORDS;
        }
    if (strchr(arg_name, '|'))
        return VALUE_WORDS; /* "ed25519|ecdsa": the words are in the name */
    if ((n >= 3 && strcmp(arg_name + n - 3, "DIR") == 0) || strcmp(arg_name, "KEYS") == 0)
        return VALUE_DIRS;
    if ((n >= 4 && strcmp(arg_name + n - 4, "FILE") == 0) || strcmp(arg_name, "PUB") == 0)
        return VALUE_FILES;
    return VALUE_NONE;
}

/* A word for a shell word list: only [A-Za-z0-9._+/-], the rest dropped. */
static void
put_word(FILE *f, const char *w, size_t len)
{
    for (size_t i = 0; i < len && w[i]; i++) {
        char c = w[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '_' || c == '+' || c == '/' || c == '-')
            fputc(c, f);
    }
}

/* The value words of an option, space-separated. */
static void
put_value_words(FILE *f, const char *arg_name, const char *const *words)
{
    if (words) {
        for (size_t i = 0; words[i]; i++) {
            if (i)
                fputc(' ', f);
            put_word(f, words[i], strlen(words[i]));
        }
        return;
    }
    for (const char *s = arg_name; *s;) {
        size_t len = strcspn(s, "|");
        put_word(f, s, len);
        s += len;
        if (*s == '|') {
            fputc(' ', f);
            s++;
        }
    }
}

/* Text for a zsh description: no quote, bracket, colon or backslash. */
static void
put_help(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        char c = *s;
        if (c == '[')
            c = '(';
        else if (c == ']')
            c = ')';
        else if (c == ':')
            c = ',';
        else if (c == '\'') {
            fputs("'\\''", f); /* out of the single quotes and back */
            continue;
        } else if (c == '\\' || c == '`' || (unsigned char)c < 0x20) {
            continue;
        }
        fputc(c, f);
    }
}

/* The sub-commands a synopsis starts with ("list|run HOOK" -> "list run"), or none. */
static size_t
synopsis_subs(const char *syn, char out[][32], size_t max)
{
    size_t n = 0, len;
    if (!syn)
        return 0;
    len = strcspn(syn, " ");
    for (size_t i = 0; i < len; i++)
        if (!((syn[i] >= 'a' && syn[i] <= 'z') || syn[i] == '-' || syn[i] == '|'))
            return 0;
    for (const char *s = syn; s < syn + len && n < max;) {
        size_t w = strcspn(s, "| ");
        if (w > 0 && w < 32 && s[0] != '-') {
            memcpy(out[n], s, w);
            out[n++][w] = '\0';
        }
        s += w;
        if (*s == '|')
            s++;
    }
    return n;
}

/* Whether the positional arguments of a synopsis are files (FILE, DIR, PUB not after an option). */
static int
synopsis_files(const char *syn)
{
    int after_opt = 0;
    for (const char *s = syn; s && *s;) {
        size_t len = strcspn(s, " ");
        char tok[128];
        snprintf(tok, sizeof(tok), "%.*s", (int)(len < sizeof(tok) ? len : sizeof(tok) - 1), s);
        if (strncmp(tok, "--", 2) == 0 || strncmp(tok, "[--", 3) == 0 ||
            strncmp(tok, "(--", 3) == 0) {
            after_opt = !strchr(tok, ']') && !strchr(tok, ')');
        } else {
            if (!after_opt && (strstr(tok, "FILE") || strstr(tok, "DIR") || strstr(tok, "PUB")))
                return 1;
            after_opt = 0;
        }
        s += len;
        while (*s == ' ')
            s++;
    }
    return 0;
}

static int
skipped(const struct sw_cmdline_cmd *c, const char *name)
{
    for (size_t i = 0; c && i < SW_CMDLINE_CMD_SKIP; i++)
        if (c->skip[i] && strcmp(c->skip[i], name) == 0)
            return 1;
    return 0;
}

/* Apply fn to every option a command takes: its groups, then the globals it does not refuse. */
#define FOR_EACH_OPT(p, c, o, body)                                                                \
    do {                                                                                           \
        for (size_t g_ = 0; (c) && g_ < SW_CMDLINE_CMD_GROUPS; g_++)                               \
            for (const struct sw_opt *o = (c)->groups[g_]; o && o->name; o++)                      \
                body;                                                                              \
        for (const struct sw_opt *o = (p)->globals; o && o->name; o++)                             \
            if (!skipped((c), o->name))                                                            \
                body;                                                                              \
    } while (0)

static void
bash_words_of(FILE *f, const struct sw_cmdline_prog *p, const struct sw_cmdline_cmd *c)
{
    FOR_EACH_OPT(p, c, o, {
        fprintf(f, " --%s", o->name);
        if (o->short_name)
            fprintf(f, " -%c", o->short_name);
    });
}

static void
bash_takes_of(FILE *f, const struct sw_cmdline_prog *p, const struct sw_cmdline_cmd *c)
{
    fputc('|', f);
    FOR_EACH_OPT(p, c, o, {
        if (o->has_arg) {
            fprintf(f, "--%s|", o->name);
            if (o->short_name)
                fprintf(f, "-%c|", o->short_name);
        }
    });
}

static void
bash_values_of(FILE *f, const struct sw_cmdline_prog *p, const struct sw_cmdline_cmd *c,
               const char *indent)
{
    fprintf(f, "%scase \"$prev\" in\n", indent);
    FOR_EACH_OPT(p, c, o, {
        const char *const *words;
        enum value_kind k;
        if (!o->has_arg)
            continue;
        k = value_kind(p, o->arg_name, &words);
        fprintf(f, "%s", indent);
        if (o->short_name)
            fprintf(f, "-%c|", o->short_name);
        fprintf(f, "--%s) ", o->name);
        switch (k) {
        case VALUE_FILES:
            fprintf(f, "COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n");
            break;
        case VALUE_DIRS:
            fprintf(f, "COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n");
            break;
        case VALUE_WORDS:
            fprintf(f, "COMPREPLY=($(compgen -W '");
            put_value_words(f, o->arg_name, words);
            fprintf(f, "' -- \"$cur\")) ;;\n");
            break;
        case VALUE_NONE:
            fprintf(f, "COMPREPLY=() ;;\n");
            break;
        }
    });
    fprintf(f, "%s*) ;;\n%sesac\n", indent, indent);
}

static void
completion_bash(FILE *f, const struct sw_cmdline_prog *p)
{
    char fn[64];
    size_t i;

    snprintf(fn, sizeof(fn), "_%s", p->name);
    for (i = 0; fn[i]; i++)
        if (fn[i] == '-')
            fn[i] = '_';
    fprintf(f,
            "# bash completion for %s, generated by '%s --completion bash' from its command\n"
            "# and option tables (do not edit: rebuild).\n"
            "%s() {\n"
            "    local cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd='' takes='' npos=0 i w\n"
            "    [ \"$COMP_CWORD\" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}\n"
            "    takes='",
            p->name, p->name, fn);
    bash_takes_of(f, p, NULL);
    fprintf(f, "'\n"
               "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
               "        w=${COMP_WORDS[i]}\n"
               "        case \"$w\" in\n"
               "        -*) [[ $takes == *\"|$w|\"* ]] && i=$((i + 1)) ;;\n"
               "        *)\n"
               "            if [ -n \"$cmd\" ]; then\n"
               "                npos=$((npos + 1))\n"
               "            else\n"
               "                cmd=$w\n"
               "                case \"$cmd\" in\n");
    for (i = 0; i < p->n_cmds; i++) {
        fprintf(f, "                %s) takes='", p->cmds[i].name);
        bash_takes_of(f, p, &p->cmds[i]);
        fprintf(f, "' ;;\n");
    }
    fprintf(f, "                esac\n"
               "            fi\n"
               "            ;;\n"
               "        esac\n"
               "    done\n"
               "    if [ -z \"$cmd\" ]; then\n");
    bash_values_of(f, p, NULL, "        ");
    fprintf(f, "        [ ${#COMPREPLY[@]} -gt 0 ] && return 0\n"
               "        case \"$prev\" in\n"
               "        ");
    {
        int first = 1;
        FOR_EACH_OPT(p, (const struct sw_cmdline_cmd *)NULL, o, {
            if (!o->has_arg)
                continue;
            fprintf(f, "%s--%s", first ? "" : "|", o->name);
            if (o->short_name)
                fprintf(f, "|-%c", o->short_name);
            first = 0;
        });
        if (first)
            fprintf(f, "--");
    }
    fprintf(f, ") return 0 ;;\n"
               "        esac\n"
               "        if [[ $cur == -* ]]; then\n"
               "            COMPREPLY=($(compgen -W '");
    bash_words_of(f, p, NULL);
    for (i = 0; p->extra_globals && p->extra_globals[i]; i++)
        fprintf(f, " %s", p->extra_globals[i]);
    fprintf(f, "' -- \"$cur\"))\n"
               "        else\n"
               "            COMPREPLY=($(compgen -W '");
    for (i = 0; i < p->n_cmds; i++)
        fprintf(f, "%s%s", i ? " " : "", p->cmds[i].name);
    fprintf(f, " help' -- \"$cur\"))\n"
               "        fi\n"
               "        return 0\n"
               "    fi\n"
               "    case \"$cmd\" in\n");
    for (i = 0; i < p->n_cmds; i++) {
        const struct sw_cmdline_cmd *c = &p->cmds[i];
        char subs[16][32];
        size_t ns = synopsis_subs(c->synopsis, subs, 16);
        fprintf(f, "    %s)\n", c->name);
        bash_values_of(f, p, c, "        ");
        fprintf(f, "        [ ${#COMPREPLY[@]} -gt 0 ] && return 0\n"
                   "        [[ $takes == *\"|$prev|\"* ]] && return 0\n"
                   "        if [[ $cur == -* ]]; then\n"
                   "            COMPREPLY=($(compgen -W '");
        bash_words_of(f, p, c);
        fprintf(f, "' -- \"$cur\"))\n");
        if (ns) {
            fprintf(f, "        elif [ \"$npos\" -eq 0 ]; then\n"
                       "            COMPREPLY=($(compgen -W '");
            for (size_t k = 0; k < ns; k++)
                fprintf(f, "%s%s", k ? " " : "", subs[k]);
            fprintf(f, "' -- \"$cur\"))\n");
        }
        if (synopsis_files(c->synopsis))
            fprintf(f, "        else\n"
                       "            COMPREPLY=($(compgen -f -- \"$cur\"))\n");
        fprintf(f, "        fi\n"
                   "        ;;\n");
    }
    fprintf(f, "    help)\n"
               "        [ \"$npos\" -eq 0 ] && COMPREPLY=($(compgen -W '");
    for (i = 0; i < p->n_cmds; i++)
        fprintf(f, "%s%s", i ? " " : "", p->cmds[i].name);
    fprintf(f,
            "' -- \"$cur\"))\n"
            "        ;;\n"
            "    esac\n"
            "    return 0\n"
            "}\n"
            "complete -F %s %s\n",
            fn, p->name);
}

static void
zsh_spec(FILE *f, const struct sw_cmdline_prog *p, const struct sw_opt *o, int is_short,
         const char *indent)
{
    const char *const *words;
    enum value_kind k = value_kind(p, o->arg_name, &words);
    int repeat = !o->has_arg && o->short_name == 'v';

    fprintf(f, " \\\n%s'%s", indent, repeat ? "*" : "");
    if (is_short)
        fprintf(f, "-%c", o->short_name);
    else
        fprintf(f, "--%s", o->name);
    fputc('[', f);
    put_help(f, o->help);
    fputc(']', f);
    if (o->has_arg) {
        fputc(':', f);
        put_help(f, o->arg_name ? o->arg_name : "VALUE");
        fputc(':', f);
        switch (k) {
        case VALUE_FILES:
            fprintf(f, "_files");
            break;
        case VALUE_DIRS:
            fprintf(f, "_files -/");
            break;
        case VALUE_WORDS:
            fputc('(', f);
            put_value_words(f, o->arg_name, words);
            fputc(')', f);
            break;
        case VALUE_NONE:
            fputc(' ', f);
            break;
        }
    }
    fputc('\'', f);
}

static void
zsh_specs_of(FILE *f, const struct sw_cmdline_prog *p, const struct sw_cmdline_cmd *c)
{
    const char *indent = c ? "                " : "        ";
    FOR_EACH_OPT(p, c, o, {
        if (o->short_name)
            zsh_spec(f, p, o, 1, indent);
        zsh_spec(f, p, o, 0, indent);
    });
}

static void
completion_zsh(FILE *f, const struct sw_cmdline_prog *p)
{
    char fn[64];
    size_t i;

    snprintf(fn, sizeof(fn), "_%s", p->name);
    for (i = 0; fn[i]; i++)
        if (fn[i] == '-')
            fn[i] = '_';
    fprintf(f,
            "#compdef %s\n"
            "# zsh completion for %s, generated by '%s --completion zsh' from its command\n"
            "# and option tables (do not edit: rebuild).\n"
            "%s() {\n"
            "    local curcontext=$curcontext state line ret=1\n"
            "    local -a cmds\n"
            "    cmds=(",
            p->name, p->name, p->name, fn);
    for (i = 0; i < p->n_cmds; i++) {
        fprintf(f, "\n        '%s:", p->cmds[i].name);
        put_help(f, p->cmds[i].summary);
        fputc('\'', f);
    }
    fprintf(f, "\n        'help:the usage of the program or of a command'\n"
               "    )\n"
               "    _arguments -C -s");
    zsh_specs_of(f, p, NULL);
    for (i = 0; p->extra_globals && p->extra_globals[i]; i++) {
        fprintf(f, " \\\n        '");
        put_word(f, p->extra_globals[i], 64);
        fprintf(f, "[%s]'", "print and exit");
    }
    fprintf(f, " \\\n        '1: :->command' \\\n        '*:: :->args' && ret=0\n"
               "    case $state in\n"
               "    command)\n");
    fprintf(f,
            "        _describe -t commands '%s command' cmds && ret=0\n"
            "        ;;\n"
            "    args)\n"
            "        case $words[1] in\n",
            p->name);
    for (i = 0; i < p->n_cmds; i++) {
        const struct sw_cmdline_cmd *c = &p->cmds[i];
        char subs[16][32];
        size_t ns = synopsis_subs(c->synopsis, subs, 16);
        fprintf(f, "        %s)\n            _arguments -s", c->name);
        zsh_specs_of(f, p, c);
        if (ns) {
            fprintf(f, " \\\n                '1: :(");
            for (size_t k = 0; k < ns; k++)
                fprintf(f, "%s%s", k ? " " : "", subs[k]);
            fprintf(f, ")'");
            if (synopsis_files(c->synopsis))
                fprintf(f, " \\\n                '*: :_files'");
        } else if (synopsis_files(c->synopsis)) {
            fprintf(f, " \\\n                '*: :_files'");
        }
        fprintf(f, " && ret=0\n            ;;\n");
    }
    fprintf(f,
            "        help)\n            _describe -t commands '%s command' cmds && ret=0\n"
            "            ;;\n"
            "        esac\n"
            "        ;;\n"
            "    esac\n"
            "    return ret\n"
            "}\n"
            "%s \"$@\"\n",
            p->name, fn);
}

int
sw_cmdline_completion(FILE *f, const struct sw_cmdline_prog *p, const char *shell,
                      struct sw_error *err)
{
    if (strcmp(shell, "bash") == 0)
        completion_bash(f, p);
    else if (strcmp(shell, "zsh") == 0)
        completion_zsh(f, p);
    else
        return sw_error_set(err, SW_E_USAGE, "%s: --completion takes bash or zsh, not '%s'",
                            p->name, shell);
    if (fflush(f) == EOF || ferror(f))
        return sw_error_set(err, SW_E_IO, "%s: cannot write the completion script", p->name);
    return 0;
}
