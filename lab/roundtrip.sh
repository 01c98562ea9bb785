#!/bin/bash
# Lab round trip for "ftpsniff audit": run a failing scenario through real
# nftables firewalls/NATs and a real FTP server (vsftpd, ProFTPD or
# Pure-FTPd), audit its capture, apply what the audit emits — the nftables
# rules with nft -f in the namespace of the firewall the scenario built, the
# server settings written into the server's configuration and the server
# restarted — rerun the scenario and check that every transfer now succeeds
# (client side: 226; ftpsniff audit --fail-on any: exit 0). Each round trip
# also checks that the audit placed the fix where the scenario's firewall is
# (router, client host, server host) and that the emitted rules open no more
# ports than the fix needs.
#
#   sudo lab/roundtrip.sh [scenario ...]     (default: all)
#
# Scenarios: active passive client-host server-host port2121 wrong-pasv
# client-nat nat-pool range-5000.
#
# Skips (exit 0, "SKIP" on stderr) when not root or when the lab tools
# (ip, nft, tcpdump, vsftpd, python3, go) are missing; ProFTPD/Pure-FTPd
# scenarios skip when lab/setup.sh has not unpacked them. Env: LAB_KEEP=1
# keeps the work dir; RT_NS_PREFIX names the namespaces (default ftprt:
# ftprt-cli, ftprt-fw, ftprt-srv).
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
RT_PREFIX=${RT_NS_PREFIX:-ftprt}
LAB_NS_CLI=$RT_PREFIX-cli
LAB_NS_FW=$RT_PREFIX-fw
LAB_NS_SRV=$RT_PREFIX-srv
FTPD_ROOT=${LAB_FTPD_ROOT:-/opt/ftpsniff-lab}/root
lab_init
trap 'srv_stop; lab_cleanup' EXIT
trap 'srv_stop; lab_cleanup; exit 130' INT TERM
FTPSNIFF=$LAB_WORK/ftpsniff
(cd "$ROOT" && go build -o "$FTPSNIFF" ./cmd/ftpsniff) || lab_die "go build failed"
FAILS=0
PASSED=()

# Addresses: the lab's defaults, changed per scenario (NAT topologies).
addr_defaults() {
	LAB_CLI4=198.51.100.10 LAB_FW_CLI4=198.51.100.1
	LAB_FW_SRV4=203.0.113.1 LAB_SRV4=203.0.113.20
	PUB_SRV4=203.0.113.20
}

# ---- servers ---------------------------------------------------------------
# SRV_KIND (vsftpd, proftpd, pure-ftpd), SRV_PORT and SRV_OPT (settings by the
# names the audit emits: vsftpd keys, ProFTPD directives, Pure-FTPd options).
declare -A SRV_OPT
SRV_KIND=vsftpd SRV_PORT=21 SRV_PID=

srv_start() {
	srv_stop
	case $SRV_KIND in
	vsftpd)
		local kv=() k
		for k in "${!SRV_OPT[@]}"; do kv+=("$k=${SRV_OPT[$k]}"); done
		lab_srv_start listen_port="$SRV_PORT" "${kv[@]}"
		;;
	proftpd)
		local conf=$LAB_WORK/proftpd.conf
		{
			printf 'ServerName "ftpsniff lab proftpd"\nServerType standalone\nDefaultServer on\nPort %s\n' "$SRV_PORT"
			printf 'UseIPv6 off\nUser nobody\nGroup nogroup\nPidFile %s/proftpd.pid\n' "$LAB_WORK"
			printf 'ScoreboardFile %s/proftpd.scoreboard\nDelayTable none\nWtmpLog off\nUseReverseDNS off\n' "$LAB_WORK"
			printf 'TimeoutIdle 20\nTimeoutNoTransfer 20\nTimeoutStalled 10\nAuthOrder mod_auth_unix.c\n'
			printf 'PassivePorts %s\n' "${SRV_OPT[PassivePorts]:-40000 40019}"
			[ -z "${SRV_OPT[MasqueradeAddress]:-}" ] || printf 'MasqueradeAddress %s\n' "${SRV_OPT[MasqueradeAddress]}"
			[ -z "${SRV_OPT[AllowForeignAddress]:-}" ] || printf 'AllowForeignAddress %s\n' "${SRV_OPT[AllowForeignAddress]}"
			printf '<Anonymous %s/ftproot>\n  User ftp\n  Group ftp\n  UserAlias anonymous ftp\n  RequireValidShell off\n</Anonymous>\n' "$LAB_WORK"
		} >"$conf"
		ip netns exec "$LAB_NS_SRV" "$FTPD_ROOT/usr/sbin/proftpd" -n -c "$conf" >>"$LAB_WORK/proftpd.out" 2>&1 &
		SRV_PID=$!
		;;
	pure-ftpd)
		ip netns exec "$LAB_NS_SRV" "$FTPD_ROOT/usr/sbin/pure-ftpd" -S ",$SRV_PORT" -e -H -A \
			-p "${SRV_OPT[-p]:-40000:40019}" ${SRV_OPT[-P]:+-P "${SRV_OPT[-P]}"} >>"$LAB_WORK/pure-ftpd.out" 2>&1 &
		SRV_PID=$!
		;;
	esac
	lab_wait_listen "$LAB_NS_SRV" "$SRV_PORT" 5
	lab_log "$SRV_KIND on tcp/$SRV_PORT ($(for k in "${!SRV_OPT[@]}"; do printf '%s=%s ' "$k" "${SRV_OPT[$k]}"; done))"
}

