#!/usr/bin/env bash
# End-to-end test of live capture (ftpsniff -i), run as root:
#
#   lab/live-test.sh            # default build, then the -tags libpcap build
#   LIVE_TEST_LIBPCAP=0 lab/live-test.sh   # default build only
#
# It builds the lab topology (client -- router -- vsftpd server, in its own
# namespaces ftplv-*, so it can run next to lab/run.sh), installs a stateful
# nftables firewall on the router that drops inbound TCP to the client LAN
# (so active-mode data connections fail), runs `ftpsniff -i f1 --format
# json` in the router namespace, makes passive transfers (ok) and active
# transfers (dropped) over IPv4 and IPv6, sends SIGINT and checks every
# verdict. It also checks that the -w recording gives the same verdicts
# with -r, that taking the interface down ends the capture with exit 1 and
# the report so far, and (libpcap build) that -f works and warns about port
# filters.
#
# Exit status: 0 passed or skipped (the reason is printed as "SKIP: ..."),
# 1 failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
skip() { echo "SKIP: live-test: $*"; exit 0; }
fail() { echo "FAIL: live-test: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, CAP_NET_RAW)"
for c in ip nft python3 go; do command -v "$c" >/dev/null || skip "$c not installed"; done
[ -x /usr/sbin/vsftpd ] || skip "vsftpd not installed (apt-get install vsftpd)"
ip netns add ftplv-probe 2>/dev/null || skip "cannot create network namespaces"
ip netns del ftplv-probe

# shellcheck source=lab/lib.sh
. "$ROOT/lab/lib.sh"
LAB_NS_CLI=ftplv-cli LAB_NS_FW=ftplv-fw LAB_NS_SRV=ftplv-srv
lab_init
SNIFF_PID=
stop_sniff() {
	if [ -n "$SNIFF_PID" ]; then kill -TERM "$SNIFF_PID" 2>/dev/null || true; wait "$SNIFF_PID" 2>/dev/null || true; fi
	SNIFF_PID=
}
trap 'stop_sniff; lab_cleanup' EXIT
trap 'stop_sniff; lab_cleanup; exit 130' INT TERM
W=$LAB_WORK

echo "live-test: building ftpsniff"
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$W/ftpsniff" ./cmd/ftpsniff) || fail "go build"

lab_topo_up
lab_srv_start connect_from_port_20=NO
lab_fw_apply "table inet ftpl {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept comment \"established/related\"
    iifname \"f0\" oifname \"f1\" counter accept comment \"client LAN -> outside\"
    iifname \"f1\" oifname \"f0\" meta l4proto tcp counter drop comment \"inbound TCP to client LAN\"
    counter comment \"policy drop\"
  }
}"

# start_sniff <tag> <binary> [args...]: ftpsniff -i f1 in the router; waits for "listening on".
start_sniff() {
	local tag=$1 bin=$2 i
	shift 2
	: >"$W/$tag.err"
	ip netns exec "$LAB_NS_FW" "$bin" -i "$LAB_IF_FW_SRV" --format json "$@" >"$W/$tag.json" 2>"$W/$tag.err" &
	SNIFF_PID=$!
	for i in $(seq 100); do
		grep -q 'listening on' "$W/$tag.err" && return 0
		kill -0 "$SNIFF_PID" 2>/dev/null || fail "$tag: ftpsniff exited: $(cat "$W/$tag.err")"
		sleep 0.1
	done
	fail "$tag: ftpsniff not listening: $(cat "$W/$tag.err")"
}

# session <server> <plan-json>: one FTP control connection from the client.
NS=0
session() {
	NS=$((NS + 1))
	printf '%s\n' "$2" >"$W/plan$NS.json"
	lab_cli python3 "$LAB_DIR/ftpclient.py" --host "$1" --plan "$W/plan$NS.json" --out "$W/rec$NS.json" >/dev/null ||
		fail "ftp client session $NS failed"
}

