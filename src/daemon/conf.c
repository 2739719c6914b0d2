/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Loading agentcg.conf.  The files are read in the systemd way: the main
 * file, then the drop-ins in lexical order, each setting overriding what
 * came before, all over the built-in defaults.  Everything is parsed into
 * a private copy, and only a load that found nothing wrong is handed out,
 * so a bad edit followed by a reload leaves the daemon on its old
 * settings.
 *
 * libinih splits lines into sections and KEY=VALUE pairs.  It does not say
 * on which line a pair was, does not show section headers to the handler,
 * and its handling of long lines, leading blanks ("continuation lines")
 * and byte-order marks depends on how the library was built.  So it reads
 * through read_line(), which counts lines, hands over one whole line at a
 * time with its leading blanks and any BOM removed, and checks section
 * headers itself; that keeps FILE:LINE exact and the behaviour the same
 * with every build of the library.
 *
 * A key set twice in one file is refused: all settings are single values,
 * so the first line would be dead text, most likely a mistake.  Across
 * files, overriding is the point of drop-ins.  Checks that involve two
 * keys (MemoryHigh against MemoryMax, CPUMaxBurst against CPUMax) run once
 * all files are read, because a drop-in may legitimately change both.
 */
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-util.h"
#include "conf.h"
#include "parse.h"
#include "util.h"

#define MAIN_FILE "agentcg.conf"
#define DROPIN_DIR "agentcg.conf.d"
#define DROPIN_SUFFIX ".conf"
#define CLASS_PREFIX "Class."

static const char *const class_names[_CLASS_MAX] = {
        [CLASS_INTERACTIVE] = "interactive",
        [CLASS_LATENCY] = "latency",
        [CLASS_BATCH] = "batch",
        [CLASS_BESTEFFORT] = "besteffort",
};

const char *class_to_string(Class c)
{
        if (c < 0 || c >= _CLASS_MAX)
                return NULL;
        return class_names[c];
}

int class_from_string(const char *s)
{
        for (int c = 0; c < _CLASS_MAX; c++)
                if (streq(s, class_names[c]))
                        return c;
        return -EINVAL;
}

/* No CPU or memory cap by default: a class sets a step's share, not a
 * ceiling, until the administrator asks for one.  Every class keeps an
 * OOM inside one step from leaving half a tool call behind. */
static ClassConfig class_default(uint64_t cpu_weight, bool latency_boost,
                                 uint64_t freeze_sec, uint64_t kill_sec)
{
        return (ClassConfig){
                .cpu_weight = cpu_weight,
                .cpu_max = { CGROUP_LIMIT_MAX, CPU_PERIOD_DEFAULT_USEC },
                .cpu_max_burst_usec = 0,
                .memory_high = CGROUP_LIMIT_MAX,
                .memory_max = CGROUP_LIMIT_MAX,
                .memory_swap_max = CGROUP_LIMIT_MAX,
                .pids_max = CGROUP_LIMIT_MAX,
                .oom_group = true,
                .latency_boost = latency_boost,
                .memory_freeze_usec = freeze_sec * USEC_PER_SEC,
                .memory_kill_usec = kill_sec * USEC_PER_SEC,
        };
}

void config_defaults(Config *c)
{
        *c = (Config){
                .default_class = CLASS_BATCH,
                .scheduler = true,
                .memory_coupling = true,
                .memory_escalation = true,
                .max_sessions_per_user = 16,
                .max_steps_per_user = 256,
                .max_memory_per_user = CGROUP_LIMIT_MAX,
        };

        /* Weights relative to batch at the kernel's default of 100: a step
         * someone is watching gets four times a batch step's share, one
         * that only needs short response times twice, and best-effort
         * work a fifth.  The last two numbers are the memory ladder's
         * delays in seconds: a step thrashing over memory.high that long
         * is stuck, not bursting, so it is frozen for its runtime to
         * decide, then killed if the runtime does not.  Someone waits on
         * an interactive step, so it gets the longest rope. */
        c->classes[CLASS_INTERACTIVE] = class_default(400, true, 30, 120);
        c->classes[CLASS_LATENCY] = class_default(200, true, 20, 60);
        c->classes[CLASS_BATCH] = class_default(100, false, 10, 30);
        c->classes[CLASS_BESTEFFORT] = class_default(20, false, 5, 10);
}

