#!/bin/bash
# Run lab scenarios and write testdata/pcaps/lab-<scenario>.pcap + .expect.json.
#   sudo lab/setup.sh && sudo lab/run.sh [scenario...]
# Env: LAB_OUT (output dir, default testdata/pcaps next to lab/), LAB_KEEP=1 keeps
# the work dir (client records, vsftpd log, rulesets) for inspection.
set -euo pipefail
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$LAB_DIR/lib.sh"
OUT=${LAB_OUT:-$(cd "$LAB_DIR/.." && pwd)/testdata/pcaps}
ALL=(passive-ok active-ok active-drop active-reject-rst active-reject-icmp passive-range-drop
	active-helper ipv6-ext ftps misc-refused curl-mixed)

SCEN= SDIR= NSESS=0
MK_ARGS=()

begin() {
	SCEN=$1
	lab_cap_stop
	lab_srv_stop
	SDIR=$LAB_WORK/$SCEN
	rm -rf "$SDIR"
	mkdir -p "$SDIR"
	NSESS=0
	MK_ARGS=()
	lab_log "=== $SCEN"
	lab_topo_up
	rm -rf "$LAB_WORK/ftproot"
	lab_srv_root
}

# fw <ruleset-text>: apply in ftpl-fw and remember it for the expect file
fw() {
	lab_fw_apply "$1"
	cp "$LAB_WORK/ruleset.$LAB_NS_FW.nft" "$SDIR/ruleset.nft"
	MK_ARGS+=(--ruleset "$SDIR/ruleset.nft")
}

# capture [iface]: tcpdump in ftpl-fw on f1 (server-facing, default) or f0 (client-facing).
# Capture on the side the data-connection SYNs come from, so SYNs the router drops are seen.
CAP_IF=f1
capture() {
	CAP_IF=${1:-$LAB_IF_FW_SRV}
	lab_cap_start "$SDIR/capture.pcap" "$CAP_IF"
}

# session <server-addr> <plan-json> [--tls]: one control connection with ftpclient.py
session() {
	local host=$1 plan=$2
	shift 2
	NSESS=$((NSESS + 1))
	printf '%s\n' "$plan" >"$SDIR/plan$NSESS.json"
	lab_srv_conf_json >"$SDIR/vsftpd$NSESS.json"
	lab_cli python3 "$LAB_DIR/ftpclient.py" --host "$host" --plan "$SDIR/plan$NSESS.json" \
		--out "$SDIR/records$NSESS.json" "$@" ||
		lab_die "$SCEN: client session $NSESS failed"
	MK_ARGS+=(--session "$SDIR/records$NSESS.json:$SDIR/vsftpd$NSESS.json")
}

# curl_session <url> [curl args...]: one real curl invocation; its -v log -> records
curl_session() {
	local url=$1 rc=0
	shift
	NSESS=$((NSESS + 1))
	lab_srv_conf_json >"$SDIR/vsftpd$NSESS.json"
	lab_cli curl -v -s -S -o /dev/null --connect-timeout 3 "$@" "$url" 2>"$SDIR/curl$NSESS.err" || rc=$?
	python3 "$LAB_DIR/curl2rec.py" --log "$SDIR/curl$NSESS.err" --rc "$rc" --server "$LAB_SRV4" \
		--client "$LAB_CLI4" --out "$SDIR/records$NSESS.json"
	lab_log "curl $* $url: exit $rc"
	MK_ARGS+=(--session "$SDIR/records$NSESS.json:$SDIR/vsftpd$NSESS.json")
}

