-- Forward extremities, one row a room, changed in place.
--
-- They move with every event.  Kept one row an extremity, each event deleted
-- one row and inserted another: under a steady stream of sends the table
-- gathered tens of thousands of dead tuples between autovacuum runs, and
-- the read that starts every write slowed with them (4 ms and growing,
-- against 0.1 ms clean).  One row a room whose indexed column never changes
-- is updated heap-only: no new index entries, and the page prunes its dead
-- versions itself.  The depths are kept beside the IDs so reading needs no
-- join with events.
CREATE TABLE room_extremities (
    room_id   text PRIMARY KEY,
    event_ids text[] NOT NULL,  -- deepest first
    depths    bigint[] NOT NULL -- depths[i] is the depth of event_ids[i]
) WITH (fillfactor = 50);

INSERT INTO room_extremities (room_id, event_ids, depths)
SELECT f.room_id,
       array_agg(f.event_id ORDER BY e.depth DESC, f.event_id),
       array_agg(e.depth ORDER BY e.depth DESC, f.event_id)
FROM forward_extremities f JOIN events e ON e.event_id = f.event_id
GROUP BY f.room_id;

DROP TABLE forward_extremities;
