/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The memory policy (memory.c): the in-kernel observer of memory.high and
 * OOM events, the escalation ladder that acts on them, and the
 * org.agentcg1.Memory D-Bus interface.
 */
#pragma once

typedef struct Manager Manager;
typedef struct MemoryWatch MemoryWatch;

/*
 * Detects the kernel's memory hooks, loads the observer and registers the
 * interface on the manager's bus.  An observer that cannot load is logged
 * and leaves the kernel's own limits in charge; only failures that leave
 * the daemon unable to work are returned.
 */
int memory_start(Manager *m);

/* The fd of the observer's "mem_pressure" map, for the scheduler to share;
 * -EBADF without an observer. */
int memory_pressure_fd(const Manager *m);

MemoryWatch *memory_free(MemoryWatch *w);

static inline void memory_freep(MemoryWatch **w)
{
        memory_free(*w);
}
