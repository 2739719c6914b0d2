/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for the daemon's configuration (src/daemon/conf.c).  The file
 * layout (main file, drop-ins, precedence, what is skipped) and the error
 * locations are tested on the fixture directories under tests/unit/config,
 * whose path is the first argument; single settings are tested on a file
 * written to a temporary directory, which keeps each case next to what it
 * expects.  The second argument is the shipped example configuration,
 * which must agree with the built-in defaults.
 *
 * Every failing load must name FILE:LINE exactly and leave the caller's
 * Config as it was, because on reload that Config is the one in force.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "test.h"
#include "util.h"

#define G (UINT64_C(1) << 30)

/* The reasons the messages give, as conf.c words them. */
#define SIZE_SYNTAX                                                            \
        "expected bytes with an optional K, M, G or T suffix, or max"
#define CLASS_SYNTAX "expected interactive, latency, batch or besteffort"
#define CPU_MAX_SYNTAX                                                         \
        "expected max, a share of one CPU such as 50%%, or a quota in "       \
        "microseconds or with a unit, optionally followed by a period "       \
        "(50ms 100ms)"
#define PAIR_SYNTAX "expected KEY=VALUE, [SECTION] or a comment"

static const char *fixtures;
static char tmpdir[] = "/tmp/agentcg-test-config-XXXXXX";

/* A Config no load would produce, to see whether a failed load wrote. */
static void poison(Config *c)
{
        memset(c, 0xa5, sizeof(*c));
}

static bool poisoned(const Config *c)
{
        Config p;

        poison(&p);
        return memcmp(c, &p, sizeof(p)) == 0;
}

/* Field by field: memcmp() would also compare the padding after the
 * booleans, which no assignment is bound to copy. */
static bool class_equal(const ClassConfig *a, const ClassConfig *b)
{
        return a->cpu_weight == b->cpu_weight &&
               a->cpu_max.quota_usec == b->cpu_max.quota_usec &&
               a->cpu_max.period_usec == b->cpu_max.period_usec &&
               a->cpu_max_burst_usec == b->cpu_max_burst_usec &&
               a->memory_high == b->memory_high &&
               a->memory_max == b->memory_max &&
               a->memory_swap_max == b->memory_swap_max &&
               a->pids_max == b->pids_max && a->oom_group == b->oom_group &&
               a->latency_boost == b->latency_boost;
}

static bool config_equal(const Config *a, const Config *b)
{
        if (a->default_class != b->default_class ||
            a->max_sessions_per_user != b->max_sessions_per_user ||
            a->max_steps_per_user != b->max_steps_per_user ||
            a->max_memory_per_user != b->max_memory_per_user ||
            a->scheduler_partial != b->scheduler_partial ||
            a->memory_coupling != b->memory_coupling)
                return false;

        for (int i = 0; i < _CLASS_MAX; i++)
                if (!class_equal(&a->classes[i], &b->classes[i]))
                        return false;
        return true;
}

static void check_message(const char *error, const char *want)
{
        CHECK(error && want && streq(error, want));
        if (!error || !want || !streq(error, want))
                fprintf(stderr, "  got  '%s'\n  want '%s'\n",
                        error ?: "(none)", want ?: "(none)");
}

/* Loads fixture NAME.  On failure checks that the message is the
 * fixture's directory followed by what FMT makes, and that *ret was left
 * alone. */
_printf_(3, 4) static int fixture(const char *name, Config *ret,
                                  const char *fmt, ...)
{
        _cleanup_free_ char *dir = NULL, *tail = NULL, *want = NULL;
        _cleanup_free_ char *error = NULL;
        va_list ap;
        int r;

        CHECK(asprintf(&dir, "%s/%s", fixtures, name) >= 0);
        poison(ret);
        r = config_load(dir, ret, &error);
        if (!fmt) {
                CHECK(r == 0 && !error);
                return r;
        }

        va_start(ap, fmt);
        CHECK(vasprintf(&tail, fmt, ap) >= 0);
        va_end(ap);
        CHECK(asprintf(&want, "%s%s", dir, tail) >= 0);
        check_message(error, want);
        CHECK(poisoned(ret));
        return r;
}

