-- Leaves of one instrument (named trades_i<id>_<n>) that are not attached to anything.
SELECT c.relname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
  AND c.relkind = 'r'
  AND c.relname LIKE %(prefix)s
  AND NOT c.relispartition
