#!/bin/bash
# Lab round trip for "ftpsniff audit": run a failing scenario through the lab
# firewall, audit its capture, apply the emitted nftables rules to the lab
# firewall, rerun the scenario and check that every transfer now succeeds
# (client side: 226; ftpsniff audit --fail-on: exit 0).
#
#   sudo lab/roundtrip.sh [active|passive ...]     (default: both)
#
# Skips (exit 0, "SKIP" on stderr) when not root or when the lab tools
# (ip, nft, tcpdump, vsftpd, python3, go) are missing. Env: LAB_KEEP=1 keeps
# the work dir.
set -euo pipefail
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LAB_DIR/.." && pwd)

skip() { echo "roundtrip: SKIP: $*" >&2; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for t in ip nft tcpdump vsftpd python3 go; do
	command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || skip "$t not installed (sudo lab/setup.sh)"
done

# shellcheck source=lib.sh
. "$LAB_DIR/lib.sh"
lab_init
FTPSNIFF=$LAB_WORK/ftpsniff
(cd "$ROOT" && go build -o "$FTPSNIFF" ./cmd/ftpsniff) || lab_die "go build failed"
FAILS=0

# run_plan <name> <plan-json>: one client session; prints the number of
# transfers that did not end in 226
run_plan() {
	local name=$1 plan=$2
	printf '%s\n' "$plan" >"$LAB_WORK/$name.plan.json"
	lab_cli python3 "$LAB_DIR/ftpclient.py" --host "$LAB_SRV4" --plan "$LAB_WORK/$name.plan.json" \
		--out "$LAB_WORK/$name.rec.json" >&2 || true
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["transfers"]
print(sum(1 for t in r if not (t.get("final_reply") or "").startswith("226")))' "$LAB_WORK/$name.rec.json"
}

# trip <name> <ruleset> <plan> [vsftpd settings...]
trip() {
	local name=$1 rules=$2 plan=$3
	shift 3
	lab_log "=== roundtrip $name"
	lab_topo_up
	rm -rf "$LAB_WORK/ftproot"
	lab_srv_root
	lab_srv_start "$@"
	lab_fw_apply "$rules"
	lab_cap_start "$LAB_WORK/$name.before.pcap"
	local bad
	bad=$(run_plan "$name.before" "$plan")
	lab_cap_stop
	[ "$bad" -gt 0 ] || { lab_log "$name: scenario did not fail before the fix"; FAILS=$((FAILS + 1)); return; }
	local rc=0
	"$FTPSNIFF" audit -r "$LAB_WORK/$name.before.pcap" --nft-table "inet ftpl" --nft-chain forward \
		--fail-on dropped,reset,unreachable,not-attempted >"$LAB_WORK/$name.audit.txt" || rc=$?
	[ "$rc" = 4 ] || { lab_log "$name: audit exit $rc before the fix, want 4"; FAILS=$((FAILS + 1)); }
	"$FTPSNIFF" audit -r "$LAB_WORK/$name.before.pcap" --nft-table "inet ftpl" --nft-chain forward \
		-F nft >"$LAB_WORK/$name.rules.nft"
	lab_log "$name: $bad failed transfer(s); applying:"
	cat "$LAB_WORK/$name.rules.nft" >&2
	[ -s "$LAB_WORK/$name.rules.nft" ] || { lab_log "$name: no rules emitted"; FAILS=$((FAILS + 1)); return; }
	lab_fw nft -f "$LAB_WORK/$name.rules.nft" || { lab_log "$name: nft rejected the emitted rules"; FAILS=$((FAILS + 1)); return; }
	lab_cap_start "$LAB_WORK/$name.after.pcap"
	bad=$(run_plan "$name.after" "$plan")
	lab_cap_stop
	rc=0
	"$FTPSNIFF" audit -r "$LAB_WORK/$name.after.pcap" --fail-on dropped,reset,unreachable,not-attempted \
		>"$LAB_WORK/$name.audit-after.txt" || rc=$?
	if [ "$bad" -eq 0 ] && [ "$rc" = 0 ]; then
		lab_log "$name: PASS (all transfers succeed after the emitted rules)"
	else
		lab_log "$name: FAIL ($bad transfer(s) still failing, audit exit $rc)"
		FAILS=$((FAILS + 1))
	fi
	lab_srv_stop
}

ACTIVE_FW='table inet ftpl {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept comment "established/related"
    iifname "f0" oifname "f1" counter accept comment "client LAN -> outside"
    iifname "f1" oifname "f0" meta l4proto tcp counter drop comment "inbound TCP to client LAN"
    counter comment "policy drop"
  }
}'
PASSIVE_FW='table inet ftpl {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept comment "established/related"
    iifname "f1" oifname "f0" counter accept comment "server LAN -> outside"
    iifname "f0" oifname "f1" tcp dport { 21, 40000-40009 } counter accept comment "to server: ftp + passive 40000-40009"
    iifname "f0" oifname "f1" counter drop comment "to server: anything else"
  }
}'

list=("$@")
[ ${#list[@]} -gt 0 ] || list=(active passive)
for s in "${list[@]}"; do
	case $s in
	active) trip active "$ACTIVE_FW" '[{"neg":"PORT","cmd":"LIST"},{"neg":"EPRT","cmd":"RETR small.txt"},{"neg":"PORT","cmd":"RETR data.bin"}]' ;;
	passive) trip passive "$PASSIVE_FW" '[{"neg":"PASV","cmd":"LIST"},{"neg":"EPSV","cmd":"RETR small.txt"}]' \
		pasv_min_port=40015 pasv_max_port=40015 ;;
	*) lab_die "unknown round trip '$s' (active, passive)" ;;
	esac
done
[ "$FAILS" -eq 0 ] || lab_die "$FAILS round trip(s) failed (work dir: $LAB_WORK)"
lab_log "roundtrip: all passed"
