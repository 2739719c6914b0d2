/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Step lifecycle.  A step is a directory in the session's delegated
 * subtree with cpu.weight and memory.max written before any process
 * enters it.  Ending a step kills what is left through cgroup.kill and
 * waits for "populated 0" in cgroup.events with inotify (the kernel
 * signals changes of that file), never by polling, then removes the
 * directory and reports what the step used.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-util.h"
#include "decision.h"
#include "log.h"
#include "request.h"
#include "session.h"
#include "step.h"
#include "util.h"

/* Resolves the step's directory, answering the caller with NoSuchSession or
 * NoSuchStep when either is missing.  Returns 0 and *ret on success, 1 if
 * the caller was answered, negative errno on failure. */
static int find_step(Manager *m, sd_bus_message *call, const char *session, const char *step,
                     char **ret)
{
        _cleanup_free_ char *dir = NULL;
        int r;

        r = session_exists(m, session);
        if (r < 0)
                return r;
        if (r == 0)
                return reply_refused(call, BUS_ERROR("NoSuchSession"), "No session '%s'.",
                                     session);

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

static int write_limits(const char *dir, uint64_t cpu_weight, uint64_t memory_max)
{
        int r;

        r = cg_writef(dir, "cpu.weight", "%" PRIu64, cpu_weight);
        if (r < 0)
                return r;

        if (memory_max == UINT64_MAX)
                return cg_write(dir, "memory.max", "max");
        return cg_writef(dir, "memory.max", "%" PRIu64, memory_max);
}

int step_create(Manager *m, sd_bus_message *call, const char *session, const char *step,
                uint64_t cpu_weight, uint64_t memory_max)
{
        _cleanup_free_ char *dir = NULL, *cgroup = NULL;
        int r;

        r = session_exists(m, session);
        if (r < 0)
                return r;
        if (r == 0)
                return reply_refused(call, BUS_ERROR("NoSuchSession"),
                                                  "No session '%s'.", session);

        r = step_dir(m, session, step, &dir);
        if (r >= 0)
                r = step_cgroup(session, step, &cgroup);
        if (r < 0)
                return r;

        if (mkdir(dir, 0755) < 0) {
                if (errno == EEXIST)
                        return reply_refused(call, BUS_ERROR("StepExists"),
                                                          "Step '%s' exists in session '%s'.",
                                                          step, session);
                return answered(sd_bus_reply_method_errnof(
                        call, errno, "Cannot create step %s: %m", cgroup));
        }

        r = write_limits(dir, cpu_weight, memory_max);
        if (r < 0) {
                if (rmdir(dir) < 0)
                        log_error("Failed to remove %s after a failed setup: %m", dir);
                return answered(sd_bus_reply_method_errnof(
                        call, -r, "Cannot set limits of step %s: %m", cgroup));
        }

        decision_step_created(session, step, cgroup, cpu_weight, memory_max);
        return answered(sd_bus_reply_method_return(call, "s", cgroup));
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
                return reply_refused(call, BUS_ERROR("NoSuchProcess"),
                                                  "No process with PID %d.", (int)pid);
        if (r < 0)
                return answered(sd_bus_reply_method_errnof(
                        call, -r, "Cannot move PID %d into step %s/%s: %m", (int)pid, session,
                        step));

        decision_process_placed(session, step, pid);
        return answered(sd_bus_reply_method_return(call, NULL));
}

/* Reads what the step used, removes it and answers the caller. */
static void finish_end(Request *r, const char *dir, bool killed)
{
        uint64_t usage = 0, peak = UINT64_MAX;
        _cleanup_free_ char *text = NULL;

        if (cg_read_key(dir, "cpu.stat", "usage_usec", &usage) < 0)
                log_warning("Cannot read cpu.stat of %s, reporting 0", dir);
        if (cg_read(dir, "memory.peak", &text) >= 0)
                (void)cg_parse_limit(text, &peak);

        /* ENOENT: systemd removed the whole scope because the step held its
         * last process; the step is gone either way. */
        if (rmdir(dir) < 0 && errno != ENOENT) {
                request_reply_errno(r, negative_errno(), "Cannot remove the step's cgroup");
                return;
        }

        decision_step_ended(r->session, r->step, usage, peak, killed);
        request_reply(r, NULL);
}

static int on_events_changed(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
        Request *r = userdata;
        _cleanup_free_ char *dir = NULL;
        bool populated = true;
        int k;

        k = step_dir(r->manager, r->session, r->step, &dir);
        if (k >= 0)
                k = cg_is_populated(dir, &populated);
        if (k == -ENOENT)
                populated = false; /* the scope went away with the step */
        else if (k < 0) {
                request_reply_errno(r, k, "Cannot read the step's cgroup.events");
                return 0;
        }

        if (!populated)
                finish_end(r, dir, true);
        return 0;
}

static int watch_until_empty(Request *r, const char *dir)
{
        _cleanup_free_ char *events = NULL;
        bool populated;
        int k;

        if (asprintf(&events, "%s/cgroup.events", dir) < 0)
                return -ENOMEM;

        k = sd_event_add_inotify(r->manager->event, &r->watch, events, IN_MODIFY,
                                 on_events_changed, r);
        if (k < 0)
                return k;

        /* The step may have emptied between the kill and the watch. */
        k = cg_is_populated(dir, &populated);
        if (k < 0)
                return k;
        if (!populated)
                finish_end(r, dir, true);
        return 0;
}

int step_end(Manager *m, sd_bus_message *call, const char *session, const char *step)
{
        _cleanup_free_ char *dir = NULL;
        bool populated;
        Request *req;
        int r;

        r = find_step(m, call, session, step, &dir);
        if (r != 0)
                return r;

        r = request_new(m, call, &req);
        if (r < 0)
                return r;

        req->session = strdup(session);
        req->step = strdup(step);
        if (!req->session || !req->step) {
                request_free(req);
                return -ENOMEM;
        }

        r = cg_is_populated(dir, &populated);
        if (r >= 0 && !populated) {
                finish_end(req, dir, false);
                return 1;
        }
        if (r >= 0)
                r = cg_kill(dir);
        if (r >= 0)
                r = watch_until_empty(req, dir);
        if (r < 0)
                request_reply_errno(req, r, "Cannot end the step");
        return 1;
}