# wait_transfers <tag> <n>: wait (up to 40 s) until n transfer records were streamed.
wait_transfers() {
	local i
	for i in $(seq 400); do
		[ "$(grep -c '"type":"transfer"' "$W/$1.json" || true)" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "live-test: only $(grep -c '"type":"transfer"' "$W/$1.json" || true) of $2 transfers after 40 s" >&2
}

# stop_sigint <tag>: SIGINT, expect exit 0.
stop_sigint() {
	local rc=0
	kill -INT "$SNIFF_PID"
	wait "$SNIFF_PID" || rc=$?
	SNIFF_PID=
	[ "$rc" = 0 ] || fail "$1: ftpsniff exited $rc after SIGINT: $(cat "$W/$1.err")"
}

# check <json-file> <expected: space-separated "NEG=verdict" in order>
check() {
	python3 - "$@" <<'EOF'
import json, sys
path, want = sys.argv[1], sys.argv[2].split()
recs = [json.loads(l) for l in open(path) if l.strip()]
got = ["%s=%s" % (r["negotiation"], r["verdict"]) for r in recs if r.get("type") == "transfer"]
summ = [r for r in recs if r.get("type") == "summary"]
ok = got == want and len(summ) == 1
print("live-test: %s: %s %s" % (path.rsplit("/", 1)[-1], "ok" if ok else "MISMATCH", " ".join(got)))
if not ok:
    print("  want: " + " ".join(want), file=sys.stderr)
    print("  summary records: %d" % len(summ), file=sys.stderr)
    sys.exit(1)
EOF
}

PLAN4='[{"neg":"PASV","cmd":"RETR small.txt"},{"neg":"PORT","cmd":"LIST"},{"neg":"EPSV","cmd":"LIST"},{"neg":"EPRT","cmd":"RETR small.txt"}]'
PLAN6='[{"neg":"EPSV","cmd":"RETR data.bin"},{"neg":"EPRT","cmd":"LIST"}]'
WANT="PASV=ok PORT=dropped EPSV=ok EPRT=dropped EPSV=ok EPRT=dropped"

run_scenario() { # tag binary [extra ftpsniff args]
	local tag=$1
	start_sniff "$@" --drop-wait 5s --syn-grace 2s
	session "$LAB_SRV4" "$PLAN4"
	session "$LAB_SRV6" "$PLAN6"
	wait_transfers "$tag" 6
	stop_sigint "$tag"
	check "$W/$tag.json" "$WANT" || { cat "$W/$tag.err" >&2; fail "$tag: verdicts"; }
}

# 1. Default (cgo-free, AF_PACKET) build, recording with -w.
run_scenario live "$W/ftpsniff" -w "$W/live.pcapng"
"$W/ftpsniff" -r "$W/live.pcapng" --format json --drop-wait 5s --syn-grace 2s >"$W/replay.json" ||
	fail "re-reading the -w recording"
check "$W/replay.json" "$WANT" || fail "the -w recording gives other verdicts"

# 2. Interface going down ends the capture: exit 1, the report so far, a clear message.
start_sniff down "$W/ftpsniff"
session "$LAB_SRV4" '[{"neg":"PASV","cmd":"LIST"}]'
sleep 0.5
# keep the IPv6 address across down/up, so the later runs still route IPv6
ip netns exec "$LAB_NS_FW" sysctl -qw "net.ipv6.conf.$LAB_IF_FW_SRV.keep_addr_on_down=1"
ip -n "$LAB_NS_FW" link set "$LAB_IF_FW_SRV" down
rc=0
for i in $(seq 50); do kill -0 "$SNIFF_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SNIFF_PID" 2>/dev/null; then fail "ftpsniff still running 5 s after its interface went down"; fi
wait "$SNIFF_PID" || rc=$?
SNIFF_PID=
ip -n "$LAB_NS_FW" link set "$LAB_IF_FW_SRV" up
[ "$rc" = 1 ] || fail "interface down: exit $rc, want 1"
grep -q 'interface went down' "$W/down.err" || fail "interface down: stderr: $(cat "$W/down.err")"
check "$W/down.json" "PASV=ok" || fail "interface down: report so far"
lab_warmup

# 3. The -tags libpcap build with a user filter (-f).
if [ "${LIVE_TEST_LIBPCAP:-1}" = 0 ]; then
	echo "live-test: libpcap build skipped (LIVE_TEST_LIBPCAP=0)"
else
	if [ ! -e /usr/include/pcap.h ] && command -v apt-get >/dev/null; then
		echo "live-test: installing libpcap-dev"
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpcap-dev) >"$W/apt.log" 2>&1 || true
	fi
	if [ ! -e /usr/include/pcap.h ] || ! command -v gcc >/dev/null; then
		echo "SKIP: live-test: libpcap build (needs libpcap-dev and gcc)"
	else
		(cd "$ROOT" && CGO_ENABLED=1 go build -tags libpcap -o "$W/ftpsniff-pcap" ./cmd/ftpsniff) || fail "go build -tags libpcap"
		run_scenario pcap "$W/ftpsniff-pcap" -f "host $LAB_CLI4 or host $LAB_CLI6"
		grep -q 'warning' "$W/pcap.err" && fail "libpcap: unexpected filter warning: $(cat "$W/pcap.err")"
		start_sniff pcapwarn "$W/ftpsniff-pcap" -f "tcp port 21"
		stop_sigint pcapwarn
		grep -q 'warning: filter "tcp port 21" restricts ports' "$W/pcapwarn.err" ||
			fail "libpcap: no warning for a port filter: $(cat "$W/pcapwarn.err")"
		echo "live-test: libpcap build: -f works, port filter warned about"
	fi
fi
echo "PASS: live-test"
