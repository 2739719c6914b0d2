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

void decision_check(int r, const char *what)
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
        decision_check(
                sd_journal_send("MESSAGE_ID=" MID_SCHEDULER_ATTACHED, "PRIORITY=%i", LOG_INFO,
                                "MESSAGE=sched_ext scheduler '%s' attached in %" PRIu64 " ms.", ops,
                                load_usec / 1000, "AGENTCG_SCHEDULER=%s", ops,
                                "AGENTCG_LOAD_USEC=%" PRIu64, load_usec, NULL),
                "scheduler-attached");
}

void decision_cgroup_only(const char *reason)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_CGROUP_ONLY, "PRIORITY=%i", LOG_WARNING,
                                       "MESSAGE=Running in cgroup-only mode: %s.", reason,
                                       "AGENTCG_SCHEDULER=none", "AGENTCG_REASON=%s", reason, NULL),
                       "cgroup-only");
}

void decision_scheduler_detached(const char *ops, const char *reason)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_SCHEDULER_DETACHED, "PRIORITY=%i",
                                       LOG_INFO, "MESSAGE=sched_ext scheduler '%s' detached: %s.",
                                       ops, reason, "AGENTCG_SCHEDULER=%s", ops,
                                       "AGENTCG_REASON=%s", reason, NULL),
                       "scheduler-detached");
}

void decision_session_created(const char *session, const char *unit, const char *cgroup, pid_t pid)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_SESSION_CREATED, "PRIORITY=%i", LOG_INFO,
                                       "MESSAGE=Session %s created as %s, adopting PID %d.",
                                       session, unit, (int)pid, "AGENTCG_SESSION=%s", session,
                                       "AGENTCG_UNIT=%s", unit, "AGENTCG_CGROUP=%s", cgroup,
                                       "AGENTCG_PID=%d", (int)pid, NULL),
                       "session-created");
}

void decision_session_ended(const char *session, const char *unit, const char *result)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_SESSION_ENDED, "PRIORITY=%i", LOG_INFO,
                                       "MESSAGE=Session %s ended (%s).", session, result,
                                       "AGENTCG_SESSION=%s", session, "AGENTCG_UNIT=%s", unit,
                                       "AGENTCG_RESULT=%s", result, NULL),
                       "session-ended");
}

void decision_step_created(const char *session, const char *step, const char *cgroup,
                           const StepSettings *s)
{
        const ClassConfig *c = &s->limits;
        const char *class = class_to_string(s->class);
        char quota[24], high[24], max[24], swap[24], pids[24];

        decision_check(sd_journal_send("MESSAGE_ID=" MID_STEP_CREATED, "PRIORITY=%i", LOG_INFO,
                                       "MESSAGE=Step %s/%s created: class %s, cpu.weight=%" PRIu64
                                       " memory.max=%s.",
                                       session, step, class, c->cpu_weight,
                                       limit_str(c->memory_max, max), "AGENTCG_SESSION=%s", session,
                                       "AGENTCG_STEP=%s", step, "AGENTCG_CGROUP=%s", cgroup,
                                       "AGENTCG_CLASS=%s", class, "AGENTCG_CPU_WEIGHT=%" PRIu64,
                                       c->cpu_weight, "AGENTCG_CPU_MAX=%s %" PRIu64,
                                       limit_str(c->cpu_max.quota_usec, quota),
                                       c->cpu_max.period_usec, "AGENTCG_CPU_MAX_BURST=%" PRIu64,
                                       c->cpu_max_burst_usec, "AGENTCG_MEMORY_HIGH=%s",
                                       limit_str(c->memory_high, high), "AGENTCG_MEMORY_MAX=%s",
                                       limit_str(c->memory_max, max), "AGENTCG_MEMORY_SWAP_MAX=%s",
                                       limit_str(c->memory_swap_max, swap), "AGENTCG_PIDS_MAX=%s",
                                       limit_str(c->pids_max, pids), "AGENTCG_OOM_GROUP=%d",
                                       c->oom_group, NULL),
                       "step-created");
}

void decision_process_placed(const char *session, const char *step, pid_t pid)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_PROCESS_PLACED, "PRIORITY=%i", LOG_INFO,
                                       "MESSAGE=PID %d placed in step %s/%s.", (int)pid, session,
                                       step, "AGENTCG_SESSION=%s", session, "AGENTCG_STEP=%s", step,
                                       "AGENTCG_PID=%d", (int)pid, NULL),
                       "process-placed");
}

