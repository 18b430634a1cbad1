-- A push action names its event by stream position alone: the event ID
-- was a copy (44 bytes) in every recipient's row, sent once per recipient
-- in each insert; /notifications finds the event by its position (the
-- events primary key).
ALTER TABLE push_actions DROP COLUMN event_id;
