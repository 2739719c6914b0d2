/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Discovery of foreign units in agentcg.slice.  systemd creates a unit's
 * cgroup when the unit starts and removes it when the unit goes away, so
 * an inotify watch on the slice's directory sees every unit that enters
 * or leaves, whoever started it, without listening to every unit change
 * on the system bus.
 *
 * The same watch tells when one of the daemon's own sessions is gone,
 * whichever way it ended.
 *
 * A foreign unit is governed by the default class: its limits are set
 * with SetUnitProperties (runtime only), because its cgroup belongs to
 * systemd and the daemon never writes there itself.  Its own sessions
 * (agentcg-*.scope) are managed through the API and skipped here.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/inotify.h>

#include "cgroup-util.h"
#include "decision.h"
#include "discover.h"
#include "log.h"
#include "session.h"
#include "util.h"

bool discover_is_foreign(const char *name)
{
        size_t n = strlen(name);
        bool scope = n > 6 && streq(name + n - 6, ".scope");
        bool service = n > 8 && streq(name + n - 8, ".service");

        if (!scope && !service)
                return false; /* not a unit's cgroup */
        return !(scope && strncmp(name, "agentcg-", 8) == 0);
}

static int on_limits_set(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        char *unit = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e)
                log_warning("Cannot set the default class's limits on %s: %s", unit,
                            e->message ?: e->name);
        free(unit);
        return 0;
}

/* systemd takes cpu.max as a quota per second plus a period. */
static uint64_t quota_per_sec(const ClassConfig *c)
{
        if (c->cpu_max.quota_usec == CGROUP_LIMIT_MAX)
                return UINT64_MAX;
        return c->cpu_max.quota_usec * 1000000 / c->cpu_max.period_usec;
}

static int append_limits(sd_bus_message *m, const ClassConfig *c)
{
        return sd_bus_message_append(m, "a(sv)", 7,
                                     "CPUWeight", "t", c->cpu_weight,
                                     "CPUQuotaPerSecUSec", "t", quota_per_sec(c),
                                     "CPUQuotaPeriodUSec", "t", c->cpu_max.period_usec,
                                     "MemoryHigh", "t", c->memory_high,
                                     "MemoryMax", "t", c->memory_max,
                                     "MemorySwapMax", "t", c->memory_swap_max,
                                     "TasksMax", "t", c->pids_max);
}

static int govern(Manager *m, const char *unit)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        Class class = m->config.default_class;
        char *copy;
        int r;

        r = sd_bus_message_new_method_call(m->bus, &call, "org.freedesktop.systemd1",
                                           "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager",
                                           "SetUnitProperties");
        if (r >= 0)
                r = sd_bus_message_append(call, "sb", unit, 1);
        if (r >= 0)
                r = append_limits(call, &m->config.classes[class]);
        if (r < 0)
                return r;

        copy = strdup(unit);
        if (!copy)
                return -ENOMEM;

        r = sd_bus_call_async(m->bus, NULL, call, on_limits_set, copy, 0);
        if (r < 0) {
                free(copy);
                return r;
        }

        decision_unit_discovered(unit, class_to_string(class));
        return 0;
}

/* A session's scope cgroup is gone: ended through the API, by its last
 * process exiting, or by someone stopping the unit.  This is the one place
 * that sees all three. */
static void session_gone(Manager *m, const char *unit)
{
        _cleanup_free_ char *name = NULL;

        if (session_name_from_unit(unit, &name) < 0)
                return;

        decision_session_ended(name, unit, "ended");
        emit_session_signal(m, "SessionRemoved", name);
}

static int on_slice_event(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
        Manager *m = userdata;
        int r;

        if (!(ev->mask & IN_ISDIR) || ev->len == 0)
                return 0;

        if (!discover_is_foreign(ev->name)) {
                if (ev->mask & IN_DELETE)
                        session_gone(m, ev->name);
                return 0;
        }

        if (ev->mask & IN_CREATE) {
                r = govern(m, ev->name);
                if (r < 0)
                        log_warning_errno(r, "Cannot govern %s", ev->name);
        } else if (ev->mask & IN_DELETE)
                decision_unit_gone(ev->name);
        return 0;
}

int discover_start(Manager *m)
{
        _cleanup_(strv_freep) char **children = NULL;
        _cleanup_free_ char *slice = NULL;
        int r;

        if (asprintf(&slice, "%s/%s", m->cgroup_root, SLICE_UNIT) < 0)
                return -ENOMEM;

        r = sd_event_add_inotify(m->event, NULL, slice, IN_CREATE | IN_DELETE | IN_ONLYDIR,
                                 on_slice_event, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch %s", slice);

        /* Units that came while the daemon was down. */
        r = cg_children(slice, &children);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        for (char **c = children; *c; c++)
                if (discover_is_foreign(*c)) {
                        r = govern(m, *c);
                        if (r < 0)
                                log_warning_errno(r, "Cannot govern %s", *c);
                }
        return 0;
}
