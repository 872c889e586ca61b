-- The project's tables (partitions and TimescaleDB internals excluded), for `tickvault db status`.
SELECT c.relname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
  AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND c.relname NOT LIKE 'trades\_i%%'
ORDER BY c.relname
