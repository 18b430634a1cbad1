-- 003_rooms: rooms, the event graph, delta-encoded state, current state,
-- transaction ids, aliases, the public room directory, reports, search.

CREATE TABLE rooms (
    room_id              text PRIMARY KEY,
    room_version         text NOT NULL,
    creator              text NOT NULL,
    created_ts           bigint NOT NULL,
    current_state_group  bigint,          -- state after the forward extremities
    is_public            boolean NOT NULL DEFAULT false  -- listed in the room directory
);

CREATE TABLE events (
    stream_ordering  bigint PRIMARY KEY,  -- position in the events stream (004_streams.sql)
    event_id         text NOT NULL UNIQUE,
    room_id          text NOT NULL REFERENCES rooms (room_id),
    type             text NOT NULL,
    state_key        text,                -- NULL: not a state event
    sender           text NOT NULL,
    membership       text,                -- content.membership of m.room.member events
    depth            bigint NOT NULL,
    origin_server_ts bigint NOT NULL,
    pdu_json         text NOT NULL,       -- canonical JSON as signed
    client_json      text NOT NULL,       -- client event format, no "unsigned"; redacted when redacted
    redacts          text,                -- for m.room.redaction
    redacted_by      text,                -- the redaction that applies to this event
    state_before     bigint,              -- state group before the event
    state_after      bigint,              -- state group after it (= before for non-state)
    rejected         text,                -- reason, or NULL when accepted
    txn_user         text,                -- the local sender's transaction id, for echoing
    txn_device       text,
    txn_kind         text,                -- the endpoint the transaction id belongs to
    txn_id           text,
    search_vector    tsvector
);
CREATE INDEX events_room_stream ON events (room_id, stream_ordering);
CREATE INDEX events_room_depth ON events (room_id, depth);
CREATE INDEX events_members ON events (room_id, state_key, stream_ordering)
    WHERE type = 'm.room.member';
CREATE INDEX events_redacts ON events (redacts) WHERE redacts IS NOT NULL;
CREATE INDEX events_search ON events USING gin (search_vector) WHERE search_vector IS NOT NULL;
-- A transaction ID is scoped to one device, one room and one endpoint.
CREATE UNIQUE INDEX events_txn ON events (txn_user, txn_device, room_id, txn_kind, txn_id)
    WHERE txn_id IS NOT NULL;

CREATE TABLE event_edges (
    event_id       text NOT NULL,
    prev_event_id  text NOT NULL,
    PRIMARY KEY (event_id, prev_event_id)
);
CREATE INDEX event_edges_prev ON event_edges (prev_event_id);

CREATE TABLE event_auth (
    event_id       text NOT NULL,
    auth_event_id  text NOT NULL,
    PRIMARY KEY (event_id, auth_event_id)
);

CREATE TABLE forward_extremities (
    room_id   text NOT NULL,
    event_id  text NOT NULL,
    PRIMARY KEY (room_id, event_id)
);

-- Historical state, delta-encoded: a group with a prev_group holds only
-- the entries that changed since it; every SY_STATE_MAX_CHAIN deltas a
-- full snapshot (prev_group NULL) bounds the walk.
CREATE TABLE state_groups (
    id          bigserial PRIMARY KEY,
    room_id     text NOT NULL,
    prev_group  bigint REFERENCES state_groups (id),
    chain_len   integer NOT NULL       -- deltas since the last snapshot
);
CREATE TABLE state_group_entries (
    group_id   bigint NOT NULL REFERENCES state_groups (id),
    type       text NOT NULL,
    state_key  text NOT NULL,
    event_id   text NOT NULL,
    PRIMARY KEY (group_id, type, state_key)
);

CREATE TABLE current_state (
    room_id     text NOT NULL,
    type        text NOT NULL,
    state_key   text NOT NULL,
    event_id    text NOT NULL,
    membership  text,                  -- for m.room.member
    PRIMARY KEY (room_id, type, state_key)
);
CREATE INDEX current_state_members ON current_state (state_key, membership)
    WHERE type = 'm.room.member';

CREATE TABLE room_forgotten (
    user_id  text NOT NULL,
    room_id  text NOT NULL,
    PRIMARY KEY (user_id, room_id)
);

CREATE TABLE room_aliases (
    alias       text PRIMARY KEY,
    room_id     text NOT NULL,
    creator     text NOT NULL,
    created_ts  bigint NOT NULL
);
CREATE INDEX room_aliases_room ON room_aliases (room_id);

CREATE TABLE event_reports (
    id          bigserial PRIMARY KEY,
    room_id     text NOT NULL,
    event_id    text,                   -- NULL: the room itself is reported
    reporter    text NOT NULL,
    reason      text,
    score       integer,
    created_ts  bigint NOT NULL
);
