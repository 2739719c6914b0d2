/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /org/agentcg1/scheduler, interface org.agentcg1.Scheduler: what the
 * scheduler is doing, for monitoring tools and agentcgctl top.
 *
 *   State        s     running, retrying, failed or off
 *   Stats()      a(st) the scheduler's global counters by name
 *   CgroupCounters(s cgroup) -> (tttxtt)
 *                      boosts, boosts exhausted, boost credit (ns),
 *                      memory penalties, under a penalty now (0/1), CPU
 *                      time under a penalty (us), for a cgroup named as
 *                      the API names them ("/agentcg.slice/...")
 *   CgroupBandwidth(s cgroup) -> (tttx)
 *                      cpu.max periods, throttles, throttled time (us),
 *                      budget left (us)
 *
 * Everything is read from the scheduler's maps at the time of the call;
 * without a scheduler the methods answer NoScheduler.  Reading is open to
 * everyone, like the Manager's listing methods.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "manager.h"
#include "sched-bus.h"
#include "sched-supervisor.h"
#include "scheduler.h"
#include "util.h"

#define SCHED_PATH BUS_PATH "/scheduler"
#define SCHED_INTERFACE "org.agentcg1.Scheduler"

static const char *const stat_names[AGENTCG_NR_STATS] = {
        [AGENTCG_STAT_ENQUEUE] = "enqueue",
        [AGENTCG_STAT_DIRECT] = "direct",
        [AGENTCG_STAT_DISPATCH] = "dispatch",
        [AGENTCG_STAT_RENEW] = "renew",
        [AGENTCG_STAT_WAKE_CLAMP] = "wake_clamp",
        [AGENTCG_STAT_BUSY_CLAMP] = "busy_clamp",
        [AGENTCG_STAT_NO_CGRP] = "no_cgroup",
        [AGENTCG_STAT_THROTTLE] = "throttle",
        [AGENTCG_STAT_PARK] = "park",
        [AGENTCG_STAT_UNPARK] = "unpark",
        [AGENTCG_STAT_BW_FULL] = "bw_full",
        [AGENTCG_STAT_EXIT_LOST] = "exit_lost",
        [AGENTCG_STAT_BOOST] = "boost",
        [AGENTCG_STAT_BOOST_KICK] = "boost_kick",
        [AGENTCG_STAT_BOOST_DONE] = "boost_exhausted",
        [AGENTCG_STAT_MEM_PENALTY] = "mem_penalty",
        [AGENTCG_STAT_EVENT_LIMITED] = "event_limited",
        [AGENTCG_STAT_EVENT_LOST] = "event_lost",
        [AGENTCG_STAT_WAKE_PREEMPT] = "wake_preempt",
};

static int no_scheduler(sd_bus_error *error)
{
        return sd_bus_error_set(error, BUS_ERROR("NoScheduler"),
                                "The sched_ext scheduler is not attached; see the Scheduler "
                                "state and the journal.");
}

static int property_state(sd_bus *bus, const char *path, const char *interface,
                          const char *property, sd_bus_message *reply, void *userdata,
                          sd_bus_error *error)
{
        return sd_bus_message_append(reply, "s", sched_supervisor_state(userdata));
}

static int method_stats(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        uint64_t stats[AGENTCG_NR_STATS];
        int r;

        if (!m->scheduler)
                return no_scheduler(error);
        r = scheduler_read_stats(m->scheduler, stats);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read the scheduler's stats: %m");

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(st)");
        for (int i = 0; r >= 0 && i < AGENTCG_NR_STATS; i++)
                r = sd_bus_message_append(reply, "(st)", stat_names[i] ?: "unknown", stats[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* Opens the cgroup the caller named, which must be below the root and
 * free of "..". */
static int open_cgroup(Manager *m, const char *cgroup, sd_bus_error *error)
{
        _cleanup_free_ char *dir = NULL;
        int fd;

        if (cgroup[0] != '/' || strstr(cgroup, "/..") || strstr(cgroup, "/./"))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "'%s' is not a cgroup path such as "
                                         "/agentcg.slice/agentcg-NAME.scope/STEP.",
                                         cgroup);
        if (asprintf(&dir, "%s%s", m->cgroup_root, cgroup) < 0)
                return -ENOMEM;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return sd_bus_error_setf(error, BUS_ERROR("NoSuchCgroup"),
                                         "Cannot open cgroup %s: %s", cgroup, strerror(errno));
        return fd;
}

static int method_cgroup_counters(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        struct agentcg_cgroup_counters c;
        _cleanup_close_ int fd = -EBADF;
        Manager *m = userdata;
        const char *cgroup;
        int r;

        r = sd_bus_message_read(call, "s", &cgroup);
        if (r < 0)
                return r;
        if (!m->scheduler)
                return no_scheduler(error);

        fd = open_cgroup(m, cgroup, error);
        if (fd < 0)
                return fd;
        r = scheduler_cgroup_counters(m->scheduler, fd, &c);
        if (r < 0)
                return sd_bus_error_setf(error, BUS_ERROR("NoSuchCgroup"),
                                         "The scheduler has no state for %s: %s", cgroup,
                                         strerror(-r));

        return sd_bus_reply_method_return(
                call, "(tttxtt)", (uint64_t)c.nr_boosts, (uint64_t)c.nr_boost_exhausted,
                (int64_t)c.boost_credit_ns, (uint64_t)c.nr_mem_penalties, (uint64_t)c.mem_penalty,
                (uint64_t)c.mem_penalty_ns / 1000);
}

static int method_cgroup_bandwidth(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
        struct agentcg_cgroup_stats st = {};
        _cleanup_close_ int fd = -EBADF;
        Manager *m = userdata;
        const char *cgroup;
        struct stat sb;
        int r;

        r = sd_bus_message_read(call, "s", &cgroup);
        if (r < 0)
                return r;
        if (!m->scheduler)
                return no_scheduler(error);

        fd = open_cgroup(m, cgroup, error);
        if (fd < 0)
                return fd;
        /* On cgroupfs (64-bit), a directory's inode number is its id. */
        if (fstat(fd, &sb) < 0)
                return sd_bus_error_set_errnof(error, errno, "Cannot stat %s: %m", cgroup);

        r = scheduler_cgroup_stats(m->scheduler, (uint64_t)sb.st_ino, &st);
        if (r < 0 && r != -ENOENT)
                return sd_bus_error_set_errnof(error, r, "Cannot read the stats of %s: %m", cgroup);

        return sd_bus_reply_method_return(call, "(tttx)", (uint64_t)st.nr_periods,
                                          (uint64_t)st.nr_throttled, (uint64_t)st.throttled_usec,
                                          (int64_t)st.budget_usec);
}

static const sd_bus_vtable sched_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("State", "s", property_state, 0, 0),
        SD_BUS_METHOD("Stats", "", "a(st)", method_stats, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("CgroupCounters", "s", "(tttxtt)", method_cgroup_counters,
                      SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("CgroupBandwidth", "s", "(tttx)", method_cgroup_bandwidth,
                      SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int sched_bus_register(Manager *m)
{
        return sd_bus_add_object_vtable(m->bus, NULL, SCHED_PATH, SCHED_INTERFACE, sched_vtable, m);
}
