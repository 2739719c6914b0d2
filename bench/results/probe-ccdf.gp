set terminal svg size 860,460 dynamic font "sans,11" background "white"
set termoption noenhanced
set output 'probe-ccdf.svg'
set title "Probe wake-up lateness, pooled over repetitions"
set grid ytics lc rgb "#dddddd"
set key top left
set xtics rotate by -30
set key bottom left
set logscale xy
set xlabel "lateness of a 1 ms sleep (ms)"
set ylabel "fraction of wake-ups later than x"
set format y "10^{%L}"
plot 'probe-ccdf-nocontrol-alone.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 1 dt 2 title 'none, alone', 'probe-ccdf-nocontrol-noisy.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 1 dt 1 title 'none, noisy', 'probe-ccdf-static-noisy.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 2 dt 1 title 'static, noisy', 'probe-ccdf-userspace-10ms-noisy.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 3 dt 1 title 'user 10ms, noisy', 'probe-ccdf-userspace-50ms-noisy.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 4 dt 1 title 'user 50ms, noisy', 'probe-ccdf-userspace-100ms-noisy.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 5 dt 1 title 'user 100ms, noisy', 'probe-ccdf-memhigh-noisy.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 6 dt 1 title 'mem.high, noisy', 'probe-ccdf-agentcg-cpu-noisy.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 7 dt 1 title 'agentcg CPU, noisy', 'probe-ccdf-agentcg-noisy.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 8 dt 1 title 'agentcg, noisy', 'probe-ccdf-agentcg-nocoupling-noisy.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 9 dt 1 title 'no coupling, noisy'