/* The value parsers of the key tables.  Each stores into FIELD only on
 * success; on failure it points *why at a phrase saying what was wrong,
 * for the "FILE:LINE: KEY=VALUE: why" message. */
typedef int (*ValueParser)(const char *value, void *field, const char **why);

/* Picks the phrase for R: RANGE for -ERANGE, INVALID otherwise. */
static int bad_value(int r, const char **why, const char *invalid,
                     const char *range)
{
        *why = r == -ERANGE ? range : invalid;
        return r;
}

static int value_class(const char *value, void *field, const char **why)
{
        int c = class_from_string(value);

        if (c < 0)
                return bad_value(c, why,
                                 "expected interactive, latency, batch or "
                                 "besteffort",
                                 NULL);
        *(Class *)field = c;
        return 0;
}

static int value_count(const char *value, void *field, const char **why)
{
        uint64_t v = CGROUP_LIMIT_MAX;
        int r = 0;

        if (!streq(value, "max"))
                r = parse_uint64(value, &v);
        if (r < 0)
                return bad_value(r, why, "expected a number or max",
                                 "the number does not fit in 64 bits");
        *(uint64_t *)field = v;
        return 0;
}

static int value_size(const char *value, void *field, const char **why)
{
        int r = parse_size(value, field);

        if (r < 0)
                return bad_value(r, why,
                                 "expected bytes with an optional K, M, G "
                                 "or T suffix, or max",
                                 "the size does not fit in 64 bits");
        return 0;
}

static int value_memory(const char *value, void *field, const char **why)
{
        uint64_t v;
        int r;

        r = value_size(value, &v, why);
        if (r < 0)
                return r;
        if (v < CONFIG_MEMORY_MIN)
                return bad_value(-ERANGE, why, NULL,
                                 "the limit must be at least 1M");
        *(uint64_t *)field = v;
        return 0;
}

static int value_weight(const char *value, void *field, const char **why)
{
        int r = parse_weight(value, field);

        if (r < 0)
                return bad_value(r, why, "expected a weight from 1 to 10000",
                                 "the weight must be from 1 to 10000");
        return 0;
}

static int value_pids(const char *value, void *field, const char **why)
{
        uint64_t v;
        int r;

        r = value_count(value, &v, why);
        if (r < 0)
                return r;
        if (v != CGROUP_LIMIT_MAX && (v < 1 || v > PIDS_MAX_LIMIT))
                return bad_value(-ERANGE, why, NULL,
                                 "the limit must be from 1 to 4194304, or max");
        *(uint64_t *)field = v;
        return 0;
}

static int value_boolean(const char *value, void *field, const char **why)
{
        int r = parse_boolean(value);

        if (r < 0)
                return bad_value(r, why, "expected yes or no", NULL);
        *(bool *)field = r;
        return 0;
}

/* SchedulerMode=full|partial, kept as whether it is partial. */
static int value_scheduler_mode(const char *value, void *field, const char **why)
{
        if (streq(value, "full"))
                *(bool *)field = false;
        else if (streq(value, "partial"))
                *(bool *)field = true;
        else
                return bad_value(-EINVAL, why, "expected full or partial", NULL);
        return 0;
}

/* A duration, or "infinity" for never (UINT64_MAX). */
static int value_delay(const char *value, void *field, const char **why)
{
        uint64_t v;
        int r;

        if (streq(value, "infinity")) {
                *(uint64_t *)field = UINT64_MAX;
                return 0;
        }

        r = parse_usec(value, &v);
        if (r < 0)
                return bad_value(r, why,
                                 "expected a duration with a unit or infinity",
                                 "the duration is too long");
        *(uint64_t *)field = v;
        return 0;
}

static const char cpu_max_syntax[] =
        "expected max, a share of one CPU such as 50%, or a quota in "
        "microseconds or with a unit, optionally followed by a period "
        "(50ms 100ms)";

