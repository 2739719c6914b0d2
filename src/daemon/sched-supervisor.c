/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The scheduler's fail-safe.  The kernel may stop a sched_ext scheduler at
 * any moment: an error the scheduler raised, a runnable task it left
 * waiting too long (the watchdog), an operator's sysrq-S.  It then moves
 * every task back to the fair class, which enforces the cpu.weight and
 * cpu.max files the daemon wrote, so there is nothing to undo: the knobs
 * stay as they are and keep working.
 *
 * What the daemon owes is to notice, to say why, and to recover.  The
 * scheduler's ops.exit() sends its exit record through a ring buffer
 * whose fd sits in the event loop, so the daemon learns of the exit when
 * it happens, without polling.  It logs the record, drops the dead
 * scheduler and attaches a fresh one after a delay that doubles with
 * every failure (1 s, 2 s, 4 s, ...; a failed attempt is a failure too).
 * A scheduler that keeps failing would only churn the machine between
 * the two classes, so after MAX_FAILURES failures within FAILURE_WINDOW
 * it stops trying and says so; restarting the daemon starts afresh.
 *
 * A scheduler that cannot be attached at start (no sched_ext, another
 * scheduler active, a verifier rejection) is not retried: none of those
 * goes away by waiting, and the journal says which one it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "cgroup-util.h"
#include "decision.h"
#include "log.h"
#include "manager.h"
#include "sched-bus.h"
#include "sched-classes.h"
#include "sched-journal.h"
#include "sched-supervisor.h"
#include "scheduler.h"
#include "util.h"

#define USEC_PER_SEC UINT64_C(1000000)

#define RETRY_FIRST_USEC (1 * USEC_PER_SEC)
#define RETRY_MAX_USEC (60 * USEC_PER_SEC)
#define MAX_FAILURES 4
#define FAILURE_WINDOW_USEC (600 * USEC_PER_SEC)

/* The journal gets at most EVENTS_PER_WINDOW of the scheduler's events per
 * EVENT_WINDOW_USEC, on top of the scheduler's own per-cgroup limit. */
#define EVENTS_PER_WINDOW 50
#define EVENT_WINDOW_USEC (10 * USEC_PER_SEC)

struct SchedSupervisor {
        Manager *manager;
        sd_event_source *events;         /* the live scheduler's event fd */
        sd_event_source *retry;          /* the next attempt, after an exit */
        uint64_t failures[MAX_FAILURES]; /* when the latest ones were, a ring */
        unsigned next_failure;
        unsigned attempt; /* attempts since the latest exit */
        bool gave_up;
        int mem_pressure_fd;
        int cgroup_root_fd; /* to name the cgroups of events */
        uint64_t event_window_start;
        unsigned events_logged, events_suppressed;
};

static uint64_t now_usec(const Manager *m)
{
        uint64_t t = 0;

        (void)sd_event_now(m->event, CLOCK_MONOTONIC, &t);
        return t;
}

static SchedSupervisor *supervisor(Manager *m)
{
        if (!m->sched_supervisor) {
                m->sched_supervisor = calloc(1, sizeof(SchedSupervisor));
                if (!m->sched_supervisor)
                        return NULL;
                m->sched_supervisor->manager = m;
                m->sched_supervisor->mem_pressure_fd = -1;
                m->sched_supervisor->cgroup_root_fd = -EBADF;
        }
        return m->sched_supervisor;
}

void sched_supervisor_set_mem_pressure_fd(Manager *m, int fd)
{
        SchedSupervisor *sv = supervisor(m);

        if (sv)
                sv->mem_pressure_fd = fd;
        else
                log_error("Out of memory; the scheduler will not share the memory observer's map");
}

static bool event_allowed(SchedSupervisor *sv, uint64_t now)
{
        if (now - sv->event_window_start >= EVENT_WINDOW_USEC) {
                if (sv->events_suppressed > 0)
                        sched_journal_suppressed(sv->events_suppressed, EVENT_WINDOW_USEC);
                sv->event_window_start = now;
                sv->events_logged = sv->events_suppressed = 0;
        }
        if (sv->events_logged >= EVENTS_PER_WINDOW) {
                sv->events_suppressed++;
                return false;
        }
        sv->events_logged++;
        return true;
}

