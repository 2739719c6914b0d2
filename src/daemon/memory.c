/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's memory policy.  It owns the memory observer (the BPF object
 * in bpf/mem/agentcg-mem.bpf.c), whose ring buffer sits on the event loop,
 * so the daemon acts on a step crossing memory.high or losing a process to
 * the OOM killer as the kernel reports it, without polling; the escalation
 * ladder that a step stuck over memory.high climbs (the kernel's throttling,
 * then a freeze and a D-Bus signal for its runtime, then a kill); and the
 * org.agentcg1.Memory interface that carries those signals.
 *
 * The ladder's only state that must survive a restart is a frozen step's
 * kill deadline; it is kept as an xattr on the step's cgroup, the same way
 * the rest of the daemon keeps its records in cgroupfs.
 */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "agentcg-mem.h"
#include "agentcg-mem.skel.h"
#include "cgroup-util.h"
#include "log.h"
#include "manager.h"
#include "mem-decision.h"
#include "memory.h"
#include "names.h"
#include "parse.h"
#include "util.h"

#define MEMORY_INTERFACE "org.agentcg1.Memory"

/* Set on a step while the ladder holds it frozen: CLOCK_REALTIME usec. */
#define XATTR_MEM_FROZEN "trusted.agentcg.mem_frozen_usec"
/* The class a step was created with, when the step records it. */
#define XATTR_CLASS "trusted.agentcg.class"

/* How often a ladder looks again at a step whose next rung is far off or
 * never: to notice that it recovered, was thawed or is gone. */
#define RECHECK_USEC (2 * USEC_PER_SEC)

/* An over-high event this recent means the step is still over. */
#define RECENT_USEC USEC_PER_SEC

typedef enum Rung {
        RUNG_THROTTLE, /* over memory.high; the kernel throttles it */
        RUNG_FROZEN,   /* frozen, waiting for its runtime */
} Rung;

typedef struct Ladder Ladder;

struct MemoryWatch {
        Manager *m;
        struct agentcg_mem_bpf *skel;
        struct ring_buffer *rb;
        sd_event_source *io;
        sd_bus_slot *slot;
        int root_fd;
        Ladder *ladders;
        const char *hooks; /* what the Hooks property says, a literal */
        uint64_t events;
};

struct Ladder {
        Ladder *next;
        MemoryWatch *w;
        uint64_t cgid;
        char *session;
        char *step;
        char *dir;
        Rung rung;
        uint64_t first_usec;  /* CLOCK_MONOTONIC: first event of this run */
        uint64_t last_usec;   /* ... and the latest */
        uint64_t frozen_usec; /* ... and when the ladder froze the step */
        sd_event_source *timer;
};