static int cpu_period(const char *text, uint64_t *ret, const char **why)
{
        uint64_t v;
        int r;

        r = parse_usec(text, &v);
        if (r < 0)
                return bad_value(r, why, cpu_max_syntax,
                                 "the period must be from 1ms to 1s");
        if (v < CPU_PERIOD_MIN_USEC || v > CPU_PERIOD_MAX_USEC)
                return bad_value(-ERANGE, why, NULL,
                                 "the period must be from 1ms to 1s");
        *ret = v;
        return 0;
}

/* Reads the quota part of CPUMax=: "max", a percentage of PERIOD, or a
 * duration. */
static int cpu_quota(const char *text, uint64_t period, uint64_t *ret,
                     const char **why)
{
        uint64_t v;
        int r;

        if (streq(text, "max")) {
                *ret = CGROUP_LIMIT_MAX;
                return 0;
        }

        /* Bounding the percentage by the largest quota keeps the product
         * below 2^64: 2^44 times a period of at most 10^6 fits. */
        r = parse_percent(text, CPU_QUOTA_MAX_USEC, &v);
        if (r == -EINVAL)
                r = parse_usec(text, &v);
        else if (r == 0)
                v = v * period / 100;
        if (r < 0)
                return bad_value(r, why, cpu_max_syntax,
                                 "the quota must be below 2^44us");

        if (v < CPU_QUOTA_MIN_USEC)
                return bad_value(-ERANGE, why, NULL,
                                 "the quota must be at least 1ms");
        if (v > CPU_QUOTA_MAX_USEC)
                return bad_value(-ERANGE, why, NULL,
                                 "the quota must be below 2^44us");
        *ret = v;
        return 0;
}

/* CPUMax=QUOTA [PERIOD], the shape of the cpu.max file, with the period
 * 100ms (the kernel's default) when left out. */
static int value_cpu_max(const char *value, void *field, const char **why)
{
        _cleanup_free_ char *quota = NULL;
        CPUMax m = { .period_usec = CPU_PERIOD_DEFAULT_USEC };
        size_t n = strcspn(value, " \t");
        const char *period = value + n + strspn(value + n, " \t");
        int r;

        quota = strndup(value, n);
        if (!quota)
                return -ENOMEM;

        if (*period) {
                r = cpu_period(period, &m.period_usec, why);
                if (r < 0)
                        return r;
        }

        r = cpu_quota(quota, m.period_usec, &m.quota_usec, why);
        if (r < 0)
                return r;

        *(CPUMax *)field = m;
        return 0;
}

static int value_burst(const char *value, void *field, const char **why)
{
        uint64_t v;
        int r;

        r = parse_usec(value, &v);
        if (r < 0)
                return bad_value(r, why,
                                 "expected microseconds or a duration with "
                                 "a unit",
                                 "the burst must be below 2^44us");
        if (v > CPU_QUOTA_MAX_USEC)
                return bad_value(-ERANGE, why, NULL,
                                 "the burst must be below 2^44us");
        *(uint64_t *)field = v;
        return 0;
}

typedef struct Key {
        const char *name;
        ValueParser parse;
        size_t offset; /* of the field, in Config or in ClassConfig */
        size_t size;
} Key;

#define FIELD(type, f) offsetof(type, f), sizeof(((type *)NULL)->f)

static const Key manager_keys[] = {
        { "DefaultClass", value_class, FIELD(Config, default_class) },
        { "Scheduler", value_boolean, FIELD(Config, scheduler) },
        { "SchedulerMode", value_scheduler_mode, FIELD(Config, scheduler_partial) },
        { "MemoryCoupling", value_boolean, FIELD(Config, memory_coupling) },
        { "MemoryEscalation", value_boolean, FIELD(Config, memory_escalation) },
        { "MaxSessionsPerUser", value_count,
          FIELD(Config, max_sessions_per_user) },
        { "MaxStepsPerUser", value_count, FIELD(Config, max_steps_per_user) },
        { "MaxMemoryPerUser", value_size, FIELD(Config, max_memory_per_user) },
};

/* Named so the checks across keys can find where each was set. */
enum {
        KEY_CPU_WEIGHT,
        KEY_CPU_MAX,
        KEY_CPU_MAX_BURST,
        KEY_MEMORY_HIGH,
        KEY_MEMORY_MAX,
        KEY_MEMORY_SWAP_MAX,
        KEY_PIDS_MAX,
        KEY_OOM_GROUP,
        KEY_LATENCY_BOOST,
        KEY_MEMORY_FREEZE,
        KEY_MEMORY_KILL,
        _CLASS_KEY_MAX,
};

