-- Candles as the export writes them: unix seconds and plain decimals (numeric's text form never
-- uses e-notation), oldest first.
SELECT extract(epoch FROM ts)::bigint AS timestamp, open, high, low, close, volume, trade_count
FROM candles
WHERE instrument_id = %(instrument_id)s AND interval_s = %(interval_s)s
  AND ts >= %(start)s AND ts < %(end)s
ORDER BY ts
