/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Keeps the scheduler attached while the daemon runs: attaches it at
 * start, notices when the kernel stops it, says why in the journal and
 * attaches a fresh one with backoff, up to a limit (sched-supervisor.c).
 * The live scheduler, if any, is Manager.scheduler; it is NULL while the
 * kernel's fair class is in charge, which is what the Scheduler property
 * of the bus API shows.
 */
#pragma once

typedef struct Manager Manager;
typedef struct SchedSupervisor SchedSupervisor;

/* Attaches the scheduler if the configuration and the kernel allow, or
 * logs once why the daemon runs in cgroup-only mode.  Only an allocation
 * failure is an error: the daemon governs cgroups either way. */
int sched_supervisor_start(Manager *m);

/* Detaches the scheduler, if attached, and stops watching it. */
void sched_supervisor_stop(Manager *m);

/* Hands a reloaded configuration's class table (slices, LatencyBoost=) to
 * the running scheduler; the mode and MemoryCoupling= wait for the next
 * attach, since they are fixed when the scheduler is loaded. */
void sched_supervisor_reload(Manager *m);

/* The memory observer's "mem_pressure" map, shared with every scheduler
 * attached from now on (bpf/agentcg-mem.h); -1 for none.  The fd stays
 * the caller's and must outlive the manager's scheduler. */
void sched_supervisor_set_mem_pressure_fd(Manager *m, int fd);

/* "running", "retrying" (after an exit, before the next attempt),
 * "failed" (it gave up) or "off" (never attached). */
const char *sched_supervisor_state(const Manager *m);
