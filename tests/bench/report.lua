-- tests/bench/report.lua -- wrk: the result of one run as one JSON line.
--
-- Loaded (dofile) by post.lua and post_idem.lua.  done() runs once, after
-- the run, and appends to the file named by $BENCH_RESULT:
--   {"requests":N,"duration_us":N,"rps":X,"p50_us":N,"p90_us":N,
--    "p99_us":N,"max_us":N,"mean_us":X,"errors":N,"non2xx":N}
-- "errors" counts connect, read, write and timeout errors; "non2xx" the
-- responses whose status was not 2xx or 3xx.  Latencies are wrk's (a
-- closed loop: each connection waits for its response before it sends the
-- next request), in microseconds.

function done(summary, latency, requests)
	local e = summary.errors
	local line = string.format(
	    '{"requests":%d,"duration_us":%d,"rps":%.1f,' ..
	    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
	    '"mean_us":%.1f,"errors":%d,"non2xx":%d}\n',
	    summary.requests, summary.duration,
	    summary.requests / (summary.duration / 1e6),
	    latency:percentile(50), latency:percentile(90),
	    latency:percentile(99), latency.max, latency.mean,
	    e.connect + e.read + e.write + e.timeout, e.status)
	local path = os.getenv("BENCH_RESULT")
	if path == nil or path == "" then
		io.write(line)
		return
	end
	local f = assert(io.open(path, "a"))
	f:write(line)
	f:close()
end
