-- One fee snapshot; re-taking the same snapshot is a no-op, a changed fee replaces it and says so.
INSERT INTO exchange_fees (symbol, ts, maker_bps, taker_bps, source, note)
VALUES (%(symbol)s, %(ts)s, %(maker_bps)s::numeric, %(taker_bps)s::numeric, %(source)s, %(note)s)
ON CONFLICT (source, symbol, ts) DO UPDATE
    SET maker_bps = EXCLUDED.maker_bps,
        taker_bps = EXCLUDED.taker_bps,
        note = EXCLUDED.note
    WHERE (exchange_fees.maker_bps, exchange_fees.taker_bps)
          IS DISTINCT FROM (EXCLUDED.maker_bps, EXCLUDED.taker_bps)
RETURNING (xmax = 0) AS inserted