srv_stop() {
	if [ "$SRV_KIND" = vsftpd ]; then lab_srv_stop; fi
	[ -n "$SRV_PID" ] || return 0
	pkill -TERM -P "$SRV_PID" 2>/dev/null || true
	kill -TERM "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=
}

srv_available() {
	case $SRV_KIND in
	proftpd) [ -x "$FTPD_ROOT/usr/sbin/proftpd" ] ;;
	pure-ftpd) [ -x "$FTPD_ROOT/usr/sbin/pure-ftpd" ] ;;
	*) true ;;
	esac
}

# ---- one round trip --------------------------------------------------------
# run_plan <name> <plan-json>: one client session; prints the number of
# transfers that did not end in 226.
run_plan() {
	local name=$1 plan=$2
	printf '%s\n' "$plan" >"$LAB_WORK/$name.plan.json"
	lab_cli python3 "$LAB_DIR/ftpclient.py" --host "$PUB_SRV4" --port "$SRV_PORT" --plan "$LAB_WORK/$name.plan.json" \
		--out "$LAB_WORK/$name.rec.json" >&2 || true
	python3 -c '
import json, sys
try:
    r = json.load(open(sys.argv[1]))["transfers"]
except Exception:
    print(999); sys.exit()
print(sum(1 for t in r if not (t.get("final_reply") or "").startswith("226")))' "$LAB_WORK/$name.rec.json"
}

# phase <name> <plan>: capture one client session; prints the failures.
phase() {
	lab_cap_start "$LAB_WORK/$1.pcap" "$CAP_IF" "$CAP_NS"
	run_plan "$1" "$2"
	lab_cap_stop
}

# fw_apply_all: the scenario's rulesets, each into its namespace.
fw_apply_all() {
	[ -z "$FW_ROUTER" ] || lab_fw_apply "$FW_ROUTER" "$LAB_NS_FW"
	[ -z "$FW_CLI" ] || lab_fw_apply "$FW_CLI" "$LAB_NS_CLI"
	[ -z "$FW_SRV" ] || lab_fw_apply "$FW_SRV" "$LAB_NS_SRV"
	for c in "${TOPO_EXTRA[@]}"; do eval "$c"; done
}

# check_fix <name>: the audit's recommendations name WANT_KIND at WANT_PLACE
# and open at most MAX_OPEN ports (from the JSON and, independently, from
# the nft lines that accept new connections).
check_fix() {
	python3 - "$LAB_WORK/$1.audit.jsonl" "$LAB_WORK/$1.rules.nft" "$WANT_KIND" "$WANT_PLACE" "$MAX_OPEN" <<'EOF'
import json, re, sys
recs = [o for o in map(json.loads, open(sys.argv[1])) if o.get("type") == "recommendation"]
kind, place, max_open = sys.argv[3], sys.argv[4], int(sys.argv[5])
ok = any(r["kind"] == kind and (place == "" or r.get("place", "") == place) for r in recs)
if not ok:
    sys.exit("want a %s recommendation at %r, got %s" % (kind, place, [(r["kind"], r.get("place")) for r in recs]))
opens = sum(r.get("opens", 0) for r in recs)
counted = 0
for line in open(sys.argv[2]):
    if line.startswith("#") or "accept" not in line or "ct state new" not in line:
        continue
    for m in re.finditer(r"dport (?:\{ )?([0-9, -]+)", line):
        for part in m.group(1).replace(" ", "").split(","):
            if part:
                lo, _, hi = part.partition("-")
                counted += int(hi or lo) - int(lo) + 1
if opens > max_open or counted > max_open:
    sys.exit("the fix opens %d port(s) (rules: %d), more than the %d it needs" % (opens, counted, max_open))
print("fix: %s at %s, opens %d port(s)" % (kind, place or "-", counted))
EOF
}

