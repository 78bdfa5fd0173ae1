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
 * (or HTTP method) and status (calls), and for each tools/list answered
 * with JSON how many tools the page held and whether it had a nextCursor.
 */
export function wireRecorder() {
	const pages = [];
	const calls = [];
	const f = async (input, init) => {
		const res = await fetch(input, init);
		let method;
		try {
			method = JSON.parse(init?.body ?? 'null')?.method;
		} catch {
			method = undefined;
		}
		calls.push({ method: method ?? init?.method ?? 'GET', status: res.status,
		    body: method === 'server/discover' ? await res.clone().text() : undefined });
		if (method === 'tools/list' &&
		    (res.headers.get('content-type') ?? '').startsWith('application/json')) {
			try {
				const r = (await res.clone().json()).result;
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
 * the client's listTools() walks all pages itself (v2).
 */
export async function runChecks(client, label, config, wire, aggregate) {
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
	// $defs).  Since 2025-11-25 (SEP-1303) a call whose arguments fail the
	// schema is a tool execution error (result.isError: true) that tells the
	// model what was wrong, not a JSON-RPC error.
	if (tool(config, 'json_schema_2020_12_tool') !== undefined) {
		const call = (a) => client.callTool({ name: 'json_schema_2020_12_tool', arguments: a });
		await check(`${label}: tools/call json_schema_2020_12_tool with valid arguments succeeds`, async () => {
			const r = await call({ name: 'n', address: { street: 's', city: 'c' } });
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
	await check(`${label}: ping answers {}`, async () => {
		const r = await client.ping();
		assert.deepEqual(Object.keys(r ?? {}).filter((k) => k !== '_meta'), []);
	});
}
