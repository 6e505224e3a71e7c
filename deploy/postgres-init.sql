-- The application connects as ustaz_app, which owns no table: row-level security applies to it.
-- Change the password (and USTAZ_DATABASE_URL in .env) before use.
CREATE ROLE ustaz_app LOGIN PASSWORD 'change-me-app';
