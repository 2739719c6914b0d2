/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The verbs that map onto single D-Bus calls (session-new, session-end,
 * step-new, step-add, step-end) and the three that read the daemon's
 * state (status, list, show).  Each parses its arguments, opens the system bus, makes
 * its call and prints the result; ctl-bus.c knows the method signatures.
 *
 * Listings are for scripts as much as for people: one entry per line,
 * names first, columns separated by blanks (names never contain any),
 * steps indented under their session, sorted by name, no colours.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl-bus.h"
#include "ctl.h"
#include "parse.h"
#include "util.h"

/* How much deeper a step is indented than its session. */
#define STEP_INDENT 2

static int parse_pid(const char *s, pid_t *ret)
{
        unsigned long v;
        char *end;

        if (*s < '0' || *s > '9')
                return -EINVAL;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno > 0 || *end || v == 0 || v > INT32_MAX)
                return -EINVAL;

        *ret = (pid_t)v;
        return 0;
}

static int invalid_pid(const char *s)
{
        fprintf(stderr, "agentcgctl: invalid process id '%s'\n", s);
        return -EINVAL;
}

/* The sessions and, for each, its steps: everything status and list show. */
struct tree {
        struct ctl_list sessions;
        struct ctl_list *steps; /* steps[i] are those of sessions.entries[i] */
};

static void tree_done(struct tree *t)
{
        for (size_t i = 0; t->steps && i < t->sessions.n; i++)
                ctl_list_done(&t->steps[i]);
        free(t->steps);
        ctl_list_done(&t->sessions);
}

static int tree_load_steps(sd_bus *bus, const char *session, struct ctl_list *ret)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        /* A unit placed in agentcg.slice without the API is listed under its
         * unit name, which has a '.'; it has no steps. */
        if (strchr(session, '.'))
                return 0;

        r = ctl_list_steps(bus, session, ret, &error);
        if (r >= 0)
                return 0;

        /* The session ended between ListSessions and now; show it without
         * steps rather than fail the whole listing over a race. */
        if (sd_bus_error_has_name(&error, AGENTCG_ERROR("NoSuchSession")))
                return 0;

        return ctl_log_bus_error(&error, r, "cannot list the steps of session %s", session);
}

static int tree_load(sd_bus *bus, struct tree *ret)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(tree_done) struct tree t = {};
        int r;

        r = ctl_list_sessions(bus, &t.sessions, &error);
        if (r < 0)
                return ctl_log_bus_error(&error, r, "cannot list sessions");

        t.steps = calloc(t.sessions.n ?: 1, sizeof(*t.steps));
        if (!t.steps)
                return -ENOMEM;

        for (size_t i = 0; i < t.sessions.n; i++) {
                r = tree_load_steps(bus, t.sessions.entries[i].name, &t.steps[i]);
                if (r < 0)
                        return r;
        }

        *ret = t;
        t = (struct tree){};
        return 0;
}

/* Width of the name column, so that all cgroup paths line up. */
static size_t tree_name_width(const struct tree *t)
{
        size_t width = 0;

        for (size_t i = 0; i < t->sessions.n; i++) {
                size_t w = strlen(t->sessions.entries[i].name);

                if (w > width)
                        width = w;

                for (size_t j = 0; j < t->steps[i].n; j++) {
                        w = STEP_INDENT + strlen(t->steps[i].entries[j].name);
                        if (w > width)
                                width = w;
                }
        }
        return width;
}

static void print_entry(int indent, int width, const struct ctl_entry *e)
{
        printf("%*s%-*s  %s\n", indent, "", width - indent, e->name, e->cgroup);
}

/* Prints the tree with every line indented by INDENT blanks. */
static void tree_print(const struct tree *t, int indent)
{
        int width = indent + (int)tree_name_width(t);

        for (size_t i = 0; i < t->sessions.n; i++) {
                print_entry(indent, width, &t->sessions.entries[i]);

                for (size_t j = 0; j < t->steps[i].n; j++)
                        print_entry(indent + STEP_INDENT, width, &t->steps[i].entries[j]);
        }
}

/* JSON strings: names are plain, but a unit placed in the slice without
 * the API may carry systemd's \x escapes, and control characters must
 * never reach a parser raw. */
static void json_string(const char *s)
{
        putchar('"');
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                if (c == '"' || c == '\\')
                        printf("\\%c", c);
                else if (c < 0x20)
                        printf("\\u%04x", c);
                else
                        putchar(c);
        }
        putchar('"');
}

static void json_entry(const struct ctl_entry *e)
{
        printf("{\"name\":");
        json_string(e->name);
        printf(",\"cgroup\":");
        json_string(e->cgroup);
}

static void tree_print_json(const struct tree *t)
{
        printf("\"sessions\":[");
        for (size_t i = 0; i < t->sessions.n; i++) {
                printf(i ? "," : "");
                json_entry(&t->sessions.entries[i]);
                printf(",\"steps\":[");
                for (size_t j = 0; j < t->steps[i].n; j++) {
                        printf(j ? "," : "");
                        json_entry(&t->steps[i].entries[j]);
                        putchar('}');
                }
                printf("]}");
        }
        putchar(']');
}

