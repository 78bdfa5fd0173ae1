// conformance-report.mjs -- turns a conformance run into one verdict per scenario.
//
//   node conformance-report.mjs RESULTS_DIR EXPECTED_FAILURES [SCENARIO_LIST] [--markdown]
//
// RESULTS_DIR is the -o directory of `conformance server`: one directory per
// scenario, "server-<scenario>-<ISO timestamp>", each with checks.json.
// EXPECTED_FAILURES has one entry a line, then the reason ("#" starts a
// comment): a scenario name ("caching"), or a scenario and one of its check
// ids ("caching/sep-2549-prompts-list-caching-hints") for a single check
// expected to fail while the rest of the scenario must pass.  SCENARIO_LIST,
// if given, is the output of `conformance list --server`: every scenario
// there must have a result (and every name in EXPECTED_FAILURES must be one
// of them).
//
// A scenario passes when at least one of its checks is SUCCESS and none is
// FAILURE, apart from the checks listed for it; one with neither (only
// INFO/WARNING: the suite found nothing it could test) does not pass.  A
// listed check that does not fail is a problem too.  Prints, per scenario,
// for tests/e2e/40_conformance.sh:
//   ok<TAB>scenario                                   passed, not listed
//   ok<TAB>scenario (expected failure: reason)        did not pass, listed
//   not ok<TAB>scenario: ...                          did not pass, not listed
//   not ok<TAB>scenario passes but is listed ...      passed, listed: keep the list honest
//   not ok<TAB>scenario/check is listed but ...       a listed check did not fail
//   #<TAB>diagnostic
// With --markdown, prints a table (scenario | result | reason | what the suite
// reported) instead.
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const markdown = args.includes('--markdown');
const [resultsDir, xfailPath, listPath] = args.filter((a) => a !== '--markdown');

const out = [];
const emit = (status, text) => out.push(`${status}\t${text}`);
const diag = (text) => {
	for (const l of String(text).split('\n'))
		out.push(`#\t${l}`);
};

