-- 004_streams: one head row per client-visible stream.  Writers advance a
-- head inside their transaction (UPDATE ... RETURNING); the row lock hands
-- positions out in commit order, so a reader that saw head N has every
-- row at or below N.

CREATE TABLE stream_heads (
    stream  text PRIMARY KEY,
    pos     bigint NOT NULL
);

INSERT INTO stream_heads (stream, pos)
    SELECT 'events', coalesce(max(stream_ordering), 0) FROM events;
INSERT INTO stream_heads (stream, pos) VALUES
    ('receipts', 0), ('to_device', 0), ('account_data', 0), ('presence', 0),
    ('device_lists', 0);
