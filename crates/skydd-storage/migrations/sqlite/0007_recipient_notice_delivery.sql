-- Notices to recipients (Art. 19) are delivered through the outbox when the register gives the
-- recipient a `notify` address: the notice names its outbox message and follows it from 'queued'
-- to 'sent' (or 'failed' when the outbox gives up). A notice to a recipient without an address is
-- 'manual': it waits for the DPO to send it by hand. Notices written before this migration were
-- never delivered: 'manual'.
CREATE TABLE recipient_notifications_delivered (
    id                TEXT PRIMARY KEY NOT NULL,
    request_id        TEXT NOT NULL REFERENCES requests (id),
    recipient         TEXT NOT NULL,
    action            TEXT NOT NULL,
    categories        TEXT NOT NULL,
    subject_reference TEXT NOT NULL,
    letter_subject    TEXT NOT NULL,
    letter_text       TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('manual', 'queued', 'sent', 'failed')),
    created_at        TEXT NOT NULL,
    outbox_message_id TEXT REFERENCES outbox_messages (id),
    CHECK ((state = 'manual') = (outbox_message_id IS NULL))
) STRICT;

INSERT INTO recipient_notifications_delivered (id, request_id, recipient, action, categories,
    subject_reference, letter_subject, letter_text, state, created_at, outbox_message_id)
SELECT id, request_id, recipient, action, categories, subject_reference, letter_subject,
    letter_text, 'manual', created_at, NULL
FROM recipient_notifications;

DROP TABLE recipient_notifications;

ALTER TABLE recipient_notifications_delivered RENAME TO recipient_notifications;

CREATE INDEX recipient_notifications_by_request ON recipient_notifications (request_id, id);

CREATE INDEX recipient_notifications_by_message ON recipient_notifications (outbox_message_id);
