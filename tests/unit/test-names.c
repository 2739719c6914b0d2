/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests for session and step name rules (src/shared/names.c). */
#include <errno.h>
#include <string.h>

#include "names.h"
#include "test.h"

static void check_refused(const char *name, const char *expected_reason)
{
        const char *reason = NULL;

        CHECK(name_check(name, &reason) == -EINVAL);
        CHECK(reason && strcmp(reason, expected_reason) == 0);
        if (!reason || strcmp(reason, expected_reason) != 0)
                fprintf(stderr, "  name '%s': got reason '%s'\n", name, reason ?: "(none)");
}

static void test_valid(void)
{
        const char *reason = "unset";

        CHECK(name_check("build-42", &reason) == 0);
        CHECK(reason == NULL);
        CHECK(name_check("a", NULL) == 0);
        CHECK(name_check("A_b-C_9", NULL) == 0);
        CHECK(name_check("memory", NULL) == 0);
        CHECK(name_check("cgroup", NULL) == 0);
}

static void test_length(void)
{
        char name[NAME_MAX_LEN + 2];

        memset(name, 'x', sizeof(name));
        name[NAME_MAX_LEN] = 0;
        CHECK(name_check(name, NULL) == 0);

        name[NAME_MAX_LEN] = 'x';
        name[NAME_MAX_LEN + 1] = 0;
        check_refused(name, "is longer than 64 characters");
}

static void test_refused(void)
{
        check_refused("", "is empty");
        check_refused("a/b", "contains '/'");
        check_refused("/", "contains '/'");
        check_refused("../etc", "contains '/'");
        check_refused(".", "is a relative directory reference");
        check_refused("..", "is a relative directory reference");
        check_refused("cgroup.procs", "is the name of a cgroup interface file");
        check_refused("cgroup.kill", "is the name of a cgroup interface file");
        check_refused("cpu.weight", "is the name of a cgroup interface file");
        check_refused("memory.max", "is the name of a cgroup interface file");
        check_refused("pids.max", "is the name of a cgroup interface file");
        check_refused("supervisor", "is reserved for the session's own processes");
        check_refused("-rf", "starts with '-'");
        check_refused("a.b", "contains a character outside [A-Za-z0-9_-]");
        check_refused("sp ace", "contains a character outside [A-Za-z0-9_-]");
        check_refused("tab\t", "contains a character outside [A-Za-z0-9_-]");
        check_refused("uni\xc3\xa9", "contains a character outside [A-Za-z0-9_-]");
        check_refused("new\nline", "contains a character outside [A-Za-z0-9_-]");
}

static void test_interface_files(void)
{
        CHECK(name_is_interface_file("cgroup.events"));
        CHECK(name_is_interface_file("io.max"));
        CHECK(!name_is_interface_file("cpux.weight"));
        CHECK(!name_is_interface_file("cpu"));
        CHECK(!name_is_interface_file(".cpu"));
}

int main(void)
{
        test_valid();
        test_length();
        test_refused();
        test_interface_files();
        return test_summary();
}
