/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * agentcgctl, the command-line client of agentcgroupd.  This file owns the
 * command line: the global options, the verb table, the help text and the
 * option handling all verbs share.  The verbs themselves live in
 * ctl-verbs.c (one D-Bus call or a listing each) and ctl-run.c (run, which
 * also starts a command); ctl-bus.c holds the calls they make.
 *
 * Parsing happens twice: main() reads the options before the verb and
 * stops at the verb ("+" in the option string), then the verb parses the
 * rest with its own option table, so "session-new foo --pid 42" and
 * "--no-ask-password session-new foo" both work.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "ctl-bus.h"
#include "ctl-top.h"
#include "ctl.h"
#include "parse.h"
#include "util.h"

struct verb {
        const char *name;
        const char *args;
        const char *summary;
        int (*run)(int argc, char **argv);
};

static const struct verb verbs[] = {
        { "status", "", "Show the scheduler state and every session with its steps",
          verb_status },
        { "list", "", "List sessions (NAME CGROUP), with their steps indented below",
          verb_list },
        { "show", "SESSION [STEP]",
          "Show the properties of a session or a step (limits, usage, state)", verb_show },
        { "session-new", "NAME [--pid PID]",
          "Start a session adopting PID (default: the calling shell)", verb_session_new },
        { "session-end", "NAME", "End a session, killing everything in it",
          verb_session_end },
        { "step-new", "SESSION STEP [--class C] [--cpu-weight N] [--cpu-max PCT] "
                      "[--memory-high SIZE] [--memory-max SIZE] [--tasks-max N]",
          "Create a step in a session and print its cgroup", verb_step_new },
        { "step-add", "SESSION STEP PID", "Move a process into a step", verb_step_add },
        { "step-end", "SESSION STEP [--grace DURATION]",
          "End a step: SIGTERM, then after the grace period SIGKILL; print its usage",
          verb_step_end },
        { "freeze", "SESSION STEP", "Freeze every process of a step", verb_step_freeze },
        { "thaw", "SESSION STEP", "Thaw a frozen step", verb_step_thaw },
        { "kill", "SESSION STEP", "Kill every process of a step (cgroup.kill)",
          verb_step_kill },
        { "run", "[--session S] [--step NAME] [STEP SETTINGS] -- CMD...",
          "Run CMD in a new step and exit with its status", verb_run },
        { "top", "[--interval DURATION] [-n COUNT]",
          "Show every step's CPU share, throttles, boosts and memory penalties, live",
          verb_top },
};

static const struct verb *find_verb(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

bool arg_json = false;

static void help(void)
{
        printf("agentcgctl [--no-ask-password] VERB ...\n\n"
               "Manage agent sessions and steps through agentcgroupd.\n\n"
               "Verbs:\n");

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %s%s%s\n        %s\n", verbs[i].name, *verbs[i].args ? " " : "",
                       verbs[i].args, verbs[i].summary);

        printf("\nOptions:\n"
               "  -h --help             Show this help\n"
               "     --version          Show the version\n"
               "     --no-ask-password  Do not let calls wait for interactive authorization\n"
               "     --json             list, status, show: print JSON\n"
               "     --pid PID          session-new: the process the session adopts\n"
               "     --session S        run: use the existing session S\n"
               "     --step NAME        run: name of the step to create\n"
               "\nStep settings (step-new, run); what is not given comes from the class:\n"
               "     --class C          interactive, latency, batch or besteffort\n"
               "     --cpu-weight N     cpu.weight, 1..10000\n"
               "     --cpu-max PCT      cpu.max as a share of one CPU, e.g. 50%%\n"
               "     --memory-high SIZE memory.high; SIZE takes K, M, G, T or \"max\"\n"
               "     --memory-max SIZE  memory.max\n"
               "     --tasks-max N      pids.max\n"
               "     --grace DURATION   step-end: time between SIGTERM and SIGKILL\n\n"
               "See agentcgctl(1) for details.\n");
}

int ctl_usage_error(const char *verb)
{
        const struct verb *v = find_verb(verb);

        fprintf(stderr, "agentcgctl: usage: agentcgctl %s%s%s\n", verb,
                v && *v->args ? " " : "", v ? v->args : "");
        return -EINVAL;
}

static int invalid_value(const char *option, const char *value, const char *expected)
{
        fprintf(stderr, "agentcgctl: invalid %s '%s': %s\n", option, value, expected);
        return -EINVAL;
}

static int parse_weight_option(const char *arg, struct ctl_limits *limits)
{
        if (parse_weight(arg, &limits->cpu_weight) < 0)
                return invalid_value("--cpu-weight", arg, "expected a number from 1 to 10000");
        return 1;
}

