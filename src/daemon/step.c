/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Step lifecycle.  A step is a directory in the session's delegated
 * subtree; its settings are written before any process enters it.
 *
 * Everything that waits on a step waits on its cgroup.events file with
 * inotify, which the kernel notifies on every change of "populated" and
 * "frozen": ending a step (kill, then wait until it is empty), freezing
 * and thawing (wait until "frozen" says so), and the watch every step
 * carries so that a step whose processes all exited ends on its own.  A
 * step counts as used once pids.peak is non-zero; an empty step that was
 * never used is left alone, since its caller is about to fill it.
 *
 * Ending reads the step's usage, removes the directory and announces it
 * three ways: the reply (if a caller asked), the StepEnded signal and one
 * journal entry.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bus-access.h"
#include "cgroup-util.h"
#include "decision.h"
#include "log.h"
#include "names.h"
#include "request.h"
#include "session.h"
#include "sched-classes.h"
#include "step.h"
#include "util.h"

/* How many auto-ended steps keep their usage for a late EndStep. */
#define RECENT_ENDS 64

struct RecentEnd {
        char session[NAME_MAX_LEN + 1];
        char step[NAME_MAX_LEN + 1];
        StepUsage usage;
        bool valid;
};

struct StepWatch {
        Manager *manager;
        char *session;
        char *step;
        sd_event_source *source;
        StepWatch *prev, *next;
};

static uint64_t now_realtime_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Answers CALL with Failed: the system refused what the daemon tried.
 * The errno's text goes into the message, the name stays the API's. */
static int reply_failed(sd_bus_message *call, int error, const char *fmt, ...) _printf_(3, 4);

static int reply_failed(sd_bus_message *call, int error, const char *fmt, ...)
{
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;

        log_warning("%s: %s", text, strerror(error));
        return answered(sd_bus_reply_method_errorf(call, BUS_ERROR("Failed"), "%s: %s", text,
                                                   strerror(error)));
}

/* Resolves the step's directory, answering the caller with NoSuchSession or
 * NoSuchStep when either is missing.  Returns 0 and *ret on success, 1 if
 * the caller was answered, negative errno on failure. */
static int find_step(Manager *m, sd_bus_message *call, const char *session, const char *step,
                     char **ret)
{
        _cleanup_free_ char *dir = NULL;
        int r;

        r = session_require(m, call, session);
        if (r != 0)
                return r;

        r = step_dir(m, session, step, &dir);
        if (r < 0)
                return r;
        if (access(dir, F_OK) < 0) {
                if (errno != ENOENT)
                        return negative_errno();
                return reply_refused(call, BUS_ERROR("NoSuchStep"),
                                     "No step '%s' in session '%s'.", step, session);
        }

        *ret = TAKE_PTR(dir);
        return 0;
}

static void emit_step_ended(Manager *m, const char *session, const char *step,
                            const StepUsage *u)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *signal = NULL;
        int r;

        r = sd_bus_message_new_signal(m->bus, &signal, BUS_PATH, BUS_INTERFACE, "StepEnded");
        if (r >= 0)
                r = sd_bus_message_append(signal, "ss", session, step);
        if (r >= 0)
                r = step_usage_append(signal, u);
        if (r >= 0)
                r = sd_bus_send(m->bus, signal, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to send StepEnded for %s/%s, ignoring", session,
                                  step);
}

static void emit_step_started(Manager *m, const char *session, const char *step, Class c)
{
        int r;

        r = sd_bus_emit_signal(m->bus, BUS_PATH, BUS_INTERFACE, "StepStarted", "sss", session,
                               step, class_to_string(c));
        if (r < 0)
                log_warning_errno(r, "Failed to send StepStarted for %s/%s, ignoring", session,
                                  step);
}

static void unwatch_step(Manager *m, const char *session, const char *step);

