/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * agentcg's CPU data plane: a sched_ext scheduler that shares the CPUs
 * between cgroups by their cpu.weight, hierarchically, however many tasks
 * each of them runs.  "Cgroup" here means the cgroup whose cpu controller
 * governs a task (scx_bpf_task_cgroup()): the task's own cgroup, or the
 * nearest ancestor that has the cpu controller enabled.
 *
 * Shares.  The hierarchy is flattened into one number per cgroup, its
 * share of the machine (the scx_flatcg idea): the root has all of it, and
 * an active cgroup has its parent's share times its weight over the sum
 * of the weights of its parent's active children.  A cgroup is active
 * while it has a runnable task or an active child, so a session's weight
 * bounds its steps together, and an idle sibling takes nothing.  A cgroup
 * that has tasks of its own as well as children (the root, in practice)
 * lets its tasks compete as one more child of weight OWN_WEIGHT.  Every
 * activation, deactivation and weight change walks from the cgroup up to
 * the root, adjusting each ancestor's sum under its lock, and bumps a
 * generation counter; a cgroup recomputes its share (top-down, reusing
 * ancestors already computed in this generation) only when it is next
 * charged with a stale generation.  The walks are bounded by MAX_DEPTH.
 *
 * Time.  The algorithm is start-time fair queueing with one clock per
 * cgroup, which scx_flatcg also builds on (it orders cgroups, then their
 * tasks; we tag tasks with their cgroup's clock and keep a single queue):
 *
 *  - Every cgroup has a virtual time.  When one of its tasks stops
 *    running after t ns of CPU, the cgroup's virtual time advances by
 *    t / share: a cgroup with a third of the machine has a clock that runs
 *    three times as fast as real time, one with all of it in real time.
 *    CPU time is read from the task's se.sum_exec_runtime, the same clock
 *    cpu.stat reports.
 *
 *  - A task that becomes runnable is queued on one shared dispatch queue
 *    (DSQ), keyed by its cgroup's virtual time at that moment, and a CPU
 *    that needs work takes the smallest key.  The cgroup that is behind
 *    runs until it catches up, so all busy cgroups' clocks advance
 *    together, which is CPU time in proportion to share.  Tasks of one
 *    cgroup share its clock, so ten tasks get what one task would.
 *
 *  - vtime_now is the largest key any task started running with (the
 *    "system virtual time" of fair queueing).  Credit must not be banked:
 *    when a cgroup that had no runnable task gets one, its clock is pulled
 *    up to at most one slice of its own CPU time behind vtime_now.  An idle
 *    cgroup thus wakes with at most one slice of credit, and a crowd of
 *    cgroups waking at once each get at most one slice ahead of the busy
 *    ones.  Busy cgroups are left alone up to a much looser bound,
 *    busy_lag_ns of their own CPU time: with several CPUs, vtime_now runs
 *    somewhat ahead of any one busy cgroup, and holding them to one slice
 *    would take time they are owed.  The loose bound still stops a cgroup
 *    that runs fewer tasks than there are CPUs, and so cannot use its
 *    whole share, from banking the rest and later taking every CPU for as
 *    long.
 *
 *  - sched_ext calls ops.dispatch() at the end of a slice before it puts
 *    the running task back in the queue.  Pulling the queue's head right
 *    away would make the running task yield at every slice end, and two
 *    tasks would alternate one to one whatever their weights.  So
 *    dispatch first charges the running task and works out the key it
 *    would queue with; it keeps the CPU for another slice unless the
 *    queue's head has a smaller key.
 *
 *  - A waking task for which the kernel's default idle-CPU selection
 *    finds an idle CPU goes straight to that CPU's local DSQ: nobody
 *    competes for an idle CPU, so there is nothing to be fair about.
 *
 * cpu.max.  With sched_ext in charge the kernel's bandwidth control does
 * not apply, so the scheduler enforces quota, period and burst itself
 * (from ops.cgroup_init() and ops.cgroup_set_bandwidth()):
 *
 *  - A cgroup with a quota has a budget of CPU time.  Every charge takes
 *    the CPU time from the budget of the cgroup and of each ancestor with
 *    a quota, so a child is capped by the smallest limit above it too.
 *    While some cgroup has a quota, ops.tick() charges the running task
 *    every tick, so a budget is noticed empty within a tick.
 *
 *  - A cgroup whose budget is empty is throttled, and so is everything
 *    below it.  Its tasks are set aside in its own DSQ (one per cgroup,
 *    with the cgroup id as DSQ id): ops.enqueue() puts them there,
 *    dispatch() refuses to renew a throttled task's slice and moves
 *    throttled tasks it meets in the shared DSQ there, and ops.tick() ends
 *    the slice of a running one.  SCX_OPS_ENQ_LAST makes the kernel hand
 *    a CPU's last task to ops.enqueue() instead of running it on.
 *
 *  - Each limited cgroup has a period timer (a bpf_timer in a hash map
 *    keyed by cgroup id; local storage cannot hold timers).  At the end of
 *    a period the budget grows by the quota, up to quota + burst, so up to
 *    the burst of unused quota carries over; a throttled cgroup whose
 *    budget is above zero again is released, and its DSQ is moved back to
 *    the shared DSQ with fresh keys (a task still throttled by another
 *    ancestor moves to that one's DSQ instead), kicking idle CPUs.  CPU
 *    used past an empty budget, at most a tick per CPU, is debt paid from
 *    the next refill, so the long-run rate is exact.
 *
 *  - As in CFS, the timer runs only while it has work: the first charge
 *    after an idle spell arms it, which also starts the period then, and
 *    it stops after a whole period without use once the budget is full.
 *    Periods are kept on a grid (absolute expiry), so a late timer does
 *    not stretch the following ones.
 *
 *  - A throttled cgroup stays active for the shares: the others' clocks
 *    then run faster, but fair queueing only compares clocks, so the CPU
 *    it cannot use goes to the others in proportion to their shares.
 *
 * Per-cgroup cpu.max counters (periods, throttles, throttled time) are
 * mirrored at every period end into the cgrp_stats map, keyed by cgroup
 * id, for the daemon.
 *
 * Classes.  The daemon maps each step's cgroup id to its class; a class
 * has a slice and may have a latency boost: a waking cgroup of that class
 * starts up to its boost ahead of the others and preempts a CPU, paid
 * from a credit that refills slowly, so the boost cannot starve anyone
 * (see "Classes and the latency boost" below).  The wake-up clamp above
 * bounds the boost too, so a crowd of waking cgroups still cannot take
 * more than a slice and a boost each.
 *
 * Memory coupling.  A cgroup under memory pressure (over memory.high, in
 * reclaim, or marked by the memory observer in mem_pressure) is charged a
 * multiple of its CPU time and gets shorter slices until the pressure has
 * passed, with hysteresis (see "Memory coupling" below).
 *
 * Reporting.  ops.exit() sends the exit record through exit_ring, which
 * the daemon polls, so it learns of an exit at once; throttles, used-up
 * boosts and memory penalties go through the events ring, rate-limited
 * per cgroup; per-cgroup counters lead each cgroup's storage.
 *
 * What it does not do yet: within a cgroup, tasks take turns and their
 * nice values are ignored; a task the scheduler queued just before its
 * cgroup's throttle was lifted may wait one more period; cgroups deeper
 * than MAX_DEPTH are refused, and cpu.max limits beyond
 * AGENTCG_MAX_BW_CGROUPS cgroups are ignored (counted in the stats); and
 * the single shared DSQ is one lock for all CPUs, which suits small
 * machines only.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "agentcg.h"
#include "agentcg-mem.h"

char _license[] SEC("license") = "GPL";

#define E2BIG 7
#define ENOMEM 12

#define CLOCK_MONOTONIC 1

/* The dispatch queue all waiting tasks share, ordered by key. */
#define SHARED_DSQ 0

#define WEIGHT_DEFAULT 100

/* The weight a cgroup's own tasks have against its child cgroups. */
#define OWN_WEIGHT WEIGHT_DEFAULT

/* Shares are fixed-point fractions of the machine. */
#define HWEIGHT_ONE (1ULL << 20)

/* Deepest cgroup level the hierarchy walks handle (the root is 0). */
#define MAX_DEPTH 32

/* cpu.max of "max" arrives as U64_MAX; anything this large is no limit. */
#define QUOTA_US_UNLIMITED (1ULL << 40)

_Static_assert(AGENTCG_OPS_SWITCH_PARTIAL == SCX_OPS_SWITCH_PARTIAL,
               "agentcg.h disagrees with the kernel on SCX_OPS_SWITCH_PARTIAL");

/* One program per sched_ext callback, in the sections libbpf expects. */
#define SCX_OP(name, args...) SEC("struct_ops/" #name) BPF_PROG(name, ##args)
#define SCX_OP_SLEEPABLE(name, args...)                                        \
        SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)

/*
 * Aborts the scheduler with a formatted message, which ops.exit() records.
 * The kfunc wants the format in global memory and the arguments as an
 * array of u64; every caller passes at least one argument.
 */
#define scx_error(fmt, ...)                                                    \
        ({                                                                     \
                static char ___fmt[] = fmt;                                    \
                unsigned long long ___args[] = { __VA_ARGS__ };                \
                scx_bpf_error_bstr(___fmt, ___args, sizeof(___args));          \
        })

/*
 * The iterator of the innermost enclosing bpf_for_each() (libbpf's macro
 * names it ___it), which the kfuncs moving a task out of a DSQ want.
 */
#define DSQ_ITER (&___it)

/* Tunables the loader may set before load (__u64 keeps the skeleton's
 * types within <linux/types.h>).  busy_lag_ns is in a cgroup's own CPU
 * time, like slice_ns. */
const volatile __u64 slice_ns = 5ULL * 1000 * 1000;
const volatile __u64 busy_lag_ns = 100ULL * 1000 * 1000;
const volatile bool partial; /* the loader mirrors it in ops.flags */
const volatile bool memory_coupling;

__u64 vtime_now;
__u64 hweight_gen = 1; /* bumped whenever a share may have changed */
__u32 nr_limited;      /* cgroups with a cpu.max quota */
struct agentcg_exit_info exit_info;

/*
 * The activity fields are signed: a cgroup's activation and deactivation
 * may reach its parent in either order, and a count that dips below zero
 * for a moment still ends where it should.
 */
struct cgrp_ctx {
        struct agentcg_cgroup_counters cnt; /* first: userspace reads it */
        u64 vtime;
        u32 weight;
        u32 nr_runnable; /* its tasks between ops.runnable and ops.quiescent */

        struct bpf_spin_lock lock; /* guards the three fields below */
        s32 nr_active;             /* active children, +1 while it has tasks */
        s32 child_wsum;            /* their weights, +OWN_WEIGHT for its tasks */
        s32 contrib;               /* what it added to its parent's child_wsum */

        u64 share_gen; /* the hweight_gen hweight and share were computed at */
        u64 hweight;   /* its share of the machine, HWEIGHT_ONE for all of it */
        u64 share;     /* the part of hweight its own tasks compete for */
        bool bw_path;  /* it or an ancestor has a quota (as of share_gen) */

        u64 id;         /* its cgroup id, which is also its DSQ's */
        u64 quota_ns;   /* cpu.max per period; 0 without a limit */
        u64 period_ns;
        u64 burst_ns;   /* cpu.max.burst: unused quota it may save */
        s64 budget;     /* CPU time it may still use this period */
        u64 period_end; /* when its timer fires next, if it is armed */
        u32 timer_armed;
        u32 used;       /* it was charged since the latest period end */
        u32 throttled;  /* out of budget: its tasks wait in its DSQ */
        u64 throttled_at;
        u64 nr_periods;
        u64 nr_throttled;
        u64 throttled_ns;

        u64 slice;       /* its class's slice, read when it wakes */
        u64 boost_ns;    /* its class's boost per wake-up; 0 for none */
        s64 credit;      /* boost credit left, in its own CPU time */
        u64 credit_at;   /* when the credit was last refilled */
        u32 boosting;    /* this activation runs on boost credit */
        u32 mem_penalty; /* under memory pressure: charged at a multiple */
        u32 mem_over;    /* over memory.high at the latest look */
        u64 mem_seen_ns; /* when memory pressure was last seen */
        u64 mem_checked_ns; /* when its memcg was last looked at */
        u64 ev_sent_ns[AGENTCG_NR_EVENT_KINDS]; /* for the events' rate limit */
};

struct bw_timer {
        struct bpf_timer timer;
};

struct task_ctx {
        u64 cgid;          /* cgroup charged for the task's CPU time */
        u64 runnable_cgid; /* cgroup whose nr_runnable counts it, or 0 */
        u64 key;           /* virtual time of its latest queueing or renewal */
        u64 exec_start;    /* se.sum_exec_runtime when it was last charged */
        u64 slice;         /* its cgroup's slice when it was last queued */
        u32 boosted;       /* its cgroup ran on boost credit then */
        u32 woke_cgroup;   /* its wake-up made its cgroup runnable */
};

/* What each CPU runs, for wake-up preemption: the key its task started
 * with, and whether that task is boosted (a boosted wake-up does not
 * preempt another one). */
struct cpu_state {
        u64 key;
        u32 boosted;
};

struct {
        __uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
        __uint(map_flags, BPF_F_NO_PREALLOC);
        __type(key, int);
        __type(value, struct cgrp_ctx);
} cgrp_ctxs SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
        __uint(map_flags, BPF_F_NO_PREALLOC);
        __type(key, int);
        __type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/* One period timer per cgroup with a quota, keyed by cgroup id. */
struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, AGENTCG_MAX_BW_CGROUPS);
        __type(key, u64);
        __type(value, struct bw_timer);
} bw_timers SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, AGENTCG_MAX_BW_CGROUPS);
        __type(key, u64);
        __type(value, struct agentcg_cgroup_stats);
} cgrp_stats SEC(".maps");

