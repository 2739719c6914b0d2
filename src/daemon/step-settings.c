/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Step properties: parsing them from the bus, resolving them against the
 * step's class, checking them against the kernel's ranges, and writing
 * them to cgroupfs.  Property names follow systemd's resource-control
 * properties where one exists (CPUWeight, MemoryHigh, TasksMax, ...), so a
 * reader of systemd.resource-control(5) finds no surprise.  Values use the
 * bus types, not strings: limits are "t" bytes or microseconds with 2^64-1
 * meaning "max".
 *
 * The class may come anywhere in the array but decides the defaults for
 * everything else, so properties are first collected with a mask of what
 * was given, then laid over the class's limits.
 *
 * The kernel keeps every setting but the class, so the class is recorded
 * on the step's cgroup as an extended attribute, for the Step object.
 */

#define XATTR_CLASS "trusted.agentcg.class"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "cgroup-util.h"
#include "manager.h"
#include "step-settings.h"
#include "util.h"

typedef struct Given {
        StepSettings values;
        bool class;
        uint32_t mask; /* bit i: u64_properties[i] was given */
        bool oom_group;
} Given;

/* The "t" properties and where each goes in a ClassConfig. */
static const struct {
        const char *name;
        size_t offset;
} u64_properties[] = {
        { "CPUWeight", offsetof(ClassConfig, cpu_weight) },
        { "CPUMaxQuotaUSec", offsetof(ClassConfig, cpu_max.quota_usec) },
        { "CPUMaxPeriodUSec", offsetof(ClassConfig, cpu_max.period_usec) },
        { "CPUMaxBurstUSec", offsetof(ClassConfig, cpu_max_burst_usec) },
        { "MemoryHigh", offsetof(ClassConfig, memory_high) },
        { "MemoryMax", offsetof(ClassConfig, memory_max) },
        { "MemorySwapMax", offsetof(ClassConfig, memory_swap_max) },
        { "TasksMax", offsetof(ClassConfig, pids_max) },
};

static uint64_t *u64_at(ClassConfig *c, size_t i)
{
        return (uint64_t *)((char *)c + u64_properties[i].offset);
}

