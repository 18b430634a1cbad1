-- Unread notification and highlight counts per (user, room), kept as the
-- rows of push_actions after the user's read position come and go: the
-- writer adds what it inserts, a read receipt recounts.  /sync used to
-- count those rows on every request: a member of a busy room who never
-- read it (13,000 rows after a bench) cost 40-190 ms of PostgreSQL per
-- sync, and slowed everyone's deliveries.
CREATE TABLE push_counts (
    user_id    text NOT NULL,
    room_id    text NOT NULL,
    notify     bigint NOT NULL DEFAULT 0,
    highlight  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, room_id)
) WITH (fillfactor = 70);

INSERT INTO push_counts (user_id, room_id, notify, highlight)
SELECT a.user_id, a.room_id, count(*) FILTER (WHERE a.notify), count(*) FILTER (WHERE a.highlight)
FROM push_actions a
LEFT JOIN push_read r ON r.user_id = a.user_id AND r.room_id = a.room_id
WHERE a.stream_ordering > coalesce(r.stream_ordering, 0)
GROUP BY a.user_id, a.room_id;
