-- Privacy: the audit log, contacts' own tracking choices, and the bookkeeping of the retention
-- task (removing client data from old events, deleting older ones).

-- +goose Up

-- Who did what, when and from where: every audited API route, the same actions from the CLI, and
-- token sign-ins (first use per token per UTC day). Append-only: the trigger below refuses UPDATE,
-- DELETE and TRUNCATE, so neither Kirje nor a mistaken query can rewrite history. Entries never
-- hold a data subject's address in plain text (subjects are named by their address hash), so
-- erasure does not need to touch this table. Entries do not expire.
CREATE TABLE audit_log (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    -- The user name for API calls and sign-ins; "cli:<os user>" or KIRJE_ADMIN_USER for the CLI.
    actor    text NOT NULL CHECK (actor <> ''),
    -- No foreign keys: the log must outlive what it names (users are disabled, not deleted, but a
    -- token or a contact it names may be gone).
    user_id  bigint,
    token_id bigint,
    action   text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    -- What the action was about: "contacts/12", "users/3/tokens/9", "subjects/<sha256 hex>".
    target   text NOT NULL DEFAULT '',
    ip       text,
    detail   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object')
);
-- Readers filter by action or actor and page by id.
CREATE INDEX audit_log_action_idx ON audit_log (action, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'entries never change; see docs/privacy.md for purging a copy of the database';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- A contact's own choices about tracking (an objection to per-person tracking, or consent to it),
-- kept as history like marketing_permissions; contacts.tracking holds the current level and is
-- written in the same statement (register.SetTracking). Goes with the contact on erasure.
CREATE TABLE tracking_choices (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    -- The level chosen; NULL: follow the brand again.
    level      text CHECK (level IN ('individual', 'aggregate', 'off')),
    source     text NOT NULL,
    actor      text NOT NULL,
    note       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tracking_choices_contact_idx ON tracking_choices (contact_id, id);

-- Where the retention task's passes stopped, so the next run does not walk the events it already
-- cleared. name: 'events_client_data'; last_id: every event with id <= last_id has been passed.
CREATE TABLE retention_state (
    name       text PRIMARY KEY,
    last_id    bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Suppression events name the address by its hash (data.address_hash): a subject's export and
-- erasure find them through this index. Partial, so only suppression events pay for it.
CREATE INDEX events_address_hash_idx ON events ((data ->> 'address_hash'))
    WHERE data ? 'address_hash';

-- +goose Down
DROP INDEX events_address_hash_idx;
DROP TABLE retention_state;
DROP TABLE tracking_choices;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