static uint64_t now_usec(clockid_t clock)
{
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t add_usec(uint64_t a, uint64_t b)
{
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static const ClassConfig *step_class(const Manager *m, const char *dir)
{
        char value[32];
        ssize_t n;
        int c = -EINVAL;

        n = getxattr(dir, XATTR_CLASS, value, sizeof(value) - 1);
        if (n > 0) {
                value[n] = 0;
                c = class_from_string(value);
        }
        return &m->config.classes[c >= 0 ? c : (int)m->config.default_class];
}

/* ---- D-Bus ---- */

static void emit(MemoryWatch *w, const char *member, const char *types, ...)
{
        va_list ap;
        int r;

        if (!w->m->bus)
                return;

        va_start(ap, types);
        r = sd_bus_emit_signalv(w->m->bus, BUS_PATH, MEMORY_INTERFACE, member, types, ap);
        va_end(ap);
        if (r < 0)
                log_warning_errno(r, "Failed to emit %s, ignoring", member);
}

static int property_observer(sd_bus *bus, const char *path, const char *interface,
                             const char *property, sd_bus_message *reply, void *userdata,
                             sd_bus_error *error)
{
        MemoryWatch *w = userdata;

        return sd_bus_message_append(reply, "b", w->skel != NULL);
}

static int property_dropped(sd_bus *bus, const char *path, const char *interface,
                            const char *property, sd_bus_message *reply, void *userdata,
                            sd_bus_error *error)
{
        MemoryWatch *w = userdata;
        uint64_t dropped = w->skel ? w->skel->bss->nr_dropped : 0;

        return sd_bus_message_append(reply, "t", dropped);
}

static const sd_bus_vtable memory_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Hooks", "s", NULL, offsetof(MemoryWatch, hooks),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Observer", "b", property_observer, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Events", "t", NULL, offsetof(MemoryWatch, events), 0),
        SD_BUS_PROPERTY("EventsDropped", "t", property_dropped, 0, 0),
        SD_BUS_SIGNAL_WITH_ARGS("StepMemoryHigh",
                                SD_BUS_ARGS("s", session, "s", step, "t", usage, "t", high), 0),
        SD_BUS_SIGNAL_WITH_ARGS("StepMemoryFrozen",
                                SD_BUS_ARGS("s", session, "s", step, "t", kill_in_usec), 0),
        SD_BUS_SIGNAL_WITH_ARGS("StepMemoryKilled", SD_BUS_ARGS("s", session, "s", step), 0),
        SD_BUS_SIGNAL_WITH_ARGS("StepMemoryOOM",
                                SD_BUS_ARGS("s", session, "s", step, "u", pid, "s", comm), 0),
        SD_BUS_VTABLE_END,
};

/* ---- the ladder ---- */

static Ladder *ladder_free(Ladder *l)
{
        MemoryWatch *w = l->w;

        for (Ladder **p = &w->ladders; *p; p = &(*p)->next)
                if (*p == l) {
                        *p = l->next;
                        break;
                }

        sd_event_source_disable_unref(l->timer);
        free(l->session);
        free(l->step);
        free(l->dir);
        free(l);
        return NULL;
}

static Ladder *ladder_find(MemoryWatch *w, uint64_t cgid)
{
        for (Ladder *l = w->ladders; l; l = l->next)
                if (l->cgid == cgid)
                        return l;
        return NULL;
}

static int ladder_new(MemoryWatch *w, uint64_t cgid, const char *session, const char *step,
                      const char *dir, Ladder **ret)
{
        Ladder *l = calloc(1, sizeof(*l));

        if (!l)
                return -ENOMEM;
        l->w = w;
        l->cgid = cgid;
        l->session = strdup(session);
        l->step = strdup(step);
        l->dir = strdup(dir);
        l->next = w->ladders;
        w->ladders = l;
        if (!l->session || !l->step || !l->dir) {
                ladder_free(l);
                return -ENOMEM;
        }

        *ret = l;
        return 0;
}

static int on_ladder_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* Wakes the ladder at @deadline (CLOCK_MONOTONIC), or at the next recheck
 * if that comes first. */
static int ladder_arm(Ladder *l, uint64_t deadline)
{
        uint64_t when = deadline;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        int r;

        if (when > add_usec(now, RECHECK_USEC))
                when = add_usec(now, RECHECK_USEC);

        if (l->timer) {
                r = sd_event_source_set_time(l->timer, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT);
                return r;
        }
        return sd_event_add_time(l->w->m->event, &l->timer, CLOCK_MONOTONIC, when, 0,
                                 on_ladder_timer, l);
}

static bool step_gone(const Ladder *l)
{
        return access(l->dir, F_OK) < 0;
}

/* Over memory.high right now, by the kernel's event or its counters: a
 * step that allocates no more sends no events, but may still sit above. */
static bool still_over(const Ladder *l, uint64_t now)
{
        _cleanup_free_ char *current = NULL, *high = NULL;
        uint64_t cur, hi;

        if (now - l->last_usec < RECENT_USEC)
                return true;
        if (cg_read(l->dir, "memory.current", &current) < 0 ||
            cg_read(l->dir, "memory.high", &high) < 0 || cg_parse_limit(current, &cur) < 0 ||
            cg_parse_limit(high, &hi) < 0)
                return false;
        return cur > hi;
}

static void set_frozen_mark(const Ladder *l, bool on)
{
        char value[32];
        int n;

        if (!on) {
                if (removexattr(l->dir, XATTR_MEM_FROZEN) < 0 && errno != ENODATA)
                        log_warning("Failed to drop %s on %s: %m", XATTR_MEM_FROZEN, l->dir);
                return;
        }

        n = snprintf(value, sizeof(value), "%" PRIu64, now_usec(CLOCK_REALTIME));
        if (setxattr(l->dir, XATTR_MEM_FROZEN, value, n, 0) < 0)
                log_warning("Failed to mark %s frozen, a restart would forget it: %m", l->dir);
}

static int ladder_freeze(Ladder *l, uint64_t now)
{
        const ClassConfig *c = step_class(l->w->m, l->dir);
        int r;

        r = cg_write(l->dir, "cgroup.freeze", "1");
        if (r < 0)
                return log_warning_errno(r, "Failed to freeze %s over memory.high", l->dir);

        set_frozen_mark(l, true);
        l->rung = RUNG_FROZEN;
        l->frozen_usec = now;
        decision_memory_frozen(l->session, l->step, now - l->first_usec, c->memory_kill_usec);
        emit(l->w, "StepMemoryFrozen", "sst", l->session, l->step, c->memory_kill_usec);
        return ladder_arm(l, add_usec(now, c->memory_kill_usec));
}

static void ladder_kill(Ladder *l, uint64_t now)
{
        int r;

        r = cg_kill(l->dir);
        if (r < 0) {
                log_warning_errno(r, "Failed to kill %s after its memory grace period", l->dir);
                return;
        }

        decision_memory_killed(l->session, l->step, now - l->frozen_usec);
        emit(l->w, "StepMemoryKilled", "ss", l->session, l->step);
}

/* Returns whether the ladder is done with the step. */
static bool ladder_step_throttled(Ladder *l, uint64_t now)
{
        const ClassConfig *c = step_class(l->w->m, l->dir);
        uint64_t freeze_at = add_usec(l->first_usec, c->memory_freeze_usec);

        if (!still_over(l, now)) {
                decision_memory_recovered(l->session, l->step, "back under memory.high");
                return true;
        }
        if (now >= freeze_at)
                return ladder_freeze(l, now) < 0;
        return ladder_arm(l, freeze_at) < 0;
}

/*
 * Whether the runtime thawed the step: cgroup.freeze, the request, is back
 * at 0.  Not cgroup.events' "frozen", which stays 0 until every task has
 * stopped, and a task the kernel throttles over memory.high may take
 * seconds to get there.
 */
static bool thawed_by_runtime(const Ladder *l)
{
        _cleanup_free_ char *freeze = NULL;

        return cg_read(l->dir, "cgroup.freeze", &freeze) < 0 || freeze[0] != '1';
}

static bool ladder_step_frozen(Ladder *l, uint64_t now)
{
        const ClassConfig *c = step_class(l->w->m, l->dir);

        if (thawed_by_runtime(l)) {
                set_frozen_mark(l, false);
                decision_memory_recovered(l->session, l->step, "thawed by its runtime");
                return true;
        }
        if (now >= add_usec(l->frozen_usec, c->memory_kill_usec)) {
                ladder_kill(l, now);
                return true;
        }
        return ladder_arm(l, add_usec(l->frozen_usec, c->memory_kill_usec)) < 0;
}

static int on_ladder_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Ladder *l = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        bool done;

        if (step_gone(l)) {
                ladder_free(l);
                return 0;
        }

        done = l->rung == RUNG_THROTTLE ? ladder_step_throttled(l, now)
                                        : ladder_step_frozen(l, now);
        if (done)
                ladder_free(l);
        return 0;
}

