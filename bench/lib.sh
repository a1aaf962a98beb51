# bench/lib.sh — the arithmetic the benchmarks share (sourced, not run): nanosecond
# timestamps, the median of a column of numbers, and how figures are printed.

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# ms NS: NS nanoseconds in milliseconds.
ms() { awk -v ns="$1" 'BEGIN {printf "%.1f", ns/1e6}'; }
# mbps NS: the MiB/s of a 1 GiB copy that took NS nanoseconds.
mbps() { awk -v ns="$1" 'BEGIN {printf "%.0f", 1024 / (ns/1e9)}'; }
# ratio A B: A / B.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