/* Each step's class, written by the daemon (see agentcg.h). */
struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, AGENTCG_MAX_CLASSED_CGROUPS);
        __type(key, u64);
        __type(value, u32);
} cgrp_class SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, AGENTCG_NR_CLASSES);
        __type(key, u32);
        __type(value, struct agentcg_class_params);
} class_params SEC(".maps");

/*
 * Memory pressure per cgroup, as bpf/agentcg-mem.h describes it.  The
 * daemon hands this map over to the memory observer's (reuse_fd), which
 * writes a record at every reclaim it sees; without the observer it stays
 * empty and the scheduler relies on its own checks.
 */
struct {
        __uint(type, BPF_MAP_TYPE_LRU_HASH);
        __uint(max_entries, AGENTCG_MAX_MEM_CGROUPS);
        __type(key, __u64);
        __type(value, struct agentcg_mem_pressure);
} mem_pressure SEC(".maps");

/* Decisions of note for the daemon's journal (enum agentcg_event_kind). */
struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, AGENTCG_EVENT_RING_SIZE);
} events SEC(".maps");

#define MAX_CPUS 1024

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, MAX_CPUS);
        __type(key, u32);
        __type(value, struct cpu_state);
} cpu_states SEC(".maps");

/*
 * The exit record goes out through a ring buffer of its own, so that the
 * daemon learns of an exit the moment it happens (it polls the ring's fd
 * in its event loop) and no burst of other events can crowd it out.
 */
struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, AGENTCG_EXIT_RING_SIZE);
} exit_ring SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, AGENTCG_NR_STATS);
        __type(key, u32);
        __type(value, u64);
} stats SEC(".maps");

static void stat_inc(u32 idx)
{
        u64 *cnt = bpf_map_lookup_elem(&stats, &idx);

        if (cnt)
                (*cnt)++;
}

/*
 * Sends a decision of note about @cgc to the daemon, at most one per kind
 * and cgroup per gap: a cgroup throttled every period must not flood the
 * journal.  The running total in @value says how many were not sent.
 */
