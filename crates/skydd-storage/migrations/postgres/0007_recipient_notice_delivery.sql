-- Notices to recipients (Art. 19) are delivered through the outbox when the register gives the
-- recipient a `notify` address: the notice names its outbox message and follows it from 'queued'
-- to 'sent' (or 'failed' when the outbox gives up). A notice to a recipient without an address is
-- 'manual': it waits for the DPO to send it by hand. Notices written before this migration were
-- never delivered: 'manual'.
ALTER TABLE recipient_notifications DROP CONSTRAINT recipient_notifications_state_check;

ALTER TABLE recipient_notifications ADD COLUMN outbox_message_id text REFERENCES outbox_messages (id);

UPDATE recipient_notifications SET state = 'manual';

ALTER TABLE recipient_notifications ADD CONSTRAINT recipient_notifications_state_check
    CHECK (state IN ('manual', 'queued', 'sent', 'failed'));

ALTER TABLE recipient_notifications ADD CONSTRAINT recipient_notifications_delivery_check
    CHECK ((state = 'manual') = (outbox_message_id IS NULL));

CREATE INDEX recipient_notifications_by_message ON recipient_notifications (outbox_message_id);
