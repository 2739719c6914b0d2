/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * agentcg's memory observer: sees, inside the kernel and as it happens,
 * a cgroup under agentcg.slice start reclaim because it is over
 * memory.high or at memory.max, and the OOM killer choose a victim in
 * one.  Each such event updates the cgroup's record in "mem_pressure"
 * (which the CPU scheduler reads to slow the cgroup down) and, rate
 * limited per cgroup and kind, goes to the daemon through the "events"
 * ring buffer (layout in agentcg-mem.h).  The daemon's escalation ladder
 * (src/daemon/memory.c) acts on those events; nothing here polls.
 *
 * Reclaim is seen at mm_vmscan_memcg_reclaim_begin, which both paths
 * reach: reclaim_high() on the way back to user space for a cgroup over
 * memory.high (right after the kernel counts a "high" event in
 * memory.events), and try_charge_memcg() for a charge that hits
 * memory.max.  The page counters tell the two apart.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "agentcg-mem.h"

char _license[] SEC("license") = "GPL";

/* The cgroup whose descendants are watched (agentcg.slice) and its depth
 * in the hierarchy, set by the daemon before load; 0 watches everything. */
const volatile __u64 watch_cgid;
const volatile __u32 watch_level;

/* Pages a charge may take beyond usage before it must reclaim
 * (MEMCG_CHARGE_BATCH): usage this close to max means max was hit. */
#define CHARGE_BATCH 64ULL
#define PAGE_SHIFT_X86 12

/* A run of events ends after this much quiet; the next one starts anew. */
#define RUN_GAP_NS (1000ULL * 1000 * 1000)

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_LRU_HASH);
        __uint(max_entries, AGENTCG_MAX_MEM_CGROUPS);
        __type(key, __u64);
        __type(value, struct agentcg_mem_pressure);
} mem_pressure SEC(".maps");

/* Events dropped because the ring buffer was full, for the daemon's log. */
__u64 nr_dropped;

static __u64 cgroup_id(struct cgroup *cgrp)
{
        return BPF_CORE_READ(cgrp, kn, id);
}

/* Whether CGRP lies strictly below the watched cgroup. */
static bool watched(struct cgroup *cgrp)
{
        int level = BPF_CORE_READ(cgrp, level);
        struct cgroup *ancestor;

        if (!watch_cgid)
                return true;
        if (level <= (int)watch_level || watch_level >= 64)
                return false;

        ancestor = BPF_CORE_READ(cgrp, ancestors[watch_level & 63]);
        return ancestor && cgroup_id(ancestor) == watch_cgid;
}

/* A page counter limit in bytes, ~0 for none (PAGE_COUNTER_MAX pages). */
static __u64 limit_bytes(unsigned long pages)
{
        if (pages >= (~0UL >> 1) >> PAGE_SHIFT_X86)
                return ~0ULL;
        return (__u64)pages << PAGE_SHIFT_X86;
}

/* Updates the cgroup's pressure record; returns whether an event of
 * KIND may go to the daemon now (the rate limit). */
static bool record(__u64 cgid, __u32 kind, __u64 now)
{
        struct agentcg_mem_pressure fresh = {}, *p;
        __u32 slot = (kind - 1) % 3;

        p = bpf_map_lookup_elem(&mem_pressure, &cgid);
        if (!p) {
                fresh.first_ns = now;
                bpf_map_update_elem(&mem_pressure, &cgid, &fresh, BPF_NOEXIST);
                p = bpf_map_lookup_elem(&mem_pressure, &cgid);
                if (!p)
                        return true;
        }

        if (now - p->last_ns > RUN_GAP_NS)
                p->first_ns = now;
        p->last_ns = now;
        if (kind == AGENTCG_MEM_HIGH) {
                __sync_fetch_and_add(&p->high_events, 1);
                p->level = AGENTCG_MEM_LEVEL_HIGH;
        } else {
                if (kind == AGENTCG_MEM_MAX)
                        __sync_fetch_and_add(&p->max_events, 1);
                p->level = AGENTCG_MEM_LEVEL_MAX;
        }

        if (kind != AGENTCG_MEM_OOM && p->sent_ns[slot] &&
            now - p->sent_ns[slot] < AGENTCG_MEM_EVENT_GAP_NS)
                return false;
        p->sent_ns[slot] = now;
        return true;
}

static void send(__u32 kind, __u64 cgid, struct mem_cgroup *memcg, __u64 now)
{
        struct agentcg_mem_event *e;

        e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
        if (!e) {
                __sync_fetch_and_add(&nr_dropped, 1);
                return;
        }

        e->ts_ns = now;
        e->cgid = cgid;
        e->kind = kind;
        e->usage = (__u64)BPF_CORE_READ(memcg, memory.usage.counter) << PAGE_SHIFT_X86;
        e->high = limit_bytes(BPF_CORE_READ(memcg, memory.high));
        e->max = limit_bytes(BPF_CORE_READ(memcg, memory.max));
        e->pid = bpf_get_current_pid_tgid() >> 32;
        bpf_get_current_comm(e->comm, sizeof(e->comm));
        /* Wake the daemon at once: events are rare after the rate limit,
         * and its reaction time is the point of the exercise. */
        bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(agentcg_mem_reclaim, gfp_t gfp, int order, struct mem_cgroup *memcg)
{
        struct cgroup *cgrp = BPF_CORE_READ(memcg, css.cgroup);
        unsigned long usage, high, max;
        __u64 now, cgid;
        __u32 kind;

        if (!cgrp || !watched(cgrp))
                return 0;

        usage = BPF_CORE_READ(memcg, memory.usage.counter);
        high = BPF_CORE_READ(memcg, memory.high);
        max = BPF_CORE_READ(memcg, memory.max);
        if (usage + CHARGE_BATCH >= max)
                kind = AGENTCG_MEM_MAX;
        else if (usage > high)
                kind = AGENTCG_MEM_HIGH;
        else
                return 0; /* proactive reclaim (memory.reclaim), not pressure */

        now = bpf_ktime_get_ns();
        cgid = cgroup_id(cgrp);
        if (record(cgid, kind, now))
                send(kind, cgid, memcg, now);
        return 0;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(agentcg_mem_oom, struct task_struct *task, uid_t uid)
{
        struct cgroup_subsys_state *css;
        struct mem_cgroup *memcg;
        struct cgroup *cgrp;
        __u64 now, cgid;
        int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);

        cgrp = BPF_CORE_READ(task, cgroups, dfl_cgrp);
        if (!cgrp || !watched(cgrp) || id < 0 || id >= CGROUP_SUBSYS_COUNT)
                return 0;

        /* css is the first member of struct mem_cgroup. */
        css = BPF_CORE_READ(task, cgroups, subsys[id]);
        memcg = (struct mem_cgroup *)css;
        if (!memcg)
                return 0;

        now = bpf_ktime_get_ns();
        cgid = cgroup_id(cgrp);
        record(cgid, AGENTCG_MEM_OOM, now);
        send(AGENTCG_MEM_OOM, cgid, memcg, now);
        return 0;
}
