INSERT INTO binance_kline_cursors (instrument_id, interval_s, window_start, window_end,
                                   covered_from, covered_until, last_open_ts, requests, run_id)
VALUES (%(instrument_id)s, %(interval_s)s, %(window_start)s, %(window_end)s, %(covered_from)s,
        %(covered_until)s, %(last_open_ts)s, %(requests)s, %(run_id)s)
ON CONFLICT (instrument_id, interval_s, window_start) DO UPDATE
    SET covered_from = EXCLUDED.covered_from,
        covered_until = EXCLUDED.covered_until,
        last_open_ts = GREATEST(binance_kline_cursors.last_open_ts, EXCLUDED.last_open_ts),
        requests = binance_kline_cursors.requests + EXCLUDED.requests,
        run_id = EXCLUDED.run_id,
        updated_at = now()
