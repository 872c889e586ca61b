-- OHLCV candles from every venue. ts is the candle's open time (UTC); interval_s its length in
-- seconds. Prices and volumes are NUMERIC without a fixed scale, stored exactly as printed.
-- No foreign key to instruments: a per-row RI trigger would halve bulk COPY speed, and rows are
-- only ever written by the loader, which resolves the instrument first.
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
