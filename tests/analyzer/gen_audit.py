#!/usr/bin/env python3
"""gen_audit.py -- a synthetic mcpgate audit database for analyzer tests.

    python3 tests/analyzer/gen_audit.py OUT.db [--rows N] [--seed S]
        [--start ISO] [--step-ms MS] [--key FILE] [--no-chain]
        [--schema sql/010_audit_events.sql]

Rows follow sql/010_audit_events.sql and are chained exactly as
lib/auditchain.c defines (docs/audit.md): SHA-256, or HMAC-SHA256 with
--key, over "mcpgate-audit-chain" NUL, the previous row_hash (32 bytes),
then every column but prev_hash/row_hash as a one-byte name length, the
name, and a typed value (00 NULL; 01 + 8-byte big-endian integer; 02 +
4-byte big-endian length + UTF-8 text).  --no-chain writes dummy hashes
(only for timing the analyzer on millions of rows; verify fails on it).

The mix is deterministic for a seed: a few principals calling read and
write tools, denials (bob has no refunds:write), authentication failures
from one address, idempotent refunds with replays and a conflict, rate
limits, protocol errors, sessions, and a hostile user agent and principal
(control characters, a formula) that the formatters must defuse.
"""
import argparse
import datetime
import hashlib
import hmac
import os
import random
import sqlite3
import struct
import sys

COLS = ["seq", "chain_version", "chain_alg", "seal_key_id", "kind", "ts_us",
        "host_id", "request_id", "trace_id", "span_id", "parent_span_id",
        "session_hash", "protocol_version", "principal", "auth_method",
        "auth_result", "decision", "decision_reason", "key_id", "token_iss",
        "token_sub", "client_addr", "user_agent", "http_method", "http_path",
        "http_status", "rpc_method", "rpc_id", "rpc_error_code", "tool",
        "scope_required", "idem_key_hash", "idem_status", "args_digest",
        "args_redacted", "outcome", "error_category", "error_code",
        "retryable", "retry_after_ms", "latency_us", "bytes_in", "bytes_out",
        "pruned_rows", "first_kept_seq", "cut_hash"]
GENESIS = "0" * 64


def row_hash(key, prev, vals):
    """The chain hash of one row (vals: dict column -> int, str or None)."""
    buf = bytearray(b"mcpgate-audit-chain\0")
    buf += bytes.fromhex(prev)
    for c in COLS:
        buf.append(len(c))
        buf += c.encode()
        v = vals.get(c)
        if v is None:
            buf.append(0)
        elif isinstance(v, int):
            buf.append(1)
            buf += struct.pack(">Q", v & 0xFFFFFFFFFFFFFFFF)
        else:
            b = v.encode()
            buf.append(2)
            buf += struct.pack(">I", len(b)) + b
    if key is None:
        return hashlib.sha256(bytes(buf)).hexdigest()
    return hmac.new(key, bytes(buf), hashlib.sha256).hexdigest()


def key_id(key):
    return hashlib.sha256(b"mcpgate-audit-key-id\0" + key).hexdigest()[:16]