static int invalid(const char **error, char **reason, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int invalid(const char **error, char **reason, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(reason, fmt, ap);
        va_end(ap);

        *error = BUS_ERROR("InvalidLimit");
        return n < 0 ? -ENOMEM : -EINVAL;
}

/* A variant of the wrong type would otherwise fail deep in sd-bus with a
 * message that names no property. */
static int check_type(sd_bus_message *m, const char *name, const char *type, const char **error,
                      char **reason)
{
        const char *contents = NULL;
        int r;

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;

        if (!contents || !streq(contents, type))
                return invalid(error, reason, "%s must be of D-Bus type '%s', not '%s'.", name,
                               type, contents ?: "?");
        return 0;
}

static int read_class(sd_bus_message *m, Given *g, const char **error, char **reason)
{
        const char *name;
        int r, c;

        r = check_type(m, "Class", "s", error, reason);
        if (r >= 0)
                r = sd_bus_message_read(m, "v", "s", &name);
        if (r < 0)
                return r;

        c = class_from_string(name);
        if (c < 0)
                return invalid(error, reason,
                               "Class '%.40s' is not one of interactive, latency, batch, "
                               "besteffort.",
                               name);

        g->values.class = c;
        g->class = true;
        return 0;
}

static int read_oom_group(sd_bus_message *m, Given *g, const char **error, char **reason)
{
        int r, b;

        r = check_type(m, "OOMGroup", "b", error, reason);
        if (r >= 0)
                r = sd_bus_message_read(m, "v", "b", &b);
        if (r < 0)
                return r;

        g->values.limits.oom_group = b;
        g->oom_group = true;
        return 0;
}

static int read_property(sd_bus_message *m, Given *g, const char **error, char **reason)
{
        const char *name;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;

        if (streq(name, "Class"))
                return read_class(m, g, error, reason);
        if (streq(name, "OOMGroup"))
                return read_oom_group(m, g, error, reason);

        for (size_t i = 0; i < ELEMENTSOF(u64_properties); i++) {
                if (!streq(name, u64_properties[i].name))
                        continue;

                r = check_type(m, name, "t", error, reason);
                if (r >= 0)
                        r = sd_bus_message_read(m, "v", "t", u64_at(&g->values.limits, i));
                if (r < 0)
                        return r;

                g->mask |= 1u << i;
                return 0;
        }

        return invalid(error, reason, "Unknown step property '%.40s'.", name);
}

static int read_all(sd_bus_message *m, Given *g, const char **error, char **reason)
{
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(sv)");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
                r = read_property(m, g, error, reason);
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

static void resolve(const Given *g, const Config *config, StepSettings *s)
{
        s->class = g->class ? g->values.class : config->default_class;
        s->limits = config->classes[s->class];

        for (size_t i = 0; i < ELEMENTSOF(u64_properties); i++)
                if (g->mask & (1u << i))
                        *u64_at(&s->limits, i) = *u64_at((ClassConfig *)&g->values.limits, i);
        if (g->oom_group)
                s->limits.oom_group = g->values.limits.oom_group;
}

static int check_cpu(const ClassConfig *c, const char **error, char **reason)
{
        if (c->cpu_weight < CGROUP_WEIGHT_MIN || c->cpu_weight > CGROUP_WEIGHT_MAX)
                return invalid(error, reason, "CPUWeight %" PRIu64 " is outside 1..10000.",
                               c->cpu_weight);
        if (c->cpu_max.period_usec < CPU_PERIOD_MIN_USEC ||
            c->cpu_max.period_usec > CPU_PERIOD_MAX_USEC)
                return invalid(error, reason,
                               "CPUMaxPeriodUSec %" PRIu64 " is outside 1000..1000000.",
                               c->cpu_max.period_usec);
        if (c->cpu_max.quota_usec != CGROUP_LIMIT_MAX &&
            (c->cpu_max.quota_usec < CPU_QUOTA_MIN_USEC ||
             c->cpu_max.quota_usec > CPU_QUOTA_MAX_USEC))
                return invalid(error, reason,
                               "CPUMaxQuotaUSec %" PRIu64 " is outside 1000..2^44-1.",
                               c->cpu_max.quota_usec);
        if (c->cpu_max_burst_usec > 0 && c->cpu_max.quota_usec != CGROUP_LIMIT_MAX &&
            c->cpu_max_burst_usec > c->cpu_max.quota_usec)
                return invalid(error, reason,
                               "CPUMaxBurstUSec %" PRIu64 " exceeds the quota %" PRIu64 ".",
                               c->cpu_max_burst_usec, c->cpu_max.quota_usec);
        return 0;
}

static int check_memory(const ClassConfig *c, const char **error, char **reason)
{
        if (c->memory_max < CONFIG_MEMORY_MIN)
                return invalid(error, reason, "MemoryMax %" PRIu64 " is below 1 MiB.",
                               c->memory_max);
        if (c->memory_high < CONFIG_MEMORY_MIN)
                return invalid(error, reason, "MemoryHigh %" PRIu64 " is below 1 MiB.",
                               c->memory_high);
        if (c->memory_high != CGROUP_LIMIT_MAX && c->memory_high > c->memory_max)
                return invalid(error, reason,
                               "MemoryHigh %" PRIu64 " is above MemoryMax %" PRIu64 ".",
                               c->memory_high, c->memory_max);
        if (c->pids_max < 1 || (c->pids_max > PIDS_MAX_LIMIT && c->pids_max != CGROUP_LIMIT_MAX))
                return invalid(error, reason, "TasksMax %" PRIu64 " is outside 1..4194304.",
                               c->pids_max);
        return 0;
}

int step_settings_read(sd_bus_message *m, const Config *config, StepSettings *ret,
                       const char **error, char **reason)
{
        Given g = {};
        int r;

        r = read_all(m, &g, error, reason);
        if (r < 0)
                return r;

        resolve(&g, config, ret);

        r = check_cpu(&ret->limits, error, reason);
        if (r < 0)
                return r;
        return check_memory(&ret->limits, error, reason);
}

/* A kernel without swap has no memory.swap.max; "max" there is moot. */
static int write_limit(const char *dir, const char *file, uint64_t v)
{
        int r;

        if (v != CGROUP_LIMIT_MAX)
                return cg_writef(dir, file, "%" PRIu64, v);

        r = cg_write(dir, file, "max");
        return r == -ENOENT ? 0 : r;
}

static int write_cpu_max(const ClassConfig *c, const char *dir)
{
        int r;

        if (c->cpu_max.quota_usec == CGROUP_LIMIT_MAX)
                r = cg_writef(dir, "cpu.max", "max %" PRIu64, c->cpu_max.period_usec);
        else
                r = cg_writef(dir, "cpu.max", "%" PRIu64 " %" PRIu64, c->cpu_max.quota_usec,
                              c->cpu_max.period_usec);
        if (r < 0)
                return r;

        return cg_writef(dir, "cpu.max.burst", "%" PRIu64, c->cpu_max_burst_usec);
}

int step_settings_apply(const StepSettings *s, const char *dir)
{
        const ClassConfig *c = &s->limits;
        int r;

        r = cg_writef(dir, "cpu.weight", "%" PRIu64, c->cpu_weight);
        if (r >= 0)
                r = write_cpu_max(c, dir);
        if (r >= 0)
                r = write_limit(dir, "memory.max", c->memory_max);
        if (r >= 0)
                r = write_limit(dir, "memory.high", c->memory_high);
        if (r >= 0)
                r = write_limit(dir, "memory.swap.max", c->memory_swap_max);
        if (r >= 0)
                r = write_limit(dir, "pids.max", c->pids_max);
        if (r >= 0)
                r = cg_write(dir, "memory.oom.group", c->oom_group ? "1" : "0");
        return r;
}

int step_settings_record_class(const char *dir, Class c)
{
        const char *name = class_to_string(c);

        return setxattr(dir, XATTR_CLASS, name, strlen(name), 0) < 0 ? negative_errno() : 0;
}

int step_settings_recorded_class(const char *dir, Class *ret)
{
        char value[32];
        ssize_t n;
        int c;

        n = getxattr(dir, XATTR_CLASS, value, sizeof(value) - 1);
        if (n < 0)
                return negative_errno();
        value[n] = 0;

        c = class_from_string(value);
        if (c < 0)
                return -ENODATA;
        *ret = c;
        return 0;
}
