-- An event's prev_events and auth_events are in its PDU (events.pdu_json),
-- and nothing read these copies of them.  Writing them cost every event
-- four more rows and five index entries (about 30% of the statement time
-- of a batch of sends, and full-page images in the WAL: their keys are
-- random).  Graph walks that federation will need read the PDUs, or add
-- the index they need then.  events_room_depth had no reader either.
DROP TABLE event_edges;
DROP TABLE event_auth;
DROP INDEX events_room_depth;
