-- tests/e2e/validation.sql -- the test-only database of tests/e2e/25_validation.sh
-- (tests/e2e/validation.json names it "test").  The shop database next to it
-- is the demo's own, built from deploy/demo/shop.sql.
CREATE TABLE users (
	id		INTEGER PRIMARY KEY,
	email		TEXT NOT NULL UNIQUE,	-- the UNIQUE constraint: conflict
	name		TEXT NOT NULL,
	birthday	TEXT,
	plan		TEXT NOT NULL,
	seats		INTEGER NOT NULL,
	created_by	TEXT NOT NULL
);
INSERT INTO users (email, name, plan, seats, created_by) VALUES
	('taken@example.com', 'Taken', 'free', 1, 'seed');

-- Who may grant credit: the authorization check of grant_credit.
CREATE TABLE members (
	name		TEXT PRIMARY KEY,
	role		TEXT NOT NULL
);
INSERT INTO members (name, role) VALUES ('demo', 'staff'), ('alice', 'admin');

CREATE TABLE credits (
	id		INTEGER PRIMARY KEY,
	member		TEXT NOT NULL,
	cents		INTEGER NOT NULL,
	granted_by	TEXT NOT NULL
);

-- What the interrupted slow write would have filled.
CREATE TABLE counts (
	id		INTEGER PRIMARY KEY,
	n		INTEGER NOT NULL
);
