/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Access control for the bus API.  The caller's uid comes from the bus's
 * credentials of the sender; a process the caller names is judged by its
 * own uids, read while a pidfd holds it, so a PID that was reused in
 * between is noticed.  The owner of a session is the uid that created it,
 * recorded on the session's cgroup (session.c), so it survives restarts.
 *
 * polkit is asked only when the rules for ordinary users would refuse, so
 * ordinary use costs no round trip to polkitd.  The check is synchronous
 * and never interactive: the daemon has one thread and must not wait for
 * a password prompt.  Without polkitd only root is an administrator, and
 * refusals say so.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>

#include "bus-access.h"
#include "cgroup-util.h"
#include "log.h"
#include "names.h"
#include "request.h"
#include "session.h"
#include "util.h"

#define POLKIT_TIMEOUT_USEC (5ULL * 1000 * 1000)

/* dbus-daemon attaches no credentials to messages, so sd-bus asks it for
 * them, a synchronous GetConnectionCredentials round trip that costs
 * milliseconds under emulation, and a call checks its caller up to twice.
 * The answer for the last sender is kept: a unique name belongs to one
 * connection for the bus's whole life, and the bus reports the uid that
 * connection had when it connected, so it cannot change. */
static struct {
        char *sender;
        uid_t uid;
} last_caller;

static int query_caller_uid(sd_bus_message *call, uid_t *ret)
{
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        int r;

        r = sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID, &creds);
        if (r < 0)
                return r;

        /* dbus-daemon reports the uid of the peer's socket; sd-bus files
         * it as the effective uid, or as the uid on older versions. */
        r = sd_bus_creds_get_euid(creds, ret);
        if (r == -ENODATA)
                r = sd_bus_creds_get_uid(creds, ret);
        return r;
}

int caller_uid(sd_bus_message *call, uid_t *ret)
{
        const char *sender = sd_bus_message_get_sender(call);
        char *copy;
        int r;

        if (sender && last_caller.sender && streq(sender, last_caller.sender)) {
                *ret = last_caller.uid;
                return 0;
        }

        r = query_caller_uid(call, ret);
        if (r < 0 || !sender || sender[0] != ':')
                return r;

        /* Without memory the next call simply asks again. */
        copy = strdup(sender);
        if (copy) {
                free(last_caller.sender);
                last_caller.sender = copy;
                last_caller.uid = *ret;
        }
        return 0;
}

int caller_pid(sd_bus_message *call, pid_t *ret)
{
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        int r;

        r = sd_bus_query_sender_creds(call, SD_BUS_CREDS_PID, &creds);
        if (r < 0)
                return r;
        return sd_bus_creds_get_pid(creds, ret);
}

static bool polkit_absent(const sd_bus_error *e)
{
        return sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
               sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

static int polkit_call(sd_bus_message *call, sd_bus_message **reply, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus *bus = sd_bus_message_get_bus(call);
        const char *sender = sd_bus_message_get_sender(call);
        int r;

        if (!sender)
                return -EBADMSG;

        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority",
                                           "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(m, "(sa{sv})s", "system-bus-name", 1, "name", "s",
                                          sender, POLKIT_ACTION_MANAGE_ALL);
        /* No details, no flags (never interactive), no cancellation id. */
        if (r >= 0)
                r = sd_bus_message_append(m, "a{ss}us", 0, 0, "");
        if (r < 0)
                return r;

        return sd_bus_call(bus, m, POLKIT_TIMEOUT_USEC, error, reply);
}

static int polkit_check(sd_bus_message *call, const char **why)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int authorized = 0, challenge = 0, r;

        r = polkit_call(call, &reply, &error);
        if (r < 0 && polkit_absent(&error)) {
                *why = "polkit is not available to authorize anyone else";
                return 0;
        }
        if (r < 0) {
                log_warning("polkit CheckAuthorization failed: %s",
                            error.message ?: strerror(-r));
                *why = "polkit could not be asked; see the daemon's log";
                return 0;
        }

        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0)
                return r;

        if (authorized)
                return 1;
        *why = challenge ? "polkit wants interactive authentication, which agentcgroupd does "
                           "not wait for"
                         : "polkit does not authorize " POLKIT_ACTION_MANAGE_ALL;
        return 0;
}

int caller_is_admin(sd_bus_message *call, const char **why)
{
        uid_t uid;
        int r;

        r = caller_uid(call, &uid);
        if (r < 0)
                return r;
        if (uid == 0)
                return 1;

        return polkit_check(call, why);
}

