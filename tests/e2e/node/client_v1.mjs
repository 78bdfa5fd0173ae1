// client_v1.mjs -- the official TypeScript SDK v1 client (@modelcontextprotocol/sdk)
// against mcpgate over Streamable HTTP.  Prints TAP lines; see checks.mjs.
//
//   MCPGATE_TEST_CONFIG=cfg.json [MCPGATE_TEST_TOKEN=...] [MCPGATE_TEST_LABEL=...]
//   [MCPGATE_EXPECT_UNAUTHORIZED=1] node client_v1.mjs http://127.0.0.1:PORT/mcp
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { check, describe, env, failed, httpStatus, ok, runChecks, wireRecorder } from './checks.mjs';

const { url, config, requestInit } = env();
const L = process.env.MCPGATE_TEST_LABEL || 'v1';
const client = new Client({ name: 'mcpgate-e2e-v1', version: '1.0.0' }, { capabilities: {} });
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
	connected = ok(true, `${L}: initialize and notifications/initialized succeed`);
} catch (e) {
	ok(false, `${L}: initialize and notifications/initialized succeed`, describe(e));
}
if (connected) {
	ok(transport.protocolVersion === '2025-11-25', `${L}: negotiated protocol version is 2025-11-25`,
	    `got ${transport.protocolVersion}`);
	if (config.server?.sessions !== false)
		ok(typeof transport.sessionId === 'string' && /^[\x21-\x7e]+$/.test(transport.sessionId),
		    `${L}: the server issued an MCP-Session-Id of visible ASCII`, `got ${transport.sessionId}`);
	await runChecks(client, L, config, wire, false);
	await check(`${L}: DELETE ends the session (terminateSession)`, async () => {
		await transport.terminateSession();
	});
}
await client.close().catch(() => {});
process.exit(failed() > 0 ? 1 : 0);
