-- TimescaleDB variant of 0013: like binance_open_interest, 30-day chunks compressed per
-- instrument and period after 45 days (beyond the 30 days Binance serves).
CREATE TABLE IF NOT EXISTS binance_top_long_short_account_ratio (
    instrument_id integer NOT NULL,
    period_s integer NOT NULL CHECK (period_s > 0),
    ts timestamptz NOT NULL,
    long_short_ratio numeric NOT NULL,
    long_account numeric NOT NULL,
    short_account numeric NOT NULL,
    PRIMARY KEY (instrument_id, period_s, ts)
);

SELECT create_hypertable('binance_top_long_short_account_ratio', 'ts',
                         chunk_time_interval => INTERVAL '30 days',
                         if_not_exists => TRUE, migrate_data => TRUE);

ALTER TABLE binance_top_long_short_account_ratio SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument_id, period_s',
    timescaledb.compress_orderby = 'ts'
);

SELECT add_compression_policy('binance_top_long_short_account_ratio', INTERVAL '45 days', if_not_exists => TRUE);

CREATE TABLE IF NOT EXISTS binance_top_long_short_position_ratio (
    instrument_id integer NOT NULL,
    period_s integer NOT NULL CHECK (period_s > 0),
    ts timestamptz NOT NULL,
    long_short_ratio numeric NOT NULL,
    long_account numeric NOT NULL,
    short_account numeric NOT NULL,
    PRIMARY KEY (instrument_id, period_s, ts)
);

SELECT create_hypertable('binance_top_long_short_position_ratio', 'ts',
                         chunk_time_interval => INTERVAL '30 days',
                         if_not_exists => TRUE, migrate_data => TRUE);

ALTER TABLE binance_top_long_short_position_ratio SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument_id, period_s',
    timescaledb.compress_orderby = 'ts'
);

SELECT add_compression_policy('binance_top_long_short_position_ratio', INTERVAL '45 days', if_not_exists => TRUE);

CREATE TABLE IF NOT EXISTS binance_global_long_short_account_ratio (
    instrument_id integer NOT NULL,
    period_s integer NOT NULL CHECK (period_s > 0),
    ts timestamptz NOT NULL,
    long_short_ratio numeric NOT NULL,
    long_account numeric NOT NULL,
    short_account numeric NOT NULL,
    PRIMARY KEY (instrument_id, period_s, ts)
);

SELECT create_hypertable('binance_global_long_short_account_ratio', 'ts',
                         chunk_time_interval => INTERVAL '30 days',
                         if_not_exists => TRUE, migrate_data => TRUE);

ALTER TABLE binance_global_long_short_account_ratio SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument_id, period_s',
    timescaledb.compress_orderby = 'ts'
);

SELECT add_compression_policy('binance_global_long_short_account_ratio', INTERVAL '45 days', if_not_exists => TRUE);
