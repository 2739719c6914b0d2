/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a step may be given: its class and the cgroup knobs that bound it.
 * A step starts from its class's limits in the configuration (conf.h) and
 * the caller's a(sv) properties override them one by one; the result is
 * checked as a whole before anything is written, so a refused call creates
 * nothing.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "conf.h"

typedef struct StepSettings {
        Class class;
        ClassConfig limits;
} StepSettings;

/* Reads an a(sv) of properties (Class, CPUWeight, CPUMaxQuotaUSec,
 * CPUMaxPeriodUSec, CPUMaxBurstUSec, MemoryHigh, MemoryMax, MemorySwapMax,
 * TasksMax, OOMGroup) and resolves them against CONFIG into *ret.  On a bad
 * property returns -EINVAL with *error set to the D-Bus error name and
 * *reason to a malloc'ed explanation. */
int step_settings_read(sd_bus_message *m, const Config *config, StepSettings *ret,
                       const char **error, char **reason);

/* Writes S into the step cgroup at DIR. */
int step_settings_apply(const StepSettings *s, const char *dir);

/* Records the class on the step cgroup at DIR, and reads it back:
 * -ENODATA for a step without the record. */
int step_settings_record_class(const char *dir, Class c);
int step_settings_recorded_class(const char *dir, Class *ret);
