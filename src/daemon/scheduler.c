/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Loads agentcg's sched_ext scheduler (bpf/agentcg.bpf.c) through its
 * libbpf skeleton and holds the struct_ops link that keeps it in the
 * kernel.  Destroying the link is what hands the CPUs back to the fair
 * scheduler, so a daemon that dies without cleaning up loses the scheduler
 * with its file descriptors: the kernel never keeps a scheduler whose
 * manager is gone.
 *
 * The scheduler reports through two ring buffers, its exit record
 * (exit_ring) and its decisions of note (events), which one libbpf
 * ring_buffer multiplexes behind a single epoll fd for the event loop.
 *
 * libbpf's warnings go to stderr; its debug chatter is dropped.  When the verifier
 * rejects a program, its log is what the operator needs, so libbpf is
 * given a buffer of ours to write it to and we log it at error level.
 */
#include <errno.h>
#include <stdarg.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "scheduler.h"
#include "util.h"

#include "agentcg.skel.h"

#define SCX_SYSFS "/sys/kernel/sched_ext"

/* The kernel keeps the tail of a longer log, which holds the error. */
#define VERIFIER_LOG_SIZE (64 * 1024)

struct Scheduler {
        struct agentcg_bpf *skel;
        struct bpf_link *link;
        struct ring_buffer *rings; /* exit_ring and events, behind one epoll fd */
        void (*on_event)(const struct agentcg_event *ev, void *userdata);
        void *userdata;
        bool exited;
        struct agentcg_exit_info exit;
};

/* One sd-daemon prefix per line, or journald files the rest as info. */
static void log_lines(const char *prefix, const char *text)
{
        const char *eol;

        for (; *text; text = eol + 1) {
                eol = strchrnul(text, '\n');
                fprintf(stderr, "%s%.*s\n", prefix, (int)(eol - text), text);
                if (!*eol)
                        break;
        }
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
        char line[1024];

        /* Its debug output runs to a hundred thousand lines per load;
         * warnings are what an operator needs, and the verifier log is
         * collected separately. */
        if (level == LIBBPF_DEBUG)
                return 0;

        vsnprintf(line, sizeof(line), fmt, ap);
        log_lines(level == LIBBPF_WARN ? SD_WARNING "libbpf: " : SD_INFO "libbpf: ", line);
        return 0;
}

bool scheduler_supported(void)
{
        return access(SCX_SYSFS, F_OK) == 0;
}

const char *scheduler_ops_name(void)
{
        return AGENTCG_OPS_NAME;
}

/* Reads the first line of a sysfs file, without its newline. */
static int read_line(const char *path, char *buf, size_t n)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");

        if (!f)
                return negative_errno();
        if (!fgets(buf, (int)n, f))
                return -EIO;
        buf[strcspn(buf, "\n")] = '\0';
        return 0;
}

/* -EBUSY if a sched_ext scheduler is loaded or on its way in or out. */
static int check_sched_ext_idle(void)
{
        char state[32], ops[128];
        int r;

        r = read_line(SCX_SYSFS "/state", state, sizeof(state));
        if (r < 0)
                return log_error_errno(r, "Cannot read " SCX_SYSFS "/state");
        if (streq(state, "disabled"))
                return 0;

        if (read_line(SCX_SYSFS "/root/ops", ops, sizeof(ops)) < 0)
                strcpy(ops, "unknown");
        log_warning("sched_ext is %s with scheduler '%s'; not loading %s", state, ops,
                    AGENTCG_OPS_NAME);
        return -EBUSY;
}

static int open_skel(char *log_buf, size_t log_size, struct agentcg_bpf **ret)
{
        LIBBPF_OPTS(bpf_object_open_opts, opts, .kernel_log_buf = log_buf,
                    .kernel_log_size = log_size);
        struct agentcg_bpf *skel;

        skel = agentcg_bpf__open_opts(&opts);
        if (!skel)
                return log_error_errno(negative_errno(), "Cannot open the BPF scheduler");
        *ret = skel;
        return 0;
}

