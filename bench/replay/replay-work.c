/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The workers that stand in for tool calls, and the calibration they are
 * timed against.
 *
 * A worker does a fixed amount of work, not "run for N ms": CPU demand is
 * a number of iterations of burn(), memory demand a number of bytes to
 * write.  Alone on the machine that work takes its planned time (the
 * calibration converts); next to neighbours it takes longer, and the
 * ratio is the step's slowdown.  A worker that merely ran for its
 * planned time would always look on time.
 *
 * A work step's memory either is written at its start and held to its
 * end, or follows the curve the plan gives it (levels at fractions of its
 * duration, from the trace's memory samples): a rising level maps and
 * writes the difference, a falling one unmaps it, latest first.
 *
 * burn() is a dependent multiply-add chain on a volatile, so the compiler
 * can neither vectorize nor drop it, and its speed does not depend on
 * caches: under TCG every iteration costs about the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay.h"
#include "util.h"

/* A work step alternates CPU and sleep in periods of this length, like a
 * test run that computes, waits for a file, computes again. */
#define WORK_PERIOD_MS 20

#define MB (UINT64_C(1) << 20)

/* Probe lateness histogram: buckets at 10^(k/10) us, 1 us to 10 s. */
#define HIST_BUCKETS 71

void sleep_until_ns(uint64_t t)
{
        struct timespec ts = {
                .tv_sec = (time_t)(t / NSEC_PER_SEC),
                .tv_nsec = (long)(t % NSEC_PER_SEC),
        };

        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
}

void sleep_ns(uint64_t ns)
{
        sleep_until_ns(now_ns() + ns);
}

uint64_t burn(uint64_t iters)
{
        volatile uint64_t x = 1;

        for (uint64_t i = 0; i < iters; i++)
                x = x * UINT64_C(6364136223846793005) + i;
        return x;
}

uint64_t burn_iters_for_us(const Calibration *c, double usec)
{
        double iters = c->iters_per_ms * usec / 1000.0;

        return iters > 0 ? (uint64_t)iters : 0;
}

/* Maps SIZE bytes and writes all of them: a process that fills its heap. */
static void *touch_new(uint64_t size)
{
        void *p;

        if (size == 0)
                return NULL;
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return NULL;
        memset(p, 0x5a, size);
        return p;
}

static void touch_free(void *p, uint64_t size)
{
        if (p)
                munmap(p, size);
}

int curve_parse(const char *arg, CurveLevel *levels, size_t max)
{
        const char *p = arg;
        size_t n = 0;

        while (p && *p) {
                unsigned permille;
                uint64_t mb;
                int len = 0;

                if (n == max || sscanf(p, "%u:%" SCNu64 "%n", &permille, &mb, &len) != 2 ||
                    permille > 1000 || (n > 0 && permille < levels[n - 1].permille))
                        return -EINVAL;
                levels[n++] = (CurveLevel) { permille, mb };
                p += len;
                if (*p == ',')
                        p++;
                else if (*p)
                        return -EINVAL;
        }
        return n > 0 ? (int)n : -EINVAL;
}

/* What the curve makes the step write: every rise of its level. */
static uint64_t curve_written_mb(const Step *s)
{
        CurveLevel lv[CURVE_MAX];
        uint64_t held = 0, written = 0;
        int n = s->arg ? curve_parse(s->arg, lv, CURVE_MAX) : -EINVAL;

        if (n < 0)
                return s->mem_mb;
        for (int i = 0; i < n; i++) {
                if (lv[i].mb > held)
                        written += lv[i].mb - held;
                held = lv[i].mb;
        }
        return written;
}

int step_parse_args(const Step *s, unsigned *a, unsigned *b, unsigned *c)
{
        unsigned x = 0, y = 0, z = 0;
        int n;

        if (!s->arg)
                return -EINVAL;
        n = sscanf(s->arg, "%u,%u,%u", &x, &y, &z);
        if (n < 1)
                return -EINVAL;
        if (a)
                *a = x;
        if (b)
                *b = y;
        if (c)
                *c = z;
        return n;
}

double step_expected_ms(const Step *s, const Calibration *c)
{
        unsigned n = 0, par = 1, burn_ms = 0, cycles = 1, hold = 0;

        switch (s->kind) {
        case STEP_WORK:
                return (double)s->dur_ms + (double)curve_written_mb(s) * c->touch_ms_per_mb;
        case STEP_COMPILE:
                (void)step_parse_args(s, &n, &par, &burn_ms);
                par = par ?: 1;
                return ceil((double)n / par) * (burn_ms + c->spawn_ms);
        case STEP_MEMSWING:
                (void)step_parse_args(s, &cycles, &hold, NULL);
                return cycles * ((double)s->mem_mb * c->touch_ms_per_mb + hold);
        case STEP_PROBE:
                return (double)s->dur_ms;
        default:
                return 0;
        }
}

/* The memory a work step holds: a stack of mappings, one per rise. */
typedef struct Held {
        void *map[CURVE_MAX + 1];
        uint64_t size[CURVE_MAX + 1];
        size_t n;
        uint64_t total;
} Held;

/* Grows or shrinks what H holds to MB MiB. */
static void held_set(Held *h, uint64_t mb)
{
        uint64_t want = mb * MB, page = (uint64_t)sysconf(_SC_PAGESIZE);

        if (want > h->total && h->n < ELEMENTSOF(h->map)) {
                void *p = touch_new(want - h->total);

                if (!p)
                        return;
                h->map[h->n] = p;
                h->size[h->n++] = want - h->total;
                h->total = want;
                return;
        }
        while (h->n > 0 && h->total - h->size[h->n - 1] >= want) {
                h->n--;
                touch_free(h->map[h->n], h->size[h->n]);
                h->total -= h->size[h->n];
        }
        if (h->n > 0 && h->total > want) {
                /* Unmap the tail of the latest mapping, whole pages. */
                uint64_t keep = (h->size[h->n - 1] - (h->total - want) + page - 1) / page * page;

                if (keep < h->size[h->n - 1]) {
                        munmap((char *)h->map[h->n - 1] + keep, h->size[h->n - 1] - keep);
                        h->total -= h->size[h->n - 1] - keep;
                        h->size[h->n - 1] = keep;
                }
        }
}

/* CPU and sleep in WORK_PERIOD_MS periods; memory as described above. */
static void work_step(const Step *s, const Calibration *c)
{
        uint64_t periods = s->dur_ms / WORK_PERIOD_MS ?: 1;
        double cpu_us = (double)s->dur_ms * 1000.0 * s->duty_pct / 100.0;
        double sleep_us = (double)s->dur_ms * 1000.0 - cpu_us;
        uint64_t iters = burn_iters_for_us(c, cpu_us / (double)periods);
        uint64_t nap = (uint64_t)(sleep_us / (double)periods * NSEC_PER_USEC);
        CurveLevel lv[CURVE_MAX];
        int n = s->arg ? curve_parse(s->arg, lv, CURVE_MAX) : 0;
        Held held = {};
        size_t next = 0;

        if (n <= 0) {
                /* No curve: the whole target from the start. */
                lv[0] = (CurveLevel) { 0, s->mem_mb };
                n = 1;
        }
        for (uint64_t i = 0; i < periods; i++) {
                uint64_t permille = i * 1000 / periods;

                while (next < (size_t)n && lv[next].permille <= permille)
                        held_set(&held, lv[next++].mb);
                burn(iters);
                if (nap > 0)
                        sleep_ns(nap);
        }
        held_set(&held, 0);
}

static pid_t spawn_self(const char *self, const char *verb, const char *arg)
{
        pid_t pid = fork();

        if (pid == 0) {
                execl(self, "agentcg-replay", verb, arg, (char *)NULL);
                _exit(127);
        }
        return pid;
}

/* N processes, PAR at a time, each an exec of ourselves burning BURN_MS:
 * the fork/exec/exit churn of a parallel build. */
static int compile_step(const Step *s, const Calibration *c, const char *self)
{
        unsigned n = 0, par = 1, burn_ms = 0, started = 0, running = 0;
        char arg[32];
        int status, failed = 0;

        (void)step_parse_args(s, &n, &par, &burn_ms);
        par = par ?: 1;
        snprintf(arg, sizeof(arg), "%" PRIu64, burn_iters_for_us(c, burn_ms * 1000.0));

        while (started < n || running > 0) {
                if (started < n && running < par) {
                        if (spawn_self(self, "burn", arg) < 0)
                                return -errno;
                        started++;
                        running++;
                        continue;
                }
                if (wait(&status) < 0)
                        return -errno;
                running--;
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        failed++;
        }
        return failed ? -EIO : 0;
}

static void memswing_step(const Step *s)
{
        unsigned cycles = 1, hold = 0;
        uint64_t size = s->mem_mb * MB;

        (void)step_parse_args(s, &cycles, &hold, NULL);
        for (unsigned i = 0; i < cycles; i++) {
                void *mem = touch_new(size);
                sleep_ns(hold * NSEC_PER_MSEC);
                touch_free(mem, size);
        }
}

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

        return x < y ? -1 : x > y;
}

