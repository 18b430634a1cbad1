-- 006_live: receipts, account data (global and per room, tags and read
-- markers included) and presence.  Each row carries the position of the
-- stream it belongs to (stream_heads, 004_streams.sql), taken in the
-- transaction that wrote it, so /sync reads the rows in (since, now].

-- One receipt per (room, type, user, thread); thread_id '' = unthreaded.
CREATE TABLE receipts (
    room_id       text NOT NULL,
    receipt_type  text NOT NULL,   -- m.read, m.read.private
    user_id       text NOT NULL,
    thread_id     text NOT NULL DEFAULT '',
    event_id      text NOT NULL,
    ts            bigint NOT NULL,
    stream_pos    bigint NOT NULL,  -- receipts stream
    PRIMARY KEY (room_id, receipt_type, user_id, thread_id)
);
CREATE INDEX receipts_room_stream ON receipts (room_id, stream_pos);

-- room_id '' = global account data.  content is the JSON object text.
CREATE TABLE account_data (
    user_id     text NOT NULL,
    room_id     text NOT NULL DEFAULT '',
    type        text NOT NULL,
    content     text NOT NULL,
    stream_pos  bigint NOT NULL,    -- account_data stream
    PRIMARY KEY (user_id, room_id, type)
);
CREATE INDEX account_data_user_stream ON account_data (user_id, stream_pos);

CREATE TABLE presence (
    user_id           text PRIMARY KEY,
    state             text NOT NULL,  -- online, unavailable, offline
    status_msg        text,
    last_active_ts    bigint NOT NULL,
    currently_active  boolean NOT NULL DEFAULT false,
    stream_pos        bigint NOT NULL  -- presence stream
);
CREATE INDEX presence_stream ON presence (stream_pos);
