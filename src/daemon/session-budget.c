/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Session budgets: parsing the caller's a(sv) and turning it into
 * systemd's resource-control properties.  The names and ranges are those
 * of CreateStep, so one vocabulary serves both levels; systemd takes
 * cpu.max as a quota per second plus a period, and has no knob for
 * cpu.max.burst or memory.oom.group on a scope, so those two are refused
 * here rather than silently dropped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf.h"
#include "session-budget.h"
#include "util.h"

static const struct {
        const char *name;
        unsigned bit;
        size_t offset;
} budget_properties[] = {
        { "CPUWeight", BUDGET_CPU_WEIGHT, offsetof(SessionBudget, cpu_weight) },
        { "CPUMaxQuotaUSec", BUDGET_CPU_QUOTA, offsetof(SessionBudget, cpu_quota_usec) },
        { "CPUMaxPeriodUSec", BUDGET_CPU_PERIOD, offsetof(SessionBudget, cpu_period_usec) },
        { "MemoryHigh", BUDGET_MEMORY_HIGH, offsetof(SessionBudget, memory_high) },
        { "MemoryMax", BUDGET_MEMORY_MAX, offsetof(SessionBudget, memory_max) },
        { "MemorySwapMax", BUDGET_MEMORY_SWAP_MAX, offsetof(SessionBudget, memory_swap_max) },
        { "TasksMax", BUDGET_TASKS_MAX, offsetof(SessionBudget, tasks_max) },
};

static int invalid(char **reason, const char *fmt, ...) _printf_(2, 3);

static int invalid(char **reason, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(reason, fmt, ap);
        va_end(ap);
        return n < 0 ? -ENOMEM : -EINVAL;
}

static int read_property(sd_bus_message *m, SessionBudget *b, char **reason)
{
        const char *name, *contents = NULL;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ELEMENTSOF(budget_properties); i++) {
                if (!streq(name, budget_properties[i].name))
                        continue;

                r = sd_bus_message_peek_type(m, NULL, &contents);
                if (r < 0)
                        return r;
                if (!contents || !streq(contents, "t"))
                        return invalid(reason, "%s must be of D-Bus type 't', not '%s'.", name,
                                       contents ?: "?");

                r = sd_bus_message_read(m, "v", "t",
                                        (uint64_t *)((char *)b + budget_properties[i].offset));
                if (r < 0)
                        return r;
                b->mask |= budget_properties[i].bit;
                return 0;
        }

        return invalid(reason, "'%.40s' is not a session property (CPUWeight, CPUMaxQuotaUSec, "
                               "CPUMaxPeriodUSec, MemoryHigh, MemoryMax, MemorySwapMax, "
                               "TasksMax).",
                       name);
}

static int read_all(sd_bus_message *m, SessionBudget *b, char **reason)
{
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(sv)");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
                r = read_property(m, b, reason);
                if (r < 0)
                        return r;

                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        return sd_bus_message_exit_container(m);
}

static bool given(const SessionBudget *b, unsigned bit)
{
        return b->mask & bit;
}

static int check_cpu(const SessionBudget *b, char **reason)
{
        if (given(b, BUDGET_CPU_WEIGHT) &&
            (b->cpu_weight < CGROUP_WEIGHT_MIN || b->cpu_weight > CGROUP_WEIGHT_MAX))
                return invalid(reason, "CPUWeight %" PRIu64 " is outside 1..10000.",
                               b->cpu_weight);
        if (given(b, BUDGET_CPU_PERIOD) && (b->cpu_period_usec < CPU_PERIOD_MIN_USEC ||
                                            b->cpu_period_usec > CPU_PERIOD_MAX_USEC))
                return invalid(reason, "CPUMaxPeriodUSec %" PRIu64 " is outside 1000..1000000.",
                               b->cpu_period_usec);
        if (given(b, BUDGET_CPU_QUOTA) && b->cpu_quota_usec != CGROUP_LIMIT_MAX &&
            (b->cpu_quota_usec < CPU_QUOTA_MIN_USEC || b->cpu_quota_usec > CPU_QUOTA_MAX_USEC))
                return invalid(reason, "CPUMaxQuotaUSec %" PRIu64 " is outside 1000..2^44-1.",
                               b->cpu_quota_usec);
        return 0;
}

