/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sessions: one delegated transient scope per agent session.  The bus
 * layer has validated names and values and checked the caller's rights
 * before these run; these check what only the system can tell (does it
 * exist, did systemd agree) and answer the caller.
 */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "manager.h"
#include "session-budget.h"

/* Starts the scope adopting PID.  PIDFD (taken over, may be -EBADF for
 * none) names the same process: the session is refused if it exited
 * before systemd adopted it.  OWNER is recorded on the session's cgroup.
 * A CreateSessionWithProperties call's budget is set before the reply. */
int session_create(Manager *m, sd_bus_message *call, const char *name, pid_t pid, int pidfd,
                   uid_t owner);
int session_end(Manager *m, sd_bus_message *call, const char *name);
int session_exists(const Manager *m, const char *name);

/* Sets BUDGET on the session's scope through systemd (SetUnitProperties,
 * runtime) and answers CALL once systemd did. */
int session_set_budget(Manager *m, sd_bus_message *call, const char *name,
                       const SessionBudget *budget);

/* The uid that created the session; 0 for a session without the record. */
int session_owner(const Manager *m, const char *name, uid_t *ret);

/* The names of the sessions made through the API (not foreign units), as
 * a NULL-terminated array. */
int session_list(const Manager *m, char ***ret);

/* 0 if the session exists; otherwise refuses CALL with NoSuchSession and
 * returns 1 (negative errno on failure), like a method handler. */
int session_require(const Manager *m, sd_bus_message *call, const char *name);

/* SessionNew or SessionRemoved. */
void emit_session_signal(Manager *m, const char *member, const char *session);
