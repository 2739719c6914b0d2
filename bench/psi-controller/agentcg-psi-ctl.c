/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * agentcg-psi-ctl: the evaluation's userspace baseline (MISSION.md, RQ1
 * and RQ2): the kind of controller one writes without kernel help.  Every
 * --interval-ms it reads the pressure (PSI) and memory.events files of
 * every session and step under agentcg.slice and rewrites their limits:
 *
 *   CPU      per session scope, because under the fair class sessions
 *            compete with each other by the scope's cpu.weight (a step's
 *            weight only counts among the steps of its own session).  When
 *            a session stalls (cpu.pressure "some" above --cpu-stall-pct of
 *            the interval) while using less than its fair share, every
 *            session using more than its share and at least half a CPU
 *            has its weight halved, and the stalled one has its weight
 *            doubled (a session throttled within --relax-ms is not
 *            boosted, and weights stay within 1/16 and 4 times where they
 *            started).  Once a session has been calm for --relax-ms, its
 *            weight moves back, a factor of two per tick.
 *   memory   per step.  When any step stalls on memory (memory.pressure
 *            "some" above --mem-stall-pct), hits memory.max or has a
 *            member OOM-killed, the largest step above --mem-floor-mb gets
 *            memory.high at 3/4 of what it uses; while its memory.events
 *            "high" keeps growing it is tightened by 3/4 again, never
 *            below the floor.  Once calm for --relax-ms, memory.high grows
 *            by half per tick until it reaches memory.max and goes back
 *            to "max".
 *
 * It never touches a cgroup it did not see first, restores nothing on
 * exit (the sessions of a replay end with it), and logs every write it
 * makes, with its CLOCK_MONOTONIC time, to --log as CSV, so that the
 * analysis can tell how long after a neighbour started it reacted.  On
 * SIGTERM or SIGINT it writes --summary (ticks, overruns, its own CPU
 * time and peak RSS) and exits 0.
 *
 * Usage: agentcg-psi-ctl --interval-ms N [--root DIR] [--log FILE]
 *                        [--summary FILE] [--cpu-stall-pct P]
 *                        [--mem-stall-pct P] [--mem-floor-mb MB]
 *                        [--relax-ms MS]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define NSEC_PER_USEC UINT64_C(1000)
#define NSEC_PER_MSEC UINT64_C(1000000)
#define NSEC_PER_SEC UINT64_C(1000000000)
#define MIB (UINT64_C(1) << 20)

#define MAX_GROUPS 1024
#define REL_PATH_MAX 256
#define LIMIT_MAX UINT64_MAX /* "max" in a cgroup file */

#define WEIGHT_MIN 1
#define WEIGHT_MAX 10000
#define WEIGHT_RANGE 16
/* A session "uses" the CPU at all above this many CPUs. */
#define ACTIVE_CPUS 0.05
/* A hog uses at least this many CPUs as well as more than its share. */
#define HOG_MIN_CPUS 0.5

/* The files read on every tick. */
typedef enum TrackedFile {
        F_CPU_STAT,
        F_CPU_PRESSURE,
        F_MEMORY_EVENTS,
        F_MEMORY_PRESSURE,
        F_MEMORY_CURRENT,
        _F_MAX,
} TrackedFile;

static const char *const tracked_names[_F_MAX] = {
        [F_CPU_STAT] = "cpu.stat",
        [F_CPU_PRESSURE] = "cpu.pressure",
        [F_MEMORY_EVENTS] = "memory.events",
        [F_MEMORY_PRESSURE] = "memory.pressure",
        [F_MEMORY_CURRENT] = "memory.current",
};

typedef struct Options {
        const char *root;
        const char *log_path;
        const char *summary_path;
        uint64_t interval_ns;
        double cpu_stall;
        double mem_stall;
        uint64_t mem_floor;
        uint64_t relax_ns;
} Options;

/* One session scope or step cgroup, with its last readings and what the
 * controller did to it. */
typedef struct Group {
        char path[REL_PATH_MAX]; /* relative to the root */
        bool is_session;
        bool fresh; /* no previous reading, so no deltas yet */
        int fds[_F_MAX];
        unsigned generation;

        uint64_t usage_usec, cpu_some_usec, mem_some_usec;
        uint64_t ev_high, ev_max, ev_oom_kill;
        uint64_t current, memory_max;

        double use, cpu_stall, mem_stall; /* over the last tick */
        uint64_t d_high, d_max, d_oom_kill;

        uint64_t orig_weight, weight; /* sessions */
        uint64_t high;                /* steps: what we set, or LIMIT_MAX */
        uint64_t last_trouble_ns;
        uint64_t last_hog_ns; /* sessions: when it was last throttled */
} Group;

