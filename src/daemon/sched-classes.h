/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Step classes as the scheduler sees them (sched-classes.c): the class
 * table it gets from the configuration, and the class of every step,
 * handed to the scheduler when the step is made and again whenever a
 * scheduler is attached.
 */
#pragma once

#include <sys/types.h>

#include "agentcg.h"
#include "conf.h"

typedef struct Manager Manager;

/* What each class of @c means to the scheduler: its slice, and its
 * latency boost if LatencyBoost= is on. */
void sched_class_params(const Config *c, struct agentcg_class_params ret[AGENTCG_NR_CLASSES]);

/* Tells the scheduler, if one is attached, that the new step at @dir is
 * of @class.  Failures are logged: the step works without, scheduled as
 * batch. */
void sched_step_class(Manager *m, const char *dir, Class class);

/* In partial mode (SchedulerMode=partial), puts the process @pid, just
 * placed in a step, in the SCHED_EXT policy so the scheduler runs it; its
 * later children inherit the policy, threads it already has do not.  In
 * full mode there is nothing to do.  Failures are logged: the process
 * then stays with the kernel's fair class. */
void sched_place_task(Manager *m, pid_t pid);

/* Tells a freshly attached scheduler the class of every existing step,
 * from their cgroups' attributes. */
void sched_classes_restore(Manager *m);
