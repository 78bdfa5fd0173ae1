// auth_client.mjs -- the official TypeScript SDK (@modelcontextprotocol/sdk v1)
// against mcpgate with authentication required (tests/e2e/20_auth.sh runs it).
// Prints one TAP line per check ("ok - ..." / "not ok - ...", see checks.mjs).
//
//   MCPGATE_TEST_CONFIG=cfg.json MCPGATE_TEST_TOKEN=<credential> \
//       node auth_client.mjs http://127.0.0.1:PORT/mcp [LABEL]
//
// The credential must grant the first scope the config's tools use and not
// the second (20_auth.sh passes an API key with things:read only).  Checked:
//   1. a Client whose transport sends "Authorization: Bearer" (requestInit)
//      initializes, lists the tools its scope allows, calls one, and gets
//      the 403 for the other;
//   2. the same through the SDK's own bearer path (an OAuthClientProvider
//      whose tokens() holds the credential), where the 403
//      insufficient_scope makes the SDK start a step-up authorization for
//      the scope named in mcpgate's challenge;
//   3. the SDK's auth helpers on mcpgate's 401: extractWWWAuthenticateParams
//      (and the older extractResourceMetadataUrl) find the metadata URL, and
//      discoverOAuthProtectedResourceMetadata reads resource and
//      scopes_supported from it (via the challenge and by probing the
//      well-known URLs itself);
//   4. connecting without a token with an OAuthClientProvider: the SDK
//      fetches mcpgate's metadata URL from the 401 challenge and asks the
//      authorization server for mcpgate's resource and scopes.
// The authorization server is never contacted: a fetch wrapper answers its
// metadata URL in-process, and redirectToAuthorization only records the URL.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
	UnauthorizedError,
	discoverOAuthProtectedResourceMetadata,
	extractResourceMetadataUrl,
	extractWWWAuthenticateParams
} from '@modelcontextprotocol/sdk/client/auth.js';
import { check, describe, failed, ok } from './checks.mjs';

const url = new URL(process.argv[2] || process.env.MCPGATE_TEST_URL || '');
const L = process.argv[3] || 'sdk';
const config = JSON.parse(fs.readFileSync(process.env.MCPGATE_TEST_CONFIG, 'utf8'));
const token = process.env.MCPGATE_TEST_TOKEN || '';

// What mcpgate's metadata must say, from its config.
const scopes = [...new Set(config.tools.map((t) => t.scope).filter((s) => s))];
const [granted, missing] = scopes;
const authServers = config.auth?.authorization_servers ?? [];
const prmUrl = `${url.origin}/.well-known/oauth-protected-resource${url.pathname}`;
const resource = config.server?.resource_url ?? url.href;
const toolsFor = (s) => config.tools.filter((t) => !t.scope || t.scope === s).map((t) => t.name);
const openTool = config.tools.find((t) => t.scope === granted);
const closedTool = config.tools.find((t) => t.scope === missing);

/*
 * A fetch that records every request (method, URL, status) and answers the
 * authorization server's metadata URLs itself, so the SDK's OAuth flow can
 * run to the point of redirecting without any real authorization server.
 */
function recorder() {
	const log = [];
	const asOrigin = authServers.length ? new URL(authServers[0]).origin : null;
	const f = async (input, init) => {
		const u = new URL(input instanceof Request ? input.url : String(input));
		const method = init?.method ?? 'GET';
		if (asOrigin !== null && u.origin === asOrigin) {
			log.push({ method, url: u.href, status: 200, fake: true });
			return new Response(JSON.stringify({
				issuer: authServers[0],
				authorization_endpoint: `${asOrigin}/authorize`,
				token_endpoint: `${asOrigin}/token`,
				response_types_supported: ['code'],
				code_challenge_methods_supported: ['S256']
			}), { status: 200, headers: { 'content-type': 'application/json' } });
		}
		const res = await fetch(input, init);
		log.push({ method, url: u.href, status: res.status });
		return res;
	};
	return { fetch: f, log };
}

// An OAuthClientProvider that holds tokens (or none) and records redirects.
function provider(tokens) {
	const p = {
		redirected: [],
		discovery: undefined,
		get redirectUrl() { return 'http://127.0.0.1:9/callback'; },
		get clientMetadata() {
			return { client_name: 'mcpgate-e2e', redirect_uris: ['http://127.0.0.1:9/callback'] };
		},
		clientInformation() { return { client_id: 'mcpgate-e2e' }; },
		saveClientInformation() {},
		tokens() { return tokens; },
		saveTokens() {},
		redirectToAuthorization(u) { p.redirected.push(new URL(u)); },
		saveCodeVerifier() {},
		codeVerifier() { return 'v'.repeat(43); },
		saveDiscoveryState(s) { p.discovery = s; },
		discoveryState() { return undefined; }
	};
	return p;
}

async function rejection(promise) {
	try {
		return { resolved: await promise };
	} catch (e) {
		return { error: e };
	}
}

// 1. Bearer through requestInit.
{
	const client = new Client({ name: 'mcpgate-e2e-auth', version: '1.0.0' }, { capabilities: {} });
	const transport = new StreamableHTTPClientTransport(url, {
		requestInit: { headers: { Authorization: `Bearer ${token}` } }
	});
	const up = await check(`${L}: SDK client with Authorization: Bearer initializes`, async () => {
		await client.connect(transport);
	});
	if (up) {
		await check(`${L}: tools/list shows the tools scope ${granted} allows (${toolsFor(granted).join(', ')})`, async () => {
			const r = await client.listTools();
			assert.deepEqual(r.tools.map((t) => t.name), toolsFor(granted));
		});
		await check(`${L}: tools/call ${openTool.name} returns its content`, async () => {
			const r = await client.callTool({ name: openTool.name, arguments: {} });
			assert.deepEqual(r.content, openTool.content);
		});
		await check(`${L}: tools/call ${closedTool.name} without ${missing} is refused with HTTP 403`, async () => {
			const r = await rejection(client.callTool({ name: closedTool.name, arguments: {} }));
			assert.ok(r.error, `resolved: ${JSON.stringify(r.resolved)}`);
			assert.equal(r.error.code, 403, describe(r.error));
		});
	}
	await client.close().catch(() => {});
}

