/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A minimal harness for the host unit tests: CHECK() records a failure with
 * its location instead of aborting, so one run reports every broken case,
 * and test_summary() prints the "N passed, N failed" line meson and CI read.
 */
#pragma once

#include <stdio.h>

static unsigned test_passed, test_failed;

#define CHECK(cond)                                                            \
        do {                                                                   \
                if (cond) {                                                    \
                        test_passed++;                                         \
                } else {                                                       \
                        test_failed++;                                         \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
                                __LINE__, #cond);                              \
                }                                                              \
        } while (0)

static inline int test_summary(void)
{
        printf("%u passed, %u failed\n", test_passed, test_failed);
        return test_failed ? 1 : 0;
}