static void event_send(struct cgrp_ctx *cgc, u32 kind, u64 value)
{
        u64 now = bpf_ktime_get_ns(), gap = AGENTCG_EVENT_GAP_NS;
        struct agentcg_event *ev;

        if (kind >= AGENTCG_NR_EVENT_KINDS)
                return;
        if (kind == AGENTCG_EV_MEM_PENALTY_ON || kind == AGENTCG_EV_MEM_PENALTY_OFF)
                gap = AGENTCG_PENALTY_EVENT_GAP_NS;
        if (cgc->ev_sent_ns[kind] && now - cgc->ev_sent_ns[kind] < gap) {
                stat_inc(AGENTCG_STAT_EVENT_LIMITED);
                return;
        }
        cgc->ev_sent_ns[kind] = now;

        ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
        if (!ev) {
                stat_inc(AGENTCG_STAT_EVENT_LOST);
                return;
        }
        ev->ts_ns = now;
        ev->cgid = cgc->id;
        ev->kind = kind;
        ev->pad = 0;
        ev->value = value;
        bpf_ringbuf_submit(ev, 0);
}

/* Virtual times wrap around; compare them the way jiffies are compared. */
static bool vtime_before(u64 a, u64 b)
{
        return (s64)(a - b) < 0;
}

/*
 * vtime_now never moves back.  Two CPUs racing here may lose one update,
 * which only leaves vtime_now one slice behind until the next task runs.
 */
static void vtime_advance(u64 key)
{
        if (vtime_before(vtime_now, key))
                vtime_now = key;
}

/* cpu.weight is 1..10000; never let a bad value reach a division. */
static u32 weight_sane(u32 weight)
{
        return weight ? weight : WEIGHT_DEFAULT;
}

/* @t ns of CPU time of a cgroup with @share, in virtual time. */
static u64 to_vtime(u64 t, u64 share)
{
        return t * HWEIGHT_ONE / (share ? share : 1);
}

static struct task_ctx *task_ctx(struct task_struct *p)
{
        struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);

        if (!tctx)
                scx_error("agentcg: task %d has no context", p->pid);
        return tctx;
}

/*
 * A cgroup without state is possible only if ops.cgroup_init() was
 * skipped for it; its tasks then run at vtime_now and are not charged.
 */
static struct cgrp_ctx *cgrp_ctx(struct cgroup *cgrp)
{
        struct cgrp_ctx *cgc = bpf_cgrp_storage_get(&cgrp_ctxs, cgrp, 0, 0);

        if (!cgc)
                stat_inc(AGENTCG_STAT_NO_CGRP);
        return cgc;
}

/* The state of @cgrp's ancestor at @level (@cgrp itself at its level). */
static struct cgrp_ctx *ancestor_ctx(struct cgroup *cgrp, int level)
{
        struct cgroup *anc = bpf_cgroup_ancestor(cgrp, level);
        struct cgrp_ctx *cgc;

        if (!anc) {
                scx_error("agentcg: cgroup %llu has no ancestor at level %d",
                          cgrp->kn->id, level);
                return NULL;
        }
        cgc = cgrp_ctx(anc);
        bpf_cgroup_release(anc);
        return cgc;
}

/*
 * Applies a change of @d_active active children and @d_wsum of their
 * weight sum to @cgc, and returns in the same two variables what @cgc's
 * own change of activity means for its parent.  Whether a cgroup is
 * active and what it contributed change together, under its lock.
 */
static void cgrp_apply(struct cgrp_ctx *cgc, s32 *d_active, s32 *d_wsum)
{
        s32 before, after, up_active = 0, up_wsum = 0;

        bpf_spin_lock(&cgc->lock);
        before = cgc->nr_active;
        after = before + *d_active;
        cgc->nr_active = after;
        cgc->child_wsum += *d_wsum;
        if (before <= 0 && after > 0) {
                cgc->contrib = cgc->weight;
                up_active = 1;
                up_wsum = cgc->contrib;
        } else if (before > 0 && after <= 0) {
                up_active = -1;
                up_wsum = -cgc->contrib;
        }
        bpf_spin_unlock(&cgc->lock);

        *d_active = up_active;
        *d_wsum = up_wsum;
}

/*
 * Walks from @cgrp's level @level up to the root, applying the change at
 * @level and each change of activity it causes further up.  The share
 * generation is bumped after the sums changed, so a share computed from
 * the old sums is recomputed.
 */
static void cgrp_propagate(struct cgroup *cgrp, int level, s32 d_active, s32 d_wsum)
{
        struct cgrp_ctx *cgc;
        int i;

        bpf_for(i, 0, MAX_DEPTH + 1) {
                if (level - i < 0 || (!d_active && !d_wsum))
                        break;
                cgc = ancestor_ctx(cgrp, level - i);
                if (!cgc)
                        break;
                cgrp_apply(cgc, &d_active, &d_wsum);
        }
        __sync_fetch_and_add(&hweight_gen, 1);
}

/*
 * @cgc's share as a child whose parent has @parent_hw and whose active
 * siblings (itself included, if active) weigh @wsum.  An inactive cgroup
 * gets what it would get if it became active now.
 */
static u64 child_hweight(struct cgrp_ctx *cgc, u64 parent_hw, s32 wsum)
{
        u64 weight = cgc->weight;

        if (cgc->nr_active <= 0)
                wsum += weight;
        if (wsum < (s32)weight)
                wsum = weight;
        return parent_hw * weight / (u64)wsum;
}

/*
 * Stamps @cgc with its share @hw, what its own tasks get of it, and
 * whether it is under a quota, its own or (@parent_bw) an ancestor's.
 */
static void cgrp_set_hweight(struct cgrp_ctx *cgc, u64 hw, bool parent_bw, u64 gen)
{
        s32 wsum = cgc->child_wsum;
        u64 share;

        if (wsum < OWN_WEIGHT)
                wsum = OWN_WEIGHT;
        share = hw * OWN_WEIGHT / (u64)wsum;
        cgc->hweight = hw;
        cgc->share = share ? share : 1;
        cgc->bw_path = parent_bw || cgc->quota_ns;
        cgc->share_gen = gen;
}

/*
 * Recomputes @cgc's share, if its generation is stale, from the root down.
 * Ancestors stamped with the current generation are reused.  A concurrent
 * bump only means the result is stamped stale and computed again later.
 */
static void cgrp_refresh(struct cgroup *cgrp, struct cgrp_ctx *cgc)
{
        u64 gen = hweight_gen, hw = HWEIGHT_ONE;
        int level = cgrp->level, i;
        struct cgrp_ctx *anc;
        bool bw = false;
        s32 wsum = 0;

        if (cgc->share_gen == gen)
                return;

        bpf_for(i, 0, MAX_DEPTH + 1) {
                if (i > level)
                        break;
                anc = ancestor_ctx(cgrp, i);
                if (!anc)
                        return;
                if (anc->share_gen != gen) {
                        if (i > 0)
                                hw = child_hweight(anc, hw, wsum);
                        cgrp_set_hweight(anc, hw, bw, gen);
                }
                hw = anc->hweight;
                bw = anc->bw_path;
                wsum = anc->child_wsum;
        }
}

/* The share @cgrp's own tasks are charged with. */
static u64 cgrp_share(struct cgroup *cgrp, struct cgrp_ctx *cgc)
{
        cgrp_refresh(cgrp, cgc);
        return cgc->share;
}

/*
 * Pulls @cgc's clock up to at most @lag behind vtime_now; returns whether
 * it was further behind.  One compare-and-swap: if a concurrent charge
 * wins, the clock has moved forward anyway and the next pull-up retries.
 */
static bool cgrp_pull_up(struct cgrp_ctx *cgc, u64 lag)
{
        u64 floor = vtime_now - lag;
        u64 vtime = cgc->vtime;

        if (!vtime_before(vtime, floor))
                return false;
        __sync_val_compare_and_swap(&cgc->vtime, vtime, floor);
        return true;
}

/* The key a task of busy cgroup @cgrp runs or queues with. */
static u64 cgrp_key(struct cgroup *cgrp, struct cgrp_ctx *cgc)
{
        u64 lag = to_vtime(busy_lag_ns, cgrp_share(cgrp, cgc));

        if (cgrp_pull_up(cgc, lag))
                stat_inc(AGENTCG_STAT_BUSY_CLAMP);
        return cgc->vtime;
}

