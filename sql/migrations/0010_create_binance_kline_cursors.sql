-- Resume pointers of Binance kline series, one row per (instrument, interval, partition window).
-- Every closed candle with an open time in [covered_from, covered_until) is stored in candles;
-- the row is updated in the same transaction as each page of candles, so it survives any crash.
CREATE TABLE IF NOT EXISTS binance_kline_cursors (
    instrument_id integer NOT NULL REFERENCES instruments (id),
    interval_s integer NOT NULL CHECK (interval_s > 0),
    window_start timestamptz NOT NULL,
    window_end timestamptz NOT NULL,
    covered_from timestamptz NOT NULL,
    covered_until timestamptz NOT NULL,
    last_open_ts timestamptz,
    requests bigint NOT NULL DEFAULT 0,
    run_id text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instrument_id, interval_s, window_start),
    CHECK (window_start <= covered_from AND covered_from <= covered_until
           AND covered_until <= window_end)
);
