-- Trades. A Kraken dump has no trade id and many trades share one second, so a trade is keyed by
-- (instrument, second, seq) where seq is its ordinal within that second in the source's order:
-- re-importing a file yields the same keys (idempotent) and nothing within a second is dropped.
--
-- Plain PostgreSQL: one LIST partition per instrument (trades_i<id>), each RANGE-partitioned by
-- time into leaves. With one instrument per partition, each partition's PRIMARY KEY (ts, seq)
-- is the key (instrument_id, ts, seq) of the whole table, and is cheaper to build: leading with
-- a column that is constant in the partition only adds comparisons. A fresh range of a file is
-- loaded into a new, unattached leaf without keys, keyed afterwards and attached in the same
-- transaction that records the import, so readers never see half a file.
CREATE TABLE IF NOT EXISTS trades (
    instrument_id integer NOT NULL,
    ts timestamptz NOT NULL,
    seq integer NOT NULL CHECK (seq >= 0),
    price numeric NOT NULL,
    volume numeric NOT NULL
) PARTITION BY LIST (instrument_id);
