-- every user gets a token to verify their email address
ALTER TABLE users ADD COLUMN verification_token uuid NOT NULL DEFAULT gen_random_uuid();
