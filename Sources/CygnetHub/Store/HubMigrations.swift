import CygnetRuntime

/// The hub's schema, forward-only. Add a new `Migration` at the end; never edit a released one.
enum HubMigrations {
    static let module = "hub"

    static let all: [Migration] = [
        Migration(
            version: 1, name: "users, servers, tokens, OAuth clients, browser sessions",
            statements: [
                """
                CREATE TABLE hub_users (name TEXT PRIMARY KEY, is_admin BOOLEAN NOT NULL, groups_json TEXT NOT NULL,
                  created_at BIGINT NOT NULL, last_activity BIGINT, saved_options TEXT, notice TEXT)
                """,
                """
                CREATE TABLE hub_servers (user_name TEXT NOT NULL REFERENCES hub_users(name) ON DELETE CASCADE,
                  server_name TEXT NOT NULL, spawner_state TEXT NOT NULL, user_options TEXT NOT NULL,
                  started_at BIGINT NOT NULL, last_activity BIGINT NOT NULL, PRIMARY KEY (user_name, server_name))
                """,
                """
                CREATE TABLE hub_tokens (token_hash TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE,
                  user_name TEXT REFERENCES hub_users(name) ON DELETE CASCADE, service_name TEXT,
                  scopes TEXT NOT NULL, note TEXT NOT NULL, client_id TEXT, session_id TEXT,
                  created_at BIGINT NOT NULL, expires_at BIGINT, last_activity BIGINT)
                """,
                "CREATE INDEX hub_tokens_user ON hub_tokens(user_name)",
                """
                CREATE TABLE hub_oauth_clients (id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, redirect_uri TEXT NOT NULL,
                  scopes TEXT NOT NULL, user_name TEXT NOT NULL REFERENCES hub_users(name) ON DELETE CASCADE,
                  server_name TEXT NOT NULL)
                """,
                """
                CREATE TABLE hub_oauth_codes (code_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_name TEXT NOT NULL,
                  scopes TEXT NOT NULL, redirect_uri TEXT NOT NULL, code_challenge TEXT, session_id TEXT,
                  expires_at BIGINT NOT NULL)
                """,
                """
                CREATE TABLE hub_sessions (id_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL
                  REFERENCES hub_users(name) ON DELETE CASCADE, id_token TEXT NOT NULL, created_at BIGINT NOT NULL,
                  expires_at BIGINT NOT NULL)
                """,
            ])
    ]
}
