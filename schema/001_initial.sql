-- 001_initial: accounts, devices, access tokens, user-interactive auth,
-- registration tokens.

CREATE TABLE users (
    user_id        text PRIMARY KEY,          -- @localpart:server_name
    localpart      text NOT NULL UNIQUE,
    password_hash  text,                      -- NULL: no password login
    is_admin       boolean NOT NULL DEFAULT false,
    is_guest       boolean NOT NULL DEFAULT false,
    deactivated    boolean NOT NULL DEFAULT false,
    created_ts     bigint NOT NULL,
    displayname    text,
    avatar_url     text
);

CREATE TABLE devices (
    user_id        text NOT NULL REFERENCES users (user_id),
    device_id      text NOT NULL,
    display_name   text,
    created_ts     bigint NOT NULL,
    last_seen_ts   bigint,
    last_seen_ip   text,
    PRIMARY KEY (user_id, device_id)
);

-- Tokens are stored only as SHA-256 hashes (hex).
CREATE TABLE access_tokens (
    token_hash     text PRIMARY KEY,
    user_id        text NOT NULL,
    device_id      text NOT NULL,
    created_ts     bigint NOT NULL,
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
CREATE INDEX access_tokens_device ON access_tokens (user_id, device_id);

CREATE TABLE uia_sessions (
    session_id     text PRIMARY KEY,
    kind           text NOT NULL,             -- register, password, deactivate, delete_devices
    user_id        text,                      -- NULL for registration
    completed      text[] NOT NULL DEFAULT '{}',
    registration_token text,                  -- the token a register session validated
    created_ts     bigint NOT NULL
);

CREATE TABLE registration_tokens (
    token          text PRIMARY KEY,
    uses_allowed   integer,                   -- NULL: unlimited
    completed      integer NOT NULL DEFAULT 0,
    expiry_ts      bigint,                    -- NULL: never expires
    created_ts     bigint NOT NULL
);
