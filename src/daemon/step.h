/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Steps: one sub-cgroup of a session's delegated scope per tool call.
 * Names and values are validated by the bus layer before these run.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "manager.h"

#define CPU_WEIGHT_DEFAULT 100
#define CPU_WEIGHT_MIN 1
#define CPU_WEIGHT_MAX 10000

int step_create(Manager *m, sd_bus_message *call, const char *session, const char *step,
                uint64_t cpu_weight, uint64_t memory_max);
int step_add_process(Manager *m, sd_bus_message *call, const char *session, const char *step,
                     pid_t pid);
int step_end(Manager *m, sd_bus_message *call, const char *session, const char *step);
