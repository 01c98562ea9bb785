#!/bin/bash
# Install what the ftpsniff lab needs (Debian 12). Idempotent and quiet.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "setup.sh: run as root" >&2; exit 1; }
pkgs="vsftpd lftp curl nftables tcpdump iproute2 openssl python3 ethtool iputils-ping procps
	wireshark-common" # wireshark-common: mergecap (scenario merged-2if)
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup.sh: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# the packaged vsftpd service is not used by the lab (it runs its own instance
# inside the ftpl-srv namespace with a generated config)
id ftp >/dev/null 2>&1 || useradd --system --home-dir /srv/ftp --shell /usr/sbin/nologin ftp

# ProFTPD and Pure-FTPd for lab/roundtrip.sh. Their packages conflict with
# vsftpd in apt, so they are downloaded and unpacked (dpkg -x) into
# $LAB_FTPD_ROOT and run from there; only their libraries are installed.
LAB_FTPD_ROOT=${LAB_FTPD_ROOT:-/opt/ftpsniff-lab}
libs="libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 libsodium23 libcap2 libssl3"
missing=
for p in $libs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup.sh: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ ! -x "$LAB_FTPD_ROOT/root/usr/sbin/proftpd" ] || [ ! -x "$LAB_FTPD_ROOT/root/usr/sbin/pure-ftpd" ]; then
	echo "setup.sh: unpacking proftpd and pure-ftpd into $LAB_FTPD_ROOT" >&2
	mkdir -p "$LAB_FTPD_ROOT/debs" "$LAB_FTPD_ROOT/root"
	chmod 755 "$LAB_FTPD_ROOT/debs"
	(cd "$LAB_FTPD_ROOT/debs" && apt-get download -qq proftpd-core pure-ftpd >/dev/null 2>&1) ||
		{ apt-get update -qq >/dev/null && (cd "$LAB_FTPD_ROOT/debs" && apt-get download -qq proftpd-core pure-ftpd >/dev/null); }
	for d in "$LAB_FTPD_ROOT"/debs/*.deb; do dpkg -x "$d" "$LAB_FTPD_ROOT/root"; done
fi
mkdir -p /srv/ftp