// Expected failures: whole scenarios (xfail) and single checks (xcheck:
// scenario -> Map(check id -> reason)).
const xfail = new Map();
const xcheck = new Map();
for (const raw of fs.readFileSync(xfailPath, 'utf8').split('\n')) {
	const line = raw.replace(/#.*/, '').trim();
	if (line === '')
		continue;
	const m = line.match(/^(\S+)\s+(.*)$/);
	const key = m ? m[1] : line;
	const reason = m ? m[2].trim() : '(no reason given)';
	const slash = key.indexOf('/');
	if (slash < 0) {
		xfail.set(key, reason);
		continue;
	}
	const sc = key.slice(0, slash);
	if (!xcheck.has(sc))
		xcheck.set(sc, new Map());
	xcheck.get(sc).set(key.slice(slash + 1), reason);
}

// The scenarios the suite knows (its list) and the ones that left results.
let known;
if (listPath) {
	known = [];
	let inServer = false;
	for (const l of fs.readFileSync(listPath, 'utf8').split('\n')) {
		if (/^Server scenarios/.test(l))
			inServer = true;
		else if (/^\S/.test(l))
			inServer = false;
		else if (inServer) {
			const m = l.match(/^\s+-\s+(\S+)/);
			if (m)
				known.push(m[1]);
		}
	}
}
const results = new Map();
let dirs = [];
try {
	dirs = fs.readdirSync(resultsDir);
} catch {
	/* no results at all: every listed scenario is reported missing */
}
for (const d of dirs.sort()) {
	const m = d.match(/^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/);
	if (!m)
		continue;
	let checks;
	try {
		checks = JSON.parse(fs.readFileSync(path.join(resultsDir, d, 'checks.json'), 'utf8'));
	} catch (e) {
		checks = [{ id: m[1], status: 'FAILURE', errorMessage: `unreadable checks.json: ${e.message}` }];
	}
	results.set(m[1], checks);
}
const order = known ?? [...results.keys()];
for (const name of results.keys())
	if (!order.includes(name))
		order.push(name);

const table = [];
let problems = 0;
for (const name of order) {
	const checks = results.get(name);
	const reason = xfail.get(name);
	if (checks === undefined) {
		problems++;
		emit('not ok', `${name}: the suite left no result for it (did the run crash or time out?)`);
		table.push([name, 'no result', reason ?? '', '']);
		continue;
	}
	const listed = xcheck.get(name) ?? new Map();
	const allFails = checks.filter((c) => c.status === 'FAILURE');
	const fails = allFails.filter((c) => !listed.has(c.id));
	const expected = allFails.filter((c) => listed.has(c.id));
	const stale = [...listed.keys()].filter((id) => !allFails.some((c) => c.id === id));
	const succ = checks.filter((c) => c.status === 'SUCCESS');
	const warns = checks.filter((c) => c.status === 'WARNING');
	const passed = fails.length === 0 && succ.length > 0;
	const why = fails.length > 0 ?
	    fails.map((c) => `${c.id}: ${c.errorMessage ?? c.description}`).join('; ') :
	    succ.length === 0 ?
	    `no check could run (${checks.filter((c) => c.status !== 'INFO' || c.details?.message)
		.map((c) => c.errorMessage ?? c.details?.message ?? c.description).join('; ') || 'only INFO checks'})` : '';
	const xids = [...new Set(expected.map((c) => c.id))];
	const xnote = xids.length === 0 ? '' :
	    `; expected check failure${xids.length === 1 ? '' : 's'}: ${xids.join(', ')}`;
	for (const id of stale) {
		problems++;
		emit('not ok', `${name}/${id} is listed in the expected failures but did not fail: remove it from the list`);
	}
	for (const c of expected)
		diag(`${name}: expected check failure ${c.id}: ${c.errorMessage ?? c.description}`);
	if (passed && reason === undefined) {
		emit('ok', `${name} (${succ.length} check${succ.length === 1 ? '' : 's'} passed` +
		    (xids.length > 0 ? `, ${expected.length} expected check failure${expected.length === 1 ? '' : 's'}` : '') + ')');
		table.push([name, xids.length === 0 ? 'pass' :
		    `pass, but for ${xids.length} listed check${xids.length === 1 ? '' : 's'}`,
		    xids.map((id) => `${id}: ${listed.get(id)}`).join('; '),
		    `${succ.length} check${succ.length === 1 ? '' : 's'} passed` + xnote +
		    (warns.length ? `; warnings: ${warns.map((c) => c.errorMessage ?? c.id).join('; ')}` : '')]);
	} else if (passed) {
		problems++;
		emit('not ok', `${name} passes but is listed in the expected failures: remove it from the list`);
		table.push([name, 'pass (listed as expected failure!)', reason, '']);
	} else if (reason !== undefined) {
		emit('ok', `${name} (expected failure: ${reason})`);
		diag(`${name}: ${why}`);
		table.push([name, 'expected failure', reason, why]);
	} else {
		problems++;
		emit('not ok', `${name}: ${why}`);
		table.push([name, 'FAIL', '', why]);
	}
	for (const w of warns)
		diag(`${name}: warning ${w.id}: ${w.errorMessage ?? w.description}`);
}
if (known !== undefined) {
	for (const name of [...xfail.keys(), ...xcheck.keys()]) {
		if (!known.includes(name)) {
			problems++;
			emit('not ok', `${path.basename(xfailPath)} names ${name}, which the suite does not have`);
		}
	}
}

if (markdown) {
	const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
	console.log('| Scenario | Result | Reason | What the suite reported |');
	console.log('|---|---|---|---|');
	for (const [n, r, reason, said] of table)
		console.log(`| \`${n}\` | ${esc(r)} | ${esc(reason)} | ${esc(said)} |`);
} else {
	console.log(out.join('\n'));
}
process.exit(problems > 0 ? 1 : 0);