/* The key for a task of the cgroup with id @cgid; vtime_now if it is gone. */
static u64 cgid_key(u64 cgid)
{
        struct cgroup *cgrp = bpf_cgroup_from_id(cgid);
        struct cgrp_ctx *cgc;
        u64 key = vtime_now;

        if (!cgrp)
                return key;
        cgc = cgrp_ctx(cgrp);
        if (cgc)
                key = cgrp_key(cgrp, cgc);
        bpf_cgroup_release(cgrp);
        return key;
}


/*
 * cpu.max.  The charging side runs in the scheduler's callbacks, the
 * refilling side in each limited cgroup's period timer.
 */

/* An atomic exchange, which is also a full memory barrier. */
static u32 xchg32(u32 *p, u32 v)
{
        return __sync_lock_test_and_set(p, v);
}

static void bw_timer_start(struct cgrp_ctx *cgc, u64 when)
{
        struct bw_timer *t = bpf_map_lookup_elem(&bw_timers, &cgc->id);

        if (!t) {
                scx_error("agentcg: cgroup %llu has a quota but no timer", cgc->id);
                return;
        }
        cgc->period_end = when;
        bpf_timer_start(&t->timer, when, BPF_F_TIMER_ABS);
}

/* The first charge after an idle spell starts a period, as in CFS. */
static void bw_timer_ensure(struct cgrp_ctx *cgc, u64 now)
{
        if (!cgc->timer_armed && !__sync_val_compare_and_swap(&cgc->timer_armed, 0, 1))
                bw_timer_start(cgc, now + cgc->period_ns);
}

/* Takes @used ns from @cgc's budget; an empty budget throttles it. */
static void bw_consume(struct cgrp_ctx *cgc, u64 used, u64 now)
{
        xchg32(&cgc->used, 1);
        if (__sync_fetch_and_add(&cgc->budget, -(s64)used) - (s64)used <= 0 &&
            !__sync_val_compare_and_swap(&cgc->throttled, 0, 1)) {
                cgc->throttled_at = now;
                cgc->nr_throttled++;
                stat_inc(AGENTCG_STAT_THROTTLE);
                event_send(cgc, AGENTCG_EV_THROTTLED, cgc->nr_throttled);
        }
        bw_timer_ensure(cgc, now);
}

/* Charges @used ns to every cgroup from @cgrp up that has a quota. */
static void bw_charge(struct cgroup *cgrp, u64 used)
{
        u64 now = bpf_ktime_get_ns();
        int level = cgrp->level, i;
        struct cgrp_ctx *anc;

        bpf_for(i, 0, MAX_DEPTH + 1) {
                if (level - i < 0)
                        break;
                anc = ancestor_ctx(cgrp, level - i);
                if (!anc || !anc->bw_path)
                        break;
                if (anc->quota_ns)
                        bw_consume(anc, used, now);
        }
}

/*
 * The id of the nearest cgroup from @cgrp up that is out of budget, or 0
 * if its tasks may run.  Only walks while some ancestor has a quota.
 */
static u64 cgrp_throttler(struct cgroup *cgrp, struct cgrp_ctx *cgc)
{
        int level = cgrp->level, i;
        struct cgrp_ctx *anc;

        if (!nr_limited)
                return 0;
        cgrp_refresh(cgrp, cgc);
        if (!cgc->bw_path)
                return 0;

        bpf_for(i, 0, MAX_DEPTH + 1) {
                if (level - i < 0)
                        break;
                anc = ancestor_ctx(cgrp, level - i);
                if (!anc || !anc->bw_path)
                        break;
                if (anc->throttled)
                        return anc->id;
        }
        return 0;
}

static u64 cgid_throttler(u64 cgid)
{
        struct cgroup *cgrp;
        struct cgrp_ctx *cgc;
        u64 throttler = 0;

        if (!nr_limited)
                return 0;
        cgrp = bpf_cgroup_from_id(cgid);
        if (!cgrp)
                return 0;
        cgc = cgrp_ctx(cgrp);
        if (cgc)
                throttler = cgrp_throttler(cgrp, cgc);
        bpf_cgroup_release(cgrp);
        return throttler;
}

static void bw_unthrottle(struct cgrp_ctx *cgc, u64 now)
{
        if (xchg32(&cgc->throttled, 0))
                cgc->throttled_ns += now - cgc->throttled_at;
}

/*
 * The end of one of @cgc's periods: the budget grows by a quota, up to
 * quota + burst, and a budget above zero lifts the throttle.  Debt from
 * the CPU time used past an empty budget (at most a tick per CPU) is paid
 * from the refill.  Returns whether the timer has to run on: it stops
 * once the cgroup went a whole period unused with its budget full.
 */
static bool bw_period_end(struct cgrp_ctx *cgc, u64 now)
{
        u64 cap = cgc->quota_ns + cgc->burst_ns;
        s64 budget = cgc->budget, add;
        bool used;

        if (!cgc->quota_ns) {
                bw_unthrottle(cgc, now);
                return false;
        }

        used = xchg32(&cgc->used, 0);
        cgc->nr_periods++;
        if (budget < (s64)cap) {
                add = (s64)cap - budget;
                if (add > (s64)cgc->quota_ns)
                        add = cgc->quota_ns;
                budget = __sync_fetch_and_add(&cgc->budget, add) + add;
        }
        if (cgc->throttled && budget > 0)
                bw_unthrottle(cgc, now);
        return used || cgc->throttled || budget < (s64)cap;
}

/* Wakes up to @n idle CPUs, so that tasks just queued get to run. */
static void kick_idle_cpus(u32 n)
{
        const struct cpumask *idle = scx_bpf_get_idle_cpumask();
        s32 nr_cpus = scx_bpf_nr_cpu_ids(), cpu;

        bpf_for(cpu, 0, nr_cpus) {
                if (!n)
                        break;
                if (bpf_cpumask_test_cpu(cpu, idle)) {
                        scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
                        n--;
                }
        }
        scx_bpf_put_idle_cpumask(idle);
}

/* The cgroup charged for a task in a DSQ (not the task of a callback). */
static u64 queued_task_cgid(struct task_struct *p)
{
        struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);

        return tctx ? tctx->cgid : 0;
}

/*
 * Queues the tasks set aside in the DSQ of cgroup @dsq, whose throttle
 * was lifted, again with their cgroups' current keys.  A task another
 * ancestor still throttles moves to that one's DSQ instead.  Nothing in
 * the loop counts (a counter would keep the verifier from seeing the
 * loop converge), so the CPUs to kick are counted on the shared DSQ.
 */
static void bw_release(u64 dsq)
{
        struct task_struct *p;
        u64 cgid, throttler;
        bool queued = false;

        bpf_for_each(scx_dsq, p, dsq, 0) {
                cgid = queued_task_cgid(p);
                throttler = cgid_throttler(cgid);
                if (throttler == dsq)
                        continue;
                if (throttler) {
                        scx_bpf_dsq_move(DSQ_ITER, p, throttler, 0);
                        continue;
                }
                scx_bpf_dsq_move_set_slice(DSQ_ITER, slice_ns);
                scx_bpf_dsq_move_set_vtime(DSQ_ITER, cgid_key(cgid));
                if (scx_bpf_dsq_move_vtime(DSQ_ITER, p, SHARED_DSQ, 0)) {
                        stat_inc(AGENTCG_STAT_UNPARK);
                        queued = true;
                }
        }
        if (queued)
                kick_idle_cpus(scx_bpf_dsq_nr_queued(SHARED_DSQ));
}

/* BPF before v4 has no signed division. */
static s64 ns_to_us(s64 ns)
{
        return ns < 0 ? -(s64)((u64)-ns / 1000) : (s64)((u64)ns / 1000);
}