# apply_settings <name>: write the audit's settings for this server into
# SRV_OPT; NSET says how many.
NSET=0
apply_settings() {
	local d v
	NSET=0
	while IFS=$'\t' read -r d v; do
		[ -n "$d" ] || continue
		SRV_OPT[$d]=$v
		NSET=$((NSET + 1))
	done < <(python3 -c '
import json, sys
for o in map(json.loads, open(sys.argv[1])):
    if o.get("type") != "recommendation": continue
    for s in o.get("settings") or []:
        if s["software"] == sys.argv[2] and not s["directive"].endswith("promiscuous") and s["directive"] != "AllowForeignAddress":
            print("%s\t%s" % (s["directive"], s["value"]))' "$LAB_WORK/$1.audit.jsonl" "$SRV_KIND")
	echo "$n"
}

trip() {
	local name=$1 bad n rc tries=0
	lab_log "=== roundtrip $name ($SRV_KIND)"
	srv_available || { lab_log "$name: SKIP ($SRV_KIND not unpacked: sudo lab/setup.sh)"; return; }
	lab_topo_up
	rm -rf "$LAB_WORK/ftproot"
	lab_srv_root
	srv_start
	fw_apply_all
	n=$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$PLAN")
	while :; do
		bad=$(phase "$name.before" "$PLAN")
		tries=$((tries + 1))
		# a scenario that needs both outcomes (range inference) retries a
		# run in which every port happened to fall on one side
		if [ "${NEED_MIXED:-0}" = 1 ] && { [ "$bad" -eq 0 ] || [ "$bad" -eq "$n" ]; } && [ "$tries" -lt 3 ]; then
			lab_log "$name: $bad of $n failed, need both outcomes: again"
			continue
		fi
		break
	done
	[ "$bad" -gt 0 ] || { lab_log "$name: FAIL: the scenario did not fail before the fix"; FAILS=$((FAILS + 1)); srv_stop; return; }
	rc=0
	"$FTPSNIFF" audit -r "$LAB_WORK/$name.before.pcap" --fail-on any >"$LAB_WORK/$name.audit.txt" || rc=$?
	[ "$rc" = 4 ] || { lab_log "$name: audit exit $rc before the fix, want 4"; FAILS=$((FAILS + 1)); }
	local args=(--nft-table "inet ftpl" --nft-chain forward --nft-input-chain input)
	"$FTPSNIFF" audit -r "$LAB_WORK/$name.before.pcap" "${args[@]}" -F json >"$LAB_WORK/$name.audit.jsonl" || true
	"$FTPSNIFF" audit -r "$LAB_WORK/$name.before.pcap" "${args[@]}" -F nft >"$LAB_WORK/$name.rules.nft" || true
	lab_log "$name: $bad of $n transfer(s) failed; the audit emits:"
	cat "$LAB_WORK/$name.rules.nft" >&2
	check_fix "$name" >&2 || { lab_log "$name: FAIL: wrong fix"; FAILS=$((FAILS + 1)); srv_stop; return; }
	if grep -qv '^#' "$LAB_WORK/$name.rules.nft"; then
		lab_ns "$FIX_NS" nft -f "$LAB_WORK/$name.rules.nft" || { lab_log "$name: FAIL: nft rejected the emitted rules"; FAILS=$((FAILS + 1)); srv_stop; return; }
	fi
	apply_settings "$name"
	if [ "$NSET" -gt 0 ]; then
		lab_log "$name: $NSET server setting(s) applied; restarting $SRV_KIND"
		srv_start
	fi
	bad=$(phase "$name.after" "$PLAN")
	rc=0
	"$FTPSNIFF" audit -r "$LAB_WORK/$name.after.pcap" --fail-on any >"$LAB_WORK/$name.audit-after.txt" || rc=$?
	if [ "$bad" -eq 0 ] && [ "$rc" = 0 ]; then
		lab_log "$name: PASS (every transfer succeeds after the emitted fix)"
		PASSED+=("$name")
	else
		lab_log "$name: FAIL ($bad transfer(s) still failing, audit exit $rc)"
		FAILS=$((FAILS + 1))
	fi
	srv_stop
}

# ---- scenarios -------------------------------------------------------------
reset_scenario() {
	addr_defaults
	SRV_KIND=vsftpd SRV_PORT=21
	SRV_OPT=()
	FW_ROUTER= FW_CLI= FW_SRV=
	TOPO_EXTRA=()
	CAP_NS=$LAB_NS_FW CAP_IF=f1 FIX_NS=$LAB_NS_FW
	WANT_KIND= WANT_PLACE= MAX_OPEN=0 NEED_MIXED=0
}

CLIENT_LAN_DROP='table inet ftpl {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept comment "established/related"
    iifname "f0" oifname "f1" counter accept comment "client LAN -> outside"
    iifname "f1" oifname "f0" meta l4proto tcp counter drop comment "inbound TCP to client LAN"
    counter comment "policy drop"
  }
}'

