/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rules for session and step names.  A name becomes a unit name
 * (agentcg-NAME.scope) and a directory in cgroupfs, so the rules keep it
 * from escaping its parent, from shadowing a cgroup interface file and
 * from colliding with the directories the daemon reserves.
 */
#pragma once

#include <stdbool.h>

#define NAME_MAX_LEN 64

/* The leaf that holds the processes a session adopted; no step may take
 * this name. */
#define SUPERVISOR_CGROUP "supervisor"

/* Returns 0 if NAME is acceptable, -EINVAL otherwise with *reason set to a
 * static phrase that completes "name 'x' ...". */
int name_check(const char *name, const char **reason);

/* True if NAME looks like a cgroup interface file: "<prefix>.<rest>" where
 * prefix is "cgroup" or a controller name. */
bool name_is_interface_file(const char *name);
