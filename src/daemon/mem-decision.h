/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Journal entries for the memory policy's decisions (memory.c): one entry
 * per rung of the escalation ladder a step climbs, one per OOM kill the
 * observer saw, and one at start saying which memory hooks are in use.
 * Same conventions as decision.h: a MESSAGE_ID from
 * catalog/agentcg.catalog and AGENTCG_* fields for machines.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Keep in sync with catalog/agentcg.catalog. */
#define MID_MEMORY_HOOKS "6b5622c82b6b48668cc35615bd98dc3f"
#define MID_MEMORY_HIGH "741febff528546d98d3f7151ecaf8c87"
#define MID_MEMORY_FROZEN "8f4b8067467847feafbc751593316505"
#define MID_MEMORY_KILLED "94ab379edb144b1688222210cae033b6"
#define MID_MEMORY_RECOVERED "41dd3190e81b4dbe8b87ec30a6f0d760"
#define MID_MEMORY_OOM "803316eaed154331a026238fa5d7a327"

/* What a ring buffer event looked like when the daemon acted on it. */
typedef struct MemoryEventInfo {
        uint64_t kernel_usec;   /* CLOCK_MONOTONIC of the kernel event */
        uint64_t reaction_usec; /* from that to the daemon's decision */
        uint64_t usage;         /* bytes charged at the event */
        uint64_t high;          /* memory.high, UINT64_MAX for max */
        uint64_t max;           /* memory.max, UINT64_MAX for max */
        pid_t pid;              /* the task that hit it */
        const char *comm;
} MemoryEventInfo;

void decision_memory_hooks(const char *hooks, const char *reason);
void decision_memory_high(const char *session, const char *step, const MemoryEventInfo *e,
                          uint64_t freeze_in_usec);
void decision_memory_frozen(const char *session, const char *step, uint64_t over_usec,
                            uint64_t kill_in_usec);
void decision_memory_killed(const char *session, const char *step, uint64_t frozen_usec);
void decision_memory_recovered(const char *session, const char *step, const char *why);
/* STEP_KILLED: the daemon killed the rest of the step after the OOM kill. */
void decision_memory_oom(const char *session, const char *step, const MemoryEventInfo *e,
                         bool step_killed);
