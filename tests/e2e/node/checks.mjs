// checks.mjs -- what tests/e2e/30_clients.sh checks with each official client.
//
// client_v1.mjs and client_v2.mjs connect their SDK's Client to the server
// and hand it to runChecks(), which lists the tools page by page, calls some
// of them and prints one TAP line per check ("ok - ..." / "not ok - ...").
// The expectations come from the server's own config file (MCPGATE_TEST_CONFIG):
// the tools in config order, the page size, the static tools' content.
//
// Environment:
//   MCPGATE_TEST_URL     the MCP endpoint, e.g. http://127.0.0.1:8080/mcp (or argv[2])
//   MCPGATE_TEST_CONFIG  the config file the server runs with
//   MCPGATE_TEST_TOKEN   optional: sent as "Authorization: Bearer TOKEN" on every request
//   MCPGATE_TEST_LABEL   optional: the prefix of the check names (default v1 / v2)
//   MCPGATE_EXPECT_UNAUTHORIZED=1  only check that connecting is refused with 401
import assert from 'node:assert/strict';
import fs from 'node:fs';

let failures = 0;

export function ok(cond, name, diag) {
	if (cond) {
		console.log(`ok - ${name}`);
	} else {
		failures++;
		console.log(`not ok - ${name}`);
		if (diag !== undefined)
			for (const l of String(diag).split('\n'))
				console.log(`# ${l}`);
	}
	return cond;
}

// A check whose body throws (assert, or a rejected request) fails.
export async function check(name, fn) {
	try {
		await fn();
		return ok(true, name);
	} catch (e) {
		return ok(false, name, describe(e));
	}
}

export function describe(e) {
	if (e === undefined || e === null)
		return String(e);
	if (e.code === 'ERR_ASSERTION') {
		const first = String(e.message).split('\n')[0];
		return `${first}\nexpected: ${JSON.stringify(e.expected)}\ngot:      ${JSON.stringify(e.actual)}`;
	}
	let s = e.message ?? String(e);
	if (e.code !== undefined)
		s = `code ${e.code}: ${s}`;
	return s.length > 2000 ? s.slice(0, 2000) + '...' : s;
}

// The HTTP status behind a client error: v1's StreamableHTTPError has it as
// code, v2's SdkHttpError in data.status.
export function httpStatus(e) {
	for (const v of [e?.status, e?.data?.status, e?.code, e?.cause?.status])
		if (typeof v === 'number' && v >= 100 && v < 600)
			return v;
	return undefined;
}

export function failed() {
	return failures;
}

export function env() {
	const url = process.argv[2] || process.env.MCPGATE_TEST_URL;
	const cfgPath = process.env.MCPGATE_TEST_CONFIG;
	if (!url || !cfgPath) {
		console.log('not ok - usage: MCPGATE_TEST_CONFIG=... node client_vN.mjs URL');
		process.exit(1);
	}
	const config = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
	const token = process.env.MCPGATE_TEST_TOKEN || '';
	const headers = token ? { Authorization: `Bearer ${token}` } : {};
	return { url: new URL(url), config, token, requestInit: { headers } };
}

/*
 * A fetch for the transport that remembers each request's JSON-RPC method
 * (or HTTP method), its MCP headers and the status (calls), and for each
 * tools/list answered with JSON how many tools the page held and whether it
 * had a nextCursor.  With MCPGATE_CAPTURE set, every JSON response body is
 * also appended to that file as one JSON line {rev, method, status, path,
 * body} for the schema check (tests/e2e/schemacheck.c).
 */
export function wireRecorder() {
	const pages = [];
	const calls = [];
	const capture = process.env.MCPGATE_CAPTURE;
	const f = async (input, init) => {
		const res = await fetch(input, init);
		let method;
		try {
			method = JSON.parse(init?.body ?? 'null')?.method;
		} catch {
			method = undefined;
		}
		const h = new Headers(init?.headers ?? {});
		const ctype = res.headers.get('content-type') ?? '';
		const text = ctype.startsWith('application/json') ? await res.clone().text() : undefined;
		calls.push({ method: method ?? init?.method ?? 'GET', status: res.status,
		    version: h.get('mcp-protocol-version'), mcpMethod: h.get('mcp-method'),
		    mcpName: h.get('mcp-name'),
		    params: Object.fromEntries([...h].filter(([k]) => k.startsWith('mcp-param-'))),
		    body: text });
		if (capture && text !== undefined && text !== '')
			fs.appendFileSync(capture, JSON.stringify({ rev: h.get('mcp-protocol-version') ?? '',
			    method: method ?? '', status: res.status, path: new URL(String(input.url ?? input)).pathname,
			    body: text }) + '\n');
		if (method === 'tools/list' && text !== undefined) {
			try {
				const r = JSON.parse(text).result;
				if (r !== undefined)
					pages.push({ count: r.tools?.length ?? 0, next: r.nextCursor });
			} catch {
				/* not JSON: the checks will say so */
			}
		}
		return res;
	};
	return { fetch: f, pages, calls };
}

