-- Every window of a kline series with its coverage, oldest first.
SELECT c.window_start, c.window_end, c.covered_from, c.covered_until, c.last_open_ts, c.requests,
       c.updated_at
FROM binance_kline_cursors c
JOIN instruments i ON i.id = c.instrument_id
WHERE i.venue = %(venue)s AND i.venue_symbol = %(symbol)s AND c.interval_s = %(interval_s)s
ORDER BY c.window_start