typedef struct Controller {
        Options opt;
        FILE *log;
        Group groups[MAX_GROUPS];
        size_t n_groups;
        unsigned generation;
        long ncpu;
        uint64_t ticks, overruns, actions, write_errors;
        uint64_t tick_sum_ns, tick_max_ns;
        uint64_t started_ns;
} Controller;

static volatile sig_atomic_t stop_requested;

static void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void on_signal(int sig)
{
        (void)sig;
        stop_requested = 1;
}

/* --- reading cgroup files --- */

/* Opens ROOT/REL/FILE. */
static int open_file(const char *root, const char *rel, const char *file)
{
        char path[4096];
        int fd;

        snprintf(path, sizeof(path), "%s/%s/%s", root, rel, file);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

static int read_fd(int fd, char *buf, size_t size)
{
        ssize_t n = pread(fd, buf, size - 1, 0);

        if (n < 0)
                return negative_errno();
        buf[n] = '\0';
        return 0;
}

/* One of the files read every tick, through a descriptor kept open for
 * the group's lifetime: re-reading at offset 0 costs one system call,
 * where open, read and close cost three and a path walk, which under
 * emulation is most of what a tick costs. */
static int read_tracked(const Controller *c, Group *g, TrackedFile f, char *buf, size_t size)
{
        if (g->fds[f] < 0) {
                int fd = open_file(c->opt.root, g->path, tracked_names[f]);

                if (fd < 0)
                        return fd;
                g->fds[f] = fd;
        }
        return read_fd(g->fds[f], buf, size);
}

/* A file read once, when the group is first seen. */
static int read_once(const Controller *c, const Group *g, const char *file, char *buf,
                     size_t size)
{
        _cleanup_close_ int fd = open_file(c->opt.root, g->path, file);

        return fd < 0 ? fd : read_fd(fd, buf, size);
}

/* The number after KEY on the line of BUF that starts with LINE_PREFIX. */
static int find_value(const char *buf, const char *line_prefix, const char *key,
                      uint64_t *ret)
{
        const char *p = buf;
        size_t n = strlen(line_prefix);

        for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                const char *k;

                if (strncmp(p, line_prefix, n) != 0)
                        continue;
                k = strstr(p, key);
                if (!k)
                        return -ENOENT;
                *ret = strtoull(k + strlen(key), NULL, 10);
                return 0;
        }
        return -ENOENT;
}

static uint64_t parse_limit(const char *buf)
{
        return strncmp(buf, "max", 3) == 0 ? LIMIT_MAX : strtoull(buf, NULL, 10);
}

static int write_value(const Controller *c, const char *rel, const char *file, uint64_t v)
{
        _cleanup_fclose_ FILE *f = NULL;
        char path[4096];

        snprintf(path, sizeof(path), "%s/%s/%s", c->opt.root, rel, file);
        f = fopen(path, "we");
        if (!f)
                return negative_errno();
        if (v == LIMIT_MAX)
                fputs("max", f);
        else
                fprintf(f, "%" PRIu64, v);
        return fflush(f) == 0 ? 0 : negative_errno();
}

/* --- the table of groups --- */

static Group *group_get(Controller *c, const char *rel, bool is_session)
{
        Group *g;

        for (size_t i = 0; i < c->n_groups; i++)
                if (streq(c->groups[i].path, rel))
                        return &c->groups[i];
        if (c->n_groups == MAX_GROUPS)
                return NULL;
        g = &c->groups[c->n_groups++];
        *g = (Group) { .is_session = is_session, .fresh = true, .high = LIMIT_MAX };
        for (int f = 0; f < _F_MAX; f++)
                g->fds[f] = -EBADF;
        snprintf(g->path, sizeof(g->path), "%s", rel);
        return g;
}

/* Drops what was not seen in the last scan: ended steps and sessions. */
static void groups_sweep(Controller *c)
{
        size_t j = 0;

        for (size_t i = 0; i < c->n_groups; i++) {
                Group *g = &c->groups[i];

                if (g->generation == c->generation) {
                        c->groups[j++] = *g;
                        continue;
                }
                for (int f = 0; f < _F_MAX; f++)
                        closep(&g->fds[f]);
        }
        c->n_groups = j;
}