/* First rung: the kernel already throttles the step; record it, tell the
 * runtime, and schedule the freeze. */
static void ladder_start(MemoryWatch *w, uint64_t cgid, const char *session, const char *step,
                         const char *dir, const MemoryEventInfo *e, uint64_t now)
{
        const ClassConfig *c = step_class(w->m, dir);
        Ladder *l;
        int r;

        r = ladder_new(w, cgid, session, step, dir, &l);
        if (r < 0) {
                log_warning_errno(r, "Failed to track %s over memory.high", dir);
                return;
        }

        l->rung = RUNG_THROTTLE;
        l->first_usec = l->last_usec = now;
        decision_memory_high(session, step, e, c->memory_freeze_usec);
        emit(w, "StepMemoryHigh", "sstt", session, step, e->usage, e->high);

        r = ladder_arm(l, add_usec(now, c->memory_freeze_usec));
        if (r < 0) {
                log_warning_errno(r, "Failed to arm the memory ladder of %s", dir);
                ladder_free(l);
        }
}

/* ---- events from the kernel ---- */

/* Splits DIR, an absolute cgroup path, into session and step names if it
 * is a step of an agentcg session. */
static int step_of(const Manager *m, const char *dir, char **ret_session, char **ret_step)
{
        _cleanup_free_ char *prefix = NULL, *unit = NULL, *session = NULL;
        const char *rest, *slash;
        int r;

        if (asprintf(&prefix, "%s/%s/", m->cgroup_root, SLICE_UNIT) < 0)
                return -ENOMEM;
        if (strncmp(dir, prefix, strlen(prefix)) != 0)
                return -EINVAL;

        rest = dir + strlen(prefix);
        slash = strchr(rest, '/');
        if (!slash || strchr(slash + 1, '/') || name_check(slash + 1, NULL) < 0)
                return -EINVAL;

        unit = strndup(rest, slash - rest);
        if (!unit)
                return -ENOMEM;
        r = session_name_from_unit(unit, &session);
        if (r < 0)
                return r;

        *ret_step = strdup(slash + 1);
        if (!*ret_step)
                return -ENOMEM;
        *ret_session = TAKE_PTR(session);
        return 0;
}