/* Mirrors @cgc's counters where the daemon can read them. */
static void bw_publish(struct cgrp_ctx *cgc, u64 now)
{
        struct agentcg_cgroup_stats st = {
                .nr_periods = cgc->nr_periods,
                .nr_throttled = cgc->nr_throttled,
                .throttled_usec = cgc->throttled_ns / 1000,
                .budget_usec = ns_to_us(cgc->budget),
        };

        if (cgc->throttled)
                st.throttled_usec += (now - cgc->throttled_at) / 1000;
        bpf_map_update_elem(&cgrp_stats, &cgc->id, &st, BPF_ANY);
}

/*
 * A period ended.  The timer is re-armed on the period grid (absolute
 * expiry, so a late firing does not stretch later periods), unless it is
 * no longer needed.  Before it stops, it says so and looks once more:
 * a charge that came in between either saw it stopped and armed it
 * again, or is seen here (both sides use full barriers).
 */
static int bw_timer_fn(void *map, u64 *key, struct bw_timer *t)
{
        u64 now = bpf_ktime_get_ns(), next;
        struct cgroup *cgrp = bpf_cgroup_from_id(*key);
        struct cgrp_ctx *cgc;
        bool again;

        if (!cgrp)
                return 0;
        cgc = bpf_cgrp_storage_get(&cgrp_ctxs, cgrp, 0, 0);
        if (!cgc)
                goto out;

        again = bw_period_end(cgc, now);
        if (!cgc->throttled)
                bw_release(cgc->id);
        bw_publish(cgc, now);

        /* A task set aside as the throttle was lifted is freed next time. */
        if (scx_bpf_dsq_nr_queued(cgc->id) > 0)
                again = true;

        if (!again) {
                xchg32(&cgc->timer_armed, 0);
                if (!cgc->quota_ns || !(cgc->used || cgc->throttled) ||
                    __sync_val_compare_and_swap(&cgc->timer_armed, 0, 1))
                        goto out;
        }
        next = cgc->period_end + cgc->period_ns;
        if (vtime_before(next, now))
                next = now + cgc->period_ns;
        cgc->period_end = next;
        bpf_timer_start(&t->timer, next, BPF_F_TIMER_ABS);
out:
        bpf_cgroup_release(cgrp);
        return 0;
}

/* Gives cgroup @cgid a period timer; false if there is no room for one. */
static bool bw_timer_create(u64 cgid)
{
        struct bw_timer init = {}, *t;

        if (bpf_map_lookup_elem(&bw_timers, &cgid))
                return true;
        if (bpf_map_update_elem(&bw_timers, &cgid, &init, BPF_NOEXIST))
                return false;
        t = bpf_map_lookup_elem(&bw_timers, &cgid);
        if (!t)
                return false;
        bpf_timer_init(&t->timer, &bw_timers, CLOCK_MONOTONIC);
        bpf_timer_set_callback(&t->timer, bw_timer_fn);
        return true;
}

/* Fires @cgc's timer now, so that it sees a limit gone and frees tasks. */
static void bw_timer_kick(struct cgrp_ctx *cgc)
{
        __sync_val_compare_and_swap(&cgc->timer_armed, 0, 1);
        bw_timer_start(cgc, bpf_ktime_get_ns());
}

/*
 * Takes cpu.max from the kernel (microseconds; a quota of U64_MAX is
 * "max").  A new limit starts with a full budget: the cgroup has been
 * idle under it until now.  A changed one keeps the budget it has, within
 * the new cap.  Whether a cgroup is under a quota is cached with its
 * share, so the share generation is bumped.
 */
static void cgrp_set_bw(struct cgroup *cgrp, struct cgrp_ctx *cgc, u64 period_us,
                        u64 quota_us, u64 burst_us)
{
        bool limit = quota_us && quota_us < QUOTA_US_UNLIMITED && period_us;
        bool had = cgc->quota_ns;
        u64 cap = (quota_us + burst_us) * 1000;

        if (limit && !had && !bw_timer_create(cgc->id)) {
                stat_inc(AGENTCG_STAT_BW_FULL);
                return;
        }

        if (limit) {
                cgc->period_ns = period_us * 1000;
                cgc->burst_ns = burst_us * 1000;
                if (!had || cgc->budget > (s64)cap)
                        cgc->budget = cap;
                cgc->quota_ns = quota_us * 1000;
                if (!had)
                        __sync_fetch_and_add(&nr_limited, 1);
        } else if (had) {
                cgc->quota_ns = 0;
                __sync_fetch_and_sub(&nr_limited, 1);
                bw_timer_kick(cgc);
        }
        __sync_fetch_and_add(&hweight_gen, 1);
}

/*
 * Charges @p's CPU time since its last charge to its cgroup's clock and
 * to the budgets above it.  If the cgroup is gone, the charge is dropped.
 */
/*
 * Classes and the latency boost.
 *
 * A cgroup reads its class's slice and boost from the maps the daemon
 * fills each time it wakes (goes from no runnable task to one), so a class
 * set after the cgroup was made applies from its next wake-up.
 *
 * A cgroup of a class with a boost wakes up to slice + boost_ns of its own
 * CPU time ahead of vtime_now instead of one slice, so its task is next in
 * the queue, and if no CPU is idle it preempts one that runs an unboosted
 * task.  The boost is paid from a credit: all CPU time the cgroup uses
 * while boosted is taken from it, and once it is used up the boost ends
 * (its clock is pulled back in line) until the credit refills, at 1 ns per
 * BOOST_REFILL_DIV ns of wall-clock time, up to BOOST_CAP_MULT boosts.  A
 * boosted cgroup therefore gets at most 1/BOOST_REFILL_DIV of a CPU more
 * than its share over time, however often it wakes: batch work is never
 * starved.  The credit fields are updated without a lock; two CPUs racing
 * on them can only misplace a little credit.
 */
#define BOOST_REFILL_DIV 20
#define BOOST_CAP_MULT 4

static void cgrp_load_class(struct cgrp_ctx *cgc)
{
        u32 *cls = bpf_map_lookup_elem(&cgrp_class, &cgc->id);
        u32 idx = cls ? *cls : AGENTCG_CLASS_DEFAULT;
        struct agentcg_class_params *cp = bpf_map_lookup_elem(&class_params, &idx);

        cgc->slice = cp && cp->slice_ns ? cp->slice_ns : slice_ns;
        cgc->boost_ns = cp ? cp->boost_ns : 0;
}

static void boost_refill(struct cgrp_ctx *cgc, u64 now)
{
        s64 cap = cgc->boost_ns * BOOST_CAP_MULT;
        s64 credit = cgc->credit + (s64)((now - cgc->credit_at) / BOOST_REFILL_DIV);

        cgc->credit_at = now;
        cgc->credit = credit < cap ? credit : cap;
}

/* The boost @cgc wakes with, 0 for none; starts it if there is one. */
static u64 boost_take(struct cgrp_ctx *cgc)
{
        if (!cgc->boost_ns)
                return 0;

        boost_refill(cgc, bpf_ktime_get_ns());
        cgc->cnt.boost_credit_ns = cgc->credit;
        if (cgc->credit <= 0)
                return 0;

        cgc->boosting = 1;
        cgc->cnt.nr_boosts++;
        stat_inc(AGENTCG_STAT_BOOST);
        return (u64)cgc->credit < cgc->boost_ns ? (u64)cgc->credit : cgc->boost_ns;
}

/* Sets @cgc's clock @lead behind vtime_now, whichever side it was on. */
static void cgrp_set_lead(struct cgrp_ctx *cgc, u64 lead)
{
        u64 vtime = cgc->vtime;

        __sync_val_compare_and_swap(&cgc->vtime, vtime, vtime_now - lead);
}

/* @used ns of a boosted cgroup's CPU time are paid from its credit. */
static void boost_pay(struct cgroup *cgrp, struct cgrp_ctx *cgc, u64 used)
{
        if (__sync_fetch_and_add(&cgc->credit, -(s64)used) - (s64)used > 0)
                return;
        if (!xchg32(&cgc->boosting, 0))
                return;

        cgc->cnt.nr_boost_exhausted++;
        stat_inc(AGENTCG_STAT_BOOST_DONE);
        cgrp_pull_up(cgc, to_vtime(slice_ns, cgrp_share(cgrp, cgc)));
        event_send(cgc, AGENTCG_EV_BOOST_EXHAUSTED, cgc->cnt.nr_boost_exhausted);
}

