#!/bin/sh
# tests/e2e/25_validation.sh -- validation twice and errors a model can act on
# (issue 4), over real HTTP: every error category through lighttpd +
# mod_fastcgi, and a subset again through Apache + mod_fcgid.
#
#   sh tests/e2e/25_validation.sh      (tests/run.sh runs it the same way)
#   E2E_ONLY=lighttpd|fcgid            one server
#   E2E_KEEP=1 / E2E_VERBOSE=1         keep the temp dir / show every request
#
# The config is tests/e2e/validation.json (test-only tools over
# validation.db, seeded from tests/e2e/validation.sql) with the demo shop's
# tools from deploy/demo/mcpgate.json put in front, over a shop.db built from
# deploy/demo/shop.sql: issue_refund's three checks run as shipped.  The
# demo's per-tool rate limits are dropped, so that this file does not depend
# on how many calls it makes; hello_limited tests rate_limited instead.
# Auth is "required", with two API keys: "demo" and "alice" (the principal
# is the key's name; the shop has orders of both).
#
# Every tools/call response of the run is kept, and at the end none may
# carry SQL text, a database file name, a path or a stack trace.
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

SCOPES='orders:read refunds:write outbox:write users:write credits:write test:read test:write'
TRANSIENT_MAX_MS=5000	# "well under" the web servers' 60 s backend timeouts

e2e_init
RESPONSES="$E2E_TMP/responses"
: >"$RESPONSES"

# --- data -------------------------------------------------------------------

# make_data NAME: $E2E_TMP/data-NAME with the merged config, shop.db,
# validation.db and state.db, and two API keys.  Sets DATA, CFG, DEMO_KEY
# and ALICE_KEY.
make_data() {
	DATA="$E2E_TMP/data-$1"
	CFG="$DATA/mcpgate.json"
	mkdir -p "$DATA"
	if ! jq --slurpfile demo "$E2E_TOP/deploy/demo/mcpgate.json" \
	    '.tools = [$demo[0].tools[] | del(.rate_limit)] + .tools' \
	    "$E2E_TOP/tests/e2e/validation.json" >"$CFG" ||
	    ! sqlite3 "$DATA/shop.db" <"$E2E_TOP/deploy/demo/shop.sql" \
	    >/dev/null ||
	    ! sqlite3 "$DATA/validation.db" \
	    <"$E2E_TOP/tests/e2e/validation.sql"; then
		e2e_not_ok "$1: the test config and databases are built"
		return 1
	fi
	e2e_own "$DATA"
	if ! e2e_svc "$E2E_BIN" init "$CFG" >"$DATA/init.out" 2>&1 ||
	    ! e2e_svc "$E2E_BIN" check "$CFG" >>"$DATA/init.out" 2>&1; then
		e2e_not_ok "$1: mcpgate init + check accept the test config"
		e2e_diag "$(cat "$DATA/init.out")"
		return 1
	fi
	DEMO_KEY=$(e2e_svc "$E2E_BIN" key create --config "$CFG" --name demo \
	    --scope "$SCOPES" 2>>"$DATA/init.out")
	ALICE_KEY=$(e2e_svc "$E2E_BIN" key create --config "$CFG" \
	    --name alice --scope "$SCOPES" 2>>"$DATA/init.out")
	case "$DEMO_KEY $ALICE_KEY" in
	mcpk_*" "mcpk_*) return 0 ;;
	esac
	e2e_not_ok "$1: mcpgate key create prints a key for demo and for alice"
	e2e_diag "$(cat "$DATA/init.out")"
	return 1
}

# db FILE SQL: one value from a database of the current data set.
db() {
	e2e_svc sqlite3 "$DATA/$1" "$2" 2>&1
}

# --- requests ---------------------------------------------------------------

# as demo|alice: the credential and the session of that principal.
as() {
	case $1 in
	demo) E2E_AUTH="Bearer $DEMO_KEY"; E2E_SID=$SID_DEMO ;;
	alice) E2E_AUTH="Bearer $ALICE_KEY"; E2E_SID=$SID_ALICE ;;
	esac
	E2E_PV=2025-11-25
}