/* The value below which a fraction Q of the sorted samples lie (nearest
 * rank), so p999 of fewer than 1000 samples is their maximum. */
static uint32_t percentile(const uint32_t *v, size_t n, double q)
{
        size_t rank = (size_t)ceil(q * (double)n);

        if (n == 0)
                return 0;
        return v[rank == 0 ? 0 : rank - 1];
}

static double bucket_bound_us(unsigned k)
{
        return round(pow(10.0, k / 10.0));
}

static void write_probe(const char *out_dir, const char *label, const Step *s, uint32_t *lat,
                        size_t n)
{
        char path[4096], line[512];
        uint64_t hist[HIST_BUCKETS + 1] = {};
        double sum = 0;
        int fd, len;

        qsort(lat, n, sizeof(uint32_t), cmp_u32);
        for (size_t i = 0; i < n; i++) {
                unsigned k = 0;

                sum += lat[i];
                while (k < HIST_BUCKETS && lat[i] > bucket_bound_us(k))
                        k++;
                hist[k]++;
        }

        /* One write() per line with O_APPEND: lines of concurrent probes
         * never interleave. */
        snprintf(path, sizeof(path), "%s/probe.csv", out_dir);
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd >= 0) {
                len = snprintf(line, sizeof(line),
                               "%s,%s,%zu,%.1f,%u,%u,%u,%u,%u\n", label, s->name, n,
                               n ? sum / (double)n : 0.0, percentile(lat, n, 0.50),
                               percentile(lat, n, 0.90), percentile(lat, n, 0.99),
                               percentile(lat, n, 0.999), n ? lat[n - 1] : 0);
                (void)!write(fd, line, (size_t)len);
                close(fd);
        }

        snprintf(path, sizeof(path), "%s/probe-hist.csv", out_dir);
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0)
                return;
        for (unsigned k = 0; k <= HIST_BUCKETS; k++) {
                if (hist[k] == 0)
                        continue;
                len = snprintf(line, sizeof(line), "%s,%s,%.0f,%" PRIu64 "\n", label, s->name,
                               k < HIST_BUCKETS ? bucket_bound_us(k) : -1.0, hist[k]);
                (void)!write(fd, line, (size_t)len);
        }
        close(fd);
}

