/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The org.agentcg1.Manager interface: argument checking and dispatch to
 * the session and step code.  Everything a caller can get wrong is refused
 * here, with an error that says what was wrong, before anything is
 * created.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "manager.h"

/* Registers the manager object and the session and step objects, and
 * takes the well-known name. */
int bus_publish(Manager *m);

/* The checks and the work behind methods that the manager and the
 * session and step objects share; names are already valid.  Like method
 * handlers they return 1 once CALL is answered or taken over, negative
 * errno on failure. */
int bus_session_end(Manager *m, sd_bus_message *call, const char *session);
/* Reads the a(sv) budget from CALL. */
int bus_session_set_budget(Manager *m, sd_bus_message *call, const char *session);
int bus_step_end(Manager *m, sd_bus_message *call, const char *session, const char *step,
                 uint64_t grace_usec);
int bus_step_freeze(Manager *m, sd_bus_message *call, const char *session, const char *step,
                    bool freeze);
int bus_step_kill(Manager *m, sd_bus_message *call, const char *session, const char *step);
