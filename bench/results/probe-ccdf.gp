set terminal svg size 760,420 dynamic font "sans,11" background "white"
set termoption noenhanced
set output 'probe-ccdf.svg'
set title "Probe wake-up lateness, pooled over repetitions"
set grid ytics lc rgb "#dddddd"
set key top left
set key bottom left
set logscale xy
set xlabel "lateness of a 1 ms sleep (ms)"
set ylabel "fraction of wake-ups later than x"
set format y "10^{%L}"
plot 'probe-ccdf-nocontrol-alone.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 1 dt 2 title 'no control, alone', 'probe-ccdf-nocontrol-noisy.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 1 dt 1 title 'no control, noisy', 'probe-ccdf-static-alone.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 2 dt 2 title 'static knobs, alone', 'probe-ccdf-static-noisy.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 2 dt 1 title 'static knobs, noisy', 'probe-ccdf-agentcg-alone.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 3 dt 2 title 'agentcg, alone', 'probe-ccdf-agentcg-noisy.dat' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc 3 dt 1 title 'agentcg, noisy'
