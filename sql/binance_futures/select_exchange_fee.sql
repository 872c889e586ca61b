SELECT maker_bps, taker_bps, note
FROM exchange_fees
WHERE source = %(source)s AND symbol = %(symbol)s AND ts = %(ts)s
