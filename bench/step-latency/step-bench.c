/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * step-bench: how long one step takes from nothing to a process that ran
 * in it and back to nothing, three ways, side by side in one run:
 *
 *   agentcg  CreateStep (which returns the step's fd),
 *            clone3(CLONE_INTO_CGROUP), wait, EndStep, on one long-lived
 *            bus connection, as an agent runtime would use the daemon;
 *   scope    a transient scope per step, the systemd-run --scope way:
 *            StartTransientUnit adopting a held child, wait for the job,
 *            release the child, wait for it (the scope then goes away on
 *            its own);
 *   bare     mkdir, clone3(CLONE_INTO_CGROUP), wait, rmdir, directly in
 *            a delegated cgroup, the floor any manager adds to.
 *
 * The child is the same in all three: it exits at once, so what is timed
 * is the management around it.  Prints one line per method with p50 and
 * p99 in microseconds, and the raw samples to a CSV if asked.
 *
 * Usage: step-bench SESSION N [CSV]   (SESSION must exist; run as root)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define DEST "org.agentcg1"
#define PATH "/org/agentcg1"
#define IFACE "org.agentcg1.Manager"

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Starts a child in the cgroup FD that exits at once, and reaps it. */
static int run_child_in(int cgroup_fd)
{
        struct clone_args args = {
                .flags = CLONE_INTO_CGROUP,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t)cgroup_fd,
        };
        pid_t pid;
        int status;

        pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
        if (pid < 0)
                return -errno;
        if (pid == 0)
                _exit(0);

        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return 0;
}

static int agentcg_step(sd_bus *bus, const char *session, const char *step)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *cgroup;
        int r, fd;

        r = sd_bus_call_method(bus, DEST, PATH, IFACE, "CreateStep", &error, &reply, "ssa(sv)",
                               session, step, 0);
        if (r >= 0)
                r = sd_bus_message_read(reply, "sh", &cgroup, &fd);
        if (r >= 0)
                r = run_child_in(fd);
        if (r >= 0)
                r = sd_bus_call_method(bus, DEST, PATH, IFACE, "EndStep", &error, NULL, "sst",
                                       session, step, UINT64_C(0));
        if (r < 0)
                fprintf(stderr, "agentcg step %s: %s\n", step, error.message ?: strerror(-r));
        return r;
}

/* A child that waits on a pipe, so the scope has a process to adopt. */
static pid_t held_child(int *ret_release)
{
        int fds[2];
        pid_t pid;
        char c;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;

        pid = fork();
        if (pid == 0) {
                close(fds[1]);
                _exit(read(fds[0], &c, 1) < 0);
        }
        close(fds[0]);
        *ret_release = fds[1];
        return pid;
}

static int wait_job(sd_bus *bus, const char *job)
{
        for (;;) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                const char *path;
                uint32_t id;
                int r;

                r = sd_bus_process(bus, &m);
                if (r < 0)
                        return r;
                if (r == 0) {
                        r = sd_bus_wait(bus, UINT64_MAX);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (m && sd_bus_message_is_signal(m, "org.freedesktop.systemd1.Manager",
                                                  "JobRemoved") &&
                    sd_bus_message_read(m, "uo", &id, &path) >= 0 && strcmp(path, job) == 0)
                        return 0;
        }
}

static int scope_step(sd_bus *bus, const char *step)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *unit = NULL, *job = NULL;
        const char *j;
        int release = -EBADF, r, status;
        pid_t pid;

        if (asprintf(&unit, "bench-%s.scope", step) < 0)
                return -ENOMEM;
        pid = held_child(&release);
        if (pid < 0)
                return pid;

        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "StartTransientUnit", &error,
                               &reply, "ssa(sv)a(sa(sv))", unit, "fail", 2, "Slice", "s",
                               "agentcg.slice", "PIDs", "au", 1, (uint32_t)pid, 0);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &j);
        if (r >= 0 && !(job = strdup(j)))
                r = -ENOMEM;
        if (r >= 0)
                r = wait_job(bus, job);

        close(release);
        waitpid(pid, &status, 0);
        if (r < 0)
                fprintf(stderr, "scope %s: %s\n", unit, error.message ?: strerror(-r));
        return r;
}

static int bare_step(const char *parent, const char *step)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (asprintf(&dir, "%s/%s", parent, step) < 0)
                return -ENOMEM;
        if (mkdir(dir, 0755) < 0)
                return -errno;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = fd < 0 ? -errno : run_child_in(fd);

        if (rmdir(dir) < 0 && r >= 0)
                r = -errno;
        return r;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

static uint64_t percentile(uint64_t *sorted, int n, double p)
{
        int i = (int)(p * (n - 1) + 0.5);

        return sorted[i];
}

static void report(const char *name, uint64_t *samples, int n, FILE *csv)
{
        for (int i = 0; csv && i < n; i++)
                fprintf(csv, "%s,%d,%" PRIu64 "\n", name, i, samples[i]);

        qsort(samples, n, sizeof(*samples), cmp_u64);
        printf("%-8s n=%d p50=%" PRIu64 "us p99=%" PRIu64 "us\n", name, n,
               percentile(samples, n, 0.50), percentile(samples, n, 0.99));
}

int main(int argc, char *argv[])
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ uint64_t *a = NULL, *s = NULL, *b = NULL;
        _cleanup_free_ char *parent = NULL;
        _cleanup_fclose_ FILE *csv = NULL;
        const char *session;
        int n, r;

        if (argc < 3) {
                fprintf(stderr, "usage: step-bench SESSION N [CSV]\n");
                return 2;
        }
        session = argv[1];
        n = atoi(argv[2]);
        if (argc > 3 && !(csv = fopen(argv[3], "we")))
                return 1;

        a = calloc(n, sizeof(*a));
        s = calloc(n, sizeof(*s));
        b = calloc(n, sizeof(*b));
        if (!a || !s || !b ||
            asprintf(&parent, "/sys/fs/cgroup/agentcg.slice/agentcg-%s.scope", session) < 0)
                return 1;

        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.systemd1",
                                        "/org/freedesktop/systemd1",
                                        "org.freedesktop.systemd1.Manager", "JobRemoved", NULL,
                                        NULL);
        if (r >= 0)
                r = sd_bus_call_method(bus, "org.freedesktop.systemd1",
                                       "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "Subscribe", NULL,
                                       NULL, NULL);
        if (r < 0) {
                fprintf(stderr, "cannot set up the bus: %s\n", strerror(-r));
                return 1;
        }

        /* Interleaved, so drift in the machine hits all three alike. */
        for (int i = 0; i < n; i++) {
                char step[32];
                uint64_t t;

                snprintf(step, sizeof(step), "b%d", i);
                t = now_usec();
                if (agentcg_step(bus, session, step) < 0)
                        return 1;
                a[i] = now_usec() - t;

                t = now_usec();
                if (scope_step(bus, step) < 0)
                        return 1;
                s[i] = now_usec() - t;

                snprintf(step, sizeof(step), "bare%d", i);
                t = now_usec();
                if (bare_step(parent, step) < 0)
                        return 1;
                b[i] = now_usec() - t;
        }

        report("agentcg", a, n, csv);
        report("scope", s, n, csv);
        report("bare", b, n, csv);
        return 0;
}