/* Reads what the step used, removes it and announces the end.  ENOENT from
 * rmdir means systemd removed the whole scope because the step held its
 * last process: the step is gone either way. */
static int finish_step(Manager *m, const char *session, const char *step, const char *dir,
                       StepUsage *u)
{
        step_usage_read(dir, now_realtime_usec(), u);

        if (rmdir(dir) < 0 && errno != ENOENT)
                return negative_errno();

        unwatch_step(m, session, step);
        decision_step_ended(session, step, u);
        emit_step_ended(m, session, step, u);
        return 0;
}

static void reply_usage(Request *r, const StepUsage *u)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int k;

        k = sd_bus_message_new_method_return(r->call, &reply);
        if (k >= 0)
                k = step_usage_append(reply, u);
        if (k < 0) {
                request_reply_errno(r, k, "Cannot build reply");
                return;
        }
        request_reply(r, reply);
}

static void finish_end_request(Request *r, const char *dir)
{
        StepUsage u = { .killed = r->killed };
        int k;

        k = finish_step(r->manager, r->session, r->step, dir, &u);
        if (k < 0) {
                request_reply_errno(r, k, "Cannot remove the step's cgroup");
                return;
        }
        reply_usage(r, &u);
}

static int on_request_events(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
        Request *r = userdata;
        _cleanup_free_ char *dir = NULL;

        if (step_dir(r->manager, r->session, r->step, &dir) < 0) {
                request_reply_errno(r, -ENOMEM, "Cannot follow the step");
                return 0;
        }

        r->events_changed(r, dir);
        return 0;
}

/* Calls R->events_changed now and on every later change of cgroup.events;
 * checking once after the watch exists closes the window in which the
 * change could have happened unseen. */
static int follow_events(Request *r, const char *dir)
{
        _cleanup_free_ char *events = NULL;
        int k;

        if (asprintf(&events, "%s/cgroup.events", dir) < 0)
                return -ENOMEM;

        k = sd_event_add_inotify(r->manager->event, &r->watch, events, IN_MODIFY,
                                 on_request_events, r);
        if (k < 0)
                return k;

        r->events_changed(r, dir);
        return 0;
}

static void end_when_empty(Request *r, const char *dir)
{
        bool populated = true;
        int k;

        k = cg_is_populated(dir, &populated);
        if (k == -ENOENT)
                populated = false; /* the scope went away with the step */
        else if (k < 0) {
                request_reply_errno(r, k, "Cannot read the step's cgroup.events");
                return;
        }

        if (!populated)
                finish_end_request(r, dir);
}

static int on_grace_over(sd_event_source *s, uint64_t usec, void *userdata)
{
        Request *r = userdata;
        _cleanup_free_ char *dir = NULL;
        int k;

        k = step_dir(r->manager, r->session, r->step, &dir);
        if (k >= 0)
                k = cg_kill(dir);
        if (k < 0 && k != -ENOENT)
                request_reply_errno(r, k, "Cannot kill the step after its grace period");
        else
                r->killed = true;
        return 0;
}

/* SIGTERM to every process of the step, so they can clean up; cgroup.kill
 * follows when the grace period is over. */
