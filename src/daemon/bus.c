/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * D-Bus glue.  Each method handler reads its arguments, checks them
 * against the rules in names.h and step-settings.c, and hands
 * over to session.c or step.c.  Refusals are decisions too: each one is
 * logged with the sender and the error so an operator can see who asked
 * for what.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>

#include "bus-access.h"
#include "bus-object.h"
#include "bus.h"
#include "cgroup-util.h"
#include "config.h"
#include "decision.h"
#include "discover.h"
#include "log.h"
#include "names.h"
#include "request.h"
#include "session.h"
#include "step.h"
#include "util.h"

/* Longer than any tool call should need to clean up; beyond it a caller
 * that wants to wait can do so itself before EndStep. */
#define MAX_GRACE_USEC (60ULL * 1000 * 1000)

/* The check_*() and read_*() helpers return 0 if the call may go on, 1 if
 * they refused it (the caller has its answer), negative errno on failure;
 * handlers pass anything but 0 straight back to sd-bus. */
static int check_name(sd_bus_message *call, const char *what, const char *name)
{
        const char *reason;

        if (name_check(name, &reason) >= 0)
                return 0;

        return reply_refused(call, BUS_ERROR("InvalidName"), "%s name '%.80s' %s.", what, name,
                             reason);
}

/* sd-bus would answer a handler's negative errno with a generic error
 * derived from it; the API promises its own names, so a failure inside
 * the daemon becomes Failed, saying which call failed and why. */
static int failed(sd_bus_message *call, sd_bus_error *error, int r)
{
        if (r >= 0 || sd_bus_error_is_set(error))
                return r;

        log_warning_errno(r, "%s failed", sd_bus_message_get_member(call));
        return sd_bus_error_setf(error, BUS_ERROR("Failed"), "%s failed: %s",
                                 sd_bus_message_get_member(call), strerror(-r));
}

static int no_such_process(sd_bus_message *call, uint32_t pid)
{
        return reply_refused(call, BUS_ERROR("NoSuchProcess"), "No process with PID %u.", pid);
}

/* Opens a pidfd of PID, which holds the process while the caller's right
 * to it is checked.  Returns 0 and *ret, 1 if refused, negative errno. */
static int open_pid(sd_bus_message *call, uint32_t pid, int *ret)
{
        int fd;

        if (pid == 0 || pid > INT32_MAX)
                return no_such_process(call, pid);

        fd = pidfd_open((pid_t)pid, 0);
        if (fd < 0)
                return errno == ESRCH || errno == EINVAL ? no_such_process(call, pid)
                                                         : negative_errno();
        *ret = fd;
        return 0;
}

static int read_budget(sd_bus_message *call, SessionBudget *ret)
{
        _cleanup_free_ char *reason = NULL;
        int r;

        r = session_budget_read(call, ret, &reason);
        if (r == -EINVAL && reason)
                return reply_refused(call, BUS_ERROR("InvalidLimit"), "%s", reason);
        return r;
}

/* The process a session adopts, held by a pidfd while the caller's right
 * to it is checked.  By PID (0 is the caller itself, as the bus knows it),
 * or by a pidfd of the caller's, which names the process without a PID
 * that could have been reused.  Returns 0, 1 if refused, negative errno. */
static int read_adopted(sd_bus_message *call, bool by_pidfd, int *ret_pidfd, pid_t *ret_pid)
{
        uint32_t pid;
        pid_t self;
        int r, fd;

        if (by_pidfd) {
                r = sd_bus_message_read(call, "h", &fd);
                if (r < 0)
                        return r;
                if (pidfd_to_pid(fd, ret_pid) < 0 || pidfd_send_signal(fd, 0, NULL, 0) < 0)
                        return reply_refused(call, BUS_ERROR("NoSuchProcess"),
                                             "The file descriptor is not a pidfd of a live "
                                             "process.");
                *ret_pidfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                return *ret_pidfd < 0 ? negative_errno() : 0;
        }

        r = sd_bus_message_read(call, "u", &pid);
        if (r < 0)
                return r;
        if (pid == 0) {
                r = caller_pid(call, &self);
                if (r < 0)
                        return r;
                pid = (uint32_t)self;
        }

        *ret_pid = (pid_t)pid;
        return open_pid(call, pid, ret_pidfd);
}