/*
 * The kernel's memory.oom.group kill spares processes with oom_score_adj
 * -1000, which some programs give themselves (stress-ng's parent does):
 * the step then lives on without the part that was killed.  A step with
 * memory.oom.group set is meant to go as a whole, so finish the job with
 * cgroup.kill, which no process can opt out of.
 */
static void handle_oom(MemoryWatch *w, const char *session, const char *step, const char *dir,
                       const MemoryEventInfo *e)
{
        _cleanup_free_ char *text = NULL;
        uint64_t group = 0;
        bool killed = false;
        int r;

        if (cg_read(dir, "memory.oom.group", &text) >= 0 && cg_parse_limit(text, &group) >= 0 &&
            group == 1) {
                r = cg_kill(dir);
                if (r < 0 && r != -ENOENT)
                        log_warning_errno(r, "Failed to kill %s after an OOM kill in it", dir);
                killed = r >= 0;
        }

        decision_memory_oom(session, step, e, killed);
        emit(w, "StepMemoryOOM", "ssus", session, step, (uint32_t)e->pid, e->comm);
}

static void handle_event(MemoryWatch *w, const struct agentcg_mem_event *ev)
{
        _cleanup_free_ char *dir = NULL, *session = NULL, *step = NULL;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        char comm[sizeof(ev->comm) + 1] = {};
        MemoryEventInfo e;
        Ladder *l;
        int r;

        memcpy(comm, ev->comm, sizeof(ev->comm));
        e = (MemoryEventInfo){
                .kernel_usec = ev->ts_ns / 1000,
                .reaction_usec = now > ev->ts_ns / 1000 ? now - ev->ts_ns / 1000 : 0,
                .usage = ev->usage,
                .high = ev->high,
                .max = ev->max,
                .pid = (pid_t)ev->pid,
                .comm = comm,
        };

        /* Sessions themselves and cgroups already gone are not escalated;
         * the kernel's own limits still hold them. */
        r = cg_path_from_id(w->root_fd, ev->cgid, &dir);
        if (r < 0) {
                if (r != -ESTALE && r != -ENOENT)
                        log_warning_errno(
                                r, "Cannot find cgroup %" PRIu64 " of a memory event, ignoring",
                                ev->cgid);
                return;
        }
        if (step_of(w->m, dir, &session, &step) < 0) {
                log_debug("Memory event in %s, which is not a step; left to the kernel", dir);
                return;
        }

        if (ev->kind == AGENTCG_MEM_OOM) {
                handle_oom(w, session, step, dir, &e);
                return;
        }
        if (ev->kind != AGENTCG_MEM_HIGH || !w->m->config.memory_escalation)
                return;

        l = ladder_find(w, ev->cgid);
        if (l)
                l->last_usec = now;
        else
                ladder_start(w, ev->cgid, session, step, dir, &e, now);
}

