#!/bin/sh
# scripts/deps.sh runtime|test -- install the Debian 12 packages mcpgate needs.
#
#   runtime  build and run the demo (make run)
#   test     runtime + everything make check needs (Apache, spawn-fcgi,
#            clang for fuzzing, valgrind, Node.js for the official clients, jq)
#
# Installs only what is missing (checked with dpkg-query), so it is quick
# and needs no root when everything is there.  Package scripts are not
# allowed to start services while it runs: installing apache2 or lighttpd
# would otherwise start them on port 80, and mcpgate's demo and tests run
# their own on 127.0.0.1 high ports.
set -u

RUNTIME_PKGS="gcc make libc6-dev pkg-config libfcgi-dev libfcgi-bin
libjansson-dev libsqlite3-dev sqlite3 libssl-dev libjwt-dev lighttpd curl"
TEST_PKGS="apache2 libapache2-mod-fcgid spawn-fcgi clang libclang-rt-14-dev
valgrind nodejs npm jq openssl wrk hyperfine python3 chromium"

usage() {
	echo "usage: sh scripts/deps.sh runtime|test" >&2
	exit 2
}

[ $# -eq 1 ] || usage
case $1 in
runtime) want=$RUNTIME_PKGS ;;
test) want="$RUNTIME_PKGS $TEST_PKGS" ;;
*) usage ;;
esac

installed() {
	# Node.js from another source (e.g. NodeSource's nodejs, which bundles
	# npm and conflicts with Debian's npm package) counts as present.
	case $1 in
	nodejs) command -v node >/dev/null 2>&1 && return 0 ;;
	npm) command -v npm >/dev/null 2>&1 && return 0 ;;
	esac
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null |
	    grep -q '^install ok installed$'
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: this is not a Debian system (no dpkg-query); install" \
	    "the equivalents of: $want" >&2
	exit 1
fi

missing=
for p in $want; do
	installed "$p" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing Debian packages:$missing" >&2
	echo "deps.sh: run as root:  sh scripts/deps.sh $1" >&2
	echo "deps.sh: or:  apt-get install$missing" >&2
	exit 1
fi

echo "deps.sh: installing:$missing"

# Keep package scripts from starting services (invoke-rc.d honours
# policy-rc.d exit 101: "action forbidden").  Restore whatever was there.
prc=/usr/sbin/policy-rc.d
saved=
if [ -e "$prc" ]; then
	saved=$(mktemp) && cp -p "$prc" "$saved"
fi
restore() {
	if [ -n "$saved" ]; then
		cp -p "$saved" "$prc" && rm -f "$saved"
	else
		rm -f "$prc"
	fi
}
trap restore EXIT
trap 'exit 130' INT TERM HUP
printf '#!/bin/sh\n# written by mcpgate scripts/deps.sh while it installs\nexit 101\n' >"$prc"
chmod 755 "$prc"

export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! apt-get -q update || ! apt-get -y -q install --no-install-recommends $missing
then
	echo "deps.sh: apt-get failed; packages still missing:$missing" >&2
	exit 1
fi

# Belt and braces: if a service started anyway (no policy-rc.d support),
# stop it and keep it from starting at boot -- only for packages this run
# installed, never a web server the machine already had.
for svc in apache2 lighttpd; do
	case " $missing " in
	*" $svc "*) ;;
	*) continue ;;
	esac
	if [ -x "/etc/init.d/$svc" ]; then
		"/etc/init.d/$svc" stop >/dev/null 2>&1 || true
		if command -v update-rc.d >/dev/null 2>&1; then
			update-rc.d "$svc" disable >/dev/null 2>&1 || true
		fi
	fi
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]
	then
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	fi
done

still=
for p in $missing; do
	installed "$p" || still="$still $p"
done
if [ -n "$still" ]; then
	echo "deps.sh: still missing after apt-get:$still" >&2
	exit 1
fi
echo "deps.sh: done"
