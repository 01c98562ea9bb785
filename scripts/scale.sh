#!/usr/bin/env bash
# How ftpsniff's time and memory grow with capture size and with the number
# of concurrent sessions, on synthesized captures.
#
#   scripts/scale.sh                       # sizes 100M..800M, sessions 10/1000/100000 at 400M
#   SIZES="200M 1.5G" SESSIONS="10 100000" scripts/scale.sh
#
# Environment:
#   SIZES        capture sizes per profile (ftpsynth -size), default "100M 200M 400M 800M"
#   PROFILES     profiles for the size series, default "bulk control"
#   SESSIONS     concurrent sessions for the session series (control profile,
#                2 transfers each), default "10 1000 100000"
#   SESSION_SIZE capture size of the session series, default 400M
#   REPS         runs per capture (median taken), default 3
#   SEED         synth seed, default 1
#   WORK         directory for captures and binaries, default /tmp/ftpsniff-bench
#   CLEAN=1      delete the captures this script made afterwards
#
# Each run is `ftpsniff -r FILE --format json >/dev/null`, timed with
# date +%s.%N, peak RSS from GNU time (%M). Printed: markdown tables with
# packets, median seconds, microseconds per packet and peak RSS, and for
# the session series the sessions ftpsniff found and its state_limit_drops.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

SIZES=${SIZES:-100M 200M 400M 800M}
PROFILES=${PROFILES:-bulk control}
SESSIONS=${SESSIONS:-10 1000 100000}
SESSION_SIZE=${SESSION_SIZE:-400M}
REPS=${REPS:-3}
SEED=${SEED:-1}
WORK=${WORK:-/tmp/ftpsniff-bench}
CLEAN=${CLEAN:-0}

if [ ! -x /usr/bin/time ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
	else
		echo "scale.sh: please install GNU time (Debian: apt-get install time)" >&2
		exit 1
	fi
fi
mkdir -p "$WORK"
echo "== building (CGO_ENABLED=0)" >&2
CGO_ENABLED=0 go build -o "$WORK/ftpsniff" ./cmd/ftpsniff
CGO_ENABLED=0 go build -o "$WORK/ftpsynth" ./cmd/ftpsynth

made=()
# capture FILE ARGS...: generate FILE with ftpsynth ARGS unless it exists.
capture() {
	local f=$1
	shift
	if [ ! -f "$f" ]; then
		echo "== generating $f" >&2
		"$WORK/ftpsynth" -o "$f" -seed "$SEED" "$@" >&2
		made+=("$f")
	fi
	cat "$f" >/dev/null # warm the page cache
}

median() { sort -g | awk '{a[NR]=$1} END{if(NR%2)print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# measure FILE: prints "packets sessions drops median_s median_rss_kb"
measure() {
	local f=$1 t s0 s1 times=() rss=()
	local sum
	sum=$("$WORK/ftpsniff" -r "$f" --format json | tail -1)
	for _ in $(seq 1 "$REPS"); do
		t=$(mktemp)
		s0=$(date +%s.%N)
		/usr/bin/time -f '%M' -o "$t" "$WORK/ftpsniff" -r "$f" --format json >/dev/null
		s1=$(date +%s.%N)
		times+=("$(awk -v a="$s0" -v b="$s1" 'BEGIN{printf "%.3f", b-a}')")
		rss+=("$(tail -1 "$t")")
		rm -f "$t"
	done
	echo "$(sed 's/.*"packets":\([0-9]*\).*/\1/' <<<"$sum") $(sed 's/.*"sessions":\([0-9]*\).*/\1/' <<<"$sum") $(sed 's/.*"state_limit_drops":\([0-9]*\).*/\1/' <<<"$sum") $(printf '%s\n' "${times[@]}" | median) $(printf '%s\n' "${rss[@]}" | median)"
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(go version | cut -d' ' -f3)"
echo "== REPS=$REPS SEED=$SEED"
echo
echo "### Capture size (same profile and seed)"
echo
echo "| profile | size | packets | median s | µs/packet | peak RSS |"
echo "|---|---|---|---|---|---|"
for p in $PROFILES; do
	for sz in $SIZES; do
		f="$WORK/$p-$sz-s$SEED.pcap"
		capture "$f" -size "$sz" -profile "$p"
		read -r pk _ _ s m <<<"$(measure "$f")"
		awk -v p="$p" -v z="$sz" -v pk="$pk" -v s="$s" -v m="$m" 'BEGIN{
			printf "| %s | %s | %d | %.3f | %.3f | %.0f MB |\n", p, z, pk, s, s*1e6/pk, m/1024}'
	done
done
echo
echo "### Concurrent sessions (control profile, 2 transfers per session, $SESSION_SIZE)"
echo
echo "| sessions in flight | packets | sessions found | state_limit_drops | median s | µs/packet | peak RSS |"
echo "|---|---|---|---|---|---|---|"
for n in $SESSIONS; do
	f="$WORK/sessions-$n-$SESSION_SIZE-s$SEED.pcap"
	capture "$f" -size "$SESSION_SIZE" -profile control -sessions "$n" -transfers 2
	read -r pk ss dr s m <<<"$(measure "$f")"
	awk -v n="$n" -v pk="$pk" -v ss="$ss" -v dr="$dr" -v s="$s" -v m="$m" 'BEGIN{
		printf "| %d | %d | %d | %d | %.3f | %.3f | %.0f MB |\n", n, pk, ss, dr, s, s*1e6/pk, m/1024}'
done
if [ "$CLEAN" = 1 ] && [ ${#made[@]} -gt 0 ]; then rm -f "${made[@]}"; fi
