/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Talking to systemd: transient scopes for sessions, stopping them, and
 * waiting for the jobs that do both.  The daemon never writes into cgroups
 * systemd owns; it asks systemd for units and properties instead.
 */
#pragma once

#include "request.h"

/* Subscribe to systemd's job signals; call once at start. */
int unit_watch_jobs(Manager *m);

/* Make sure agentcg.slice is active so its cgroup exists. */
int unit_start_slice(Manager *m);

/* Start the session's scope adopting R->pid, or stop it.  R->unit names the
 * unit.  When the job is gone, R->job_done runs with systemd's result; a
 * failed call is answered to the caller directly.  A stop of a unit that
 * no longer exists completes with the result "gone". */
int unit_start_scope(Request *r);
int unit_stop(Request *r);
