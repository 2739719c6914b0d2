/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's handle on agentcg's sched_ext scheduler (bpf/agentcg.bpf.c):
 * load it into the kernel, switch the machine's tasks to it, tell it the
 * steps' classes, read its counters, take its exit record and its events
 * from its ring buffers, and switch back to the kernel's own scheduler.
 * Loading is synchronous; what the scheduler reports arrives through one
 * pollable fd (scheduler_event_fd()), which sched-supervisor.c watches.
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

/* How the scheduler is loaded. */
typedef struct SchedulerOptions {
        SchedulerMode mode;
        bool memory_coupling; /* slow cgroups under memory pressure down */
        /* The memory observer's "mem_pressure" map to share (see
         * bpf/agentcg-mem.h), or -1 for the scheduler's own, which only the
         * scheduler's in-kernel checks then fill. */
        int mem_pressure_fd;
        /* What each class means to the scheduler; a slice of 0 is the
         * scheduler's default. */
        struct agentcg_class_params classes[AGENTCG_NR_CLASSES];
        /* Called from scheduler_process_events() for every decision of
         * note the scheduler reports; may be NULL. */
        void (*on_event)(const struct agentcg_event *ev, void *userdata);
        void *userdata;
} SchedulerOptions;

#define SCHEDULER_OPTIONS_DEFAULT                                                                  \
        ((SchedulerOptions){.mode = SCHEDULER_FULL, .memory_coupling = true, .mem_pressure_fd = -1})

/* Whether the running kernel has sched_ext at all. */
bool scheduler_supported(void);

/*
 * Loads and attaches the scheduler.  Returns -EOPNOTSUPP without
 * sched_ext, -EBUSY if another sched_ext scheduler is active (or the last
 * one is still on its way out), and another negative errno if loading or
 * attaching fails (the verifier's log, if any, goes to stderr at error
 * level).  scheduler_attach() is the full mode with the defaults.
 */
int scheduler_attach_opts(const SchedulerOptions *opts, Scheduler **ret);
int scheduler_attach(Scheduler **ret);
int scheduler_attach_mode(SchedulerMode mode, Scheduler **ret);

/*
 * A file descriptor that becomes readable when the scheduler has something
 * to report (its exit above all, then the decisions of note that go to
 * SchedulerOptions.on_event): watch it in the event loop and call
 * scheduler_process_events() when it is.
 */
int scheduler_event_fd(Scheduler *s);

/*
 * Takes what the scheduler reported.  Returns 1 once it has exited (the
 * kernel stopped it: an error, a stall, sysrq-S), with the record in
 * *ret_exit if that is not NULL; 0 while it runs; a negative errno if the
 * ring could not be read.
 */
int scheduler_process_events(Scheduler *s, struct agentcg_exit_info *ret_exit);

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

/* Replaces what each class means to the running scheduler; cgroups pick
 * it up when they next wake. */
int scheduler_set_class_params(Scheduler *s,
                               const struct agentcg_class_params classes[AGENTCG_NR_CLASSES]);

/* Tells the scheduler that the cgroup with id @cgid is a step of @class
 * (enum agentcg_class). */
int scheduler_set_class(Scheduler *s, uint64_t cgid, unsigned class);

/* Sums each per-CPU counter of enum agentcg_stat into @ret. */
int scheduler_read_stats(Scheduler *s, uint64_t ret[AGENTCG_NR_STATS]);

/*
 * Fills @ret with the cpu.max bookkeeping of the cgroup with id @cgid (its
 * kernfs id, as name_to_handle_at() reports it).  Returns -ENOENT for a
 * cgroup that has had no cpu.max limit while the scheduler ran.
 */
int scheduler_cgroup_stats(Scheduler *s, uint64_t cgid, struct agentcg_cgroup_stats *ret);

/* Fills @ret with the class and memory counters of the cgroup whose
 * directory is open as @cgroup_fd.  Returns -ENOENT for a cgroup the
 * scheduler has no state for. */
int scheduler_cgroup_counters(Scheduler *s, int cgroup_fd, struct agentcg_cgroup_counters *ret);