static int parse_memory_option(const char *arg, struct ctl_limits *limits)
{
        int r;

        r = parse_size(arg, &limits->memory_max);
        if (r == -ERANGE || (r >= 0 && limits->memory_max == 0))
                return invalid_value("--memory-max", arg,
                                     "expected a size from 1 byte to less than 2^64, or \"max\"");
        if (r < 0)
                return invalid_value("--memory-max", arg,
                                     "expected digits with an optional K, M, G or T suffix, "
                                     "or \"max\"");
        return 1;
}

static int option_error(int c, char **argv)
{
        if (c == ':')
                fprintf(stderr, "agentcgctl: option '%s' needs an argument\n", argv[optind - 1]);
        else if (optopt > 0 && optopt < 0x100)
                fprintf(stderr, "agentcgctl: unknown option '-%c'\n", optopt);
        else
                fprintf(stderr, "agentcgctl: unknown or ambiguous option '%s'\n",
                        argv[optind - 1]);

        fprintf(stderr, "agentcgctl: see agentcgctl --help\n");
        return -EINVAL;
}

/* --cpu-max takes a share of one CPU, as systemd's CPUQuota= does; the
 * daemon's period is 100 ms, so 1% is 1000 us per period. */
static int parse_cpu_max_option(const char *arg, struct ctl_limits *limits)
{
        uint64_t percent;

        if (parse_percent(arg, 100000, &percent) < 0 || percent == 0)
                return invalid_value("--cpu-max", arg, "expected a percentage such as 50%");
        limits->cpu_max_quota = percent * 1000;
        return 1;
}

static int parse_limit_option(int c, const char *arg, struct ctl_limits *limits)
{
        switch (c) {
        case ARG_CLASS:
                limits->class = arg;
                return 1;
        case ARG_CPU_WEIGHT:
                return parse_weight_option(arg, limits);
        case ARG_CPU_MAX:
                return parse_cpu_max_option(arg, limits);
        case ARG_MEMORY_MAX:
                return parse_memory_option(arg, limits);
        case ARG_MEMORY_HIGH:
                if (parse_size(arg, &limits->memory_high) < 0 || limits->memory_high == 0)
                        return invalid_value("--memory-high", arg,
                                             "expected a size such as 512M, or \"max\"");
                return 1;
        case ARG_TASKS_MAX:
                if (parse_uint64(arg, &limits->tasks_max) < 0 || limits->tasks_max == 0)
                        return invalid_value("--tasks-max", arg, "expected a positive number");
                return 1;
        default:
                return 0;
        }
}

int ctl_parse_option(int c, char **argv, struct ctl_limits *limits)
{
        if (limits) {
                int r = parse_limit_option(c, optarg, limits);
                if (r != 0)
                        return r;
        }

        switch (c) {
        case 'h':
                help();
                return 0;
        case ARG_JSON:
                arg_json = true;
                return 1;
        case ARG_NO_ASK_PASSWORD:
                arg_ask_password = false;
                return 1;
        default:
                return option_error(c, argv);
        }
}

int ctl_parse_no_options(int argc, char **argv)
{
        static const struct option options[] = {
                CTL_COMMON_OPTIONS,
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                r = ctl_parse_option(c, argv, NULL);
                if (r <= 0)
                        return r;
        }
        return 1;
}

static int parse_argv(int argc, char **argv)
{
        static const struct option options[] = {
                CTL_COMMON_OPTIONS,
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "+:h", options, NULL)) >= 0) {
                if (c == ARG_VERSION) {
                        printf("agentcgctl %s\n", PACKAGE_VERSION);
                        return 0;
                }

                r = ctl_parse_option(c, argv, NULL);
                if (r <= 0)
                        return r;
        }

        if (optind >= argc) {
                fprintf(stderr, "agentcgctl: no verb given; see agentcgctl --help\n");
                return -EINVAL;
        }
        return 1;
}

/* A full disk or a closed pipe must not pass for success when a script
 * reads our output. */
static int flush_stdout(void)
{
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "agentcgctl: cannot write output: %m\n");
                return -EIO;
        }
        return 0;
}

int main(int argc, char **argv)
{
        const struct verb *v;
        int r;

        /* ctl_parse_option() reports bad options with our name, not the
         * verb's, which getopt would take from the verb's argv[0]. */
        opterr = 0;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 || flush_stdout() < 0 ? CTL_EXIT_FAILURE : EXIT_SUCCESS;

        v = find_verb(argv[optind]);
        if (!v) {
                fprintf(stderr, "agentcgctl: unknown verb '%s'; see agentcgctl --help\n",
                        argv[optind]);
                return CTL_EXIT_FAILURE;
        }

        /* Optind 0 makes getopt_long() start afresh on the verb's words. */
        argc -= optind;
        argv += optind;
        optind = 0;

        r = v->run(argc, argv);
        if (flush_stdout() < 0 && r == 0)
                r = -EIO;
        return r < 0 ? CTL_EXIT_FAILURE : r;
}
