-- Insert or refresh an instrument; the stored normalization is returned for the caller to compare.
INSERT INTO instruments (venue, venue_symbol, base, quote, kind, attributes)
VALUES (%(venue)s, %(venue_symbol)s, %(base)s, %(quote)s, %(kind)s, %(attributes)s)
ON CONFLICT (venue, venue_symbol) DO UPDATE
    SET attributes = instruments.attributes || EXCLUDED.attributes,
        updated_at = CASE WHEN instruments.attributes @> EXCLUDED.attributes
                          THEN instruments.updated_at ELSE now() END
RETURNING id, base, quote, kind
