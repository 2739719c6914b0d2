/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sessions: one delegated transient scope per agent session.  The bus
 * layer has validated names and values before these run; these check what
 * only the system can tell (does it exist, did systemd agree) and answer
 * the caller.
 */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "manager.h"

int session_create(Manager *m, sd_bus_message *call, const char *name, pid_t pid);
int session_end(Manager *m, sd_bus_message *call, const char *name);
int session_exists(const Manager *m, const char *name);

/* 0 if the session exists; otherwise refuses CALL with NoSuchSession and
 * returns 1 (negative errno on failure), like a method handler. */
int session_require(const Manager *m, sd_bus_message *call, const char *name);

/* SessionNew or SessionRemoved. */
void emit_session_signal(Manager *m, const char *member, const char *session);
