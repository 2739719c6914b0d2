/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Session lifecycle.  Creating a session asks systemd for the scope and,
 * once the start job is done, moves the adopted processes from the scope's
 * own cgroup into its "supervisor" leaf and enables the cpu, memory and
 * pids controllers in the scope's cgroup.subtree_control: the delegatee's
 * part of a delegated scope, and what makes step cgroups carry their own
 * cpu.weight and memory.max.  (systemd's DelegateSubgroup= would place
 * them itself, but systemd 257 applies it to services only, not to the
 * PIDs a scope adopts.)  If any of this fails the scope is stopped again,
 * so a refused call leaves nothing behind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-util.h"
#include "decision.h"
#include "log.h"
#include "names.h"
#include "request.h"
#include "session.h"
#include "unit.h"
#include "util.h"

#define STEP_CONTROLLERS "+cpu +memory +pids"

/* A process that forks while it is being moved leaves its child behind in
 * the scope's cgroup; each round moves what is left.  A fork bomb that
 * outruns this many rounds fails the session. */
#define SUPERVISOR_MOVE_ROUNDS 64

int session_exists(const Manager *m, const char *name)
{
        _cleanup_free_ char *dir = NULL;
        int r;

        r = session_dir(m, name, &dir);
        if (r < 0)
                return r;

        if (access(dir, F_OK) == 0)
                return 1;
        return errno == ENOENT ? 0 : negative_errno();
}

int session_require(const Manager *m, sd_bus_message *call, const char *name)
{
        int r;

        r = session_exists(m, name);
        if (r < 0)
                return r;
        if (r == 0)
                return reply_refused(call, BUS_ERROR("NoSuchSession"), "No session '%s'.",
                                     name);
        return 0;
}

/* Stops a scope whose setup failed; nobody waits for this job. */
static void abandon_scope(Manager *m, const char *unit)
{
        int r;

        r = sd_bus_call_method_async(m->bus, NULL, "org.freedesktop.systemd1",
                                     "/org/freedesktop/systemd1",
                                     "org.freedesktop.systemd1.Manager", "StopUnit", NULL, NULL,
                                     "ss", unit, "fail");
        if (r < 0)
                log_error_errno(r, "Failed to stop %s after a failed setup; stop it by hand",
                                unit);
}

static int move_procs(const char *from, const char *to, bool *moved)
{
        _cleanup_free_ char *procs = NULL;
        char *line, *save = NULL;
        int r;

        r = cg_read(from, "cgroup.procs", &procs);
        if (r < 0)
                return r;

        *moved = false;
        for (line = strtok_r(procs, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                r = cg_write(to, "cgroup.procs", line);
                if (r < 0 && r != -ESRCH)
                        return r;
                *moved = true;
        }
        return 0;
}

static int move_to_supervisor(const char *dir)
{
        _cleanup_free_ char *leaf = NULL;
        bool moved;
        int r;

        if (asprintf(&leaf, "%s/%s", dir, SUPERVISOR_CGROUP) < 0)
                return -ENOMEM;

        if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
                return negative_errno();

        for (int round = 0; round < SUPERVISOR_MOVE_ROUNDS; round++) {
                r = move_procs(dir, leaf, &moved);
                if (r < 0 || !moved)
                        return r;
        }
        return -EBUSY;
}

void emit_session_signal(Manager *m, const char *member, const char *session)
{
        int r;

        r = sd_bus_emit_signal(m->bus, BUS_PATH, BUS_INTERFACE, member, "s", session);
        if (r < 0)
                log_warning_errno(r, "Failed to send %s for %s, ignoring", member, session);
}

static void reply_created(Request *r)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *cgroup = NULL;
        int k;

        k = session_cgroup(r->session, &cgroup);
        if (k >= 0)
                k = sd_bus_message_new_method_return(r->call, &reply);
        if (k >= 0)
                k = sd_bus_message_append(reply, "ss", r->unit, cgroup);
        if (k < 0) {
                request_reply_errno(r, k, "Cannot build reply");
                return;
        }

        decision_session_created(r->session, r->unit, cgroup, r->pid);
        emit_session_signal(r->manager, "SessionNew", r->session);
        request_reply(r, reply);
}

static void on_scope_started(Request *r, const char *result)
{
        _cleanup_free_ char *dir = NULL;
        int k;

        if (!streq(result, "done")) {
                request_reply_error(r, BUS_ERROR("Failed"),
                                    "systemd could not start %s: job %s.", r->unit, result);
                return;
        }

        k = session_dir(r->manager, r->session, &dir);
        if (k >= 0)
                k = move_to_supervisor(dir);
        if (k < 0) {
                abandon_scope(r->manager, r->unit);
                request_reply_errno(r, k, "Cannot move adopted processes to the supervisor leaf");
                return;
        }

        k = cg_write(dir, "cgroup.subtree_control", STEP_CONTROLLERS);
        if (k < 0) {
                abandon_scope(r->manager, r->unit);
                request_reply_errno(r, k, "Cannot enable cpu, memory and pids for steps");
                return;
        }

        reply_created(r);
}

int session_create(Manager *m, sd_bus_message *call, const char *name, pid_t pid)
{
        Request *req;
        int r;

        r = session_exists(m, name);
        if (r < 0)
                return r;
        if (r > 0)
                return reply_refused(call, BUS_ERROR("SessionExists"),
                                     "Session '%s' already exists.", name);

        r = request_new(m, call, &req);
        if (r < 0)
                return r;

        req->pid = pid;
        req->job_done = on_scope_started;
        req->session = strdup(name);
        r = req->session ? session_unit_name(name, &req->unit) : -ENOMEM;
        if (r >= 0)
                r = unit_start_scope(req);
        if (r < 0)
                request_free(req);
        return answered(r);
}

static void on_scope_stopped(Request *r, const char *result)
{
        if (!streq(result, "done") && !streq(result, "gone")) {
                request_reply_error(r, BUS_ERROR("Failed"), "systemd could not stop %s: job %s.",
                                    r->unit, result);
                return;
        }

        /* The decision is logged when the scope's cgroup goes (discover.c),
         * which happens however the session ends. */
        request_reply(r, NULL);
}

int session_end(Manager *m, sd_bus_message *call, const char *name)
{
        Request *req;
        int r;

        r = session_require(m, call, name);
        if (r != 0)
                return r;

        r = request_new(m, call, &req);
        if (r < 0)
                return r;

        req->job_done = on_scope_stopped;
        req->session = strdup(name);
        r = req->session ? session_unit_name(name, &req->unit) : -ENOMEM;
        if (r >= 0)
                r = unit_stop(req);
        if (r < 0)
                request_free(req);
        return answered(r);
}