/* The event's cgroup as the API names cgroups: relative to the root. */
static void on_event(const struct agentcg_event *ev, void *userdata)
{
        SchedSupervisor *sv = userdata;
        const char *root = sv->manager->cgroup_root;
        _cleanup_free_ char *path = NULL;
        const char *cgroup = NULL;

        if (!event_allowed(sv, now_usec(sv->manager)))
                return;

        if (sv->cgroup_root_fd < 0)
                sv->cgroup_root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sv->cgroup_root_fd >= 0 && cg_path_from_id(sv->cgroup_root_fd, ev->cgid, &path) >= 0)
                cgroup = strncmp(path, root, strlen(root)) == 0 ? path + strlen(root) : path;
        sched_journal_event(ev, cgroup && *cgroup ? cgroup : (path ? "/" : NULL));
}

static SchedulerOptions options(SchedSupervisor *sv)
{
        const Config *c = &sv->manager->config;
        SchedulerOptions o = SCHEDULER_OPTIONS_DEFAULT;

        o.mode = c->scheduler_partial ? SCHEDULER_PARTIAL : SCHEDULER_FULL;
        o.memory_coupling = c->memory_coupling;
        o.mem_pressure_fd = sv->mem_pressure_fd;
        sched_class_params(c, o.classes);
        o.on_event = on_event;
        o.userdata = sv;
        return o;
}

/* Records a failure at @now; returns how many fell within the window. */
static unsigned record_failure(SchedSupervisor *sv, uint64_t now)
{
        unsigned n = 0;

        sv->failures[sv->next_failure] = now;
        sv->next_failure = (sv->next_failure + 1) % MAX_FAILURES;
        for (unsigned i = 0; i < MAX_FAILURES; i++)
                if (sv->failures[i] > 0 && now - sv->failures[i] < FAILURE_WINDOW_USEC)
                        n++;
        return n;
}

static uint64_t retry_delay(unsigned failures)
{
        uint64_t d = RETRY_FIRST_USEC;

        for (unsigned i = 1; i < failures && d < RETRY_MAX_USEC; i++)
                d *= 2;
        return d < RETRY_MAX_USEC ? d : RETRY_MAX_USEC;
}

static void drop_scheduler(SchedSupervisor *sv)
{
        Manager *m = sv->manager;

        sv->events = sd_event_source_disable_unref(sv->events);
        m->scheduler = scheduler_free(m->scheduler);
}

static void handle_exit(SchedSupervisor *sv, const struct agentcg_exit_info *ei);

static int on_events(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        SchedSupervisor *sv = userdata;
        struct agentcg_exit_info ei;
        int r;

        r = scheduler_process_events(sv->manager->scheduler, &ei);
        if (r > 0)
                handle_exit(sv, &ei);
        return 0;
}

/* Attaches a scheduler and watches it; on failure nothing is left over. */
static int attach(SchedSupervisor *sv, uint64_t *ret_load_usec)
{
        Manager *m = sv->manager;
        SchedulerOptions o = options(sv);
        uint64_t start = now_usec(m);
        int r;

        r = scheduler_attach_opts(&o, &m->scheduler);
        if (r < 0)
                return r;

        r = sd_event_add_io(m->event, &sv->events, scheduler_event_fd(m->scheduler), EPOLLIN,
                            on_events, sv);
        if (r < 0) {
                log_error_errno(r, "Cannot watch the scheduler's exit ring");
                m->scheduler = scheduler_free(m->scheduler);
                return r;
        }

        (void)sd_event_source_set_description(sv->events, "scheduler-events");
        *ret_load_usec = now_usec(m) - start;
        sched_classes_restore(m);
        return 0;
}

static void give_up(SchedSupervisor *sv, unsigned failures)
{
        sv->gave_up = true;
        sched_journal_gave_up(scheduler_ops_name(), failures, FAILURE_WINDOW_USEC);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata);