static double delta_frac(uint64_t now, uint64_t before, uint64_t span)
{
        return now > before && span > 0 ? (double)(now - before) / (double)span : 0.0;
}

static uint64_t delta(uint64_t now, uint64_t before)
{
        return now > before ? now - before : 0;
}

/* Reads a session scope: CPU use and stall over the last tick. */
static int session_read(Controller *c, Group *g, uint64_t dt_usec)
{
        uint64_t usage = 0, some = 0, weight = 0;
        char buf[512];
        int r;

        r = read_tracked(c, g, F_CPU_STAT, buf, sizeof(buf));
        if (r >= 0)
                r = find_value(buf, "usage_usec", "usage_usec ", &usage);
        if (r >= 0)
                r = read_tracked(c, g, F_CPU_PRESSURE, buf, sizeof(buf));
        if (r >= 0)
                r = find_value(buf, "some ", "total=", &some);
        if (r >= 0 && g->fresh) {
                r = read_once(c, g, "cpu.weight", buf, sizeof(buf));
                weight = parse_limit(buf);
        }
        if (r < 0)
                return r;

        if (g->fresh) {
                g->orig_weight = g->weight = weight;
                g->use = g->cpu_stall = 0;
        } else {
                g->use = delta_frac(usage, g->usage_usec, dt_usec);
                g->cpu_stall = delta_frac(some, g->cpu_some_usec, dt_usec);
        }
        g->usage_usec = usage;
        g->cpu_some_usec = some;
        return 0;
}

/* Reads a step: memory use, stall and events over the last tick. */
static int step_read(Controller *c, Group *g, uint64_t dt_usec)
{
        uint64_t some = 0, high = 0, max = 0, oom_kill = 0, current = 0, memory_max = 0;
        char buf[1024];
        int r;

        r = read_tracked(c, g, F_MEMORY_EVENTS, buf, sizeof(buf));
        if (r >= 0)
                r = find_value(buf, "high ", "high ", &high);
        if (r >= 0)
                r = find_value(buf, "max ", "max ", &max);
        if (r >= 0)
                r = find_value(buf, "oom_kill ", "oom_kill ", &oom_kill);
        if (r >= 0)
                r = read_tracked(c, g, F_MEMORY_PRESSURE, buf, sizeof(buf));
        if (r >= 0)
                r = find_value(buf, "some ", "total=", &some);
        if (r >= 0)
                r = read_tracked(c, g, F_MEMORY_CURRENT, buf, sizeof(buf));
        if (r >= 0)
                current = parse_limit(buf);
        if (r >= 0 && g->fresh) {
                r = read_once(c, g, "memory.max", buf, sizeof(buf));
                memory_max = parse_limit(buf);
        } else
                memory_max = g->memory_max;
        if (r < 0)
                return r;

        if (!g->fresh) {
                g->mem_stall = delta_frac(some, g->mem_some_usec, dt_usec);
                g->d_high = delta(high, g->ev_high);
                g->d_max = delta(max, g->ev_max);
                g->d_oom_kill = delta(oom_kill, g->ev_oom_kill);
        }
        g->mem_some_usec = some;
        g->ev_high = high;
        g->ev_max = max;
        g->ev_oom_kill = oom_kill;
        g->current = current;
        g->memory_max = memory_max;
        return 0;
}

static void group_update(Controller *c, const char *rel, bool is_session, uint64_t dt_usec)
{
        Group *g = group_get(c, rel, is_session);
        int r;

        if (!g)
                return;
        r = is_session ? session_read(c, g, dt_usec) : step_read(c, g, dt_usec);
        if (r < 0) {
                /* Gone between readdir() and the read: not seen. */
                if (r != -ENOENT && r != -ENODEV)
                        fprintf(stderr, "agentcg-psi-ctl: reading %s: %s\n", rel, strerror(-r));
                return;
        }
        g->generation = c->generation;
        if (!g->fresh)
                return;
        g->fresh = false;
        g->d_high = g->d_max = g->d_oom_kill = 0;
        g->mem_stall = 0;
}

static bool is_dir_entry(const struct dirent *de)
{
        return de->d_type == DT_DIR && de->d_name[0] != '.';
}