int access_admin(sd_bus_message *call, const char *what)
{
        const char *why = "";
        int r;

        r = caller_is_admin(call, &why);
        if (r < 0)
                return r;
        if (r > 0)
                return 0;

        return reply_refused(call, BUS_ERROR("AccessDenied"),
                             "%s is for root and administrators, and %s.", what, why);
}

int access_session(Manager *m, sd_bus_message *call, const char *session)
{
        const char *why = "";
        uid_t uid, owner;
        int r;

        r = caller_uid(call, &uid);
        if (r < 0)
                return r;
        if (uid == 0)
                return 0;

        r = session_owner(m, session, &owner);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (owner == uid)
                return 0;

        r = polkit_check(call, &why);
        if (r != 0)
                return r < 0 ? r : 0;

        return reply_refused(call, BUS_ERROR("AccessDenied"),
                             "Session '%s' belongs to another user, and %s.", session, why);
}

/* The real and effective uid of a process, from /proc. */
static int process_uids(pid_t pid, uid_t *real, uid_t *effective)
{
        _cleanup_free_ char *path = NULL, *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        unsigned r_uid, e_uid;
        size_t size = 0;

        if (asprintf(&path, "/proc/%d/status", (int)pid) < 0)
                return -ENOMEM;

        f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? -ESRCH : negative_errno();

        while (getline(&line, &size, f) > 0)
                if (sscanf(line, "Uid:\t%u\t%u", &r_uid, &e_uid) == 2) {
                        *real = r_uid;
                        *effective = e_uid;
                        return 0;
                }
        return -EBADMSG;
}

/* The PID behind a pidfd, from its fdinfo: -ESRCH once the process has
 * exited (the kernel then shows -1), -EBADF if the fd is no pidfd. */
int pidfd_to_pid(int pidfd, pid_t *ret)
{
        _cleanup_free_ char *path = NULL, *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;
        int pid;

        if (asprintf(&path, "/proc/self/fdinfo/%d", pidfd) < 0)
                return -ENOMEM;

        f = fopen(path, "re");
        if (!f)
                return negative_errno();

        while (getline(&line, &size, f) > 0)
                if (sscanf(line, "Pid:\t%d", &pid) == 1) {
                        if (pid <= 0)
                                return -ESRCH;
                        *ret = pid;
                        return 0;
                }

        return -EBADF; /* not a pidfd */
}

int access_process(sd_bus_message *call, int pidfd, pid_t pid)
{
        uid_t uid, real = 0, effective = 0;
        const char *why = "";
        int r;

        r = caller_uid(call, &uid);
        if (r < 0)
                return r;

        /* Read while the pidfd holds the process, then check that it is
         * still alive: the uids read were those of the pidfd's process. */
        r = process_uids(pid, &real, &effective);
        if (r == -ESRCH || (r >= 0 && pidfd_send_signal(pidfd, 0, NULL, 0) < 0))
                return reply_refused(call, BUS_ERROR("NoSuchProcess"),
                                     "Process %d exited.", (int)pid);
        if (r < 0)
                return r;

        if (uid == 0 || (real == uid && effective == uid))
                return 0;

        r = polkit_check(call, &why);
        if (r != 0)
                return r < 0 ? r : 0;

        return reply_refused(call, BUS_ERROR("AccessDenied"),
                             "Process %d does not run as uid %u, and %s.", (int)pid,
                             (unsigned)uid, why);
}

/* Root is never bound by quotas. */
static int bound_by_quota(sd_bus_message *call, uid_t *uid)
{
        int r;

        r = caller_uid(call, uid);
        if (r < 0)
                return r;
        return *uid != 0;
}

/* An administrator by polkit's word is exempt too; asked only when a
 * quota would refuse, so staying within one costs no polkit call.
 * Returns 1 if exempt, 0 if not, negative errno. */
static int exempt_from_quota(sd_bus_message *call)
{
        const char *why;

        return polkit_check(call, &why);
}

bool access_visible(const Manager *m, uid_t uid, const char *session)
{
        uid_t owner;

        if (uid == 0)
                return true;
        return session_owner(m, session, &owner) >= 0 && owner == uid;
}

/* What a user's steps hold: how many, and the sum of their memory.max
 * (saturating; a step without one counts as unlimited). */