static void test_defaults(void)
{
        Config c;

        config_defaults(&c);
        CHECK(c.default_class == CLASS_BATCH);
        CHECK(c.max_sessions_per_user == 16);
        CHECK(c.max_steps_per_user == 256);
        CHECK(c.max_memory_per_user == CGROUP_LIMIT_MAX);
        CHECK(c.classes[CLASS_INTERACTIVE].cpu_weight == 400);
        CHECK(c.classes[CLASS_LATENCY].cpu_weight == 200);
        CHECK(c.classes[CLASS_BATCH].cpu_weight == 100);
        CHECK(c.classes[CLASS_BESTEFFORT].cpu_weight == 20);
        CHECK(c.classes[CLASS_INTERACTIVE].latency_boost);
        CHECK(c.classes[CLASS_LATENCY].latency_boost);
        CHECK(!c.classes[CLASS_BATCH].latency_boost);
        CHECK(!c.classes[CLASS_BESTEFFORT].latency_boost);

        for (int i = 0; i < _CLASS_MAX; i++) {
                const ClassConfig *cc = &c.classes[i];

                CHECK(cc->oom_group);
                CHECK(cc->cpu_max.quota_usec == CGROUP_LIMIT_MAX);
                CHECK(cc->cpu_max.period_usec == 100000);
                CHECK(cc->cpu_max_burst_usec == 0);
                CHECK(cc->memory_high == CGROUP_LIMIT_MAX);
                CHECK(cc->memory_max == CGROUP_LIMIT_MAX);
                CHECK(cc->memory_swap_max == CGROUP_LIMIT_MAX);
                CHECK(cc->pids_max == CGROUP_LIMIT_MAX);
        }
}

static void test_class_names(void)
{
        for (int i = 0; i < _CLASS_MAX; i++)
                CHECK(class_from_string(class_to_string(i)) == i);
        CHECK(streq(class_to_string(CLASS_BESTEFFORT), "besteffort"));
        CHECK(class_to_string(_CLASS_MAX) == NULL);
        CHECK(class_to_string(-1) == NULL);
        CHECK(class_from_string("turbo") == -EINVAL);
        CHECK(class_from_string("Batch") == -EINVAL);
        CHECK(class_from_string("") == -EINVAL);
}

static void test_missing(void)
{
        Config c, d;

        config_defaults(&d);
        CHECK(fixture("does-not-exist", &c, NULL) == 0);
        CHECK(config_equal(&c, &d));

        /* An empty directory is no different. */
        CHECK(config_load(tmpdir, &c, NULL) == 0);
        CHECK(config_equal(&c, &d));
}

static void test_good(void)
{
        const ClassConfig *cc;
        Config c;

        CHECK(fixture("good", &c, NULL) == 0);
        CHECK(c.default_class == CLASS_LATENCY);
        CHECK(c.max_sessions_per_user == 32);
        CHECK(c.max_steps_per_user == CGROUP_LIMIT_MAX);
        CHECK(c.max_memory_per_user == 64 * G);

        cc = &c.classes[CLASS_INTERACTIVE];
        CHECK(cc->cpu_weight == 600);
        CHECK(cc->cpu_max.quota_usec == CGROUP_LIMIT_MAX);
        CHECK(cc->cpu_max.period_usec == 100000);
        CHECK(!cc->oom_group);
        CHECK(cc->latency_boost);

        cc = &c.classes[CLASS_BATCH];
        CHECK(cc->cpu_weight == 50);
        CHECK(cc->cpu_max.quota_usec == 20000);
        CHECK(cc->cpu_max.period_usec == 50000);
        CHECK(cc->cpu_max_burst_usec == 5000);
        CHECK(cc->memory_high == 2 * G);
        CHECK(cc->memory_max == 4 * G);
        CHECK(cc->pids_max == 1024);

        cc = &c.classes[CLASS_BESTEFFORT];
        CHECK(cc->cpu_weight == 20);
        CHECK(cc->memory_swap_max == 0);
        CHECK(!cc->latency_boost);

        CHECK(c.classes[CLASS_LATENCY].cpu_weight == 200);
}

static void test_dropins_only(void)
{
        Config c;

        CHECK(fixture("dropins-only", &c, NULL) == 0);
        CHECK(c.classes[CLASS_LATENCY].cpu_weight == 300);
        CHECK(c.classes[CLASS_BATCH].cpu_weight == 100);
}

