-- The file was touched but its content is unchanged: remember its new mtime.
UPDATE ingest_ledger SET mtime_ns = %(mtime_ns)s
WHERE dataset = %(dataset)s AND source_path = %(source_path)s
