SELECT id
FROM instruments
WHERE venue = %(venue)s AND venue_symbol = %(symbol)s
