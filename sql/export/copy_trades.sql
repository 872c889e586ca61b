-- Trades in the source's order: by second, then by position within the second.
SELECT extract(epoch FROM ts)::bigint AS timestamp, price, volume
FROM trades
WHERE instrument_id = %(instrument_id)s AND ts >= %(start)s AND ts < %(end)s
ORDER BY ts, seq
