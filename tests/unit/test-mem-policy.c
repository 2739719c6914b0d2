/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host tests for bpf/agentcg-mem-policy.h, the delay and protection
 * arithmetic the memcg_bpf_ops program runs in the kernel: exact values at
 * the thresholds, monotonicity and bounds over a sweep of the whole 64-bit
 * input range, overflow edges, and that smoothing converges without ever
 * overshooting.
 */
#include <stdint.h>

#include "agentcg-mem-policy.h"
#include "test.h"

#define MIB (UINT64_C(1) << 20)

static const struct agentcg_delay_params batch = {
        .burst_permille = 50, .full_ms = 100, .scale_permille = 1000, .cap_ms = 200,
};

static void test_thresholds(void)
{
        uint64_t high = 100 * MIB;

        /* At or under high, and within the 5% allowance: nothing. */
        CHECK(agentcg_mem_delay_target(0, high, &batch) == 0);
        CHECK(agentcg_mem_delay_target(high, high, &batch) == 0);
        CHECK(agentcg_mem_delay_target(high + 5 * MIB, high, &batch) == 0);
        CHECK(agentcg_mem_overage_permille(high + 5 * MIB, high, 50) == 0);
        CHECK(agentcg_mem_overage_permille(high + 5 * MIB + 1, high, 50) == 0);

        /* 10% over the allowance: 100 ms * 0.1^2 = 1 ms. */
        CHECK(agentcg_mem_overage_permille(high + 15 * MIB, high, 50) == 100);
        CHECK(agentcg_mem_delay_target(high + 15 * MIB, high, &batch) == 1);

        /* 100% over: full_ms; 200% would be 400 ms, capped at 200. */
        CHECK(agentcg_mem_delay_target(2 * high + 5 * MIB, high, &batch) == 100);
        CHECK(agentcg_mem_delay_target(3 * high + 5 * MIB, high, &batch) == 200);
}

static void test_special_limits(void)
{
        /* memory.high "max": never a delay, whatever the usage. */
        CHECK(agentcg_mem_overage_permille(UINT64_MAX, UINT64_MAX, 0) == 0);
        CHECK(agentcg_mem_delay_target(UINT64_MAX, UINT64_MAX, &batch) == 0);

        /* memory.high 0: any usage is as far over as it gets. */
        CHECK(agentcg_mem_overage_permille(0, 0, 50) == 0);
        CHECK(agentcg_mem_overage_permille(1, 0, 50) == AGENTCG_MEM_RATIO_CAP);
        CHECK(agentcg_mem_delay_target(1, 0, &batch) == 200);

        /* Tiny high, huge usage: the ratio caps instead of wrapping. */
        CHECK(agentcg_mem_overage_permille(UINT64_MAX, 1, 0) == AGENTCG_MEM_RATIO_CAP);
        CHECK(agentcg_mem_overage_permille(UINT64_MAX - 1, 999, 1000) == AGENTCG_MEM_RATIO_CAP);

        /* Huge high: excess * 1000 would overflow without narrowing. */
        uint64_t h = UINT64_MAX / 4;
        uint32_t r = agentcg_mem_overage_permille(h + h / 10, h, 0);
        CHECK(r >= 99 && r <= 100);
        CHECK(agentcg_mem_overage_permille(UINT64_MAX - 1, h, 0) == 3000);
        CHECK(agentcg_mem_overage_permille(UINT64_MAX - 1, UINT64_MAX - 2, 0) == 0);

        /* A burst above 100% is held to 100%, and its product cannot wrap. */
        CHECK(agentcg_mem_overage_permille(UINT64_MAX - 1, UINT64_MAX / 2, 4000000) == 0);
        CHECK(agentcg_mem_overage_permille(3 * MIB, MIB, 4000000) == 1000);
}

static void test_params_bounds(void)
{
        struct agentcg_delay_params wild = {
                .burst_permille = 0, .full_ms = UINT32_MAX,
                .scale_permille = UINT32_MAX, .cap_ms = UINT32_MAX,
        };
        struct agentcg_delay_params zero = { 0 };

        /* Absurd parameters still give at most the global cap. */
        CHECK(agentcg_mem_delay_target(UINT64_MAX, 1, &wild) == AGENTCG_MEM_DELAY_CAP_MS);
        CHECK(agentcg_mem_delay_target(2 * MIB, MIB, &wild) <= AGENTCG_MEM_DELAY_CAP_MS);
        CHECK(agentcg_mem_delay_target(UINT64_MAX, 1, &zero) == 0);
}

