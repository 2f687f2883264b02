package register

// upsertCompaniesSQL upserts the companies given as parallel arrays ($1 name, $2 business_id,
// $3 website, $4 country, $5 location; "" = not given; $6 = a given country overwrites) and
// leaves them in the CTE "upserted" for the caller's final SELECT.
//
// A company is matched by business ID, or by lower(name) among companies without one: each has
// its own partial unique index, and an INSERT has one ON CONFLICT arbiter, hence two INSERTs.
// ON CONFLICT may not update one row twice in a statement, so DISTINCT ON keeps one input row
// per company (the last one). Rows go in in key order so that concurrent imports lock the
// same companies in the same order and cannot deadlock. A name match keeps the stored spelling.
const upsertCompaniesSQL = `
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
        WITH ORDINALITY AS t(name, business_id, website, country, location, ord)
), by_id AS (
    INSERT INTO companies AS co (name, business_id, website, country, location)
    SELECT DISTINCT ON (business_id) name, business_id, website, country, location
    FROM input
    WHERE business_id <> ''
    ORDER BY business_id, ord DESC
    ON CONFLICT (business_id) WHERE business_id IS NOT NULL DO UPDATE SET
        name       = COALESCE(NULLIF(EXCLUDED.name, ''), co.name),
        website    = COALESCE(NULLIF(EXCLUDED.website, ''), co.website),
        country    = CASE WHEN $6::bool THEN COALESCE(NULLIF(EXCLUDED.country, ''), co.country)
                          ELSE COALESCE(NULLIF(co.country, ''), EXCLUDED.country) END,
        location   = COALESCE(NULLIF(EXCLUDED.location, ''), co.location),
        updated_at = now()
    RETURNING co.*
), by_name AS (
    INSERT INTO companies AS co (name, business_id, website, country, location)
    SELECT DISTINCT ON (lower(name)) name, NULL, website, country, location
    FROM input
    WHERE business_id = '' AND name <> ''
    ORDER BY lower(name), ord DESC
    ON CONFLICT (lower(name)) WHERE business_id IS NULL DO UPDATE SET
        website    = COALESCE(NULLIF(EXCLUDED.website, ''), co.website),
        country    = CASE WHEN $6::bool THEN COALESCE(NULLIF(EXCLUDED.country, ''), co.country)
                          ELSE COALESCE(NULLIF(co.country, ''), EXCLUDED.country) END,
        location   = COALESCE(NULLIF(EXCLUDED.location, ''), co.location),
        updated_at = now()
    RETURNING co.*
), upserted AS (
    SELECT * FROM by_id UNION ALL SELECT * FROM by_name
)`
