// tests/bench/ts_sdk_v2_server.mjs -- the second comparison point of issue
// 9: the official TypeScript SDK v2 (@modelcontextprotocol/server 2.4.0 with
// its Node.js adapter @modelcontextprotocol/node 2.1.2, installed by
// tests/e2e/node-setup.sh into build/node/clients) serving the same tool as
// tests/bench/ts_sdk_server.mjs (v1), statelessly, over Streamable HTTP with
// JSON responses.  tests/bench/run.sh drives it with the same wrk request as
// mcpgate's "read tool call with an API key" (a 2025-11-25 tools/call with
// no initialize).
//
// It does what @modelcontextprotocol/node's README shows for a stateless
// server on plain node:http (a new McpServer and
// NodeStreamableHTTPServerTransport per request, sessionIdGenerator
// undefined, behind the localhostHostValidation and
// localhostOriginValidation guards), with the transport's enableJsonResponse
// option (kept from v1, per the v2 upgrade guide) for JSON responses.  The
// API key is checked in front of the transport and handed over as req.auth,
// which the SDK passes through to the tool as ctx.http.authInfo (the v2
// "Pass authentication through" pattern).
//
// Not createMcpHandler, the v2 docs' entry for new servers: the request is
// 2025-era, which createMcpHandler serves through its stateless legacy
// fallback -- the same per-request WebStandardStreamableHTTPServerTransport
// this wiring wraps, after an extra classification of the request -- and
// that fallback ignores responseMode and always answers with an SSE stream.
//
// Otherwise as ts_sdk_server.mjs:
//   - the API key is checked against mcpgate's own state database (the
//     api_keys row by id, SHA-256 compared in constant time, the scope
//     orders:read required), so both servers do one SQLite look-up;
//   - the arguments are validated by the SDK (zod 4 through Standard
//     Schema: an integer >= 1);
//   - the same SELECT runs on the same shop database, read-only, bound to
//     the key's name as the principal.
// It does less than mcpgate: no rate limits, no last_used update, no
// request id, no body limit beyond the SDK's 4 MiB.  Unlike the v1 server
// it checks Host and Origin (the documented guards), as mcpgate does.
//
// usage: node ts_sdk_v2_server.mjs SDK_DIR PORT STATE_DB SHOP_DB
// (node 22: node:sqlite; run with --no-warnings to silence its notice)

import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';

const [, , sdkDir, portArg, stateDb, shopDb] = process.argv;
if (!sdkDir || !portArg || !stateDb || !shopDb) {
	console.error('usage: node ts_sdk_v2_server.mjs SDK_DIR PORT STATE_DB SHOP_DB');
	process.exit(2);
}
const nm = path.join(sdkDir, 'node_modules');
const load = (p) => import(pathToFileURL(path.join(nm, p)).href);
const { McpServer } = await load('@modelcontextprotocol/server/dist/index.mjs');
const { NodeStreamableHTTPServerTransport, localhostHostValidation,
    localhostOriginValidation } =
    await load('@modelcontextprotocol/node/dist/index.mjs');
const z = await load('zod/v4/index.js');

const state = new DatabaseSync(stateDb, { readOnly: true });
state.exec('PRAGMA busy_timeout = 5000');
const keyStmt = state.prepare('SELECT key_hash, name, scopes, expires_at, ' +
    'revoked_at FROM api_keys WHERE id = ?');
const shop = new DatabaseSync(shopDb, { readOnly: true });
shop.exec('PRAGMA busy_timeout = 5000');
const orderStmt = shop.prepare('SELECT o.id, o.placed_at, o.status, o.item, ' +
    'o.amount_cents, o.currency, o.amount_cents - coalesce((SELECT ' +
    'sum(r.amount_cents) FROM refunds r WHERE r.order_id = o.id), 0) AS ' +
    'refundable_cents FROM orders o WHERE o.id = ? AND o.owner = ?');

// The SDK's AuthInfo for the key (clientId: the key's name), or null.
function authenticate(req) {
	const m = /^Bearer +(mcpk_([0-9A-Za-z]{12})_[0-9A-Za-z]{38})$/.exec(
	    req.headers.authorization || '');
	if (!m)
		return null;
	const row = keyStmt.get(m[2]);
	if (!row || row.revoked_at || (row.expires_at &&
	    row.expires_at <= Date.now() / 1000))
		return null;
	const want = Buffer.from(row.key_hash);
	const got = crypto.createHash('sha256').update(m[1]).digest();
	if (want.length !== got.length || !crypto.timingSafeEqual(want, got))
		return null;
	const scopes = (row.scopes || '').split(' ');
	if (!scopes.includes('orders:read'))
		return null;
	return { token: m[1], clientId: row.name, scopes,
	    ...(row.expires_at && { expiresAt: row.expires_at }) };
}

function newServer() {
	const server = new McpServer({ name: 'ts-sdk-v2-bench', version: '1.0.0' });
	server.registerTool('get_order', {
		title: 'Get an order',
		description: "One of the caller's orders by id, with the amount still refundable.",
		inputSchema: z.object({ order_id: z.number().int().min(1) }),
		annotations: { readOnlyHint: true, openWorldHint: false },
	}, async ({ order_id }, ctx) => {
		const row = orderStmt.get(order_id, ctx.http.authInfo.clientId);
		if (!row)
			return { isError: true, content: [{ type: 'text',
			    text: 'No order with that id was found for you.' }] };
		const o = { ...row };
		return { content: [{ type: 'text', text: JSON.stringify(o) }],
		    structuredContent: o };
	});
	return server;
}

function reply(res, status, msg) {
	res.writeHead(status, { 'Content-Type': 'application/json' });
	res.end(JSON.stringify({ jsonrpc: '2.0', id: null,
	    error: { code: -32600, message: msg } }));
}

const validateHost = localhostHostValidation();
const validateOrigin = localhostOriginValidation();

const httpServer = http.createServer((req, res) => {
	if (!validateHost(req, res) || !validateOrigin(req, res))
		return;
	if (req.method !== 'POST' || req.url !== '/mcp')
		return reply(res, 405, 'Method Not Allowed');
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', async () => {
		let body;
		try {
			body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
		} catch {
			return reply(res, 400, 'Parse error');
		}
		const auth = authenticate(req);
		if (auth === null)
			return reply(res, 401, 'Unauthorized');
		req.auth = auth;
		const server = newServer();
		const transport = new NodeStreamableHTTPServerTransport({
			sessionIdGenerator: undefined, enableJsonResponse: true });
		res.on('close', () => {
			transport.close();
			server.close();
		});
		try {
			await server.connect(transport);
			await transport.handleRequest(req, res, body);
		} catch (e) {
			if (!res.headersSent)
				reply(res, 500, 'Internal error');
		}
	});
});
httpServer.keepAliveTimeout = 65000;
httpServer.listen(Number(portArg), '127.0.0.1', () => {
	console.log(`ts-sdk-v2-bench listening on 127.0.0.1:${portArg}`);
});
