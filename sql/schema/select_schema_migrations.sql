SELECT version, name, variant, applied_at FROM schema_migrations ORDER BY version
