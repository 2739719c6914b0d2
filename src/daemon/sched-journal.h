/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Journal entries for what happens to the scheduler while the daemon runs:
 * its exits, the reattach attempts that follow and the point where the
 * daemon stops trying.  One entry per decision with a MESSAGE_ID from
 * catalog/agentcg.catalog, as in decision.h, which keeps the entries for
 * attaching and detaching at start and stop.
 */
#pragma once

#include <stdint.h>

#include "agentcg.h"

/* Keep in sync with catalog/agentcg.catalog. */
#define MID_SCHEDULER_EXITED "7fa8048787714eed87cc3fab88b67d59"
#define MID_SCHEDULER_REATTACHED "e97dd4f81515413a9e108c95a2d9646c"
#define MID_SCHEDULER_GAVE_UP "44892475306844d79aa7d8cfba0caef0"
#define MID_SCHEDULER_RETRY_FAILED "bc335c949ca64d908a40f5ac11bbc501"
#define MID_SCHED_THROTTLED "b95fa0adc77943e5a118b415e7970cf2"
#define MID_SCHED_BOOST_EXHAUSTED "405879a3ed984010a3cba855d07cc3ac"
#define MID_SCHED_MEM_PENALTY "d6349b7235d44e02ad2abac46b3a4d80"
#define MID_SCHED_EVENTS_SUPPRESSED "86fb33b762494fbf9ca12088b495f71e"

/* The kernel stopped the scheduler; @retry_usec is the wait before the
 * next attempt, 0 if there is none. */
void sched_journal_exited(const char *ops, const struct agentcg_exit_info *ei, unsigned failures,
                          uint64_t retry_usec);

/* An attempt to attach again after an exit succeeded (@attempt counts from
 * 1 since the latest exit) or failed with @error. */
void sched_journal_reattached(const char *ops, unsigned attempt, uint64_t load_usec);
void sched_journal_retry_failed(const char *ops, unsigned attempt, int error, uint64_t retry_usec);

/* Too many failures within @window_usec: no more attempts. */
void sched_journal_gave_up(const char *ops, unsigned failures, uint64_t window_usec);

/* A decision of note the scheduler made about the cgroup @cgroup (its
 * path below the cgroupfs root, or NULL if it is gone). */
void sched_journal_event(const struct agentcg_event *ev, const char *cgroup);

/* @n events were not logged in the past @window_usec: rate limit. */
void sched_journal_suppressed(unsigned n, uint64_t window_usec);