# A host firewall: input policy drop, replies and ICMP accepted; $1 = extra rule.
host_fw() {
	cat <<EOF
table inet ftpl {
  chain input {
    type filter hook input priority filter; policy drop;
    iif lo accept
    ct state established,related counter accept comment "replies"
    meta l4proto { icmp, ipv6-icmp } accept
${1:-}    counter comment "policy drop"
  }
}
EOF
}

sc_active() { # the original round trip: router protecting the client LAN
	FW_ROUTER=$CLIENT_LAN_DROP WANT_KIND=helper WANT_PLACE=router
	PLAN='[{"neg":"PORT","cmd":"LIST"},{"neg":"EPRT","cmd":"RETR small.txt"},{"neg":"PORT","cmd":"RETR data.bin"}]'
	trip active
}

sc_passive() { # router protecting the server opens 40000-40009, vsftpd pinned to 40015
	FW_ROUTER='table inet ftpl {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept comment "established/related"
    iifname "f1" oifname "f0" counter accept comment "server LAN -> outside"
    iifname "f0" oifname "f1" tcp dport { 21, 40000-40009 } counter accept comment "to server: ftp + passive 40000-40009"
    iifname "f0" oifname "f1" counter drop comment "to server: anything else"
  }
}'
	SRV_OPT=([pasv_min_port]=40015 [pasv_max_port]=40015)
	CAP_IF=f0 WANT_KIND=passive-range WANT_PLACE=router MAX_OPEN=1
	PLAN='[{"neg":"PASV","cmd":"LIST"},{"neg":"EPSV","cmd":"RETR small.txt"}]'
	trip passive
}

sc_client-host() { # vsftpd, active; the client's own firewall drops inbound SYNs; captured on the client
	FW_CLI=$(host_fw) CAP_NS=$LAB_NS_CLI CAP_IF=c0 FIX_NS=$LAB_NS_CLI
	WANT_KIND=helper WANT_PLACE=client-host
	PLAN='[{"neg":"PORT","cmd":"LIST"},{"neg":"EPRT","cmd":"RETR small.txt"}]'
	trip client-host
}

sc_server-host() { # ProFTPD, passive; the server's own firewall opens only tcp/21; captured on the server
	SRV_KIND=proftpd SRV_OPT=([PassivePorts]="40000 40019")
	FW_SRV=$(host_fw '    tcp dport 21 ct state new accept
') CAP_NS=$LAB_NS_SRV CAP_IF=s0 FIX_NS=$LAB_NS_SRV
	WANT_KIND=passive-range WANT_PLACE=server-host MAX_OPEN=20
	PLAN='[{"neg":"PASV","cmd":"LIST"},{"neg":"EPSV","cmd":"RETR small.txt"}]'
	trip server-host
}

sc_port2121() { # Pure-FTPd on tcp/2121, active; the router's FTP helper is bound to tcp/21 only
	SRV_KIND=pure-ftpd SRV_PORT=2121
	FW_ROUTER='table inet ftpl {
  ct helper ftp-21 {
    type "ftp" protocol tcp
    l3proto inet
  }
  chain prerouting {
    type filter hook prerouting priority filter; policy accept;
    tcp dport 21 ct helper set "ftp-21" comment "helper on tcp/21 only"
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept comment "established/related"
    iifname "f0" oifname "f1" counter accept comment "client LAN -> outside"
    iifname "f1" oifname "f0" meta l4proto tcp counter drop comment "inbound TCP to client LAN"
  }
}'
	WANT_KIND=helper WANT_PLACE=router
	PLAN='[{"neg":"PORT","cmd":"LIST"},{"neg":"EPRT","cmd":"LIST"}]'
	trip port2121
}

