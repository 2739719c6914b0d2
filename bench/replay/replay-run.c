/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One replay of a plan: a scenario of one arm in one repetition.
 *
 * Every selected session of the plan gets a driver process.  A driver
 * sets its session up (for PLACE_DBUS that is a systemd scope, which
 * takes a while under TCG), reports ready and waits; only when all are
 * ready does the clock start, so session creation is never timed as part
 * of a step.  The protocol, over pipes whose write ends only the main
 * process holds (closing one is a broadcast that no driver can miss):
 *
 *   ready     drivers -> main, one byte each: 'R' ready, 'F' failed
 *   go_noise  closed first: neighbours start their step
 *   go        closed noise_lead_ms later, once t0 is in shared memory:
 *             victims and the probe start replaying
 *   stop      closed when every victim driver has exited: neighbours
 *             end their step and their session
 *
 * A victim driver replays closed-loop: a step starts GAP ms after the
 * previous one ended, as an agent's next tool call waits for the previous
 * result.  Steps that would start after t0 + deadline are skipped, a step
 * still running then is killed; both count as not completed.  So a bad
 * arm cannot make the run take forever, and the number of completed steps
 * is itself a result.
 *
 * Each driver writes its rows to OUT/.part-N.csv; the main process merges
 * them into OUT/steps.csv in plan order when all drivers are done.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay.h"
#include "util.h"

#define STEPS_HEADER                                                                   \
        "arm,rep,scenario,session,role,step,kind,tool,class,cpu_weight,memory_max_mb,"  \
        "planned_ms,expected_ms,duty_pct,mem_mb,gap_ms,request_ms,start_ms,end_ms,"     \
        "place_ms,latency_ms,slowdown,status\n"
#define PROBE_HEADER                                                                   \
        "arm,rep,scenario,session,step,samples,mean_us,p50_us,p90_us,p99_us,p999_us,"   \
        "max_us\n"
#define PROBE_HIST_HEADER "arm,rep,scenario,session,step,le_us,count\n"

/* What the main process publishes to all drivers. */
typedef struct Shared {
        uint64_t t0_ns;
        int abort;
} Shared;

typedef struct Context {
        const RunOptions *opts;
        const Plan *plan;
        Calibration cal;
        Shared *shared;
        char label[256]; /* "arm,rep,scenario" */
        int ready_w;
        int go_noise_r;
        int go_r;
        int stop_r;
} Context;

/* How one step went, in absolute CLOCK_MONOTONIC nanoseconds. */
typedef struct Outcome {
        uint64_t request_ns;
        uint64_t start_ns;
        uint64_t end_ns;
        char status[32];
} Outcome;

static bool noise_selected(const char *list, const char *tag)
{
        size_t n = strlen(tag);

        if (streq(list, "all"))
                return true;
        for (const char *p = list; (p = strstr(p, tag)); p += n)
                if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
                        return true;
        return false;
}

static bool session_selected(const Context *ctx, const Session *se)
{
        return se->role != ROLE_NOISE || noise_selected(ctx->opts->noise, se->source);
}

/* Blocks until the main process closes the pipe's write end. */
static void wait_closed(int fd)
{
        char buf[16];
        ssize_t n;

        do
                n = read(fd, buf, sizeof(buf));
        while (n > 0 || (n < 0 && errno == EINTR));
}

static int pidfd_open_(pid_t pid)
{
        return (int)syscall(SYS_pidfd_open, pid, 0);
}

static double rel_ms(const Context *ctx, uint64_t t)
{
        return ((double)t - (double)ctx->shared->t0_ns) / NSEC_PER_MSEC;
}

static void write_row(const Context *ctx, FILE *out, const Session *se, const Step *s,
                      const Outcome *o)
{
        double expected = step_expected_ms(s, &ctx->cal);

        fprintf(out, "%s,%s,%s,%s,%s,%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.1f,%u,%" PRIu64
                ",%" PRIu64 ",", ctx->label, se->name, role_to_string(se->role), s->name,
                step_kind_to_string(s->kind), s->tool, s->class, s->cpu_weight,
                s->memory_max >> 20, s->dur_ms, expected, s->duty_pct, s->mem_mb, s->gap_ms);

        if (o->start_ns == 0) {
                /* Never ran: no times, no latency. */
                fprintf(out, ",,,,,,%s\n", o->status);
        } else {
                double latency = (double)(o->end_ns - o->start_ns) / NSEC_PER_MSEC;

                fprintf(out, "%.3f,%.3f,%.3f,%.3f,%.3f,", rel_ms(ctx, o->request_ns),
                        rel_ms(ctx, o->start_ns), rel_ms(ctx, o->end_ns),
                        (double)(o->start_ns - o->request_ns) / NSEC_PER_MSEC, latency);
                if (expected > 0)
                        fprintf(out, "%.4f", latency / expected);
                fprintf(out, ",%s\n", o->status);
        }
        fflush(out);
}