static int on_ring_event(void *ctx, void *data, size_t size)
{
        MemoryWatch *w = ctx;

        if (size < sizeof(struct agentcg_mem_event))
                return 0;
        w->events++;
        handle_event(w, data);
        return 0;
}

static int on_ring_ready(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        MemoryWatch *w = userdata;
        int r;

        r = ring_buffer__consume(w->rb);
        if (r < 0)
                log_warning_errno(r, "Failed to read the memory observer's events");
        return 0;
}

/* ---- start and stop ---- */

/* Which memcg_bpf_ops the kernel offers, from its BTF; the hook names
 * tell the patch versions apart (see TESTBED.md). */
static void detect_hooks(MemoryWatch *w, const char **reason)
{
        struct btf *btf = btf__load_vmlinux_btf();
        const struct btf_type *t;
        int id;

        w->hooks = "observer";
        *reason = "the kernel has no memcg_bpf_ops (not in mainline): the kernel's "
                  "memory.high and memory.max, the observer and the escalation ladder";
        if (!btf) {
                *reason = "the kernel's BTF is unreadable: no memcg_bpf_ops detection";
                return;
        }

        id = btf__find_by_name_kind(btf, "memcg_bpf_ops", BTF_KIND_STRUCT);
        if (id > 0) {
                t = btf__type_by_id(btf, id);
                for (int i = 0; i < btf_vlen(t); i++) {
                        const char *name = btf__name_by_offset(btf, btf_members(t)[i].name_off);

                        if (streq(name, "get_high_delay_ms"))
                                w->hooks = "observer (memcg_bpf_ops v3-v6 present)";
                        else if (streq(name, "memcg_charged"))
                                w->hooks = "observer (memcg_bpf_ops v7 present)";
                }
                *reason = "the kernel has memcg_bpf_ops, but agentcg loads no program for it "
                          "yet: the observer and the escalation ladder govern memory";
        }
        btf__free(btf);
}

static int load_observer(MemoryWatch *w)
{
        _cleanup_free_ char *slice = NULL;
        uint64_t slice_id;
        int r;

        if (asprintf(&slice, "%s/%s", w->m->cgroup_root, SLICE_UNIT) < 0)
                return -ENOMEM;
        r = cg_id(slice, &slice_id);
        if (r < 0)
                return log_warning_errno(r, "Failed to find the cgroup id of %s", slice);

        w->skel = agentcg_mem_bpf__open();
        if (!w->skel)
                return log_warning_errno(-errno, "Failed to open the memory observer");

        /* agentcg.slice sits right below the root: level 1. */
        w->skel->rodata->watch_cgid = slice_id;
        w->skel->rodata->watch_level = 1;

        r = agentcg_mem_bpf__load(w->skel);
        if (r < 0)
                return log_warning_errno(r, "Failed to load the memory observer");
        r = agentcg_mem_bpf__attach(w->skel);
        if (r < 0)
                return log_warning_errno(r, "Failed to attach the memory observer");

        w->rb = ring_buffer__new(bpf_map__fd(w->skel->maps.events), on_ring_event, w, NULL);
        if (!w->rb)
                return log_warning_errno(-errno, "Failed to open the memory event ring buffer");

        return sd_event_add_io(w->m->event, &w->io, ring_buffer__epoll_fd(w->rb), EPOLLIN,
                               on_ring_ready, w);
}

static void unload_observer(MemoryWatch *w)
{
        w->io = sd_event_source_disable_unref(w->io);
        ring_buffer__free(w->rb);
        w->rb = NULL;
        agentcg_mem_bpf__destroy(w->skel);
        w->skel = NULL;
}