/*
 * Wake-up preemption.  A task that wakes while no CPU is idle is queued by
 * its key and waits for some CPU's slice to end, which is fair but slow:
 * up to a slice and a tick.  Two kinds of wake-up do not wait.  A task of
 * a boosted cgroup takes a CPU that runs an unboosted task.  A task whose
 * wake-up made its cgroup runnable again, and whose key is before the key
 * a running task started with, takes that task's CPU: its cgroup was idle
 * and is owed the time, and the wake-up clamp has already bounded how far
 * ahead it may start (one slice, plus a boost it has credit for), so a
 * crowd of waking cgroups cannot take more than that.  Wake-ups of a
 * cgroup that was already busy (a fork storm's children, say) never
 * preempt.  Of the CPUs that qualify, the one whose task started with the
 * latest key is taken.  The CPU state is read without a lock; a race can
 * only pick a slightly worse CPU.
 */
static s32 wake_preempt_cpu(struct task_struct *p, u64 key, bool boosted)
{
        s32 nr_cpus = scx_bpf_nr_cpu_ids(), cpu, best = -1;
        struct cpu_state *cs;
        u64 best_key = key;
        u32 idx;

        bpf_for(cpu, 0, nr_cpus) {
                idx = cpu;
                cs = bpf_map_lookup_elem(&cpu_states, &idx);
                if (!cs || cs->boosted || !bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
                        continue;
                if (best < 0 && boosted) {
                        best = cpu;
                        best_key = cs->key;
                        continue;
                }
                if (vtime_before(best_key, cs->key)) {
                        best = cpu;
                        best_key = cs->key;
                }
        }
        return best;
}

/*
 * Places @p, which just woke, at the front of a CPU found above and
 * preempts the task there, which is queued again by its key.  The CPU is
 * marked at once so that a second wake-up picks another.  Returns whether
 * @p was placed.
 */
static bool wake_preempt(struct task_struct *p, u64 key, u64 slice, u64 enq_flags)
{
        struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
        struct cpu_state *cs;
        bool woke_cgroup;
        u32 idx;
        s32 cpu;

        if (!tctx || !(enq_flags & SCX_ENQ_WAKEUP))
                return false;
        woke_cgroup = xchg32(&tctx->woke_cgroup, 0);
        /* The kernel refuses a migration-disabled task on another CPU's
         * local DSQ with a scheduler error; such a rare wake-up queues. */
        if (p->migration_disabled)
                return false;
        if (!tctx->boosted && !woke_cgroup)
                return false;
        cpu = wake_preempt_cpu(p, key, tctx->boosted);
        if (cpu < 0)
                return false;

        idx = cpu;
        cs = bpf_map_lookup_elem(&cpu_states, &idx);
        if (cs) {
                cs->key = key;
                cs->boosted = tctx->boosted;
        }
        scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, slice, enq_flags | SCX_ENQ_PREEMPT);
        stat_inc(tctx->boosted ? AGENTCG_STAT_BOOST_KICK : AGENTCG_STAT_WAKE_PREEMPT);
        return true;
}

/*
 * Memory coupling.  A cgroup whose memory is under pressure gets its CPU
 * time charged MEM_PENALTY_MULT times over, a weight cut to a quarter, and
 * half its slice, so the CPU its reclaim would burn, and the cache it
 * would thrash, go to its neighbours.  Pressure is any of:
 *
 *  - the running task owes reclaim over memory.high
 *    (memcg_nr_pages_over_high) or is in direct reclaim (PF_MEMALLOC);
 *  - a record in mem_pressure younger than MEM_FRESH_NS (the memory
 *    observer writes one at every reclaim it sees);
 *  - the cgroup's usage above its memory.high, read through the memcg
 *    kfuncs at most every MEM_CHECK_NS per cgroup.
 *
 * Hysteresis on both axes: once penalised, usage must fall below 31/32 of
 * memory.high to count as relieved, and the penalty is lifted only after
 * MEM_HOLD_NS without any pressure, so a cgroup hovering at its limit does
 * not flap.  The root cgroup is never penalised: kswapd runs there.
 */
#define MEM_PENALTY_MULT 4
#define MEM_CHECK_NS (10ULL * 1000 * 1000)
#define MEM_FRESH_NS (100ULL * 1000 * 1000)
#define MEM_HOLD_NS (500ULL * 1000 * 1000)
#define PF_MEMALLOC 0x00000800
#define PAGE_SHIFT 12
#define PAGE_COUNTER_LIMIT (1ULL << 50) /* pages; "max" is far above */

static bool mem_over_high(struct cgroup *cgrp, struct cgrp_ctx *cgc)
{
        struct mem_cgroup *memcg;
        u64 usage, high;

        /* The memcg kfuncs are newer than 6.12; where the kernel lacks them
         * libbpf leaves these weak symbols unset, the verifier drops the
         * code below, and only the other two signals remain. */
        if (!bpf_ksym_exists(bpf_get_mem_cgroup) || !bpf_ksym_exists(bpf_mem_cgroup_usage) ||
            !bpf_ksym_exists(bpf_put_mem_cgroup))
                return false;

        memcg = bpf_get_mem_cgroup(&cgrp->self);
        if (!memcg)
                return false;
        usage = bpf_mem_cgroup_usage(memcg);
        high = memcg->memory.high;
        bpf_put_mem_cgroup(memcg);

        if (high >= PAGE_COUNTER_LIMIT)
                return false;
        high <<= PAGE_SHIFT;
        if (cgc->mem_penalty)
                high -= high / 32;
        return usage > high;
}

static bool mem_pressured(struct task_struct *p, struct cgroup *cgrp, struct cgrp_ctx *cgc,
                          u64 now)
{
        struct agentcg_mem_pressure *rec;

        if (p->flags & PF_MEMALLOC)
                return true;
        if (bpf_core_field_exists(p->memcg_nr_pages_over_high) && p->memcg_nr_pages_over_high)
                return true;

        rec = bpf_map_lookup_elem(&mem_pressure, &cgc->id);
        if (rec && now - rec->last_ns < MEM_FRESH_NS)
                return true;

        if (now - cgc->mem_checked_ns >= MEM_CHECK_NS) {
                cgc->mem_checked_ns = now;
                cgc->mem_over = mem_over_high(cgrp, cgc);
        }
        return cgc->mem_over;
}

static void mem_update(struct task_struct *p, struct cgroup *cgrp, struct cgrp_ctx *cgc)
{
        u64 now = bpf_ktime_get_ns();

        if (mem_pressured(p, cgrp, cgc, now)) {
                cgc->mem_seen_ns = now;
                if (xchg32(&cgc->mem_penalty, 1))
                        return;
                cgc->cnt.mem_penalty = 1;
                cgc->cnt.nr_mem_penalties++;
                stat_inc(AGENTCG_STAT_MEM_PENALTY);
                event_send(cgc, AGENTCG_EV_MEM_PENALTY_ON, cgc->cnt.nr_mem_penalties);
                return;
        }

        if (cgc->mem_penalty && now - cgc->mem_seen_ns > MEM_HOLD_NS &&
            xchg32(&cgc->mem_penalty, 0)) {
                cgc->cnt.mem_penalty = 0;
                event_send(cgc, AGENTCG_EV_MEM_PENALTY_OFF, cgc->cnt.nr_mem_penalties);
        }
}

/* The slice @cgc's tasks get now. */
static u64 cgrp_slice(struct cgrp_ctx *cgc)
{
        u64 slice = cgc->slice ? cgc->slice : slice_ns;

        return cgc->mem_penalty ? slice / 2 : slice;
}

/*
 * Charges @p's CPU time since its last charge to its cgroup's clock and
 * to the budgets above it, and to its boost credit.  If the cgroup is
 * gone, the charge is dropped.
 */
