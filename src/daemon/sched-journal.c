/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Journal entries for the scheduler's exits and recovery (see
 * sched-journal.h).  As in decision.c, a failure to reach the journal is
 * reported on stderr and otherwise ignored: the decision stands.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "decision.h"
#include "log.h"
#include "sched-journal.h"

/* sched_ext's enum scx_exit_kind: 64 and up is an unregistration (by the
 * loader, by the kernel or by sysrq-S), 1024 and up an error. */
static const char *exit_class(int32_t kind)
{
        if (kind >= 1024)
                return "error";
        if (kind >= 64)
                return "unregistered";
        return "done";
}

void sched_journal_exited(const char *ops, const struct agentcg_exit_info *ei, unsigned failures,
                          uint64_t retry_usec)
{
        char next[64];

        if (retry_usec > 0)
                snprintf(next, sizeof(next), "attaching again in %" PRIu64 " ms",
                         retry_usec / 1000);
        else
                snprintf(next, sizeof(next), "not attaching again");

        decision_check(
                sd_journal_send(
                        "MESSAGE_ID=" MID_SCHEDULER_EXITED, "PRIORITY=%i", LOG_WARNING,
                        "MESSAGE=sched_ext scheduler '%s' exited (%s: %s)%s%s; the fair "
                        "class enforces cpu.weight and cpu.max meanwhile, %s.",
                        ops, exit_class(ei->kind), ei->reason, ei->msg[0] ? ": " : "", ei->msg,
                        next, "AGENTCG_SCHEDULER=%s", ops, "AGENTCG_EXIT_KIND=%" PRIi32, ei->kind,
                        "AGENTCG_EXIT_REASON=%s", ei->reason, "AGENTCG_EXIT_MSG=%s", ei->msg,
                        "AGENTCG_EXIT_CODE=%" PRIi64, (int64_t)ei->exit_code, "AGENTCG_FAILURES=%u",
                        failures, "AGENTCG_RETRY_USEC=%" PRIu64, retry_usec, NULL),
                "scheduler-exited");
}

void sched_journal_reattached(const char *ops, unsigned attempt, uint64_t load_usec)
{
        decision_check(
                sd_journal_send("MESSAGE_ID=" MID_SCHEDULER_REATTACHED, "PRIORITY=%i", LOG_NOTICE,
                                "MESSAGE=sched_ext scheduler '%s' attached again (attempt %u, "
                                "loaded in %" PRIu64 " ms).",
                                ops, attempt, load_usec / 1000, "AGENTCG_SCHEDULER=%s", ops,
                                "AGENTCG_ATTEMPT=%u", attempt, "AGENTCG_LOAD_USEC=%" PRIu64,
                                load_usec, NULL),
                "scheduler-reattached");
}

void sched_journal_retry_failed(const char *ops, unsigned attempt, int error, uint64_t retry_usec)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_SCHEDULER_RETRY_FAILED, "PRIORITY=%i",
                                       LOG_WARNING,
                                       "MESSAGE=Attaching sched_ext scheduler '%s' again failed "
                                       "(attempt %u): %s; next attempt in %" PRIu64 " ms.",
                                       ops, attempt, strerror(-error), retry_usec / 1000,
                                       "AGENTCG_SCHEDULER=%s", ops, "AGENTCG_ATTEMPT=%u", attempt,
                                       "AGENTCG_ERROR=%s", strerror(-error),
                                       "AGENTCG_RETRY_USEC=%" PRIu64, retry_usec, NULL),
                       "scheduler-retry-failed");
}

void sched_journal_gave_up(const char *ops, unsigned failures, uint64_t window_usec)
{
        decision_check(
                sd_journal_send("MESSAGE_ID=" MID_SCHEDULER_GAVE_UP, "PRIORITY=%i", LOG_ERR,
                                "MESSAGE=sched_ext scheduler '%s' failed %u times within %" PRIu64
                                " s; not attaching it again. The fair class enforces cpu.weight "
                                "and cpu.max until the daemon is restarted.",
                                ops, failures, window_usec / 1000000, "AGENTCG_SCHEDULER=%s", ops,
                                "AGENTCG_FAILURES=%u", failures, "AGENTCG_WINDOW_USEC=%" PRIu64,
                                window_usec, NULL),
                "scheduler-gave-up");
}

