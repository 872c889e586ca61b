INSERT INTO tickvault_settings (key, value) VALUES (%(key)s, %(value)s)
