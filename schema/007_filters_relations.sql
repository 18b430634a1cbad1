-- 007_filters_relations: stored filters (POST /user/{userId}/filter) and
-- event relations (content."m.relates_to"), the index behind /relations,
-- /threads and bundled aggregations; events by timestamp.

-- Filter IDs count up per user from 0, as in Synapse; the same filter
-- (canonical JSON) posted again gets its old ID back.
CREATE TABLE user_filters (
    user_id      text NOT NULL,
    filter_id    bigint NOT NULL,
    filter_json  text NOT NULL,          -- canonical JSON
    PRIMARY KEY (user_id, filter_id)
);
CREATE INDEX user_filters_json ON user_filters (user_id, md5(filter_json));

-- One row per event that relates to another (the child); written by the
-- persist pipeline in the event's transaction.  The parent may be unknown
-- (yet).  Redacted children drop out of every read by joining events.
CREATE TABLE event_relations (
    event_id         text PRIMARY KEY,    -- the child
    relates_to_id    text NOT NULL,       -- the parent
    rel_type         text NOT NULL,
    room_id          text NOT NULL,
    type             text NOT NULL,       -- the child's type
    sender           text NOT NULL,
    stream_ordering  bigint NOT NULL,
    origin_server_ts bigint NOT NULL,
    aggregation_key  text                 -- m.annotation key
);
CREATE INDEX event_relations_parent ON event_relations (relates_to_id, stream_ordering);
CREATE INDEX event_relations_threads ON event_relations (room_id, stream_ordering)
    WHERE rel_type = 'm.thread';

-- /timestamp_to_event
CREATE INDEX events_room_ts ON events (room_id, origin_server_ts);

-- Relations of events stored before this migration (text jsonb cannot hold is skipped).
INSERT INTO event_relations (event_id, relates_to_id, rel_type, room_id, type, sender,
                             stream_ordering, origin_server_ts, aggregation_key)
SELECT event_id, r ->> 'event_id', r ->> 'rel_type', room_id, type, sender, stream_ordering,
       origin_server_ts, CASE WHEN r ->> 'rel_type' = 'm.annotation' THEN r ->> 'key' END
FROM (SELECT e.*, CASE WHEN position('\u0000' in e.client_json) = 0
                          THEN e.client_json::jsonb -> 'content' -> 'm.relates_to' END AS r
      FROM events e WHERE e.rejected IS NULL AND position('m.relates_to' in e.client_json) > 0) s
WHERE jsonb_typeof(r) = 'object' AND jsonb_typeof(r -> 'event_id') = 'string'
  AND jsonb_typeof(r -> 'rel_type') = 'string';
