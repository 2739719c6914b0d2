/* SPDX-License-Identifier: GPL-2.0-only */
/* The top verb (ctl-top.c): live per-step CPU share, throttling, boosts
 * and memory penalties. */
#pragma once

int verb_top(int argc, char **argv);
