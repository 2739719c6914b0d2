/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * D-Bus glue.  Each method handler reads its arguments, checks them
 * against the rules in names.h and the limit ranges in step.h, and hands
 * over to session.c or step.c.  Refusals are decisions too: each one is
 * logged with the sender and the error so an operator can see who asked
 * for what.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "cgroup-util.h"
#include "config.h"
#include "decision.h"
#include "log.h"
#include "names.h"
#include "request.h"
#include "session.h"
#include "step.h"
#include "util.h"

/* A limit below this is a typo, not a policy: the step could not even
 * start a shell. */
#define MEMORY_MAX_MIN (1024ULL * 1024)

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

static int check_pid(sd_bus_message *call, uint32_t pid)
{
        if (pid > 0 && pid <= INT32_MAX && (kill((pid_t)pid, 0) >= 0 || errno != ESRCH))
                return 0;

        return reply_refused(call, BUS_ERROR("NoSuchProcess"), "No process with PID %u.", pid);
}

static int caller_pid(sd_bus_message *call, uint32_t *ret)
{
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        pid_t pid;
        int r;

        r = sd_bus_query_sender_creds(call, SD_BUS_CREDS_PID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_pid(creds, &pid);
        if (r < 0)
                return r;

        *ret = (uint32_t)pid;
        return 0;
}

static int method_create_session(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        const char *name;
        uint32_t pid;
        int r;

        r = sd_bus_message_read(call, "su", &name, &pid);
        if (r < 0)
                return r;

        r = check_name(call, "Session", name);
        if (r != 0)
                return r;

        if (pid == 0) {
                r = caller_pid(call, &pid);
                if (r < 0)
                        return r;
        }
        r = check_pid(call, pid);
        if (r != 0)
                return r;

        return session_create(userdata, call, name, (pid_t)pid);
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

static int method_end_session(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        const char *name;
        int r;

        r = read_session_name(call, &name);
        if (r != 0)
                return r;

        return session_end(userdata, call, name);
}

static int check_limits(sd_bus_message *call, uint64_t *cpu_weight, uint64_t *memory_max)
{
        if (*cpu_weight == 0)
                *cpu_weight = CPU_WEIGHT_DEFAULT;
        if (*memory_max == 0)
                *memory_max = UINT64_MAX;

        if (*cpu_weight < CPU_WEIGHT_MIN || *cpu_weight > CPU_WEIGHT_MAX)
                return reply_refused(call, BUS_ERROR("InvalidLimit"),
                                     "cpu_weight %" PRIu64 " is outside 1..10000 (0 means 100).",
                                     *cpu_weight);
        if (*memory_max < MEMORY_MAX_MIN)
                return reply_refused(call, BUS_ERROR("InvalidLimit"),
                                     "memory_max %" PRIu64
                                     " is below the minimum of 1 MiB (0 means max).",
                                     *memory_max);
        return 0;
}

static int method_create_step(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        const char *session, *step;
        uint64_t cpu_weight, memory_max;
        int r;

        r = read_step_names(call, &session, &step);
        if (r != 0)
                return r;

        r = sd_bus_message_read(call, "tt", &cpu_weight, &memory_max);
        if (r < 0)
                return r;

        r = check_limits(call, &cpu_weight, &memory_max);
        if (r != 0)
                return r;

        return step_create(userdata, call, session, step, cpu_weight, memory_max);
}

static int method_add_process(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        const char *session, *step;
        uint32_t pid;
        int r;

        r = read_step_names(call, &session, &step);
        if (r != 0)
                return r;

        r = sd_bus_message_read(call, "u", &pid);
        if (r < 0)
                return r;

        r = check_pid(call, pid);
        if (r != 0)
                return r;

        return step_add_process(userdata, call, session, step, (pid_t)pid);
}

static int method_end_step(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        const char *session, *step;
        int r;

        r = read_step_names(call, &session, &step);
        if (r != 0)
                return r;

        return step_end(userdata, call, session, step);
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

/* "agentcg-NAME.scope" -> "NAME"; anything else under the slice (units
 * started with systemd-run --slice=agentcg.slice) is not a session yet. */
static const char *session_name_of(const char *child, char buf[static 128])
{
        size_t n = strlen(child);

        if (n <= strlen("agentcg-.scope") || strncmp(child, "agentcg-", 8) != 0 ||
            !streq(child + n - 6, ".scope") || n - 14 >= 128)
                return NULL;

        memcpy(buf, child + 8, n - 14);
        buf[n - 14] = 0;
        return name_check(buf, NULL) >= 0 ? buf : NULL;
}

static const char *step_name_of(const char *child, char buf[static 128])
{
        return name_check(child, NULL) >= 0 ? child : NULL;
}

static int method_list_sessions(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        _cleanup_(strv_freep) char **children = NULL;
        _cleanup_free_ char *slice = NULL;
        int r;

        if (asprintf(&slice, "%s/%s", m->cgroup_root, SLICE_UNIT) < 0)
                return -ENOMEM;

        r = cg_children(slice, &children);
        if (r < 0 && r != -ENOENT)
                return r;

        return reply_list(call, children, "/" SLICE_UNIT, session_name_of);
}

static int method_list_steps(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        _cleanup_(strv_freep) char **children = NULL;
        _cleanup_free_ char *dir = NULL, *cgroup = NULL;
        const char *session;
        int r;

        r = read_session_name(call, &session);
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

/* Mutating methods keep sd-bus's default check (the caller must be root
 * or hold CAP_SYS_ADMIN) on top of the bus policy; listing is open. */
static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Scheduler", "s", property_scheduler, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("CreateSession", SD_BUS_ARGS("s", name, "u", pid),
                                SD_BUS_RESULT("s", unit, "s", cgroup), method_create_session, 0),
        SD_BUS_METHOD_WITH_ARGS("EndSession", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT,
                                method_end_session, 0),
        SD_BUS_METHOD_WITH_ARGS("CreateStep",
                                SD_BUS_ARGS("s", session, "s", step, "t", cpu_weight, "t",
                                            memory_max),
                                SD_BUS_RESULT("s", cgroup), method_create_step, 0),
        SD_BUS_METHOD_WITH_ARGS("AddProcess", SD_BUS_ARGS("s", session, "s", step, "u", pid),
                                SD_BUS_NO_RESULT, method_add_process, 0),
        SD_BUS_METHOD_WITH_ARGS("EndStep", SD_BUS_ARGS("s", session, "s", step),
                                SD_BUS_NO_RESULT, method_end_step, 0),
        SD_BUS_METHOD_WITH_ARGS("ListSessions", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ss)", sessions),
                                method_list_sessions, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListSteps", SD_BUS_ARGS("s", session),
                                SD_BUS_RESULT("a(ss)", steps), method_list_steps,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bus_publish(Manager *m)
{
        int r;

        r = sd_bus_add_object_vtable(m->bus, NULL, BUS_PATH, BUS_INTERFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s", BUS_PATH);

        r = sd_bus_request_name(m->bus, BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to take the bus name %s", BUS_NAME);

        return 0;
}