static void test_bad_fixtures(void)
{
        Config c;

        CHECK(fixture("bad-key", &c,
                      "/agentcg.conf:6: unknown key CPUQuota= in "
                      "[Class.batch]") == -EINVAL);
        CHECK(fixture("bad-value", &c,
                      "/agentcg.conf.d/50-bad.conf:4: MemoryMax=12Q: "
                      SIZE_SYNTAX) == -EINVAL);
        CHECK(fixture("unknown-class", &c,
                      "/agentcg.conf:5: unknown class [Class.turbo]: the "
                      "classes are interactive, latency, batch and "
                      "besteffort") == -EINVAL);
        CHECK(fixture("unknown-section", &c,
                      "/agentcg.conf:1: unknown section [Scheduler]: "
                      "expected [Manager] or [Class.NAME]") == -EINVAL);
        CHECK(fixture("duplicate-key", &c,
                      "/agentcg.conf:9: CPUWeight= in [Class.batch] is "
                      "already set on line 2") == -EINVAL);
        CHECK(fixture("syntax", &c, "/agentcg.conf:3: " PAIR_SYNTAX) ==
              -EINVAL);
        CHECK(fixture("outside-section", &c,
                      "/agentcg.conf:2: DefaultClass= appears before any "
                      "section") == -EINVAL);
        CHECK(fixture("dropin-dir-is-file", &c,
                      "/agentcg.conf.d: cannot list: Not a directory") ==
              -ENOTDIR);

        /* Checked after all files, reported where the pair broke. */
        CHECK(fixture("memory-order", &c,
                      "/agentcg.conf.d/50-high.conf:2: [Class.batch] "
                      "MemoryHigh= (2147483648 bytes) is above MemoryMax= "
                      "(1073741824 bytes); MemoryMax= is set at "
                      "%s/memory-order/agentcg.conf:2",
                      fixtures) == -EINVAL);
}

/* Writes TEXT (LEN bytes) as the main file of the temporary directory and
 * loads it. */
static int load_bytes(const char *text, size_t len, Config *ret,
                      char **ret_error)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;

        CHECK(asprintf(&path, "%s/agentcg.conf", tmpdir) >= 0);
        f = fopen(path, "we");
        CHECK(f && fwrite(text, 1, len, f) == len && fflush(f) == 0);
        return config_load(tmpdir, ret, ret_error);
}

static int load_text(const char *text, Config *ret, char **ret_error)
{
        return load_bytes(text, strlen(text), ret, ret_error);
}

/* Expects TEXT to load, and returns its batch class. */
static ClassConfig batch(const char *text)
{
        _cleanup_free_ char *error = NULL;
        Config c;

        config_defaults(&c);
        CHECK(load_text(text, &c, &error) == 0);
        if (error)
                fprintf(stderr, "  unexpected error: %s\n", error);
        return c.classes[CLASS_BATCH];
}

/* Expects TEXT to fail with R, and with the message "FILE" followed by
 * what FMT makes, where FILE is the temporary file's name. */
_printf_(3, 4) static void fails(const char *text, int r, const char *fmt,
                                 ...)
{
        _cleanup_free_ char *error = NULL, *tail = NULL, *want = NULL;
        va_list ap;
        Config c;

        va_start(ap, fmt);
        CHECK(vasprintf(&tail, fmt, ap) >= 0);
        va_end(ap);

        poison(&c);
        CHECK(load_text(text, &c, &error) == r);
        CHECK(poisoned(&c));
        CHECK(asprintf(&want, "%s/agentcg.conf%s", tmpdir, tail) >= 0);
        check_message(error, want);
}

static bool cpu_max_is(ClassConfig cc, uint64_t quota, uint64_t period)
{
        return cc.cpu_max.quota_usec == quota &&
               cc.cpu_max.period_usec == period;
}

