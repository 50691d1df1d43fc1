/* SPDX-License-Identifier: MIT */
/*
 * Private to slipway-repo: passphrases for secret key files, held only in
 * sodium_malloc memory and wiped when freed. Reads them from the terminal
 * without echo (restoring it on every path, signals included) or from the
 * first line of a private file, and judges their strength for new keys.
 * What a passphrase unlocks is keyfile.h's business.
 */
#ifndef SLIPWAY_REPO_PASSPHRASE_H
#define SLIPWAY_REPO_PASSPHRASE_H

#include <slipway/error.h>

#include <stddef.h>

/* Longest passphrase accepted, in bytes; a longer one is an error, never cut. */
#define SW_PASSPHRASE_MAX 1024
/* Shortest passphrase accepted for a new key, in characters (UTF-8 code points). */
#define SW_PASSPHRASE_MIN_CHARS 12

/* Opaque: the bytes live in sodium_malloc memory (guard pages, mlock). */
struct sw_passphrase;

/*
 * Copy len bytes of s (no NUL needed; at most SW_PASSPHRASE_MAX) into a new
 * passphrase. For callers that already hold one, and for tests. Free with
 * sw_passphrase_free().
 */
int sw_passphrase_from_mem(const char *s, size_t len, struct sw_passphrase **ret_pass,
                           struct sw_error *err);

/*
 * The first line of path, without its "\n" (or "\r\n"). The file must be
 * a regular file or a FIFO, not a symbolic link, and not open to group or
 * others (mode & 077 == 0): otherwise -SW_E_KEYFILE with the chmod that fixes
 * it. An empty first line is -SW_E_INVAL; a first line longer than
 * SW_PASSPHRASE_MAX is -SW_E_LIMIT. What follows the first line is ignored.
 */
int sw_passphrase_read_file(const char *path, struct sw_passphrase **ret_pass,
                            struct sw_error *err);

/*
 * Ask on /dev/tty with echo off. With confirm_prompt non-NULL the
 * passphrase is asked twice and the answers must match (-SW_E_INVAL when
 * they do not). No terminal: -SW_E_IO naming --passphrase-file as the
 * alternative.
 */
int sw_passphrase_read_tty(const char *prompt, const char *confirm_prompt,
                           struct sw_passphrase **ret_pass, struct sw_error *err);

/*
 * Like sw_passphrase_read_tty() on fd, which must be a terminal open for
 * reading and writing (borrowed, not closed). Echo is switched off before
 * the prompt is written and the terminal settings are restored before
 * returning, on every path. SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM and
 * SIGPIPE arriving meanwhile are caught, the terminal restored, and the
 * signal raised again under the caller's disposition (so by default the
 * process still dies of it); SIGTSTP, SIGTTIN and SIGTTOU likewise stop
 * the process with the terminal restored, and the question is asked again
 * once it continues.
 */
int sw_passphrase_read_terminal(int fd, const char *prompt, const char *confirm_prompt,
                                struct sw_passphrase **ret_pass, struct sw_error *err);

/*
 * Is p good enough to protect a new key? -SW_E_WEAK_PASSPHRASE, with the
 * reason and what to do, when it is shorter than SW_PASSPHRASE_MIN_CHARS
 * characters, made only of digits and punctuation, uses fewer than 5
 * different characters, or is (ignoring case, spaces, '-', '_', '.', and
 * digits or punctuation added at its end) one of the built-in list of
 * common passwords and passphrases.
 */
int sw_passphrase_check_strength(const struct sw_passphrase *p, struct sw_error *err);

/* The bytes, NUL-terminated (borrowed, valid until freed) and their length. */
const char *sw_passphrase_data(const struct sw_passphrase *p);
size_t sw_passphrase_len(const struct sw_passphrase *p);

/* Wipe and free. NULL does nothing. */
void sw_passphrase_free(struct sw_passphrase *p);

#endif
