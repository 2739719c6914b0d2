/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A session's budget: limits on the session's scope, which cap the sum of
 * its steps through the cgroup hierarchy (a step can never use more than
 * its session's memory.max or cpu.max, however its own knobs are set).
 * The scope's cgroup belongs to systemd, so the budget goes to systemd as
 * unit properties, never into the scope's files.
 */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

/* Which limits a caller gave; the others are left as they are. */
enum {
        BUDGET_CPU_WEIGHT = 1u << 0,
        BUDGET_CPU_QUOTA = 1u << 1,
        BUDGET_CPU_PERIOD = 1u << 2,
        BUDGET_MEMORY_HIGH = 1u << 3,
        BUDGET_MEMORY_MAX = 1u << 4,
        BUDGET_MEMORY_SWAP_MAX = 1u << 5,
        BUDGET_TASKS_MAX = 1u << 6,
};

typedef struct SessionBudget {
        unsigned mask;
        uint64_t cpu_weight;
        uint64_t cpu_quota_usec;
        uint64_t cpu_period_usec;
        uint64_t memory_high;
        uint64_t memory_max;
        uint64_t memory_swap_max;
        uint64_t tasks_max;
} SessionBudget;

/* Reads an a(sv) of CPUWeight, CPUMaxQuotaUSec, CPUMaxPeriodUSec,
 * MemoryHigh, MemoryMax, MemorySwapMax and TasksMax (the names and ranges
 * of CreateStep).  On a bad property returns -EINVAL with *reason set to
 * a malloc'ed explanation for InvalidLimit. */
int session_budget_read(sd_bus_message *m, SessionBudget *ret, char **reason);

/* Appends B as the a(sv) of systemd's SetUnitProperties. */
int session_budget_append(sd_bus_message *m, const SessionBudget *b);