static void test_cpu_max(void)
{
        CHECK(cpu_max_is(batch("[Class.batch]\nCPUMax=50%\n"), 50000, 100000));
        CHECK(cpu_max_is(batch("[Class.batch]\nCPUMax=250% 10ms\n"), 25000,
                         10000));
        CHECK(cpu_max_is(batch("[Class.batch]\nCPUMax=50000 100000\n"), 50000,
                         100000));
        CHECK(cpu_max_is(batch("[Class.batch]\nCPUMax=30ms\n"), 30000,
                         100000));
        CHECK(cpu_max_is(batch("[Class.batch]\nCPUMax=max 1s\n"),
                         CGROUP_LIMIT_MAX, 1000000));
        CHECK(cpu_max_is(batch("[Class.batch]\nCPUMax=1000 1000\n"), 1000,
                         1000));
        CHECK(cpu_max_is(batch("[Class.batch]\nCPUMax=17592186044415\n"),
                         CPU_QUOTA_MAX_USEC, 100000));

        fails("[Class.batch]\nCPUMax=999\n", -ERANGE,
              ":2: CPUMax=999: the quota must be at least 1ms");
        fails("[Class.batch]\nCPUMax=0%\n", -ERANGE,
              ":2: CPUMax=0%%: the quota must be at least 1ms");
        fails("[Class.batch]\nCPUMax=5% 10ms\n", -ERANGE,
              ":2: CPUMax=5%% 10ms: the quota must be at least 1ms");
        fails("[Class.batch]\nCPUMax=17592186044416\n", -ERANGE,
              ":2: CPUMax=17592186044416: the quota must be below 2^44us");
        fails("[Class.batch]\nCPUMax=99999999999999999999%\n", -ERANGE,
              ":2: CPUMax=99999999999999999999%%: the quota must be below "
              "2^44us");
        fails("[Class.batch]\nCPUMax=50ms 999\n", -ERANGE,
              ":2: CPUMax=50ms 999: the period must be from 1ms to 1s");
        fails("[Class.batch]\nCPUMax=50ms 1000001\n", -ERANGE,
              ":2: CPUMax=50ms 1000001: the period must be from 1ms to 1s");
        fails("[Class.batch]\nCPUMax=half\n", -EINVAL,
              ":2: CPUMax=half: " CPU_MAX_SYNTAX);
        fails("[Class.batch]\nCPUMax=1 2 3\n", -EINVAL,
              ":2: CPUMax=1 2 3: " CPU_MAX_SYNTAX);
}

static void test_burst(void)
{
        ClassConfig cc;

        cc = batch("[Class.batch]\nCPUMax=20ms\nCPUMaxBurst=20ms\n");
        CHECK(cc.cpu_max_burst_usec == 20000);
        /* Without a quota the burst means nothing; the kernel takes it. */
        cc = batch("[Class.batch]\nCPUMaxBurst=1s\n");
        CHECK(cc.cpu_max_burst_usec == 1000000);

        fails("[Class.batch]\nCPUMax=20ms\nCPUMaxBurst=21ms\n", -EINVAL,
              ":3: [Class.batch] CPUMaxBurst= (21000us) is above the quota "
              "of CPUMax= (20000us); CPUMax= is set at %s/agentcg.conf:2",
              tmpdir);
        /* The quota set after the burst is the line to blame. */
        fails("[Class.batch]\nCPUMaxBurst=21ms\nCPUMax=20ms\n", -EINVAL,
              ":3: [Class.batch] CPUMaxBurst= (21000us) is above the quota "
              "of CPUMax= (20000us); CPUMaxBurst= is set at "
              "%s/agentcg.conf:2",
              tmpdir);
        fails("[Class.batch]\nCPUMax=17592186044415\nCPUMaxBurst=1ms\n",
              -EINVAL,
              ":3: [Class.batch] CPUMaxBurst= plus the quota of CPUMax= "
              "exceed 2^44us; CPUMax= is set at %s/agentcg.conf:2",
              tmpdir);
        fails("[Class.batch]\nCPUMaxBurst=17592186044416\n", -ERANGE,
              ":2: CPUMaxBurst=17592186044416: the burst must be below "
              "2^44us");
}

