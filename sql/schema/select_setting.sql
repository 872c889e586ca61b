SELECT value FROM tickvault_settings WHERE key = %(key)s
