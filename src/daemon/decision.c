/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One journal entry per decision.  The human-readable MESSAGE repeats the
 * essentials; the AGENTCG_* fields carry them for machines.  A failure to
 * reach the journal is not fatal to the decision itself, so it is reported
 * on stderr (which systemd also collects) and otherwise ignored.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "decision.h"
#include "log.h"

static void check(int r, const char *what)
{
        if (r < 0)
                log_warning_errno(r, "Failed to write %s decision to the journal, ignoring", what);
}

static const char *limit_str(uint64_t v, char buf[static 24])
{
        if (v == UINT64_MAX)
                return "max";
        snprintf(buf, 24, "%" PRIu64, v);
        return buf;
}

void decision_scheduler_attached(const char *ops, uint64_t load_usec)
{
        check(sd_journal_send("MESSAGE_ID=" MID_SCHEDULER_ATTACHED, "PRIORITY=%i", LOG_INFO,
                              "MESSAGE=sched_ext scheduler '%s' attached in %" PRIu64 " ms.", ops,
                              load_usec / 1000, "AGENTCG_SCHEDULER=%s", ops,
                              "AGENTCG_LOAD_USEC=%" PRIu64, load_usec, NULL),
              "scheduler-attached");
}

void decision_cgroup_only(const char *reason)
{
        check(sd_journal_send("MESSAGE_ID=" MID_CGROUP_ONLY, "PRIORITY=%i", LOG_WARNING,
                              "MESSAGE=Running in cgroup-only mode: %s.", reason,
                              "AGENTCG_SCHEDULER=none", "AGENTCG_REASON=%s", reason, NULL),
              "cgroup-only");
}

void decision_scheduler_detached(const char *ops, const char *reason)
{
        check(sd_journal_send("MESSAGE_ID=" MID_SCHEDULER_DETACHED, "PRIORITY=%i", LOG_INFO,
                              "MESSAGE=sched_ext scheduler '%s' detached: %s.", ops, reason,
                              "AGENTCG_SCHEDULER=%s", ops, "AGENTCG_REASON=%s", reason, NULL),
              "scheduler-detached");
}

void decision_session_created(const char *session, const char *unit, const char *cgroup,
                              pid_t pid)
{
        check(sd_journal_send("MESSAGE_ID=" MID_SESSION_CREATED, "PRIORITY=%i", LOG_INFO,
                              "MESSAGE=Session %s created as %s, adopting PID %d.", session,
                              unit, (int)pid, "AGENTCG_SESSION=%s", session,
                              "AGENTCG_UNIT=%s", unit, "AGENTCG_CGROUP=%s", cgroup,
                              "AGENTCG_PID=%d", (int)pid, NULL),
              "session-created");
}

void decision_session_ended(const char *session, const char *unit, const char *result)
{
        check(sd_journal_send("MESSAGE_ID=" MID_SESSION_ENDED, "PRIORITY=%i", LOG_INFO,
                              "MESSAGE=Session %s ended (%s).", session, result,
                              "AGENTCG_SESSION=%s", session, "AGENTCG_UNIT=%s", unit,
                              "AGENTCG_RESULT=%s", result, NULL),
              "session-ended");
}

void decision_step_created(const char *session, const char *step, const char *cgroup,
                           uint64_t cpu_weight, uint64_t memory_max)
{
        char mem[24];

        check(sd_journal_send("MESSAGE_ID=" MID_STEP_CREATED, "PRIORITY=%i", LOG_INFO,
                              "MESSAGE=Step %s/%s created: cpu.weight=%" PRIu64
                              " memory.max=%s.",
                              session, step, cpu_weight, limit_str(memory_max, mem),
                              "AGENTCG_SESSION=%s", session, "AGENTCG_STEP=%s", step,
                              "AGENTCG_CGROUP=%s", cgroup,
                              "AGENTCG_CPU_WEIGHT=%" PRIu64, cpu_weight,
                              "AGENTCG_MEMORY_MAX=%s", limit_str(memory_max, mem), NULL),
              "step-created");
}

void decision_process_placed(const char *session, const char *step, pid_t pid)
{
        check(sd_journal_send("MESSAGE_ID=" MID_PROCESS_PLACED, "PRIORITY=%i", LOG_INFO,
                              "MESSAGE=PID %d placed in step %s/%s.", (int)pid, session, step,
                              "AGENTCG_SESSION=%s", session, "AGENTCG_STEP=%s", step,
                              "AGENTCG_PID=%d", (int)pid, NULL),
              "process-placed");
}

void decision_step_ended(const char *session, const char *step, uint64_t usage_usec,
                         uint64_t memory_peak, bool killed)
{
        char peak[24];

        check(sd_journal_send("MESSAGE_ID=" MID_STEP_ENDED, "PRIORITY=%i", LOG_INFO,
                              "MESSAGE=Step %s/%s ended%s: %" PRIu64
                              " us CPU, memory.peak=%s.",
                              session, step, killed ? " (remaining processes killed)" : "",
                              usage_usec, limit_str(memory_peak, peak),
                              "AGENTCG_SESSION=%s", session, "AGENTCG_STEP=%s", step,
                              "AGENTCG_CPU_USAGE_USEC=%" PRIu64, usage_usec,
                              "AGENTCG_MEMORY_PEAK=%s", limit_str(memory_peak, peak),
                              "AGENTCG_KILLED=%d", killed, NULL),
              "step-ended");
}

void decision_request_refused(const char *method, const char *sender, const char *error,
                              const char *message)
{
        check(sd_journal_send("MESSAGE_ID=" MID_REQUEST_REFUSED, "PRIORITY=%i", LOG_NOTICE,
                              "MESSAGE=Refused %s from %s: %s", method, sender ?: "?", message,
                              "AGENTCG_METHOD=%s", method, "AGENTCG_SENDER=%s", sender ?: "?",
                              "AGENTCG_ERROR=%s", error, NULL),
              "request-refused");
}
