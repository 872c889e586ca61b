-- Fee snapshots: maker/taker fees in basis points (1 bp = 0.01 %) for a symbol as of ts, exactly
-- as derived from the exchange's rate (0.0002 -> 2). source names the venue and endpoint, e.g.
-- 'binance-futures:/fapi/v1/commissionRate'; one snapshot per (source, symbol, ts).
CREATE TABLE IF NOT EXISTS exchange_fees (
    symbol text NOT NULL,
    ts timestamptz NOT NULL,
    maker_bps numeric NOT NULL,
    taker_bps numeric NOT NULL,
    source text NOT NULL,
    note text NOT NULL DEFAULT '',
    PRIMARY KEY (source, symbol, ts)
);

CREATE INDEX IF NOT EXISTS exchange_fees_symbol_ts_idx ON exchange_fees (symbol, ts);