sc_wrong-pasv() { # vsftpd behind DNAT (203.0.113.20 -> 10.2.0.20) advertising a wrong public address
	LAB_SRV4=10.2.0.20 LAB_FW_SRV4=10.2.0.1
	FW_ROUTER='table inet ftpl {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "f0" ip daddr 203.0.113.20 tcp dport { 21, 40000-40019 } dnat ip to 10.2.0.20
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "f0" ip saddr 10.2.0.0/24 masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
  }
}'
	SRV_OPT=([pasv_address]=203.0.113.99 [listen]=YES [listen_ipv6]=NO) # vsftpd ignores pasv_address with listen_ipv6=YES
	CAP_IF=f0 WANT_KIND=nat-address WANT_PLACE=
	PLAN='[{"neg":"PASV","cmd":"LIST"},{"neg":"PASV","cmd":"RETR small.txt"}]'
	trip wrong-pasv
}

sc_client-nat() { # ProFTPD; the client 10.1.0.10 is masqueraded, no FTP helper on the NAT: active fails
	SRV_KIND=proftpd
	LAB_CLI4=10.1.0.10 LAB_FW_CLI4=10.1.0.1
	FW_ROUTER='table inet ftpl {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "f1" ip saddr 10.1.0.0/24 masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept comment "established/related"
    iifname "f0" oifname "f1" counter accept comment "client LAN -> outside"
  }
}'
	WANT_KIND=client-nat WANT_PLACE=router
	PLAN='[{"neg":"PORT","cmd":"LIST"},{"neg":"PORT","cmd":"RETR small.txt"}]'
	trip client-nat
}

sc_nat-pool() { # vsftpd; the client NAT maps control and data to different pool addresses
	LAB_CLI4=10.1.0.10 LAB_FW_CLI4=10.1.0.1
	FW_ROUTER='table inet ftpl {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "f1" ip saddr 10.1.0.0/24 tcp dport 21 snat ip to 203.0.113.100
    oifname "f1" ip saddr 10.1.0.0/24 snat ip to 203.0.113.101
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "f0" oifname "f1" accept
  }
}'
	TOPO_EXTRA=('ip -n "$LAB_NS_FW" addr add 203.0.113.100/32 dev f1' 'ip -n "$LAB_NS_FW" addr add 203.0.113.101/32 dev f1')
	WANT_KIND=nat-persistent WANT_PLACE=router
	PLAN='[{"neg":"PASV","cmd":"LIST"},{"neg":"EPSV","cmd":"RETR small.txt"}]'
	trip nat-pool
}

sc_range-5000() { # vsftpd uses 1024-8999 behind a router that allows 1024-5000 (KB 309816): pin the range
	FW_ROUTER='table inet ftpl {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "f1" oifname "f0" accept
    iifname "f0" oifname "f1" tcp dport { 21, 1024-5000 } ct state new accept
    iifname "f0" oifname "f1" drop
  }
}'
	SRV_OPT=([pasv_min_port]=1024 [pasv_max_port]=8999 [accept_timeout]=1)
	CAP_IF=f0 WANT_KIND=passive-range WANT_PLACE=router MAX_OPEN=0 NEED_MIXED=1
	PLAN='[{"neg":"PASV","cmd":"LIST"},{"neg":"EPSV","cmd":"LIST"},{"neg":"PASV","cmd":"LIST"},{"neg":"EPSV","cmd":"LIST"},{"neg":"PASV","cmd":"LIST"},{"neg":"EPSV","cmd":"LIST"},{"neg":"PASV","cmd":"LIST"},{"neg":"EPSV","cmd":"LIST"},{"neg":"PASV","cmd":"LIST"},{"neg":"EPSV","cmd":"LIST"}]'
	trip range-5000
}

ALL=(active passive client-host server-host port2121 wrong-pasv client-nat nat-pool range-5000)
list=("$@")
[ ${#list[@]} -gt 0 ] || list=("${ALL[@]}")
for s in "${list[@]}"; do
	declare -F "sc_$s" >/dev/null || lab_die "unknown round trip '$s' (${ALL[*]})"
done
for s in "${list[@]}"; do
	reset_scenario
	"sc_$s"
done
srv_stop
[ "$FAILS" -eq 0 ] || lab_die "$FAILS round trip(s) failed (work dir: $LAB_WORK)"
lab_log "roundtrip: all passed: ${PASSED[*]}"
