/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's handle on agentcg's sched_ext scheduler (bpf/agentcg.bpf.c):
 * load it into the kernel, switch the machine's tasks to it, read its
 * counters and its exit record, and switch back to the kernel's own
 * scheduler.  Calls are synchronous and meant for the daemon's start-up
 * and shutdown paths and for its periodic checks.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agentcg.h"

typedef struct Scheduler Scheduler;

typedef enum SchedulerMode {
        SCHEDULER_FULL,    /* every normal task runs under agentcg */
        SCHEDULER_PARTIAL, /* only tasks set to SCHED_EXT do */
} SchedulerMode;

/* Whether the running kernel has sched_ext at all. */
bool scheduler_supported(void);

/*
 * Loads and attaches the scheduler in full mode.  Returns -EOPNOTSUPP
 * without sched_ext, -EBUSY if another sched_ext scheduler is active, and
 * another negative errno if loading or attaching fails (the verifier's
 * log, if any, goes to stderr at error level).
 */
int scheduler_attach(Scheduler **ret);
int scheduler_attach_mode(SchedulerMode mode, Scheduler **ret);

/* Detaches: sched_ext goes back to disabled.  Returns NULL. */
Scheduler *scheduler_free(Scheduler *s);

static inline void scheduler_freep(Scheduler **s)
{
        if (*s)
                scheduler_free(*s);
}
#define _cleanup_scheduler_ __attribute__((cleanup(scheduler_freep)))

const char *scheduler_ops_name(void);

/*
 * Returns 0 while the scheduler runs; once the kernel has stopped it (an
 * error, a stall, sysrq-S), fills @buf with why and returns 1.
 */
int scheduler_exit_reason(Scheduler *s, char *buf, size_t n);

/* Sums each per-CPU counter of enum agentcg_stat into @ret. */
int scheduler_read_stats(Scheduler *s, uint64_t ret[AGENTCG_NR_STATS]);

/*
 * Fills @ret with the cpu.max bookkeeping of the cgroup with id @cgid (its
 * kernfs id, as name_to_handle_at() reports it).  Returns -ENOENT for a
 * cgroup that has had no cpu.max limit while the scheduler ran.
 */
int scheduler_cgroup_stats(Scheduler *s, uint64_t cgid, struct agentcg_cgroup_stats *ret);
