-- TimescaleDB variant of 0011: funding settles every 1-8 hours, so even ~400 perpetuals make only
-- ~1M rows a year: 1-year chunks, compressed per instrument once older than 90 days.
CREATE TABLE IF NOT EXISTS binance_funding_rates (
    instrument_id integer NOT NULL,
    ts timestamptz NOT NULL,
    funding_rate numeric NOT NULL,
    mark_price numeric,
    PRIMARY KEY (instrument_id, ts)
);

SELECT create_hypertable('binance_funding_rates', 'ts', chunk_time_interval => INTERVAL '365 days',
                         if_not_exists => TRUE, migrate_data => TRUE);

ALTER TABLE binance_funding_rates SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument_id',
    timescaledb.compress_orderby = 'ts'
);

SELECT add_compression_policy('binance_funding_rates', INTERVAL '90 days', if_not_exists => TRUE);