/* Sleeps INTERVAL_US at a time and records how late each wake-up came;
 * after each wake-up it does WORK_US of CPU work, as a responder would.
 * The next deadline is set from the wake-up, so one long stall counts
 * once instead of as a burst of overdue ticks. */
static void probe_step(const Step *s, const Calibration *c, const char *out_dir,
                       const char *label)
{
        unsigned interval_us = 1000, work_us = 0;
        uint64_t end, iters;
        size_t n = 0, max;
        uint32_t *lat;

        (void)step_parse_args(s, &interval_us, &work_us, NULL);
        interval_us = interval_us ?: 1000;
        iters = burn_iters_for_us(c, work_us);
        max = s->dur_ms * 1000 / interval_us + 1;
        lat = calloc(max, sizeof(uint32_t));
        if (!lat)
                _exit(EXIT_FAILURE);

        end = now_ns() + s->dur_ms * NSEC_PER_MSEC;
        for (uint64_t t = now_ns(); t < end && n < max; t = now_ns()) {
                uint64_t target = t + interval_us * NSEC_PER_USEC, woke, late;

                sleep_until_ns(target);
                woke = now_ns();
                late = (woke - target) / NSEC_PER_USEC;
                lat[n++] = late > UINT32_MAX ? UINT32_MAX : (uint32_t)late;
                burn(iters);
        }

        write_probe(out_dir, label, s, lat, n);
        free(lat);
}