// The rejection a request got, or a failure if it succeeded.
async function rejection(p) {
	try {
		const r = await p;
		return { resolved: r };
	} catch (e) {
		return { error: e };
	}
}

function tool(config, name) {
	return config.tools.find((t) => t.name === name);
}

/*
 * client: a connected Client (v1 or v2: the calls used here have the same
 * shape in both).  label: "v1" or "v2", the prefix of every check name.
 * wire: the recorder whose fetch the client's transport uses.  aggregate:
 * the client's listTools() walks all pages itself (v2).  era: 'legacy'
 * (initialize, sessions) or 'modern' (2026-07-28).
 */
export async function runChecks(client, label, config, wire, aggregate, era = 'legacy') {
	const pageSize = config.server?.page_size ?? 50;
	const names = config.tools.map((t) => t.name);

	await check(`${label}: serverInfo.name is the configured name`, async () => {
		assert.equal(client.getServerVersion()?.name, config.server.name);
	});
	await check(`${label}: server declares the tools capability`, async () => {
		assert.ok(client.getServerCapabilities()?.tools, JSON.stringify(client.getServerCapabilities()));
	});

	// tools/list, following nextCursor: v1 walks the pages itself; v2's
	// listTools() without a cursor walks them inside the SDK, so the pages
	// are counted on the wire (wire.pages) instead.
	const pages = [];
	const before = wire.pages.length;
	await check(`${label}: tools/list follows nextCursor to the end`, async () => {
		if (aggregate) {
			const r = await client.listTools();
			assert.equal(r.nextCursor, undefined);
			pages.push(...wire.pages.slice(before));
			pages.all = r.tools;
			return;
		}
		let cursor;
		do {
			const r = await client.listTools(cursor === undefined ? {} : { cursor });
			pages.push({ count: r.tools.length, tools: r.tools, next: r.nextCursor });
			cursor = r.nextCursor;
			assert.ok(pages.length <= names.length + 1, 'more pages than tools: the cursor does not advance');
		} while (cursor !== undefined);
		pages.all = pages.flatMap((p) => p.tools);
	});
	const listed = pages.all ?? [];
	const want = Math.max(1, Math.ceil(names.length / pageSize));
	ok(pages.length === want,
	    `${label}: tools/list has ${want} pages of at most ${pageSize}`,
	    `got ${pages.length} pages of ${pages.map((p) => p.count).join(', ')} tools`);
	ok(pages.length > 0 && pages.every((p) => p.count <= pageSize && p.count > 0),
	    `${label}: every page holds 1 to ${pageSize} tools`,
	    `page sizes: ${pages.map((p) => p.count).join(', ')}`);
	ok(JSON.stringify(listed.map((t) => t.name)) === JSON.stringify(names),
	    `${label}: the pages together list every configured tool once, in config order`,
	    `got ${JSON.stringify(listed.map((t) => t.name))}\nwant ${JSON.stringify(names)}`);
	ok(listed.length > 0 && listed.every((t) => typeof t.description === 'string' && t.inputSchema?.type === 'object'),
	    `${label}: each listed tool has a description and an object inputSchema`);

	const js = listed.find((t) => t.name === 'json_schema_2020_12_tool');
	if (js !== undefined) {
		await check(`${label}: json_schema_2020_12_tool keeps $schema, $defs and additionalProperties`, async () => {
			const want = tool(config, 'json_schema_2020_12_tool').input_schema;
			assert.equal(js.inputSchema.$schema, want.$schema);
			assert.deepEqual(js.inputSchema.$defs, want.$defs);
			assert.deepEqual(js.inputSchema.properties, want.properties);
			assert.equal(js.inputSchema.additionalProperties, false);
		});
	}

	await check(`${label}: tools/list with a made-up cursor is rejected with -32602`, async () => {
		const r = await rejection(client.listTools({ cursor: 'not-a-cursor-this-server-issued' }));
		assert.ok(r.error, `resolved: ${JSON.stringify(r.resolved)}`);
		assert.equal(r.error.code, -32602, describe(r.error));
	});

	// tools/call of the static tools: the result is their configured content.
	for (const name of ['test_simple_text', 'test_multiple_content_types', 'test_image_content']) {
		const t = tool(config, name);
		if (t === undefined)
			continue;
		await check(`${label}: tools/call ${name} returns its content`, async () => {
			const r = await client.callTool({ name, arguments: {} });
			assert.deepEqual(r.content, t.content);
			assert.ok(r.isError === undefined || r.isError === false, `isError: ${r.isError}`);
		});
	}
	const et = tool(config, 'test_error_handling');
	if (et !== undefined) {
		await check(`${label}: tools/call test_error_handling returns isError: true and its text`, async () => {
			const r = await client.callTool({ name: 'test_error_handling', arguments: {} });
			assert.equal(r.isError, true);
			assert.deepEqual(r.content, et.content);
		});
	}
	// Input validation against the tool's inputSchema (2020-12, $ref into
	// $defs; allOf/anyOf and if/then/else ask for an email unless
	// contactMethod is "phone").  Since 2025-11-25 (SEP-1303) a call whose arguments fail the
	// schema is a tool execution error (result.isError: true) that tells the
	// model what was wrong, not a JSON-RPC error.
	if (tool(config, 'json_schema_2020_12_tool') !== undefined) {
		const call = (a) => client.callTool({ name: 'json_schema_2020_12_tool', arguments: a });
		await check(`${label}: tools/call json_schema_2020_12_tool with valid arguments succeeds`, async () => {
			const r = await call({ name: 'n', address: { street: 's', city: 'c' }, email: 'n@example.com' });
			assert.ok(r.isError !== true, JSON.stringify(r));
		});
		await check(`${label}: an argument the schema does not allow (additionalProperties: false) is a result with isError: true`, async () => {
			const r = await rejection(call({ name: 'n', colour: 'red' }));
			assert.ok(r.resolved, `JSON-RPC error instead of a tool execution error: ${describe(r.error)}`);
			assert.equal(r.resolved.isError, true, JSON.stringify(r.resolved));
			assert.ok(r.resolved.content?.[0]?.type === 'text' && r.resolved.content[0].text.length > 0);
		});
		await check(`${label}: a wrong type behind "$ref": "#/$defs/address" is a result with isError: true`, async () => {
			const r = await rejection(call({ address: { street: 42 } }));
			assert.ok(r.resolved, `JSON-RPC error instead of a tool execution error: ${describe(r.error)}`);
			assert.equal(r.resolved.isError, true, JSON.stringify(r.resolved));
		});
	}
	// A tool with an outputSchema: its structuredContent must match it, and an
	// error result must not carry a structuredContent that does not (the v1
	// client validates structuredContent even when isError is true, and
	// would throw instead of showing the model the error).
	const st = tool(config, 'test_structured');
	if (st !== undefined) {
		await check(`${label}: tools/call test_structured returns structuredContent matching its outputSchema`, async () => {
			const r = await client.callTool({ name: 'test_structured', arguments: { count: 1 } });
			assert.deepEqual(r.structuredContent, st.structured);
			assert.deepEqual(r.content, st.content);
		});
		await check(`${label}: bad arguments to a tool with an outputSchema give an isError result the client accepts`, async () => {
			const r = await rejection(client.callTool({ name: 'test_structured', arguments: { count: 'three' } }));
			assert.ok(r.resolved, `the client rejected the result: ${describe(r.error)}`);
			assert.equal(r.resolved.isError, true, JSON.stringify(r.resolved));
		});
	}
	await check(`${label}: tools/call of an unknown tool is a -32602 error`, async () => {
		const r = await rejection(client.callTool({ name: 'no_such_tool_here', arguments: {} }));
		assert.ok(r.error, `resolved: ${JSON.stringify(r.resolved)}`);
		assert.equal(r.error.code, -32602, describe(r.error));
	});
	// A tool whose inputSchema mirrors a parameter into a header
	// (x-mcp-header, 2026-07-28): a modern client sends Mcp-Param-<Name>,
	// Base64-encoded when the value is not plain ASCII, and the server
	// checks it against the arguments.
	const hp = config.tools.find((t) => Object.values(t.input_schema?.properties ?? {})
	    .some((p) => p['x-mcp-header'] !== undefined));
	if (hp !== undefined) {
		const [prop, ps] = Object.entries(hp.input_schema.properties)
		    .find(([, p]) => p['x-mcp-header'] !== undefined);
		const hname = `mcp-param-${ps['x-mcp-header'].toLowerCase()}`;
		for (const value of ['us-west1', 'Hello, \u4e16\u754c']) {
			await check(`${label}: tools/call ${hp.name} with ${prop} ${JSON.stringify(value)} succeeds` +
			    (era === 'modern' ? ` and sent ${hname}` : ''), async () => {
				const n = wire.calls.length;
				const r = await client.callTool({ name: hp.name, arguments: { [prop]: value } });
				assert.deepEqual(r.content, hp.content);
				if (era !== 'modern')
					return;
				const sent = wire.calls.slice(n).find((c) => c.method === 'tools/call');
				const want = /^[\x20-\x7e]*$/.test(value) ? value :
				    `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
				assert.equal(sent?.params?.[hname], want, JSON.stringify(sent?.params));
			});
		}
	}
	if (era === 'modern') {
		// 2026-07-28 removed ping: the client refuses it, or the server
		// answers 404 with -32601.
		await check(`${label}: ping is not part of 2026-07-28 (refused)`, async () => {
			const n = wire.calls.length;
			const r = await rejection(client.ping());
			assert.ok(r.error, `resolved: ${JSON.stringify(r.resolved)}`);
			const sent = wire.calls.slice(n).find((c) => c.method === 'ping');
			if (sent !== undefined)
				assert.ok(sent.status === 404 && JSON.parse(sent.body).error.code === -32601,
				    `HTTP ${sent.status} ${sent.body}`);
		});
		await check(`${label}: every POST carried MCP-Protocol-Version 2026-07-28 and a matching Mcp-Method`, async () => {
			const posts = wire.calls.filter((c) => c.method !== 'GET' && c.method !== 'DELETE');
			assert.ok(posts.length > 0);
			for (const c of posts) {
				assert.equal(c.version, '2026-07-28', JSON.stringify(c));
				assert.equal(c.mcpMethod, c.method, JSON.stringify(c));
			}
		});
		await check(`${label}: every tools/call carried Mcp-Name`, async () => {
			for (const c of wire.calls.filter((x) => x.method === 'tools/call'))
				assert.ok(typeof c.mcpName === 'string' && c.mcpName.length > 0, JSON.stringify(c));
		});
		await check(`${label}: every result carried resultType "complete" and serverInfo in _meta`, async () => {
			const bodies = wire.calls.filter((c) => c.body).map((c) => JSON.parse(c.body))
			    .filter((b) => b.result !== undefined);
			assert.ok(bodies.length > 0);
			for (const b of bodies) {
				assert.equal(b.result.resultType, 'complete', JSON.stringify(b));
				assert.equal(b.result._meta?.['io.modelcontextprotocol/serverInfo']?.name,
				    config.server.name, JSON.stringify(b));
			}
		});
		await check(`${label}: tools/list results carry ttlMs and cacheScope`, async () => {
			const lists = wire.calls.filter((c) => c.method === 'tools/list' && c.body)
			    .map((c) => JSON.parse(c.body).result).filter((r) => r !== undefined);
			assert.ok(lists.length > 0);
			const scope = (config.auth?.mode ?? 'required') === 'none' ? 'public' : 'private';
			for (const r of lists) {
				assert.ok(Number.isInteger(r.ttlMs) && r.ttlMs >= 0, JSON.stringify(r.ttlMs));
				assert.equal(r.cacheScope, scope);
			}
		});
		return;
	}
	await check(`${label}: ping answers {}`, async () => {
		const r = await client.ping();
		assert.deepEqual(Object.keys(r ?? {}).filter((k) => k !== '_meta'), []);
	});
}
