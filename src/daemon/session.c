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
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cgroup-util.h"
#include "decision.h"
#include "log.h"
#include "names.h"
#include "request.h"
#include "session-budget.h"
#include "session.h"
#include "unit.h"
#include "util.h"

#define STEP_CONTROLLERS "+cpu +memory +pids"

/* A process that forks while it is being moved leaves its child behind in
 * the scope's cgroup; each round moves what is left.  A fork bomb that
 * outruns this many rounds fails the session. */
#define SUPERVISOR_MOVE_ROUNDS 64

/* The uid of the caller that created the session, on the scope's cgroup:
 * it survives a restart of the daemon like everything else it knows. */
#define XATTR_OWNER "trusted.agentcg.owner"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

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

static int set_owner(const char *dir, uid_t uid)
{
        char value[16];
        int n = snprintf(value, sizeof(value), "%u", (unsigned)uid);

        return setxattr(dir, XATTR_OWNER, value, n, 0) < 0 ? negative_errno() : 0;
}

int session_owner(const Manager *m, const char *name, uid_t *ret)
{
        _cleanup_free_ char *dir = NULL;
        char value[16];
        unsigned long uid;
        char *end;
        ssize_t n;
        int r;

        r = session_dir(m, name, &dir);
        if (r < 0)
                return r;

        n = getxattr(dir, XATTR_OWNER, value, sizeof(value) - 1);
        if (n < 0 && errno != ENODATA)
                return negative_errno();

        /* A session from before owners were recorded, or one whose
         * setup has not got that far yet: root's, so nobody else may
         * touch it. */
        if (n <= 0) {
                *ret = 0;
                return 0;
        }

        value[n] = 0;
        errno = 0;
        uid = strtoul(value, &end, 10);
        if (errno > 0 || *end || uid > UINT32_MAX - 1)
                return -EBADMSG;
        *ret = (uid_t)uid;
        return 0;
}

int session_list(const Manager *m, char ***ret)
{
        _cleanup_(strv_freep) char **children = NULL, **names = NULL;
        _cleanup_free_ char *slice = NULL;
        size_t count = 0, n = 0;
        int r;

        if (asprintf(&slice, "%s/%s", m->cgroup_root, SLICE_UNIT) < 0)
                return -ENOMEM;

        /* No slice (yet) is no session. */
        r = cg_children(slice, &children);
        if (r < 0 && r != -ENOENT)
                return r;

        while (children && children[count])
                count++;
        names = calloc(count + 1, sizeof(char *));
        if (!names)
                return -ENOMEM;

        for (size_t i = 0; i < count; i++)
                if (session_name_from_unit(children[i], &names[n]) >= 0)
                        n++;

        *ret = TAKE_PTR(names);
        return 0;
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

static int on_budget_set(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        Request *r = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        r->slot = sd_bus_slot_unref(r->slot);

        /* A CreateSessionWithProperties whose budget systemd refused
         * leaves no session behind. */
        if (e && r->pid > 0)
                abandon_scope(r->manager, r->unit);
        if (e) {
                request_reply_bus_error(r, e);
                return 0;
        }

        if (r->pid > 0)
                reply_created(r);
        else
                request_reply(r, NULL);
        return 0;
}

/* Asks systemd to set B on R's scope, answering R when it did.  Runtime
 * only: the scope is transient and goes with its session. */
static int set_budget(Request *r, const SessionBudget *b)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int k;

        k = sd_bus_message_new_method_call(r->manager->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH,
                                           SYSTEMD_MANAGER, "SetUnitProperties");
        if (k >= 0)
                k = sd_bus_message_append(m, "sb", r->unit, 1);
        if (k >= 0)
                k = session_budget_append(m, b);
        if (k < 0)
                return k;

        return sd_bus_call_async(r->manager->bus, &r->slot, m, on_budget_set, r,
                                 REQUEST_TIMEOUT_USEC);
}

/* The budget of a CreateSessionWithProperties, read again from the call
 * the request keeps; it was checked before the scope was started. */
static int created_budget(Request *r, SessionBudget *ret)
{
        _cleanup_free_ char *reason = NULL;
        const char *member;
        int k;

        *ret = (SessionBudget){};
        member = sd_bus_message_get_member(r->call);
        if (!member || !streq(member, "CreateSessionWithProperties"))
                return 0;

        k = sd_bus_message_rewind(r->call, true);
        if (k >= 0)
                k = sd_bus_message_skip(r->call, "su");
        if (k >= 0)
                k = session_budget_read(r->call, ret, &reason);
        return k;
}