#define CLASS_KEY(id, name, parse, f)                                          \
        [id] = { name, parse, FIELD(ClassConfig, f) }

static const Key class_keys[_CLASS_KEY_MAX] = {
        CLASS_KEY(KEY_CPU_WEIGHT, "CPUWeight", value_weight, cpu_weight),
        CLASS_KEY(KEY_CPU_MAX, "CPUMax", value_cpu_max, cpu_max),
        CLASS_KEY(KEY_CPU_MAX_BURST, "CPUMaxBurst", value_burst,
                  cpu_max_burst_usec),
        CLASS_KEY(KEY_MEMORY_HIGH, "MemoryHigh", value_memory, memory_high),
        CLASS_KEY(KEY_MEMORY_MAX, "MemoryMax", value_memory, memory_max),
        CLASS_KEY(KEY_MEMORY_SWAP_MAX, "MemorySwapMax", value_size,
                  memory_swap_max),
        CLASS_KEY(KEY_PIDS_MAX, "PidsMax", value_pids, pids_max),
        CLASS_KEY(KEY_OOM_GROUP, "OOMGroup", value_boolean, oom_group),
        CLASS_KEY(KEY_LATENCY_BOOST, "LatencyBoost", value_boolean,
                  latency_boost),
        CLASS_KEY(KEY_MEMORY_FREEZE, "MemoryFreezeSec", value_delay,
                  memory_freeze_usec),
        CLASS_KEY(KEY_MEMORY_KILL, "MemoryKillSec", value_delay,
                  memory_kill_usec),
};

/* Sections are numbered as the classes are, with [Manager] after them. */
enum {
        SECTION_MANAGER = _CLASS_MAX,
        _SECTION_MAX,
};

/* One table holds where every setting of every section came from. */
_Static_assert(ELEMENTSOF(manager_keys) <= _CLASS_KEY_MAX,
               "the origin table is too narrow for [Manager]");

static int section_from_string(const char *s)
{
        if (streq(s, "Manager"))
                return SECTION_MANAGER;
        if (strncmp(s, CLASS_PREFIX, strlen(CLASS_PREFIX)) == 0)
                return class_from_string(s + strlen(CLASS_PREFIX));
        return -EINVAL;
}

static const Key *section_keys(int section, size_t *n)
{
        if (section == SECTION_MANAGER) {
                *n = ELEMENTSOF(manager_keys);
                return manager_keys;
        }
        *n = ELEMENTSOF(class_keys);
        return class_keys;
}

/* Returns the index of NAME among the keys of SECTION, or -ENOENT. */
static int find_key(int section, const char *name)
{
        size_t n;
        const Key *keys = section_keys(section, &n);

        for (size_t i = 0; i < n; i++)
                if (streq(keys[i].name, name))
                        return (int)i;
        return -ENOENT;
}

static char *section_data(Config *c, int section)
{
        if (section == SECTION_MANAGER)
                return (char *)c;
        return (char *)&c->classes[section];
}

/* Where a setting came from: a line of one of the files read, or, with
 * line 0, the built-in defaults. */
typedef struct Origin {
        size_t file;
        unsigned line;
} Origin;

typedef struct Loader {
        Config config;
        char **files;  /* in reading order */
        size_t file;   /* the one being read */
        FILE *f;       /* and its stream */
        unsigned line; /* the line of it that inih is working on */
        char *buf;     /* getline()'s */
        size_t buf_size;
        Origin origins[_SECTION_MAX][_CLASS_KEY_MAX];
        int error; /* the first failure */
        unsigned error_line;
        char *message;
} Loader;

static void loader_done(Loader *l)
{
        strv_free(l->files);
        free(l->buf);
        free(l->message);
}

/* Records the first failure as "PATH:LINE: message" ("PATH: message" for
 * line 0) and returns it; later ones are dropped, since they are often
 * consequences of the first. */