static void task_charge(struct task_struct *p, struct task_ctx *tctx)
{
        u64 now = p->se.sum_exec_runtime;
        u64 used = now - tctx->exec_start;
        struct cgroup *cgrp;
        struct cgrp_ctx *cgc;
        u64 vt;

        tctx->exec_start = now;
        cgrp = bpf_cgroup_from_id(tctx->cgid);
        if (!cgrp)
                return;
        cgc = cgrp_ctx(cgrp);
        if (!cgc)
                goto out;

        if (memory_coupling && cgrp->level > 0)
                mem_update(p, cgrp, cgc);
        vt = to_vtime(used, cgrp_share(cgrp, cgc));
        if (cgc->mem_penalty) {
                vt *= MEM_PENALTY_MULT;
                cgc->cnt.mem_penalty_ns += used;
        }
        __sync_fetch_and_add(&cgc->vtime, vt);

        if (cgc->boosting)
                boost_pay(cgrp, cgc, used);
        if (cgc->bw_path)
                bw_charge(cgrp, used);
out:
        bpf_cgroup_release(cgrp);
}

/*
 * Gives @p, which is about to be queued or sent to a CPU, its key and its
 * slice, and says in @throttler which cgroup's DSQ it has to wait in
 * instead (0 for none).
 */
static u64 task_set_key(struct task_struct *p, u64 *throttler, u64 *slice)
{
        struct task_ctx *tctx = task_ctx(p);
        struct cgroup *cgrp = scx_bpf_task_cgroup(p);
        struct cgrp_ctx *cgc = cgrp_ctx(cgrp);
        u64 key = cgc ? cgrp_key(cgrp, cgc) : vtime_now;

        *throttler = cgc ? cgrp_throttler(cgrp, cgc) : 0;
        *slice = cgc ? cgrp_slice(cgc) : slice_ns;
        if (tctx) {
                tctx->cgid = cgrp->kn->id;
                tctx->key = key;
                tctx->slice = *slice;
                tctx->boosted = cgc ? cgc->boosting : 0;
        }
        bpf_cgroup_release(cgrp);
        return key;
}

static bool queue_head_before(u64 key)
{
        struct task_struct *head = scx_bpf_dsq_peek(SHARED_DSQ);

        return head && vtime_before(head->scx.dsq_vtime, key);
}

/*
 * @p's slice ended and it is still runnable.  Charge it and give it a new
 * slice unless a queued task has a smaller key; @force renews it anyway,
 * for when nothing else can run here.  Returns whether @p keeps the CPU.
 * The cgroup comes from the task context: the kernel accepts
 * scx_bpf_task_cgroup() only on the task a callback is about, and
 * dispatch is about a CPU.
 */
static bool task_renew(struct task_struct *p, bool force)
{
        struct task_ctx *tctx = task_ctx(p);
        u64 key;

        if (!tctx)
                return false;
        task_charge(p, tctx);
        if (cgid_throttler(tctx->cgid))
                return false;

        key = cgid_key(tctx->cgid);
        if (!force && queue_head_before(key))
                return false;

        tctx->key = key;
        vtime_advance(key);
        scx_bpf_task_set_slice(p, tctx->slice ? tctx->slice : slice_ns);
        stat_inc(AGENTCG_STAT_RENEW);
        return true;
}

/* A throttled task is left to ops.enqueue(), which sets it aside. */
s32 SCX_OP(agentcg_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
        bool idle = false;
        s32 cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &idle);
        u64 throttler, slice;

        if (idle) {
                task_set_key(p, &throttler, &slice);
                if (throttler)
                        return cpu;
                stat_inc(AGENTCG_STAT_DIRECT);
                scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice, 0);
        }
        return cpu;
}

/*
 * With SCX_OPS_ENQ_LAST, a CPU's last runnable task comes here, flagged
 * SCX_ENQ_LAST, as the CPU is about to go idle; without the flag the
 * kernel would run it on, throttled or not.  A throttled one is set
 * aside.  Any other goes back to the CPU, which is kicked to pick it up:
 * the kernel expects the scheduler to start that follow-up itself, and
 * the task would otherwise wait on an idle CPU.
 */
void SCX_OP(agentcg_enqueue, struct task_struct *p, u64 enq_flags)
{
        u64 throttler, slice, key = task_set_key(p, &throttler, &slice);

        if (throttler) {
                stat_inc(AGENTCG_STAT_PARK);
                scx_bpf_dsq_insert(p, throttler, slice, enq_flags);
                return;
        }
        if (enq_flags & SCX_ENQ_LAST) {
                scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice, enq_flags);
                scx_bpf_kick_cpu(scx_bpf_task_cpu(p), 0);
                return;
        }
        if (wake_preempt(p, key, slice, enq_flags))
                return;
        stat_inc(AGENTCG_STAT_ENQUEUE);
        scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, slice, key, enq_flags);
}

/*
 * Moves the first task of the shared DSQ that may run to this CPU, @cpu.
 * Tasks queued before their cgroup ran out of budget are set aside on the
 * way.  Tasks that may not run here are left for their own CPUs, as
 * scx_bpf_dsq_move_to_local() does (moving one here is an error).
 */
