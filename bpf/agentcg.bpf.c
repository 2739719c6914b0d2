/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * agentcg's CPU data plane: a sched_ext scheduler that shares the CPUs
 * between cgroups in proportion to their cpu.weight, however many tasks
 * each of them runs.  "Cgroup" here means the cgroup whose cpu controller
 * governs a task (scx_bpf_task_cgroup()): the task's own cgroup, or the
 * nearest ancestor that has the cpu controller enabled.
 *
 * The algorithm is start-time fair queueing with one clock per cgroup, an
 * idea scx_flatcg also builds on (it orders cgroups, then their tasks; we
 * tag tasks with their cgroup's clock and keep a single queue):
 *
 *  - Every cgroup has a virtual time.  When one of its tasks stops
 *    running after t ns of CPU, the cgroup's virtual time advances by
 *    t * 100 / weight: a weight-300 cgroup's clock runs at a third of the
 *    speed of a weight-100 one's.  CPU time is read from the task's
 *    se.sum_exec_runtime, the same clock cpu.stat reports.
 *
 *  - A task that becomes runnable is queued on one shared dispatch queue
 *    (DSQ), keyed by its cgroup's virtual time at that moment, and a CPU
 *    that needs work takes the smallest key.  The cgroup that is behind
 *    runs until it catches up, so all busy cgroups' clocks advance
 *    together, which is CPU time in proportion to weight.  Tasks of one
 *    cgroup share its clock, so ten tasks get what one task would.
 *
 *  - vtime_now is the largest key any task started running with (the
 *    "system virtual time" of fair queueing).  Credit must not be banked:
 *    when a cgroup that had no runnable task gets one, its clock is pulled
 *    up to at most one slice of its own CPU time behind vtime_now.  An idle
 *    cgroup thus wakes with at most one slice of credit, and a crowd of
 *    cgroups waking at once each get at most one slice ahead of the busy
 *    ones.  Busy cgroups are left alone up to a much looser bound
 *    (busy_lag_ns): with several CPUs, vtime_now runs somewhat ahead of
 *    any one busy cgroup, and holding them to one slice would take time
 *    they are owed.  The loose bound still stops a cgroup that runs fewer
 *    tasks than there are CPUs, and so cannot use its whole share, from
 *    banking the rest and later taking every CPU for as long.
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
 * What it does not do yet: weights are flat (every cgroup competes with
 * every other, not only with its siblings, so the weight of a parent does
 * not bound its children); within a cgroup, tasks take turns and their
 * nice values are ignored; there is no cpu.max; and the single shared DSQ
 * is one lock for all CPUs, which suits small machines only.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "agentcg.h"

char _license[] SEC("license") = "GPL";

#define ENOMEM 12

/* The dispatch queue all waiting tasks share, ordered by key. */
#define SHARED_DSQ 0

#define WEIGHT_DEFAULT 100

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

/* Tunables the loader may set before load (__u64 keeps the skeleton's
 * types within <linux/types.h>).  busy_lag_ns is in virtual time, where
 * a weight-100 cgroup's clock runs at the speed of real time. */
const volatile __u64 slice_ns = 5ULL * 1000 * 1000;
const volatile __u64 busy_lag_ns = 100ULL * 1000 * 1000;
const volatile bool partial; /* the loader mirrors it in ops.flags */

__u64 vtime_now;
struct agentcg_exit_info exit_info;

struct cgrp_ctx {
        u64 vtime;
        u32 weight;
        u32 nr_runnable; /* its tasks between ops.runnable and ops.quiescent */
};

struct task_ctx {
        u64 cgid;          /* cgroup charged for the task's CPU time */
        u64 runnable_cgid; /* cgroup whose nr_runnable counts it, or 0 */
        u64 key;           /* virtual time of its latest queueing or renewal */
        u64 exec_start;    /* se.sum_exec_runtime when it was last charged */
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

/* NULL also when the cgroup is gone: its last charge is then dropped. */
static struct cgrp_ctx *cgrp_ctx_by_id(u64 cgid)
{
        struct cgroup *cgrp = bpf_cgroup_from_id(cgid);
        struct cgrp_ctx *cgc;

        if (!cgrp)
                return NULL;
        cgc = cgrp_ctx(cgrp);
        bpf_cgroup_release(cgrp);
        return cgc;
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

/* The key a task of busy cgroup @cgc runs or queues with. */
static u64 cgrp_key(struct cgrp_ctx *cgc)
{
        if (cgrp_pull_up(cgc, busy_lag_ns))
                stat_inc(AGENTCG_STAT_BUSY_CLAMP);
        return cgc->vtime;
}

/* Charges @p's CPU time since its last charge to its cgroup's clock. */
static void task_charge(struct task_struct *p, struct task_ctx *tctx)
{
        u64 now = p->se.sum_exec_runtime;
        u64 used = now - tctx->exec_start;
        struct cgrp_ctx *cgc;

        tctx->exec_start = now;
        cgc = cgrp_ctx_by_id(tctx->cgid);
        if (cgc)
                __sync_fetch_and_add(&cgc->vtime, used * 100 / cgc->weight);
}

/* Gives @p, which is about to be queued or sent to a CPU, its key. */
static u64 task_set_key(struct task_struct *p)
{
        struct task_ctx *tctx = task_ctx(p);
        struct cgroup *cgrp = scx_bpf_task_cgroup(p);
        struct cgrp_ctx *cgc = cgrp_ctx(cgrp);
        u64 key = cgc ? cgrp_key(cgc) : vtime_now;

        if (tctx) {
                tctx->cgid = cgrp->kn->id;
                tctx->key = key;
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
        struct cgrp_ctx *cgc;
        u64 key;

        if (!tctx)
                return false;
        task_charge(p, tctx);

        cgc = cgrp_ctx_by_id(tctx->cgid);
        key = cgc ? cgrp_key(cgc) : vtime_now;
        if (!force && queue_head_before(key))
                return false;

        tctx->key = key;
        vtime_advance(key);
        scx_bpf_task_set_slice(p, slice_ns);
        stat_inc(AGENTCG_STAT_RENEW);
        return true;
}

s32 SCX_OP(agentcg_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
        bool idle = false;
        s32 cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &idle);

        if (idle) {
                task_set_key(p);
                stat_inc(AGENTCG_STAT_DIRECT);
                scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
        }
        return cpu;
}

void SCX_OP(agentcg_enqueue, struct task_struct *p, u64 enq_flags)
{
        u64 key = task_set_key(p);

        stat_inc(AGENTCG_STAT_ENQUEUE);
        scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, slice_ns, key, enq_flags);
}

void SCX_OP(agentcg_dispatch, s32 cpu, struct task_struct *prev)
{
        bool prev_runnable = prev && (prev->scx.flags & SCX_TASK_QUEUED);

        if (prev_runnable && task_renew(prev, false))
                return;

        if (scx_bpf_dsq_move_to_local(SHARED_DSQ)) {
                stat_inc(AGENTCG_STAT_DISPATCH);
                return;
        }

        if (prev_runnable)
                task_renew(prev, true);
}

/*
 * Counts @p in its cgroup; the first runnable task wakes the cgroup, which
 * loses whatever credit it had beyond one slice of its own CPU time.
 */
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
                if (__sync_fetch_and_add(&cgc->nr_runnable, 1) == 0 &&
                    cgrp_pull_up(cgc, slice_ns * 100 / cgc->weight))
                        stat_inc(AGENTCG_STAT_WAKE_CLAMP);
        }
        bpf_cgroup_release(cgrp);
}