_printf_(5, 0) static int vfail(Loader *l, int r, const char *path,
                                unsigned line, const char *fmt, va_list ap)
{
        _cleanup_free_ char *text = NULL;
        int n;

        if (l->error)
                return l->error;

        l->error = r;
        l->error_line = line;
        if (vasprintf(&text, fmt, ap) < 0) {
                text = NULL;
                return (l->error = -ENOMEM);
        }

        if (line > 0)
                n = asprintf(&l->message, "%s:%u: %s", path, line, text);
        else
                n = asprintf(&l->message, "%s: %s", path, text);
        if (n < 0) {
                l->message = NULL;
                return (l->error = -ENOMEM);
        }
        return r;
}

_printf_(5, 6) static int fail(Loader *l, int r, const char *path,
                               unsigned line, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        r = vfail(l, r, path, line, fmt, ap);
        va_end(ap);
        return r;
}

/* Fails at the line inih is working on. */
_printf_(3, 4) static int fail_here(Loader *l, int r, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        r = vfail(l, r, l->files[l->file], l->line, fmt, ap);
        va_end(ap);
        return r;
}

static int fail_section(Loader *l, const char *section)
{
        if (strncmp(section, CLASS_PREFIX, strlen(CLASS_PREFIX)) == 0)
                return fail_here(l, -EINVAL,
                                 "unknown class [%s]: the classes are "
                                 "interactive, latency, batch and besteffort",
                                 section);
        return fail_here(l, -EINVAL,
                         "unknown section [%s]: expected [Manager] or "
                         "[Class.NAME]",
                         section);
}

static int fail_key(Loader *l, int section, const char *section_name,
                    const char *name)
{
        bool manager = section == SECTION_MANAGER;

        /* A key in the wrong section is a likelier slip than a new key. */
        if (find_key(manager ? CLASS_BATCH : SECTION_MANAGER, name) >= 0)
                return fail_here(l, -EINVAL, "%s= belongs in %s, not in [%s]",
                                 name,
                                 manager ? "a [Class.NAME] section"
                                         : "[Manager]",
                                 section_name);
        return fail_here(l, -EINVAL, "unknown key %s= in [%s]", name,
                         section_name);
}

/* Checks a "[...]" line, which inih reads without telling the handler:
 * without this, an unknown section with no keys would pass unnoticed. */
static void check_section_line(Loader *l, const char *s)
{
        _cleanup_free_ char *name = NULL;
        const char *end = strchr(s, ']');

        if (!end)
                return; /* inih reports the missing ']' */

        name = strndup(s + 1, (size_t)(end - s - 1));
        if (!name) {
                (void)fail_here(l, -ENOMEM, "out of memory");
                return;
        }

        if (end[1 + strspn(end + 1, " \t")] != '\0')
                (void)fail_here(l, -EINVAL,
                                "text after [%s]; comments take a line of "
                                "their own",
                                name);
        else if (section_from_string(name) < 0)
                (void)fail_section(l, name);
}

/* Turns the line in l->buf (N bytes) into what inih gets in STR (SIZE
 * bytes): leading blanks and a BOM removed, and always ending in a
 * newline, which is how inih tells a whole line from a truncated one. */
