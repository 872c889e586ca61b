-- One more than the highest n among tables named 'trades_i<id>_<n>'.
SELECT coalesce(max(substr(c.relname, %(prefix_length)s)::integer), 0) + 1
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
  AND c.relkind = 'r'
  AND c.relname LIKE %(prefix)s
  AND substr(c.relname, %(prefix_length)s) ~ '^[0-9]+$'
