-- tests/bench/post_idem.lua -- wrk: a new write on every request.  Each
-- request is a tools/call of the demo's issue_refund (1 cent, on one of
-- the benchmark's orders, picked at random so that the per-order refund
-- sums stay short) with an Idempotency-Key never used before, so every
-- request runs the whole write path: the checks, the INSERT and the
-- idempotency record, committed together.
--
-- Environment (set by tests/bench/run.sh):
--   BENCH_LUA_DIR   this directory (for report.lua)
--   BENCH_AUTH      the Authorization value
--   BENCH_NONCE     unique to this wrk run (keys never repeat across runs)
--   BENCH_ORDER_LO, BENCH_ORDER_HI   the range of order ids to refund on
--   BENCH_TOOL      the tool (default issue_refund)
--   BENCH_RESULT    where report.lua appends the result line

dofile((os.getenv("BENCH_LUA_DIR") or "tests/bench") .. "/report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
local auth = os.getenv("BENCH_AUTH")
if auth ~= nil and auth ~= "" then
	wrk.headers["Authorization"] = auth
end

local nonce = os.getenv("BENCH_NONCE") or tostring(os.time())
local lo = tonumber(os.getenv("BENCH_ORDER_LO") or "1001")
local hi = tonumber(os.getenv("BENCH_ORDER_HI") or lo)
local tool = os.getenv("BENCH_TOOL") or "issue_refund"
local threads = 0
local n = 0
-- tid is a global: setup() sets it in each thread's Lua state.
tid = 0

-- Runs in the main Lua state, once per thread, before the run.
function setup(thread)
	threads = threads + 1
	thread:set("tid", threads)
end

function init(args)
	math.randomseed(tonumber(nonce:match("%d+") or "1") * 131 + tid)
end

function request()
	n = n + 1
	local order = math.random(lo, hi)
	wrk.headers["Idempotency-Key"] = string.format("bench-%s-%d-%d",
	    nonce, tid, n)
	local body = string.format('{"jsonrpc":"2.0","id":%d,' ..
	    '"method":"tools/call","params":{"name":"%s","arguments":' ..
	    '{"order_id":%d,"amount_cents":1,"reason":"benchmark refund"}}}',
	    n, tool, order)
	return wrk.format(nil, nil, nil, body)
end
