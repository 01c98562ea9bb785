# shellcheck shell=bash
# ftpsniff lab library: a small routed topology of network namespaces, a real
# vsftpd, a real nftables firewall and tcpdump.  Source it (as root):
#
#   . lab/lib.sh
#   lab_init                       # work dir + cleanup trap (EXIT/INT/TERM)
#   lab_topo_up                    # ftpl-cli -- ftpl-fw -- ftpl-srv
#   lab_srv_start pasv_min_port=40000 pasv_max_port=40009
#   lab_fw_apply "$ruleset_text"   # nft ruleset into ftpl-fw (replaces table inet ftpl)
#   lab_cap_start /tmp/x.pcap      # tcpdump in ftpl-fw on f1 (server-facing)
#   lab_cli python3 lab/ftpclient.py ...
#   lab_cap_stop
#   lab_cleanup                    # or just exit: the trap does it
#
# Addresses (only documentation / ULA ranges, nothing leaves the namespaces):
#   ftpl-cli  c0 198.51.100.10/24  fd00:c::10/64   default via 198.51.100.1 / fd00:c::1
#   ftpl-fw   f0 198.51.100.1/24   fd00:c::1/64
#             f1 203.0.113.1/24    fd00:5::1/64    (forwarding on)
#   ftpl-srv  s0 203.0.113.20/24   fd00:5::20/64   default via 203.0.113.1 / fd00:5::1

# Namespace names can be preset in the environment (e.g. LAB_NS_CLI=ftpk-cli ...) so
# several labs run side by side; scripts may also set them after sourcing.
LAB_NS_CLI=${LAB_NS_CLI:-ftpl-cli}
LAB_NS_FW=${LAB_NS_FW:-ftpl-fw}
LAB_NS_SRV=${LAB_NS_SRV:-ftpl-srv}
# optional second server namespace (lab_srv2_up), e.g. for FXP between two servers;
# unset: "${LAB_NS_SRV}2" at the time of use (see lab_ns_srv2)
LAB_NS_SRV2=${LAB_NS_SRV2:-}
LAB_SRV2_4=203.0.113.30
LAB_SRV2_6=fd00:5::30
LAB_IF_SRV2=s1 LAB_IF_FW_SRV2=f2 LAB_IF_FW_BR=fb
LAB_CLI4=198.51.100.10
LAB_CLI6=fd00:c::10
LAB_FW_CLI4=198.51.100.1
LAB_FW_CLI6=fd00:c::1
LAB_FW_SRV4=203.0.113.1
LAB_FW_SRV6=fd00:5::1
LAB_SRV4=203.0.113.20
LAB_SRV6=fd00:5::20
LAB_IF_CLI=c0 LAB_IF_FW_CLI=f0 LAB_IF_FW_SRV=f1 LAB_IF_SRV=s0
LAB_DIR=${LAB_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

LAB_VSFTPD_PID=
LAB_VSFTPD_PARKED=()
LAB_CAP_PID=
LAB_CAP_ERR=
LAB_CAP_ERRS=()
LAB_WORK=${LAB_WORK:-}

lab_log() { printf '[lab] %s\n' "$*" >&2; }
lab_die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }

# lab_init: create the work dir ($LAB_WORK) and install the cleanup trap.
lab_init() {
	[ "$(id -u)" = 0 ] || lab_die "must run as root"
	if [ -z "$LAB_WORK" ]; then LAB_WORK=$(mktemp -d /tmp/ftpl.XXXXXX); fi
	mkdir -p "$LAB_WORK"
	chmod 755 "$LAB_WORK"
	trap 'lab_cleanup' EXIT
	trap 'lab_cleanup; exit 130' INT TERM
}

# lab_ns <ns> cmd...: run a command inside a lab namespace.
lab_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
lab_cli() { ip netns exec "$LAB_NS_CLI" timeout "${LAB_CLI_TIMEOUT:-60}" "$@"; }
lab_fw() { ip netns exec "$LAB_NS_FW" "$@"; }
lab_srv() { ip netns exec "$LAB_NS_SRV" "$@"; }

