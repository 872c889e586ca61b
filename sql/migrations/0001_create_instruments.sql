-- Instruments shared by every venue. The venue's own symbol is kept beside the normalized pair.
CREATE TABLE IF NOT EXISTS instruments (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    venue text NOT NULL CHECK (venue IN ('kraken', 'kraken-futures', 'binance-futures')),
    venue_symbol text NOT NULL,
    base text NOT NULL,
    quote text NOT NULL,
    kind text NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (venue, venue_symbol)
);

CREATE INDEX IF NOT EXISTS instruments_base_quote_idx ON instruments (base, quote);
