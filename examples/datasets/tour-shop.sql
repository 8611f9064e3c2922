-- The web shop's own database in the README tour (examples/datasets/tour-shop.yaml describes it):
-- two customers, Bo and Cia, with their orders, logins and support tickets. The logins and the
-- ticket from 2024 are past their retention; the others are dated from today, so they never are.
--   sqlite3 shop.db < examples/datasets/tour-shop.sql
CREATE TABLE customer (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    phone TEXT,
    name TEXT NOT NULL,
    address TEXT
);
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer (id),
    total TEXT NOT NULL,
    paid_at TEXT
);
CREATE TABLE login (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customer (id),
    at TEXT NOT NULL,
    ip TEXT
);
CREATE TABLE ticket (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customer (id),
    subject TEXT,
    last_contact TEXT
);
-- Identity and reference columns are indexed (`skydd dataset check --connect` warns otherwise),
-- and so are the retention anchors, which sweeps select by.
CREATE INDEX customer_email ON customer (email);
CREATE INDEX customer_phone ON customer (phone);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX login_customer ON login (customer_id);
CREATE INDEX login_at ON login (at);
CREATE INDEX ticket_customer ON ticket (customer_id);
CREATE INDEX ticket_last_contact ON ticket (last_contact);

INSERT INTO customer VALUES
    (1, 'bo@example.se', '+46701112233', 'Bo Berg', 'Storgatan 1, 753 20 Uppsala'),
    (2, 'cia@example.se', '+46702223344', 'Cia Carlsson', 'Lilla vägen 2, 222 21 Lund');
INSERT INTO orders VALUES
    ('2024-0017', 1, '499.00', '2024-03-02'),
    ('2024-0018', 2, '129.00', '2024-03-05');
INSERT INTO login VALUES
    (1, 1, '2024-03-01 09:12:00', '192.0.2.10'),
    (2, 1, datetime('now', '-6 days'), '192.0.2.11'),
    (3, 2, datetime('now', '-1 day'), '198.51.100.7');
INSERT INTO ticket VALUES
    (1, 1, 'Invoice sent to the wrong address', '2024-03-04'),
    (2, 2, 'Password reset', date('now', '-2 months'));
