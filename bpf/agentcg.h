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
        AGENTCG_STAT_EXIT_LOST,  /* exit records the exit ring had no room for */
        AGENTCG_STAT_BOOST,      /* wake-ups that ran ahead on boost credit */
        AGENTCG_STAT_BOOST_KICK, /* CPUs preempted for a boosted wake-up */
        AGENTCG_STAT_BOOST_DONE, /* boosts that used up their credit */
        AGENTCG_STAT_MEM_PENALTY, /* memory penalties imposed */
        AGENTCG_STAT_EVENT_LIMITED, /* events not sent: rate limit */
        AGENTCG_STAT_EVENT_LOST, /* events the event ring had no room for */
        AGENTCG_STAT_WAKE_PREEMPT, /* CPUs preempted for a cgroup waking from idle */
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

/*
 * Step classes, numbered as the daemon's enum Class (src/daemon/conf.h).
 * The daemon writes each step's class into the "cgrp_class" hash map
 * (key: cgroup id, value: __u32 class) when it creates the step, and
 * again for every existing step whenever a scheduler is attached.  A
 * cgroup without an entry is scheduled as AGENTCG_CLASS_DEFAULT.
 */
enum agentcg_class {
        AGENTCG_CLASS_INTERACTIVE,
        AGENTCG_CLASS_LATENCY,
        AGENTCG_CLASS_BATCH,
        AGENTCG_CLASS_BESTEFFORT,
        AGENTCG_NR_CLASSES,
};

#define AGENTCG_CLASS_DEFAULT AGENTCG_CLASS_BATCH
#define AGENTCG_MAX_CLASSED_CGROUPS 16384

/*
 * What a class means to the scheduler, in the "class_params" array map
 * indexed by class.  The daemon fills it before it attaches the
 * scheduler.  A boost_ns of 0 means no latency boost for the class.
 */
struct agentcg_class_params {
        __u64 slice_ns; /* how long its tasks run before others get a turn */
        __u64 boost_ns; /* CPU time a wake-up may run ahead, from its credit */
};

/*
 * Per-cgroup counters of the class and memory policy.  They are the first
 * member of the scheduler's cgroup storage ("cgrp_ctxs"), which userspace
 * reads with a cgroup directory fd as the key; the rest of that value is
 * the scheduler's own.  All cgroups have them while the scheduler runs.
 */
struct agentcg_cgroup_counters {
        __u64 nr_boosts;          /* wake-ups that ran ahead on boost credit */
        __u64 nr_boost_exhausted; /* boosts that used up the credit */
        __s64 boost_credit_ns;    /* credit left at the latest wake-up */
        __u64 nr_mem_penalties;   /* times a memory penalty was imposed */
        __u64 mem_penalty;        /* 1 while it is under one */
        __u64 mem_penalty_ns;     /* CPU time it ran under one */
};

/*
 * Decisions of note, sent through the "events" ring buffer for the
 * journal.  The scheduler sends at most one per cgroup and kind per
 * AGENTCG_EVENT_GAP_NS (memory penalties: per AGENTCG_MEM_EVENT_GAP_NS);
 * value is the cgroup's running total of that kind, so a reader sees how
 * many happened in between.
 */
enum agentcg_event_kind {
        AGENTCG_EV_THROTTLED = 1,   /* a cpu.max budget ran out */
        AGENTCG_EV_BOOST_EXHAUSTED, /* a boost used up the credit */
        AGENTCG_EV_MEM_PENALTY_ON,  /* memory pressure: less CPU */
        AGENTCG_EV_MEM_PENALTY_OFF, /* the pressure has passed */
        AGENTCG_NR_EVENT_KINDS,
};

#define AGENTCG_EVENT_GAP_NS (10ULL * 1000 * 1000 * 1000)
#define AGENTCG_PENALTY_EVENT_GAP_NS (1ULL * 1000 * 1000 * 1000)
#define AGENTCG_EVENT_RING_SIZE (64 * 1024)

struct agentcg_event {
        __u64 ts_ns; /* bpf_ktime_get_ns() */
        __u64 cgid;
        __u32 kind;  /* enum agentcg_event_kind */
        __u32 pad;
        __u64 value;
};

/* Size of the "exit_ring" ring buffer that carries the exit record: a
 * page-aligned power of two with room for one record and its header. */
#define AGENTCG_EXIT_RING_SIZE 8192

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