/* If the timer cannot be set, waiting would never end: give up loudly. */
static void schedule_retry(SchedSupervisor *sv, uint64_t delay, unsigned failures)
{
        Manager *m = sv->manager;
        int r;

        r = sd_event_add_time_relative(m->event, &sv->retry, CLOCK_MONOTONIC, delay, 0, on_retry,
                                       sv);
        if (r < 0) {
                log_error_errno(r, "Cannot schedule the scheduler's next attempt");
                give_up(sv, failures);
                return;
        }
        (void)sd_event_source_set_description(sv->retry, "scheduler-retry");
}

static void handle_exit(SchedSupervisor *sv, const struct agentcg_exit_info *ei)
{
        uint64_t now = now_usec(sv->manager), delay;
        unsigned n;

        drop_scheduler(sv);
        sv->attempt = 0;

        n = record_failure(sv, now);
        if (n >= MAX_FAILURES) {
                sched_journal_exited(scheduler_ops_name(), ei, n, 0);
                give_up(sv, n);
                return;
        }

        delay = retry_delay(n);
        sched_journal_exited(scheduler_ops_name(), ei, n, delay);
        schedule_retry(sv, delay, n);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
        SchedSupervisor *sv = userdata;
        uint64_t load_usec = 0, delay;
        unsigned n;
        int r;

        sv->retry = sd_event_source_unref(sv->retry);
        sv->attempt++;

        r = attach(sv, &load_usec);
        if (r >= 0) {
                sched_journal_reattached(scheduler_ops_name(), sv->attempt, load_usec);
                return 0;
        }

        n = record_failure(sv, now_usec(sv->manager));
        if (n >= MAX_FAILURES) {
                give_up(sv, n);
                return 0;
        }
        delay = retry_delay(n);
        sched_journal_retry_failed(scheduler_ops_name(), sv->attempt, r, delay);
        schedule_retry(sv, delay, n);
        return 0;
}

static void start_failed(int r)
{
        _cleanup_free_ char *reason = NULL;

        if (r == -EBUSY)
                reason = strdup("another sched_ext scheduler is active");
        else if (asprintf(&reason, "loading the sched_ext scheduler failed: %s", strerror(-r)) < 0)
                reason = NULL;
        decision_cgroup_only(reason ?: "loading the sched_ext scheduler failed");
}

int sched_supervisor_start(Manager *m)
{
        SchedSupervisor *sv = supervisor(m);
        uint64_t load_usec = 0;
        int r;

        if (!sv)
                return -ENOMEM;

        r = sched_bus_register(m);
        if (r < 0)
                return log_error_errno(r, "Cannot register the scheduler's bus object");

        if (!m->config.scheduler) {
                decision_cgroup_only("Scheduler=no in agentcg.conf");
                return 0;
        }
        if (!scheduler_supported()) {
                decision_cgroup_only("the running kernel has no sched_ext "
                                     "(/sys/kernel/sched_ext is missing)");
                return 0;
        }

        r = attach(sv, &load_usec);
        if (r < 0) {
                start_failed(r);
                return 0;
        }
        decision_scheduler_attached(scheduler_ops_name(), load_usec);
        return 0;
}

void sched_supervisor_stop(Manager *m)
{
        SchedSupervisor *sv = m->sched_supervisor;

        if (!sv)
                return;

        sv->retry = sd_event_source_disable_unref(sv->retry);
        if (m->scheduler)
                decision_scheduler_detached(scheduler_ops_name(), "daemon stopping");
        drop_scheduler(sv);
        closep(&sv->cgroup_root_fd);
        m->sched_supervisor = mfree(sv);
}

void sched_supervisor_reload(Manager *m)
{
        struct agentcg_class_params classes[AGENTCG_NR_CLASSES];
        int r;

        if (!m->scheduler)
                return;
        sched_class_params(&m->config, classes);
        r = scheduler_set_class_params(m->scheduler, classes);
        if (r < 0)
                log_warning_errno(r, "The scheduler keeps its old class table");
}

const char *sched_supervisor_state(const Manager *m)
{
        const SchedSupervisor *sv = m->sched_supervisor;

        if (m->scheduler)
                return "running";
        if (!sv)
                return "off";
        if (sv->gave_up)
                return "failed";
        return sv->retry ? "retrying" : "off";
}
