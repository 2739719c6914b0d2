/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Who may do what.  Root, and callers polkit authorizes for
 * org.agentcg1.manage-all, manage everything.  Anyone else manages only
 * the sessions they created, places only their own processes, and is
 * bounded by the per-user quotas of agentcg.conf.
 *
 * The access_*() checks return 0 if the call may go on, 1 if they refused
 * it (the caller has its answer, with a specific org.agentcg1.Error.*),
 * negative errno on failure: what method handlers pass back to sd-bus.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "manager.h"
#include "step-settings.h"

#define POLKIT_ACTION_MANAGE_ALL "org.agentcg1.manage-all"

/* The caller's effective uid and PID, from the bus's credentials of the
 * sender (never from anything the caller passed). */
int caller_uid(sd_bus_message *call, uid_t *ret);
int caller_pid(sd_bus_message *call, pid_t *ret);

/* 1 if the caller is root or polkit authorizes it, 0 if not (with *why
 * saying why, for the refusal), negative errno on failure. */
int caller_is_admin(sd_bus_message *call, const char **why);

/* Calls that only an administrator may make: Reload, budgets. */
int access_admin(sd_bus_message *call, const char *what);

/* The caller owns the session, or is an administrator.  A session that
 * does not exist passes: the method refuses it with NoSuchSession. */
int access_session(Manager *m, sd_bus_message *call, const char *session);

/* The process of PIDFD (PID) runs as the caller's uid, or the caller is
 * an administrator.  NoSuchProcess if it exited. */
int access_process(sd_bus_message *call, int pidfd, pid_t pid);

/* The PID behind a pidfd, from its fdinfo: -ESRCH once the process has
 * exited, -EBADF if the fd is no pidfd. */
int pidfd_to_pid(int pidfd, pid_t *ret);

/* The per-user quotas of agentcg.conf, for callers that are not
 * administrators: TooManySessions, TooManySteps, MemoryQuotaExceeded. */
int access_session_quota(Manager *m, sd_bus_message *call);
int access_step_quota(Manager *m, sd_bus_message *call, const StepSettings *settings);

/* Whether a caller with UID sees SESSION in listings and on the bus. */
bool access_visible(const Manager *m, uid_t uid, const char *session);
