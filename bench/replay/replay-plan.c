/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The plan file bench/trace-plan.py writes: tab-separated lines, '#'
 * comments.  The first line is "agentcg-replay-plan<TAB>1"; then
 *
 *   param    KEY VALUE
 *   session  NAME ROLE SOURCE
 *   step     SESSION NAME KIND TOOL CLASS CPU_WEIGHT MEMORY_MAX GAP_MS DUR_MS
 *            DUTY_PCT MEM_MB ARG
 *
 * in which steps follow their session.  ARG is the rest of the line and
 * may hold spaces (a command line); "-" means none.  A neighbour (role
 * noise) has exactly one step, of kind exec.  A plan that breaks a
 * rule is refused as a whole with its line number: a replay of half a
 * plan would be compared with replays of the whole one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "util.h"

#define PLAN_MAGIC "agentcg-replay-plan"
#define PLAN_VERSION "1"
#define MAX_FIELDS 13

static const char *const step_kinds[_STEP_KIND_MAX] = {
        [STEP_WORK] = "work",
        [STEP_COMPILE] = "compile",
        [STEP_MEMSWING] = "memswing",
        [STEP_PROBE] = "probe",
        [STEP_EXEC] = "exec",
};

static const char *const roles[_ROLE_MAX] = {
        [ROLE_VICTIM] = "victim",
        [ROLE_PROBE] = "probe",
        [ROLE_NOISE] = "noise",
};

const char *step_kind_to_string(StepKind k)
{
        return k >= 0 && k < _STEP_KIND_MAX ? step_kinds[k] : "?";
}

const char *role_to_string(Role r)
{
        return r >= 0 && r < _ROLE_MAX ? roles[r] : "?";
}

static int lookup(const char *const *table, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (streq(table[i], s))
                        return (int)i;
        return -EINVAL;
}