/* A step the ladder froze before a restart: pick up its kill deadline. */
static void restore_one(MemoryWatch *w, const char *session, const char *step, const char *dir)
{
        char value[32];
        uint64_t frozen_at, cgid, frozen = 0, now = now_usec(CLOCK_MONOTONIC);
        uint64_t elapsed, real = now_usec(CLOCK_REALTIME);
        ssize_t n;
        Ladder *l;

        n = getxattr(dir, XATTR_MEM_FROZEN, value, sizeof(value) - 1);
        if (n <= 0)
                return;
        value[n] = 0;

        if (cg_read_key(dir, "cgroup.events", "frozen", &frozen) < 0 || !frozen ||
            parse_uint64(value, &frozen_at) < 0 || cg_id(dir, &cgid) < 0 ||
            ladder_new(w, cgid, session, step, dir, &l) < 0) {
                (void)removexattr(dir, XATTR_MEM_FROZEN);
                return;
        }

        elapsed = real > frozen_at ? real - frozen_at : 0;
        l->rung = RUNG_FROZEN;
        l->frozen_usec = now > elapsed ? now - elapsed : 0;
        l->first_usec = l->last_usec = l->frozen_usec;
        if (ladder_arm(l, add_usec(l->frozen_usec, step_class(w->m, dir)->memory_kill_usec)) < 0)
                ladder_free(l);
}

static void restore_frozen(MemoryWatch *w)
{
        _cleanup_(strv_freep) char **units = NULL;
        _cleanup_free_ char *slice = NULL;

        if (asprintf(&slice, "%s/%s", w->m->cgroup_root, SLICE_UNIT) < 0 ||
            cg_children(slice, &units) < 0)
                return;

        for (char **u = units; *u; u++) {
                _cleanup_(strv_freep) char **steps = NULL;
                _cleanup_free_ char *session = NULL, *sdir = NULL;

                if (session_name_from_unit(*u, &session) < 0 ||
                    session_dir(w->m, session, &sdir) < 0 || cg_children(sdir, &steps) < 0)
                        continue;
                for (char **s = steps; *s; s++) {
                        _cleanup_free_ char *dir = NULL;

                        if (name_check(*s, NULL) >= 0 && step_dir(w->m, session, *s, &dir) >= 0)
                                restore_one(w, session, *s, dir);
                }
        }
}

int memory_start(Manager *m)
{
        _cleanup_(memory_freep) MemoryWatch *w = NULL;
        const char *reason;
        int r;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->m = m;
        w->root_fd = -EBADF;

        /* Not O_PATH: open_by_handle_at() refuses such an fd (EBADF). */
        w->root_fd = open(m->cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (w->root_fd < 0)
                return log_error_errno(-errno, "Failed to open %s", m->cgroup_root);

        detect_hooks(w, &reason);
        r = load_observer(w);
        if (r < 0) {
                /* Without the observer the kernel's limits still hold;
                 * only the ladder and the coupling signal are lost. */
                unload_observer(w);
                w->hooks = "none";
                reason = "the memory observer could not load: memory.high and memory.max "
                         "only, no escalation";
        }
        decision_memory_hooks(w->hooks, reason);

        restore_frozen(w);

        r = sd_bus_add_object_vtable(m->bus, &w->slot, BUS_PATH, MEMORY_INTERFACE, memory_vtable,
                                     w);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s", MEMORY_INTERFACE);

        m->memory = TAKE_PTR(w);
        return 0;
}

int memory_pressure_fd(const Manager *m)
{
        if (!m->memory || !m->memory->skel)
                return -EBADF;
        return bpf_map__fd(m->memory->skel->maps.mem_pressure);
}

MemoryWatch *memory_free(MemoryWatch *w)
{
        if (!w)
                return NULL;

        while (w->ladders)
                ladder_free(w->ladders);
        sd_bus_slot_unref(w->slot);
        unload_observer(w);
        if (w->root_fd >= 0)
                close(w->root_fd);
        free(w);
        return NULL;
}
