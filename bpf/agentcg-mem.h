/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the memory observer (agentcg-mem.bpf.c), the CPU scheduler
 * (agentcg.bpf.c) and the daemon (src/daemon/memory.c, scheduler.c) agree
 * on about memory: the events the observer sends through its ring buffer
 * and the per-cgroup pressure record it keeps for the scheduler.
 *
 * The observer owns the "mem_pressure" map; the daemon loads the observer
 * first and hands that map's fd to the scheduler's skeleton
 * (bpf_map__reuse_fd) so both BPF objects read and write the same entries.
 * Fixed-width fields only, so clang (BPF) and gcc (daemon) agree on layout.
 */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Cgroups at once with a pressure record; the least recently written
 * entries are dropped first when the map is full (LRU hash). */
#define AGENTCG_MAX_MEM_CGROUPS 8192

/* What a ring buffer event reports. */
enum agentcg_mem_event_kind {
        AGENTCG_MEM_HIGH = 1, /* reclaim started in a cgroup over memory.high */
        AGENTCG_MEM_MAX = 2,  /* reclaim started in a cgroup at memory.max */
        AGENTCG_MEM_OOM = 3,  /* the OOM killer chose a victim in the cgroup */
};

/* Pressure levels in struct agentcg_mem_pressure.level. */
enum agentcg_mem_level {
        AGENTCG_MEM_LEVEL_NONE = 0,
        AGENTCG_MEM_LEVEL_HIGH = 1, /* over memory.high: kernel throttles it */
        AGENTCG_MEM_LEVEL_MAX = 2,  /* at memory.max: reclaiming or OOM */
};

/*
 * One record per cgroup that met memory pressure, in the "mem_pressure" LRU
 * hash keyed by cgroup id (__u64 kernfs id).  The observer writes it on
 * every reclaim it sees; readers treat it as stale once now - last_ns is
 * past their own hysteresis window, since nothing clears it when pressure
 * ends without further reclaim.
 */
struct agentcg_mem_pressure {
        __u64 last_ns;     /* bpf_ktime_get_ns() of the latest event */
        __u64 first_ns;    /* start of the current run of events */
        __u64 high_events; /* reclaims over memory.high seen so far */
        __u64 max_events;  /* reclaims at memory.max seen so far */
        __u32 level;       /* enum agentcg_mem_level of the latest event */
        __u32 pad;
        /* When the observer last sent a ring buffer event of each kind
         * (index enum agentcg_mem_event_kind - 1), for its rate limit. */
        __u64 sent_ns[3];
};

/*
 * A ring buffer event.  The observer sends at most one per cgroup and kind
 * per AGENTCG_MEM_EVENT_GAP_NS (OOM events always), so a cgroup reclaiming
 * in a tight loop cannot flood the daemon.
 */
struct agentcg_mem_event {
        __u64 ts_ns;   /* bpf_ktime_get_ns() when the kernel hit the event */
        __u64 cgid;    /* cgroup the event belongs to */
        __u64 usage;   /* bytes charged to the cgroup at that moment */
        __u64 high;    /* its memory.high in bytes (~0 for max) */
        __u64 max;     /* its memory.max in bytes (~0 for max) */
        __u32 kind;    /* enum agentcg_mem_event_kind */
        __u32 pid;     /* task that hit it (tgid) */
        char comm[16]; /* that task's comm */
};

#define AGENTCG_MEM_EVENT_GAP_NS (50ULL * 1000 * 1000)