// 2. The SDK's own bearer path, and its step-up on mcpgate's 403.
{
	const rec = recorder();
	const prov = provider({ access_token: token, token_type: 'Bearer' });
	const client = new Client({ name: 'mcpgate-e2e-auth', version: '1.0.0' }, { capabilities: {} });
	const transport = new StreamableHTTPClientTransport(url, { authProvider: prov, fetch: rec.fetch });
	const up = await check(`${L}: SDK client with an OAuthClientProvider holding the token initializes`, async () => {
		await client.connect(transport);
	});
	if (up) {
		await check(`${L}: ... and calls ${openTool.name}`, async () => {
			const r = await client.callTool({ name: openTool.name, arguments: {} });
			assert.deepEqual(r.content, openTool.content);
		});
		await check(`${L}: ... 403 insufficient_scope makes the SDK ask the authorization server for scope ${missing} and resource ${resource}`, async () => {
			const r = await rejection(client.callTool({ name: closedTool.name, arguments: {} }));
			assert.ok(r.error instanceof UnauthorizedError, `got ${describe(r.error ?? r.resolved)}`);
			assert.equal(prov.redirected.length, 1, 'one redirect to the authorization server');
			const a = prov.redirected[0];
			assert.equal(a.origin + a.pathname, `${new URL(authServers[0]).origin}/authorize`);
			assert.equal(a.searchParams.get('scope'), missing);
			assert.equal(a.searchParams.get('resource'), resource);
			assert.ok(rec.log.some((x) => x.url === prmUrl && x.status === 200),
			    `fetched: ${rec.log.map((x) => `${x.method} ${x.url} ${x.status}`).join('; ')}`);
		});
	}
	await client.close().catch(() => {});
}

// 3. The auth helpers on a 401 from mcpgate.
{
	let res;
	await check(`${L}: POST without a credential -> 401 with a Bearer challenge`, async () => {
		res = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
			body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })
		});
		assert.equal(res.status, 401);
		assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
	});
	let md;
	if (res !== undefined) {
		await check(`${L}: extractWWWAuthenticateParams finds resource_metadata ${prmUrl} and no error`, async () => {
			const p = extractWWWAuthenticateParams(res);
			assert.equal(p.resourceMetadataUrl?.href, prmUrl);
			assert.equal(p.error, undefined);
			md = p.resourceMetadataUrl;
		});
		await check(`${L}: extractResourceMetadataUrl agrees`, async () => {
			assert.equal(extractResourceMetadataUrl(res)?.href, prmUrl);
		});
	}
	const want = (m) => {
		assert.equal(m.resource, resource);
		assert.deepEqual(m.scopes_supported, scopes);
		assert.deepEqual(m.authorization_servers, authServers);
		assert.deepEqual(m.bearer_methods_supported, ['header']);
	};
	if (md !== undefined) {
		await check(`${L}: discoverOAuthProtectedResourceMetadata(resource_metadata from the 401): resource, scopes_supported [${scopes.join(', ')}], authorization_servers`, async () => {
			want(await discoverOAuthProtectedResourceMetadata(url, { resourceMetadataUrl: md }));
		});
	}
	await check(`${L}: discoverOAuthProtectedResourceMetadata(server URL) finds the same document at the well-known URL`, async () => {
		want(await discoverOAuthProtectedResourceMetadata(url));
	});
}

// 4. No token: the SDK discovers mcpgate's metadata from the challenge.
{
	const rec = recorder();
	const prov = provider(undefined);
	const client = new Client({ name: 'mcpgate-e2e-auth', version: '1.0.0' }, { capabilities: {} });
	const transport = new StreamableHTTPClientTransport(url, { authProvider: prov, fetch: rec.fetch });
	await check(`${L}: connect without a token: 401, the SDK fetches ${prmUrl} and redirects for resource and scopes_supported`, async () => {
		const r = await rejection(client.connect(transport));
		assert.ok(r.error instanceof UnauthorizedError, `got ${describe(r.error ?? 'success')}`);
		const seen = rec.log.map((x) => `${x.method} ${x.url} ${x.status}`);
		assert.ok(rec.log.some((x) => x.method === 'POST' && x.url === url.href && x.status === 401), seen.join('; '));
		assert.ok(rec.log.some((x) => x.method === 'GET' && x.url === prmUrl && x.status === 200), seen.join('; '));
		assert.equal(prov.discovery?.resourceMetadataUrl, prmUrl);
		assert.equal(prov.discovery?.resourceMetadata?.resource, resource);
		assert.deepEqual(prov.discovery?.resourceMetadata?.scopes_supported, scopes);
		assert.equal(prov.discovery?.authorizationServerUrl, authServers[0]);
		assert.equal(prov.redirected.length, 1, 'one redirect to the authorization server');
		const a = prov.redirected[0];
		assert.equal(a.searchParams.get('resource'), resource);
		assert.equal(a.searchParams.get('scope'), scopes.join(' '));
		assert.equal(a.searchParams.get('code_challenge_method'), 'S256');
	});
	await client.close().catch(() => {});
}

process.exit(failed() > 0 ? 1 : 0);
