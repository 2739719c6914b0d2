/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * agentcgctl's side of the org.agentcg1.Manager interface (docs/DBUS.md):
 * one function per method, each a blocking call on the system bus, plus
 * the one place where a failed call is turned into a message for the user.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "ctl.h"
#include "util.h"

#define AGENTCG_BUS_NAME "org.agentcg1"
#define AGENTCG_OBJECT_PATH "/org/agentcg1"
#define AGENTCG_INTERFACE "org.agentcg1.Manager"
#define AGENTCG_ERROR(name) "org.agentcg1.Error." name

/* The daemon replies only once systemd's job finished, which on a slow
 * (emulated) machine takes far longer than sd-bus's default of 25 s. */
#define CTL_CALL_TIMEOUT_USEC (120ULL * 1000 * 1000)

/* Cleared by --no-ask-password: whether a method call may wait for the
 * user to authenticate through polkit. */
extern bool arg_ask_password;

/* A session or a step as the List methods report it. */
struct ctl_entry {
        char *name;
        char *cgroup;
};

struct ctl_list {
        struct ctl_entry *entries;
        size_t n;
};

void ctl_list_done(struct ctl_list *l);

/* Connects to the system bus (or to $DBUS_SYSTEM_BUS_ADDRESS, which sd-bus
 * honours) and prints why if that fails. */
int ctl_bus_open(sd_bus **ret);

/* Prints "agentcgctl: <what>: <message>" for a failed call, what being
 * formatted from FMT, adds a hint when the error has a common cause, and
 * returns R.  ERROR may be unset (a local failure), in which case the
 * message is the text of the negative errno R. */
int ctl_log_bus_error(const sd_bus_error *error, int r, const char *fmt, ...)
        _printf_(3, 4);

int ctl_create_session(sd_bus *bus, const char *name, pid_t pid, char **ret_unit,
                       char **ret_cgroup, sd_bus_error *error);
int ctl_end_session(sd_bus *bus, const char *name, sd_bus_error *error);

/* RET_FD, if not NULL, gets a directory fd of the step's cgroup. */
int ctl_create_step(sd_bus *bus, const char *session, const char *step,
                    const struct ctl_limits *limits, char **ret_cgroup, int *ret_fd,
                    sd_bus_error *error);
int ctl_add_process(sd_bus *bus, const char *session, const char *step, pid_t pid,
                    sd_bus_error *error);
/* RET_USAGE, if not NULL, gets the reply: the step's usage as a{sv}. */
int ctl_end_step(sd_bus *bus, const char *session, const char *step, uint64_t grace_usec,
                 sd_bus_message **ret_usage, sd_bus_error *error);

/* Prints a usage a{sv} as KEY=VALUE lines. */
int ctl_print_usage(sd_bus_message *usage);
/* Calls METHOD (FreezeStep, ThawStep, KillStep) on a step. */
int ctl_step_call(sd_bus *bus, const char *method, const char *session, const char *step,
                  sd_bus_error *error);

/* Both lists come back sorted by name. */
int ctl_list_sessions(sd_bus *bus, struct ctl_list *ret, sd_bus_error *error);
int ctl_list_steps(sd_bus *bus, const char *session, struct ctl_list *ret, sd_bus_error *error);

int ctl_get_property(sd_bus *bus, const char *name, char **ret, sd_bus_error *error);

/* GetAll of the session's (STEP NULL) or the step's object: an a{sv}. */
int ctl_get_object(sd_bus *bus, const char *session, const char *step, sd_bus_message **ret,
                   sd_bus_error *error);
