/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a step used, read from its cgroup when it ends: what an agent
 * runtime feeds back to its model, and what the journal keeps.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

typedef struct StepUsage {
        uint64_t cpu_usage_usec;
        uint64_t cpu_user_usec;
        uint64_t cpu_system_usec;
        uint64_t cpu_throttled_usec;
        uint64_t memory_peak;       /* bytes, UINT64_MAX if unknown */
        uint64_t memory_high_events;
        uint64_t memory_max_events;
        uint64_t memory_oom_events;
        uint64_t memory_oom_kill_events;
        uint64_t pids_peak;
        uint64_t wall_usec;         /* since the step was created */
        bool killed;                /* processes were left and were killed */
} StepUsage;

/* Fills U from the cgroup at DIR; fields it cannot read stay 0 (or
 * UINT64_MAX for memory_peak) and the rest is still reported.  U->killed is
 * kept if already set. */
void step_usage_read(const char *dir, uint64_t now_usec, StepUsage *u);

/* Appends U as an a{sv} dictionary. */
int step_usage_append(sd_bus_message *m, const StepUsage *u);

/* Records that the step's processes were killed (KillStep, or the end of an
 * EndStep grace period), for the usage report. */
int step_mark_killed(const char *dir);

/* Records the creation time on the cgroup (a trusted.* xattr), so the wall
 * time survives a daemon restart. */
int step_mark_created(const char *dir, uint64_t now_usec);