# finish <description> [mkexpect args...]
finish() {
	local desc=$1
	shift
	lab_cap_stop
	lab_fw_counters >"$SDIR/counters.json"
	python3 "$LAB_DIR/mkexpect.py" --scenario "$SCEN" --description "$desc" \
		--capture "lab-$SCEN.pcap" --capture-if "$CAP_IF" --counters "$SDIR/counters.json" \
		--out "$SDIR/expect.json" "${MK_ARGS[@]}" "$@"
	mkdir -p "$OUT"
	cp "$SDIR/capture.pcap" "$OUT/lab-$SCEN.pcap"
	cp "$SDIR/expect.json" "$OUT/lab-$SCEN.expect.json"
	chmod 644 "$OUT/lab-$SCEN.pcap" "$OUT/lab-$SCEN.expect.json"
	lab_log "$SCEN: $(stat -c %s "$OUT/lab-$SCEN.pcap") bytes, verdicts: $(python3 -c '
import json,sys; print(" ".join(t["verdict"] for t in json.load(open(sys.argv[1]))["transfers"]))' "$OUT/lab-$SCEN.expect.json")"
	lab_srv_stop
}

# stateful router firewall protecting the client LAN; $1 = action for unsolicited inbound TCP
client_fw() {
	cat <<EOF
table inet ftpl {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept comment "established/related"
    iifname "f0" oifname "f1" counter accept comment "client LAN -> outside"
${2:-}    iifname "f1" oifname "f0" meta l4proto tcp counter $1 comment "inbound TCP to client LAN"
    counter comment "policy drop"
  }
}
EOF
}

S4=$LAB_SRV4
S6=$LAB_SRV6

sc_passive-ok() {
	begin passive-ok
	lab_srv_start
	capture
	session "$S4" '[
 {"neg":"PASV","cmd":"LIST"},
 {"neg":"EPSV","cmd":"RETR small.txt"},
 {"neg":"PASV","cmd":"STOR incoming/up-pasv.bin","size":2048},
 {"neg":"EPSV","cmd":"LIST pub"},
 {"neg":"PASV","cmd":"RETR data.bin"}]'
	finish "PASV and EPSV over IPv4, no firewall: LIST, RETR and STOR all succeed (vsftpd pasv range 40000-40019)."
}

sc_active-ok() {
	begin active-ok
	lab_srv_start connect_from_port_20=NO
	capture
	session "$S4" '[
 {"neg":"PORT","cmd":"LIST"},
 {"neg":"EPRT","cmd":"RETR small.txt"},
 {"neg":"PORT","cmd":"STOR incoming/up-port.bin","size":1500}]'
	lab_srv_start connect_from_port_20=YES
	session "$S4" '[
 {"neg":"PORT","cmd":"RETR data.bin"},
 {"neg":"EPRT","cmd":"LIST"}]'
	finish "PORT and EPRT over IPv4, no firewall. Session 0: vsftpd connect_from_port_20=NO (active data connections from an ephemeral port); session 1: vsftpd restarted with connect_from_port_20=YES (data from port 20). All succeed."
}

sc_active-drop() {
	begin active-drop
	lab_srv_start
	fw "$(client_fw drop)"
	capture
	session "$S4" '[
 {"neg":"PORT","cmd":"LIST"},
 {"neg":"EPRT","cmd":"RETR small.txt"},
 {"neg":"PASV","cmd":"RETR small.txt"}]'
	finish "Stateful router firewall protecting the client LAN (forward policy drop, established/related accept, no FTP helper) drops the server's active data SYNs; vsftpd (connect_timeout=4) replies 425. The passive transfer afterwards works." \
		--active-block drop --need-counter "inbound TCP to client LAN"
}

sc_active-reject-rst() {
	begin active-reject-rst
	lab_srv_start
	fw "$(client_fw 'reject with tcp reset')"
	capture
	session "$S4" '[
 {"neg":"PORT","cmd":"LIST"},
 {"neg":"EPRT","cmd":"RETR small.txt"},
 {"neg":"PASV","cmd":"LIST"}]'
	finish "Same client-side stateful firewall, but unsolicited inbound TCP is rejected with a TCP reset: the server's active data SYNs are answered by RST (sent by the router) and vsftpd replies 425 at once. The passive transfer afterwards works." \
		--active-block rst --need-counter "inbound TCP to client LAN"
}

