/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sched-probe: the scheduler's view from inside one step, for the vm cases
 * 80-8x and bench/sched-bench.  Three modes:
 *
 *   sleep      an interactive task: sleep a pseudo-random 1-5 ms (fixed
 *              seed, so every run asks for the same sequence), and record
 *              how late it woke, i.e. the wake-up latency the scheduler
 *              adds to the timer's;
 *   work       a step doing fixed short work again and again: sleep
 *              PERIOD, then burn LOOPS iterations of a fixed loop, and
 *              record the time from the planned wake-up to the end of the
 *              work (the "step latency": what the work took plus the wait
 *              for a CPU, at its start and in between);
 *   calibrate  print how many iterations of that loop take US
 *              microseconds on this machine now (the least of several
 *              tries, so a preemption does not inflate it).
 *
 * sleep and work run for SECONDS of wall time, print one summary line
 * ("MODE n=N p50=Xus p90=Xus p99=Xus max=Xus"), and with --raw write every
 * sample, in microseconds, one per line, for pooling across runs.  Timer
 * slack is set to 1 ns so the kernel's default 50 us slack is not counted
 * as scheduler latency.
 *
 * Usage: sched-probe sleep [--min-us N] [--max-us N] [--seconds S] [--raw FILE]
 *        sched-probe work --loops N [--period-us N] [--seconds S] [--raw FILE]
 *        sched-probe calibrate [--us N]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "util.h"

typedef struct Options {
        uint64_t min_us, max_us, period_us, loops, us;
        double seconds;
        const char *raw;
} Options;

typedef struct Samples {
        uint64_t *v; /* nanoseconds */
        size_t n, cap;
} Samples;

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* Sleeps until the absolute CLOCK_MONOTONIC time @t (ns). */
static int sleep_until(uint64_t t)
{
        struct timespec ts = { .tv_sec = (time_t)(t / 1000000000), .tv_nsec = (long)(t % 1000000000) };
        int r;

        do
                r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        while (r == EINTR);
        return -r;
}

/* The fixed work: a dependent chain the compiler cannot fold away. */
static uint64_t burn(uint64_t loops)
{
        volatile uint64_t x = 1;

        for (uint64_t i = 0; i < loops; i++)
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        return x;
}

static int samples_add(Samples *s, uint64_t v)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 4096;
                uint64_t *p = realloc(s->v, cap * sizeof(*p));

                if (!p)
                        return -ENOMEM;
                s->v = p;
                s->cap = cap;
        }
        s->v[s->n++] = v;
        return 0;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples, in microseconds. */
static double pct_us(const Samples *s, double p)
{
        size_t i = (size_t)(p * (double)(s->n - 1) + 0.5);

        return (double)s->v[i] / 1000.0;
}

/* Writes the raw samples (in the order taken), then prints the summary. */
static int report(const char *mode, Samples *s, const char *raw)
{
        if (s->n == 0) {
                fprintf(stderr, "sched-probe: no samples taken\n");
                return -ENODATA;
        }
        if (raw) {
                _cleanup_fclose_ FILE *f = fopen(raw, "we");

                if (!f) {
                        int r = -errno;

                        fprintf(stderr, "sched-probe: %s: %s\n", raw, strerror(-r));
                        return r;
                }
                for (size_t i = 0; i < s->n; i++)
                        fprintf(f, "%.1f\n", (double)s->v[i] / 1000.0);
                if (fflush(f) != 0 || ferror(f)) {
                        fprintf(stderr, "sched-probe: writing %s failed\n", raw);
                        return -EIO;
                }
        }
        qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
        printf("%s n=%zu p50=%.1fus p90=%.1fus p99=%.1fus max=%.1fus\n", mode, s->n,
               pct_us(s, 0.50), pct_us(s, 0.90), pct_us(s, 0.99), pct_us(s, 1.0));
        return 0;
}

/* A small LCG with a fixed seed: the same sleep lengths in every run. */
static uint64_t next_sleep_ns(uint64_t *state, const Options *o)
{
        uint64_t span = o->max_us - o->min_us + 1;

        *state = *state * 6364136223846793005ULL + 1;
        return (o->min_us + (*state >> 33) % span) * 1000;
}