int verb_list(int argc, char **argv)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(tree_done) struct tree t = {};
        int r;

        r = ctl_parse_no_options(argc, argv);
        if (r <= 0)
                return r;
        if (optind != argc)
                return ctl_usage_error(argv[0]);

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;

        r = tree_load(bus, &t);
        if (r < 0)
                return r;

        if (arg_json) {
                putchar('{');
                tree_print_json(&t);
                printf("}\n");
        } else
                tree_print(&t, 0);
        return 0;
}

static int get_property(sd_bus *bus, const char *name, char **ret)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = ctl_get_property(bus, name, ret, &error);
        if (r < 0)
                return ctl_log_bus_error(&error, r, "cannot read property %s", name);
        return 0;
}

int verb_status(int argc, char **argv)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *version = NULL, *scheduler = NULL;
        _cleanup_(tree_done) struct tree t = {};
        int r;

        r = ctl_parse_no_options(argc, argv);
        if (r <= 0)
                return r;
        if (optind != argc)
                return ctl_usage_error(argv[0]);

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;

        r = get_property(bus, "Version", &version);
        if (r < 0)
                return r;
        r = get_property(bus, "Scheduler", &scheduler);
        if (r < 0)
                return r;
        r = tree_load(bus, &t);
        if (r < 0)
                return r;

        if (arg_json) {
                printf("{\"version\":");
                json_string(version);
                printf(",\"scheduler\":");
                json_string(scheduler);
                putchar(',');
                tree_print_json(&t);
                printf("}\n");
                return 0;
        }

        printf("Version:   %s\n"
               "Scheduler: %s\n"
               "Sessions:  %zu\n",
               version, scheduler, t.sessions.n);
        tree_print(&t, STEP_INDENT);
        return 0;
}

static int parse_session_new(int argc, char **argv, pid_t *pid)
{
        static const struct option options[] = {
                CTL_COMMON_OPTIONS,
                { "pid", required_argument, NULL, ARG_PID },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                if (c == ARG_PID) {
                        if (parse_pid(optarg, pid) < 0)
                                return invalid_pid(optarg);
                        continue;
                }

                r = ctl_parse_option(c, argv, NULL);
                if (r <= 0)
                        return r;
        }

        if (argc - optind != 1)
                return ctl_usage_error(argv[0]);
        return 1;
}

int verb_session_new(int argc, char **argv)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *unit = NULL, *cgroup = NULL;
        const char *name;
        /* The shell that ran us: our own pid would leave an empty session
         * the moment we exit. */
        pid_t pid = getppid();
        int r;

        r = parse_session_new(argc, argv, &pid);
        if (r <= 0)
                return r;
        name = argv[optind];

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;

        r = ctl_create_session(bus, name, pid, &unit, &cgroup, &error);
        if (r < 0)
                return ctl_log_bus_error(&error, r, "cannot create session %s", name);

        printf("%s %s\n", unit, cgroup);
        return 0;
}

int verb_session_end(int argc, char **argv)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = ctl_parse_no_options(argc, argv);
        if (r <= 0)
                return r;
        if (argc - optind != 1)
                return ctl_usage_error(argv[0]);

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;

        r = ctl_end_session(bus, argv[optind], &error);
        if (r < 0)
                return ctl_log_bus_error(&error, r, "cannot end session %s", argv[optind]);
        return 0;
}

static int parse_step_new(int argc, char **argv, struct ctl_limits *limits)
{
        static const struct option options[] = {
                CTL_COMMON_OPTIONS,
                CTL_LIMIT_OPTIONS,
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                r = ctl_parse_option(c, argv, limits);
                if (r <= 0)
                        return r;
        }

        if (argc - optind != 2)
                return ctl_usage_error(argv[0]);
        return 1;
}

int verb_step_new(int argc, char **argv)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *cgroup = NULL;
        struct ctl_limits limits = {};
        int r;

        r = parse_step_new(argc, argv, &limits);
        if (r <= 0)
                return r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;

        r = ctl_create_step(bus, argv[optind], argv[optind + 1], &limits, &cgroup, NULL,
                            &error);
        if (r < 0)
                return ctl_log_bus_error(&error, r, "cannot create step %s/%s", argv[optind],
                                         argv[optind + 1]);

        printf("%s\n", cgroup);
        return 0;
}

int verb_step_add(int argc, char **argv)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        pid_t pid;
        int r;

        r = ctl_parse_no_options(argc, argv);
        if (r <= 0)
                return r;
        if (argc - optind != 3)
                return ctl_usage_error(argv[0]);
        if (parse_pid(argv[optind + 2], &pid) < 0)
                return invalid_pid(argv[optind + 2]);

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;

        r = ctl_add_process(bus, argv[optind], argv[optind + 1], pid, &error);
        if (r < 0)
                return ctl_log_bus_error(&error, r, "cannot add process %d to step %s/%s",
                                         (int)pid, argv[optind], argv[optind + 1]);
        return 0;
}

