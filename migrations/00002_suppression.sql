-- The suppression list: the one place that decides whether a marketing message may go.

-- +goose Up
CREATE TABLE suppressions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- SHA-256 of the normalised address; NULL for whole-domain entries. Kept after erasure, so an
    -- erased person is never mailed again without the address being stored.
    address_hash bytea CHECK (octet_length(address_hash) = 32),
    -- The normalised address in plain text, optional (NULL after erasure or for hash-only imports).
    address      text,
    -- Whole-domain entries: nobody at this domain (IDNA ASCII form, lower-case).
    domain       text,
    -- NULL: all marketing; otherwise only this brand's.
    brand_id     bigint REFERENCES brands (id) ON DELETE CASCADE,
    reason       text NOT NULL CHECK (reason IN ('unsubscribe', 'bounce', 'complaint', 'manual', 'erasure', 'import')),
    source       text NOT NULL DEFAULT '',
    actor        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((address_hash IS NULL) <> (domain IS NULL))
);
CREATE UNIQUE INDEX suppressions_address_key ON suppressions (address_hash, coalesce(brand_id, 0))
    WHERE address_hash IS NOT NULL;
CREATE UNIQUE INDEX suppressions_domain_key ON suppressions (domain, coalesce(brand_id, 0))
    WHERE domain IS NOT NULL;

-- +goose Down
DROP TABLE suppressions;
