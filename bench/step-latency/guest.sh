#!/bin/bash
# vm-timeout: 1800
# In the testbed: start agentcgroupd, make a session to hold the steps, and
# time step create/run/end three ways (see step-bench.c).  The raw samples
# come back to the host as step-bench.csv.
set -euo pipefail

# The host writes N next to the program; the guest sees no host environment.
N=$(cat /usr/lib/agentcg-tests/step-bench.n 2>/dev/null || echo 1000)
systemctl start agentcgroupd.service
sleep 3600 &
agentcgctl session-new bench --pid $! >/dev/null

echo "kernel $(uname -r), $(nproc) vCPUs, sched_ext: $(cat /sys/kernel/sched_ext/root/ops)"
/usr/lib/agentcg-tests/step-bench bench "$N" /run/agentcg-tests/step-bench.csv

agentcgctl session-end bench
systemctl stop agentcgroupd.service