/* The verbs that take SESSION STEP and make one call on the step. */
static int step_call(int argc, char **argv, const char *method, const char *what,
                     uint64_t grace_usec)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *usage = NULL;
        const char *session = argv[optind], *step = argv[optind + 1];
        int r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;

        if (streq(method, "EndStep"))
                r = ctl_end_step(bus, session, step, grace_usec, &usage, &error);
        else
                r = ctl_step_call(bus, method, session, step, &error);
        if (r < 0)
                return ctl_log_bus_error(&error, r, "cannot %s step %s/%s", what, session, step);

        return usage ? ctl_print_usage(usage) : 0;
}

static int parse_step_end(int argc, char **argv, uint64_t *grace_usec)
{
        static const struct option options[] = {
                CTL_COMMON_OPTIONS,
                { "grace", required_argument, NULL, ARG_GRACE },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                if (c == ARG_GRACE) {
                        if (parse_usec(optarg, grace_usec) < 0) {
                                fprintf(stderr, "agentcgctl: invalid --grace '%s': expected "
                                                "a duration such as 500ms or 5s\n",
                                        optarg);
                                return -EINVAL;
                        }
                        continue;
                }
                r = ctl_parse_option(c, argv, NULL);
                if (r <= 0)
                        return r;
        }
        return argc - optind == 2 ? 1 : ctl_usage_error(argv[0]);
}

int verb_step_end(int argc, char **argv)
{
        uint64_t grace_usec = 0;
        int r;

        r = parse_step_end(argc, argv, &grace_usec);
        if (r <= 0)
                return r;
        return step_call(argc, argv, "EndStep", "end", grace_usec);
}

static int simple_step_verb(int argc, char **argv, const char *method, const char *what)
{
        int r;

        r = ctl_parse_no_options(argc, argv);
        if (r <= 0)
                return r;
        if (argc - optind != 2)
                return ctl_usage_error(argv[0]);
        return step_call(argc, argv, method, what, 0);
}

int verb_step_freeze(int argc, char **argv)
{
        return simple_step_verb(argc, argv, "FreezeStep", "freeze");
}

int verb_step_thaw(int argc, char **argv)
{
        return simple_step_verb(argc, argv, "ThawStep", "thaw");
}

int verb_step_kill(int argc, char **argv)
{
        return simple_step_verb(argc, argv, "KillStep", "kill");
}

/* One property of a GetAll reply, as KEY=VALUE or as a JSON member. */
static int print_property(sd_bus_message *m, const char *key, bool first)
{
        const char *contents, *str;
        uint64_t t;
        uint32_t u;
        int b, r;

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;

        if (arg_json) {
                printf(first ? "" : ",");
                json_string(key);
                putchar(':');
        } else
                printf("%s=", key);

        if (streq(contents, "s")) {
                r = sd_bus_message_read(m, "v", "s", &str);
                if (r >= 0 && arg_json)
                        json_string(str);
                else if (r >= 0)
                        fputs(str, stdout);
        } else if (streq(contents, "t")) {
                r = sd_bus_message_read(m, "v", "t", &t);
                if (r >= 0)
                        printf("%" PRIu64, t);
        } else if (streq(contents, "u")) {
                r = sd_bus_message_read(m, "v", "u", &u);
                if (r >= 0)
                        printf("%" PRIu32, u);
        } else if (streq(contents, "b")) {
                r = sd_bus_message_read(m, "v", "b", &b);
                if (r >= 0)
                        fputs(arg_json ? (b ? "true" : "false") : (b ? "yes" : "no"), stdout);
        } else {
                r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        fputs(arg_json ? "null" : "", stdout);
        }

        if (!arg_json)
                putchar('\n');
        return r;
}

static int print_properties(sd_bus_message *m)
{
        const char *key;
        bool first = true;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;

        if (arg_json)
                putchar('{');
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0)
                        r = print_property(m, key, first);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                first = false;
        }
        if (r < 0)
                return r;
        if (arg_json)
                printf("}\n");

        return sd_bus_message_exit_container(m);
}

int verb_show(int argc, char **argv)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *session, *step;
        int r;

        r = ctl_parse_no_options(argc, argv);
        if (r <= 0)
                return r;
        if (argc - optind != 1 && argc - optind != 2)
                return ctl_usage_error(argv[0]);
        session = argv[optind];
        step = argc - optind == 2 ? argv[optind + 1] : NULL;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;

        r = ctl_get_object(bus, session, step, &reply, &error);
        if (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
            sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_INTERFACE))
                return ctl_log_bus_error(NULL, -ENOENT, step ? "no step %s/%s" : "no session %s%s",
                                         session, step ?: "");
        if (r < 0)
                return ctl_log_bus_error(&error, r, "cannot show %s%s%s", session,
                                         step ? "/" : "", step ?: "");

        r = print_properties(reply);
        if (r < 0)
                return ctl_log_bus_error(NULL, r, "cannot read the properties");
        return 0;
}
