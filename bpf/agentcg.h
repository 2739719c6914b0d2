/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the agentcg BPF scheduler (agentcg.bpf.c) and its userspace loader
 * (src/daemon/scheduler.c) must agree on: the layout of the statistics
 * map, the record the scheduler leaves behind when it stops, and the few
 * sched_ext constants the loader needs without including vmlinux.h.
 *
 * The BPF side includes vmlinux.h before this file; userspace gets the
 * same fixed-width types from <linux/types.h>.  Keep every type here made
 * of fixed-width fields so both compilers lay it out identically.
 */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Name the kernel shows in /sys/kernel/sched_ext/root/ops. */
#define AGENTCG_OPS_NAME "agentcg"

/* sched_ext's SCX_OPS_SWITCH_PARTIAL: only SCHED_EXT tasks are ours.  The
 * BPF object checks at build time that the value matches the kernel's. */
#define AGENTCG_OPS_SWITCH_PARTIAL 8ULL

/* Indices of the per-CPU counters in the "stats" map; each is a __u64. */
enum agentcg_stat {
        AGENTCG_STAT_ENQUEUE,    /* tasks queued on the shared vtime DSQ */
        AGENTCG_STAT_DIRECT,     /* wakeups sent straight to an idle CPU */
        AGENTCG_STAT_DISPATCH,   /* tasks moved from the shared DSQ to a CPU */
        AGENTCG_STAT_RENEW,      /* slice renewals of a task that kept its CPU */
        AGENTCG_STAT_WAKE_CLAMP, /* idle cgroups woken without their credit */
        AGENTCG_STAT_BUSY_CLAMP, /* busy cgroups held to the lag bound */
        AGENTCG_STAT_NO_CGRP,    /* cgroups met without scheduler state */
        AGENTCG_STAT_THROTTLE,   /* cpu.max budgets that ran out */
        AGENTCG_STAT_PARK,       /* tasks set aside until a budget refill */
        AGENTCG_STAT_UNPARK,     /* set-aside tasks queued again after one */
        AGENTCG_STAT_BW_FULL,    /* cpu.max limits ignored: no room in the maps */
        AGENTCG_NR_STATS,
};

/* How many cgroups at once can have a cpu.max limit the scheduler enforces. */
#define AGENTCG_MAX_BW_CGROUPS 4096

/*
 * The cpu.max bookkeeping of one cgroup, in the "cgrp_stats" hash map
 * keyed by cgroup id (__u64, the kernfs id that name_to_handle_at() and
 * the daemon's cgroup paths resolve to).  Only cgroups that have or had a
 * quota while the scheduler ran have an entry.  The fields mirror the
 * kernel's own cpu.stat ones, which stay at zero under sched_ext.  The
 * entry is refreshed at every end of a period, so it may be up to one
 * period old.
 */
struct agentcg_cgroup_stats {
        __u64 nr_periods;     /* periods its budget was refilled */
        __u64 nr_throttled;   /* times its budget ran out */
        __u64 throttled_usec; /* time its tasks waited for a refill */
        __s64 budget_usec;    /* budget left after the latest refill */
};

#define AGENTCG_EXIT_REASON_LEN 128
#define AGENTCG_EXIT_MSG_LEN 1024

/*
 * Why the scheduler stopped, written once by its ops.exit().  kind is
 * sched_ext's enum scx_exit_kind (0 while still running, 64 and up for an
 * unregistration, 1024 and up for an error); reason is the kernel's short
 * text for the kind and msg the details, such as the text of an error the
 * scheduler raised itself.
 */
struct agentcg_exit_info {
        __s32 kind;
        __s32 pad;
        __s64 exit_code;
        char reason[AGENTCG_EXIT_REASON_LEN];
        char msg[AGENTCG_EXIT_MSG_LEN];
};