static int terminate(Request *r, const char *dir, uint64_t grace_usec)
{
        _cleanup_free_ char *procs = NULL;
        char *line, *save = NULL;
        int k;

        k = cg_read(dir, "cgroup.procs", &procs);
        if (k < 0)
                return k;

        for (line = strtok_r(procs, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (kill((pid_t)atoi(line), SIGTERM) < 0 && errno != ESRCH)
                        log_warning("Cannot send SIGTERM to PID %s: %m", line);

        return sd_event_add_time_relative(r->manager->event, &r->grace, CLOCK_MONOTONIC,
                                          grace_usec, 0, on_grace_over, r);
}

static int new_step_request(Manager *m, sd_bus_message *call, const char *session,
                            const char *step, Request **ret)
{
        Request *req;
        int r;

        r = request_new(m, call, &req);
        if (r < 0)
                return r;

        req->session = strdup(session);
        req->step = strdup(step);
        if (!req->session || !req->step) {
                request_free(req);
                return -ENOMEM;
        }

        *ret = req;
        return 0;
}

/* Only one caller at a time may wait on a step: a second EndStep or
 * Freeze while one is in flight would race it. */
static int refuse_if_busy(Manager *m, sd_bus_message *call, const char *session,
                          const char *step)
{
        if (!request_by_step(m, session, step))
                return 0;
        return reply_refused(call, BUS_ERROR("Busy"),
                             "Step '%s' of session '%s' is already being ended, frozen or "
                             "thawed; try again when that call returned.",
                             step, session);
}

static void remember_end(Manager *m, const char *session, const char *step,
                         const StepUsage *u)
{
        struct RecentEnd *e;

        if (!m->recent_ends) {
                m->recent_ends = calloc(RECENT_ENDS, sizeof(*m->recent_ends));
                if (!m->recent_ends)
                        return;
        }

        e = &m->recent_ends[m->recent_next++ % RECENT_ENDS];
        snprintf(e->session, sizeof(e->session), "%s", session);
        snprintf(e->step, sizeof(e->step), "%s", step);
        e->usage = *u;
        e->valid = true;
}

/* Takes the usage of a step that ended on its own, if it is still known. */
static bool take_recent_end(Manager *m, const char *session, const char *step, StepUsage *ret)
{
        for (unsigned i = 0; m->recent_ends && i < RECENT_ENDS; i++) {
                struct RecentEnd *e = &m->recent_ends[i];

                if (e->valid && streq(e->step, step) && streq(e->session, session)) {
                        *ret = e->usage;
                        e->valid = false;
                        return true;
                }
        }
        return false;
}

/* A step whose command exited has usually ended on its own by the time
 * its runtime calls EndStep; the runtime still gets the usage. */
static int reply_recent_end(Manager *m, sd_bus_message *call, const char *session,
                            const char *step)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *dir = NULL;
        StepUsage u;
        int r;

        r = step_dir(m, session, step, &dir);
        if (r < 0)
                return r;
        if (access(dir, F_OK) >= 0 || !take_recent_end(m, session, step, &u))
                return 0;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = step_usage_append(reply, &u);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        return answered(r);
}

int step_end(Manager *m, sd_bus_message *call, const char *session, const char *step,
             uint64_t grace_usec)
{
        _cleanup_free_ char *dir = NULL;
        bool populated;
        Request *req;
        int r;

        r = reply_recent_end(m, call, session, step);
        if (r == 0)
                r = find_step(m, call, session, step, &dir);
        if (r == 0)
                r = refuse_if_busy(m, call, session, step);
        if (r != 0)
                return r;

        r = new_step_request(m, call, session, step, &req);
        if (r < 0)
                return r;
        req->events_changed = end_when_empty;

        r = cg_is_populated(dir, &populated);
        if (r >= 0 && populated) {
                req->killed = grace_usec == 0;
                r = grace_usec > 0 ? terminate(req, dir, grace_usec) : cg_kill(dir);
        }
        /* Thaw, or a frozen step would hold its SIGTERM until thawed. */
        if (r >= 0 && populated)
                r = cg_write(dir, "cgroup.freeze", "0");
        if (r >= 0)
                r = follow_events(req, dir);
        if (r < 0)
                request_reply_errno(req, r, "Cannot end the step");
        return 1;
}

static void freeze_settled(Request *r, const char *dir)
{
        uint64_t frozen = 0;
        int k;

        k = cg_read_key(dir, "cgroup.events", "frozen", &frozen);
        if (k < 0) {
                request_reply_errno(r, k, "Cannot read the step's cgroup.events");
                return;
        }

        if ((frozen != 0) == r->freeze) {
                decision_step_frozen(r->session, r->step, r->freeze);
                request_reply(r, NULL);
        }
}

int step_freeze(Manager *m, sd_bus_message *call, const char *session, const char *step,
                bool freeze)
{
        _cleanup_free_ char *dir = NULL;
        Request *req;
        int r;

        r = find_step(m, call, session, step, &dir);
        if (r == 0)
                r = refuse_if_busy(m, call, session, step);
        if (r != 0)
                return r;

        r = new_step_request(m, call, session, step, &req);
        if (r < 0)
                return r;
        req->freeze = freeze;
        req->events_changed = freeze_settled;

        r = cg_write(dir, "cgroup.freeze", freeze ? "1" : "0");
        if (r >= 0)
                r = follow_events(req, dir);
        if (r < 0)
                request_reply_errno(req, r, freeze ? "Cannot freeze the step"
                                                   : "Cannot thaw the step");
        return 1;
}

int step_kill(Manager *m, sd_bus_message *call, const char *session, const char *step)
{
        _cleanup_free_ char *dir = NULL;
        int r;

        r = find_step(m, call, session, step, &dir);
        if (r != 0)
                return r;

        (void)step_mark_killed(dir);
        r = cg_kill(dir);
        if (r < 0)
                return reply_failed(call, -r, "Cannot kill step %s/%s", session, step);

        decision_step_killed(session, step);
        return answered(sd_bus_reply_method_return(call, NULL));
}

/* For the daemon's own policies (memory.c): no caller to answer, so no
 * waiting for the kernel to settle, and the decision is logged as for a
 * call.  -EINVAL for a name that could not be a step, -ENOENT for a step
 * that does not exist. */
static int own_step_dir(Manager *m, const char *session, const char *step, char **ret)
{
        _cleanup_free_ char *dir = NULL;
        int r;

        if (name_check(session, NULL) < 0 || name_check(step, NULL) < 0)
                return -EINVAL;

        r = step_dir(m, session, step, &dir);
        if (r < 0)
                return r;
        if (access(dir, F_OK) < 0)
                return negative_errno();

        *ret = TAKE_PTR(dir);
        return 0;
}

static int set_frozen_by_name(Manager *m, const char *session, const char *step, bool freeze)
{
        _cleanup_free_ char *dir = NULL;
        int r;

        r = own_step_dir(m, session, step, &dir);
        if (r >= 0)
                r = cg_write(dir, "cgroup.freeze", freeze ? "1" : "0");
        if (r < 0)
                return r;

        decision_step_frozen(session, step, freeze);
        return 0;
}

int step_freeze_by_name(Manager *m, const char *session, const char *step)
{
        return set_frozen_by_name(m, session, step, true);
}

int step_thaw_by_name(Manager *m, const char *session, const char *step)
{
        return set_frozen_by_name(m, session, step, false);
}

int step_kill_by_name(Manager *m, const char *session, const char *step)
{
        _cleanup_free_ char *dir = NULL;
        int r;

        r = own_step_dir(m, session, step, &dir);
        if (r < 0)
                return r;

        (void)step_mark_killed(dir);
        r = cg_kill(dir);
        if (r < 0)
                return r;

        decision_step_killed(session, step);
        return 0;
}

/* Watches for steps ending on their own. */

static StepWatch *step_watch_free(StepWatch *w)
{
        if (!w)
                return NULL;

        if (w->prev)
                w->prev->next = w->next;
        else if (w->manager->step_watches == w)
                w->manager->step_watches = w->next;
        if (w->next)
                w->next->prev = w->prev;

        sd_event_source_disable_unref(w->source);
        free(w->session);
        free(w->step);
        free(w);
        return NULL;
}

static void unwatch_step(Manager *m, const char *session, const char *step)
{
        for (StepWatch *w = m->step_watches; w; w = w->next)
                if (streq(w->step, step) && streq(w->session, session)) {
                        step_watch_free(w);
                        return;
                }
}

void step_unwatch_all(Manager *m)
{
        while (m->step_watches)
                step_watch_free(m->step_watches);
        m->recent_ends = mfree(m->recent_ends);
}

/* An empty step ends on its own once it was used; a caller waiting on the
 * step (EndStep, Freeze) takes precedence and finishes it itself. */
static void check_step(StepWatch *w, const char *dir)
{
        Manager *m = w->manager;
        _cleanup_free_ char *session = NULL, *step = NULL, *text = NULL;
        bool populated = true;
        uint64_t peak = 0;
        StepUsage u = {};
        int k;

        if (request_by_step(m, w->session, w->step))
                return;
        if (cg_is_populated(dir, &populated) < 0 || populated)
                return;
        if (cg_read(dir, "pids.peak", &text) < 0 || cg_parse_limit(text, &peak) < 0 ||
            peak == 0)
                return;

        /* finish_step() frees the watch, and with it these strings. */
        session = strdup(w->session);
        step = strdup(w->step);
        if (!session || !step)
                return;

        k = finish_step(m, session, step, dir, &u);
        if (k < 0)
                log_warning_errno(k, "Cannot end empty step %s/%s", session, step);
        else
                remember_end(m, session, step, &u);
}

static int on_step_events(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
        StepWatch *w = userdata;
        _cleanup_free_ char *dir = NULL;

        if (ev->mask & IN_IGNORED) {
                step_watch_free(w);
                return 0;
        }

        if (step_dir(w->manager, w->session, w->step, &dir) >= 0)
                check_step(w, dir);
        return 0;
}

static int watch_step(Manager *m, const char *session, const char *step)
{
        _cleanup_free_ char *dir = NULL, *events = NULL;
        StepWatch *w;
        int r;

        r = step_dir(m, session, step, &dir);
        if (r < 0)
                return r;
        if (asprintf(&events, "%s/cgroup.events", dir) < 0)
                return -ENOMEM;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->manager = m;
        w->session = strdup(session);
        w->step = strdup(step);
        w->next = m->step_watches;
        if (m->step_watches)
                m->step_watches->prev = w;
        m->step_watches = w;
        if (!w->session || !w->step) {
                step_watch_free(w);
                return -ENOMEM;
        }

        r = sd_event_add_inotify(m->event, &w->source, events, IN_MODIFY, on_step_events, w);
        if (r < 0) {
                step_watch_free(w);
                return r;
        }

        check_step(w, dir);
        return 0;
}

int step_watch_all(Manager *m)
{
        _cleanup_(strv_freep) char **sessions = NULL;
        _cleanup_free_ char *slice = NULL;
        int r;

        if (asprintf(&slice, "%s/%s", m->cgroup_root, SLICE_UNIT) < 0)
                return -ENOMEM;

        r = cg_children(slice, &sessions);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;

        for (char **s = sessions; *s; s++) {
                _cleanup_(strv_freep) char **steps = NULL;
                _cleanup_free_ char *name = NULL, *dir = NULL;

                if (session_name_from_unit(*s, &name) < 0)
                        continue;
                if (session_dir(m, name, &dir) < 0 || cg_children(dir, &steps) < 0)
                        continue;

                for (char **st = steps; *st; st++) {
                        if (name_check(*st, NULL) < 0)
                                continue;
                        r = watch_step(m, name, *st);
                        if (r < 0)
                                log_warning_errno(r, "Cannot watch step %s/%s", name, *st);
                }
        }
        return 0;
}

/* The fd saves the caller an OpenStep round trip before clone3(); a step
 * that could not be opened still exists, so the reply then carries
 * /dev/null's fd, which clone3() refuses, rather than failing the call. */
static int reply_cgroup_and_fd(sd_bus_message *call, const char *cgroup, int fd)
{
        _cleanup_close_ int null = -EBADF;

        if (fd < 0) {
                null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                fd = null;
        }
        return sd_bus_reply_method_return(call, "sh", cgroup, fd);
}

int step_create(Manager *m, sd_bus_message *call, const char *session, const char *step,
                const StepSettings *settings)
{
        _cleanup_free_ char *dir = NULL, *cgroup = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = session_require(m, call, session);
        if (r != 0)
                return r;

        r = step_dir(m, session, step, &dir);
        if (r >= 0)
                r = step_cgroup(session, step, &cgroup);
        if (r < 0)
                return r;

        if (mkdir(dir, 0755) < 0) {
                if (errno == EEXIST)
                        return reply_refused(call, BUS_ERROR("StepExists"),
                                             "Step '%s' exists in session '%s'.", step, session);
                return reply_failed(call, errno, "Cannot create step %s", cgroup);
        }

        r = step_settings_apply(settings, dir);
        if (r >= 0)
                r = step_mark_created(dir, now_realtime_usec());
        if (r >= 0)
                r = step_settings_record_class(dir, settings->class);
        if (r >= 0)
                sched_step_class(m, dir, settings->class);
        if (r >= 0)
                r = watch_step(m, session, step);
        if (r < 0) {
                if (rmdir(dir) < 0)
                        log_error("Failed to remove %s after a failed setup: %m", dir);
                return reply_failed(call, -r, "Cannot set up step %s", cgroup);
        }

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                log_warning("Cannot open %s for the caller, sending none: %m", dir);

        decision_step_created(session, step, cgroup, settings);
        emit_step_started(m, session, step, settings->class);
        return answered(reply_cgroup_and_fd(call, cgroup, fd));
}

int step_add_process(Manager *m, sd_bus_message *call, const char *session, const char *step,
                     pid_t pid)
{
        _cleanup_free_ char *dir = NULL;
        int r;

        r = find_step(m, call, session, step, &dir);
        if (r != 0)
                return r;

        r = cg_attach(dir, pid);
        if (r == -ESRCH)
                return reply_refused(call, BUS_ERROR("NoSuchProcess"), "No process with PID %d.",
                                     (int)pid);
        if (r < 0)
                return reply_failed(call, -r, "Cannot move PID %d into step %s/%s", (int)pid,
                                    session, step);

        sched_place_task(m, pid);
        decision_process_placed(session, step, pid);
        return answered(sd_bus_reply_method_return(call, NULL));
}

int step_open(Manager *m, sd_bus_message *call, const char *session, const char *step)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = find_step(m, call, session, step, &dir);
        if (r != 0)
                return r;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return reply_failed(call, errno, "Cannot open step %s/%s", session, step);

        return answered(sd_bus_reply_method_return(call, "h", fd));
}

int step_add_pidfd(Manager *m, sd_bus_message *call, const char *session, const char *step,
                   int pidfd)
{
        _cleanup_free_ char *dir = NULL;
        pid_t pid;
        int r;

        r = find_step(m, call, session, step, &dir);
        if (r != 0)
                return r;

        r = pidfd_to_pid(pidfd, &pid);
        if (r < 0 || pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
                return reply_refused(call, BUS_ERROR("NoSuchProcess"),
                                     "The file descriptor is not a pidfd of a live process.");

        r = cg_attach(dir, pid);

        /* The PID was read from a live pidfd; if the process died before the
         * write, the PID could have been reused by the time it was written.
         * Checking again tells the caller, who can end the step. */
        if (r >= 0 && pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
                r = -ESRCH;
        if (r == -ESRCH)
                return reply_refused(call, BUS_ERROR("NoSuchProcess"),
                                     "The process of the pidfd exited while it was moved.");
        if (r < 0)
                return reply_failed(call, -r, "Cannot move PID %d into step %s/%s", (int)pid,
                                    session, step);

        sched_place_task(m, pid);
        decision_process_placed(session, step, pid);
        return answered(sd_bus_reply_method_return(call, NULL));
}
