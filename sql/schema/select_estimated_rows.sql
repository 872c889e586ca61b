-- The planner's row estimate for a table, summed over its partitions (and hypertable chunks).
SELECT sum(greatest(c.reltuples, 0))::bigint
FROM pg_class c
WHERE c.oid = to_regclass(%(table)s)
   OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass(%(table)s))
   OR c.oid IN (SELECT i2.inhrelid FROM pg_inherits i1 JOIN pg_inherits i2
                ON i2.inhparent = i1.inhrelid WHERE i1.inhparent = to_regclass(%(table)s))
