-- The three long/short ratio datasets of /futures/data, one table each, per period (period_s).
-- long_account/short_account keep Binance's field names; for the position ratio they are shares
-- of positions rather than of accounts. Binance keeps only the last 30 days.
CREATE TABLE IF NOT EXISTS binance_top_long_short_account_ratio (
    instrument_id integer NOT NULL,
    period_s integer NOT NULL CHECK (period_s > 0),
    ts timestamptz NOT NULL,
    long_short_ratio numeric NOT NULL,
    long_account numeric NOT NULL,
    short_account numeric NOT NULL,
    PRIMARY KEY (instrument_id, period_s, ts)
);

CREATE TABLE IF NOT EXISTS binance_top_long_short_position_ratio (
    instrument_id integer NOT NULL,
    period_s integer NOT NULL CHECK (period_s > 0),
    ts timestamptz NOT NULL,
    long_short_ratio numeric NOT NULL,
    long_account numeric NOT NULL,
    short_account numeric NOT NULL,
    PRIMARY KEY (instrument_id, period_s, ts)
);

CREATE TABLE IF NOT EXISTS binance_global_long_short_account_ratio (
    instrument_id integer NOT NULL,
    period_s integer NOT NULL CHECK (period_s > 0),
    ts timestamptz NOT NULL,
    long_short_ratio numeric NOT NULL,
    long_account numeric NOT NULL,
    short_account numeric NOT NULL,
    PRIMARY KEY (instrument_id, period_s, ts)
);
