-- Recording send outcomes looks ledger rows up by primary key (campaign.recordSQL); the partial
-- index of 'sending' rows served only that statement, and cost every claim an index insertion.

-- +goose Up
DROP INDEX IF EXISTS send_ledger_sending_idx;

-- +goose Down
CREATE INDEX IF NOT EXISTS send_ledger_sending_idx ON send_ledger (campaign_id, contact_id) WHERE status = 'sending';