static bool is_session_name(const char *name)
{
        size_t n = strlen(name);

        return strncmp(name, "agentcg-", 8) == 0 && n > 6 && streq(name + n - 6, ".scope");
}

static void scan_session(Controller *c, const char *session, uint64_t dt_usec)
{
        _cleanup_(closedirp) DIR *d = NULL;
        char path[4096], rel[REL_PATH_MAX];
        struct dirent *de;

        group_update(c, session, true, dt_usec);
        snprintf(path, sizeof(path), "%s/%s", c->opt.root, session);
        d = opendir(path);
        if (!d)
                return;
        while ((de = readdir(d)))
                if (is_dir_entry(de) && !streq(de->d_name, "supervisor") &&
                    (size_t)snprintf(rel, sizeof(rel), "%s/%s", session, de->d_name) <
                            sizeof(rel))
                        group_update(c, rel, false, dt_usec);
}

static int scan(Controller *c, uint64_t dt_usec)
{
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        c->generation++;
        d = opendir(c->opt.root);
        if (!d)
                return negative_errno();
        while ((de = readdir(d)))
                if (is_dir_entry(de) && is_session_name(de->d_name))
                        scan_session(c, de->d_name, dt_usec);
        groups_sweep(c);
        return 0;
}

/* --- decisions --- */

static const char *limit_str(uint64_t v, char buf[static 24])
{
        if (v == LIMIT_MAX)
                return "max";
        snprintf(buf, 24, "%" PRIu64, v);
        return buf;
}

static void act(Controller *c, Group *g, const char *knob, uint64_t old, uint64_t new,
                const char *why)
{
        char a[24], b[24];
        int r = write_value(c, g->path, knob, new);

        if (r < 0) {
                if (r != -ENOENT && r != -ENODEV) {
                        fprintf(stderr, "agentcg-psi-ctl: writing %s/%s: %s\n", g->path, knob,
                                strerror(-r));
                        c->write_errors++;
                }
                return;
        }
        c->actions++;
        if (c->log)
                fprintf(c->log, "%" PRIu64 ",%s,%s,%s,%s,%s\n", now_ns(), g->path, knob,
                        limit_str(old, a), limit_str(new, b), why);
}

/* Within [original / WEIGHT_RANGE, original * WEIGHT_RANGE / 4]: a
 * controller that could drive a weight to 1 or 10000 would starve a
 * tenant on one bad reading. */
static void set_weight(Controller *c, Group *g, uint64_t w, const char *why)
{
        uint64_t lo = g->orig_weight / WEIGHT_RANGE, hi = g->orig_weight * WEIGHT_RANGE / 4;

        lo = lo < WEIGHT_MIN ? WEIGHT_MIN : lo;
        hi = hi > WEIGHT_MAX ? WEIGHT_MAX : hi;
        w = w < lo ? lo : w > hi ? hi : w;
        if (w == g->weight)
                return;
        act(c, g, "cpu.weight", g->weight, w, why);
        g->weight = w;
}

static double fair_share(const Controller *c)
{
        unsigned active = 0;

        for (size_t i = 0; i < c->n_groups; i++)
                if (c->groups[i].is_session && c->groups[i].use > ACTIVE_CPUS)
                        active++;
        return (double)c->ncpu / (active ? active : 1);
}

static void relax_weight(Controller *c, Group *g, uint64_t now)
{
        if (g->weight == g->orig_weight || now - g->last_trouble_ns < c->opt.relax_ns)
                return;
        if (g->weight < g->orig_weight)
                set_weight(c, g, g->weight * 2 > g->orig_weight ? g->orig_weight : g->weight * 2,
                           "relax");
        else
                set_weight(c, g, g->weight / 2 < g->orig_weight ? g->orig_weight : g->weight / 2,
                           "relax");
}

static void decide_cpu(Controller *c, uint64_t now)
{
        double fair = fair_share(c);
        bool stalled = false;

        /* A session throttled as a hog stalls because it was throttled;
         * it is not boosted as a victim until it has been calm for the
         * relax period, or the two rules would take turns on it. */
        for (size_t i = 0; i < c->n_groups; i++) {
                Group *g = &c->groups[i];

                if (g->is_session && g->cpu_stall >= c->opt.cpu_stall && g->use < fair &&
                    now - g->last_hog_ns >= c->opt.relax_ns) {
                        stalled = true;
                        g->last_trouble_ns = now;
                        set_weight(c, g, g->weight * 2, "stalled");
                }
        }
        for (size_t i = 0; i < c->n_groups; i++) {
                Group *g = &c->groups[i];

                if (!g->is_session)
                        continue;
                if (stalled && g->use >= fair && g->use >= HOG_MIN_CPUS) {
                        g->last_trouble_ns = g->last_hog_ns = now;
                        set_weight(c, g, g->weight / 2, "hog");
                } else
                        relax_weight(c, g, now);
        }
}

