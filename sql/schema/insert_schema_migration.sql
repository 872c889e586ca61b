INSERT INTO schema_migrations (version, name, variant, checksum)
VALUES (%(version)s, %(name)s, %(variant)s, %(checksum)s)