# sessions: initialize one session per principal (SID_DEMO, SID_ALICE).
sessions() {
	E2E_AUTH="Bearer $DEMO_KEY"
	e2e_initialize 2025-11-25
	t "demo: initialize + notifications/initialized" 202
	SID_DEMO=$E2E_SID
	E2E_AUTH="Bearer $ALICE_KEY"
	e2e_initialize 2025-11-25
	t "alice: initialize + notifications/initialized" 202
	SID_ALICE=$E2E_SID
	as demo
}

RPC_ID=0

# call TOOL ARGUMENTS_JSON: tools/call as the current principal; the
# response joins $RESPONSES.
call() {
	RPC_ID=$((RPC_ID + 1))
	e2e_rpc tools/call "{\"name\":\"$1\",\"arguments\":$2}" "$RPC_ID"
	{ cat "$E2E_TMP/resp.b"; echo; } >>"$RESPONSES"
}

# raw BODY: a request body as it is; the response joins $RESPONSES.
raw() {
	e2e_req POST "$1"
	{ cat "$E2E_TMP/resp.b"; echo; } >>"$RESPONSES"
}

# jq definitions every filter below may use:
#   err       the error object (_meta["dev.mcpgate/error"], always present)
#   shape(os) one error shape: isError, the text block "CATEGORY error
#             (CODE): MESSAGE ...", and structuredContent.error the same
#             object, or no structuredContent when the tool has an
#             outputSchema (os)
#   is(c; k)  shape, category c, code k, retryable exactly for transient
#             and rate_limited, retry_after only when retryable;
#             is_os(c; k) the same for a tool with an outputSchema
#   det       the details, as [path, keyword] pairs
JQDEF='def err: .result._meta["dev.mcpgate/error"];
def shape(os): .result.isError == true and (err | type) == "object" and
  (err as $e | (.result.content[0].text |
    startswith("\($e.category) error (\($e.code)): \($e.message)")) and
  (if os then .result | has("structuredContent") | not
   else .result.structuredContent.error == $e end));
def kind(c; k): err.category == c and err.code == k and
  err.retryable == (c == "transient" or c == "rate_limited") and
  ((err | has("retry_after")) == false or err.retryable);
def is(c; k): shape(false) and kind(c; k);
def is_os(c; k): shape(true) and kind(c; k);
def det: [err.details[] | [.path, .keyword]];'

# t NAME STATUS [JQ_FILTER]: e2e_expect with the label and $JQDEF.
t() {
	if [ -n "${3:-}" ]; then
		e2e_expect "$L: $1" "$2" "$JQDEF $3"
	else
		e2e_expect "$L: $1" "$2"
	fi
}

