/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for the cgroup file helpers (src/shared/cgroup-util.c).  The
 * host has no usable cgroup v2, so these exercise the parsing and the file
 * handling on ordinary files in a temporary directory, with the contents
 * the kernel writes; the vm suite covers the real cgroupfs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-util.h"
#include "test.h"
#include "util.h"

static char dir[] = "/tmp/agentcg-test-XXXXXX";

static void put(const char *file, const char *text)
{
        CHECK(cg_write(dir, file, text) == 0);
}

static void test_read_key(void)
{
        uint64_t v = 0;

        put("cpu.stat", "usage_usec 1234\nuser_usec 1000\nsystem_usec 234\n");
        CHECK(cg_read_key(dir, "cpu.stat", "usage_usec", &v) == 0 && v == 1234);
        CHECK(cg_read_key(dir, "cpu.stat", "system_usec", &v) == 0 && v == 234);
        CHECK(cg_read_key(dir, "cpu.stat", "user", &v) == -ENOENT);
        CHECK(cg_read_key(dir, "cpu.stat", "nr_periods", &v) == -ENOENT);
        CHECK(cg_read_key(dir, "missing", "x", &v) == -ENOENT);
}

static void test_populated(void)
{
        bool populated = false;

        put("cgroup.events", "populated 1\nfrozen 0\n");
        CHECK(cg_is_populated(dir, &populated) == 0 && populated);

        put("cgroup.events", "populated 0\nfrozen 0\n");
        CHECK(cg_is_populated(dir, &populated) == 0 && !populated);
}

static void test_parse_limit(void)
{
        uint64_t v = 0;

        CHECK(cg_parse_limit("max\n", &v) == 0 && v == UINT64_MAX);
        CHECK(cg_parse_limit("max", &v) == 0 && v == UINT64_MAX);
        CHECK(cg_parse_limit("1048576\n", &v) == 0 && v == 1048576);
        CHECK(cg_parse_limit("maximum", &v) == -EINVAL);
        CHECK(cg_parse_limit("", &v) == -EINVAL);
        CHECK(cg_parse_limit("-1", &v) == -EINVAL);
        CHECK(cg_parse_limit("12k", &v) == -EINVAL);
        CHECK(cg_parse_limit("99999999999999999999999", &v) == -ERANGE);
}

static void test_read_large(void)
{
        _cleanup_free_ char *big = malloc(20000), *back = NULL;

        memset(big, 'a', 19999);
        big[19999] = 0;
        put("big", big);
        CHECK(cg_read(dir, "big", &back) == 0 && strcmp(back, big) == 0);
}

static void test_children(void)
{
        _cleanup_(strv_freep) char **children = NULL;
        char path[256];

        snprintf(path, sizeof(path), "%s/b-step", dir);
        CHECK(mkdir(path, 0755) == 0);
        snprintf(path, sizeof(path), "%s/a-step", dir);
        CHECK(mkdir(path, 0755) == 0);

        CHECK(cg_children(dir, &children) == 2);
        CHECK(children && strcmp(children[0], "a-step") == 0);
        CHECK(children && strcmp(children[1], "b-step") == 0);
        CHECK(children && children[2] == NULL);

        rmdir(path);
        snprintf(path, sizeof(path), "%s/b-step", dir);
        rmdir(path);
}

/* A session left with an empty step below it is removed whole; one whose
 * step cannot go (a regular file stands in for a process here) stays. */
static void test_trim(void)
{
        char scope[256], step[256], inner[256], busy[256];

        snprintf(scope, sizeof(scope), "%s/scope", dir);
        snprintf(step, sizeof(step), "%s/step", scope);
        snprintf(inner, sizeof(inner), "%s/inner", step);
        CHECK(mkdir(scope, 0755) == 0 && mkdir(step, 0755) == 0 && mkdir(inner, 0755) == 0);

        CHECK(cg_trim(scope) == 0);
        CHECK(access(scope, F_OK) < 0 && errno == ENOENT);
        CHECK(cg_trim(scope) == 0);

        snprintf(busy, sizeof(busy), "%s/cgroup.procs", step);
        CHECK(mkdir(scope, 0755) == 0 && mkdir(step, 0755) == 0);
        fclose(fopen(busy, "w"));
        CHECK(cg_trim(scope) < 0);
        CHECK(access(step, F_OK) == 0);

        unlink(busy);
        CHECK(cg_trim(scope) == 0);
}

int main(void)
{
        const char *files[] = { "cpu.stat", "cgroup.events", "big" };

        if (!mkdtemp(dir))
                return 1;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char path[256];
                snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
                fclose(fopen(path, "w"));
        }

        test_read_key();
        test_populated();
        test_parse_limit();
        test_read_large();
        test_children();
        test_trim();

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char path[256];
                snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
                unlink(path);
        }
        rmdir(dir);
        return test_summary();
}
