-- The coverage of one partition window of a kline series, locked for the page being written.
SELECT covered_from, covered_until
FROM binance_kline_cursors
WHERE instrument_id = %(instrument_id)s AND interval_s = %(interval_s)s
  AND window_start = %(window_start)s
FOR UPDATE
