-- Skydd schema 12 (SQLite): the consent ledger's cookie table (issue 18): each choice a browser
-- made in the consent banner, append-only like the other ledgers.
--
-- No personal value is stored in plaintext. The browser's pseudonymous id (made by banner.js,
-- kept in the website's `skydd_consent` cookie) is only a keyed blind index (kind
-- `banner_browser`); the visitor's IP address and user agent are one ciphertext under the
-- banner data key (derived from the master key), bound to the blind index. `given`, `refused`
-- and `services` hold register ids only (JSON arrays, and an object of service id to true or
-- false). The time is the server's clock.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE cookie_choices (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    browser_index      BLOB NOT NULL CHECK (length(browser_index) = 32),
    at                 TEXT NOT NULL,
    method             TEXT NOT NULL CHECK (method = 'banner'),
    action             TEXT NOT NULL
        CHECK (action IN ('accept_all', 'reject_all', 'custom', 'withdraw', 'service')),
    given              TEXT NOT NULL,
    refused            TEXT NOT NULL,
    services           TEXT NOT NULL,
    gpc                INTEGER NOT NULL CHECK (gpc IN (0, 1)),
    dnt                INTEGER NOT NULL CHECK (dnt IN (0, 1)),
    revision           TEXT NOT NULL,
    notice_version     TEXT NOT NULL,
    language           TEXT NOT NULL,
    context_ciphertext BLOB
) STRICT;

CREATE INDEX cookie_choices_by_browser ON cookie_choices (browser_index, seq);
CREATE INDEX cookie_choices_by_time ON cookie_choices (at);

CREATE TRIGGER cookie_choices_append_only BEFORE UPDATE ON cookie_choices
BEGIN
    SELECT RAISE(ABORT, 'cookie_choices is append-only');
END;
