-- Issue 17: tokens carry scopes, an expiry and a last-used time; requests an assignee.
--
-- A token's role becomes the same-named scope: `admin` (every permission, so existing tokens
-- keep working as before), `auditor` (now the least-privilege auditor) and `metrics`. The
-- column holds the token's scopes as words separated by single spaces.
ALTER TABLE api_tokens RENAME COLUMN role TO scopes;
-- When the token stops being accepted; NULL for a token that never expires.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
-- When the token was last accepted, written at most once a minute per token.
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;

-- Who works the request: a staff account id or a token id; NULL while nobody is assigned.
-- A support member reads a request's personal data only when it is assigned to them.
ALTER TABLE requests ADD COLUMN assignee TEXT;
CREATE INDEX requests_by_assignee ON requests (assignee, due_at);
