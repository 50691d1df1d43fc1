/* SPDX-License-Identifier: MIT */
/*
 * Logging for the command layer and debug tracing for modules: plain lines
 * on stderr, or "<N>"-prefixed lines when JOURNAL_STREAM says stderr is the
 * systemd journal. The transaction id of an update, when set, is in every line.
 */
#ifndef SLIPWAY_LOG_H
#define SLIPWAY_LOG_H

#include <slipway/error.h>

/* syslog priorities, as the journal reads them */
enum sw_log_level {
    SW_LOG_ERR = 3,
    SW_LOG_WARNING = 4,
    SW_LOG_NOTICE = 5,
    SW_LOG_INFO = 6,
    SW_LOG_DEBUG = 7,
};

/*
 * Set the program name (borrowed, must outlive logging) and detect whether
 * stderr is the journal. Default level: SW_LOG_NOTICE.
 */
void sw_log_init(const char *progname);

/* Lines above max_level are dropped. -v raises it, -q lowers it. */
void sw_log_set_level(int max_level);
int sw_log_get_level(void);

/* 1 when lines carry "<N>" prefixes (stderr is the journal). */
int sw_log_is_journal(void);

/* Transaction id shown in every line; NULL clears it. Copied. */
void sw_log_set_txn(const char *txn);

void sw_log(int level, const char *fmt, ...) SW_PRINTF(2, 3);

#define sw_log_error(...) sw_log(SW_LOG_ERR, __VA_ARGS__)
#define sw_log_warning(...) sw_log(SW_LOG_WARNING, __VA_ARGS__)
#define sw_log_notice(...) sw_log(SW_LOG_NOTICE, __VA_ARGS__)
#define sw_log_info(...) sw_log(SW_LOG_INFO, __VA_ARGS__)
#define sw_log_debug(...) sw_log(SW_LOG_DEBUG, __VA_ARGS__)

/* Log err (its message and code name) at SW_LOG_ERR. */
void sw_log_sw_error(const struct sw_error *err);

#endif
