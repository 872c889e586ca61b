SELECT size_bytes, mtime_ns, sha256, complete, rows_read, rows_inserted, imported_at
FROM ingest_ledger
WHERE dataset = %(dataset)s AND source_path = %(source_path)s