TOOLS = {  # name: (scope, weight, latency median ms, write?)
    "search_orders": ("orders:read", 40, 4, False),
    "get_order": ("orders:read", 30, 2, False),
    "issue_refund": ("refunds:write", 8, 12, True),
    "send_confirmation": ("outbox:write", 6, 7, True),
}
PRINCIPALS = {  # name: (scopes, address, user agent, weight)
    "alice": ({"orders:read", "refunds:write", "outbox:write"},
              "10.0.0.5", "claude-desktop/1.2", 40),
    "bob": ({"orders:read"}, "10.0.0.7", "cursor/0.44", 25),
    "carol": ({"orders:read", "outbox:write"}, "192.0.2.10",
              "mcp-inspector/0.9", 15),
    "=HYPERLINK(\"http://x\")": ({"orders:read"}, "203.0.113.9",
                                 "evil\x1b[31mred\x07", 2),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", default="2025-03-03T08:00:00+00:00")
    ap.add_argument("--step-ms", type=int, default=20000)
    ap.add_argument("--key")
    ap.add_argument("--no-chain", action="store_true")
    ap.add_argument("--schema", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "sql",
        "010_audit_events.sql"))
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    key = open(a.key, "rb").read() if a.key else None
    if os.path.exists(a.out):
        os.unlink(a.out)
    db = sqlite3.connect(a.out)
    db.executescript(open(a.schema).read())
    db.execute("PRAGMA user_version = 10")
    db.execute("PRAGMA journal_mode = WAL")
    t = int(datetime.datetime.fromisoformat(a.start).timestamp() * 1e6)
    prev = GENESIS
    sessions = {}
    idem_keys = {}
    dup_done = False
    placeholders = ",".join("?" * (len(COLS) + 2))
    ins = "INSERT INTO audit_events (%s, prev_hash, row_hash) VALUES (%s)" % (
        ", ".join(COLS), placeholders)
    pnames = list(PRINCIPALS)
    pweights = [PRINCIPALS[p][3] for p in pnames]
    tnames = list(TOOLS)
    tweights = [TOOLS[x][1] for x in tnames]
    batch = []
    for seq in range(1, a.rows + 1):
        t += rnd.randint(a.step_ms // 2, a.step_ms * 3 // 2) * 1000
        v = dict.fromkeys(COLS)
        v.update(seq=seq, chain_version=1, kind="request", ts_us=t,
                 host_id="gen-host",
                 chain_alg="hmac-sha256" if key else "sha256",
                 seal_key_id=key_id(key) if key else None,
                 request_id="%032x" % rnd.getrandbits(128),
                 trace_id="%032x" % rnd.getrandbits(128),
                 span_id="%016x" % rnd.getrandbits(64),
                 http_method="POST", http_path="/mcp",
                 protocol_version="2025-11-25",
                 bytes_in=rnd.randint(80, 400))
        r = rnd.random()
        if r < 0.05:  # authentication failure from a scanner
            v.update(client_addr="198.51.100.66", user_agent="python-requests/2.31",
                     auth_method="apikey",
                     auth_result=rnd.choice(["invalid", "invalid", "missing",
                                             "expired"]),
                     key_id=rnd.choice(["k_admin", "k_root", "k_test"]),
                     decision="deny", decision_reason="unauthenticated",
                     http_status=401, outcome="auth_error",
                     error_category="authentication",
                     error_code="credential_invalid", retryable=0,
                     rpc_method="tools/call", latency_us=rnd.randint(50, 300),
                     bytes_out=120)
        else:
            p = rnd.choices(pnames, pweights)[0]
            scopes, addr, ua, _ = PRINCIPALS[p]
            sid = sessions.setdefault(p, hashlib.sha256(
                ("s-%s-%d" % (p, rnd.getrandbits(16))).encode()).hexdigest())
            if rnd.random() < 0.01:  # a fresh session now and then
                sessions.pop(p)
            v.update(principal=p, auth_method="apikey", auth_result="ok",
                     key_id="k_" + p[:5], client_addr=addr, user_agent=ua,
                     session_hash=sid)
            if r < 0.12:
                v.update(rpc_method=rnd.choice(["initialize", "tools/list",
                                                "ping"]),
                         decision="allow", decision_reason="authenticated",
                         http_status=200, outcome="ok",
                         latency_us=rnd.randint(100, 900), bytes_out=300)
            elif r < 0.13:
                v.update(rpc_method="no/such", decision="allow",
                         decision_reason="authenticated", http_status=200,
                         outcome="protocol_error", rpc_error_code=-32601,
                         error_category="validation",
                         error_code="method_not_found", retryable=0,
                         latency_us=rnd.randint(100, 500), bytes_out=150)
            else:
                tool = rnd.choices(tnames, tweights)[0]
                scope, _, med, write = TOOLS[tool]
                lat = int(rnd.lognormvariate(0, 0.6) * med * 1000)
                args = '{"order_id":%d}' % rnd.randint(1, 40)
                v.update(rpc_method="tools/call", tool=tool,
                         scope_required=scope, rpc_id=str(seq),
                         args_redacted=args,
                         args_digest=hashlib.sha256(args.encode()).hexdigest(),
                         latency_us=lat, bytes_out=rnd.randint(200, 4000))
                if scope not in scopes:
                    v.update(decision="deny", decision_reason="scope_missing",
                             http_status=403, outcome="auth_error",
                             error_category="authorization",
                             error_code="insufficient_scope", retryable=0,
                             latency_us=rnd.randint(100, 400))
                else:
                    v.update(decision="allow", decision_reason="scope_granted",
                             http_status=200, outcome="ok")
                    if write:
                        mine = idem_keys.setdefault((p, tool), [])
                        if mine and seq >= a.rows // 2 and not dup_done:
                            # one write executed twice under one key
                            dup_done = True
                            k, d = mine[0]
                            v.update(idem_key_hash=k, idem_status="new",
                                     args_digest=d)
                        elif mine and rnd.random() < 0.15:
                            k, d = rnd.choice(mine)
                            if rnd.random() < 0.2:
                                v.update(idem_key_hash=k, idem_status="conflict",
                                         outcome="tool_error",
                                         error_category="conflict",
                                         error_code="idempotency_conflict",
                                         retryable=0)
                            else:
                                v.update(idem_key_hash=k, idem_status="replay",
                                         args_digest=d)
                        else:
                            k = hashlib.sha256(b"%d" % rnd.getrandbits(64)
                                               ).hexdigest()
                            mine.append((k, v["args_digest"]))
                            v.update(idem_key_hash=k, idem_status="new")
                    x = rnd.random()
                    if v["outcome"] == "ok" and x < 0.06:
                        v.update(outcome="tool_error",
                                 error_category="not_found",
                                 error_code="order_not_found", retryable=0)
                    elif v["outcome"] == "ok" and x < 0.08:
                        v.update(outcome="tool_error",
                                 error_category="rate_limited",
                                 error_code="rate_limited", retryable=1,
                                 retry_after_ms=2000)
                    elif v["outcome"] == "ok" and x < 0.09:
                        v.update(outcome="tool_error",
                                 error_category="validation",
                                 error_code="invalid_arguments", retryable=0)
        if a.no_chain:
            h = "%064x" % seq
        else:
            h = row_hash(key, prev, v)
        batch.append([v[c] for c in COLS] + [prev, h])
        prev = h
        if len(batch) >= 5000:
            db.executemany(ins, batch)
            batch = []
    db.executemany(ins, batch)
    db.commit()
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
