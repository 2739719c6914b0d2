/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The session and step objects.  Both interfaces are fallback vtables
 * under /org/agentcg1/session: sd-bus asks find_session() or find_step()
 * whether a path names an object, and those look at cgroupfs, so an
 * object exists exactly while its cgroup does, across daemon restarts,
 * with nothing to keep in step.  A node enumerator lists the same
 * objects for introspection.
 *
 * Properties are read from the cgroup on every Get: the limits from the
 * knobs (cpu.weight, cpu.max, memory.max, ...), the live usage from
 * cpu.stat, memory.current, memory.peak and pids.current, the state from
 * cgroup.events, and what the kernel does not keep (owner, class) from
 * the extended attributes the daemon set at creation.  None of them
 * sends PropertiesChanged: the kernel changes most of them all the time.
 *
 * Callers that are not administrators see only their own sessions; to
 * them another user's session does not exist.  The methods go through
 * the same checks as the manager's (bus.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-access.h"
#include "bus-object.h"
#include "bus.h"
#include "cgroup-util.h"
#include "names.h"
#include "session.h"
#include "step-settings.h"
#include "util.h"

#define SESSION_PATH_TEMPLATE SESSION_OBJECT_PREFIX "/%"
#define STEP_PATH_TEMPLATE SESSION_OBJECT_PREFIX "/%/step/%"

int session_object_path(const char *session, char **ret)
{
        return sd_bus_path_encode_many(ret, SESSION_PATH_TEMPLATE, session);
}

int step_object_path(const char *session, const char *step, char **ret)
{
        return sd_bus_path_encode_many(ret, STEP_PATH_TEMPLATE, session, step);
}

/* Names behind an object path; STEP NULL for a session's path.  Returns 1
 * if PATH is such a path with valid names, 0 if not. */
static int decode_path(const char *path, char **session, char **step)
{
        int r;

        if (step)
                r = sd_bus_path_decode_many(path, STEP_PATH_TEMPLATE, session, step);
        else
                r = sd_bus_path_decode_many(path, SESSION_PATH_TEMPLATE, session);
        if (r <= 0)
                return r;

        if (name_check(*session, NULL) < 0 || (step && name_check(*step, NULL) < 0))
                return 0;
        return 1;
}

/* Whoever sent the message being handled may see SESSION.  Without a
 * current message (a signal being built) everything is visible. */
static bool visible_to_caller(Manager *m, sd_bus *bus, const char *session)
{
        sd_bus_message *call = sd_bus_get_current_message(bus);
        uid_t uid;

        if (!call)
                return true;
        if (caller_uid(call, &uid) < 0)
                return false;
        return access_visible(m, uid, session);
}

/* The cgroup directory behind PATH, if it exists and the caller may see
 * it; 0 if not. */
