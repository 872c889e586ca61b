INSERT INTO ingest_ledger (dataset, source_path, instrument_id, interval_s, size_bytes, mtime_ns,
                           sha256, rows_read, rows_inserted, rows_present, complete, first_ts,
                           last_ts, run_id)
VALUES (%(dataset)s, %(source_path)s, %(instrument_id)s, %(interval_s)s, %(size_bytes)s,
        %(mtime_ns)s, %(sha256)s, %(rows_read)s, %(rows_inserted)s, %(rows_present)s,
        %(complete)s, %(first_ts)s, %(last_ts)s, %(run_id)s)
ON CONFLICT (dataset, source_path) DO UPDATE SET
    instrument_id = EXCLUDED.instrument_id,
    interval_s = EXCLUDED.interval_s,
    size_bytes = EXCLUDED.size_bytes,
    mtime_ns = EXCLUDED.mtime_ns,
    sha256 = EXCLUDED.sha256,
    rows_read = EXCLUDED.rows_read,
    rows_inserted = EXCLUDED.rows_inserted,
    rows_present = EXCLUDED.rows_present,
    complete = EXCLUDED.complete,
    first_ts = EXCLUDED.first_ts,
    last_ts = EXCLUDED.last_ts,
    run_id = EXCLUDED.run_id,
    imported_at = now()
