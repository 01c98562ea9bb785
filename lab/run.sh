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
	active-helper ipv6-ext ftps misc-refused curl-mixed
	one-way one-way-client merged-2if span-dup control-blocked fxp active-slow-connect)

SCEN= SDIR= NSESS=0 CAP_EXT=pcap
MK_ARGS=()

begin() {
	SCEN=$1
	lab_cap_stop
	lab_srv_stop
	SDIR=$LAB_WORK/$SCEN
	LAB_CAP_ERRS=()
	rm -rf "$SDIR"
	mkdir -p "$SDIR"
	lab_cap_stop_parked
	lab_srv_stop_parked
	NSESS=0
	MK_ARGS=()
	CAP_EXT=pcap
	LAB_CAP_FILTER=
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
	lab_cap_stop_parked
	local dropped
	dropped=$(lab_cap_dropped)
	[ "$dropped" = 0 ] || lab_die "$SCEN: tcpdump lost $dropped packets (kernel drops): the capture is incomplete"
	lab_fw_counters >"$SDIR/counters.json"
	python3 "$LAB_DIR/mkexpect.py" --scenario "$SCEN" --description "$desc" \
		--capture "lab-$SCEN.$CAP_EXT" --capture-if "$CAP_IF" --counters "$SDIR/counters.json" \
		--out "$SDIR/expect.json" "${MK_ARGS[@]}" "$@"
	mkdir -p "$OUT"
	cp "$SDIR/capture.$CAP_EXT" "$OUT/lab-$SCEN.$CAP_EXT"
	cp "$SDIR/expect.json" "$OUT/lab-$SCEN.expect.json"
	chmod 644 "$OUT/lab-$SCEN.$CAP_EXT" "$OUT/lab-$SCEN.expect.json"
	lab_log "$SCEN: $(stat -c %s "$OUT/lab-$SCEN.$CAP_EXT") bytes, verdicts: $(python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
print(" ".join(t["verdict"]+(("["+",".join(t["flags"])+"]") if t["flags"] else "") for t in d["transfers"]),
      "| sessions:", " ".join(s["verdict"] or "-" for s in d["sessions"]), "| summary:", json.dumps(d.get("summary")))' "$OUT/lab-$SCEN.expect.json")"
	lab_srv_stop
	lab_srv_stop_parked
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

# fwd_counter: rules (postrouting, no verdict) counting TCP packets the router forwarded
# between f0 and f1 -- each of them is on both interfaces.
FWD_COUNTER='  chain postrouting {
    type filter hook postrouting priority filter; policy accept;
    iifname { "f0", "f1" } oifname { "f0", "f1" } meta l4proto tcp counter comment "forwarded TCP (on f0 and on f1)"
  }'

sc_one-way() {
	begin one-way
	lab_srv_start
	# control connection both ways; of every data connection only the connector's packets:
	# passive: client -> server pasv ports; active: server -> client ports 50010-50019
	LAB_CAP_FILTER="tcp port 21 or (src host $LAB_CLI4 and dst host $S4 and tcp dst portrange 40000-40019) or (src host $S4 and dst host $LAB_CLI4 and tcp dst portrange 50010-50019)"
	printf '%s\n' "$LAB_CAP_FILTER" >"$SDIR/filter.txt"
	capture
	LAB_CAP_FILTER=
	session "$S4" '[
 {"neg":"PASV","cmd":"LIST"},
 {"neg":"EPSV","cmd":"RETR small.txt"},
 {"neg":"PASV","cmd":"STOR incoming/up-oneway.bin","size":1600},
 {"neg":"PORT","cmd":"RETR data.bin","port":50010},
 {"neg":"EPRT","cmd":"STOR incoming/up-oneway2.bin","size":700,"port":50011}]'
	finish "One-way capture point: no firewall, every transfer works, but the capture (router, f1, tcpdump filter '$(cat "$SDIR/filter.txt")') keeps the control connection in both directions and, of each data connection, only the packets of the side that connected (passive: the client's; active: the server's). The listener's SYN-ACK, data and ACKs are missing; the connection is proven by the connector's ACK/data and the 226." \
		--one-way connector
}

sc_one-way-client() {
	begin one-way-client
	lab_srv_start
	# control connection both ways; of every data connection only the client's packets
	LAB_CAP_FILTER="tcp port 21 or (src host $LAB_CLI4 and dst host $S4)"
	printf '%s\n' "$LAB_CAP_FILTER" >"$SDIR/filter.txt"
	capture
	LAB_CAP_FILTER=
	session "$S4" '[
 {"neg":"PASV","cmd":"RETR small.txt"},
 {"neg":"EPSV","cmd":"STOR incoming/up-oneway-c.bin","size":1100},
 {"neg":"PORT","cmd":"RETR data.bin"},
 {"neg":"EPRT","cmd":"STOR incoming/up-oneway-c2.bin","size":900},
 {"neg":"PORT","cmd":"LIST"}]'
	finish "One-way capture point, the other way round for active mode: no firewall, every transfer works, but the capture (router, f1, tcpdump filter '$(cat "$SDIR/filter.txt")') keeps the control connection in both directions and, of each data connection, only the client's packets. Passive: the client connects, so the server's SYN-ACK, data and ACKs are missing. Active: the client is the listener: its SYN-ACK, ACKs and (STOR) data are captured, the server's SYN, data and ACKs are not." \
		--one-way client
}

