/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One bus object per session and per step, at
 *   /org/agentcg1/session/NAME              (org.agentcg1.Session)
 *   /org/agentcg1/session/NAME/step/STEP    (org.agentcg1.Step)
 * with NAME and STEP escaped by sd_bus_path_encode().  They exist exactly
 * while the cgroups do: the objects are answered by a fallback vtable that
 * looks at cgroupfs on every call, so there is no table to go stale.
 */
#pragma once

#include "manager.h"

#define SESSION_OBJECT_PREFIX BUS_PATH "/session"
#define SESSION_INTERFACE "org.agentcg1.Session"
#define STEP_INTERFACE "org.agentcg1.Step"

/* Registers both interfaces and the node enumerator. */
int bus_object_publish(Manager *m);

int session_object_path(const char *session, char **ret);
int step_object_path(const char *session, const char *step, char **ret);
