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
