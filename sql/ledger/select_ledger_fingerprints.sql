-- Every recorded file of a dataset: what the sensor compares the dump directory against.
SELECT source_path, size_bytes, mtime_ns, complete
FROM ingest_ledger
WHERE dataset = %(dataset)s
