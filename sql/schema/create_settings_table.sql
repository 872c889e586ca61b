CREATE TABLE IF NOT EXISTS tickvault_settings (
    key text PRIMARY KEY,
    value text NOT NULL
)
