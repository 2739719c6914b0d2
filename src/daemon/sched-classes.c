/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Step classes for the scheduler.  The scheduler keys its per-step policy
 * (slice length, latency boost) on a map from cgroup id to class, which
 * the daemon fills when it creates a step.  Like everything else about a
 * step, the class is kept on the step's cgroup (step-settings.c records
 * it as an extended attribute), so a restarted daemon, or a scheduler
 * attached again after an exit, gets the map back by walking
 * agentcg.slice.
 *
 * Slices: a step someone is waiting on runs in short slices, so a wake-up
 * behind it waits less; batch and best-effort work keeps the scheduler's
 * default slice, which costs fewer context switches.  Boosts: a class with
 * LatencyBoost=yes may, after a wake-up, run up to boost_ns of CPU time
 * ahead of its fair share, paid from a credit the scheduler refills slowly
 * (see bpf/agentcg.bpf.c), so batch work is never starved.
 */
#include <errno.h>
#include <sched.h>

#include "cgroup-util.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "sched-classes.h"
#include "scheduler.h"
#include "step-settings.h"
#include "util.h"

#define NSEC_PER_MSEC UINT64_C(1000000)

_Static_assert((int)AGENTCG_NR_CLASSES == (int)_CLASS_MAX,
               "agentcg.h and conf.h disagree on the classes");
_Static_assert((int)AGENTCG_CLASS_INTERACTIVE == (int)CLASS_INTERACTIVE &&
                       (int)AGENTCG_CLASS_LATENCY == (int)CLASS_LATENCY &&
                       (int)AGENTCG_CLASS_BATCH == (int)CLASS_BATCH &&
                       (int)AGENTCG_CLASS_BESTEFFORT == (int)CLASS_BESTEFFORT,
               "agentcg.h and conf.h number the classes differently");

static const struct agentcg_class_params class_table[_CLASS_MAX] = {
        [CLASS_INTERACTIVE] = {.slice_ns = 2 * NSEC_PER_MSEC, .boost_ns = 10 * NSEC_PER_MSEC},
        [CLASS_LATENCY] = {.slice_ns = 3 * NSEC_PER_MSEC, .boost_ns = 5 * NSEC_PER_MSEC},
        [CLASS_BATCH] = {.slice_ns = 5 * NSEC_PER_MSEC, .boost_ns = 5 * NSEC_PER_MSEC},
        [CLASS_BESTEFFORT] = {.slice_ns = 5 * NSEC_PER_MSEC, .boost_ns = 2 * NSEC_PER_MSEC},
};

void sched_class_params(const Config *c, struct agentcg_class_params ret[AGENTCG_NR_CLASSES])
{
        for (int i = 0; i < _CLASS_MAX; i++) {
                ret[i] = class_table[i];
                if (!c->classes[i].latency_boost)
                        ret[i].boost_ns = 0;
        }
}

static int tell_scheduler(Manager *m, const char *dir, Class class)
{
        uint64_t cgid;
        int r;

        if (!m->scheduler)
                return 0;
        r = cg_id(dir, &cgid);
        if (r < 0)
                return r;
        return scheduler_set_class(m->scheduler, cgid, (unsigned)class);
}

/* The kernel's SCHED_EXT; glibc 2.36 has no name for it. */
#define POLICY_SCHED_EXT 7

void sched_place_task(Manager *m, pid_t pid)
{
        struct sched_param param = { .sched_priority = 0 };

        if (!m->config.scheduler_partial)
                return;
        if (sched_setscheduler(pid, POLICY_SCHED_EXT, &param) < 0)
                log_warning("Cannot put PID %d in SCHED_EXT for partial mode, it stays "
                            "with the fair class: %m", (int)pid);
}

void sched_step_class(Manager *m, const char *dir, Class class)
{
        int r = tell_scheduler(m, dir, class);

        if (r < 0)
                log_warning_errno(r, "Cannot tell the scheduler the class of %s, ignoring", dir);
}

static void restore_session(Manager *m, const char *session)
{
        _cleanup_(strv_freep) char **steps = NULL;
        _cleanup_free_ char *sdir = NULL;
        int r;

        if (session_dir(m, session, &sdir) < 0 || cg_children(sdir, &steps) < 0)
                return;

        for (char **st = steps; *st; st++) {
                _cleanup_free_ char *dir = NULL;
                Class class;

                if (name_check(*st, NULL) < 0 || asprintf(&dir, "%s/%s", sdir, *st) < 0)
                        continue;
                r = step_settings_recorded_class(dir, &class);
                if (r == -ENODATA)
                        continue; /* none recorded: batch, like any unclassed cgroup */
                if (r >= 0)
                        r = tell_scheduler(m, dir, class);
                if (r < 0)
                        log_warning_errno(r, "Cannot restore the class of step %s/%s", session,
                                          *st);
        }
}

void sched_classes_restore(Manager *m)
{
        _cleanup_(strv_freep) char **units = NULL;
        _cleanup_free_ char *slice = NULL;
        int r;

        if (asprintf(&slice, "%s/%s", m->cgroup_root, SLICE_UNIT) < 0) {
                log_error("Out of memory; steps keep the default class in the scheduler");
                return;
        }

        r = cg_children(slice, &units);
        if (r == -ENOENT)
                return;
        if (r < 0) {
                log_warning_errno(r, "Cannot list %s; steps keep the default class", slice);
                return;
        }

        for (char **u = units; *u; u++) {
                _cleanup_free_ char *session = NULL;

                if (session_name_from_unit(*u, &session) >= 0)
                        restore_session(m, session);
        }
}
