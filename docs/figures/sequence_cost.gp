cd 'docs/figures'
set datafile separator ','
set logscale xy
set grid
set key top left
set xlabel 'sequence length T'
set xtics (64,128,256,512,1024,2048,4096)
set xrange [48:5600]
pick(name, col) = strcol(1) eq name && strcol(11) eq 'ok' ? column(col) : NaN
t2_time(x) = 8.98748e-05 * x**2
t1_time(x) = 0.00261611 * x
t2_memory(x) = 0.000390773 * x**2
t1_memory(x) = 0.00313477 * x
set terminal pngcairo size 1200,500 font ',10'
set output 'sequence_cost.png'
set multiplot layout 1,2 title 'One training step against sequence length (batch 2, width 32, one thread)'
set ylabel 'CPU ms per training step'
plot 'sequence_cost.csv' every ::1 using 2:(pick('attention', 6)) with linespoints lw 2 pt 7 lc rgb '#ff7f0e' title 'attention (2 blocks)', '' every ::1 using 2:(pick('lstm', 6)) with linespoints lw 2 pt 5 lc rgb '#1f77b4' title 'lstm', t2_time(x) dashtype 2 lc rgb '#ff7f0e' title 'grows as T^2', t1_time(x) dashtype 2 lc rgb '#1f77b4' title 'grows as T'
set ylabel 'MiB a training step takes (peak RSS minus RSS before it)'
plot 'sequence_cost.csv' every ::1 using 2:(pick('attention', 10)) with linespoints lw 2 pt 7 lc rgb '#ff7f0e' title 'attention (2 blocks)', '' every ::1 using 2:(pick('lstm', 10)) with linespoints lw 2 pt 5 lc rgb '#1f77b4' title 'lstm', t2_memory(x) dashtype 2 lc rgb '#ff7f0e' title 'grows as T^2', t1_memory(x) dashtype 2 lc rgb '#1f77b4' title 'grows as T'
unset multiplot
set terminal svg size 1200,500 dynamic
set output 'sequence_cost.svg'
set multiplot layout 1,2 title 'One training step against sequence length (batch 2, width 32, one thread)'
set ylabel 'CPU ms per training step'
plot 'sequence_cost.csv' every ::1 using 2:(pick('attention', 6)) with linespoints lw 2 pt 7 lc rgb '#ff7f0e' title 'attention (2 blocks)', '' every ::1 using 2:(pick('lstm', 6)) with linespoints lw 2 pt 5 lc rgb '#1f77b4' title 'lstm', t2_time(x) dashtype 2 lc rgb '#ff7f0e' title 'grows as T^2', t1_time(x) dashtype 2 lc rgb '#1f77b4' title 'grows as T'
set ylabel 'MiB a training step takes (peak RSS minus RSS before it)'
plot 'sequence_cost.csv' every ::1 using 2:(pick('attention', 10)) with linespoints lw 2 pt 7 lc rgb '#ff7f0e' title 'attention (2 blocks)', '' every ::1 using 2:(pick('lstm', 10)) with linespoints lw 2 pt 5 lc rgb '#1f77b4' title 'lstm', t2_memory(x) dashtype 2 lc rgb '#ff7f0e' title 'grows as T^2', t1_memory(x) dashtype 2 lc rgb '#1f77b4' title 'grows as T'
unset multiplot
