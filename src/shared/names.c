/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Name validation for sessions and steps.  The checks run from the most
 * specific rule to the most general so that the reason given to a caller
 * names the real problem ("contains '/'") rather than a generic one
 * ("has an invalid character").
 */
#include <errno.h>
#include <string.h>

#include "names.h"
#include "util.h"

static const char *const interface_prefixes[] = {
        "cgroup", "cpu", "cpuset", "io", "memory", "pids",
        "rdma", "hugetlb", "misc", "dmem",
};

static bool char_ok(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool name_is_interface_file(const char *name)
{
        const char *dot = strchr(name, '.');

        if (!dot)
                return false;

        for (size_t i = 0; i < ELEMENTSOF(interface_prefixes); i++) {
                size_t n = strlen(interface_prefixes[i]);

                if ((size_t)(dot - name) == n && strncmp(name, interface_prefixes[i], n) == 0)
                        return true;
        }
        return false;
}

static const char *first_problem(const char *name)
{
        if (isempty(name))
                return "is empty";
        if (strlen(name) > NAME_MAX_LEN)
                return "is longer than 64 characters";
        if (strchr(name, '/'))
                return "contains '/'";
        if (streq(name, ".") || streq(name, ".."))
                return "is a relative directory reference";
        if (name_is_interface_file(name))
                return "is the name of a cgroup interface file";
        if (streq(name, SUPERVISOR_CGROUP))
                return "is reserved for the session's own processes";
        if (name[0] == '-')
                return "starts with '-'";

        for (const char *p = name; *p; p++)
                if (!char_ok(*p))
                        return "contains a character outside [A-Za-z0-9_-]";

        return NULL;
}

int name_check(const char *name, const char **reason)
{
        const char *problem = first_problem(name);

        if (reason)
                *reason = problem;
        return problem ? -EINVAL : 0;
}
