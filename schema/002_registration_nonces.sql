-- 002_registration_nonces: one-time nonces for shared-secret registration
-- (the admin API that register_new_matrix_user speaks).

CREATE TABLE registration_nonces (
    nonce          text PRIMARY KEY,
    created_ts     bigint NOT NULL
);
