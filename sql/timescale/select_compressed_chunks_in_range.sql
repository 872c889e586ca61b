-- Compressed chunks of a hypertable that overlap [first, last]: what a merge may write into.
SELECT format('%%I.%%I', chunk_schema, chunk_name)
FROM timescaledb_information.chunks
WHERE hypertable_schema = current_schema()
  AND hypertable_name = %(table)s
  AND is_compressed
  AND range_end > %(first)s
  AND range_start <= %(last)s