sc_active-reject-icmp() {
	begin active-reject-icmp
	lab_srv_start
	fw "$(client_fw 'reject with icmpx type admin-prohibited' '    iifname "f1" oifname "f0" meta nfproto ipv4 tcp dport 50001 counter reject with icmp type port-unreachable comment "inbound TCP to client port 50001"
')"
	capture
	session "$S4" '[
 {"neg":"PORT","cmd":"LIST"},
 {"neg":"PORT","cmd":"RETR small.txt","port":50001},
 {"neg":"PASV","cmd":"RETR small.txt"}]'
	session "$S6" '[
 {"neg":"EPRT","cmd":"LIST"},
 {"neg":"EPSV","cmd":"RETR small.txt"}]'
	finish "Same client-side stateful firewall, but unsolicited inbound TCP is rejected with ICMP: admin-prohibited (icmpx: ICMP type 3 code 13 / ICMPv6 type 1 code 1), and ICMP port-unreachable for client port 50001. The ICMP error quotes the server's SYN; vsftpd replies 425 at once. Passive transfers work. Session 0 is IPv4, session 1 IPv6." \
		--active-block icmp --need-counter "inbound TCP to client LAN"
}

sc_passive-range-drop() {
	begin passive-range-drop
	lab_srv_start pasv_min_port=40000 pasv_max_port=40009
	fw 'table inet ftpl {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept comment "established/related"
    iifname "f1" oifname "f0" counter accept comment "server LAN -> outside"
    iifname "f0" oifname "f1" tcp dport { 21, 40000-40009 } counter accept comment "to server: ftp + passive 40000-40009"
    iifname "f0" oifname "f1" counter drop comment "to server: anything else"
  }
}'
	capture "$LAB_IF_FW_CLI"
	session "$S4" '[
 {"neg":"PASV","cmd":"LIST"},
 {"neg":"EPSV","cmd":"RETR small.txt"}]'
	lab_srv_start pasv_min_port=40010 pasv_max_port=40019
	session "$S4" '[
 {"neg":"PASV","cmd":"LIST"},
 {"neg":"EPSV","cmd":"RETR small.txt"}]'
	finish "Server-side firewall on the router opens only tcp/21 and 40000-40009. Session 0: vsftpd pasv range 40000-40009 (inside): passive transfers work. Session 1: vsftpd restarted with pasv range 40010-40019 (outside): the client's SYNs to the advertised ports are dropped; the client gives up after 3 s, sends the command anyway and vsftpd answers 425 after accept_timeout=4." \
		--need-counter "to server: anything else"
	# captured on f0 (client-facing): the client's SYNs are dropped before they reach f1
}

sc_active-helper() {
	begin active-helper
	lab_srv_start
	fw 'table inet ftpl {
  ct helper ftp-standard {
    type "ftp" protocol tcp
    l3proto inet
  }
  chain prerouting {
    type filter hook prerouting priority filter; policy accept;
    tcp dport 21 ct helper set "ftp-standard" comment "ftp control: attach helper"
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established counter accept comment "established"
    ct state related counter accept comment "related (ftp helper expectations)"
    iifname "f0" oifname "f1" counter accept comment "client LAN -> outside"
    iifname "f1" oifname "f0" meta l4proto tcp counter drop comment "inbound TCP to client LAN"
    counter comment "policy drop"
  }
}'
	capture
	session "$S4" '[
 {"neg":"PORT","cmd":"LIST"},
 {"neg":"EPRT","cmd":"RETR small.txt"},
 {"neg":"PORT","cmd":"STOR incoming/up-helper.bin","size":1200}]'
	session "$S6" '[
 {"neg":"EPRT","cmd":"LIST"},
 {"neg":"EPSV","cmd":"RETR small.txt"}]'
	finish "The same stateful client-side firewall with the FTP conntrack helper attached to tcp/21 (ct helper ftp-standard) and ct state related accepted: the helper reads PORT/EPRT and creates expectations, so the active data connections are let through. IPv4 and IPv6." \
		--need-counter "related (ftp helper expectations)"
	# the helper must actually have been used: every active transfer ok => related counter > 0
	python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); sys.exit(0 if c.get("related (ftp helper expectations)",0)>0 else 1)' \
		"$SDIR/counters.json" || lab_die "active-helper: related counter is 0"
}