sc_merged-2if() {
	begin merged-2if
	lab_srv_start
	fw "$(client_fw drop | sed '$d')
$FWD_COUNTER
}"
	lab_cap_start "$SDIR/f0.pcap" "$LAB_IF_FW_CLI"
	lab_cap_park
	lab_cap_start "$SDIR/f1.pcap" "$LAB_IF_FW_SRV"
	CAP_IF=f0+f1
	session "$S4" '[
 {"neg":"PORT","cmd":"LIST"},
 {"neg":"EPRT","cmd":"RETR small.txt"},
 {"neg":"PASV","cmd":"RETR data.bin"},
 {"neg":"EPSV","cmd":"STOR incoming/up-merged.bin","size":1400}]'
	lab_cap_stop
	lab_cap_stop_parked
	mergecap -F pcapng -I none -w "$SDIR/capture.pcapng" "$SDIR/f0.pcap" "$SDIR/f1.pcap"
	CAP_EXT=pcapng
	finish "Two captures on the router, one on each interface (f0 client-facing, f1 server-facing), merged with mergecap into one pcapng with two interfaces. Every forwarded packet is in it twice (once per interface, TTL one lower and other MACs on the far side); the client-side stateful firewall (no helper) drops the server's active SYNs, which are only on f1. vsftpd 425 for the active transfers; passive works." \
		--active-block drop --need-counter "inbound TCP to client LAN" \
		--duplicates-counter "forwarded TCP (on f0 and on f1)" --bytes-exact \
		--capture-point "router ftpl-fw: tcpdump on f0 and on f1, merged (mergecap)"
}

sc_span-dup() {
	begin span-dup
	lab_srv_start
	fw "$(client_fw drop | sed '$d')
$FWD_COUNTER
}"
	capture any
	session "$S4" '[
 {"neg":"PASV","cmd":"LIST"},
 {"neg":"PASV","cmd":"RETR data.bin"},
 {"neg":"PORT","cmd":"RETR small.txt"}]'
	finish "Duplicated SPAN: tcpdump -i any on the router (Linux cooked capture) sees every forwarded packet twice, arriving on one interface and leaving on the other, like a mirror port that copies both directions of two ports. A passive session that works, then an active transfer whose SYNs the client-side firewall drops (only on f1, once each); vsftpd 425." \
		--active-block drop --need-counter "inbound TCP to client LAN" \
		--duplicates-counter "forwarded TCP (on f0 and on f1)" --bytes-exact \
		--capture-point "router ftpl-fw: tcpdump -i any (every forwarded packet on f0 and on f1)" \
		--capture-linktype "$(python3 "$LAB_DIR/mkexpect.py" --linktype-of "$SDIR/capture.pcap")"
}

sc_control-blocked() {
	begin control-blocked
	ip -n "$LAB_NS_SRV" addr add 203.0.113.21/24 dev "$LAB_IF_SRV"
	ip -n "$LAB_NS_SRV" addr add 203.0.113.22/24 dev "$LAB_IF_SRV"
	ip -n "$LAB_NS_SRV" addr add fd00:5::22/64 dev "$LAB_IF_SRV" nodad
	lab_srv_start
	fw 'table inet ftpl {
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "f0" ip daddr 203.0.113.20 tcp dport 21 counter drop comment "ftp to 203.0.113.20: drop"
    iifname "f0" ip daddr 203.0.113.21 tcp dport 21 counter reject with tcp reset comment "ftp to 203.0.113.21: tcp reset"
    iifname "f0" ip daddr 203.0.113.22 tcp dport 21 counter reject with icmpx type admin-prohibited comment "ftp to 203.0.113.22: icmp admin-prohibited"
    iifname "f0" ip6 daddr fd00:5::22 tcp dport 21 counter reject with icmpx type admin-prohibited comment "ftp to fd00:5::22: icmpv6 admin-prohibited"
  }
}'
	capture "$LAB_IF_FW_CLI"
	session 203.0.113.20 '[]' --connect-timeout 4
	session 203.0.113.21 '[]' --connect-timeout 4
	session 203.0.113.22 '[]' --connect-timeout 4
	session fd00:5::22 '[]' --connect-timeout 4
	finish "The control connection itself is blocked by a server-side firewall on the router (vsftpd listens on every address): the client's SYNs to 203.0.113.20:21 are dropped (client gives up after 4 s), to 203.0.113.21:21 answered by a TCP reset the router forges, to 203.0.113.22:21 and [fd00:5::22]:21 by ICMP/ICMPv6 administratively prohibited. Captured on f0 (client-facing). No FTP was ever spoken: no transfers." \
		--need-counter "ftp to 203.0.113.20: drop" --need-counter "ftp to 203.0.113.21: tcp reset" \
		--need-counter "ftp to 203.0.113.22: icmp admin-prohibited" --need-counter "ftp to fd00:5::22: icmpv6 admin-prohibited"
}

