-- The statement from the incident that started pgwarden: fine since PostgreSQL 11.
ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT false;

-- These are not: a volatile default rewrites the table, a plain index blocks writes.
ALTER TABLE users ADD COLUMN verification_token uuid DEFAULT gen_random_uuid();
CREATE INDEX users_verification_token_idx ON users (verification_token);
