/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The memory policy's journal entries (see mem-decision.h).  A failure to
 * reach the journal does not undo the decision; it is reported on stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "decision.h"
#include "log.h"
#include "mem-decision.h"

#define RUNG(name) "AGENTCG_RUNG=" name

/* "infinity" for UINT64_MAX, else the number, for durations and limits. */
static const char *num(uint64_t v, char buf[static 24])
{
        if (v == UINT64_MAX)
                return "infinity";
        snprintf(buf, 24, "%" PRIu64, v);
        return buf;
}

void decision_memory_hooks(const char *hooks, const char *reason)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_MEMORY_HOOKS, "PRIORITY=%i", LOG_INFO,
                                       "MESSAGE=Memory policy: %s (%s).", hooks, reason,
                                       "AGENTCG_MEMORY_HOOKS=%s", hooks, "AGENTCG_REASON=%s",
                                       reason, NULL),
                       "memory-hooks");
}

void decision_memory_high(const char *session, const char *step, const MemoryEventInfo *e,
                          uint64_t freeze_in_usec)
{
        char high[24], max[24], freeze[24];

        decision_check(
                sd_journal_send("MESSAGE_ID=" MID_MEMORY_HIGH, "PRIORITY=%i", LOG_NOTICE,
                                "MESSAGE=Step %s/%s is over memory.high (%" PRIu64 " of %s bytes); "
                                "the kernel throttles it, freezing in %s us.",
                                session, step, e->usage, num(e->high, high),
                                num(freeze_in_usec, freeze), RUNG("throttle"), "AGENTCG_SESSION=%s",
                                session, "AGENTCG_STEP=%s", step, "AGENTCG_USAGE_BYTES=%" PRIu64,
                                e->usage, "AGENTCG_HIGH_BYTES=%s", high, "AGENTCG_MAX_BYTES=%s",
                                num(e->max, max), "AGENTCG_KERNEL_USEC=%" PRIu64, e->kernel_usec,
                                "AGENTCG_REACTION_USEC=%" PRIu64, e->reaction_usec,
                                "AGENTCG_FREEZE_IN_USEC=%s", freeze, "AGENTCG_PID=%d", (int)e->pid,
                                "AGENTCG_COMM=%s", e->comm, NULL),
                "memory-high");
}

void decision_memory_frozen(const char *session, const char *step, uint64_t over_usec,
                            uint64_t kill_in_usec)
{
        char kill[24];

        decision_check(sd_journal_send("MESSAGE_ID=" MID_MEMORY_FROZEN, "PRIORITY=%i", LOG_WARNING,
                                       "MESSAGE=Step %s/%s froze after %" PRIu64
                                       " ms over memory.high; "
                                       "killing it in %s us unless its runtime acts.",
                                       session, step, over_usec / 1000, num(kill_in_usec, kill),
                                       RUNG("freeze"), "AGENTCG_SESSION=%s", session,
                                       "AGENTCG_STEP=%s", step, "AGENTCG_OVER_USEC=%" PRIu64,
                                       over_usec, "AGENTCG_KILL_IN_USEC=%s", kill, NULL),
                       "memory-frozen");
}

void decision_memory_killed(const char *session, const char *step, uint64_t frozen_usec)
{
        decision_check(
                sd_journal_send("MESSAGE_ID=" MID_MEMORY_KILLED, "PRIORITY=%i", LOG_WARNING,
                                "MESSAGE=Step %s/%s killed: frozen over memory.high for %" PRIu64
                                " ms and its runtime did not act.",
                                session, step, frozen_usec / 1000, RUNG("kill"),
                                "AGENTCG_SESSION=%s", session, "AGENTCG_STEP=%s", step,
                                "AGENTCG_FROZEN_USEC=%" PRIu64, frozen_usec, NULL),
                "memory-killed");
}

void decision_memory_recovered(const char *session, const char *step, const char *why)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_MEMORY_RECOVERED, "PRIORITY=%i", LOG_INFO,
                                       "MESSAGE=Step %s/%s leaves the memory ladder: %s.", session,
                                       step, why, RUNG("recovered"), "AGENTCG_SESSION=%s", session,
                                       "AGENTCG_STEP=%s", step, "AGENTCG_REASON=%s", why, NULL),
                       "memory-recovered");
}

void decision_memory_oom(const char *session, const char *step, const MemoryEventInfo *e,
                         bool step_killed)
{
        char max[24];

        decision_check(
                sd_journal_send(
                        "MESSAGE_ID=" MID_MEMORY_OOM, "PRIORITY=%i", LOG_WARNING,
                        "MESSAGE=OOM killer chose %s[%d] in step %s/%s (%" PRIu64
                        " of %s bytes)%s.",
                        e->comm, (int)e->pid, session, step, e->usage, num(e->max, max),
                        step_killed ? "; the rest of the step was killed with it" : "", RUNG("oom"),
                        "AGENTCG_ACTION=%s", step_killed ? "step-killed" : "none",
                        "AGENTCG_SESSION=%s", session, "AGENTCG_STEP=%s", step, "AGENTCG_PID=%d",
                        (int)e->pid, "AGENTCG_COMM=%s", e->comm, "AGENTCG_USAGE_BYTES=%" PRIu64,
                        e->usage, "AGENTCG_MAX_BYTES=%s", max, "AGENTCG_KERNEL_USEC=%" PRIu64,
                        e->kernel_usec, "AGENTCG_REACTION_USEC=%" PRIu64, e->reaction_usec, NULL),
                "memory-oom");
}
