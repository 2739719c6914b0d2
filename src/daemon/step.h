/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Steps: one sub-cgroup of a session's delegated scope per tool call.
 * Names and settings are validated by the bus layer before these run;
 * these check what only the system can tell and answer the caller.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "manager.h"
#include "step-settings.h"
#include "step-usage.h"

int step_create(Manager *m, sd_bus_message *call, const char *session, const char *step,
                const StepSettings *settings);
int step_add_process(Manager *m, sd_bus_message *call, const char *session, const char *step,
                     pid_t pid);
/* Hands the caller a directory fd of the step's cgroup, for
 * clone3(CLONE_INTO_CGROUP): the child starts inside the step. */
int step_open(Manager *m, sd_bus_message *call, const char *session, const char *step);
int step_add_pidfd(Manager *m, sd_bus_message *call, const char *session, const char *step,
                   int pidfd);
int step_end(Manager *m, sd_bus_message *call, const char *session, const char *step,
             uint64_t grace_usec);
int step_freeze(Manager *m, sd_bus_message *call, const char *session, const char *step,
                bool freeze);
int step_kill(Manager *m, sd_bus_message *call, const char *session, const char *step);

/* Freeze, thaw or kill a step for the daemon's own reasons (the memory
 * observer), without a bus call: the cgroup write and the journal entry,
 * no waiting.  Negative errno: -EINVAL for an invalid name, -ENOENT if
 * the step does not exist. */
int step_freeze_by_name(Manager *m, const char *session, const char *step);
int step_thaw_by_name(Manager *m, const char *session, const char *step);
int step_kill_by_name(Manager *m, const char *session, const char *step);

/* Watches every existing step so that one whose processes all exited is
 * ended on its own; called once at start, after a restart too. */
int step_watch_all(Manager *m);
void step_unwatch_all(Manager *m);
