set terminal svg size 860,460 dynamic font "sans,11" background "white"
set termoption noenhanced
set output 'slowdown-p99.svg'
set title "Victim steps: slowdown p99 (latency / alone reference)"
set grid ytics lc rgb "#dddddd"
set key top left
set xtics rotate by -30
set ylabel "x (median over repetitions, 95 % CI)"
set yrange [0:*]
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.6 border -1
set boxwidth 0.9
plot 'slowdown-p99.dat' using 2:3:4:xtic(1) title 'alone', 'slowdown-p99.dat' using 5:6:7:xtic(1) title 'noisy'