static int object_dir(Manager *m, sd_bus *bus, const char *path, bool is_step, char **ret)
{
        _cleanup_free_ char *session = NULL, *step = NULL, *dir = NULL;
        int r;

        r = decode_path(path, &session, is_step ? &step : NULL);
        if (r <= 0)
                return r;

        r = is_step ? step_dir(m, session, step, &dir) : session_dir(m, session, &dir);
        if (r < 0)
                return r;
        if (access(dir, F_OK) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (!visible_to_caller(m, bus, session))
                return 0;

        if (ret)
                *ret = TAKE_PTR(dir);
        return 1;
}

static int find_session(sd_bus *bus, const char *path, const char *interface, void *userdata,
                        void **found, sd_bus_error *error)
{
        int r = object_dir(userdata, bus, path, false, NULL);

        if (r > 0)
                *found = userdata;
        return r;
}

static int find_step(sd_bus *bus, const char *path, const char *interface, void *userdata,
                     void **found, sd_bus_error *error)
{
        int r = object_dir(userdata, bus, path, true, NULL);

        if (r > 0)
                *found = userdata;
        return r;
}

/* A growing NULL-terminated array of paths, for the enumerator. */
typedef struct Paths {
        char **v;
        size_t n;
} Paths;

static int paths_add(Paths *p, char *path)
{
        char **v;

        if (!path)
                return -ENOMEM;
        v = reallocarray(p->v, p->n + 2, sizeof(char *));
        if (!v) {
                free(path);
                return -ENOMEM;
        }
        p->v = v;
        p->v[p->n++] = path;
        p->v[p->n] = NULL;
        return 0;
}

static int add_session_nodes(Manager *m, const char *session, Paths *p)
{
        _cleanup_(strv_freep) char **steps = NULL;
        _cleanup_free_ char *dir = NULL;
        char *path = NULL;
        int r;

        r = session_object_path(session, &path);
        if (r >= 0)
                r = paths_add(p, path);
        if (r >= 0)
                r = session_dir(m, session, &dir);
        if (r < 0)
                return r;

        r = cg_children(dir, &steps);
        if (r == -ENOENT)
                return 0; /* ended meanwhile */
        if (r < 0)
                return r;

        for (char **s = steps; *s; s++) {
                if (name_check(*s, NULL) < 0)
                        continue;
                path = NULL;
                r = step_object_path(session, *s, &path);
                if (r >= 0)
                        r = paths_add(p, path);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
                     sd_bus_error *error)
{
        _cleanup_(strv_freep) char **sessions = NULL;
        Manager *m = userdata;
        Paths p = {};
        int r;

        r = session_list(m, &sessions);
        if (r < 0)
                return r;

        for (char **s = sessions; *s; s++) {
                if (!visible_to_caller(m, bus, *s))
                        continue;
                r = add_session_nodes(m, *s, &p);
                if (r < 0) {
                        strv_free(p.v);
                        return r;
                }
        }

        *nodes = p.v;
        return 0;
}

/* Properties. */

static int path_names(const char *path, bool is_step, char **session, char **step)
{
        int r = decode_path(path, session, is_step ? step : NULL);

        return r < 0 ? r : r == 0 ? -ENOENT : 0;
}

static bool is_step_interface(const char *interface)
{
        return streq(interface, STEP_INTERFACE);
}

static int property_name(sd_bus *bus, const char *path, const char *interface,
                         const char *property, sd_bus_message *reply, void *userdata,
                         sd_bus_error *error)
{
        _cleanup_free_ char *session = NULL, *step = NULL;
        bool is_step = is_step_interface(interface);
        int r;

        r = path_names(path, is_step, &session, &step);
        if (r < 0)
                return r;

        if (streq(property, "Session"))
                return sd_bus_message_append(reply, "s", session);
        return sd_bus_message_append(reply, "s", is_step ? step : session);
}

static int property_unit(sd_bus *bus, const char *path, const char *interface,
                         const char *property, sd_bus_message *reply, void *userdata,
                         sd_bus_error *error)
{
        _cleanup_free_ char *session = NULL, *step = NULL, *unit = NULL;
        int r;

        r = path_names(path, is_step_interface(interface), &session, &step);
        if (r >= 0)
                r = session_unit_name(session, &unit);
        if (r < 0)
                return r;
        return sd_bus_message_append(reply, "s", unit);
}

static int property_cgroup(sd_bus *bus, const char *path, const char *interface,
                           const char *property, sd_bus_message *reply, void *userdata,
                           sd_bus_error *error)
{
        _cleanup_free_ char *session = NULL, *step = NULL, *cgroup = NULL;
        bool is_step = is_step_interface(interface);
        int r;

        r = path_names(path, is_step, &session, &step);
        if (r >= 0)
                r = is_step ? step_cgroup(session, step, &cgroup)
                            : session_cgroup(session, &cgroup);
        if (r < 0)
                return r;
        return sd_bus_message_append(reply, "s", cgroup);
}

static int property_owner(sd_bus *bus, const char *path, const char *interface,
                          const char *property, sd_bus_message *reply, void *userdata,
                          sd_bus_error *error)
{
        _cleanup_free_ char *session = NULL, *step = NULL;
        uid_t owner;
        int r;

        r = path_names(path, is_step_interface(interface), &session, &step);
        if (r >= 0)
                r = session_owner(userdata, session, &owner);
        if (r < 0)
                return r;
        return sd_bus_message_append(reply, "u", (uint32_t)owner);
}

/* The directory of the object a property is read from. */
static int property_dir(Manager *m, const char *path, const char *interface, char **ret)
{
        _cleanup_free_ char *session = NULL, *step = NULL;
        bool is_step = is_step_interface(interface);
        int r;

        r = path_names(path, is_step, &session, &step);
        if (r < 0)
                return r;
        return is_step ? step_dir(m, session, step, ret) : session_dir(m, session, ret);
}

static int property_class(sd_bus *bus, const char *path, const char *interface,
                          const char *property, sd_bus_message *reply, void *userdata,
                          sd_bus_error *error)
{
        _cleanup_free_ char *dir = NULL;
        Class c = _CLASS_INVALID;
        int r;

        r = property_dir(userdata, path, interface, &dir);
        if (r < 0)
                return r;

        /* A step from before classes were recorded has none to show. */
        r = step_settings_recorded_class(dir, &c);
        if (r < 0 && r != -ENODATA)
                return r;
        return sd_bus_message_append(reply, "s", r < 0 ? "" : class_to_string(c));
}

/* running, frozen or empty, from cgroup.events. */
static int property_state(sd_bus *bus, const char *path, const char *interface,
                          const char *property, sd_bus_message *reply, void *userdata,
                          sd_bus_error *error)
{
        _cleanup_free_ char *dir = NULL;
        uint64_t populated = 0, frozen = 0;
        int r;

        r = property_dir(userdata, path, interface, &dir);
        if (r >= 0)
                r = cg_read_key(dir, "cgroup.events", "populated", &populated);
        if (r >= 0)
                r = cg_read_key(dir, "cgroup.events", "frozen", &frozen);
        if (r < 0)
                return r;

        return sd_bus_message_append(reply, "s",
                                     !populated ? "empty" : frozen ? "frozen" : "running");
}

typedef enum ValueKind {
        VALUE_PLAIN,      /* a number or "max" */
        VALUE_KEY,        /* "KEY VALUE" lines */
        VALUE_CPU_QUOTA,  /* the first word of cpu.max */
        VALUE_CPU_PERIOD, /* the second word of cpu.max */
} ValueKind;

static const struct {
        const char *property;
        const char *file;
        const char *key;
        ValueKind kind;
} cgroup_values[] = {
        { "CPUWeight", "cpu.weight", NULL, VALUE_PLAIN },
        { "CPUMaxQuotaUSec", "cpu.max", NULL, VALUE_CPU_QUOTA },
        { "CPUMaxPeriodUSec", "cpu.max", NULL, VALUE_CPU_PERIOD },
        { "CPUMaxBurstUSec", "cpu.max.burst", NULL, VALUE_PLAIN },
        { "MemoryHigh", "memory.high", NULL, VALUE_PLAIN },
        { "MemoryMax", "memory.max", NULL, VALUE_PLAIN },
        { "MemorySwapMax", "memory.swap.max", NULL, VALUE_PLAIN },
        { "TasksMax", "pids.max", NULL, VALUE_PLAIN },
        { "CPUUsageUSec", "cpu.stat", "usage_usec", VALUE_KEY },
        { "MemoryCurrent", "memory.current", NULL, VALUE_PLAIN },
        { "MemoryPeak", "memory.peak", NULL, VALUE_PLAIN },
        { "TasksCurrent", "pids.current", NULL, VALUE_PLAIN },
};

static int read_cpu_max(const char *dir, ValueKind kind, uint64_t *ret)
{
        _cleanup_free_ char *text = NULL;
        char *space;
        int r;

        r = cg_read(dir, "cpu.max", &text);
        if (r < 0)
                return r;

        space = strchr(text, ' ');
        if (!space)
                return -EBADMSG;
        *space = 0;
        return cg_parse_limit(kind == VALUE_CPU_QUOTA ? text : space + 1, ret);
}

static int read_value(const char *dir, size_t i, uint64_t *ret)
{
        _cleanup_free_ char *text = NULL;
        int r;

        switch (cgroup_values[i].kind) {
        case VALUE_KEY:
                return cg_read_key(dir, cgroup_values[i].file, cgroup_values[i].key, ret);
        case VALUE_CPU_QUOTA:
        case VALUE_CPU_PERIOD:
                return read_cpu_max(dir, cgroup_values[i].kind, ret);
        case VALUE_PLAIN:
                break;
        }

        r = cg_read(dir, cgroup_values[i].file, &text);
        return r < 0 ? r : cg_parse_limit(text, ret);
}

/* A value the cgroup does not offer (no swap accounting, a controller
 * the session's scope does not have) is 2^64-1, "unknown", as systemd's
 * MemoryCurrent is. */
static int property_cgroup_value(sd_bus *bus, const char *path, const char *interface,
                                 const char *property, sd_bus_message *reply, void *userdata,
                                 sd_bus_error *error)
{
        _cleanup_free_ char *dir = NULL;
        uint64_t v = UINT64_MAX;
        int r;

        r = property_dir(userdata, path, interface, &dir);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ELEMENTSOF(cgroup_values); i++)
                if (streq(property, cgroup_values[i].property)) {
                        if (read_value(dir, i, &v) < 0)
                                v = UINT64_MAX;
                        return sd_bus_message_append(reply, "t", v);
                }
        return -ENOENT;
}

static int property_oom_group(sd_bus *bus, const char *path, const char *interface,
                              const char *property, sd_bus_message *reply, void *userdata,
                              sd_bus_error *error)
{
        _cleanup_free_ char *dir = NULL, *text = NULL;
        int r;

        r = property_dir(userdata, path, interface, &dir);
        if (r >= 0)
                r = cg_read(dir, "memory.oom.group", &text);
        if (r < 0)
                return r;
        return sd_bus_message_append(reply, "b", text[0] == '1');
}

/* Methods: the names come from the path, the rest as on the manager. */

static int method_names(sd_bus_message *call, bool is_step, char **session, char **step)
{
        return path_names(sd_bus_message_get_path(call), is_step, session, step);
}

static int method_session_end(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        _cleanup_free_ char *session = NULL;
        int r;

        r = method_names(call, false, &session, NULL);
        return r < 0 ? r : bus_session_end(userdata, call, session);
}

static int method_session_set(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        _cleanup_free_ char *session = NULL;
        int r;

        r = method_names(call, false, &session, NULL);
        return r < 0 ? r : bus_session_set_budget(userdata, call, session);
}

static int method_step_end(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        _cleanup_free_ char *session = NULL, *step = NULL;
        uint64_t grace_usec;
        int r;

        r = method_names(call, true, &session, &step);
        if (r >= 0)
                r = sd_bus_message_read(call, "t", &grace_usec);
        return r < 0 ? r : bus_step_end(userdata, call, session, step, grace_usec);
}

static int method_step_freeze_or_thaw(sd_bus_message *call, void *userdata, bool freeze)
{
        _cleanup_free_ char *session = NULL, *step = NULL;
        int r;

        r = method_names(call, true, &session, &step);
        return r < 0 ? r : bus_step_freeze(userdata, call, session, step, freeze);
}

static int method_step_freeze(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        return method_step_freeze_or_thaw(call, userdata, true);
}

static int method_step_thaw(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        return method_step_freeze_or_thaw(call, userdata, false);
}

static int method_step_kill(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        _cleanup_free_ char *session = NULL, *step = NULL;
        int r;

        r = method_names(call, true, &session, &step);
        return r < 0 ? r : bus_step_kill(userdata, call, session, step);
}

#define CONST_PROPERTY(name, sig, getter) \
        SD_BUS_PROPERTY(name, sig, getter, 0, SD_BUS_VTABLE_PROPERTY_CONST)
#define LIVE_PROPERTY(name, sig, getter) \
        SD_BUS_PROPERTY(name, sig, getter, 0, 0)

#define LIMIT_AND_USAGE_PROPERTIES                                                 \
        LIVE_PROPERTY("CPUWeight", "t", property_cgroup_value),                    \
        LIVE_PROPERTY("CPUMaxQuotaUSec", "t", property_cgroup_value),              \
        LIVE_PROPERTY("CPUMaxPeriodUSec", "t", property_cgroup_value),             \
        LIVE_PROPERTY("CPUMaxBurstUSec", "t", property_cgroup_value),              \
        LIVE_PROPERTY("MemoryHigh", "t", property_cgroup_value),                   \
        LIVE_PROPERTY("MemoryMax", "t", property_cgroup_value),                    \
        LIVE_PROPERTY("MemorySwapMax", "t", property_cgroup_value),                \
        LIVE_PROPERTY("TasksMax", "t", property_cgroup_value),                     \
        LIVE_PROPERTY("OOMGroup", "b", property_oom_group),                        \
        LIVE_PROPERTY("CPUUsageUSec", "t", property_cgroup_value),                 \
        LIVE_PROPERTY("MemoryCurrent", "t", property_cgroup_value),                \
        LIVE_PROPERTY("MemoryPeak", "t", property_cgroup_value),                   \
        LIVE_PROPERTY("TasksCurrent", "t", property_cgroup_value)

/* Every method is open on the bus; bus.c's checks decide. */
static const sd_bus_vtable session_vtable[] = {
        SD_BUS_VTABLE_START(0),
        CONST_PROPERTY("Name", "s", property_name),
        CONST_PROPERTY("Unit", "s", property_unit),
        CONST_PROPERTY("ControlGroup", "s", property_cgroup),
        CONST_PROPERTY("Owner", "u", property_owner),
        LIVE_PROPERTY("State", "s", property_state),
        LIMIT_AND_USAGE_PROPERTIES,
        SD_BUS_METHOD_WITH_ARGS("End", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_session_end,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetProperties", SD_BUS_ARGS("a(sv)", properties),
                                SD_BUS_NO_RESULT, method_session_set,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable step_vtable[] = {
        SD_BUS_VTABLE_START(0),
        CONST_PROPERTY("Name", "s", property_name),
        CONST_PROPERTY("Session", "s", property_name),
        CONST_PROPERTY("Unit", "s", property_unit),
        CONST_PROPERTY("ControlGroup", "s", property_cgroup),
        CONST_PROPERTY("Owner", "u", property_owner),
        CONST_PROPERTY("Class", "s", property_class),
        LIVE_PROPERTY("State", "s", property_state),
        LIMIT_AND_USAGE_PROPERTIES,
        SD_BUS_METHOD_WITH_ARGS("Freeze", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_step_freeze,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Thaw", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_step_thaw,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Kill", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_step_kill,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("End", SD_BUS_ARGS("t", grace_usec),
                                SD_BUS_RESULT("a{sv}", usage), method_step_end,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bus_object_publish(Manager *m)
{
        int r;

        r = sd_bus_add_fallback_vtable(m->bus, NULL, SESSION_OBJECT_PREFIX, SESSION_INTERFACE,
                                       session_vtable, find_session, m);
        if (r < 0)
                return r;

        r = sd_bus_add_fallback_vtable(m->bus, NULL, SESSION_OBJECT_PREFIX, STEP_INTERFACE,
                                       step_vtable, find_step, m);
        if (r < 0)
                return r;

        return sd_bus_add_node_enumerator(m->bus, NULL, SESSION_OBJECT_PREFIX, enumerate, m);
}