/* The held child: placed before it does anything, then the worker.  A
 * neighbour's output goes to OUT/noise-SESSION.log. */
static _Noreturn void step_child(const Context *ctx, const Session *se, const Step *s,
                                 int hold_r, WorkerReport *report)
{
        char byte, label[512];
        ssize_t n;

        (void)setpgid(0, 0);
        do
                n = read(hold_r, &byte, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                _exit(125);

        if (s->kind == STEP_EXEC) {
                char path[4096];
                int fd;

                snprintf(path, sizeof(path), "%s/noise-%s.log", ctx->opts->out_dir, se->name);
                fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd >= 0) {
                        dup2(fd, STDOUT_FILENO);
                        dup2(fd, STDERR_FILENO);
                }
                fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fd >= 0)
                        dup2(fd, STDIN_FILENO);
        }

        snprintf(label, sizeof(label), "%s,%s", ctx->label, se->name);
        worker_run(s, &ctx->cal, report, "/proc/self/exe", ctx->opts->out_dir, label);
}

/* Forks the worker held, places it, releases it.  Returns its pid. */
static pid_t start_step(const Context *ctx, Placer *p, const Session *se, const Step *s,
                        WorkerReport *report, Outcome *o)
{
        _cleanup_close_ int hold_r = -EBADF, hold_w = -EBADF;
        int fds[2], r;
        pid_t pid;

        *report = (WorkerReport) {};
        o->request_ns = now_ns();

        if (pipe2(fds, O_CLOEXEC) < 0)
                return negative_errno();
        hold_r = fds[0];
        hold_w = fds[1];

        pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                close(hold_w);
                step_child(ctx, se, s, hold_r, report);
        }
        (void)setpgid(pid, pid);

        r = placer_step_begin(p, s, pid);
        if (r < 0) {
                kill(pid, SIGKILL);
                (void)waitpid(pid, NULL, 0);
                snprintf(o->status, sizeof(o->status), "place-failed");
                return r;
        }

        if (write(hold_w, "x", 1) != 1) {
                r = negative_errno();
                kill(pid, SIGKILL);
                (void)waitpid(pid, NULL, 0);
                snprintf(o->status, sizeof(o->status), "spawn-failed");
                return r;
        }
        return pid;
}

/* Waits for PID to exit, for DEADLINE_NS (0: none) or for STOP_FD to be
 * closed (-1: none).  Returns 0 with the wait status, -ETIME or
 * -ECANCELED, the child still running in the latter two cases. */