sc_ipv6-ext() {
	begin ipv6-ext
	lab_srv_start
	capture
	session "$S6" '[
 {"neg":"EPSV","cmd":"LIST"},
 {"neg":"EPSV","cmd":"RETR small.txt"},
 {"neg":"EPRT","cmd":"RETR data.bin"},
 {"neg":"EPRT","cmd":"STOR incoming/up-v6.bin","size":1800},
 {"neg":"EPSV","cmd":"STOR incoming/up-v6b.bin","size":900}]'
	finish "EPSV and EPRT over IPv6 (client fd00:c::10, server fd00:5::20), no firewall: all succeed."
}

sc_ftps() {
	begin ftps
	lab_srv_start ssl_enable=YES
	capture
	session "$S4" '[
 {"neg":"PASV","cmd":"LIST"},
 {"neg":"EPSV","cmd":"RETR small.txt"},
 {"neg":"PASV","cmd":"RETR data.bin"}]' --tls
	finish "Explicit FTPS: AUTH TLS, then PBSZ 0 / PROT P; vsftpd ssl_enable=YES with force_anon_logins_ssl/force_anon_data_ssl. PASV/EPSV and their replies are inside TLS, so the negotiation is recorded as hidden; the endpoints are what the client saw after decryption. Data connections are TLS too; all succeed." \
		--hide-negotiation
}

sc_misc-refused() {
	begin misc-refused
	lab_srv_start
	capture
	session "$S4" '[
 {"neg":"PORT","cmd":"LIST","port":21,"no_listen":true},
 {"neg":"EPRT","cmd":"LIST","addr":"203.0.113.99","port":40000,"no_listen":true},
 {"neg":"PASV","cmd":null},
 {"neg":"PORT","cmd":null},
 {"neg":"EPSV","cmd":"LIST"}]'
	session "$S6" '[
 {"neg":"PASV","cmd":null},
 {"neg":"EPSV","cmd":null},
 {"neg":"EPRT","cmd":"RETR small.txt"}]'
	finish "Refused and unused negotiations, no firewall. vsftpd refuses PORT to a privileged port (500 Illegal PORT command) and EPRT to an address other than the client's (port_promiscuous=NO); a PASV and a PORT are accepted but never used (no command, no SYN: not-attempted); then EPSV LIST works. Session 1 (IPv6): PASV on an IPv6 control connection (vsftpd answers 227 with address 0,0,0,0; the client does not use it), an unused EPSV, then EPRT RETR."
}

sc_curl-mixed() {
	begin curl-mixed
	lab_srv_start
	fw "$(client_fw drop)"
	head -c 1300 /dev/urandom >"$SDIR/upload.bin"
	capture
	curl_session "ftp://$S4/small.txt" --disable-epsv
	curl_session "ftp://$S4/pub/"
	curl_session "ftp://$S4/incoming/up-curl.bin" -T "$SDIR/upload.bin"
	curl_session "ftp://$S4/data.bin" -P "$LAB_CLI4" --disable-eprt
	curl_session "ftp://$S4/" -P "$LAB_CLI4"
	finish "Real curl (one invocation per transfer) behind the client-side stateful firewall without FTP helper (unsolicited inbound TCP dropped): curl --disable-epsv (PASV RETR), EPSV LIST, EPSV STOR (-T) work; curl -P --disable-eprt (PORT RETR) and curl -P (EPRT LIST) fail: server SYNs dropped, vsftpd 425. Records come from curl -v output." \
		--active-block drop --need-counter "inbound TCP to client LAN"
}

main() {
	local s list=("$@")
	[ ${#list[@]} -gt 0 ] || list=("${ALL[@]}")
	for s in "${list[@]}"; do
		declare -F "sc_$s" >/dev/null || lab_die "unknown scenario '$s' (have: ${ALL[*]})"
	done
	lab_init
	for s in "${list[@]}"; do "sc_$s"; done
	lab_log "done: ${list[*]} -> $OUT"
}

main "$@"
