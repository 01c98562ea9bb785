#!/usr/bin/env bash
# Benchmark ftpsniff against tshark (what a user would run instead) and
# tcpdump (the floor: reading the file) on synthesized captures.
#
#   scripts/bench.sh                    # quick: 200M per profile, 5 reps
#   SIZE=1.5G REPS=3 TSHARK_REPS=1 scripts/bench.sh
#
# Environment:
#   SIZE         capture size per profile (ftpsynth -size), default 200M
#   PROFILES     synth profiles, default "bulk control"
#   REPS         repetitions of ftpsniff and tcpdump, default 5
#   TSHARK_REPS  repetitions of tshark (slow), default 2 (1 when SIZE is in G)
#   SEED         synth seed, default 1
#   WORK         directory for captures and binaries, default /tmp/ftpsniff-bench
#   CLEAN=1      delete the captures afterwards (they are reused otherwise)
#
# The tools run interleaved (ftpsniff, tshark, tcpdump, ftpsniff, ...) on the
# same file after one untimed read that warms the page cache. Wall time is
# taken with date +%s.%N around each run, peak RSS from GNU time (%M, the
# "Maximum resident set size" of time -v).
# Printed per tool: median seconds, packets/s, MB/s, median peak RSS, and the
# ratios ftpsniff/tcpdump and tshark/ftpsniff.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

SIZE=${SIZE:-200M}
PROFILES=${PROFILES:-bulk control}
REPS=${REPS:-5}
case "$SIZE" in *[gG]*) def_tshark=1 ;; *) def_tshark=2 ;; esac
TSHARK_REPS=${TSHARK_REPS:-$def_tshark}
SEED=${SEED:-1}
WORK=${WORK:-/tmp/ftpsniff-bench}
CLEAN=${CLEAN:-0}

need=()
command -v tshark >/dev/null || need+=(tshark)
command -v tcpdump >/dev/null || need+=(tcpdump)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "== installing ${need[*]}" >&2
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
	else
		echo "bench.sh: please install: ${need[*]} (Debian: apt-get install ${need[*]})" >&2
		exit 1
	fi
fi

mkdir -p "$WORK"
echo "== building (CGO_ENABLED=0)" >&2
CGO_ENABLED=0 go build -o "$WORK/ftpsniff" ./cmd/ftpsniff
CGO_ENABLED=0 go build -o "$WORK/ftpsynth" ./cmd/ftpsynth

# bytes SIZE -> integer bytes (K/M/G are powers of 1024, like ftpsynth).
bytes() {
	awk -v s="$1" 'BEGIN{n=s+0; u=toupper(substr(s,length(s))); m=1
		if(u=="K")m=1024; if(u=="M")m=1048576; if(u=="G")m=1073741824; printf "%d", n*m}'
}
want=$(bytes "$SIZE")
nprof=$(wc -w <<<"$PROFILES")
avail=$(df -B1 --output=avail "$WORK" | tail -1)
missing=0
for p in $PROFILES; do [ -f "$WORK/$p-$SIZE-s$SEED.pcap" ] || missing=$((missing + want)); done
if [ "$missing" -gt 0 ] && [ "$avail" -lt $((missing + (1 << 30))) ]; then
	echo "bench.sh: need $((missing >> 20)) MiB (+1 GiB slack) in $WORK, have $((avail >> 20)) MiB" >&2
	exit 1
fi

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(go version | cut -d' ' -f3), $(tshark --version 2>/dev/null | head -1), $(tcpdump --version 2>&1 | head -1)"
echo "== SIZE=$SIZE PROFILES='$PROFILES' REPS=$REPS TSHARK_REPS=$TSHARK_REPS SEED=$SEED"

median() { sort -g | awk '{a[NR]=$1} END{if(NR==0){print "nan"; exit} if(NR%2)print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# timed TOOL FILE: one run; appends "secs rss_kb" to $WORK/times.TOOL
timed() {
	local tool=$1 f=$2 t t0 t1
	t=$(mktemp)
	t0=$(date +%s.%N)
	case $tool in
	ftpsniff) /usr/bin/time -f '%e %M' -o "$t" "$WORK/ftpsniff" -r "$f" --format json >/dev/null 2>"$WORK/ftpsniff.err" || [ $? = 3 ] ;;
	tshark) /usr/bin/time -f '%e %M' -o "$t" tshark -r "$f" -Y ftp >/dev/null 2>"$WORK/tshark.err" ;;
	tcpdump) /usr/bin/time -f '%e %M' -o "$t" tcpdump -r "$f" -w /dev/null 2>"$WORK/tcpdump.err" ;;
	esac
	t1=$(date +%s.%N)
	# wall time from date (ns resolution), peak RSS from GNU time
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') $(tail -1 "$t" | cut -d' ' -f2)" >>"$WORK/times.$tool"
	rm -f "$t"
}

summary=()
for p in $PROFILES; do
	f="$WORK/$p-$SIZE-s$SEED.pcap"
	if [ ! -f "$f" ]; then
		echo "== generating $f" >&2
		"$WORK/ftpsynth" -o "$f" -size "$SIZE" -profile "$p" -seed "$SEED"
	fi
	fbytes=$(stat -c %s "$f")
	cat "$f" >/dev/null # warm the page cache once
	pkts=$("$WORK/ftpsniff" -r "$f" --format json | tail -1 | sed 's/.*"packets":\([0-9]*\).*/\1/')
	sessions=$("$WORK/ftpsniff" -r "$f" --format json | tail -1 | sed 's/.*"sessions":\([0-9]*\).*/\1/')
	rm -f "$WORK"/times.*
	for r in $(seq 1 "$REPS"); do
		echo "-- $p rep $r/$REPS" >&2
		timed ftpsniff "$f"
		[ "$r" -le "$TSHARK_REPS" ] && timed tshark "$f"
		timed tcpdump "$f"
	done
	echo
	echo "### profile $p: $((fbytes / 1048576)) MiB, $pkts packets, $sessions sessions ($f)"
	printf '| %-8s | %4s | %9s | %12s | %9s | %9s |\n' tool runs "median s" "packets/s" "MB/s" "peak RSS"
	printf '|%s|%s|%s|%s|%s|%s|\n' ---------- ------ ----------- -------------- ----------- -----------
	declare -A med=()
	for tool in ftpsniff tshark tcpdump; do
		n=$(wc -l <"$WORK/times.$tool")
		s=$(cut -d' ' -f1 "$WORK/times.$tool" | median)
		m=$(cut -d' ' -f2 "$WORK/times.$tool" | median)
		med[$tool]=$s
		awk -v t=$tool -v n="$n" -v s="$s" -v m="$m" -v p="$pkts" -v b="$fbytes" 'BEGIN{
			ss = s > 0 ? s : 0.005
			printf "| %-8s | %4d | %9.3f | %12.0f | %9.1f | %6.0f MB |\n", t, n, s, p/ss, b/1e6/ss, m/1024}'
	done
	ratio=$(awk -v a="${med[ftpsniff]}" -v b="${med[tcpdump]}" -v c="${med[tshark]}" 'BEGIN{
		a = a > 0 ? a : 0.005; b = b > 0 ? b : 0.005
		printf "ftpsniff/tcpdump = %.2fx, tshark/ftpsniff = %.1fx", a/b, c/a}')
	echo
	echo "$p: $ratio"
	summary+=("$p ($SIZE): $ratio")
	unset med
	if [ "$CLEAN" = 1 ]; then rm -f "$f"; fi
done
echo
echo "== ratios (medians of the same interleaved run)"
printf '%s\n' "${summary[@]}"