static void test_limits(void)
{
        ClassConfig cc;

        cc = batch("[Class.batch]\nMemoryHigh=1M\nMemoryMax=1M\n"
                   "PidsMax=4194304\n");
        CHECK(cc.memory_high == 1048576 && cc.memory_max == 1048576);
        CHECK(cc.pids_max == 4194304);
        cc = batch("[Class.batch]\nMemoryHigh=2G\nMemoryMax=max\n");
        CHECK(cc.memory_high == 2 * G);
        CHECK(cc.memory_max == CGROUP_LIMIT_MAX);
        cc = batch("[Class.batch]\nMemoryHigh=max\nMemoryMax=1G\n"
                   "MemorySwapMax=0\n");
        CHECK(cc.memory_high == CGROUP_LIMIT_MAX && cc.memory_max == G);
        CHECK(cc.memory_swap_max == 0);

        fails("[Class.batch]\nMemoryMax=1048575\n", -ERANGE,
              ":2: MemoryMax=1048575: the limit must be at least 1M");
        fails("[Class.batch]\nMemoryHigh=0\n", -ERANGE,
              ":2: MemoryHigh=0: the limit must be at least 1M");
        fails("[Class.batch]\nMemoryMax=18446744073709551616\n", -ERANGE,
              ":2: MemoryMax=18446744073709551616: the size does not fit "
              "in 64 bits");
        fails("[Class.batch]\nMemoryMax=-1\n", -EINVAL,
              ":2: MemoryMax=-1: " SIZE_SYNTAX);
        fails("[Class.batch]\nMemoryHigh=2G\nMemoryMax=1G\n", -EINVAL,
              ":3: [Class.batch] MemoryHigh= (2147483648 bytes) is above "
              "MemoryMax= (1073741824 bytes); MemoryHigh= is set at "
              "%s/agentcg.conf:2",
              tmpdir);
        fails("[Class.batch]\nPidsMax=0\n", -ERANGE,
              ":2: PidsMax=0: the limit must be from 1 to 4194304, or max");
        fails("[Class.batch]\nPidsMax=4194305\n", -ERANGE,
              ":2: PidsMax=4194305: the limit must be from 1 to 4194304, "
              "or max");
        fails("[Class.batch]\nCPUWeight=0\n", -ERANGE,
              ":2: CPUWeight=0: the weight must be from 1 to 10000");
        fails("[Class.batch]\nCPUWeight=0x10\n", -EINVAL,
              ":2: CPUWeight=0x10: expected a weight from 1 to 10000");
        fails("[Class.batch]\nOOMGroup=maybe\n", -EINVAL,
              ":2: OOMGroup=maybe: expected yes or no");
        fails("[Manager]\nDefaultClass=Batch\n", -EINVAL,
              ":2: DefaultClass=Batch: " CLASS_SYNTAX);
        fails("[Manager]\nMaxStepsPerUser=-1\n", -EINVAL,
              ":2: MaxStepsPerUser=-1: expected a number or max");
}

static void test_layout(void)
{
        _cleanup_free_ char *error = NULL;
        ClassConfig cc;
        Config c;

        /* CRLF line ends, a BOM and indentation are all fine. */
        cc = batch("\xef\xbb\xbf[Class.batch]\r\n  CPUWeight = 7\r\n"
                   "\tPidsMax=9\r\n");
        CHECK(cc.cpu_weight == 7 && cc.pids_max == 9);

        /* An indented line is a key of its own, not a continuation of the
         * value above it. */
        cc = batch("[Class.batch]\nCPUWeight=7\n    MemoryMax=2G\n");
        CHECK(cc.cpu_weight == 7 && cc.memory_max == 2 * G);

        /* An empty value restores the default, even in the same file. */
        CHECK(load_text("[Manager]\nDefaultClass=\n", &c, &error) == 0);
        CHECK(c.default_class == CLASS_BATCH);

        fails("[Class.batch] # the default class\n", -EINVAL,
              ":1: text after [Class.batch]; comments take a line of their "
              "own");
        fails("[Class.batch\nCPUWeight=1\n", -EINVAL, ":1: " PAIR_SYNTAX);
        fails("[]\n", -EINVAL,
              ":1: unknown section []: expected [Manager] or [Class.NAME]");
        fails("[Class.]\n", -EINVAL,
              ":1: unknown class [Class.]: the classes are interactive, "
              "latency, batch and besteffort");
        fails("[Manager]\nCPUWeight=5\n", -EINVAL,
              ":2: CPUWeight= belongs in a [Class.NAME] section, not in "
              "[Manager]");
        fails("[Class.latency]\nDefaultClass=batch\n", -EINVAL,
              ":2: DefaultClass= belongs in [Manager], not in "
              "[Class.latency]");
        fails("[Class.batch]\ncpuweight=5\n", -EINVAL,
              ":2: unknown key cpuweight= in [Class.batch]");

        /* The first problem is reported, whichever part found it. */
        fails("[Manager]\nnonsense\nDefaultClass=x\n", -EINVAL,
              ":2: " PAIR_SYNTAX);
        fails("[Manager]\nDefaultClass=x\nnonsense\n", -EINVAL,
              ":2: DefaultClass=x: " CLASS_SYNTAX);
}

