SELECT extract(epoch FROM ts)::bigint AS timestamp, open, high, low, close, volume, trade_count,
       quote_volume, taker_buy_base_volume, taker_buy_quote_volume
FROM candles
WHERE instrument_id = %(instrument_id)s AND interval_s = %(interval_s)s
  AND ts >= %(start)s AND ts < %(end)s
ORDER BY ts