typedef enum SessionCall {
        SESSION_BY_PID,             /* CreateSession */
        SESSION_BY_PID_WITH_BUDGET, /* CreateSessionWithProperties */
        SESSION_BY_PIDFD,           /* CreateSessionByPIDFD, with a budget */
} SessionCall;

/* Everything is checked (name, process, budget, the caller's right to the
 * process, its quota) before systemd is asked for anything. */
static int create_session(sd_bus_message *call, Manager *m, SessionCall how)
{
        _cleanup_close_ int pidfd = -EBADF;
        SessionBudget budget = {};
        const char *name;
        pid_t pid = 0;
        uid_t uid;
        int r;

        r = sd_bus_message_read(call, "s", &name);
        if (r < 0)
                return r;

        r = check_name(call, "Session", name);
        if (r == 0)
                r = read_adopted(call, how == SESSION_BY_PIDFD, &pidfd, &pid);
        if (r != 0)
                return r;

        if (how != SESSION_BY_PID) {
                r = read_budget(call, &budget);
                if (r == 0 && budget.mask != 0)
                        r = access_admin(call, "Setting a session's budget");
                if (r != 0)
                        return r;
        }

        r = access_process(call, pidfd, pid);
        if (r == 0)
                r = access_session_quota(m, call);
        if (r == 0)
                r = caller_uid(call, &uid);
        if (r != 0)
                return r;

        return session_create(m, call, name, pid, TAKE_FD(pidfd), uid);
}

static int method_create_session(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        return failed(call, error, create_session(call, userdata, SESSION_BY_PID));
}

static int method_create_session_props(sd_bus_message *call, void *userdata,
                                       sd_bus_error *error)
{
        return failed(call, error, create_session(call, userdata, SESSION_BY_PID_WITH_BUDGET));
}

static int method_create_session_pidfd(sd_bus_message *call, void *userdata,
                                       sd_bus_error *error)
{
        return failed(call, error, create_session(call, userdata, SESSION_BY_PIDFD));
}

static int read_session_name(sd_bus_message *call, const char **session)
{
        int r;

        r = sd_bus_message_read(call, "s", session);
        if (r < 0)
                return r;

        return check_name(call, "Session", *session);
}

/* Reads and checks a (session, step) pair. */
static int read_step_names(sd_bus_message *call, const char **session, const char **step)
{
        int r;

        r = read_session_name(call, session);
        if (r != 0)
                return r;

        r = sd_bus_message_read(call, "s", step);
        if (r < 0)
                return r;

        return check_name(call, "Step", *step);
}

/* The checks and the work behind the methods that the manager and the
 * session and step objects share (bus.h). */

int bus_session_end(Manager *m, sd_bus_message *call, const char *session)
{
        int r;

        r = access_session(m, call, session);
        if (r == 0)
                r = session_end(m, call, session);
        return r;
}

int bus_session_set_budget(Manager *m, sd_bus_message *call, const char *session)
{
        SessionBudget budget;
        int r;

        r = read_budget(call, &budget);
        if (r == 0)
                r = access_admin(call, "Setting a session's budget");
        if (r == 0)
                r = session_set_budget(m, call, session, &budget);
        return r;
}

int bus_step_end(Manager *m, sd_bus_message *call, const char *session, const char *step,
                 uint64_t grace_usec)
{
        int r;

        if (grace_usec > MAX_GRACE_USEC)
                return reply_refused(call, BUS_ERROR("InvalidLimit"),
                                     "grace_usec %" PRIu64 " is above the maximum of 60 s.",
                                     grace_usec);

        r = access_session(m, call, session);
        if (r == 0)
                r = step_end(m, call, session, step, grace_usec);
        return r;
}

int bus_step_freeze(Manager *m, sd_bus_message *call, const char *session, const char *step,
                    bool freeze)
{
        int r;

        r = access_session(m, call, session);
        if (r == 0)
                r = step_freeze(m, call, session, step, freeze);
        return r;
}

int bus_step_kill(Manager *m, sd_bus_message *call, const char *session, const char *step)
{
        int r;

        r = access_session(m, call, session);
        if (r == 0)
                r = step_kill(m, call, session, step);
        return r;
}

