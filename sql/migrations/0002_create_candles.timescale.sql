-- TimescaleDB variant of 0002: a hypertable with 7-day chunks (1-minute candles for ~1,100 pairs
-- are ~11M rows a week, about the size TimescaleDB recommends per chunk), compressed by
-- instrument and interval, ordered by time.
CREATE TABLE IF NOT EXISTS candles (
    instrument_id integer NOT NULL,
    interval_s integer NOT NULL CHECK (interval_s > 0),
    ts timestamptz NOT NULL,
    open numeric NOT NULL,
    high numeric NOT NULL,
    low numeric NOT NULL,
    close numeric NOT NULL,
    volume numeric NOT NULL,
    trade_count bigint,
    quote_volume numeric,
    taker_buy_base_volume numeric,
    taker_buy_quote_volume numeric,
    PRIMARY KEY (instrument_id, interval_s, ts)
);

SELECT create_hypertable('candles', 'ts', chunk_time_interval => INTERVAL '7 days',
                         if_not_exists => TRUE, migrate_data => TRUE);

ALTER TABLE candles SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument_id, interval_s',
    timescaledb.compress_orderby = 'ts'
);

SELECT add_compression_policy('candles', INTERVAL '30 days', if_not_exists => TRUE);
