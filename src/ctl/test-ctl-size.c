/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host unit test of ctl-size.c, the parsers of agentcgctl's --memory-max
 * and --cpu-weight.  Every case names an input and the result expected;
 * the last line of output counts them, and the exit status is non-zero if
 * any failed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl-size.h"
#include "util.h"

#define KIB UINT64_C(1024)

struct size_case {
        const char *input;
        int r;
        uint64_t value; /* only checked when r == 0 */
};

static const struct size_case size_cases[] = {
        { "0", 0, 0 },
        { "1", 0, 1 },
        { "4096", 0, 4096 },
        { "1K", 0, KIB },
        { "1k", 0, KIB },
        { "512M", 0, 512 * KIB * KIB },
        { "2G", 0, 2 * KIB * KIB * KIB },
        { "3t", 0, 3 * KIB * KIB * KIB * KIB },
        { "max", 0, UINT64_MAX },
        { "18446744073709551615", 0, UINT64_MAX },
        { "18446744073709551616", -ERANGE, 0 },
        { "99999999999999999999999", -ERANGE, 0 },
        { "16777215T", 0, UINT64_C(16777215) << 40 },
        { "16777216T", -ERANGE, 0 },
        { "17179869184G", -ERANGE, 0 },
        { "", -EINVAL, 0 },
        { "K", -EINVAL, 0 },
        { "-1", -EINVAL, 0 },
        { "+1", -EINVAL, 0 },
        { " 1", -EINVAL, 0 },
        { "1 ", -EINVAL, 0 },
        { "0x10", -EINVAL, 0 },
        { "1.5G", -EINVAL, 0 },
        { "1KB", -EINVAL, 0 },
        { "1KiB", -EINVAL, 0 },
        { "1P", -EINVAL, 0 },
        { "1Z", -EINVAL, 0 },
        { "MAX", -EINVAL, 0 },
        { "max1", -EINVAL, 0 },
        { "infinity", -EINVAL, 0 },
};

static const struct size_case memory_max_cases[] = {
        { "0", -ERANGE, 0 },
        { "0K", -ERANGE, 0 },
        { "1", 0, 1 },
        { "256M", 0, 256 * KIB * KIB },
        { "max", 0, UINT64_MAX },
        { "lots", -EINVAL, 0 },
};

static const struct size_case cpu_weight_cases[] = {
        { "1", 0, 1 },
        { "100", 0, 100 },
        { "10000", 0, 10000 },
        { "0", -ERANGE, 0 },
        { "10001", -ERANGE, 0 },
        { "99999999999999999999", -ERANGE, 0 },
        { "", -EINVAL, 0 },
        { "-5", -EINVAL, 0 },
        { "5K", -EINVAL, 0 },
        { "max", -EINVAL, 0 },
        { "1e3", -EINVAL, 0 },
};

static unsigned passed, failed;

static void check(const char *parser, int (*parse)(const char *, uint64_t *),
                  const struct size_case *c)
{
        uint64_t value = UINT64_C(0xdeadbeef);
        int r = parse(c->input, &value);

        if (r == c->r && (r < 0 || value == c->value)) {
                passed++;
                return;
        }

        failed++;
        printf("FAIL %s(\"%s\"): got r=%d value=%" PRIu64 ", want r=%d value=%" PRIu64 "\n",
               parser, c->input, r, value, c->r, c->value);
}

/* A failed parse must leave the output alone, so a default set before
 * parsing survives a bad option value. */
static void check_untouched(void)
{
        uint64_t value = 42;

        if (parse_size("bogus", &value) < 0 && value == 42) {
                passed++;
                return;
        }

        failed++;
        printf("FAIL parse_size(\"bogus\") changed its output to %" PRIu64 "\n", value);
}

int main(void)
{
        for (size_t i = 0; i < ELEMENTSOF(size_cases); i++)
                check("parse_size", parse_size, &size_cases[i]);
        for (size_t i = 0; i < ELEMENTSOF(memory_max_cases); i++)
                check("parse_memory_max", parse_memory_max, &memory_max_cases[i]);
        for (size_t i = 0; i < ELEMENTSOF(cpu_weight_cases); i++)
                check("parse_cpu_weight", parse_cpu_weight, &cpu_weight_cases[i]);
        check_untouched();

        printf("%u passed, %u failed\n", passed, failed);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