static int check_memory(const SessionBudget *b, char **reason)
{
        if (given(b, BUDGET_MEMORY_MAX) && b->memory_max < CONFIG_MEMORY_MIN)
                return invalid(reason, "MemoryMax %" PRIu64 " is below 1 MiB.", b->memory_max);
        if (given(b, BUDGET_MEMORY_HIGH) && b->memory_high < CONFIG_MEMORY_MIN)
                return invalid(reason, "MemoryHigh %" PRIu64 " is below 1 MiB.", b->memory_high);
        if (given(b, BUDGET_MEMORY_HIGH) && given(b, BUDGET_MEMORY_MAX) &&
            b->memory_high != CGROUP_LIMIT_MAX && b->memory_high > b->memory_max)
                return invalid(reason, "MemoryHigh %" PRIu64 " is above MemoryMax %" PRIu64 ".",
                               b->memory_high, b->memory_max);
        if (given(b, BUDGET_TASKS_MAX) && (b->tasks_max < 1 || (b->tasks_max > PIDS_MAX_LIMIT &&
                                                                b->tasks_max != CGROUP_LIMIT_MAX)))
                return invalid(reason, "TasksMax %" PRIu64 " is outside 1..4194304.",
                               b->tasks_max);
        return 0;
}

int session_budget_read(sd_bus_message *m, SessionBudget *ret, char **reason)
{
        SessionBudget b = { .cpu_period_usec = CPU_PERIOD_DEFAULT_USEC };
        int r;

        r = read_all(m, &b, reason);
        if (r < 0)
                return r;

        r = check_cpu(&b, reason);
        if (r < 0)
                return r;
        r = check_memory(&b, reason);
        if (r < 0)
                return r;

        *ret = b;
        return 0;
}

/* systemd's CPUQuotaPerSecUSec is the quota scaled to a 1 s period. */
static uint64_t quota_per_sec(const SessionBudget *b)
{
        if (b->cpu_quota_usec == CGROUP_LIMIT_MAX)
                return UINT64_MAX;
        return b->cpu_quota_usec * USEC_PER_SEC / b->cpu_period_usec;
}

static int append_one(sd_bus_message *m, const SessionBudget *b, unsigned bit, const char *name,
                      uint64_t value)
{
        if (!given(b, bit))
                return 0;
        return sd_bus_message_append(m, "(sv)", name, "t", value);
}

int session_budget_append(sd_bus_message *m, const SessionBudget *b)
{
        /* A period without a quota still sets the period; a quota always
         * goes with its period, default or given, or systemd would scale
         * it to its own. */
        bool cpu = given(b, BUDGET_CPU_QUOTA | BUDGET_CPU_PERIOD);
        SessionBudget c = *b;
        int r;

        if (cpu)
                c.mask |= BUDGET_CPU_PERIOD;

        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = append_one(m, &c, BUDGET_CPU_WEIGHT, "CPUWeight", c.cpu_weight);
        if (r >= 0)
                r = append_one(m, &c, BUDGET_CPU_QUOTA, "CPUQuotaPerSecUSec", quota_per_sec(&c));
        if (r >= 0)
                r = append_one(m, &c, BUDGET_CPU_PERIOD, "CPUQuotaPeriodUSec", c.cpu_period_usec);
        if (r >= 0)
                r = append_one(m, &c, BUDGET_MEMORY_HIGH, "MemoryHigh", c.memory_high);
        if (r >= 0)
                r = append_one(m, &c, BUDGET_MEMORY_MAX, "MemoryMax", c.memory_max);
        if (r >= 0)
                r = append_one(m, &c, BUDGET_MEMORY_SWAP_MAX, "MemorySwapMax", c.memory_swap_max);
        if (r >= 0)
                r = append_one(m, &c, BUDGET_TASKS_MAX, "TasksMax", c.tasks_max);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}
