// client_v2.mjs -- the official TypeScript SDK v2 client (@modelcontextprotocol/client)
// against mcpgate over Streamable HTTP, with version negotiation on ('auto': probe
// with server/discover, fall back to the 2025-era initialize handshake).  mcpgate
// serves 2026-07-28, so the client stays modern (MCPGATE_EXPECT_ERA=modern, the
// default); MCPGATE_EXPECT_ERA=legacy checks the fallback against a server that
// answers the probe with a legacy 4xx.  Prints TAP lines; see checks.mjs.
//
//   MCPGATE_TEST_CONFIG=cfg.json [MCPGATE_TEST_TOKEN=...] [MCPGATE_TEST_LABEL=...]
//   [MCPGATE_EXPECT_UNAUTHORIZED=1] [MCPGATE_EXPECT_ERA=modern|legacy]
//   [MCPGATE_CAPTURE=responses.jsonl] node client_v2.mjs http://127.0.0.1:PORT/mcp
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import assert from 'node:assert/strict';
import { check, describe, env, failed, httpStatus, ok, runChecks, wireRecorder } from './checks.mjs';

const { url, config, requestInit } = env();
const L = process.env.MCPGATE_TEST_LABEL || 'v2';
const era = process.env.MCPGATE_EXPECT_ERA || 'modern';
const client = new Client({ name: 'mcpgate-e2e-v2', version: '1.0.0' },
    { capabilities: {}, versionNegotiation: { mode: 'auto' } });
const wire = wireRecorder();
const transport = new StreamableHTTPClientTransport(url, { requestInit, fetch: wire.fetch });

if (process.env.MCPGATE_EXPECT_UNAUTHORIZED === '1') {
	// The server requires credentials and none (or bad ones) are sent.
	const e = await client.connect(transport).then(() => undefined, (err) => err);
	ok(e !== undefined && httpStatus(e) === 401, `${L}: connect is refused with HTTP 401`,
	    e === undefined ? 'connected' : describe(e));
	await client.close().catch(() => {});
	process.exit(failed() > 0 ? 1 : 0);
}

let connected = false;
try {
	await client.connect(transport);
	connected = ok(true, `${L}: connect with version negotiation 'auto' succeeds`);
} catch (e) {
	ok(false, `${L}: connect with version negotiation 'auto' succeeds`, describe(e));
}
if (connected) {
	ok(client.getProtocolEra() === era, `${L}: the negotiated era is ${era}`,
	    `got ${client.getProtocolEra()}`);
	if (era === 'legacy') {
		// What made the client fall back: the server's answer to the probe.
		// A 5xx, 401 or 403 there would have failed the connect instead.
		const probe = wire.calls.find((c) => c.method === 'server/discover');
		ok(probe !== undefined && probe.status >= 400 && probe.status < 500,
		    `${L}: the server/discover probe is answered with an HTTP 4xx (a legacy signal)`,
		    probe === undefined ? 'no probe was sent' : `got HTTP ${probe.status} ${probe.body}`);
		ok(client.getNegotiatedProtocolVersion() === '2025-11-25',
		    `${L}: it fell back to initialize at protocol version 2025-11-25`,
		    `got ${client.getNegotiatedProtocolVersion()}`);
		if (config.server?.sessions !== false)
			ok(typeof transport.sessionId === 'string' && /^[\x21-\x7e]+$/.test(transport.sessionId),
			    `${L}: the server issued an MCP-Session-Id of visible ASCII`, `got ${transport.sessionId}`);
	} else {
		const probe = wire.calls.find((c) => c.method === 'server/discover');
		ok(probe !== undefined && probe.status === 200,
		    `${L}: the server/discover probe is answered 200`,
		    probe === undefined ? 'no probe was sent' : `got HTTP ${probe.status} ${probe.body}`);
		ok(client.getNegotiatedProtocolVersion() === '2026-07-28',
		    `${L}: the negotiated protocol version is 2026-07-28`,
		    `got ${client.getNegotiatedProtocolVersion()}`);
		await check(`${L}: server/discover lists 2026-07-28 and the legacy revisions`, async () => {
			const d = JSON.parse(probe.body).result;
			assert.deepEqual(d.supportedVersions, ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26']);
			assert.equal(d.resultType, 'complete');
			assert.ok(Number.isInteger(d.ttlMs) && d.ttlMs >= 0);
			assert.ok(d.cacheScope === 'public' || d.cacheScope === 'private');
		});
		ok(transport.sessionId === undefined && wire.calls.every((c) => c.method !== 'initialize'),
		    `${L}: no initialize was sent and no MCP-Session-Id issued`, `session ${transport.sessionId}`);
	}
	await runChecks(client, L, config, wire, true, era);
	if (era === 'legacy')
		await check(`${L}: DELETE ends the session (terminateSession)`, async () => {
			await transport.terminateSession();
		});
}
await client.close().catch(() => {});
process.exit(failed() > 0 ? 1 : 0);
