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