_lab_nooffload() { # ns dev
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
}

# lab_topo_up: (re)create the three namespaces, veth links, addresses, routes.
lab_topo_up() {
	lab_topo_down
	local ns
	for ns in "$LAB_NS_CLI" "$LAB_NS_FW" "$LAB_NS_SRV"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 >/dev/null
	done
	ip link add "$LAB_IF_CLI" netns "$LAB_NS_CLI" type veth peer name "$LAB_IF_FW_CLI" netns "$LAB_NS_FW"
	ip link add "$LAB_IF_SRV" netns "$LAB_NS_SRV" type veth peer name "$LAB_IF_FW_SRV" netns "$LAB_NS_FW"
	ip -n "$LAB_NS_CLI" addr add "$LAB_CLI4/24" dev "$LAB_IF_CLI"
	ip -n "$LAB_NS_CLI" addr add "$LAB_CLI6/64" dev "$LAB_IF_CLI" nodad
	ip -n "$LAB_NS_FW" addr add "$LAB_FW_CLI4/24" dev "$LAB_IF_FW_CLI"
	ip -n "$LAB_NS_FW" addr add "$LAB_FW_CLI6/64" dev "$LAB_IF_FW_CLI" nodad
	ip -n "$LAB_NS_FW" addr add "$LAB_FW_SRV4/24" dev "$LAB_IF_FW_SRV"
	ip -n "$LAB_NS_FW" addr add "$LAB_FW_SRV6/64" dev "$LAB_IF_FW_SRV" nodad
	ip -n "$LAB_NS_SRV" addr add "$LAB_SRV4/24" dev "$LAB_IF_SRV"
	ip -n "$LAB_NS_SRV" addr add "$LAB_SRV6/64" dev "$LAB_IF_SRV" nodad
	_lab_nooffload "$LAB_NS_CLI" "$LAB_IF_CLI"
	_lab_nooffload "$LAB_NS_FW" "$LAB_IF_FW_CLI"
	_lab_nooffload "$LAB_NS_FW" "$LAB_IF_FW_SRV"
	_lab_nooffload "$LAB_NS_SRV" "$LAB_IF_SRV"
	ip -n "$LAB_NS_CLI" link set "$LAB_IF_CLI" up
	ip -n "$LAB_NS_FW" link set "$LAB_IF_FW_CLI" up
	ip -n "$LAB_NS_FW" link set "$LAB_IF_FW_SRV" up
	ip -n "$LAB_NS_SRV" link set "$LAB_IF_SRV" up
	ip -n "$LAB_NS_CLI" route add default via "$LAB_FW_CLI4"
	ip -n "$LAB_NS_CLI" -6 route add default via "$LAB_FW_CLI6"
	ip -n "$LAB_NS_SRV" route add default via "$LAB_FW_SRV4"
	ip -n "$LAB_NS_SRV" -6 route add default via "$LAB_FW_SRV6"
	ip netns exec "$LAB_NS_FW" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
	lab_warmup
}

# lab_warmup: ping across the router (v4 + v6) so neighbour caches are filled
# before a capture starts.
lab_warmup() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		if ip netns exec "$LAB_NS_CLI" ping -c1 -W1 -q "$LAB_SRV4" >/dev/null 2>&1 &&
			ip netns exec "$LAB_NS_CLI" ping -6 -c1 -W1 -q "$LAB_SRV6" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	lab_log "warning: warm-up ping failed (firewall in place?)"
}

# lab_topo_down: delete the namespaces (kills nothing else).
lab_topo_down() {
	local ns
	for ns in "$LAB_NS_CLI" "$LAB_NS_FW" "$LAB_NS_SRV"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	ip netns del "$(lab_ns_srv2)" 2>/dev/null || true
}

