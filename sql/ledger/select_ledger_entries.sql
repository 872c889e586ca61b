-- $1: dataset, $2: source paths (text[]). PostgreSQL's own placeholders: run by psycopg (a
-- RawCursor) and by resources.database.libpq alike.
SELECT source_path, size_bytes, mtime_ns, complete
FROM ingest_ledger
WHERE dataset = $1::text AND source_path = ANY($2::text[])
