package register

// upsertCompaniesSQL upserts the companies given as parallel arrays ($1 name, $2 business_id,
// $3 website, $4 country, $5 location; "" = not given; $6 = a given country overwrites) and
// leaves them in the CTE "upserted" for the caller's final SELECT.
//
// A company is matched by business ID, or by lower(name) among companies without one: each has
// its own partial unique index, and an INSERT has one ON CONFLICT arbiter, hence two INSERTs.
// ON CONFLICT may not update one row twice in a statement, so "merged" first makes one input row
// per company, as upserting the rows in turn would: each field is the last non-empty one given
// (the country the first one unless $6). Rows go in in key order so that concurrent imports lock
// the same companies in the same order and cannot deadlock. A name match keeps the stored
// spelling.
const upsertCompaniesSQL = `
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
        WITH ORDINALITY AS t(name, business_id, website, country, location, ord)
), merged AS (
    SELECT business_id,
        COALESCE((array_agg(name ORDER BY ord DESC) FILTER (WHERE name <> ''))[1], '') AS name,
        COALESCE((array_agg(website ORDER BY ord DESC) FILTER (WHERE website <> ''))[1], '') AS website,
        COALESCE((array_agg(country ORDER BY CASE WHEN $6::bool THEN -ord ELSE ord END)
            FILTER (WHERE country <> ''))[1], '') AS country,
        COALESCE((array_agg(location ORDER BY ord DESC) FILTER (WHERE location <> ''))[1], '') AS location
    FROM input
    GROUP BY business_id, CASE WHEN business_id = '' THEN lower(name) END
), by_id AS (
    INSERT INTO companies AS co (name, business_id, website, country, location)
    SELECT name, business_id, website, country, location
    FROM merged
    WHERE business_id <> ''
    ORDER BY business_id
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
    SELECT name, NULL, website, country, location
    FROM merged
    WHERE business_id = '' AND name <> ''
    ORDER BY lower(name)
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
