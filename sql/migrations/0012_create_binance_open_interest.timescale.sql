-- TimescaleDB variant of 0012: at 5-minute periods ~400 symbols make ~3.5M rows a month: 30-day
-- chunks; compressed per instrument and period after 45 days, beyond the 30 days Binance serves,
-- so fetched rows never land in a compressed chunk.
CREATE TABLE IF NOT EXISTS binance_open_interest (
    instrument_id integer NOT NULL,
    period_s integer NOT NULL CHECK (period_s > 0),
    ts timestamptz NOT NULL,
    sum_open_interest numeric NOT NULL,
    sum_open_interest_value numeric NOT NULL,
    cmc_circulating_supply numeric,
    PRIMARY KEY (instrument_id, period_s, ts)
);

SELECT create_hypertable('binance_open_interest', 'ts', chunk_time_interval => INTERVAL '30 days',
                         if_not_exists => TRUE, migrate_data => TRUE);

ALTER TABLE binance_open_interest SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument_id, period_s',
    timescaledb.compress_orderby = 'ts'
);

SELECT add_compression_policy('binance_open_interest', INTERVAL '45 days', if_not_exists => TRUE);
