/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the verbs of agentcgctl share: their entry points, and the command
 * line helpers agentcgctl.c provides so that every verb takes --help and
 * --no-ask-password and reports bad options the same way.
 */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

/* Exit status for a failure of agentcgctl itself, as opposed to one of the
 * command that run started (which run passes on). */
#define CTL_EXIT_FAILURE 1

enum {
        ARG_NO_ASK_PASSWORD = 0x100,
        ARG_VERSION,
        ARG_CPU_WEIGHT,
        ARG_MEMORY_MAX,
        ARG_PID,
        ARG_SESSION,
        ARG_STEP,
        ARG_CLASS,
        ARG_CPU_MAX,
        ARG_MEMORY_HIGH,
        ARG_TASKS_MAX,
        ARG_GRACE,
        ARG_JSON,
};

#define CTL_COMMON_OPTIONS                                                     \
        { "help", no_argument, NULL, 'h' },                                    \
        { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },        \
        { "json", no_argument, NULL, ARG_JSON }

#define CTL_LIMIT_OPTIONS                                                      \
        { "class", required_argument, NULL, ARG_CLASS },                       \
        { "cpu-weight", required_argument, NULL, ARG_CPU_WEIGHT },             \
        { "cpu-max", required_argument, NULL, ARG_CPU_MAX },                   \
        { "memory-high", required_argument, NULL, ARG_MEMORY_HIGH },           \
        { "memory-max", required_argument, NULL, ARG_MEMORY_MAX },             \
        { "tasks-max", required_argument, NULL, ARG_TASKS_MAX }

/* Settings for a new step; 0 (NULL for the class) leaves the daemon's
 * default for the step's class. */
struct ctl_limits {
        const char *class;
        uint64_t cpu_weight;
        uint64_t cpu_max_quota; /* usec per 100 ms period */
        uint64_t memory_high;
        uint64_t memory_max;
        uint64_t tasks_max;
};

/* Set by --json: list and status print JSON instead of aligned text. */
extern bool arg_json;

/* Handles an option character C from getopt_long() that the verb itself
 * does not know: the common options, the limit options if LIMITS is
 * non-NULL, and getopt's error returns.  Like a systemd parse_argv(), it
 * returns 1 to go on parsing, 0 if help was shown and the verb should exit
 * successfully, or a negative errno after printing what was wrong. */
int ctl_parse_option(int c, char **argv, struct ctl_limits *limits);

/* Option parsing for a verb without options of its own; same returns. */
int ctl_parse_no_options(int argc, char **argv);

/* Prints the synopsis of VERB and returns -EINVAL. */
int ctl_usage_error(const char *verb);

/* Each verb gets its own name in argv[0] and returns the exit status, or a
 * negative errno after printing what failed. */
int verb_status(int argc, char **argv);
int verb_list(int argc, char **argv);
int verb_session_new(int argc, char **argv);
int verb_session_end(int argc, char **argv);
int verb_step_new(int argc, char **argv);
int verb_step_add(int argc, char **argv);
int verb_step_end(int argc, char **argv);
int verb_step_freeze(int argc, char **argv);
int verb_step_thaw(int argc, char **argv);
int verb_step_kill(int argc, char **argv);
int verb_run(int argc, char **argv);
int verb_show(int argc, char **argv);
