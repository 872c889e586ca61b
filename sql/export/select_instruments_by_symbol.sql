-- Instruments of a venue whose own symbol, or normalized BASE/QUOTE, is the given text.
SELECT id, venue_symbol, base, quote
FROM instruments
WHERE venue = %(venue)s
  AND (upper(venue_symbol) = upper(%(symbol)s) OR upper(base || '/' || quote) = upper(%(symbol)s))
ORDER BY id