static int run_sleep(const Options *o)
{
        _cleanup_free_ uint64_t *buf = NULL;
        Samples s = {};
        uint64_t seed = 42, end = now_ns() + (uint64_t)(o->seconds * 1e9);
        int r = 0;

        while (r >= 0 && now_ns() < end) {
                uint64_t target = now_ns() + next_sleep_ns(&seed, o);

                r = sleep_until(target);
                if (r >= 0)
                        r = samples_add(&s, now_ns() - target);
        }
        buf = s.v;
        if (r < 0) {
                fprintf(stderr, "sched-probe: %s\n", strerror(-r));
                return r;
        }
        return report("sleep", &s, o->raw);
}

static int run_work(const Options *o)
{
        _cleanup_free_ uint64_t *buf = NULL;
        Samples s = {};
        uint64_t end = now_ns() + (uint64_t)(o->seconds * 1e9);
        int r = 0;

        while (r >= 0 && now_ns() < end) {
                uint64_t release = now_ns() + o->period_us * 1000;

                r = sleep_until(release);
                if (r < 0)
                        break;
                burn(o->loops);
                r = samples_add(&s, now_ns() - release);
        }
        buf = s.v;
        if (r < 0) {
                fprintf(stderr, "sched-probe: %s\n", strerror(-r));
                return r;
        }
        return report("work", &s, o->raw);
}

/* The least time of several tries of a trial loop count, scaled to @us. */
static int run_calibrate(const Options *o)
{
        const uint64_t trial = 200000;
        uint64_t best = UINT64_MAX;

        for (int i = 0; i < 20; i++) {
                uint64_t t = now_ns();

                burn(trial);
                t = now_ns() - t;
                if (t < best)
                        best = t;
        }
        if (best == 0)
                return -ERANGE;
        printf("%" PRIu64 "\n", (uint64_t)((double)trial * (double)o->us * 1000.0 / (double)best));
        return 0;
}

static int parse_u64(const char *s, uint64_t *ret)
{
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_args(int argc, char *argv[], Options *o)
{
        static const struct option longopts[] = {
                { "min-us", required_argument, NULL, 'a' },
                { "max-us", required_argument, NULL, 'b' },
                { "period-us", required_argument, NULL, 'p' },
                { "loops", required_argument, NULL, 'l' },
                { "us", required_argument, NULL, 'u' },
                { "seconds", required_argument, NULL, 's' },
                { "raw", required_argument, NULL, 'r' },
                {}
        };
        int c, r = 0;

        while (r >= 0 && (c = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
                char *end;

                switch (c) {
                case 'a': r = parse_u64(optarg, &o->min_us); break;
                case 'b': r = parse_u64(optarg, &o->max_us); break;
                case 'p': r = parse_u64(optarg, &o->period_us); break;
                case 'l': r = parse_u64(optarg, &o->loops); break;
                case 'u': r = parse_u64(optarg, &o->us); break;
                case 'r': o->raw = optarg; break;
                case 's':
                        o->seconds = strtod(optarg, &end);
                        if (*end != '\0' || !(o->seconds > 0))
                                r = -EINVAL;
                        break;
                default: return -EINVAL;
                }
        }
        if (r < 0 || o->min_us == 0 || o->max_us < o->min_us || o->us == 0)
                return -EINVAL;
        return 0;
}

int main(int argc, char *argv[])
{
        Options o = { .min_us = 1000, .max_us = 5000, .period_us = 5000, .us = 2000, .seconds = 10 };
        const char *mode;
        int r;

        if (argc < 2) {
                fprintf(stderr, "usage: sched-probe sleep|work|calibrate [OPTIONS]\n");
                return 2;
        }
        mode = argv[1];
        if (parse_args(argc - 1, argv + 1, &o) < 0) {
                fprintf(stderr, "sched-probe: bad option (see the header of sched-probe.c)\n");
                return 2;
        }
        /* Without this the kernel may add up to 50 us to every timer. */
        if (prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) < 0)
                fprintf(stderr, "sched-probe: cannot set timer slack: %m\n");

        if (streq(mode, "sleep"))
                r = run_sleep(&o);
        else if (streq(mode, "work") && o.loops > 0)
                r = run_work(&o);
        else if (streq(mode, "calibrate"))
                r = run_calibrate(&o);
        else {
                fprintf(stderr, "sched-probe: unknown mode '%s' or missing --loops\n", mode);
                return 2;
        }
        return r < 0 ? 1 : 0;
}