/* Settings that must be in place before the programs are loaded. */
static int configure(struct agentcg_bpf *skel, const SchedulerOptions *opts)
{
        int r;

        skel->rodata->partial = opts->mode == SCHEDULER_PARTIAL;
        if (skel->rodata->partial)
                skel->struct_ops.agentcg_ops->flags |= AGENTCG_OPS_SWITCH_PARTIAL;
        skel->rodata->memory_coupling = opts->memory_coupling;

        if (opts->mem_pressure_fd < 0)
                return 0;
        r = bpf_map__reuse_fd(skel->maps.mem_pressure, opts->mem_pressure_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot share the memory observer's mem_pressure map");
        return 0;
}

/* The class table, written after loading and before the scheduler runs,
 * so that no task is ever scheduled with an empty one, and on reload. */
static int set_class_params(struct agentcg_bpf *skel,
                            const struct agentcg_class_params classes[AGENTCG_NR_CLASSES])
{
        for (uint32_t c = 0; c < AGENTCG_NR_CLASSES; c++) {
                int r = bpf_map__update_elem(skel->maps.class_params, &c, sizeof(c), &classes[c],
                                             sizeof(classes[c]), BPF_ANY);
                if (r < 0)
                        return log_error_errno(r, "Cannot set the scheduler's class table");
        }
        return 0;
}

static int load_skel(struct agentcg_bpf *skel, const char *log_buf)
{
        int r = agentcg_bpf__load(skel);

        if (r >= 0)
                return 0;
        if (!isempty(log_buf)) {
                log_error("The BPF verifier rejected the scheduler:");
                log_lines(SD_ERR, log_buf);
        }
        return log_error_errno(r, "Cannot load the BPF scheduler");
}

/* Enabling runs ops.init(); if that fails, the exit record says why. */
static int attach_ops(Scheduler *s)
{
        char why[AGENTCG_EXIT_REASON_LEN + AGENTCG_EXIT_MSG_LEN + 64];
        int r;

        s->link = bpf_map__attach_struct_ops(s->skel->maps.agentcg_ops);
        if (s->link)
                return 0;

        r = negative_errno();
        if (scheduler_exit_reason(s, why, sizeof(why)) > 0)
                log_error("sched_ext refused the scheduler: %s", why);
        return log_error_errno(r, "Cannot attach the BPF scheduler");
}

/* The exit record: remembered, and the caller is told to look. */
static int on_exit_record(void *ctx, void *data, size_t size)
{
        Scheduler *s = ctx;

        if (size < sizeof(s->exit))
                return log_error_errno(-EBADMSG, "Short exit record from the scheduler (%zu bytes)",
                                       size);
        memcpy(&s->exit, data, sizeof(s->exit));
        s->exit.reason[sizeof(s->exit.reason) - 1] = '\0';
        s->exit.msg[sizeof(s->exit.msg) - 1] = '\0';
        s->exited = true;
        return 0;
}

static int on_event_record(void *ctx, void *data, size_t size)
{
        Scheduler *s = ctx;
        struct agentcg_event ev;

        if (size < sizeof(ev))
                return log_error_errno(-EBADMSG, "Short event from the scheduler (%zu bytes)",
                                       size);
        memcpy(&ev, data, sizeof(ev));
        if (s->on_event)
                s->on_event(&ev, s->userdata);
        return 0;
}

static int open_rings(Scheduler *s)
{
        int r;

        s->rings = ring_buffer__new(bpf_map__fd(s->skel->maps.exit_ring), on_exit_record, s, NULL);
        if (!s->rings)
                return log_error_errno(negative_errno(), "Cannot open the scheduler's exit ring");

        r = ring_buffer__add(s->rings, bpf_map__fd(s->skel->maps.events), on_event_record, s);
        if (r < 0)
                return log_error_errno(r, "Cannot open the scheduler's event ring");
        return 0;
}

int scheduler_attach_opts(const SchedulerOptions *opts, Scheduler **ret)
{
        _cleanup_scheduler_ Scheduler *s = NULL;
        _cleanup_free_ char *log_buf = NULL;
        int r;

        if (!scheduler_supported())
                return -EOPNOTSUPP;
        r = check_sched_ext_idle();
        if (r < 0)
                return r;

        libbpf_set_print(libbpf_print);
        s = calloc(1, sizeof(*s));
        log_buf = calloc(1, VERIFIER_LOG_SIZE);
        if (!s || !log_buf)
                return -ENOMEM;

        r = open_skel(log_buf, VERIFIER_LOG_SIZE, &s->skel);
        if (r < 0)
                return r;
        r = configure(s->skel, opts);
        if (r < 0)
                return r;

        r = load_skel(s->skel, log_buf);
        if (r < 0)
                return r;
        r = set_class_params(s->skel, opts->classes);
        if (r < 0)
                return r;

        /* The ring exists before the scheduler runs, so an exit right
         * after attaching is not missed. */
        s->on_event = opts->on_event;
        s->userdata = opts->userdata;
        r = open_rings(s);
        if (r < 0)
                return r;

        r = attach_ops(s);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(s);
        return 0;
}

int scheduler_attach_mode(SchedulerMode mode, Scheduler **ret)
{
        SchedulerOptions opts = SCHEDULER_OPTIONS_DEFAULT;

        opts.mode = mode;
        return scheduler_attach_opts(&opts, ret);
}

int scheduler_attach(Scheduler **ret)
{
        return scheduler_attach_mode(SCHEDULER_FULL, ret);
}

int scheduler_event_fd(Scheduler *s)
{
        return ring_buffer__epoll_fd(s->rings);
}

int scheduler_process_events(Scheduler *s, struct agentcg_exit_info *ret_exit)
{
        int r = ring_buffer__consume(s->rings);

        if (r < 0)
                return log_error_errno(r, "Cannot read the scheduler's rings");
        if (!s->exited)
                return 0;
        if (ret_exit)
                *ret_exit = s->exit;
        return 1;
}

Scheduler *scheduler_free(Scheduler *s)
{
        if (!s)
                return NULL;

        ring_buffer__free(s->rings);
        bpf_link__destroy(s->link);
        agentcg_bpf__destroy(s->skel);
        free(s);
        return NULL;
}

int scheduler_exit_reason(Scheduler *s, char *buf, size_t n)
{
        const volatile struct agentcg_exit_info *ei = &s->skel->bss->exit_info;

        if (ei->kind == 0)
                return 0;

        snprintf(buf, n, "%.*s (kind %d, code %lld)%s%.*s", AGENTCG_EXIT_REASON_LEN,
                 (const char *)ei->reason, ei->kind, (long long)ei->exit_code,
                 ei->msg[0] ? ": " : "", AGENTCG_EXIT_MSG_LEN, (const char *)ei->msg);
        return 1;
}

int scheduler_set_class_params(Scheduler *s,
                               const struct agentcg_class_params classes[AGENTCG_NR_CLASSES])
{
        return set_class_params(s->skel, classes);
}

int scheduler_set_class(Scheduler *s, uint64_t cgid, unsigned class)
{
        uint32_t value = class;

        if (class >= AGENTCG_NR_CLASSES)
                return -EINVAL;
        return bpf_map__update_elem(s->skel->maps.cgrp_class, &cgid, sizeof(cgid), &value,
                                    sizeof(value), BPF_ANY);
}

int scheduler_cgroup_counters(Scheduler *s, int cgroup_fd, struct agentcg_cgroup_counters *ret)
{
        const struct bpf_map *map = s->skel->maps.cgrp_ctxs;
        size_t size = bpf_map__value_size(map);
        _cleanup_free_ void *value = NULL;
        int r;

        /* The counters lead the scheduler's per-cgroup state (agentcg.h). */
        if (size < sizeof(*ret))
                return -EBADMSG;
        value = malloc(size);
        if (!value)
                return -ENOMEM;

        r = bpf_map__lookup_elem(map, &cgroup_fd, sizeof(cgroup_fd), value, size, 0);
        if (r < 0)
                return r;
        memcpy(ret, value, sizeof(*ret));
        return 0;
}

int scheduler_read_stats(Scheduler *s, uint64_t ret[AGENTCG_NR_STATS])
{
        int ncpus = libbpf_num_possible_cpus();
        _cleanup_free_ uint64_t *percpu = NULL;

        if (ncpus < 0)
                return ncpus;
        percpu = calloc(ncpus, sizeof(*percpu));
        if (!percpu)
                return -ENOMEM;

        for (uint32_t i = 0; i < AGENTCG_NR_STATS; i++) {
                int r = bpf_map__lookup_elem(s->skel->maps.stats, &i, sizeof(i), percpu,
                                             ncpus * sizeof(*percpu), 0);
                if (r < 0)
                        return r;

                ret[i] = 0;
                for (int cpu = 0; cpu < ncpus; cpu++)
                        ret[i] += percpu[cpu];
        }
        return 0;
}

int scheduler_cgroup_stats(Scheduler *s, uint64_t cgid, struct agentcg_cgroup_stats *ret)
{
        int r = bpf_map__lookup_elem(s->skel->maps.cgrp_stats, &cgid, sizeof(cgid), ret,
                                     sizeof(*ret), 0);

        return r < 0 ? r : 0;
}