static int method_end_session(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        const char *name;
        int r;

        r = read_session_name(call, &name);
        if (r == 0)
                r = bus_session_end(userdata, call, name);
        return failed(call, error, r);
}

static int method_set_session_props(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        const char *name;
        int r;

        r = read_session_name(call, &name);
        if (r == 0)
                r = bus_session_set_budget(userdata, call, name);
        return failed(call, error, r);
}

static int read_settings(sd_bus_message *call, const Manager *m, StepSettings *settings)
{
        _cleanup_free_ char *reason = NULL;
        const char *error = NULL;
        int r;

        r = step_settings_read(call, &m->config, settings, &error, &reason);
        if (r == -EINVAL && error)
                return reply_refused(call, error, "%s", reason ?: "Invalid step property.");
        return r;
}

static int method_create_step(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        const char *session, *step;
        StepSettings settings;
        int r;

        r = read_step_names(call, &session, &step);
        if (r == 0)
                r = read_settings(call, userdata, &settings);
        if (r == 0)
                r = access_session(userdata, call, session);
        if (r == 0)
                r = access_step_quota(userdata, call, &settings);
        if (r == 0)
                r = step_create(userdata, call, session, step, &settings);
        return failed(call, error, r);
}

static int method_add_process(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        _cleanup_close_ int pidfd = -EBADF;
        const char *session, *step;
        uint32_t pid = 0;
        int r;

        r = read_step_names(call, &session, &step);
        if (r == 0)
                r = sd_bus_message_read(call, "u", &pid) < 0 ? -EBADMSG : 0;
        if (r == 0)
                r = access_session(userdata, call, session);
        if (r == 0)
                r = open_pid(call, pid, &pidfd);
        if (r == 0)
                r = access_process(call, pidfd, (pid_t)pid);
        if (r == 0)
                r = step_add_process(userdata, call, session, step, (pid_t)pid);
        return failed(call, error, r);
}

static int method_add_pidfd(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        const char *session, *step;
        int r, pidfd = -EBADF;
        pid_t pid = 0;

        r = read_step_names(call, &session, &step);
        if (r == 0)
                r = sd_bus_message_read(call, "h", &pidfd) < 0 ? -EBADMSG : 0;
        if (r == 0)
                r = access_session(userdata, call, session);
        if (r == 0 && pidfd_to_pid(pidfd, &pid) < 0)
                r = reply_refused(call, BUS_ERROR("NoSuchProcess"),
                                  "The file descriptor is not a pidfd of a live process.");
        if (r == 0)
                r = access_process(call, pidfd, pid);
        if (r == 0)
                r = step_add_pidfd(userdata, call, session, step, pidfd);
        return failed(call, error, r);
}

static int method_open_step(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        const char *session, *step;
        int r;

        r = read_step_names(call, &session, &step);
        if (r == 0)
                r = access_session(userdata, call, session);
        if (r == 0)
                r = step_open(userdata, call, session, step);
        return failed(call, error, r);
}

static int method_end_step(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        const char *session, *step;
        uint64_t grace_usec = 0;
        int r;

        r = read_step_names(call, &session, &step);
        if (r == 0)
                r = sd_bus_message_read(call, "t", &grace_usec) < 0 ? -EBADMSG : 0;
        if (r == 0)
                r = bus_step_end(userdata, call, session, step, grace_usec);
        return failed(call, error, r);
}

static int method_freeze_or_thaw(sd_bus_message *call, void *userdata, sd_bus_error *error,
                                 bool freeze)
{
        const char *session, *step;
        int r;

        r = read_step_names(call, &session, &step);
        if (r == 0)
                r = bus_step_freeze(userdata, call, session, step, freeze);
        return failed(call, error, r);
}

static int method_freeze_step(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        return method_freeze_or_thaw(call, userdata, error, true);
}

static int method_thaw_step(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        return method_freeze_or_thaw(call, userdata, error, false);
}

static int method_kill_step(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        const char *session, *step;
        int r;

        r = read_step_names(call, &session, &step);
        if (r == 0)
                r = bus_step_kill(userdata, call, session, step);
        return failed(call, error, r);
}