void decision_step_ended(const char *session, const char *step, const StepUsage *u)
{
        char peak[24];

        decision_check(
                sd_journal_send(
                        "MESSAGE_ID=" MID_STEP_ENDED, "PRIORITY=%i", LOG_INFO,
                        "MESSAGE=Step %s/%s ended%s: %" PRIu64 " us CPU in %" PRIu64
                        " us, memory.peak=%s, %" PRIu64 " OOM kills.",
                        session, step, u->killed ? " (remaining processes killed)" : "",
                        u->cpu_usage_usec, u->wall_usec, limit_str(u->memory_peak, peak),
                        u->memory_oom_kill_events, "AGENTCG_SESSION=%s", session, "AGENTCG_STEP=%s",
                        step, "AGENTCG_CPU_USAGE_USEC=%" PRIu64, u->cpu_usage_usec,
                        "AGENTCG_CPU_USER_USEC=%" PRIu64, u->cpu_user_usec,
                        "AGENTCG_CPU_SYSTEM_USEC=%" PRIu64, u->cpu_system_usec,
                        "AGENTCG_CPU_THROTTLED_USEC=%" PRIu64, u->cpu_throttled_usec,
                        "AGENTCG_MEMORY_PEAK=%s", limit_str(u->memory_peak, peak),
                        "AGENTCG_MEMORY_HIGH_EVENTS=%" PRIu64, u->memory_high_events,
                        "AGENTCG_MEMORY_MAX_EVENTS=%" PRIu64, u->memory_max_events,
                        "AGENTCG_MEMORY_OOM_EVENTS=%" PRIu64, u->memory_oom_events,
                        "AGENTCG_MEMORY_OOM_KILL_EVENTS=%" PRIu64, u->memory_oom_kill_events,
                        "AGENTCG_PIDS_PEAK=%" PRIu64, u->pids_peak, "AGENTCG_WALL_USEC=%" PRIu64,
                        u->wall_usec, "AGENTCG_KILLED=%d", u->killed, NULL),
                "step-ended");
}

void decision_step_frozen(const char *session, const char *step, bool frozen)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_STEP_FROZEN, "PRIORITY=%i", LOG_INFO,
                                       "MESSAGE=Step %s/%s %s.", session, step,
                                       frozen ? "frozen" : "thawed", "AGENTCG_SESSION=%s", session,
                                       "AGENTCG_STEP=%s", step, "AGENTCG_FROZEN=%d", frozen, NULL),
                       "step-frozen");
}

void decision_step_killed(const char *session, const char *step)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_STEP_KILLED, "PRIORITY=%i", LOG_NOTICE,
                                       "MESSAGE=Step %s/%s killed on request.", session, step,
                                       "AGENTCG_SESSION=%s", session, "AGENTCG_STEP=%s", step,
                                       NULL),
                       "step-killed");
}

void decision_request_refused(const char *method, const char *sender, const char *error,
                              const char *message)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_REQUEST_REFUSED, "PRIORITY=%i", LOG_NOTICE,
                                       "MESSAGE=Refused %s from %s: %s", method, sender ?: "?",
                                       message, "AGENTCG_METHOD=%s", method, "AGENTCG_SENDER=%s",
                                       sender ?: "?", "AGENTCG_ERROR=%s", error, NULL),
                       "request-refused");
}

void decision_config_loaded(bool reload)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_CONFIG_LOADED, "PRIORITY=%i", LOG_INFO,
                                       "MESSAGE=Configuration %s.", reload ? "reloaded" : "loaded",
                                       "AGENTCG_RELOAD=%d", reload, NULL),
                       "config-loaded");
}

void decision_config_rejected(const char *error, bool reload)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_CONFIG_REJECTED, "PRIORITY=%i", LOG_ERR,
                                       "MESSAGE=Configuration rejected, %s: %s",
                                       reload ? "the previous one stays" : "not starting", error,
                                       "AGENTCG_CONFIG_ERROR=%s", error, "AGENTCG_RELOAD=%d",
                                       reload, NULL),
                       "config-rejected");
}

void decision_unit_discovered(const char *unit, const char *class)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_UNIT_DISCOVERED, "PRIORITY=%i", LOG_INFO,
                                       "MESSAGE=Unit %s appeared in agentcg.slice without the API; "
                                       "governing it with class %s.",
                                       unit, class, "AGENTCG_UNIT=%s", unit, "AGENTCG_CLASS=%s",
                                       class, NULL),
                       "unit-discovered");
}

void decision_unit_gone(const char *unit)
{
        decision_check(
                sd_journal_send("MESSAGE_ID=" MID_UNIT_GONE, "PRIORITY=%i", LOG_INFO,
                                "MESSAGE=Unit %s left agentcg.slice; systemd's own entry for it "
                                "says what it used.",
                                unit, "AGENTCG_UNIT=%s", unit, NULL),
                "unit-gone");
}
