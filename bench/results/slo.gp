set terminal svg size 860,460 dynamic font "sans,11" background "white"
set termoption noenhanced
set output 'slo.svg'
set title "Victim steps that ran and missed the SLO (slowdown > 2 or killed)"
set grid ytics lc rgb "#dddddd"
set key top left
set xtics rotate by -30
set ylabel "% (median over repetitions, 95 % CI)"
set yrange [0:*]
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.6 border -1
set boxwidth 0.9
plot 'slo.dat' using 2:3:4:xtic(1) title 'alone', 'slo.dat' using 5:6:7:xtic(1) title 'noisy'