static void event_throttled(const struct agentcg_event *ev, const char *cgroup)
{
        decision_check(sd_journal_send("MESSAGE_ID=" MID_SCHED_THROTTLED, "PRIORITY=%i", LOG_INFO,
                                       "MESSAGE=%s ran out of its cpu.max budget (%" PRIu64
                                       " times so far); its tasks wait for the next period.",
                                       cgroup, (uint64_t)ev->value, "AGENTCG_CGROUP=%s", cgroup,
                                       "AGENTCG_CGROUP_ID=%" PRIu64, (uint64_t)ev->cgid,
                                       "AGENTCG_THROTTLES=%" PRIu64, (uint64_t)ev->value, NULL),
                       "scheduler-throttled");
}

static void event_boost_exhausted(const struct agentcg_event *ev, const char *cgroup)
{
        decision_check(
                sd_journal_send("MESSAGE_ID=" MID_SCHED_BOOST_EXHAUSTED, "PRIORITY=%i", LOG_INFO,
                                "MESSAGE=%s used up its latency boost credit (%" PRIu64
                                " times so far); it runs at its fair share until the credit "
                                "refills.",
                                cgroup, (uint64_t)ev->value, "AGENTCG_CGROUP=%s", cgroup,
                                "AGENTCG_CGROUP_ID=%" PRIu64, (uint64_t)ev->cgid,
                                "AGENTCG_BOOSTS_EXHAUSTED=%" PRIu64, (uint64_t)ev->value, NULL),
                "scheduler-boost-exhausted");
}

static void event_mem_penalty(const struct agentcg_event *ev, const char *cgroup, bool on)
{
        decision_check(
                sd_journal_send("MESSAGE_ID=" MID_SCHED_MEM_PENALTY, "PRIORITY=%i", LOG_NOTICE,
                                "MESSAGE=%s %s (penalty %" PRIu64 ").", cgroup,
                                on ? "is under memory pressure; it gets a quarter of its CPU "
                                     "weight and half its slice"
                                   : "is out of memory pressure; its CPU weight is back",
                                (uint64_t)ev->value, "AGENTCG_CGROUP=%s", cgroup,
                                "AGENTCG_CGROUP_ID=%" PRIu64, (uint64_t)ev->cgid,
                                "AGENTCG_MEM_PENALTY=%d", on, "AGENTCG_MEM_PENALTIES=%" PRIu64,
                                (uint64_t)ev->value, NULL),
                "scheduler-mem-penalty");
}

void sched_journal_event(const struct agentcg_event *ev, const char *cgroup)
{
        char gone[64];

        if (!cgroup) {
                snprintf(gone, sizeof(gone), "cgroup %" PRIu64 " (gone)", (uint64_t)ev->cgid);
                cgroup = gone;
        }

        switch (ev->kind) {
        case AGENTCG_EV_THROTTLED:
                event_throttled(ev, cgroup);
                break;
        case AGENTCG_EV_BOOST_EXHAUSTED:
                event_boost_exhausted(ev, cgroup);
                break;
        case AGENTCG_EV_MEM_PENALTY_ON:
        case AGENTCG_EV_MEM_PENALTY_OFF:
                event_mem_penalty(ev, cgroup, ev->kind == AGENTCG_EV_MEM_PENALTY_ON);
                break;
        default:
                log_warning("Unknown event kind %u from the scheduler, ignoring", ev->kind);
        }
}

void sched_journal_suppressed(unsigned n, uint64_t window_usec)
{
        decision_check(sd_journal_send(
                               "MESSAGE_ID=" MID_SCHED_EVENTS_SUPPRESSED, "PRIORITY=%i", LOG_NOTICE,
                               "MESSAGE=%u scheduler events were not logged in the past %" PRIu64
                               " s (rate limit); agentcgctl top shows the counters.",
                               n, window_usec / 1000000, "AGENTCG_SUPPRESSED=%u", n,
                               "AGENTCG_WINDOW_USEC=%" PRIu64, window_usec, NULL),
                       "scheduler-events-suppressed");
}
