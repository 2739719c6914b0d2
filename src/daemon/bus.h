/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The org.agentcg1.Manager interface: argument checking and dispatch to
 * the session and step code.  Everything a caller can get wrong is refused
 * here, with an error that says what was wrong, before anything is
 * created.
 */
#pragma once

#include "manager.h"

/* Registers the object and takes the well-known name. */
int bus_publish(Manager *m);
