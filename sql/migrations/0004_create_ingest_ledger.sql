-- One row per imported source file: its fingerprint and what the import did. A file whose
-- fingerprint matches is unchanged and is not read again.
CREATE TABLE IF NOT EXISTS ingest_ledger (
    dataset text NOT NULL,
    source_path text NOT NULL,
    instrument_id integer NOT NULL REFERENCES instruments (id),
    interval_s integer NOT NULL DEFAULT 0,
    size_bytes bigint NOT NULL,
    mtime_ns bigint NOT NULL,
    sha256 text NOT NULL,
    rows_read bigint NOT NULL,
    rows_inserted bigint NOT NULL,
    rows_present bigint NOT NULL,
    complete boolean NOT NULL,          -- false after a partial import (--limit-per-file)
    first_ts timestamptz,
    last_ts timestamptz,
    run_id text,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dataset, source_path)
);

CREATE INDEX IF NOT EXISTS ingest_ledger_instrument_idx
    ON ingest_ledger (dataset, instrument_id, interval_s);
