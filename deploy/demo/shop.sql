-- The demo shop that `make run` serves: orders, refunds and an outbox.
-- Orders belong to a principal (the caller's identity as mcpgate reports
-- it: an API key's name, or a JWT's issuer#subject); tools only ever reach
-- the caller's own rows because their SQL binds @principal.
PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS orders (
	id		INTEGER PRIMARY KEY,
	owner		TEXT NOT NULL,
	placed_at	TEXT NOT NULL,		-- ISO 8601 date
	status		TEXT NOT NULL CHECK (status IN
			    ('pending', 'paid', 'shipped', 'delivered', 'cancelled')),
	item		TEXT NOT NULL,
	amount_cents	INTEGER NOT NULL CHECK (amount_cents >= 0),
	currency	TEXT NOT NULL DEFAULT 'EUR'
);
CREATE INDEX IF NOT EXISTS orders_owner ON orders(owner, id);

CREATE TABLE IF NOT EXISTS refunds (
	id		INTEGER PRIMARY KEY,
	order_id	INTEGER NOT NULL REFERENCES orders(id),
	amount_cents	INTEGER NOT NULL CHECK (amount_cents > 0),
	reason		TEXT NOT NULL,
	principal	TEXT NOT NULL,
	created_at	INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_order ON refunds(order_id);

CREATE TABLE IF NOT EXISTS outbox (
	id		INTEGER PRIMARY KEY,
	order_id	INTEGER NOT NULL REFERENCES orders(id),
	kind		TEXT NOT NULL,
	principal	TEXT NOT NULL,
	created_at	INTEGER NOT NULL
);

INSERT OR IGNORE INTO orders (id, owner, placed_at, status, item, amount_cents) VALUES
	(1001, 'demo',  '2026-10-02', 'delivered', 'Espresso machine', 24900),
	(1002, 'demo',  '2026-10-15', 'shipped',   'Coffee grinder',    8950),
	(1003, 'demo',  '2026-11-01', 'paid',      'Milk jug',          1990),
	(1004, 'demo',  '2026-11-10', 'pending',   'Descaler (3 pack)', 1450),
	(1005, 'demo',  '2026-11-12', 'cancelled', 'Tamper',            2990),
	(2001, 'alice', '2026-10-20', 'delivered', 'Kettle',            5900),
	(2002, 'alice', '2026-11-05', 'paid',      'Scale',             3490),
	(3001, 'bob',   '2026-11-01', 'delivered', 'Mug',               990);
