-- The register: companies, contacts, their marketing bans and consents, and the brands that send.

-- +goose Up
CREATE TABLE companies (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    -- Finnish Y-tunnus ("1234567-8", check digit validated) or another country's ID as given.
    business_id text,
    website     text NOT NULL DEFAULT '',
    country     text NOT NULL DEFAULT '',
    location    text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- A company is found again by its business ID, or by name when it has none.
CREATE UNIQUE INDEX companies_business_id_key ON companies (business_id) WHERE business_id IS NOT NULL;
CREATE UNIQUE INDEX companies_name_key ON companies (lower(name)) WHERE business_id IS NULL;

CREATE TABLE contacts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stored normalised (trimmed, lower-case), so uniqueness is case-insensitive.
    email           text NOT NULL UNIQUE,
    first_name      text NOT NULL DEFAULT '',
    last_name       text NOT NULL DEFAULT '',
    job_title       text NOT NULL DEFAULT '',
    academic_title  text NOT NULL DEFAULT '',
    segment         text NOT NULL DEFAULT '',
    country         text NOT NULL DEFAULT '',
    phone           text NOT NULL DEFAULT '',
    postal_address  text NOT NULL DEFAULT '',
    customer_number text NOT NULL DEFAULT '',
    lead_id         text NOT NULL DEFAULT '',
    company_id      bigint REFERENCES companies (id) ON DELETE SET NULL,
    kind            text NOT NULL DEFAULT 'b2b' CHECK (kind IN ('b2b', 'b2c')),
    attributes      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    -- Tracking level chosen by or for this person; NULL follows the brand.
    tracking        text CHECK (tracking IN ('individual', 'aggregate', 'off')),
    -- Current marketing state, kept by register in the same transaction as the history rows in
    -- marketing_permissions, so audience queries stay set-based and need no window functions.
    banned_at       timestamptz,
    consent_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_company_id_idx ON contacts (company_id);

-- The history of direct-marketing bans and consents: who, when, and how it was recorded.
CREATE TABLE marketing_permissions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    action     text NOT NULL CHECK (action IN ('ban', 'unban', 'consent', 'withdraw')),
    source     text NOT NULL,
    actor      text NOT NULL,
    note       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX marketing_permissions_contact_idx ON marketing_permissions (contact_id, id);

-- The group's sender identities.
CREATE TABLE brands (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL UNIQUE,
    from_name      text NOT NULL DEFAULT '',
    from_address   text NOT NULL,
    reply_to       text NOT NULL DEFAULT '',
    postal_address text NOT NULL,
    dkim_domain    text NOT NULL DEFAULT '',
    dkim_selector  text NOT NULL DEFAULT '',
    dkim_key_pem   text NOT NULL DEFAULT '',
    -- Name of the SMTP relay (from configuration) this brand sends through.
    relay          text NOT NULL DEFAULT 'default',
    tracking       text NOT NULL DEFAULT 'individual' CHECK (tracking IN ('individual', 'aggregate', 'off')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE brands;
DROP TABLE marketing_permissions;
DROP TABLE contacts;
DROP TABLE companies;