sc_fxp() {
	begin fxp
	lab_srv2_up
	lab_srv_start pasv_promiscuous=YES port_promiscuous=YES
	lab_srv_conf_json >"$SDIR/vsftpdA.json"
	lab_srv_park
	LAB_NS_SRV=$(lab_ns_srv2) lab_srv_start pasv_promiscuous=YES port_promiscuous=YES
	lab_srv_conf_json >"$SDIR/vsftpdB.json"
	capture "$LAB_IF_FW_BR"
	printf '%s\n' '[
 {"fxp":"pasv-src","src":"small.txt","dst":"incoming/fxp-1.txt"},
 {"fxp":"pasv-dst","src":"data.bin","dst":"incoming/fxp-2.bin"}]' >"$SDIR/plan.json"
	lab_cli python3 "$LAB_DIR/ftpclient.py" --host "$S4" --host2 "$LAB_SRV2_4" --plan "$SDIR/plan.json" \
		--out "$SDIR/recordsA.json" --out2 "$SDIR/recordsB.json" || lab_die "$SCEN: FXP client failed"
	cmp -s "$LAB_WORK/ftproot/small.txt" "$LAB_WORK/ftproot/incoming/fxp-1.txt" &&
		cmp -s "$LAB_WORK/ftproot/data.bin" "$LAB_WORK/ftproot/incoming/fxp-2.bin" ||
		lab_die "$SCEN: FXP copies differ from their sources"
	MK_ARGS+=(--session "$SDIR/recordsA.json:$SDIR/vsftpdA.json" --session "$SDIR/recordsB.json:$SDIR/vsftpdB.json")
	finish "FXP between two vsftpd servers on the same server LAN (A 203.0.113.20 in ftpl-srv, B 203.0.113.30 in ftpl-srv2, both pasv_promiscuous=YES and port_promiscuous=YES). The client holds a control connection to each. 1: PASV to A, PORT <A's endpoint> to B, RETR small.txt on A, STOR on B: B connects to A. 2: PASV to B, PORT <B's endpoint> to A, STOR on B, RETR data.bin on A: A connects to B. Each data connection answers two negotiations (one per session); all four transfers end 226 and the copies are byte-identical. Captured on the router's server-LAN bridge fb (promiscuous: routed control traffic and bridged server-to-server data, each frame once)." \
		--interleaved --capture-point "router ftpl-fw, bridge fb (server LAN: f1 to ftpl-srv, f2 to ftpl-srv2)"
}

sc_active-slow-connect() {
	begin active-slow-connect
	lab_srv_start connect_timeout=60 idle_session_timeout=120
	# classic exponential SYN backoff in the server (SYNs at 0, 1, 3, 7, 15, 31 s): kernels
	# >= 6.5 retry linearly (1 s) first unless tcp_syn_linear_timeouts=0
	lab_srv sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0 2>/dev/null || true
	fw 'table inet ftpl {
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "f1" oifname "f0" tcp dport 50020 tcp flags & (syn | ack) == syn quota until 300 bytes counter drop comment "first server SYNs to client port 50020 (5 x 60 bytes)"
    iifname "f1" oifname "f0" tcp dport 50020 tcp flags & (syn | ack) == syn counter accept comment "later server SYNs to client port 50020"
  }
}'
	capture
	session "$S4" '[
 {"neg":"PORT","cmd":"RETR small.txt","port":50020,"accept_wait":70},
 {"neg":"PASV","cmd":"LIST"}]'
	python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["transfers"][0]; sys.exit(0 if t["data_conn"]=="accepted" and t["accept_elapsed"]>=25 else 1)' \
		"$SDIR/records1.json" || lab_die "$SCEN: the active connection was not late"
	# every server SYN to port 50020 went through one of the two rules: the first 5 dropped, then 1
	local syns
	syns=$(lab_fw_counters | python3 -c 'import json,sys; c=json.load(sys.stdin); print(sum(v for k,v in c.items() if "SYNs to client port 50020" in k))')
	finish "A slow server connect in active mode: the router drops the server's first 5 SYNs to the client's data port (nft quota), vsftpd (connect_timeout=60) keeps retrying with Linux's backoff, and the 6th SYN, about 31 s after RETR, gets through: the data connection is established late and the transfer completes (226). A passive LIST follows." \
		--require-counter "first server SYNs to client port 50020 (5 x 60 bytes)" \
		--require-counter "later server SYNs to client port 50020" --add-evidence "0=$syns SYNs"
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
