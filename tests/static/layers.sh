#!/bin/sh
# The layering rules of STYLE.md, checked by grep over includes:
#  - lib/ has no FastCGI in it; only cgi/main.c includes fcgiapp.h
#  - the protocol core (jrpc, mcp) includes no HTTP, FastCGI or SQLite header
#  - tools know nothing of MCP or JSON-RPC
#  - the analyzer (audit/) never includes the server core
cd "$(dirname "$0")/../.." || exit 2
n=0
check() {	# description, command that must print nothing
	n=$((n + 1))
	out=$(sh -c "$2")
	if [ -z "$out" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "$out" | sed 's/^/#   /'
	fi
}
check "lib/ never includes FastCGI" \
    "grep -ln 'fcgi' lib/*.c lib/*.h lib/tools/*.c 2>/dev/null"
check "only cgi/main.c includes fcgiapp.h" \
    "grep -l 'fcgiapp.h\|fcgi_stdio.h' cgi/*.c | grep -v '^cgi/main.c$'"
check "no fcgi_stdio.h anywhere" \
    "grep -rl 'fcgi_stdio.h' lib cgi audit 2>/dev/null"
check "jrpc and mcp include no HTTP, FastCGI or SQLite header" \
    "grep -n '#include.*\(http.h\|sqlite3.h\|fcgi\|endpoint.h\|store.h\)' lib/jrpc.[ch] lib/mcp.[ch]"
check "tools include no MCP, JSON-RPC or HTTP header" \
    "grep -n '#include.*\(mcp.h\|jrpc.h\|http.h\|endpoint.h\)' lib/tools/*.c lib/tool.[ch]"
check "audit/ never includes the server core" \
    "grep -n '#include.*\(mcp.h\|jrpc.h\|endpoint.h\|tool.h\|config.h\)' audit/*.c audit/*.h 2>/dev/null"
check "no typedef'd structs in our headers" \
    "grep -n 'typedef struct' lib/*.h lib/tools/*.h cgi/*.h 2>/dev/null"
echo "1..$n"
