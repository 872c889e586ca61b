-- TimescaleDB variant of 0003: a hypertable (hypertables cannot also be declaratively
-- partitioned). 7-day chunks hold ~1-2M trades across all pairs at Kraken's volumes; compressed
-- per instrument, ordered by (ts, seq) so a segment decompresses in the source's order.
CREATE TABLE IF NOT EXISTS trades (
    instrument_id integer NOT NULL,
    ts timestamptz NOT NULL,
    seq integer NOT NULL CHECK (seq >= 0),
    price numeric NOT NULL,
    volume numeric NOT NULL,
    PRIMARY KEY (instrument_id, ts, seq)
);

SELECT create_hypertable('trades', 'ts', chunk_time_interval => INTERVAL '7 days',
                         if_not_exists => TRUE, migrate_data => TRUE);

ALTER TABLE trades SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument_id',
    timescaledb.compress_orderby = 'ts, seq'
);

SELECT add_compression_policy('trades', INTERVAL '30 days', if_not_exists => TRUE);
