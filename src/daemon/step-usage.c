/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Step accounting.  Everything comes from the kernel's own counters in
 * the step's cgroup (cpu.stat, memory.peak, memory.events, pids.peak), so
 * it is exact and costs nothing while the step runs.  The one number the
 * kernel does not keep, the step's age, is stored as an extended attribute
 * on the cgroup when the step is created; so is the fact that it was
 * killed, which the step may outlive by a moment before it ends.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/xattr.h>

#include "cgroup-util.h"
#include "step-usage.h"
#include "util.h"

#define XATTR_CREATED "trusted.agentcg.created_usec"
#define XATTR_KILLED "trusted.agentcg.killed"

int step_mark_created(const char *dir, uint64_t now_usec)
{
        char value[24];
        int n = snprintf(value, sizeof(value), "%" PRIu64, now_usec);

        return setxattr(dir, XATTR_CREATED, value, n, 0) < 0 ? negative_errno() : 0;
}

int step_mark_killed(const char *dir)
{
        return setxattr(dir, XATTR_KILLED, "1", 1, 0) < 0 ? negative_errno() : 0;
}

static bool was_killed(const char *dir)
{
        char value[2];

        return getxattr(dir, XATTR_KILLED, value, sizeof(value)) > 0;
}

static uint64_t created_usec(const char *dir)
{
        char value[24];
        uint64_t v = 0;
        ssize_t n;

        n = getxattr(dir, XATTR_CREATED, value, sizeof(value) - 1);
        if (n <= 0)
                return 0;
        value[n] = 0;
        return cg_parse_limit(value, &v) < 0 ? 0 : v;
}

static uint64_t key_or_zero(const char *dir, const char *file, const char *key)
{
        uint64_t v = 0;

        (void)cg_read_key(dir, file, key, &v);
        return v;
}

static uint64_t value_of(const char *dir, const char *file, uint64_t fallback)
{
        _cleanup_free_ char *text = NULL;
        uint64_t v;

        if (cg_read(dir, file, &text) < 0 || cg_parse_limit(text, &v) < 0)
                return fallback;
        return v;
}

void step_usage_read(const char *dir, uint64_t now_usec, StepUsage *u)
{
        uint64_t created = created_usec(dir);

        u->cpu_usage_usec = key_or_zero(dir, "cpu.stat", "usage_usec");
        u->cpu_user_usec = key_or_zero(dir, "cpu.stat", "user_usec");
        u->cpu_system_usec = key_or_zero(dir, "cpu.stat", "system_usec");
        u->cpu_throttled_usec = key_or_zero(dir, "cpu.stat", "throttled_usec");
        u->memory_peak = value_of(dir, "memory.peak", UINT64_MAX);
        u->memory_high_events = key_or_zero(dir, "memory.events", "high");
        u->memory_max_events = key_or_zero(dir, "memory.events", "max");
        u->memory_oom_events = key_or_zero(dir, "memory.events", "oom");
        u->memory_oom_kill_events = key_or_zero(dir, "memory.events", "oom_kill");
        u->pids_peak = value_of(dir, "pids.peak", 0);
        u->wall_usec = created && now_usec > created ? now_usec - created : 0;
        u->killed = u->killed || was_killed(dir);
}

int step_usage_append(sd_bus_message *m, const StepUsage *u)
{
        return sd_bus_message_append(
                m, "a{sv}", 12,
                "CPUUsageUSec", "t", u->cpu_usage_usec,
                "CPUUserUSec", "t", u->cpu_user_usec,
                "CPUSystemUSec", "t", u->cpu_system_usec,
                "CPUThrottledUSec", "t", u->cpu_throttled_usec,
                "MemoryPeak", "t", u->memory_peak,
                "MemoryHighEvents", "t", u->memory_high_events,
                "MemoryMaxEvents", "t", u->memory_max_events,
                "MemoryOOMEvents", "t", u->memory_oom_events,
                "MemoryOOMKillEvents", "t", u->memory_oom_kill_events,
                "TasksPeak", "t", u->pids_peak,
                "WallUSec", "t", u->wall_usec,
                "Killed", "b", (int)u->killed);
}
