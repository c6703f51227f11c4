# Plots bench/compare's sweeps (run from the repository root):
#   bench/compare --sweep seq > docs/figures/sweep_seq.dat
#   bench/compare --sweep hidden > docs/figures/sweep_hidden.dat
#   gnuplot bench/plot.gp
set terminal pngcairo size 800,500 font "sans,11"
set key top left
set grid
set ylabel "CPU ms per training step (1 thread)"

set output "docs/figures/time_vs_seq.png"
set title "LSTM training step (B 16, I 32, H 64) against sequence length T"
set xlabel "T (steps)"
set logscale xy 2
plot "docs/figures/sweep_seq.dat" using 1:2 with linespoints lw 2 title "recur", \
     "" using 1:3 with linespoints lw 2 title "PyTorch 1.13"

set output "docs/figures/time_vs_hidden.png"
set title "LSTM training step (B 32, T 64, I 64) against hidden size H"
set xlabel "H"
plot "docs/figures/sweep_hidden.dat" using 1:2 with linespoints lw 2 title "recur", \
     "" using 1:3 with linespoints lw 2 title "PyTorch 1.13"

# bench/compare --threads 2 --dat docs/figures/threads.dat: each row's speed-up from one thread
# to two, recur's and PyTorch's, as bars.
if (system("test -f docs/figures/threads.dat && echo 1") eq "1") {
  set output "docs/figures/threads_speedup.png"
  set title "Speed-up from one thread to two (wall time per step)"
  unset logscale
  set xlabel ""
  set ylabel "time on 1 thread / time on 2 threads"
  set style data histograms
  set style histogram clustered gap 1
  set style fill solid 0.8 border -1
  set boxwidth 0.9
  set xtics rotate by -30 scale 0 font ",9"
  set yrange [0:2.2]
  set key top right
  plot "docs/figures/threads.dat" using 2:xtic(1) title "recur", "" using 3 title "PyTorch 1.13", \
       1 with lines lc rgb "#999999" dt 2 notitle, 2 with lines lc rgb "#999999" dt 2 notitle
}
