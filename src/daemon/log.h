/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Plain diagnostics for agentcgroupd.  They go to stderr with the
 * "<N>" priority prefixes that systemd's journal understands, so the
 * daemon logs the same way under systemd and in a terminal.  Decisions
 * (what the daemon did to a session or step) are not logged here but as
 * structured journal entries, see decision.h.
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#define log_printf(prefix, fmt, ...) fprintf(stderr, prefix fmt "\n", ##__VA_ARGS__)

#define log_debug(fmt, ...) log_printf(SD_DEBUG, fmt, ##__VA_ARGS__)
#define log_info(fmt, ...) log_printf(SD_INFO, fmt, ##__VA_ARGS__)
#define log_notice(fmt, ...) log_printf(SD_NOTICE, fmt, ##__VA_ARGS__)
#define log_warning(fmt, ...) log_printf(SD_WARNING, fmt, ##__VA_ARGS__)
#define log_error(fmt, ...) log_printf(SD_ERR, fmt, ##__VA_ARGS__)

/* Log with the text of a negative errno appended and return that errno,
 * so "return log_error_errno(r, ...)" propagates the failure. */
#define log_errno(prefix, r, fmt, ...)                                         \
        ({                                                                     \
                int _r = (r);                                                  \
                log_printf(prefix, fmt ": %s", ##__VA_ARGS__, strerror(-_r));  \
                _r;                                                            \
        })
#define log_error_errno(r, fmt, ...) log_errno(SD_ERR, r, fmt, ##__VA_ARGS__)
#define log_warning_errno(r, fmt, ...) log_errno(SD_WARNING, r, fmt, ##__VA_ARGS__)