/* A cgroup move dequeues and requeues the task around it, so the count
 * always leaves the cgroup it was added to. */
void SCX_OP(agentcg_quiescent, struct task_struct *p, u64 deq_flags)
{
        struct task_ctx *tctx = task_ctx(p);
        struct cgrp_ctx *cgc;

        if (!tctx || !tctx->runnable_cgid)
                return;

        cgc = cgrp_ctx_by_id(tctx->runnable_cgid);
        if (cgc)
                __sync_fetch_and_sub(&cgc->nr_runnable, 1);
        tctx->runnable_cgid = 0;
}

void SCX_OP(agentcg_running, struct task_struct *p)
{
        struct task_ctx *tctx = task_ctx(p);

        if (!tctx)
                return;
        tctx->exec_start = p->se.sum_exec_runtime;
        vtime_advance(tctx->key);
}

void SCX_OP(agentcg_stopping, struct task_struct *p, bool runnable)
{
        struct task_ctx *tctx = task_ctx(p);

        if (tctx)
                task_charge(p, tctx);
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
        return 0;
}

void SCX_OP(agentcg_cgroup_move, struct task_struct *p, struct cgroup *from,
            struct cgroup *to)
{
        struct task_ctx *tctx = task_ctx(p);

        if (tctx)
                tctx->cgid = to->kn->id;
}

/* A new cgroup starts at vtime_now: no credit, no debt. */
s32 SCX_OP_SLEEPABLE(agentcg_cgroup_init, struct cgroup *cgrp,
                     struct scx_cgroup_init_args *args)
{
        struct cgrp_ctx *cgc;

        cgc = bpf_cgrp_storage_get(&cgrp_ctxs, cgrp, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
        if (!cgc)
                return -ENOMEM;

        cgc->vtime = vtime_now;
        cgc->weight = weight_sane(args->weight);
        return 0;
}

void SCX_OP(agentcg_cgroup_exit, struct cgroup *cgrp)
{
        bpf_cgrp_storage_delete(&cgrp_ctxs, cgrp);
}

void SCX_OP(agentcg_cgroup_set_weight, struct cgroup *cgrp, u32 weight)
{
        struct cgrp_ctx *cgc = cgrp_ctx(cgrp);

        if (cgc)
                cgc->weight = weight_sane(weight);
}

s32 SCX_OP_SLEEPABLE(agentcg_init)
{
        s32 ret = scx_bpf_create_dsq(SHARED_DSQ, -1);

        if (ret)
                scx_error("agentcg: cannot create the shared DSQ: %d", ret);
        return ret;
}

/* kind goes last: userspace takes a non-zero kind as a complete record. */
void SCX_OP(agentcg_exit, struct scx_exit_info *ei)
{
        bpf_probe_read_kernel_str(exit_info.reason, sizeof(exit_info.reason), ei->reason);
        bpf_probe_read_kernel_str(exit_info.msg, sizeof(exit_info.msg), ei->msg);
        exit_info.exit_code = ei->exit_code;
        exit_info.kind = ei->kind;
}

SEC(".struct_ops.link")
struct sched_ext_ops agentcg_ops = {
        .select_cpu = (void *)agentcg_select_cpu,
        .enqueue = (void *)agentcg_enqueue,
        .dispatch = (void *)agentcg_dispatch,
        .runnable = (void *)agentcg_runnable,
        .running = (void *)agentcg_running,
        .stopping = (void *)agentcg_stopping,
        .quiescent = (void *)agentcg_quiescent,
        .init_task = (void *)agentcg_init_task,
        .cgroup_init = (void *)agentcg_cgroup_init,
        .cgroup_exit = (void *)agentcg_cgroup_exit,
        .cgroup_move = (void *)agentcg_cgroup_move,
        .cgroup_set_weight = (void *)agentcg_cgroup_set_weight,
        .init = (void *)agentcg_init,
        .exit = (void *)agentcg_exit,
        .name = AGENTCG_OPS_NAME,
};