/* systemd adopted the process by PID.  If the pidfd taken when the
 * caller's right to it was checked still names a live process, that PID
 * cannot have been given to another process in between. */
static bool adopted_the_checked_process(Request *r)
{
        return r->pidfd < 0 || pidfd_send_signal(r->pidfd, 0, NULL, 0) >= 0;
}

/* On failure *what says which step failed. */
static int finish_setup(Request *r, const char *dir, const char **what)
{
        int k;

        *what = "Cannot record the session's owner";
        k = set_owner(dir, r->owner);
        if (k < 0)
                return k;

        *what = "Cannot move adopted processes to the supervisor leaf";
        k = move_to_supervisor(dir);
        if (k < 0)
                return k;

        *what = "Cannot enable cpu, memory and pids for steps";
        k = cg_write(dir, "cgroup.subtree_control", STEP_CONTROLLERS);
        if (k < 0)
                return k;

        *what = "Cannot set the session's budget";
        return 0;
}

static void on_scope_started(Request *r, const char *result)
{
        _cleanup_free_ char *dir = NULL;
        const char *what = "Cannot find the session's cgroup";
        SessionBudget budget = {};
        int k;

        if (!streq(result, "done")) {
                request_reply_error(r, BUS_ERROR("Failed"),
                                    "systemd could not start %s: job %s.", r->unit, result);
                return;
        }

        if (!adopted_the_checked_process(r)) {
                abandon_scope(r->manager, r->unit);
                request_reply_error(r, BUS_ERROR("NoSuchProcess"),
                                    "Process %d exited before systemd adopted it.", (int)r->pid);
                return;
        }

        k = session_dir(r->manager, r->session, &dir);
        if (k >= 0)
                k = finish_setup(r, dir, &what);
        if (k >= 0)
                k = created_budget(r, &budget);
        if (k >= 0 && budget.mask != 0)
                k = set_budget(r, &budget);
        if (k < 0) {
                abandon_scope(r->manager, r->unit);
                request_reply_errno(r, k, what);
                return;
        }

        /* With a budget, on_budget_set() answers once systemd took it. */
        if (budget.mask == 0)
                reply_created(r);
}

int session_create(Manager *m, sd_bus_message *call, const char *name, pid_t pid, int pidfd,
                   uid_t owner)
{
        _cleanup_close_ int fd = pidfd;
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
        req->pidfd = TAKE_FD(fd);
        req->owner = owner;
        req->job_done = on_scope_started;
        req->session = strdup(name);
        r = req->session ? session_unit_name(name, &req->unit) : -ENOMEM;
        if (r >= 0)
                r = unit_start_scope(req);
        if (r < 0)
                request_free(req);
        return answered(r);
}

/*
 * systemd removes a stopped scope's cgroup, but not when one of its step
 * cgroups was still there at that moment: the daemon removes the steps
 * whose processes died in the same instant, and the two race.  The
 * cgroup would then stay behind with no unit, and look like a session.
 * The subtree was delegated to us and its unit is gone, so whatever is
 * left of it is ours to remove.
 */
static void trim_stopped_scope(Manager *m, const char *session)
{
        _cleanup_free_ char *dir = NULL;
        int r;

        r = session_dir(m, session, &dir);
        if (r >= 0)
                r = cg_trim(dir);
        if (r < 0)
                log_warning_errno(r, "Failed to remove what is left of session %s's cgroup: %m",
                                  session);
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
        trim_stopped_scope(r->manager, r->session);
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

int session_set_budget(Manager *m, sd_bus_message *call, const char *name,
                       const SessionBudget *budget)
{
        Request *req;
        int r;

        r = session_require(m, call, name);
        if (r != 0)
                return r;

        /* Nothing to set is still an answer, without bothering systemd. */
        if (budget->mask == 0)
                return answered(sd_bus_reply_method_return(call, NULL));

        r = request_new(m, call, &req);
        if (r < 0)
                return r;

        req->session = strdup(name);
        r = req->session ? session_unit_name(name, &req->unit) : -ENOMEM;
        if (r >= 0)
                r = set_budget(req, budget);
        if (r < 0)
                request_free(req);
        return answered(r);
}
