/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's configuration: per-user quotas for unprivileged callers and
 * one set of limits per step class.  config_load() reads agentcg.conf and
 * its drop-ins into a Config, a plain value with no pointers, so the
 * manager can keep the active one and swap in a new one on reload only if
 * the new files are entirely valid.  See agentcg.conf(5) for the format.
 *
 * (This file is conf.h, not config.h: that name belongs to the header
 * meson generates, which main.c and bus.c include for PACKAGE_VERSION.)
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "parse.h"

/* Where the configuration lives unless the caller names another
 * directory: agentcg.conf, then agentcg.conf.d/ beside it. */
#define CONFIG_DIR "/etc/agentcg"

/* The smallest memory limit worth setting, the same floor CreateStep puts
 * on memory_max: below it a step cannot even exec a shell. */
#define CONFIG_MEMORY_MIN (UINT64_C(1) << 20)

/* The kernel's bounds for cpu.max (kernel/sched/core.c): a period of 1 ms
 * to 1 s, a quota of at least 1 ms, and quota plus burst within 2^44-1 us
 * so its fixed-point bandwidth arithmetic cannot overflow. */
#define CPU_PERIOD_MIN_USEC UINT64_C(1000)
#define CPU_PERIOD_MAX_USEC UINT64_C(1000000)
#define CPU_PERIOD_DEFAULT_USEC UINT64_C(100000)
#define CPU_QUOTA_MIN_USEC UINT64_C(1000)
#define CPU_QUOTA_MAX_USEC ((UINT64_C(1) << 44) - 1)

/* The largest pids.max the kernel takes on 64-bit (PID_MAX_LIMIT). */
#define PIDS_MAX_LIMIT UINT64_C(4194304)

typedef enum Class {
        CLASS_INTERACTIVE,
        CLASS_LATENCY,
        CLASS_BATCH,
        CLASS_BESTEFFORT,
        _CLASS_MAX,
        _CLASS_INVALID = -EINVAL,
} Class;

/* cpu.max: QUOTA_USEC of CPU time per PERIOD_USEC, or CGROUP_LIMIT_MAX as
 * the quota for no limit. */
typedef struct CPUMax {
        uint64_t quota_usec;
        uint64_t period_usec;
} CPUMax;

/* The limits a step of one class gets.  Sizes are bytes; every limit takes
 * CGROUP_LIMIT_MAX for "max". */
typedef struct ClassConfig {
        uint64_t cpu_weight;
        CPUMax cpu_max;
        uint64_t cpu_max_burst_usec;
        uint64_t memory_high;
        uint64_t memory_max;
        uint64_t memory_swap_max;
        uint64_t pids_max;
        bool oom_group;
        bool latency_boost;
        /* The memory escalation ladder: how long a step may stay over
         * memory.high before it is frozen, and how long a frozen step
         * waits for its runtime before it is killed; UINT64_MAX for never. */
        uint64_t memory_freeze_usec;
        uint64_t memory_kill_usec;
} ClassConfig;

typedef struct Config {
        Class default_class;
        bool scheduler; /* load the sched_ext scheduler at start */
        bool scheduler_partial; /* SchedulerMode=partial: SCHED_EXT tasks only */
        bool memory_coupling;   /* the scheduler slows steps under memory pressure */
        bool memory_escalation; /* freeze, then kill, steps stuck over memory.high */
        uint64_t max_sessions_per_user;
        uint64_t max_steps_per_user;
        uint64_t max_memory_per_user;
        ClassConfig classes[_CLASS_MAX];
} Config;

const char *class_to_string(Class c);

/* Returns the Class named S, or -EINVAL. */
int class_from_string(const char *s);

/* Fills *c with the built-in defaults, which apply wherever the files say
 * nothing. */
void config_defaults(Config *c);

/* Reads DIR/agentcg.conf, then the *.conf files in DIR/agentcg.conf.d in
 * lexical order, over the built-in defaults; a later setting overrides an
 * earlier one.  DIR NULL means CONFIG_DIR.  Missing files and directories
 * are fine.
 *
 * Returns 0 and *ret on success.  On failure returns a negative errno,
 * leaves *ret untouched, and, if RET_ERROR is not NULL, stores a malloc'ed
 * message there: "FILE:LINE: what was wrong" for a bad setting, "FILE: ..."
 * for a file that could not be read.  *ret_error is NULL on success, and
 * may be NULL after -ENOMEM. */
int config_load(const char *dir, Config *ret, char **ret_error);