# lab_ns_srv2: the name of the second server namespace ($LAB_NS_SRV2, default ${LAB_NS_SRV}2).
lab_ns_srv2() { printf '%s\n' "${LAB_NS_SRV2:-${LAB_NS_SRV}2}"; }

# lab_srv2_up: after lab_topo_up, add a second server host $(lab_ns_srv2) on the server LAN:
# in $LAB_NS_FW the server-facing f1 and a new veth f2 become ports of a bridge fb that
# takes over f1's addresses (203.0.113.1/24, fd00:5::1/64), so
#   ftpl-srv  s0 203.0.113.20  fd00:5::20   and   ftpl-srv2 s1 203.0.113.30  fd00:5::30
# share one L2 segment (traffic between them is bridged in the router namespace, the
# client's is routed through fb).  tcpdump on fb (promiscuous) sees every frame of the
# server LAN once: routed ones and bridged ones.
lab_srv2_up() {
	local fw=$LAB_NS_FW ns
	ns=$(lab_ns_srv2)
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 >/dev/null
	ip link add "$LAB_IF_SRV2" netns "$ns" type veth peer name "$LAB_IF_FW_SRV2" netns "$fw"
	ip -n "$fw" addr flush dev "$LAB_IF_FW_SRV"
	ip -n "$fw" link add "$LAB_IF_FW_BR" type bridge stp_state 0 forward_delay 0
	ip -n "$fw" link set "$LAB_IF_FW_SRV" master "$LAB_IF_FW_BR"
	ip -n "$fw" link set "$LAB_IF_FW_SRV2" master "$LAB_IF_FW_BR"
	ip netns exec "$fw" sysctl -qw "net.ipv6.conf.$LAB_IF_FW_BR.accept_dad=0" >/dev/null 2>&1 || true
	ip -n "$fw" addr add "$LAB_FW_SRV4/24" dev "$LAB_IF_FW_BR"
	ip -n "$fw" addr add "$LAB_FW_SRV6/64" dev "$LAB_IF_FW_BR" nodad
	ip -n "$ns" addr add "$LAB_SRV2_4/24" dev "$LAB_IF_SRV2"
	ip -n "$ns" addr add "$LAB_SRV2_6/64" dev "$LAB_IF_SRV2" nodad
	_lab_nooffload "$ns" "$LAB_IF_SRV2"
	_lab_nooffload "$fw" "$LAB_IF_FW_SRV2"
	ip -n "$fw" link set "$LAB_IF_FW_SRV2" up
	ip -n "$fw" link set "$LAB_IF_FW_BR" up
	ip -n "$ns" link set "$LAB_IF_SRV2" up
	ip -n "$ns" route add default via "$LAB_FW_SRV4"
	ip -n "$ns" -6 route add default via "$LAB_FW_SRV6"
	local i
	for i in $(seq 20); do
		if ip netns exec "$LAB_NS_CLI" ping -c1 -W1 -q "$LAB_SRV2_4" >/dev/null 2>&1 &&
			ip netns exec "$LAB_NS_CLI" ping -c1 -W1 -q "$LAB_SRV4" >/dev/null 2>&1 &&
			ip netns exec "$LAB_NS_SRV" ping -c1 -W1 -q "$LAB_SRV2_4" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	lab_log "warning: warm-up ping over the bridge failed"
}

# lab_srv_park: keep the running vsftpd ($LAB_VSFTPD_PID) running while the next
# lab_srv_start starts another instance (e.g. in $LAB_NS_SRV2 for FXP); parked instances
# are stopped by lab_srv_stop_parked and by lab_cleanup.
lab_srv_park() {
	[ -n "$LAB_VSFTPD_PID" ] || return 0
	LAB_VSFTPD_PARKED+=("$LAB_VSFTPD_PID")
	LAB_VSFTPD_PID=
}

lab_srv_stop_parked() {
	local p
	for p in "${LAB_VSFTPD_PARKED[@]}"; do
		pkill -TERM -P "$p" 2>/dev/null || true
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	LAB_VSFTPD_PARKED=()
}