static int wait_step(pid_t pid, uint64_t deadline_ns, int stop_fd, int *ret_status)
{
        _cleanup_close_ int pidfd = pidfd_open_(pid);

        for (;;) {
                struct pollfd fds[2] = {
                        { .fd = pidfd, .events = POLLIN },
                        { .fd = stop_fd, .events = POLLIN },
                };
                int timeout = -1, r;

                if (deadline_ns > 0) {
                        uint64_t now = now_ns();

                        if (now >= deadline_ns)
                                return -ETIME;
                        timeout = (int)((deadline_ns - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
                }

                if (pidfd < 0) {
                        /* No pidfd (old kernel): no deadline either. */
                        if (waitpid(pid, ret_status, 0) < 0)
                                return negative_errno();
                        return 0;
                }

                r = poll(fds, stop_fd >= 0 ? 2 : 1, timeout);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return negative_errno();
                if (fds[0].revents) {
                        while (waitpid(pid, ret_status, 0) < 0)
                                if (errno != EINTR)
                                        return negative_errno();
                        return 0;
                }
                if (stop_fd >= 0 && fds[1].revents)
                        return -ECANCELED;
        }
}

static void describe_status(int status, Outcome *o)
{
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                snprintf(o->status, sizeof(o->status), "ok");
        else if (WIFEXITED(status))
                snprintf(o->status, sizeof(o->status), "exit-%d", WEXITSTATUS(status));
        else
                snprintf(o->status, sizeof(o->status), "signal-%d", WTERMSIG(status));
}

/* Runs one step to its end (or DEADLINE_NS, or STOP_FD closing). */
static void run_step(const Context *ctx, Placer *p, const Session *se, const Step *s,
                     WorkerReport *report, uint64_t deadline_ns, int stop_fd, Outcome *o)
{
        uint64_t reaped;
        int status = 0, r;
        pid_t pid;

        *o = (Outcome) {};
        pid = start_step(ctx, p, se, s, report, o);
        if (pid < 0)
                return;

        r = wait_step(pid, deadline_ns, stop_fd, &status);
        if (r < 0) {
                placer_step_end(p, s, pid);
                (void)waitpid(pid, NULL, 0);
                snprintf(o->status, sizeof(o->status), "%s",
                         r == -ETIME ? "deadline" : r == -ECANCELED ? "stopped" : "wait-failed");
        } else
                describe_status(status, o);
        reaped = now_ns();

        /* The worker's own clock where it has one; a killed or exec'ed
         * worker never wrote its end. */
        o->start_ns = report->start_ns ?: reaped;
        o->end_ns = report->end_ns ?: reaped;

        /* A worker that exited waited for its own children, so its step
         * is empty, and agentcgroupd ends empty steps by itself.  Only a
         * worker that failed may have left something behind. */
        if (r == 0 && !streq(o->status, "ok"))
                placer_step_end(p, s, pid);
}

static void replay_session(const Context *ctx, Placer *p, const Session *se, FILE *out,
                           WorkerReport *report)
{
        uint64_t deadline = ctx->shared->t0_ns + ctx->opts->deadline_ms * NSEC_PER_MSEC;
        uint64_t prev_end = ctx->shared->t0_ns;

        for (size_t i = 0; i < se->n_steps; i++) {
                const Step *s = &se->steps[i];
                uint64_t start_at = prev_end + s->gap_ms * NSEC_PER_MSEC;
                Outcome o = {};

                if (start_at >= deadline) {
                        snprintf(o.status, sizeof(o.status), "skipped");
                        write_row(ctx, out, se, s, &o);
                        continue;
                }
                sleep_until_ns(start_at);
                run_step(ctx, p, se, s, report, deadline, -1, &o);
                prev_end = o.end_ns ?: now_ns();
                write_row(ctx, out, se, s, &o);
        }
}

/* A neighbour runs its one step until the victims are done.  Its row is
 * written only then: times are relative to t0, which a neighbour that
 * died during the lead-in would not know yet. */
static void run_noise(const Context *ctx, Placer *p, const Session *se, FILE *out,
                      WorkerReport *report)
{
        Outcome o = {};

        run_step(ctx, p, se, &se->steps[0], report, 0, ctx->stop_r, &o);
        wait_closed(ctx->stop_r);
        write_row(ctx, out, se, &se->steps[0], &o);
}

static _Noreturn void driver_main(Context *ctx, const Session *se, size_t index)
{
        _cleanup_fclose_ FILE *out = NULL;
        WorkerReport *report;
        Placer *p = NULL;
        char path[4096];
        int r;

        (void)prctl(PR_SET_PDEATHSIG, SIGTERM);

        snprintf(path, sizeof(path), "%s/.part-%zu.csv", ctx->opts->out_dir, index);
        out = fopen(path, "we");
        report = mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        r = out && report != MAP_FAILED
                    ? placer_open(ctx->opts->place, ctx->opts->memory_knob,
                                  ctx->opts->cpu_weights, se->name, &p)
                    : -ENOMEM;

        (void)!write(ctx->ready_w, r < 0 ? "F" : "R", 1);
        close(ctx->ready_w);
        if (r < 0)
                _exit(EXIT_FAILURE);

        wait_closed(se->role == ROLE_NOISE ? ctx->go_noise_r : ctx->go_r);
        if (!ctx->shared->abort) {
                if (se->role == ROLE_NOISE)
                        run_noise(ctx, p, se, out, report);
                else
                        replay_session(ctx, p, se, out, report);
        }

        placer_close(p);
        fflush(out);
        _exit(ctx->shared->abort ? EXIT_FAILURE : EXIT_SUCCESS);
}

static int write_file(const char *dir, const char *name, const char *text)
{
        _cleanup_fclose_ FILE *f = NULL;
        char path[4096];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        if (!f || fputs(text, f) < 0 || fflush(f) != 0)
                return negative_errno();
        return 0;
}

static int merge_parts(const char *dir, size_t n)
{
        _cleanup_fclose_ FILE *out = NULL;
        char path[4096], buf[8192];
        size_t len;

        snprintf(path, sizeof(path), "%s/steps.csv", dir);
        out = fopen(path, "we");
        if (!out)
                return negative_errno();
        fputs(STEPS_HEADER, out);

        for (size_t i = 0; i < n; i++) {
                _cleanup_fclose_ FILE *in = NULL;

                snprintf(path, sizeof(path), "%s/.part-%zu.csv", dir, i);
                in = fopen(path, "re");
                if (!in)
                        continue;
                while ((len = fread(buf, 1, sizeof(buf), in)) > 0)
                        fwrite(buf, 1, len, out);
                unlink(path);
        }
        return fflush(out) == 0 ? 0 : negative_errno();
}

static void read_sysfs(const char *path, char *buf, size_t size)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");

        snprintf(buf, size, "-");
        if (f && fgets(buf, (int)size, f))
                buf[strcspn(buf, "\n")] = '\0';
}

/* What ran the CPUs: sched_ext's state and root scheduler. */
static void sched_state(char *buf, size_t size)
{
        char state[64], ops[64];

        read_sysfs("/sys/kernel/sched_ext/state", state, sizeof(state));
        read_sysfs("/sys/kernel/sched_ext/root/ops", ops, sizeof(ops));
        snprintf(buf, size, "%s/%s", state, ops);
}

typedef struct Pipes {
        int ready[2];
        int go_noise[2];
        int go[2];
        int stop[2];
} Pipes;

static void close_pair(int p[2])
{
        closep(&p[0]);
        closep(&p[1]);
        p[0] = p[1] = -EBADF;
}

static void close_end(int *fd)
{
        closep(fd);
        *fd = -EBADF;
}

static int open_pipes(Pipes *pp)
{
        int *all[] = { pp->ready, pp->go_noise, pp->go, pp->stop };

        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                if (pipe2(all[i], O_CLOEXEC) < 0)
                        return negative_errno();
        return 0;
}

/* Forks one driver per selected session; pids[i] is 0 for a session
 * that is not part of this scenario. */
static int fork_drivers(Context *ctx, Pipes *pp, pid_t *pids, size_t *ret_n)
{
        size_t n = 0;

        for (size_t i = 0; i < ctx->plan->n_sessions; i++) {
                const Session *se = &ctx->plan->sessions[i];
                pid_t pid;

                if (!session_selected(ctx, se))
                        continue;
                pid = fork();
                if (pid < 0)
                        return negative_errno();
                if (pid == 0) {
                        /* Only the main process may hold write ends of
                         * the broadcast pipes, or they never close. */
                        close(pp->go_noise[1]);
                        close(pp->go[1]);
                        close(pp->stop[1]);
                        close(pp->ready[0]);
                        ctx->ready_w = pp->ready[1];
                        ctx->go_noise_r = pp->go_noise[0];
                        ctx->go_r = pp->go[0];
                        ctx->stop_r = pp->stop[0];
                        driver_main(ctx, se, i);
                }
                pids[i] = pid;
                n++;
        }
        *ret_n = n;
        return 0;
}

/* Reads one byte per driver; false if one failed or died. */
static bool collect_ready(int fd, size_t n)
{
        bool ok = true;

        for (size_t i = 0; i < n; i++) {
                char c;
                ssize_t r;

                do
                        r = read(fd, &c, 1);
                while (r < 0 && errno == EINTR);
                if (r != 1)
                        return false;
                if (c != 'R')
                        ok = false;
        }
        return ok;
}

static int wait_drivers(const Context *ctx, const pid_t *pids, bool noise)
{
        int failed = 0;

        for (size_t i = 0; i < ctx->plan->n_sessions; i++) {
                int status;

                if (pids[i] <= 0 || (ctx->plan->sessions[i].role == ROLE_NOISE) != noise)
                        continue;
                while (waitpid(pids[i], &status, 0) < 0)
                        if (errno != EINTR)
                                break;
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        failed++;
        }
        return failed;
}

static int prepare_out(const RunOptions *o)
{
        int r;

        if (mkdir(o->out_dir, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        r = write_file(o->out_dir, "probe.csv", PROBE_HEADER);
        if (r < 0)
                return r;
        return write_file(o->out_dir, "probe-hist.csv", PROBE_HIST_HEADER);
}

static void export_timeout(const RunOptions *o)
{
        char buf[32];

        /* stress-ng's own timeout, only a net for a replayer that dies. */
        snprintf(buf, sizeof(buf), "%" PRIu64,
                 (o->deadline_ms + o->noise_lead_ms) / 1000 + 60);
        setenv("AGENTCG_REPLAY_TIMEOUT", buf, 1);
}

static int write_summary(const Context *ctx, uint64_t setup_ns, uint64_t wall_ns,
                         const char *sched_before, int failed, size_t n_drivers)
{
        const RunOptions *o = ctx->opts;
        char text[2048], sched_after[160];

        sched_state(sched_after, sizeof(sched_after));
        snprintf(text, sizeof(text),
                 "arm=%s\nrep=%u\nscenario=%s\nplace=%s\nmemory_knob=%s\ncpu_weights=%s\n"
                 "noise=%s\nt0_mono_ns=%" PRIu64 "\n"
                 "deadline_ms=%" PRIu64
                 "\nsessions=%zu\nsetup_ms=%.1f\nwall_ms=%.1f\nsched_before=%s\n"
                 "sched_after=%s\ndrivers_failed=%d\niters_per_ms=%.1f\n"
                 "touch_ms_per_mb=%.3f\nspawn_ms=%.2f\n",
                 o->arm, o->rep, o->scenario, place_mode_to_string(o->place),
                 o->memory_knob == MEMORY_KNOB_HIGH ? "memory.high" : "memory.max",
                 o->cpu_weights ? "plan" : "default", o->noise, ctx->shared->t0_ns,
                 o->deadline_ms, n_drivers, (double)setup_ns / NSEC_PER_MSEC,
                 (double)wall_ns / NSEC_PER_MSEC, sched_before, sched_after, failed,
                 ctx->cal.iters_per_ms, ctx->cal.touch_ms_per_mb, ctx->cal.spawn_ms);
        return write_file(o->out_dir, "run.txt", text);
}

int replay_run(const RunOptions *o)
{
        Plan plan = {};
        Context ctx = { .opts = o, .plan = &plan };
        Pipes pp = { { -EBADF, -EBADF }, { -EBADF, -EBADF }, { -EBADF, -EBADF },
                     { -EBADF, -EBADF } };
        _cleanup_free_ pid_t *pids = NULL;
        char sched_before[160];
        uint64_t t_fork, t_end;
        size_t n_drivers = 0;
        int r, failed = 0;
        bool ready;

        r = plan_load(o->plan_path, &plan);
        if (r < 0)
                return r;
        r = calibration_load(o->calibration_path, &ctx.cal);
        if (r < 0) {
                fprintf(stderr, "agentcg-replay: cannot read calibration %s: %s\n",
                        o->calibration_path, strerror(-r));
                goto finish;
        }
        snprintf(ctx.label, sizeof(ctx.label), "%s,%u,%s", o->arm, o->rep, o->scenario);

        r = prepare_out(o);
        if (r < 0) {
                fprintf(stderr, "agentcg-replay: cannot prepare %s: %s\n", o->out_dir,
                        strerror(-r));
                goto finish;
        }

        ctx.shared = mmap(NULL, sizeof(Shared), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        pids = calloc(plan.n_sessions, sizeof(pid_t));
        if (ctx.shared == MAP_FAILED || !pids) {
                r = -ENOMEM;
                goto finish;
        }
        r = open_pipes(&pp);
        if (r < 0)
                goto finish;

        export_timeout(o);
        sched_state(sched_before, sizeof(sched_before));
        t_fork = now_ns();
        r = fork_drivers(&ctx, &pp, pids, &n_drivers);
        close_end(&pp.ready[1]);
        ready = r >= 0 && collect_ready(pp.ready[0], n_drivers);

        if (!ready) {
                fprintf(stderr, "agentcg-replay: a session could not be set up; aborting\n");
                ctx.shared->abort = 1;
                r = r < 0 ? r : -EIO;
        }

        /* Neighbours first, so the victims meet them already running. */
        close_end(&pp.go_noise[1]);
        if (ready)
                sleep_ns(o->noise_lead_ms * NSEC_PER_MSEC);
        ctx.shared->t0_ns = now_ns();
        close_end(&pp.go[1]);

        failed += wait_drivers(&ctx, pids, false);
        t_end = now_ns();
        close_end(&pp.stop[1]);
        failed += wait_drivers(&ctx, pids, true);

        if (r >= 0) {
                r = merge_parts(o->out_dir, plan.n_sessions);
                if (r >= 0)
                        r = write_summary(&ctx, ctx.shared->t0_ns - t_fork,
                                          t_end - ctx.shared->t0_ns, sched_before, failed,
                                          n_drivers);
                if (r >= 0 && failed > 0)
                        r = -EIO;
        }

finish:
        close_pair(pp.ready);
        close_pair(pp.go_noise);
        close_pair(pp.go);
        close_pair(pp.stop);
        plan_done(&plan);
        return r;
}
