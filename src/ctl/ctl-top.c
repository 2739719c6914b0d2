/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The top verb: every step with its CPU share over the last interval and
 * what the scheduler did to it, refreshed every interval.
 *
 * CPU time comes from each step's cpu.stat, read twice an interval apart,
 * so the share is the kernel's own number whether or not the scheduler is
 * attached.  The rest comes from the scheduler's bus object
 * (org.agentcg1.Scheduler): cpu.max throttles, latency boosts and boosts
 * that used up their credit, and memory penalties (MEM shows "on" while
 * the step is under one, and how many it had).  Without the scheduler
 * those columns show "-".
 *
 * The output is plain text, one line per step, so that "top -n 1" works
 * in scripts too; between refreshes the screen is cleared if stdout is a
 * terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-util.h"
#include "ctl-bus.h"
#include "ctl-top.h"
#include "ctl.h"
#include "parse.h"
#include "util.h"

#define SCHED_PATH AGENTCG_OBJECT_PATH "/scheduler"
#define SCHED_INTERFACE "org.agentcg1.Scheduler"
#define CGROUP_FS "/sys/fs/cgroup"

enum {
        ARG_INTERVAL = 0x200,
};

struct row {
        char *label;  /* SESSION/STEP */
        char *cgroup; /* as the API names it */
        uint64_t usage0, usage1;
        char class[16];
};

struct sched_counters {
        bool ok;
        uint64_t boosts, exhausted, penalties, penalty_on, penalty_usec;
        int64_t credit_ns;
        uint64_t throttles, throttled_usec;
};

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t step_usage(const char *cgroup)
{
        _cleanup_free_ char *dir = NULL;
        uint64_t v = 0;

        if (asprintf(&dir, CGROUP_FS "%s", cgroup) >= 0)
                (void)cg_read_key(dir, "cpu.stat", "usage_usec", &v);
        return v;
}

static void step_class(const char *cgroup, char *buf, size_t n)
{
        _cleanup_free_ char *dir = NULL;
        ssize_t len = -1;

        if (asprintf(&dir, CGROUP_FS "%s", cgroup) >= 0)
                len = getxattr(dir, "trusted.agentcg.class", buf, n - 1);
        if (len <= 0)
                snprintf(buf, n, "-");
        else
                buf[len] = '\0';
}

static void rows_free(struct row *rows, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(rows[i].label);
                free(rows[i].cgroup);
        }
        free(rows);
}

/* One row per step of every session. */
static int collect(sd_bus *bus, struct row **ret, size_t *ret_n)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        struct ctl_list sessions = {};
        struct row *rows = NULL;
        size_t n = 0;
        int r;

        r = ctl_list_sessions(bus, &sessions, &error);
        if (r < 0)
                return ctl_log_bus_error(&error, r, "cannot list the sessions");

        for (size_t i = 0; i < sessions.n; i++) {
                struct ctl_list steps = {};

                if (ctl_list_steps(bus, sessions.entries[i].name, &steps, NULL) < 0)
                        continue; /* ended meanwhile */
                for (size_t j = 0; j < steps.n; j++) {
                        struct row *grown = realloc(rows, (n + 1) * sizeof(*rows));

                        if (!grown)
                                break;
                        rows = grown;
                        rows[n] = (struct row){.cgroup = strdup(steps.entries[j].cgroup)};
                        if (asprintf(&rows[n].label, "%s/%s", sessions.entries[i].name,
                                     steps.entries[j].name) < 0)
                                rows[n].label = NULL;
                        if (!rows[n].label || !rows[n].cgroup) {
                                free(rows[n].label);
                                free(rows[n].cgroup);
                                break;
                        }
                        step_class(rows[n].cgroup, rows[n].class, sizeof(rows[n].class));
                        n++;
                }
                ctl_list_done(&steps);
        }
        ctl_list_done(&sessions);

        *ret = rows;
        *ret_n = n;
        return 0;
}

