SELECT source_path, size_bytes, mtime_ns, complete
FROM ingest_ledger
WHERE dataset = %(dataset)s AND source_path = ANY(%(paths)s)