/* Replies with a(ss) of (name, cgroup) for the entries of CHILDREN that
 * NAME_OF accepts. */
static int reply_list(sd_bus_message *call, char **children, const char *parent_cgroup,
                      const char *(*name_of)(const char *child, char buf[static 128]))
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char buf[128];
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ss)");

        for (char **c = children; r >= 0 && c && *c; c++) {
                _cleanup_free_ char *cgroup = NULL;
                const char *name = name_of(*c, buf);

                if (!name)
                        continue;
                if (asprintf(&cgroup, "%s/%s", parent_cgroup, *c) < 0)
                        return -ENOMEM;
                r = sd_bus_message_append(reply, "(ss)", name, cgroup);
        }

        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return answered(sd_bus_send(NULL, reply, NULL));
}

/* Sessions by their name; units placed in the slice without the API by
 * their unit name, which no session name can be (it has a '.'). */
static const char *session_name_of(const char *child, char buf[static 128])
{
        _cleanup_free_ char *name = NULL;

        if (discover_is_foreign(child))
                return child;
        if (session_name_from_unit(child, &name) < 0 || strlen(name) >= 128)
                return NULL;
        return strcpy(buf, name);
}

static const char *step_name_of(const char *child, char buf[static 128])
{
        return name_check(child, NULL) >= 0 ? child : NULL;
}

/* Drops from CHILDREN (cgroups in the slice) what UID may not see: other
 * users' sessions, and for anyone but root the foreign units. */
static void hide_from(const Manager *m, uid_t uid, char **children)
{
        size_t kept = 0;

        for (char **c = children; c && *c; c++) {
                _cleanup_free_ char *name = NULL;

                if (session_name_from_unit(*c, &name) >= 0 ? access_visible(m, uid, name)
                                                            : uid == 0)
                        children[kept++] = *c;
                else
                        free(*c);
        }
        if (children)
                children[kept] = NULL;
}

static int list_sessions(sd_bus_message *call, Manager *m)
{
        _cleanup_(strv_freep) char **children = NULL;
        _cleanup_free_ char *slice = NULL;
        uid_t uid;
        int r;

        r = caller_uid(call, &uid);
        if (r < 0)
                return r;

        if (asprintf(&slice, "%s/%s", m->cgroup_root, SLICE_UNIT) < 0)
                return -ENOMEM;

        r = cg_children(slice, &children);
        if (r < 0 && r != -ENOENT)
                return r;

        /* An administrator by polkit's word lists what root does.  Asked
         * only here, not per property read, so one list costs one call. */
        if (uid != 0) {
                const char *why;

                r = caller_is_admin(call, &why);
                if (r < 0)
                        return r;
                if (r > 0)
                        uid = 0;
        }

        hide_from(m, uid, children);
        return reply_list(call, children, "/" SLICE_UNIT, session_name_of);
}

static int method_list_sessions(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        return failed(call, error, list_sessions(call, userdata));
}

static int list_steps(sd_bus_message *call, Manager *m)
{
        _cleanup_(strv_freep) char **children = NULL;
        _cleanup_free_ char *dir = NULL, *cgroup = NULL;
        const char *session;
        int r;

        r = read_session_name(call, &session);
        if (r == 0)
                r = access_session(m, call, session);
        if (r != 0)
                return r;

        r = session_dir(m, session, &dir);
        if (r >= 0)
                r = session_cgroup(session, &cgroup);
        if (r < 0)
                return r;

        r = cg_children(dir, &children);
        if (r == -ENOENT)
                return reply_refused(call, BUS_ERROR("NoSuchSession"), "No session '%s'.",
                                     session);
        if (r < 0)
                return r;

        return reply_list(call, children, cgroup, step_name_of);
}

static int method_list_steps(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        return failed(call, error, list_steps(call, userdata));
}

static int reload(sd_bus_message *call, Manager *m)
{
        _cleanup_free_ char *problem = NULL;
        int r;

        r = access_admin(call, "Reload");
        if (r != 0)
                return r;

        r = manager_reload(m, &problem);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return reply_refused(call, BUS_ERROR("InvalidConfig"),
                                     "Configuration rejected, the previous one stays: %s",
                                     problem ?: strerror(-r));

        return answered(sd_bus_reply_method_return(call, NULL));
}