static char *prepare_line(Loader *l, char *str, size_t size, size_t n)
{
        char *s = l->buf;

        if (strlen(s) != n) {
                (void)fail_here(l, -EINVAL, "the line contains a NUL byte");
                s[0] = '\0';
        }
        if (l->line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
                s += 3;
        s += strspn(s, " \t");
        s[strcspn(s, "\r\n")] = '\0';

        if (strlen(s) + 2 > size) {
                (void)fail_here(l, -EINVAL,
                                "the line is longer than %zu characters",
                                size - 2);
                s[0] = '\0';
        }
        if (s[0] == '[')
                check_section_line(l, s);

        snprintf(str, size, "%s\n", s);
        return str;
}

/* inih's line source, in place of fgets(). */
static char *read_line(char *str, int size, void *stream)
{
        Loader *l = stream;
        ssize_t n;

        errno = 0;
        n = getline(&l->buf, &l->buf_size, l->f);
        if (n < 0) {
                if (ferror(l->f))
                        (void)fail(l, negative_errno(), l->files[l->file], 0,
                                   "read error: %s", strerror(errno));
                return NULL;
        }

        l->line++;
        return prepare_line(l, str, (size_t)size, (size_t)n);
}

/* "KEY=" with nothing after it puts the built-in default back, as in
 * systemd's files, so a drop-in can undo a setting of the main file. */
static void reset_to_default(Loader *l, int section, const Key *key)
{
        Config defaults;

        config_defaults(&defaults);
        memcpy(section_data(&l->config, section) + key->offset,
               section_data(&defaults, section) + key->offset, key->size);
}

static int apply_setting(Loader *l, const char *section, const char *name,
                         const char *value)
{
        const char *why = NULL;
        const Key *key;
        Origin *origin;
        size_t n;
        int s, k, r = 0;

        if (isempty(section))
                return fail_here(l, -EINVAL,
                                 "%s= appears before any section", name);
        s = section_from_string(section);
        if (s < 0)
                return fail_section(l, section);

        k = find_key(s, name);
        if (k < 0)
                return fail_key(l, s, section, name);

        key = &section_keys(s, &n)[k];
        origin = &l->origins[s][k];
        if (origin->line > 0 && origin->file == l->file)
                return fail_here(l, -EINVAL,
                                 "%s= in [%s] is already set on line %u", name,
                                 section, origin->line);

        if (isempty(value))
                reset_to_default(l, s, key);
        else
                r = key->parse(value,
                               section_data(&l->config, s) + key->offset, &why);
        if (r < 0)
                return fail_here(l, r, "%s=%s: %s", name, value,
                                 why ?: strerror(-r));

        *origin = (Origin){ l->file, l->line };
        return 0;
}

/* inih's handler: nonzero means the pair was fine. */
static int handle_setting(void *user, const char *section, const char *name,
                          const char *value)
{
        Loader *l = user;

        if (l->error)
                return 0;
        return apply_setting(l, section, name, value) >= 0;
}

/* inih finds the lines that are neither a section, a pair nor a comment,
 * and says so only when the file is done: by the number of the first bad
 * line, counting our own complaints.  If it is earlier than our first
 * complaint, that line is the one to report. */
static int check_syntax(Loader *l, int first_bad)
{
        if (first_bad <= 0)
                return l->error;
        if (l->error && (l->error_line == 0 ||
                         l->error_line <= (unsigned)first_bad))
                return l->error;

        l->error = 0;
        free(l->message);
        l->message = NULL;
        return fail(l, -EINVAL, l->files[l->file], (unsigned)first_bad,
                    "expected KEY=VALUE, [SECTION] or a comment");
}

static int read_file(Loader *l)
{
        const char *path = l->files[l->file];
        _cleanup_fclose_ FILE *f = NULL;
        int r;

        f = fopen(path, "re");
        if (!f) {
                if (errno == ENOENT)
                        return 0;
                return fail(l, negative_errno(), path, 0, "cannot open: %s",
                            strerror(errno));
        }

        l->f = f;
        l->line = 0;
        r = ini_parse_stream(read_line, l, handle_setting, l);
        l->f = NULL;
        if (r < 0)
                return fail(l, -ENOMEM, path, 0, "out of memory");

        return check_syntax(l, r);
}

static bool origin_after(Origin a, Origin b)
{
        if (a.line == 0 || b.line == 0)
                return a.line > 0;
        return a.file != b.file ? a.file > b.file : a.line > b.line;
}

/* Fails a check between keys A and B of class C at whichever of the two
 * was set last, since that line made the pair inconsistent, and says where
 * the other one came from. */
_printf_(5, 6) static int fail_pair(Loader *l, Class c, int a, int b,
                                    const char *fmt, ...)
{
        Origin oa = l->origins[c][a], ob = l->origins[c][b];
        bool a_last = origin_after(oa, ob);
        Origin at = a_last ? oa : ob, other = a_last ? ob : oa;
        const char *path = l->files[at.file];
        const char *other_key = class_keys[a_last ? b : a].name;
        _cleanup_free_ char *what = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (n < 0) {
                what = NULL;
                return fail(l, -ENOMEM, path, at.line, "out of memory");
        }

        if (other.line == 0)
                return fail(l, -EINVAL, path, at.line,
                            "[Class.%s] %s; %s= is the built-in default",
                            class_names[c], what, other_key);
        return fail(l, -EINVAL, path, at.line,
                    "[Class.%s] %s; %s= is set at %s:%u", class_names[c],
                    what, other_key, l->files[other.file], other.line);
}

static int check_memory(Loader *l, Class c)
{
        const ClassConfig *cc = &l->config.classes[c];

        /* "max" switches a limit off, so only two real limits can clash. */
        if (cc->memory_high == CGROUP_LIMIT_MAX ||
            cc->memory_max == CGROUP_LIMIT_MAX ||
            cc->memory_high <= cc->memory_max)
                return 0;

        return fail_pair(l, c, KEY_MEMORY_HIGH, KEY_MEMORY_MAX,
                         "MemoryHigh= (%" PRIu64 " bytes) is above "
                         "MemoryMax= (%" PRIu64 " bytes)",
                         cc->memory_high, cc->memory_max);
}

/* The kernel's rules for cpu.max.burst, which without a quota means
 * nothing and is not checked. */
static int check_burst(Loader *l, Class c)
{
        const ClassConfig *cc = &l->config.classes[c];
        uint64_t quota = cc->cpu_max.quota_usec;
        uint64_t burst = cc->cpu_max_burst_usec;

        if (quota == CGROUP_LIMIT_MAX)
                return 0;
        if (burst > quota)
                return fail_pair(l, c, KEY_CPU_MAX_BURST, KEY_CPU_MAX,
                                 "CPUMaxBurst= (%" PRIu64 "us) is above the "
                                 "quota of CPUMax= (%" PRIu64 "us)",
                                 burst, quota);
        if (burst + quota > CPU_QUOTA_MAX_USEC)
                return fail_pair(l, c, KEY_CPU_MAX_BURST, KEY_CPU_MAX,
                                 "CPUMaxBurst= plus the quota of CPUMax= "
                                 "exceed 2^44us");
        return 0;
}

/* Hidden files are left alone, as systemd does: editors and package
 * managers leave them behind. */
static int is_dropin(const struct dirent *de)
{
        const char *name = de->d_name;
        size_t n = strlen(name), k = strlen(DROPIN_SUFFIX);

        return name[0] != '.' && n > k && streq(name + n - k, DROPIN_SUFFIX);
}

/* Byte order, not the locale's collation: the order must not depend on
 * the environment the daemon was started in. */
static int compare_names(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static void dirents_free(struct dirent **entries, int n)
{
        for (int i = 0; i < n; i++)
                free(entries[i]);
        free(entries);
}

static int path_join(char **ret, const char *dir, const char *name)
{
        if (asprintf(ret, "%s/%s", dir, name) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* Lists the files to read into l->files: the main file, which need not
 * exist, then the drop-ins. */
static int collect_files(Loader *l, const char *dir)
{
        _cleanup_free_ char *dropins = NULL;
        struct dirent **entries = NULL;
        int n, r;

        r = path_join(&dropins, dir, DROPIN_DIR);
        if (r < 0)
                return r;

        n = scandir(dropins, &entries, is_dropin, compare_names);
        if (n < 0) {
                if (errno != ENOENT)
                        return fail(l, negative_errno(), dropins, 0,
                                    "cannot list: %s", strerror(errno));
                n = 0;
        }

        l->files = calloc((size_t)n + 2, sizeof(char *));
        r = l->files ? path_join(&l->files[0], dir, MAIN_FILE) : -ENOMEM;
        for (int i = 0; r >= 0 && i < n; i++)
                r = path_join(&l->files[i + 1], dropins, entries[i]->d_name);

        dirents_free(entries, n);
        return r;
}

int config_load(const char *dir, Config *ret, char **ret_error)
{
        _cleanup_(loader_done) Loader l = {};
        int r;

        if (ret_error)
                *ret_error = NULL;
        config_defaults(&l.config);

        r = collect_files(&l, dir ?: CONFIG_DIR);
        for (l.file = 0; r >= 0 && l.files[l.file]; l.file++)
                r = read_file(&l);
        for (int c = 0; r >= 0 && c < _CLASS_MAX; c++) {
                r = check_memory(&l, c);
                if (r >= 0)
                        r = check_burst(&l, c);
        }

        if (r < 0) {
                if (ret_error)
                        *ret_error = TAKE_PTR(l.message);
                return r;
        }

        *ret = l.config;
        return 0;
}