static void read_counters(sd_bus *bus, const char *cgroup, struct sched_counters *c)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *bw = NULL;
        int64_t budget;

        *c = (struct sched_counters){};
        if (sd_bus_call_method(bus, AGENTCG_BUS_NAME, SCHED_PATH, SCHED_INTERFACE, "CgroupCounters",
                               NULL, &reply, "s", cgroup) < 0 ||
            sd_bus_message_read(reply, "(tttxtt)", &c->boosts, &c->exhausted, &c->credit_ns,
                                &c->penalties, &c->penalty_on, &c->penalty_usec) < 0)
                return;
        if (sd_bus_call_method(bus, AGENTCG_BUS_NAME, SCHED_PATH, SCHED_INTERFACE,
                               "CgroupBandwidth", NULL, &bw, "s", cgroup) < 0 ||
            sd_bus_message_read(bw, "(tttx)", NULL, &c->throttles, &c->throttled_usec, &budget) < 0)
                return;
        c->ok = true;
}

static void print_header(sd_bus *bus, uint64_t interval_usec)
{
        _cleanup_free_ char *state = NULL;

        if (sd_bus_get_property_string(bus, AGENTCG_BUS_NAME, SCHED_PATH, SCHED_INTERFACE, "State",
                                       NULL, &state) < 0)
                state = NULL;
        printf("scheduler: %s, interval %.1f s\n", state ?: "unknown", (double)interval_usec / 1e6);
        printf("%-32s %-11s %6s %9s %7s %9s %10s\n", "STEP", "CLASS", "CPU%", "THROTTLES", "BOOSTS",
               "EXHAUSTED", "MEM");
}

static void print_row(sd_bus *bus, const struct row *row, uint64_t dt)
{
        struct sched_counters c;
        char mem[24];
        double cpu = dt ? 100.0 * (double)(row->usage1 - row->usage0) / (double)dt : 0;

        read_counters(bus, row->cgroup, &c);
        if (!c.ok) {
                printf("%-32s %-11s %6.1f %9s %7s %9s %10s\n", row->label, row->class, cpu, "-",
                       "-", "-", "-");
                return;
        }
        snprintf(mem, sizeof(mem), "%s/%" PRIu64, c.penalty_on ? "on" : "off", c.penalties);
        printf("%-32s %-11s %6.1f %9" PRIu64 " %7" PRIu64 " %9" PRIu64 " %10s\n", row->label,
               row->class, cpu, c.throttles, c.boosts, c.exhausted, mem);
}

/* One refresh: list, sample, wait, sample, print. */
static int refresh(sd_bus *bus, uint64_t interval_usec, bool clear)
{
        struct row *rows = NULL;
        uint64_t t0, t1;
        size_t n = 0;
        int r;

        r = collect(bus, &rows, &n);
        if (r < 0)
                return r;

        t0 = now_usec();
        for (size_t i = 0; i < n; i++)
                rows[i].usage0 = step_usage(rows[i].cgroup);
        usleep((useconds_t)interval_usec);
        t1 = now_usec();
        for (size_t i = 0; i < n; i++)
                rows[i].usage1 = step_usage(rows[i].cgroup);

        if (clear)
                fputs("\033[H\033[2J", stdout);
        print_header(bus, t1 - t0);
        for (size_t i = 0; i < n; i++)
                print_row(bus, &rows[i], t1 - t0);
        fflush(stdout);

        rows_free(rows, n);
        return 0;
}

static int parse_args(int argc, char **argv, uint64_t *interval, uint64_t *iterations)
{
        static const struct option options[] = {
                CTL_COMMON_OPTIONS,
                {"interval", required_argument, NULL, ARG_INTERVAL},
                {"iterations", required_argument, NULL, 'n'},
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, ":hn:", options, NULL)) >= 0) {
                switch (c) {
                case ARG_INTERVAL:
                        r = parse_usec(optarg, interval);
                        if (r < 0 || *interval < 100000) {
                                fprintf(stderr,
                                        "agentcgctl: invalid interval '%s' "
                                        "(at least 100ms)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case 'n':
                        r = parse_uint64(optarg, iterations);
                        if (r < 0) {
                                fprintf(stderr, "agentcgctl: invalid count '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                default:
                        r = ctl_parse_option(c, argv, NULL);
                        if (r <= 0)
                                return r;
                }
        }
        if (optind != argc)
                return ctl_usage_error("top");
        return 1;
}

int verb_top(int argc, char **argv)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        uint64_t interval = 1000000, iterations = 0;
        bool clear = isatty(STDOUT_FILENO);
        int r;

        r = parse_args(argc, argv, &interval, &iterations);
        if (r <= 0)
                return r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;

        for (uint64_t i = 0; iterations == 0 || i < iterations; i++) {
                r = refresh(bus, interval, clear);
                if (r < 0)
                        return r;
        }
        return 0;
}
