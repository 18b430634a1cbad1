-- 008_push: push rules, pushers, and the per-user push actions that give
-- notification and highlight counts and the /notifications list.

-- User-defined rules.  Within (user, kind) a higher priority is more
-- important; server-default rules are not stored here.
CREATE TABLE push_rules (
    user_id     text NOT NULL,
    kind        text NOT NULL,        -- override, content, room, sender, underride
    rule_id     text NOT NULL,
    priority    bigint NOT NULL,
    conditions  text,                 -- JSON array (override/underride only)
    actions     text NOT NULL,        -- JSON array
    pattern     text,                 -- content rules
    enabled     boolean NOT NULL DEFAULT true,
    PRIMARY KEY (user_id, kind, rule_id)
);

-- A user's changes to server-default rules: NULL keeps the default.
CREATE TABLE push_rule_defaults (
    user_id  text NOT NULL,
    kind     text NOT NULL,
    rule_id  text NOT NULL,
    enabled  boolean,
    actions  text,                    -- JSON array
    PRIMARY KEY (user_id, kind, rule_id)
);

CREATE TABLE pushers (
    user_id              text NOT NULL,
    app_id               text NOT NULL,
    pushkey              text NOT NULL,
    kind                 text NOT NULL,
    app_display_name     text NOT NULL,
    device_display_name  text NOT NULL,
    profile_tag          text,
    lang                 text NOT NULL,
    data                 text NOT NULL,  -- JSON object
    device_id            text,           -- the device whose token set it
    created_ts           bigint NOT NULL,
    PRIMARY KEY (user_id, app_id, pushkey)
);
CREATE INDEX pushers_app_key ON pushers (app_id, pushkey);

-- One row per event that notifies or highlights a user, written by the
-- persist pipeline in the event's transaction.
CREATE TABLE push_actions (
    user_id          text NOT NULL,
    room_id          text NOT NULL,
    event_id         text NOT NULL,
    stream_ordering  bigint NOT NULL,
    actions          text NOT NULL,   -- JSON array of the matching rule
    notify           boolean NOT NULL,
    highlight        boolean NOT NULL,
    ts               bigint NOT NULL,
    PRIMARY KEY (user_id, stream_ordering)
);
CREATE INDEX push_actions_room ON push_actions (user_id, room_id, stream_ordering);

-- How far each user has read in each room (from read receipts).
CREATE TABLE push_read (
    user_id          text NOT NULL,
    room_id          text NOT NULL,
    stream_ordering  bigint NOT NULL,
    PRIMARY KEY (user_id, room_id)
);