static bool shared_to_local(s32 cpu)
{
        struct task_struct *p;
        u64 throttler;

        if (!nr_limited)
                return scx_bpf_dsq_move_to_local(SHARED_DSQ);

        bpf_for_each(scx_dsq, p, SHARED_DSQ, 0) {
                throttler = cgid_throttler(queued_task_cgid(p));
                if (!throttler && !bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
                        continue;
                if (!throttler) {
                        if (scx_bpf_dsq_move(DSQ_ITER, p, SCX_DSQ_LOCAL, 0))
                                return true;
                        continue;
                }
                if (scx_bpf_dsq_move(DSQ_ITER, p, throttler, 0))
                        stat_inc(AGENTCG_STAT_PARK);
        }
        return false;
}

void SCX_OP(agentcg_dispatch, s32 cpu, struct task_struct *prev)
{
        bool prev_runnable = prev && (prev->scx.flags & SCX_TASK_QUEUED);

        if (prev_runnable && task_renew(prev, false))
                return;

        if (shared_to_local(cpu)) {
                stat_inc(AGENTCG_STAT_DISPATCH);
                return;
        }

        if (prev_runnable)
                task_renew(prev, true);
}

/*
 * The first runnable task of a cgroup makes it active, which may make its
 * ancestors active and changes its siblings' shares.  It also loses
 * whatever credit it had beyond one slice of its own CPU time, or beyond
 * one slice and its boost if its class has one and its credit allows.
 */
static void cgrp_wake(struct cgroup *cgrp, struct cgrp_ctx *cgc)
{
        u64 share, boost;

        cgrp_propagate(cgrp, cgrp->level, 1, OWN_WEIGHT);
        cgrp_load_class(cgc);
        share = cgrp_share(cgrp, cgc);

        boost = boost_take(cgc);
        if (boost) {
                cgrp_set_lead(cgc, to_vtime(slice_ns + boost, share));
                return;
        }
        if (cgrp_pull_up(cgc, to_vtime(slice_ns, share)))
                stat_inc(AGENTCG_STAT_WAKE_CLAMP);
}

/* Counts @p in its cgroup. */
void SCX_OP(agentcg_runnable, struct task_struct *p, u64 enq_flags)
{
        struct task_ctx *tctx = task_ctx(p);
        struct cgroup *cgrp;
        struct cgrp_ctx *cgc;

        if (!tctx)
                return;

        cgrp = scx_bpf_task_cgroup(p);
        cgc = cgrp_ctx(cgrp);
        if (cgc) {
                tctx->runnable_cgid = cgrp->kn->id;
                if (__sync_fetch_and_add(&cgc->nr_runnable, 1) == 0) {
                        cgrp_wake(cgrp, cgc);
                        tctx->woke_cgroup = 1;
                }
        }
        bpf_cgroup_release(cgrp);
}

/* The last runnable task of a cgroup leaving makes it inactive. */
static void cgid_unrun(u64 cgid)
{
        struct cgroup *cgrp = bpf_cgroup_from_id(cgid);
        struct cgrp_ctx *cgc;

        if (!cgrp)
                return;
        cgc = cgrp_ctx(cgrp);
        if (cgc && __sync_fetch_and_sub(&cgc->nr_runnable, 1) == 1) {
                cgc->boosting = 0;
                cgrp_propagate(cgrp, cgrp->level, -1, -OWN_WEIGHT);
        }
        bpf_cgroup_release(cgrp);
}

/* A cgroup move dequeues and requeues the task around it, so the count
 * always leaves the cgroup it was added to. */
void SCX_OP(agentcg_quiescent, struct task_struct *p, u64 deq_flags)
{
        struct task_ctx *tctx = task_ctx(p);

        if (!tctx || !tctx->runnable_cgid)
                return;
        cgid_unrun(tctx->runnable_cgid);
        tctx->runnable_cgid = 0;
}

void SCX_OP(agentcg_running, struct task_struct *p)
{
        struct task_ctx *tctx = task_ctx(p);
        u32 cpu = bpf_get_smp_processor_id();
        struct cpu_state *cs;

        if (!tctx)
                return;
        tctx->exec_start = p->se.sum_exec_runtime;
        tctx->woke_cgroup = 0;
        vtime_advance(tctx->key);

        cs = bpf_map_lookup_elem(&cpu_states, &cpu);
        if (cs) {
                cs->key = tctx->key;
                cs->boosted = tctx->boosted;
        }
}

void SCX_OP(agentcg_stopping, struct task_struct *p, bool runnable)
{
        struct task_ctx *tctx = task_ctx(p);

        if (tctx)
                task_charge(p, tctx);
}

/*
 * Under a quota, charge every tick, so that a budget runs out within a
 * tick of being used up, and end the slice of a task that is now
 * throttled; dispatch() then refuses to renew it.
 */
void SCX_OP(agentcg_tick, struct task_struct *p)
{
        struct task_ctx *tctx;

        if (!nr_limited)
                return;
        tctx = task_ctx(p);
        if (!tctx)
                return;
        task_charge(p, tctx);
        if (cgid_throttler(tctx->cgid))
                scx_bpf_task_set_slice(p, 0);
}

s32 SCX_OP(agentcg_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
        struct task_ctx *tctx;

        tctx = bpf_task_storage_get(&task_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
        if (!tctx)
                return -ENOMEM;

        tctx->cgid = args->cgroup->kn->id;
        tctx->runnable_cgid = 0;
        tctx->key = vtime_now;
        tctx->exec_start = p->se.sum_exec_runtime;
        tctx->slice = slice_ns;
        tctx->boosted = 0;
        return 0;
}

void SCX_OP(agentcg_cgroup_move, struct task_struct *p, struct cgroup *from,
            struct cgroup *to)
{
        struct task_ctx *tctx = task_ctx(p);

        if (tctx)
                tctx->cgid = to->kn->id;
}

/*
 * A new cgroup starts at vtime_now: no credit, no debt.  It gets a DSQ,
 * with its cgroup id as the DSQ id, where tasks wait while it is out of
 * cpu.max budget.  Deeper cgroups than the walks handle are refused
 * rather than mis-shared.
 */
s32 SCX_OP_SLEEPABLE(agentcg_cgroup_init, struct cgroup *cgrp,
                     struct scx_cgroup_init_args *args)
{
        u64 cgid = cgrp->kn->id;
        struct cgrp_ctx *cgc;
        s32 ret;

        if (cgrp->level > MAX_DEPTH)
                return -E2BIG;

        cgc = bpf_cgrp_storage_get(&cgrp_ctxs, cgrp, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
        if (!cgc)
                return -ENOMEM;

        ret = scx_bpf_create_dsq(cgid, -1);
        if (ret) {
                scx_error("agentcg: cannot create the DSQ of cgroup %llu: %d", cgid, ret);
                return ret;
        }

        cgc->id = cgid;
        cgc->vtime = vtime_now;
        cgc->slice = slice_ns;
        cgc->weight = weight_sane(args->weight);
        cgrp_set_bw(cgrp, cgc, args->bw_period_us, args->bw_quota_us, args->bw_burst_us);
        return 0;
}

void SCX_OP(agentcg_cgroup_exit, struct cgroup *cgrp)
{
        struct cgrp_ctx *cgc = cgrp_ctx(cgrp);
        u64 cgid = cgrp->kn->id;

        if (cgc && cgc->quota_ns)
                __sync_fetch_and_sub(&nr_limited, 1);
        bpf_map_delete_elem(&bw_timers, &cgid);
        bpf_map_delete_elem(&cgrp_stats, &cgid);
        bpf_map_delete_elem(&cgrp_class, &cgid);
        scx_bpf_destroy_dsq(cgid);
        bpf_cgrp_storage_delete(&cgrp_ctxs, cgrp);
}

/*
 * An active cgroup's new weight changes its parent's sum by the
 * difference; an inactive one's is used when it next becomes active.
 */
void SCX_OP(agentcg_cgroup_set_weight, struct cgroup *cgrp, u32 weight)
{
        struct cgrp_ctx *cgc = cgrp_ctx(cgrp);
        s32 delta = 0;

        if (!cgc)
                return;

        weight = weight_sane(weight);
        bpf_spin_lock(&cgc->lock);
        cgc->weight = weight;
        if (cgc->nr_active > 0) {
                delta = (s32)weight - cgc->contrib;
                cgc->contrib = weight;
        }
        bpf_spin_unlock(&cgc->lock);

        if (cgrp->level > 0)
                cgrp_propagate(cgrp, cgrp->level - 1, 0, delta);
        else
                __sync_fetch_and_add(&hweight_gen, 1);
}

void SCX_OP(agentcg_cgroup_set_bandwidth, struct cgroup *cgrp, u64 period_us, u64 quota_us,
            u64 burst_us)
{
        struct cgrp_ctx *cgc = cgrp_ctx(cgrp);

        if (cgc)
                cgrp_set_bw(cgrp, cgc, period_us, quota_us, burst_us);
}

s32 SCX_OP_SLEEPABLE(agentcg_init)
{
        s32 ret = scx_bpf_create_dsq(SHARED_DSQ, -1);

        if (ret)
                scx_error("agentcg: cannot create the shared DSQ: %d", ret);
        return ret;
}

/*
 * kind goes last: userspace takes a non-zero kind as a complete record.
 * The same record then wakes the daemon through exit_ring; if the ring
 * cannot take it, the daemon still finds it in exit_info when it next
 * looks, so the failure is only counted.
 */
void SCX_OP(agentcg_exit, struct scx_exit_info *ei)
{
        bpf_probe_read_kernel_str(exit_info.reason, sizeof(exit_info.reason), ei->reason);
        bpf_probe_read_kernel_str(exit_info.msg, sizeof(exit_info.msg), ei->msg);
        exit_info.exit_code = ei->exit_code;
        exit_info.kind = ei->kind;

        if (bpf_ringbuf_output(&exit_ring, &exit_info, sizeof(exit_info), 0))
                stat_inc(AGENTCG_STAT_EXIT_LOST);
}

SEC(".struct_ops.link")
struct sched_ext_ops agentcg_ops = {
        .select_cpu = (void *)agentcg_select_cpu,
        .enqueue = (void *)agentcg_enqueue,
        .dispatch = (void *)agentcg_dispatch,
        .runnable = (void *)agentcg_runnable,
        .running = (void *)agentcg_running,
        .stopping = (void *)agentcg_stopping,
        .tick = (void *)agentcg_tick,
        .quiescent = (void *)agentcg_quiescent,
        .init_task = (void *)agentcg_init_task,
        .cgroup_init = (void *)agentcg_cgroup_init,
        .cgroup_exit = (void *)agentcg_cgroup_exit,
        .cgroup_move = (void *)agentcg_cgroup_move,
        .cgroup_set_weight = (void *)agentcg_cgroup_set_weight,
        .cgroup_set_bandwidth = (void *)agentcg_cgroup_set_bandwidth,
        .init = (void *)agentcg_init,
        .exit = (void *)agentcg_exit,
        .flags = SCX_OPS_ENQ_LAST,
        .name = AGENTCG_OPS_NAME,
};