static bool memory_trouble(const Controller *c)
{
        for (size_t i = 0; i < c->n_groups; i++) {
                const Group *g = &c->groups[i];

                if (!g->is_session && (g->mem_stall >= c->opt.mem_stall || g->d_max > 0 ||
                                       g->d_oom_kill > 0))
                        return true;
        }
        return false;
}

static Group *largest_step(Controller *c)
{
        Group *best = NULL;

        for (size_t i = 0; i < c->n_groups; i++) {
                Group *g = &c->groups[i];

                if (!g->is_session && g->current > c->opt.mem_floor &&
                    (!best || g->current > best->current))
                        best = g;
        }
        return best;
}

static void tighten(Controller *c, Group *g, uint64_t now)
{
        uint64_t base = g->high == LIMIT_MAX || g->high > g->current ? g->current : g->high;
        uint64_t high = base / 4 * 3;

        g->last_trouble_ns = now;
        if (high < c->opt.mem_floor)
                high = c->opt.mem_floor;
        if (high >= g->high)
                return;
        act(c, g, "memory.high", g->high, high, g->high == LIMIT_MAX ? "pressure" : "still-high");
        g->high = high;
}

static void relax_high(Controller *c, Group *g, uint64_t now)
{
        uint64_t high;

        if (g->high == LIMIT_MAX || now - g->last_trouble_ns < c->opt.relax_ns)
                return;
        high = g->high / 2 * 3;
        if (high >= g->memory_max || high < g->high)
                high = LIMIT_MAX;
        act(c, g, "memory.high", g->high, high, "relax");
        g->high = high;
}

static void decide_memory(Controller *c, uint64_t now)
{
        Group *big = memory_trouble(c) ? largest_step(c) : NULL;

        if (big)
                tighten(c, big, now);
        for (size_t i = 0; i < c->n_groups; i++) {
                Group *g = &c->groups[i];

                if (g->is_session || g == big)
                        continue;
                if (g->high != LIMIT_MAX && g->d_high > 0) {
                        /* Still pushing against what we set. */
                        tighten(c, g, now);
                        continue;
                }
                relax_high(c, g, now);
        }
}

/* --- the loop --- */

static void tick(Controller *c, uint64_t dt_ns)
{
        uint64_t t0 = now_ns(), took;
        int r;

        r = scan(c, dt_ns / NSEC_PER_USEC);
        if (r < 0 && r != -ENOENT)
                fprintf(stderr, "agentcg-psi-ctl: scanning %s: %s\n", c->opt.root, strerror(-r));
        decide_cpu(c, t0);
        decide_memory(c, t0);
        took = now_ns() - t0;
        c->ticks++;
        c->tick_sum_ns += took;
        if (took > c->tick_max_ns)
                c->tick_max_ns = took;
}

