/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pure arithmetic of agentcg's memory policy: how long a task of a
 * cgroup over memory.high is held back (the memcg_bpf_ops delay hook) and
 * whether a latency-critical step still enjoys its short protection window
 * (the below_low / below_min hooks).  Everything here is a function of its
 * arguments, with no kernel or libc calls, so the same code compiles into
 * the BPF object (bpf/mem/agentcg-memops.bpf.c) and into a host unit test
 * (tests/unit/test-mem-policy.c) that covers the whole input range, even
 * on kernels where the hooks cannot load.
 *
 * Overflow: sizes may be anything up to 2^64-1 (memory.high "max" reads
 * as PAGE_COUNTER_MAX pages, and a byte count from a 64-bit counter can be
 * as large), so no product here can exceed 64 bits for any input.
 */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <stdbool.h>
#endif

/* The overage ratio (in permille of memory.high) past which the delay no
 * longer grows: four times over high is as bad as it gets. */
#define AGENTCG_MEM_RATIO_CAP 4000U

/* The largest delay any parameters can ask for; the hook's caller in the
 * kernel sleeps for this long at most per return to user space. */
#define AGENTCG_MEM_DELAY_CAP_MS 2000U

struct agentcg_delay_params {
        __u32 burst_permille; /* overage up to this share of high is free */
        __u32 full_ms;        /* delay at 100% overage past the allowance */
        __u32 scale_permille; /* the class's factor on that delay */
        __u32 cap_ms;         /* no delay above this */
};

/* Shrinks both sizes alike until high fits in 50 bits, so excess times
 * 1000 cannot overflow below.  Two fixed steps, not a loop, for the BPF
 * verifier; 2^64 >> 20 is 2^44, inside the bound. */
static inline void agentcg_mem_narrow(__u64 *excess, __u64 *high)
{
        if (*high > (1ULL << 50)) {
                *high >>= 10;
                *excess >>= 10;
        }
        if (*high > (1ULL << 50)) {
                *high >>= 10;
                *excess >>= 10;
        }
}

/*
 * By how much, in permille of @high, @usage exceeds @high plus the free
 * allowance of @burst_permille (at most 1000); 0 while within it, AGENTCG_MEM_RATIO_CAP
 * at most.  @high 0 (everything is over) counts as the cap; @high of 2^64-1
 * ("max") never has an overage.
 */
static inline __u32 agentcg_mem_overage_permille(__u64 usage, __u64 high, __u32 burst_permille)
{
        __u64 allowance, excess, ratio;

        if (high == ~0ULL)
                return 0;
        if (high == 0)
                return usage ? AGENTCG_MEM_RATIO_CAP : 0;
        if (usage <= high)
                return 0;

        /* An allowance beyond high itself makes no sense, and the bound
         * keeps high / 1000 * burst at or below high: no overflow. */
        if (burst_permille > 1000)
                burst_permille = 1000;
        allowance = high / 1000 * burst_permille + high % 1000 * burst_permille / 1000;

        excess = usage - high;
        if (excess <= allowance)
                return 0;
        excess -= allowance;

        if (excess / high >= AGENTCG_MEM_RATIO_CAP / 1000)
                return AGENTCG_MEM_RATIO_CAP;

        /* excess < 4 * high now; once high < 2^50, excess * 1000 < 2^62. */
        agentcg_mem_narrow(&excess, &high);
        ratio = excess * 1000 / high;
        return ratio > AGENTCG_MEM_RATIO_CAP ? AGENTCG_MEM_RATIO_CAP : (__u32)ratio;
}

/*
 * The delay a cgroup at @usage with memory.high @high should get now,
 * before smoothing: zero within the burst allowance, then growing with the
 * square of the overage (a little over costs little, far over costs a
 * lot, like the kernel's own penalty), scaled by class and capped.
 */
static inline __u32 agentcg_mem_delay_target(__u64 usage, __u64 high,
                                             const struct agentcg_delay_params *p)
{
        __u64 r, delay, cap, full;

        r = agentcg_mem_overage_permille(usage, high, p->burst_permille);
        if (r == 0)
                return 0;

        full = p->full_ms > AGENTCG_MEM_DELAY_CAP_MS ? AGENTCG_MEM_DELAY_CAP_MS : p->full_ms;
        /* <= 2000 * 4000 * 4000 = 3.2e10, then * 4000 / 1000 again. */
        delay = full * r * r / 1000000;
        delay = delay * (p->scale_permille > AGENTCG_MEM_RATIO_CAP ? AGENTCG_MEM_RATIO_CAP :
                                                                      p->scale_permille) / 1000;

        cap = p->cap_ms > AGENTCG_MEM_DELAY_CAP_MS ? AGENTCG_MEM_DELAY_CAP_MS : p->cap_ms;
        return delay > cap ? (__u32)cap : (__u32)delay;
}

/*
 * One smoothing step from the delay given last time, @prev, toward
 * @target: a quarter of the way, rounded so it always moves and reaches
 * the target, never past it.  A cgroup hovering at the threshold thus sees
 * its delay change gradually instead of flipping between 0 and the full
 * value on alternate charges.
 */
static inline __u32 agentcg_mem_delay_smooth(__u32 prev, __u32 target)
{
        /* In 64 bits: the distance plus 3 must not wrap near 2^32. */
        __u64 p = prev, t = target;

        if (t > p)
                return (__u32)(p + (t - p + 3) / 4);
        return (__u32)(p - (p - t + 3) / 4);
}

/*
 * Whether a step that started at @start_ns is still inside its protection
 * window of @window_ns at @now_ns (its memory.low/min then count as met,
 * so reclaim passes it by), unless the host as a whole is under pressure:
 * @host_pressure_permille at or above @guard_permille switches every
 * window off.  Clock readings from the future are not trusted: no
 * protection for them.
 */
static inline bool agentcg_mem_protected(__u64 now_ns, __u64 start_ns, __u64 window_ns,
                                         __u32 host_pressure_permille, __u32 guard_permille)
{
        if (window_ns == 0 || now_ns < start_ns)
                return false;
        if (host_pressure_permille >= guard_permille)
                return false;
        return now_ns - start_ns < window_ns;
}