static void test_odd_lines(void)
{
        _cleanup_free_ char *error = NULL;
        char text[600];
        Config c;
        int n;

        /* Long lines are refused, not cut into pieces read as keys. */
        n = snprintf(text, sizeof(text),
                     "[Manager]\n# %0500d\nDefaultClass=latency\n", 0);
        CHECK(load_bytes(text, (size_t)n, &c, &error) == -EINVAL);
        CHECK(error && strstr(error, "/agentcg.conf:2: the line is longer "
                                     "than "));

        free(error);
        error = NULL;
        CHECK(load_bytes("[Manager]\nDefault\0Class=latency\n", 33, &c,
                         &error) == -EINVAL);
        CHECK(error && strstr(error, "/agentcg.conf:2: the line contains a "
                                     "NUL byte"));
}

static void test_no_error_pointer(void)
{
        Config c;

        CHECK(load_text("[Class.batch]\nCPUWeight=0\n", &c, NULL) == -ERANGE);
        CHECK(load_text("[Class.batch]\nCPUWeight=1\n", &c, NULL) == 0);
        CHECK(c.classes[CLASS_BATCH].cpu_weight == 1);
}

/* "#Key=value" with a capital letter after the '#': a setting of the
 * example, commented out. */
static bool commented_setting(const char *line)
{
        return line[0] == '#' && line[1] >= 'A' && line[1] <= 'Z' &&
               strchr(line, '=');
}

/* The shipped example shows every key commented out with its default.
 * With those lines uncommented it must load, and to the built-in
 * defaults, or the example tells administrators something false. */
static void test_example(const char *path)
{
        _cleanup_free_ char *line = NULL, *text = NULL, *error = NULL;
        _cleanup_fclose_ FILE *in = fopen(path, "re");
        _cleanup_fclose_ FILE *out = NULL;
        size_t size = 0, text_size = 0;
        unsigned keys = 0;
        Config c, d;

        out = open_memstream(&text, &text_size);
        CHECK(in && out);
        if (!in || !out)
                return;

        while (getline(&line, &size, in) >= 0) {
                bool setting = commented_setting(line);

                keys += setting;
                fputs(line + setting, out);
        }
        CHECK(fflush(out) == 0);

        config_defaults(&d);
        CHECK(keys == 8 + 11 * _CLASS_MAX);
        CHECK(load_text(text, &c, &error) == 0);
        CHECK(config_equal(&c, &d));
        if (error)
                fprintf(stderr, "  %s: %s\n", path, error);
}

static void remove_tmpdir(void)
{
        _cleanup_free_ char *path = NULL;

        CHECK(asprintf(&path, "%s/agentcg.conf", tmpdir) >= 0);
        CHECK(path && unlink(path) == 0);
        CHECK(rmdir(tmpdir) == 0);
}

int main(int argc, char *argv[])
{
        if (argc != 3) {
                fprintf(stderr, "usage: %s FIXTURE-DIR EXAMPLE-CONFIG\n",
                        argv[0]);
                return EXIT_FAILURE;
        }
        fixtures = argv[1];
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return EXIT_FAILURE;
        }

        test_defaults();
        test_class_names();
        test_missing();
        test_good();
        test_dropins_only();
        test_bad_fixtures();
        test_cpu_max();
        test_burst();
        test_limits();
        test_layout();
        test_odd_lines();
        test_no_error_pointer();
        test_example(argv[2]);
        remove_tmpdir();

        return test_summary();
}
