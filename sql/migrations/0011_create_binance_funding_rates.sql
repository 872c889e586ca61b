-- Funding rate history of Binance USD-M perpetuals (/fapi/v1/fundingRate), exactly as printed.
-- mark_price is absent from answers before late 2023.
CREATE TABLE IF NOT EXISTS binance_funding_rates (
    instrument_id integer NOT NULL,
    ts timestamptz NOT NULL,
    funding_rate numeric NOT NULL,
    mark_price numeric,
    PRIMARY KEY (instrument_id, ts)
);
