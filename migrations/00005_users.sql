-- Named staff with their own credentials: users, roles and API tokens.

-- +goose Up
CREATE TABLE users (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stored lower-case (access normalises), so names are unique regardless of case. The name is
    -- the actor recorded on every change the user makes.
    name       text NOT NULL UNIQUE,
    role       text NOT NULL CHECK (role IN ('admin', 'marketer', 'analyst', 'privacy')),
    disabled   boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Bearer tokens: only a SHA-256 of the token is stored; the token itself is shown once.
CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    label        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Updated at most about once a minute per token, so a busy integration does not write a row
    -- on every request.
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, id);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE users;
