/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The manager: the daemon's one long-lived object.  It holds the event
 * loop, the bus connection, the scheduler and the requests that wait for
 * systemd or for a cgroup to empty.  It keeps no table of sessions or
 * steps: those are directories under agentcg.slice, and cgroupfs is the
 * record, so nothing is lost when the daemon restarts.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "scheduler.h"

#define BUS_NAME "org.agentcg1"
#define BUS_PATH "/org/agentcg1"
#define BUS_INTERFACE "org.agentcg1.Manager"
#define BUS_ERROR(x) "org.agentcg1.Error." x

#define SLICE_UNIT "agentcg.slice"
#define CGROUP_ROOT "/sys/fs/cgroup"

/* How long a caller waits for systemd or for a step to empty before the
 * daemon gives up on its behalf.  Generous, since a TCG guest is slow, but
 * below agentcgctl's 120 s so its caller sees the daemon's reason. */
#define REQUEST_TIMEOUT_USEC (90ULL * 1000 * 1000)

typedef struct Request Request;
typedef struct StepWatch StepWatch;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        Scheduler *scheduler; /* NULL while the fair class is in charge */
        struct SchedSupervisor *sched_supervisor;
        struct MemoryWatch *memory; /* memory.c: observer and ladder */
        char *cgroup_root;
        char *config_dir;
        Config config;
        Request *requests;
        StepWatch *step_watches;
        /* Steps that ended on their own, so an EndStep that comes a moment
         * later still gets their usage; a small ring, newest last. */
        struct RecentEnd *recent_ends;
        unsigned recent_next;
} Manager;

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
int manager_start(Manager *m);
int manager_run(Manager *m);

/* Reads the configuration again; on success it replaces the active one,
 * on failure the old one stays and *ret_error says FILE:LINE and why. */
int manager_reload(Manager *m, char **ret_error);

static inline void manager_freep(Manager **m)
{
        manager_free(*m);
}

/* Paths of the objects a name refers to.  Absolute paths are for file
 * access; the "cgroup" form (relative to the cgroupfs root, starting with
 * '/') is what the API reports, as systemd does. */
int session_unit_name(const char *session, char **ret);
/* "agentcg-NAME.scope" -> "NAME", if NAME is a valid session name. */
int session_name_from_unit(const char *unit, char **ret);
int session_cgroup(const char *session, char **ret);
int session_dir(const Manager *m, const char *session, char **ret);
int step_cgroup(const char *session, const char *step, char **ret);
int step_dir(const Manager *m, const char *session, const char *step, char **ret);
