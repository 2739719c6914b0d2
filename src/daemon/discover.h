/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Units that land in agentcg.slice without the API (systemd-run
 * --slice=agentcg.slice, docker run --cgroup-parent=agentcg.slice, ...):
 * found through the slice directory, governed with the default class's
 * limits through systemd, and logged when they come and go.
 */
#pragma once

#include "manager.h"

/* Watches agentcg.slice for new and removed units and adopts those that
 * exist already.  Call after the configuration is loaded. */
int discover_start(Manager *m);

/* True if the child cgroup NAME of agentcg.slice is a unit the daemon did
 * not create (anything but agentcg-*.scope). */
bool discover_is_foreign(const char *name);
