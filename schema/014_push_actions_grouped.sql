-- Push outcomes, one row per event and outcome, with the users it went to.
-- A message in a room of 64 gave the same outcome (["notify"]) to its 63
-- other members: 63 rows and 63 primary-key entries, about 0.5 ms of
-- PostgreSQL per event and most of a shared-room send's cost.  Now it is
-- one row; an event whose recipients got different actions (a mention
-- highlights one of them) has a row per distinct outcome, numbered by grp.
-- Readers find a user's rows by room (the user's push_counts rows name
-- every room they were ever notified in) and user_ids.
ALTER TABLE push_actions RENAME TO push_actions_per_user;
ALTER TABLE push_actions_per_user RENAME CONSTRAINT push_actions_pkey TO push_actions_per_user_pkey;

CREATE TABLE push_actions (
    room_id          text NOT NULL,
    stream_ordering  bigint NOT NULL,
    grp              integer NOT NULL,  -- 0, 1, ...: the event's distinct outcomes
    actions          text NOT NULL,     -- JSON array of the matching rule
    notify           boolean NOT NULL,
    highlight        boolean NOT NULL,
    ts               bigint NOT NULL,
    user_ids         text[] NOT NULL,
    PRIMARY KEY (room_id, stream_ordering, grp)
);

INSERT INTO push_actions (room_id, stream_ordering, grp, actions, notify, highlight, ts, user_ids)
SELECT room_id, stream_ordering,
       (row_number() OVER (PARTITION BY room_id, stream_ordering
                           ORDER BY actions, notify, highlight) - 1)::integer,
       actions, notify, highlight, min(ts), array_agg(user_id ORDER BY user_id)
FROM push_actions_per_user
GROUP BY room_id, stream_ordering, actions, notify, highlight;

DROP TABLE push_actions_per_user;