# lab_wait_listen <ns> <tcp-port> [timeout-s]: wait until something listens on the port.
lab_wait_listen() {
	local ns=$1 port=$2 t=${3:-5} i=0
	while [ "$i" -lt $((t * 10)) ]; do
		if ip netns exec "$ns" ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	lab_die "nothing listening on $ns tcp/$port after ${t}s"
}

# lab_tls_cert: self-signed cert+key in $LAB_WORK/tls (generated once per work dir).
lab_tls_cert() {
	mkdir -p "$LAB_WORK/tls"
	[ -s "$LAB_WORK/tls/cert.pem" ] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ftpl-srv" \
		-keyout "$LAB_WORK/tls/key.pem" -out "$LAB_WORK/tls/cert.pem" >/dev/null 2>&1 ||
		lab_die "openssl failed"
}

# lab_srv_root: (re)create the anonymous FTP tree: small.txt (1 KiB), data.bin (3 KiB),
# pub/readme.txt, incoming/ (writable by ftp for STOR).
lab_srv_root() {
	local root=$LAB_WORK/ftproot
	rm -rf "$root"
	mkdir -p "$root/pub" "$root/incoming"
	python3 - "$root" <<'EOF'
import sys, os
root = sys.argv[1]
open(os.path.join(root, "small.txt"), "w").write("".join("ftpsniff lab line %04d\n" % i for i in range(44))[:1024])
open(os.path.join(root, "data.bin"), "wb").write(bytes((i * 7 + 3) & 0xFF for i in range(3072)))
open(os.path.join(root, "pub", "readme.txt"), "w").write("ftpsniff lab\n")
EOF
	chmod 755 "$root" "$root/pub"
	chmod 644 "$root/small.txt" "$root/data.bin" "$root/pub/readme.txt"
	chown ftp:ftp "$root/incoming" 2>/dev/null || chmod 777 "$root/incoming"
	chmod 755 "$root/incoming"
}

