-- tests/bench/post.lua -- wrk: POST one fixed JSON-RPC body to the MCP
-- endpoint, with the headers a Streamable HTTP client sends.
--
-- Environment (set by tests/bench/run.sh):
--   BENCH_LUA_DIR  this directory (for report.lua)
--   BENCH_BODY     the request body
--   BENCH_AUTH     the Authorization value ("Bearer mcpk_..." or a JWT),
--                  or empty for none
--   BENCH_IDEM     an Idempotency-Key sent with every request (the replay
--                  case: the first call ran during setup, so every request
--                  measured here is a replay), or empty for none
--   BENCH_RESULT   where report.lua appends the result line
--
-- The request is the same every time, so wrk formats it once.

dofile((os.getenv("BENCH_LUA_DIR") or "tests/bench") .. "/report.lua")

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or '{"jsonrpc":"2.0","id":1,"method":"ping"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"

local auth = os.getenv("BENCH_AUTH")
if auth ~= nil and auth ~= "" then
	wrk.headers["Authorization"] = auth
end
local idem = os.getenv("BENCH_IDEM")
if idem ~= nil and idem ~= "" then
	wrk.headers["Idempotency-Key"] = idem
end