/* Words of ARG, with @NPROC@ and @TIMEOUT@ filled in, as an argv. */
static char **exec_argv(const char *arg)
{
        _cleanup_free_ char *copy = strdup(arg);
        char **argv = NULL, *save = NULL, *w;
        size_t n = 0;

        if (!copy)
                return NULL;
        for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                char **a = reallocarray(argv, n + 2, sizeof(char *));
                char buf[32];

                if (!a)
                        return NULL;
                argv = a;
                if (streq(w, "@NPROC@")) {
                        snprintf(buf, sizeof(buf), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
                        w = buf;
                } else if (streq(w, "@TIMEOUT@"))
                        w = getenv("AGENTCG_REPLAY_TIMEOUT") ?: "600";
                argv[n] = strdup(w);
                if (!argv[n])
                        return NULL;
                argv[++n] = NULL;
        }
        return argv;
}

_Noreturn void worker_run(const Step *s, const Calibration *c, WorkerReport *report,
                          const char *self, const char *out_dir, const char *label)
{
        int r = 0;

        report->start_ns = now_ns();

        switch (s->kind) {
        case STEP_WORK:
                work_step(s, c);
                break;
        case STEP_COMPILE:
                r = compile_step(s, c, self);
                break;
        case STEP_MEMSWING:
                memswing_step(s);
                break;
        case STEP_PROBE:
                probe_step(s, c, out_dir, label);
                break;
        case STEP_EXEC: {
                char **argv = exec_argv(s->arg);

                if (argv)
                        execvp(argv[0], argv);
                _exit(127);
        }
        default:
                r = -EINVAL;
        }

        report->end_ns = now_ns();
        _exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

int calibration_load(const char *path, Calibration *ret)
{
        _cleanup_fclose_ FILE *f = NULL;
        Calibration c = {};
        char key[64];
        double v;

        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        while (fscanf(f, "%63s %lf", key, &v) == 2) {
                if (streq(key, "iters_per_ms"))
                        c.iters_per_ms = v;
                else if (streq(key, "touch_ms_per_mb"))
                        c.touch_ms_per_mb = v;
                else if (streq(key, "spawn_ms"))
                        c.spawn_ms = v;
        }
        if (!(c.iters_per_ms > 0) || !(c.touch_ms_per_mb > 0) || !(c.spawn_ms > 0))
                return -EINVAL;
        *ret = c;
        return 0;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

/* The best of several tries: on a shared (emulated) machine interference
 * only ever makes a try slower, so the fastest is the closest to idle. */
#define CALIBRATION_TRIES 7

static double measure_burn(void)
{
        uint64_t iters = 100000, t0, dt = 0;
        double best = 0;

        /* Grow the chunk until it takes a measurable 50 ms. */
        for (;;) {
                t0 = now_ns();
                burn(iters);
                dt = now_ns() - t0;
                if (dt >= 50 * NSEC_PER_MSEC)
                        break;
                iters *= 2;
        }
        for (int i = 0; i < CALIBRATION_TRIES; i++) {
                double rate;

                t0 = now_ns();
                burn(iters);
                dt = now_ns() - t0;
                rate = (double)iters / ((double)dt / NSEC_PER_MSEC);
                if (rate > best)
                        best = rate;
        }
        return best;
}

static double measure_touch(void)
{
        const uint64_t size = 32 * MB;
        double best = 0;

        for (int i = 0; i < CALIBRATION_TRIES; i++) {
                uint64_t t0 = now_ns();
                void *p = touch_new(size);
                double ms;

                touch_free(p, size);
                ms = (double)(now_ns() - t0) / NSEC_PER_MSEC / 32.0;
                if (i == 0 || ms < best)
                        best = ms;
        }
        return best;
}

/* The median rather than the best: process creation has a long tail even
 * when idle, and a compile burst pays it every time. */
static double measure_spawn(const char *self)
{
        double ms[CALIBRATION_TRIES];

        for (int i = 0; i < CALIBRATION_TRIES; i++) {
                uint64_t t0 = now_ns();
                int status;
                pid_t pid = spawn_self(self, "nop", NULL);

                if (pid < 0 || waitpid(pid, &status, 0) < 0)
                        return -1;
                ms[i] = (double)(now_ns() - t0) / NSEC_PER_MSEC;
        }
        qsort(ms, CALIBRATION_TRIES, sizeof(double), cmp_double);
        return ms[CALIBRATION_TRIES / 2];
}

int calibration_measure(const char *self, Calibration *ret)
{
        Calibration c = {
                .iters_per_ms = measure_burn(),
                .touch_ms_per_mb = measure_touch(),
                .spawn_ms = measure_spawn(self),
        };

        if (!(c.iters_per_ms > 0) || !(c.touch_ms_per_mb > 0) || !(c.spawn_ms > 0))
                return -EIO;
        *ret = c;
        return 0;
}