static int parse_u64(const char *s, uint64_t *ret)
{
        char *end;
        unsigned long long v;

        if (!*s || *s == '-')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int copy_name(char *dst, size_t size, const char *src)
{
        if (isempty(src) || strlen(src) >= size)
                return -EINVAL;
        strcpy(dst, src);
        return 0;
}

/* Splits LINE in place at tabs into at most MAX fields; the last field
 * keeps any further tabs. */
static size_t split_fields(char *line, char **fields, size_t max)
{
        size_t n = 0;

        while (n < max) {
                fields[n++] = line;
                if (n == max)
                        break;
                line = strchr(line, '\t');
                if (!line)
                        break;
                *line++ = '\0';
        }
        return n;
}

static int parse_step(Session *session, char **f, size_t n)
{
        uint64_t duty;
        Step *steps, *s;
        int k;

        if (n != MAX_FIELDS || !streq(f[1], session->name))
                return -EINVAL;

        steps = reallocarray(session->steps, session->n_steps + 1, sizeof(Step));
        if (!steps)
                return -ENOMEM;
        session->steps = steps;
        s = &steps[session->n_steps];
        *s = (Step) {};

        k = lookup(step_kinds, _STEP_KIND_MAX, f[3]);
        if (k < 0)
                return k;
        s->kind = k;

        if (copy_name(s->name, sizeof(s->name), f[2]) < 0 ||
            copy_name(s->tool, sizeof(s->tool), f[4]) < 0 ||
            copy_name(s->class, sizeof(s->class), f[5]) < 0 ||
            parse_u64(f[6], &s->cpu_weight) < 0 || parse_u64(f[7], &s->memory_max) < 0 ||
            parse_u64(f[8], &s->gap_ms) < 0 || parse_u64(f[9], &s->dur_ms) < 0 ||
            parse_u64(f[10], &duty) < 0 || duty > 100 || parse_u64(f[11], &s->mem_mb) < 0)
                return -EINVAL;
        s->duty_pct = (unsigned)duty;

        if (!streq(f[12], "-")) {
                s->arg = strdup(f[12]);
                if (!s->arg)
                        return -ENOMEM;
        }
        if ((s->kind == STEP_EXEC || s->kind == STEP_COMPILE || s->kind == STEP_MEMSWING ||
             s->kind == STEP_PROBE) && !s->arg)
                return -EINVAL;
        if (s->kind == STEP_WORK && s->arg) {
                CurveLevel levels[CURVE_MAX];

                if (curve_parse(s->arg, levels, CURVE_MAX) < 0)
                        return -EINVAL;
        }

        session->n_steps++;
        return 0;
}

static int parse_session(Plan *plan, char **f, size_t n)
{
        Session *sessions, *s;
        int r;

        if (n != 4)
                return -EINVAL;

        sessions = reallocarray(plan->sessions, plan->n_sessions + 1, sizeof(Session));
        if (!sessions)
                return -ENOMEM;
        plan->sessions = sessions;
        s = &sessions[plan->n_sessions];
        *s = (Session) {};

        r = lookup(roles, _ROLE_MAX, f[2]);
        if (r < 0)
                return r;
        s->role = r;
        if (copy_name(s->name, sizeof(s->name), f[1]) < 0 ||
            copy_name(s->source, sizeof(s->source), f[3]) < 0)
                return -EINVAL;

        /* Placed only once its fields are valid, so plan_done() never
         * sees a half-made session. */
        plan->n_sessions++;
        return 0;
}

static int parse_line(Plan *plan, char *line, bool *seen_magic)
{
        char *f[MAX_FIELDS];
        size_t n;

        n = split_fields(line, f, MAX_FIELDS);

        if (!*seen_magic) {
                if (n != 2 || !streq(f[0], PLAN_MAGIC) || !streq(f[1], PLAN_VERSION))
                        return -EPROTO;
                *seen_magic = true;
                return 0;
        }

        if (streq(f[0], "param")) {
                if (n >= 3 && streq(f[1], "window_ms"))
                        plan->window_ms = strtoull(f[2], NULL, 10);
                return 0;
        }
        if (streq(f[0], "session"))
                return parse_session(plan, f, n);
        if (streq(f[0], "step")) {
                if (plan->n_sessions == 0)
                        return -EINVAL;
                return parse_step(&plan->sessions[plan->n_sessions - 1], f, n);
        }
        return -EINVAL;
}

int plan_load(const char *path, Plan *ret)
{
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        Plan plan = {};
        bool seen_magic = false;
        size_t size = 0, lineno = 0;
        ssize_t len;
        int r = 0;

        f = fopen(path, "re");
        if (!f) {
                r = negative_errno();
                fprintf(stderr, "agentcg-replay: cannot open plan %s: %s\n", path, strerror(-r));
                return r;
        }

        while ((len = getline(&line, &size, f)) >= 0) {
                lineno++;
                if (len > 0 && line[len - 1] == '\n')
                        line[--len] = '\0';
                if (len == 0 || line[0] == '#')
                        continue;

                r = parse_line(&plan, line, &seen_magic);
                if (r < 0) {
                        fprintf(stderr, "agentcg-replay: %s:%zu: %s\n", path, lineno,
                                r == -EPROTO ? "not an agentcg-replay-plan version " PLAN_VERSION
                                             : "malformed line");
                        plan_done(&plan);
                        return r;
                }
        }

        if (plan.n_sessions == 0) {
                fprintf(stderr, "agentcg-replay: %s: no sessions\n", path);
                plan_done(&plan);
                return -EINVAL;
        }

        /* A neighbour runs one command for the whole replay. */
        for (size_t i = 0; i < plan.n_sessions; i++) {
                const Session *se = &plan.sessions[i];

                if (se->role == ROLE_NOISE &&
                    (se->n_steps != 1 || se->steps[0].kind != STEP_EXEC)) {
                        fprintf(stderr, "agentcg-replay: %s: neighbour %s must have exactly "
                                "one exec step\n", path, se->name);
                        plan_done(&plan);
                        return -EINVAL;
                }
        }

        *ret = plan;
        return 0;
}

void plan_done(Plan *plan)
{
        for (size_t i = 0; i < plan->n_sessions; i++) {
                for (size_t j = 0; j < plan->sessions[i].n_steps; j++)
                        free(plan->sessions[i].steps[j].arg);
                free(plan->sessions[i].steps);
        }
        free(plan->sessions);
        *plan = (Plan) {};
}
