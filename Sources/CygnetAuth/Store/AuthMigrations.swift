import CygnetRuntime

/// The schema of cygnet-auth, forward-only. Add a new `Migration` at the end; never edit a released one.
enum AuthMigrations {
    static let module = "auth"

    static let all: [Migration] = [
        Migration(
            version: 1, name: "accounts, groups, clients, keys, grants",
            statements: [
                """
                CREATE TABLE auth_users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE,
                  display_name TEXT NOT NULL, email TEXT NOT NULL, password_hash TEXT NOT NULL,
                  disabled BOOLEAN NOT NULL, is_admin BOOLEAN NOT NULL, created_at BIGINT NOT NULL)
                """,
                """
                CREATE TABLE auth_groups (name TEXT PRIMARY KEY, description TEXT NOT NULL, created_at BIGINT NOT NULL)
                """,
                """
                CREATE TABLE auth_group_members (
                  group_name TEXT NOT NULL REFERENCES auth_groups(name) ON DELETE CASCADE,
                  user_id TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
                  PRIMARY KEY (group_name, user_id))
                """,
                "CREATE INDEX auth_group_members_user ON auth_group_members(user_id)",
                """
                CREATE TABLE auth_clients (id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash TEXT,
                  redirect_uris TEXT NOT NULL, post_logout_redirect_uris TEXT NOT NULL, scopes TEXT NOT NULL,
                  is_public BOOLEAN NOT NULL, client_credentials BOOLEAN NOT NULL, source TEXT NOT NULL,
                  created_at BIGINT NOT NULL)
                """,
                """
                CREATE TABLE auth_signing_keys (id TEXT PRIMARY KEY, algorithm TEXT NOT NULL, private_pem TEXT NOT NULL,
                  created_at BIGINT NOT NULL, retire_at BIGINT)
                """,
                """
                CREATE TABLE auth_grants (id TEXT PRIMARY KEY, user_id TEXT, client_id TEXT NOT NULL,
                  scope TEXT NOT NULL, nonce TEXT, auth_time BIGINT NOT NULL, created_at BIGINT NOT NULL,
                  revoked_at BIGINT)
                """,
                """
                CREATE TABLE auth_codes (code_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,
                  code_challenge TEXT, expires_at BIGINT NOT NULL, used_at BIGINT)
                """,
                """
                CREATE TABLE auth_refresh_tokens (token_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL,
                  created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT)
                """,
                "CREATE INDEX auth_refresh_tokens_grant ON auth_refresh_tokens(grant_id)",
                """
                CREATE TABLE auth_login_sessions (id_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL,
                  auth_time BIGINT NOT NULL, expires_at BIGINT NOT NULL)
                """,
            ])
    ]
}
