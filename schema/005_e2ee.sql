-- 005_e2ee: end-to-end encryption support.  The server stores and relays
-- keys and to-device messages; it does no crypto beyond checking
-- cross-signing signatures.  Per-device rows go with their device
-- (ON DELETE CASCADE).

-- The signed device_keys object as uploaded (canonical JSON text).
CREATE TABLE e2e_device_keys (
    user_id    text NOT NULL,
    device_id  text NOT NULL,
    key_json   text NOT NULL,
    PRIMARY KEY (user_id, device_id),
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

CREATE TABLE e2e_one_time_keys (
    user_id    text NOT NULL,
    device_id  text NOT NULL,
    algorithm  text NOT NULL,
    key_id     text NOT NULL,
    key_json   text NOT NULL,
    PRIMARY KEY (user_id, device_id, algorithm, key_id),
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

-- One fallback key per device and algorithm; 'used' once claimed.
CREATE TABLE e2e_fallback_keys (
    user_id    text NOT NULL,
    device_id  text NOT NULL,
    algorithm  text NOT NULL,
    key_id     text NOT NULL,
    key_json   text NOT NULL,
    used       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (user_id, device_id, algorithm),
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

-- master, self_signing, user_signing: the key object as uploaded.
CREATE TABLE e2e_cross_signing_keys (
    user_id    text NOT NULL,
    keytype    text NOT NULL,
    pubkey     text NOT NULL,       -- the one key ID in "keys", e.g. ed25519:<base64>
    key_json   text NOT NULL,
    PRIMARY KEY (user_id, keytype)
);

-- Signatures uploaded through /keys/signatures/upload: signer's key
-- 'signer_key_id' over the target's device (target_key = device ID) or
-- cross-signing key (target_key = its public key).
CREATE TABLE e2e_signatures (
    signer_user    text NOT NULL,
    signer_key_id  text NOT NULL,
    target_user    text NOT NULL,
    target_key     text NOT NULL,
    signature      text NOT NULL,
    PRIMARY KEY (target_user, target_key, signer_user, signer_key_id)
);

-- The device_lists stream: user_id's device list changed at pos.
CREATE TABLE device_list_changes (
    pos      bigint NOT NULL,
    user_id  text NOT NULL,
    PRIMARY KEY (pos, user_id)
);
CREATE INDEX device_list_changes_user ON device_list_changes (user_id, pos);

-- The to_device stream: one row per target device and send.
CREATE TABLE device_inbox (
    user_id    text NOT NULL,
    device_id  text NOT NULL,
    pos        bigint NOT NULL,
    message    text NOT NULL,   -- {"sender","type","content"}
    PRIMARY KEY (user_id, device_id, pos),
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

-- sendToDevice transaction IDs, per sending device.
CREATE TABLE to_device_txns (
    user_id    text NOT NULL,
    device_id  text NOT NULL,
    txn_id     text NOT NULL,
    PRIMARY KEY (user_id, device_id, txn_id),
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

-- Server-side key backup.
CREATE TABLE room_key_versions (
    user_id    text NOT NULL,
    version    bigint NOT NULL,
    algorithm  text NOT NULL,
    auth_data  text NOT NULL,
    etag       bigint NOT NULL DEFAULT 0,
    deleted    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (user_id, version)
);

CREATE TABLE room_keys (
    user_id              text NOT NULL,
    version              bigint NOT NULL,
    room_id              text NOT NULL,
    session_id           text NOT NULL,
    first_message_index  bigint NOT NULL,
    forwarded_count      bigint NOT NULL,
    is_verified          boolean NOT NULL,
    session_data         text NOT NULL,
    PRIMARY KEY (user_id, version, room_id, session_id)
);
