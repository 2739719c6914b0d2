/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Journal entries for the daemon's decisions.  Each decision is one entry
 * with a MESSAGE_ID from catalog/agentcg.catalog and AGENTCG_* fields, so
 * `journalctl MESSAGE_ID=...` or `journalctl AGENTCG_SESSION=foo` finds
 * it without parsing the message text.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "step-settings.h"
#include "step-usage.h"

/* Keep in sync with catalog/agentcg.catalog. */
#define MID_SCHEDULER_ATTACHED "353394fbed3f4886a2f0339a1e18547f"
#define MID_CGROUP_ONLY "92eaad95e6044053bdc60c35ed034ec6"
#define MID_SESSION_CREATED "a4e0719ce7d5484caeeb2711b50a055f"
#define MID_SESSION_ENDED "63b7002dac554f0f9ee93a389c5aaf3e"
#define MID_STEP_CREATED "e17b0df9a75c44a9a19f4b4e66f5b6cb"
#define MID_PROCESS_PLACED "00827d2a7f394d7fb742fc4ab44f328c"
#define MID_STEP_ENDED "365902cd99ef496ba5e1bd2f3e7b73bb"
#define MID_REQUEST_REFUSED "0d420c18c3154da5aeb33abf3229d50a"
#define MID_SCHEDULER_DETACHED "e86ec58530c34690a9c95fc0ebbc9da8"
#define MID_STEP_FROZEN "e98c6096b092453ab77093ef73da0ef4"
#define MID_STEP_KILLED "6a0a01a0bebf4bfa9aa9f783f962421e"
#define MID_CONFIG_LOADED "6e92ac6d559c4d27aa79fcdf971f4ccd"
#define MID_CONFIG_REJECTED "227da1fb6a894c49941d48da508ad81c"
#define MID_UNIT_DISCOVERED "6254ff86b5364951ac0f203840fe64c5"
#define MID_UNIT_GONE "3eaabd965c484249a057e9eb56351c8d"

/* What every decision does with sd_journal_send()'s result: a decision
 * stands even if the journal could not take it, so a failure is only
 * reported on stderr, naming the decision. */
void decision_check(int r, const char *what);

void decision_scheduler_attached(const char *ops, uint64_t load_usec);
void decision_cgroup_only(const char *reason);
void decision_scheduler_detached(const char *ops, const char *reason);
void decision_session_created(const char *session, const char *unit, const char *cgroup,
                              pid_t pid);
void decision_session_ended(const char *session, const char *unit, const char *result);
void decision_step_created(const char *session, const char *step, const char *cgroup,
                           const StepSettings *s);
void decision_process_placed(const char *session, const char *step, pid_t pid);
void decision_step_ended(const char *session, const char *step, const StepUsage *u);
void decision_step_frozen(const char *session, const char *step, bool frozen);
void decision_step_killed(const char *session, const char *step);
void decision_config_loaded(bool reload);
void decision_config_rejected(const char *error, bool reload);
void decision_unit_discovered(const char *unit, const char *class);
void decision_unit_gone(const char *unit);
void decision_request_refused(const char *method, const char *sender, const char *error,
                              const char *message);
