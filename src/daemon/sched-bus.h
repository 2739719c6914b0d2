/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The scheduler's own D-Bus object, /org/agentcg1/scheduler with the
 * interface org.agentcg1.Scheduler (sched-bus.c): its state and the
 * counters agentcgctl top shows.
 */
#pragma once

typedef struct Manager Manager;

/* Registers the object on the manager's bus connection. */
int sched_bus_register(Manager *m);