typedef struct UserSteps {
        uint64_t steps;
        uint64_t memory;
} UserSteps;

static void add_memory(UserSteps *u, const char *dir)
{
        _cleanup_free_ char *text = NULL;
        uint64_t v = CGROUP_LIMIT_MAX;

        if (cg_read(dir, "memory.max", &text) >= 0)
                (void)cg_parse_limit(text, &v);
        u->memory = v > CGROUP_LIMIT_MAX - u->memory ? CGROUP_LIMIT_MAX : u->memory + v;
}

static int count_session_steps(const Manager *m, const char *session, UserSteps *u)
{
        _cleanup_(strv_freep) char **steps = NULL;
        _cleanup_free_ char *dir = NULL;
        int r;

        r = session_dir(m, session, &dir);
        if (r < 0)
                return r;

        r = cg_children(dir, &steps);
        if (r == -ENOENT)
                return 0; /* ended meanwhile */
        if (r < 0)
                return r;

        for (char **s = steps; *s; s++) {
                _cleanup_free_ char *step = NULL;

                if (name_check(*s, NULL) < 0)
                        continue;
                if (asprintf(&step, "%s/%s", dir, *s) < 0)
                        return -ENOMEM;
                u->steps++;
                add_memory(u, step);
        }
        return 0;
}

static int count_user(const Manager *m, uid_t uid, uint64_t *sessions, UserSteps *u)
{
        _cleanup_(strv_freep) char **names = NULL;
        int r;

        r = session_list(m, &names);
        if (r < 0)
                return r;

        for (char **n = names; *n; n++) {
                if (!access_visible(m, uid, *n))
                        continue;
                (*sessions)++;
                if (u) {
                        r = count_session_steps(m, *n, u);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int access_session_quota(Manager *m, sd_bus_message *call)
{
        uint64_t sessions = 0, max = m->config.max_sessions_per_user;
        uid_t uid;
        int r;

        r = bound_by_quota(call, &uid);
        if (r <= 0)
                return r;

        r = count_user(m, uid, &sessions, NULL);
        if (r < 0)
                return r;
        if (sessions < max)
                return 0;

        r = exempt_from_quota(call);
        if (r != 0)
                return r < 0 ? r : 0;

        return reply_refused(call, BUS_ERROR("TooManySessions"),
                             "uid %u has %" PRIu64 " sessions, the most MaxSessionsPerUser= "
                             "allows; end one first.",
                             (unsigned)uid, sessions);
}

int access_step_quota(Manager *m, sd_bus_message *call, const StepSettings *settings)
{
        uint64_t sessions = 0, mem_max = m->config.max_memory_per_user;
        uint64_t want = settings->limits.memory_max;
        UserSteps u = {};
        uid_t uid;
        int r;

        r = bound_by_quota(call, &uid);
        if (r <= 0)
                return r;

        r = count_user(m, uid, &sessions, &u);
        if (r < 0)
                return r;

        if (u.steps < m->config.max_steps_per_user &&
            (mem_max == CGROUP_LIMIT_MAX ||
             (want != CGROUP_LIMIT_MAX && u.memory <= mem_max && want <= mem_max - u.memory)))
                return 0;

        r = exempt_from_quota(call);
        if (r != 0)
                return r < 0 ? r : 0;

        if (u.steps >= m->config.max_steps_per_user)
                return reply_refused(call, BUS_ERROR("TooManySteps"),
                                     "uid %u has %" PRIu64 " steps, the most MaxStepsPerUser= "
                                     "allows; end one first.",
                                     (unsigned)uid, u.steps);

        if (mem_max == CGROUP_LIMIT_MAX)
                return 0;
        if (want == CGROUP_LIMIT_MAX)
                return reply_refused(call, BUS_ERROR("MemoryQuotaExceeded"),
                                     "uid %u is limited to %" PRIu64 " bytes of MemoryMax over "
                                     "all its steps; give the step a MemoryMax.",
                                     (unsigned)uid, mem_max);
        if (u.memory > mem_max || want > mem_max - u.memory)
                return reply_refused(call, BUS_ERROR("MemoryQuotaExceeded"),
                                     "MemoryMax %" PRIu64 " on top of the %" PRIu64 " bytes "
                                     "that uid %u's steps hold exceeds MaxMemoryPerUser=%" PRIu64
                                     ".",
                                     want, u.memory, (unsigned)uid, mem_max);
        return 0;
}