static void run(Controller *c)
{
        uint64_t next = now_ns(), last = next;

        while (!stop_requested) {
                uint64_t now = now_ns();
                struct timespec ts;

                tick(c, now - last);
                last = now;
                next += c->opt.interval_ns;
                now = now_ns();
                if (next <= now) {
                        /* Fell behind: count it, and do not try to catch up. */
                        c->overruns++;
                        next = now + c->opt.interval_ns;
                }
                ts.tv_sec = (time_t)(next / NSEC_PER_SEC);
                ts.tv_nsec = (long)(next % NSEC_PER_SEC);
                (void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        }
}

static int write_summary(const Controller *c)
{
        _cleanup_fclose_ FILE *f = NULL;
        struct rusage ru;

        if (!c->opt.summary_path)
                return 0;
        if (getrusage(RUSAGE_SELF, &ru) < 0)
                return negative_errno();
        f = fopen(c->opt.summary_path, "we");
        if (!f)
                return negative_errno();
        fprintf(f,
                "interval_ms=%" PRIu64 "\nticks=%" PRIu64 "\noverruns=%" PRIu64
                "\nactions=%" PRIu64 "\nwrite_errors=%" PRIu64 "\ntick_mean_us=%.1f\n"
                "tick_max_us=%.1f\nwall_ms=%.1f\ncpu_ms=%.1f\nmaxrss_kb=%ld\n",
                c->opt.interval_ns / NSEC_PER_MSEC, c->ticks, c->overruns, c->actions,
                c->write_errors,
                c->ticks ? (double)c->tick_sum_ns / (double)c->ticks / NSEC_PER_USEC : 0.0,
                (double)c->tick_max_ns / NSEC_PER_USEC,
                (double)(now_ns() - c->started_ns) / NSEC_PER_MSEC,
                (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
                        (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0,
                ru.ru_maxrss);
        return fflush(f) == 0 ? 0 : negative_errno();
}

/* --- options --- */

static int parse_number(const char *s, double lo, double hi, double *ret)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || *end || !(v >= lo && v <= hi))
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_options(int argc, char **argv, Options *o)
{
        static const struct option options[] = {
                { "interval-ms", required_argument, NULL, 'i' },
                { "root", required_argument, NULL, 'r' },
                { "log", required_argument, NULL, 'l' },
                { "summary", required_argument, NULL, 's' },
                { "cpu-stall-pct", required_argument, NULL, 'c' },
                { "mem-stall-pct", required_argument, NULL, 'm' },
                { "mem-floor-mb", required_argument, NULL, 'f' },
                { "relax-ms", required_argument, NULL, 'x' },
                {},
        };
        double v;
        int ch;

        while ((ch = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                if (ch == 'r' || ch == 'l' || ch == 's') {
                        *(ch == 'r' ? &o->root : ch == 'l' ? &o->log_path : &o->summary_path) =
                                optarg;
                        continue;
                }
                if (ch == '?' || parse_number(optarg, 0, 1e7, &v) < 0)
                        return -EINVAL;
                switch (ch) {
                case 'i':
                        o->interval_ns = (uint64_t)(v * NSEC_PER_MSEC);
                        break;
                case 'c':
                        o->cpu_stall = v / 100.0;
                        break;
                case 'm':
                        o->mem_stall = v / 100.0;
                        break;
                case 'f':
                        o->mem_floor = (uint64_t)v * MIB;
                        break;
                case 'x':
                        o->relax_ns = (uint64_t)(v * NSEC_PER_MSEC);
                        break;
                }
        }
        return optind == argc && o->interval_ns >= NSEC_PER_MSEC ? 0 : -EINVAL;
}

static int open_log(Controller *c)
{
        if (!c->opt.log_path)
                return 0;
        c->log = fopen(c->opt.log_path, "we");
        if (!c->log)
                return negative_errno();
        /* Line-buffered: a killed controller still leaves its actions. */
        setvbuf(c->log, NULL, _IOLBF, 0);
        fputs("mono_ns,cgroup,knob,old,new,reason\n", c->log);
        return 0;
}

int main(int argc, char **argv)
{
        static Controller c = {
                .opt = {
                        .root = "/sys/fs/cgroup/agentcg.slice",
                        .cpu_stall = 0.10,
                        .mem_stall = 0.02,
                        .mem_floor = 128 * MIB,
                        .relax_ns = 1000 * NSEC_PER_MSEC,
                },
        };
        struct sigaction sa = { .sa_handler = on_signal };
        int r;

        if (parse_options(argc, argv, &c.opt) < 0) {
                fprintf(stderr, "agentcg-psi-ctl: bad options (see the header of "
                                "agentcg-psi-ctl.c); --interval-ms is required\n");
                return 2;
        }
        c.ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        if (c.ncpu < 1)
                c.ncpu = 1;
        r = open_log(&c);
        if (r < 0) {
                fprintf(stderr, "agentcg-psi-ctl: %s: %s\n", c.opt.log_path, strerror(-r));
                return 1;
        }
        /* No SA_RESTART: the signal cuts the sleep short. */
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);

        c.started_ns = now_ns();
        run(&c);

        r = write_summary(&c);
        if (r < 0)
                fprintf(stderr, "agentcg-psi-ctl: %s: %s\n", c.opt.summary_path, strerror(-r));
        if (c.log)
                fclose(c.log);
        return r < 0 ? 1 : 0;
}