# lab_srv_start [key=value ...]: write $LAB_WORK/vsftpd.conf (defaults below, overridden
# by the arguments) and start vsftpd in ftpl-srv (dual-stack, listen_ipv6=YES).
# ssl_enable=YES pulls in a self-signed cert and forces TLS for anonymous.
lab_srv_start() {
	lab_srv_stop
	[ -d "$LAB_WORK/ftproot" ] || lab_srv_root
	mkdir -p "$LAB_WORK/empty"
	chmod 755 "$LAB_WORK/empty"
	local conf=$LAB_WORK/vsftpd.conf kv ssl=NO
	declare -A opt=(
		[listen]=NO [listen_ipv6]=YES [listen_port]=21 [background]=NO
		[anonymous_enable]=YES [local_enable]=NO [no_anon_password]=NO
		[write_enable]=YES [anon_upload_enable]=YES [anon_umask]=022
		[pasv_enable]=YES [pasv_min_port]=40000 [pasv_max_port]=40019 [pasv_promiscuous]=NO
		[port_enable]=YES [port_promiscuous]=NO [connect_from_port_20]=NO [ftp_data_port]=20
		[connect_timeout]=4 [accept_timeout]=4 [data_connection_timeout]=10 [idle_session_timeout]=30
		[seccomp_sandbox]=NO [nopriv_user]=ftp [ftp_username]=ftp [hide_ids]=YES
		[xferlog_enable]=YES [log_ftp_protocol]=YES [dual_log_enable]=NO
		[ftpd_banner]="ftpsniff lab vsftpd"
	)
	for kv in "$@"; do opt[${kv%%=*}]=${kv#*=}; done
	opt[anon_root]=$LAB_WORK/ftproot
	opt[secure_chroot_dir]=$LAB_WORK/empty
	opt[vsftpd_log_file]=$LAB_WORK/vsftpd.log
	if [ "${opt[ssl_enable]:-NO}" = YES ]; then
		lab_tls_cert
		ssl=YES
		: "${opt[allow_anon_ssl]:=YES}" "${opt[force_anon_logins_ssl]:=YES}" "${opt[force_anon_data_ssl]:=YES}"
		: "${opt[require_ssl_reuse]:=NO}" "${opt[ssl_ciphers]:=HIGH}"
		: "${opt[ssl_tlsv1]:=YES}" "${opt[ssl_sslv2]:=NO}" "${opt[ssl_sslv3]:=NO}"
		opt[rsa_cert_file]=$LAB_WORK/tls/cert.pem
		opt[rsa_private_key_file]=$LAB_WORK/tls/key.pem
	fi
	: >"$conf"
	for kv in $(printf '%s\n' "${!opt[@]}" | sort); do printf '%s=%s\n' "$kv" "${opt[$kv]}" >>"$conf"; done
	ip netns exec "$LAB_NS_SRV" /usr/sbin/vsftpd "$conf" >>"$LAB_WORK/vsftpd.out" 2>&1 &
	LAB_VSFTPD_PID=$!
	lab_wait_listen "$LAB_NS_SRV" "${opt[listen_port]}" 5
	kill -0 "$LAB_VSFTPD_PID" 2>/dev/null || lab_die "vsftpd exited: $(cat "$LAB_WORK/vsftpd.out")"
	lab_log "vsftpd pid $LAB_VSFTPD_PID (pasv ${opt[pasv_min_port]}-${opt[pasv_max_port]}, port20=${opt[connect_from_port_20]}, ssl=$ssl)"
}

# lab_srv_stop: stop the vsftpd we started (and its session children).
lab_srv_stop() {
	[ -n "$LAB_VSFTPD_PID" ] || return 0
	pkill -TERM -P "$LAB_VSFTPD_PID" 2>/dev/null || true
	kill -TERM "$LAB_VSFTPD_PID" 2>/dev/null || true
	wait "$LAB_VSFTPD_PID" 2>/dev/null || true
	LAB_VSFTPD_PID=
}

# lab_srv_conf_json: the running vsftpd settings as a JSON object (for expect files).
lab_srv_conf_json() {
	python3 -c 'import json,sys
d={}
for l in open(sys.argv[1]):
    k,_,v=l.rstrip("\n").partition("=")
    if k in ("anon_root","secure_chroot_dir","vsftpd_log_file","rsa_cert_file","rsa_private_key_file"): continue
    d[k]=v
print(json.dumps(d,sort_keys=True))' "$LAB_WORK/vsftpd.conf"
}

# lab_fw_apply <ruleset-text> [ns]: replace the lab's nft ruleset in ftpl-fw (or ns).
# The text is also saved to $LAB_WORK/ruleset.<ns>.nft.
lab_fw_apply() {
	local rules=$1 ns=${2:-$LAB_NS_FW}
	printf '%s\n' "$rules" >"$LAB_WORK/ruleset.$ns.nft"
	ip netns exec "$ns" nft flush ruleset
	ip netns exec "$ns" nft -f "$LAB_WORK/ruleset.$ns.nft" || lab_die "nft rejected ruleset for $ns"
}

# lab_fw_flush [ns]: remove every nft rule in ftpl-fw (or ns).
lab_fw_flush() { ip netns exec "${1:-$LAB_NS_FW}" nft flush ruleset; }

# lab_fw_list [ns]: print the live ruleset (with counters).
lab_fw_list() { ip netns exec "${1:-$LAB_NS_FW}" nft list ruleset; }

# lab_fw_counters [ns]: JSON {"<rule comment>": packets, ...} for rules with counter+comment.
lab_fw_counters() {
	ip netns exec "${1:-$LAB_NS_FW}" nft -j list ruleset | python3 -c '
import json, sys
out = {}
for item in json.load(sys.stdin).get("nftables", []):
    r = item.get("rule")
    if not r or "comment" not in r: continue
    for e in r.get("expr", []):
        if "counter" in e:
            out[r["comment"]] = out.get(r["comment"], 0) + e["counter"]["packets"]
print(json.dumps(out, sort_keys=True))'
}

# lab_cap_start <file.pcap> [iface] [ns]: tcpdump (in ftpl-fw on f1 by default);
# returns when tcpdump is listening.  LAB_CAP_FILTER, when set, is passed as the filter.
lab_cap_start() {
	local file=$1 ifc=${2:-$LAB_IF_FW_SRV} ns=${3:-$LAB_NS_FW} i
	lab_cap_stop
	LAB_CAP_ERR=$LAB_WORK/tcpdump.$$.$(basename "$file").err
	: >"$LAB_CAP_ERR"
	LAB_CAP_ERRS+=("$LAB_CAP_ERR")
	# shellcheck disable=SC2086 # LAB_CAP_FILTER: optional BPF expression (one word)
	# -B: a 32 MiB kernel buffer; with the default 2 MiB and -s 262144 the ring holds only a
	# few frames and bursts are lost (seen with -i any: "17 packets dropped by kernel")
	ip netns exec "$ns" tcpdump -i "$ifc" -n -s 262144 -B "${LAB_CAP_BUFFER_KIB:-32768}" -U --immediate-mode -Z root -w "$file" \
		${LAB_CAP_FILTER:+"$LAB_CAP_FILTER"} 2>"$LAB_CAP_ERR" &
	LAB_CAP_PID=$!
	for i in $(seq 50); do
		grep -q 'listening on' "$LAB_CAP_ERR" && return 0
		kill -0 "$LAB_CAP_PID" 2>/dev/null || lab_die "tcpdump died: $(cat "$LAB_CAP_ERR")"
		sleep 0.1
	done
	lab_die "tcpdump not ready"
}

# lab_cap_stop: stop the capture (SIGINT so the file is flushed) and wait for it.
lab_cap_stop() {
	[ -n "$LAB_CAP_PID" ] || return 0
	sleep 0.3
	kill -INT "$LAB_CAP_PID" 2>/dev/null || true
	wait "$LAB_CAP_PID" 2>/dev/null || true
	LAB_CAP_PID=
}

# lab_cap_dropped: after the captures stopped, the sum of "N packets dropped by kernel" that
# tcpdump reported for every capture started since the last call (0 = complete captures).
lab_cap_dropped() {
	local f n=0 d
	for f in "${LAB_CAP_ERRS[@]}"; do
		d=$(sed -n 's/^\([0-9][0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$f" 2>/dev/null | tail -1)
		n=$((n + ${d:-0}))
	done
	LAB_CAP_ERRS=()
	echo "$n"
}

# lab_cap_park: keep the running capture going while lab_cap_start starts another one
# (several interfaces captured at once); lab_cap_stop_parked stops the parked ones.
LAB_CAP_PARKED=()
lab_cap_park() {
	[ -n "$LAB_CAP_PID" ] || return 0
	LAB_CAP_PARKED+=("$LAB_CAP_PID")
	LAB_CAP_PID=
}

lab_cap_stop_parked() {
	local p
	[ ${#LAB_CAP_PARKED[@]} -gt 0 ] || return 0
	sleep 0.3
	for p in "${LAB_CAP_PARKED[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "${LAB_CAP_PARKED[@]}"; do wait "$p" 2>/dev/null || true; done
	LAB_CAP_PARKED=()
}

# lab_cleanup: stop capture + vsftpd, delete namespaces, remove the work dir
# (kept when LAB_KEEP=1).
lab_cleanup() {
	lab_cap_stop
	lab_cap_stop_parked
	lab_srv_stop
	lab_srv_stop_parked
	lab_topo_down
	if [ -n "$LAB_WORK" ] && [ "${LAB_KEEP:-0}" != 1 ]; then rm -rf "$LAB_WORK"; fi
}