static int method_reload(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        return failed(call, error, reload(call, userdata));
}

static int property_scheduler(sd_bus *bus, const char *path, const char *interface,
                              const char *property, sd_bus_message *reply, void *userdata,
                              sd_bus_error *error)
{
        Manager *m = userdata;

        return sd_bus_message_append(reply, "s", m->scheduler ? scheduler_ops_name() : "none");
}

static int property_version(sd_bus *bus, const char *path, const char *interface,
                            const char *property, sd_bus_message *reply, void *userdata,
                            sd_bus_error *error)
{
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

/* Every method is open on the bus: sd-bus's own check (root or
 * CAP_SYS_ADMIN) would shut out the ordinary users that bus-access.c lets
 * manage their own sessions. */
#define UNPRIVILEGED SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Scheduler", "s", property_scheduler, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("CreateSession", SD_BUS_ARGS("s", name, "u", pid),
                                SD_BUS_RESULT("s", unit, "s", cgroup), method_create_session,
                                UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CreateSessionWithProperties",
                                SD_BUS_ARGS("s", name, "u", pid, "a(sv)", properties),
                                SD_BUS_RESULT("s", unit, "s", cgroup),
                                method_create_session_props, UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CreateSessionByPIDFD",
                                SD_BUS_ARGS("s", name, "h", pidfd, "a(sv)", properties),
                                SD_BUS_RESULT("s", unit, "s", cgroup),
                                method_create_session_pidfd, UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetSessionProperties",
                                SD_BUS_ARGS("s", name, "a(sv)", properties), SD_BUS_NO_RESULT,
                                method_set_session_props, UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("EndSession", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT,
                                method_end_session, UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CreateStep",
                                SD_BUS_ARGS("s", session, "s", step, "a(sv)", properties),
                                SD_BUS_RESULT("s", cgroup, "h", cgroup_fd), method_create_step,
                                UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AddProcess", SD_BUS_ARGS("s", session, "s", step, "u", pid),
                                SD_BUS_NO_RESULT, method_add_process, UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AddProcessByPIDFD",
                                SD_BUS_ARGS("s", session, "s", step, "h", pidfd),
                                SD_BUS_NO_RESULT, method_add_pidfd, UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("OpenStep", SD_BUS_ARGS("s", session, "s", step),
                                SD_BUS_RESULT("h", cgroup_fd), method_open_step, UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("EndStep",
                                SD_BUS_ARGS("s", session, "s", step, "t", grace_usec),
                                SD_BUS_RESULT("a{sv}", usage), method_end_step, UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("FreezeStep", SD_BUS_ARGS("s", session, "s", step),
                                SD_BUS_NO_RESULT, method_freeze_step, UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ThawStep", SD_BUS_ARGS("s", session, "s", step),
                                SD_BUS_NO_RESULT, method_thaw_step, UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("KillStep", SD_BUS_ARGS("s", session, "s", step),
                                SD_BUS_NO_RESULT, method_kill_step, UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListSessions", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ss)", sessions),
                                method_list_sessions, UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListSteps", SD_BUS_ARGS("s", session),
                                SD_BUS_RESULT("a(ss)", steps), method_list_steps, UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reload,
                                UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("SessionNew", SD_BUS_ARGS("s", session), 0),
        SD_BUS_SIGNAL_WITH_ARGS("SessionRemoved", SD_BUS_ARGS("s", session), 0),
        SD_BUS_SIGNAL_WITH_ARGS("StepStarted", SD_BUS_ARGS("s", session, "s", step, "s", class),
                                0),
        SD_BUS_SIGNAL_WITH_ARGS("StepEnded",
                                SD_BUS_ARGS("s", session, "s", step, "a{sv}", usage), 0),
        SD_BUS_VTABLE_END,
};

int bus_publish(Manager *m)
{
        int r;

        r = sd_bus_add_object_vtable(m->bus, NULL, BUS_PATH, BUS_INTERFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s", BUS_PATH);

        r = bus_object_publish(m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the session and step objects");

        r = sd_bus_request_name(m->bus, BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to take the bus name %s", BUS_NAME);

        return 0;
}
