-- Open interest statistics (/futures/data/openInterestHist) per period (period_s: 300 for 5m).
-- Binance keeps only the last 30 days, so this table is the only long history there is.
CREATE TABLE IF NOT EXISTS binance_open_interest (
    instrument_id integer NOT NULL,
    period_s integer NOT NULL CHECK (period_s > 0),
    ts timestamptz NOT NULL,
    sum_open_interest numeric NOT NULL,
    sum_open_interest_value numeric NOT NULL,
    cmc_circulating_supply numeric,
    PRIMARY KEY (instrument_id, period_s, ts)
);