# same NAME A B: ok when the strings A and B are byte-identical.
same() {
	if [ "$2" = "$3" ]; then
		e2e_ok "$L: $1"
	else
		e2e_not_ok "$L: $1"
		e2e_diag "first:  $2"
		e2e_diag "second: $3"
	fi
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# UTF-8 strings by their bytes (octal escapes: the file stays ASCII).
E_ACUTE=$(printf '\303\251')				# U+00E9, 2 bytes
GRIN=$(printf '\360\237\230\200')			# U+1F600, 4 bytes
NAME8="$E_ACUTE$E_ACUTE$E_ACUTE$E_ACUTE$GRIN$GRIN$GRIN$GRIN"	# 8 chars, 24 bytes
NAME9="$NAME8$E_ACUTE"					# 9 chars, 26 bytes
A63=$(printf '%063d' 0 | tr 0 a)

# --- protocol errors stay protocol errors -----------------------------------

suite_protocol() {
	as demo
	call drop_all_tables '{}'
	t "tools/call of an unknown tool -> JSON-RPC -32602, no result" 200 \
	    '.error.code == -32602 and (has("result") | not)'
	call get_order '[1001]'
	t "tools/call with \"arguments\" an array -> -32602" 200 \
	    '.error.code == -32602 and (has("result") | not)'
	raw '{"jsonrpc":"2.0","id":7,"params":{"name":"get_order","arguments":{"order_id":1001}}}'
	t "a request without \"method\" -> 400, -32600" 400 \
	    '.error.code == -32600 and (has("result") | not)'
	raw '{"jsonrpc":"1.0","id":7,"method":"tools/call","params":{"name":"get_order","arguments":{"order_id":1001}}}'
	t "a request with \"jsonrpc\": \"1.0\" -> 400, -32600" 400 \
	    '.error.code == -32600'
}

# --- gate 1: the input schema -----------------------------------------------

suite_schema_core() {
	as demo
	call register_user '{"name":"Ann"}'
	t "missing required field -> validation, keyword required, not retryable" \
	    200 'is("validation"; "invalid_arguments") and
	    det == [["", "required"]] and (err.message | contains("\"email\""))'
	call get_order '{"order_id":"1001"}'
	t "wrong type (string for integer) -> validation, /order_id type" 200 \
	    'is("validation"; "invalid_arguments") and
	    det == [["/order_id", "type"]]'
}

suite_schema_full() {
	as demo
	call get_order '{"order_id":1001,"verbose":true}'
	t "unknown field -> validation, /verbose additionalProperties" 200 \
	    'is("validation"; "invalid_arguments") and
	    det == [["/verbose", "additionalProperties"]]'
	call issue_refund '{"order_id":1003,"amount_cents":1000001,"reason":"too much","idempotency_key":"r-max1"}'
	t "number above maximum (1000001 > 1000000) -> validation, /amount_cents maximum" \
	    200 'is("validation"; "invalid_arguments") and
	    det == [["/amount_cents", "maximum"]] and
	    (err.message | contains("1000000"))'
	call issue_refund '{"order_id":1003,"amount_cents":0,"reason":"too little","idempotency_key":"r-min0"}'
	t "number below minimum (0 < 1) -> validation, /amount_cents minimum" \
	    200 'is("validation"; "invalid_arguments") and
	    det == [["/amount_cents", "minimum"]]'
	call issue_refund '{"order_id":1003,"amount_cents":1000000,"reason":"at max","idempotency_key":"r-max0"}'
	t "number at maximum (1000000) passes the schema; the check answers" 200 \
	    'is("validation"; "amount_exceeds_refundable")'
	call search_orders '{"status":"lost"}'
	t "bad enum value -> validation, /status enum, the values named" 200 \
	    'is_os("validation"; "invalid_arguments") and det == [["/status", "enum"]]
	    and (err.message | contains("\"delivered\""))'
	call register_user '{"email":"not-an-email","name":"Ann"}'
	t "bad \"format\": \"email\" -> validation, /email format" 200 \
	    'is("validation"; "invalid_arguments") and det == [["/email", "format"]]'
	call register_user '{"email":"ann@example.com","name":"Ann","birthday":"2023-02-29"}'
	t "bad \"format\": \"date\" (2023-02-29) -> validation, /birthday format" \
	    200 'is("validation"; "invalid_arguments") and
	    det == [["/birthday", "format"]]'
	call register_user '{"email":"ann@example.com","name":"Ann","birthday":"2024-02-29"}'
	t "good \"format\": \"date\" (2024-02-29) -> the user is registered" 200 \
	    '(.result.isError | not) and .result.structuredContent.name == "Ann"'

	# maxLength 8 counts code points: 8 (24 bytes) passes, 9 fails.
	call register_user "{\"email\":\"eight@example.com\",\"name\":\"$NAME8\"}"
	t "string of maxLength (8) multibyte characters, 24 bytes -> accepted" \
	    200 "(.result.isError | not) and .result.structuredContent.name == \"$NAME8\""
	e2e_check "$L: ... stored as 8 characters, 24 bytes" \
	    test "$(db validation.db "SELECT length(name) || '/' || length(CAST(name AS BLOB)) FROM users WHERE email = 'eight@example.com'")" = 8/24
	call register_user "{\"email\":\"nine@example.com\",\"name\":\"$NAME9\"}"
	t "string of maxLength+1 (9) multibyte characters -> validation, /name maxLength" \
	    200 'is("validation"; "invalid_arguments") and
	    det == [["/name", "maxLength"]]'
	e2e_check "$L: ... and nothing was written" \
	    test "$(db validation.db "SELECT count(*) FROM users WHERE email = 'nine@example.com'")" = 0

	# Every violation, each with path, keyword and a sentence.
	call register_user '{"email":"three@example.com","name":5,"seats":0,"extra":true}'
	t "3 problems -> 3 details (type, minimum, additionalProperties)" 200 \
	    'is("validation"; "invalid_arguments") and (err.details | length) == 3
	    and (det | sort) == [["/extra", "additionalProperties"],
	    ["/name", "type"], ["/seats", "minimum"]] and
	    all(err.details[]; (.message | length) > 0) and
	    (err.message | contains("more problems"))'
	_a=$(jq -nc '[range(1; 17)] | map({key: "x\(.)", value: .}) |
	    from_entries + {email: "a@example.com", name: "A"}')
	call register_user "$_a"
	t "16 problems (the cap) -> 16 details" 200 \
	    'is("validation"; "invalid_arguments") and (err.details | length) == 16'
	_a=$(jq -nc '[range(1; 18)] | map({key: "x\(.)", value: .}) |
	    from_entries + {email: "a@example.com", name: "A"}')
	call register_user "$_a"
	t "17 problems -> 16 details (capped), the message says there are more" \
	    200 'is("validation"; "invalid_arguments") and
	    (err.details | length) == 16 and (err.message | contains("more"))'
}

# --- gate 2: the checks (issue_refund as shipped, grant_credit) -------------

suite_checks_core() {
	# An order that exists but is alice's: the same answer as no order.
	as alice
	call get_order '{"order_id":2001}'
	t "alice: get_order 2001 -> her order" 200 \
	    '(.result.isError | not) and .result.structuredContent.id == 2001'
	as demo
	call get_order '{"order_id":2001}'
	t "demo: get_order 2001 (alice's) -> not_found" 200 \
	    'is("not_found"; "not_found")'
	_other=$(jq -cS .result "$E2E_TMP/resp.b")
	call get_order '{"order_id":999999}'
	t "demo: get_order 999999 (no such order) -> not_found" 200 \
	    'is("not_found"; "not_found")'
	_none=$(jq -cS .result "$E2E_TMP/resp.b")
	same "get_order: someone else's order and a missing one get byte-identical results" \
	    "$_other" "$_none"

	call issue_refund '{"order_id":2001,"amount_cents":100,"reason":"broken","idempotency_key":"r-other"}'
	t "demo: issue_refund on alice's order 2001 -> not_found, order_not_found" \
	    200 'is("not_found"; "order_not_found")'
	_other=$(jq -cS .result "$E2E_TMP/resp.b" | sed 's/2001/999999/g')
	call issue_refund '{"order_id":999999,"amount_cents":100,"reason":"broken","idempotency_key":"r-none"}'
	t "demo: issue_refund on order 999999 (none) -> not_found, order_not_found" \
	    200 'is("not_found"; "order_not_found")'
	_none=$(jq -cS .result "$E2E_TMP/resp.b")
	same "issue_refund: someone else's order and a missing one get identical results (but for the id)" \
	    "$_other" "$_none"
	e2e_check "$L: ... and no refund was made on order 2001" \
	    test "$(db shop.db 'SELECT count(*) FROM refunds WHERE order_id = 2001')" = 0

	# Over the refundable amount: validation, naming the amount.
	call issue_refund '{"order_id":1003,"amount_cents":2000,"reason":"broken","idempotency_key":"r-over"}'
	t "refund 2000 on order 1003 (1990 refundable) -> validation, amount_exceeds_refundable naming 1990" \
	    200 'is("validation"; "amount_exceeds_refundable") and
	    (err.message | contains("1990")) and (err | has("details") | not)'
	call issue_refund '{"order_id":1003,"amount_cents":990,"reason":"partly broken","idempotency_key":"r-part"}'
	t "refund 990 on order 1003 -> the refund" 200 \
	    '(.result.isError | not) and .result.structuredContent.amount_cents == 990'
	call issue_refund '{"order_id":1003,"amount_cents":1001,"reason":"broken","idempotency_key":"r-over2"}'
	t "refund 1001 on order 1003 (now 1000 refundable) -> amount_exceeds_refundable naming 1000" \
	    200 'is("validation"; "amount_exceeds_refundable") and
	    (err.message | contains(" 1000 "))'

	# A cancelled order: conflict.
	call issue_refund '{"order_id":1005,"amount_cents":100,"reason":"broken","idempotency_key":"r-cancel"}'
	t "refund on cancelled order 1005 -> conflict, order_not_refundable" 200 \
	    'is("conflict"; "order_not_refundable") and
	    (err.message | contains("cancelled"))'
	e2e_check "$L: ... and no refund was made on order 1005" \
	    test "$(db shop.db 'SELECT count(*) FROM refunds WHERE order_id = 1005')" = 0

	# An authorization-category check.
	call grant_credit '{"member":"alice","cents":500}'
	t "demo (staff): grant_credit -> authorization, not_an_admin, naming the role" \
	    200 'is("authorization"; "not_an_admin") and
	    (err.message | contains("staff"))'
	as alice
	call grant_credit '{"member":"demo","cents":500}'
	t "alice (admin): grant_credit -> the credit" 200 \
	    '(.result.isError | not) and .result.structuredContent.cents == 500'
	e2e_check "$L: ... and only alice's credit is in the database" \
	    test "$(db validation.db 'SELECT count(*) || granted_by FROM credits')" = 1alice
	as demo
}

suite_checks_full() {
	as demo
	call issue_refund '{"order_id":1004,"amount_cents":100,"reason":"broken","idempotency_key":"r-pending"}'
	t "refund on pending order 1004 -> conflict, naming the status" 200 \
	    'is("conflict"; "order_not_refundable") and
	    (err.message | contains("pending"))'
	# A placeholder value is cut at 64 bytes, never inside a character:
	# 63 ASCII + U+00E9 is 65 bytes.
	as alice
	call grant_credit "{\"member\":\"$A63$E_ACUTE\",\"cents\":1}"
	t "check message with a 65-byte multibyte value -> not_found, cut before the split character" \
	    200 "is(\"not_found\"; \"member_not_found\") and
	    err.message == \"There is no member $A63.\""
	as demo
	# Database text that is not UTF-8 (Latin-1 "M\374ller") in a message.
	call lock_customer '{}'
	t "check message with Latin-1 bytes from the database -> its conflict, the byte replaced" \
	    200 'is("conflict"; "customer_locked") and
	    err.message == "Customer M?ller is locked."'
}

# --- transient: a statement past its timeout_ms ----------------------------

# timed TOOL: call TOOL, set ELAPSED (ms).
timed() {
	_t0=$(now_ms)
	call "$1" '{}'
	ELAPSED=$(($(now_ms) - _t0))
}

suite_transient() {
	as demo
	timed count_slowly
	t "read past timeout_ms 200 -> transient, timeout, retryable, retry_after" \
	    200 'is("transient"; "timeout") and err.retry_after > 0'
	e2e_check "$L: ... within ${TRANSIENT_MAX_MS} ms (took $ELAPSED ms)" \
	    test "$ELAPSED" -lt "$TRANSIENT_MAX_MS"
	timed fill_counts
	t "write past timeout_ms 200 -> transient, timeout, retryable" 200 \
	    'is("transient"; "timeout")'
	e2e_check "$L: ... within ${TRANSIENT_MAX_MS} ms (took $ELAPSED ms)" \
	    test "$ELAPSED" -lt "$TRANSIENT_MAX_MS"
	e2e_check "$L: ... the rows it had inserted are rolled back" \
	    test "$(db validation.db 'SELECT count(*) FROM counts')" = 0
	e2e_check "$L: ... and no transaction is left open (BEGIN IMMEDIATE from outside)" \
	    test -z "$(db validation.db 'BEGIN IMMEDIATE; ROLLBACK;')"
	# Twice: with two workers, at least one lands on the interrupted one
	# or both do; either way each must succeed.
	call register_user '{"email":"after1@example.com","name":"After"}'
	t "a following write to the same database succeeds" 200 \
	    '(.result.isError | not) and .result.structuredContent.email == "after1@example.com"'
	call register_user '{"email":"after2@example.com","name":"After"}'
	t "and another" 200 '(.result.isError | not)'
}

# --- conflict (UNIQUE) and internal (output schema) -------------------------

suite_conflict_internal() {
	as demo
	call register_user '{"email":"taken@example.com","name":"Copy"}'
	t "UNIQUE constraint -> conflict, constraint, not retryable" 200 \
	    'is("conflict"; "constraint") and
	    ([err.message, .result.content[0].text] | all(test("UNIQUE|users|email") | not))'
	e2e_check "$L: ... and the row is not duplicated" \
	    test "$(db validation.db "SELECT count(*) FROM users WHERE email = 'taken@example.com'")" = 1

	call user_stats '{}'
	_rid=$(e2e_hdr X-Request-Id)
	t "result breaking its output_schema -> internal, output_schema_mismatch, no structuredContent" \
	    200 'is_os("internal"; "output_schema_mismatch")'
	t "... the message quotes the request id ($_rid) and nothing else of the server" \
	    200 "(err.message | contains(\"$_rid\")) and
	    ([err.message, .result.content[0].text] |
	    all(test(\"SELECT|FROM|count|total|/|[.]db\") | not))"
	if [ -n "$_rid" ] && grep -F "$_rid" "$E2E_RUN"/*.log "$E2E_RUN"/*.out \
	    2>/dev/null | grep -q 'user_stats.*output schema.*total'; then
		e2e_ok "$L: ... and the server log has the details (tool, the missing \"total\", request id)"
	else
		e2e_not_ok "$L: ... and the server log has the details (tool, the missing \"total\", request id)"
		e2e_logs_diag
	fi
}

suite_rate_limited() {
	as demo
	call hello_limited '{}'
	t "hello_limited (1 a minute), first call -> hello" 200 \
	    '(.result.isError | not) and .result.content[0].text == "hello"'
	call hello_limited '{}'
	t "... second call -> rate_limited, retryable, retry_after" 200 \
	    'is("rate_limited"; "rate_limited") and err.retry_after > 0'
	as alice
	call hello_limited '{}'
	t "... another principal is not limited by it" 200 '(.result.isError | not)'
	as demo
}

# --- the responses never leak -----------------------------------------------

# leaks: the tools/call responses of the run carry no SQL, no file names or
# paths, no stack trace.
leaks() {
	_n=$(grep -c . "$RESPONSES")
	_hits=$(grep -nE '\b(SELECT|INSERT|UPDATE|DELETE|WHERE|RETURNING|BEGIN|ROLLBACK)\b' \
	    "$RESPONSES"; grep -niE 'sqlite|\.db\b|/tmp|/work|/var/|/home/|AddressSanitizer|runtime error|backtrace|stack trace|#[0-9]+ 0x|[a-z_]+\.c:[0-9]+' \
	    "$RESPONSES")
	if [ "$_n" -gt 0 ] && [ -z "$_hits" ]; then
		e2e_ok "none of the $_n responses carries SQL, a database file, a path or a stack trace"
	else
		e2e_not_ok "none of the $_n responses carries SQL, a database file, a path or a stack trace"
		e2e_diag "$(printf '%s\n' "$_hits" | head -n 10 | cut -c 1-300)"
	fi
}

# --- run --------------------------------------------------------------------

want() {
	[ -z "${E2E_ONLY:-}" ] && return 0
	case ",$E2E_ONLY," in
	*",$1,"*) return 0 ;;
	esac
	return 1
}

if want lighttpd; then
	L="lighttpd (FastCGI)"
	if make_data lighttpd && e2e_start_lighttpd "$CFG" 2; then
		sessions
		suite_protocol
		suite_schema_core
		suite_schema_full
		suite_checks_core
		suite_checks_full
		suite_transient
		suite_conflict_internal
		suite_rate_limited
		e2e_stop
	fi
	e2e_check_sanitizers "$L"
fi

if want fcgid; then
	L="apache mod_fcgid"
	if make_data fcgid && e2e_start_apache fcgid "$CFG" 2; then
		sessions
		suite_protocol
		suite_schema_core
		suite_checks_core
		suite_transient
		suite_conflict_internal
		e2e_stop
	fi
	e2e_check_sanitizers "$L"
fi

L=all
leaks
e2e_done