/* Sizes spread over the whole 64-bit range, denser near the edges. */
static uint64_t sample(unsigned i)
{
        unsigned shift = i % 64, step = i / 64;

        if (step == 0)
                return UINT64_C(1) << shift;
        if (step == 1)
                return (UINT64_C(1) << shift) - 1;
        if (step == 2)
                return UINT64_MAX >> shift;
        return (UINT64_C(1) << shift) + (UINT64_C(1) << shift) / (step + 1);
}

static void test_sweep(void)
{
        static const uint32_t scales[] = { 250, 500, 1000, 2000 };
        unsigned bad_bound = 0, bad_mono = 0, bad_class = 0;

        for (unsigned hi = 0; hi < 64 * 6; hi++) {
                uint64_t high = sample(hi);
                uint32_t prev = 0;

                for (unsigned k = 0; k <= 400; k++) {
                        /* usage from high up to 5 * high, saturating. */
                        unsigned __int128 want = (unsigned __int128)high * (100 + k) / 100;
                        uint64_t usage = want > UINT64_MAX ? UINT64_MAX : (uint64_t)want;
                        uint32_t last = 0;

                        for (unsigned c = 0; c < 4; c++) {
                                struct agentcg_delay_params p = batch;
                                uint32_t d;

                                p.scale_permille = scales[c];
                                d = agentcg_mem_delay_target(usage, high, &p);
                                bad_bound += d > p.cap_ms;
                                bad_class += d < last;
                                last = d;
                                if (c == 2) {
                                        bad_mono += d < prev;
                                        prev = d;
                                }
                        }
                }
        }
        CHECK(bad_bound == 0);
        CHECK(bad_mono == 0);
        CHECK(bad_class == 0);
}

static void test_smooth(void)
{
        static const uint32_t targets[] = { 0, 1, 2, 3, 7, 100, 200, 2000, UINT32_MAX };

        for (unsigned a = 0; a < sizeof(targets) / sizeof(targets[0]); a++)
                for (unsigned b = 0; b < sizeof(targets) / sizeof(targets[0]); b++) {
                        uint32_t d = targets[a], target = targets[b];
                        unsigned steps = 0, overshoot = 0;

                        while (d != target && steps < 200) {
                                uint32_t next = agentcg_mem_delay_smooth(d, target);

                                overshoot += target > d ? next > target : next < target;
                                d = next;
                                steps++;
                        }
                        CHECK(d == target);
                        CHECK(overshoot == 0);
                }

        /* A step moves a quarter of the way, and at least by one. */
        CHECK(agentcg_mem_delay_smooth(0, 100) == 25);
        CHECK(agentcg_mem_delay_smooth(100, 0) == 75);
        CHECK(agentcg_mem_delay_smooth(5, 6) == 6);
        CHECK(agentcg_mem_delay_smooth(6, 5) == 5);
        CHECK(agentcg_mem_delay_smooth(7, 7) == 7);
}

static void test_protection(void)
{
        const uint64_t s = 1000000000ULL;

        CHECK(agentcg_mem_protected(10 * s, 9 * s, 2 * s, 0, 300));
        CHECK(!agentcg_mem_protected(11 * s, 9 * s, 2 * s, 0, 300));
        CHECK(agentcg_mem_protected(11 * s - 1, 9 * s, 2 * s, 299, 300));
        /* The host-wide guardrail switches it off. */
        CHECK(!agentcg_mem_protected(10 * s, 9 * s, 2 * s, 300, 300));
        CHECK(!agentcg_mem_protected(10 * s, 9 * s, 2 * s, UINT32_MAX, 300));
        /* No window, or a start in the future: never protected. */
        CHECK(!agentcg_mem_protected(10 * s, 9 * s, 0, 0, 300));
        CHECK(!agentcg_mem_protected(8 * s, 9 * s, 2 * s, 0, 300));
        /* The subtraction cannot wrap at the edges of the clock. */
        CHECK(agentcg_mem_protected(UINT64_MAX, UINT64_MAX - 1, 2, 0, 1));
        CHECK(!agentcg_mem_protected(UINT64_MAX, 0, UINT64_MAX, 0, 1));
        CHECK(agentcg_mem_protected(UINT64_MAX - 1, 0, UINT64_MAX, 0, 1));
}

int main(void)
{
        test_thresholds();
        test_special_limits();
        test_params_bounds();
        test_sweep();
        test_smooth();
        test_protection();
        return test_summary();
}
