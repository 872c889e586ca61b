SELECT id, venue, venue_symbol, base, quote, kind, attributes
FROM instruments
WHERE venue = %(venue)s AND (venue_symbol = %(symbol)s OR base || '/' || quote = %(symbol)s)
ORDER BY venue_symbol = %(symbol)s DESC, id
