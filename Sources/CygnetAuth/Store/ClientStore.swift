import Crypto
public import CygnetRuntime
import Foundation
import SQLKit

/// Registered OIDC clients in the SQL store.
public struct ClientStore: Sendable {
    let store: SQLStore

    public init(store: SQLStore) {
        self.store = store
    }

    public func create(_ client: RegisteredClient) async throws {
        try await store.transaction { db in
            do {
                try await Self.insert(client, into: db)
            } catch  where StoreError.isUniqueViolation(error) {
                throw AuthError(.alreadyExists, "a client with the id '\(client.id)' already exists")
            }
        }
    }

    /// Replaces every client that came from the configuration file with `clients`, in one transaction.
    public func replaceConfigured(_ clients: [RegisteredClient]) async throws {
        try await store.transaction { db in
            try await db.raw("DELETE FROM auth_clients WHERE source = 'configuration'").run()
            for client in clients {
                do {
                    try await Self.insert(client, into: db)
                } catch  where StoreError.isUniqueViolation(error) {
                    throw AuthError(
                        .alreadyExists,
                        "the configuration names client '\(client.id)', but a client with that id was added with 'cygnet clients add'; remove one of them"
                    )
                }
            }
        }
    }

    /// Registers (or re-registers, with a new secret and this run's addresses) a client that `cygnet up` manages
    /// itself, such as the hub.
    public func replaceAppliance(_ client: RegisteredClient) async throws {
        try await store.transaction { db in
            try await db.raw("DELETE FROM auth_clients WHERE id = \(bind: client.id) AND source = 'appliance'").run()
            do {
                try await Self.insert(client, into: db)
            } catch  where StoreError.isUniqueViolation(error) {
                throw AuthError(
                    .alreadyExists,
                    "the client id '\(client.id)' is reserved for Cygnet's own services, but a client with that id was added with 'cygnet clients add' or the settings file; remove that one"
                )
            }
        }
    }

    static func insert(_ client: RegisteredClient, into db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO auth_clients (id, name, secret_hash, redirect_uris, post_logout_redirect_uris, scopes,
              is_public, client_credentials, source, created_at)
            VALUES (\(bind: client.id), \(bind: client.name), \(bind: client.secretHash),
              \(bind: client.redirectURIs.joined(separator: "\n")),
              \(bind: client.postLogoutRedirectURIs.joined(separator: "\n")), \(bind: client.scopes.joined(separator: " ")),
              \(bind: client.isPublic), \(bind: client.allowsClientCredentials), \(bind: client.source),
              \(bind: client.createdAt))
            """
        ).run()
    }

    public func find(id: String) async throws -> RegisteredClient? {
        try await store.read { db in
            try await db.raw("SELECT * FROM auth_clients WHERE id = \(bind: id)").first().map(Self.client)
        }
    }

    public func list() async throws -> [RegisteredClient] {
        try await store.read { db in
            try await db.raw("SELECT * FROM auth_clients ORDER BY id").all().map(Self.client)
        }
    }

    public func remove(id: String) async throws {
        try await store.transaction { db in
            guard try await db.raw("SELECT id FROM auth_clients WHERE id = \(bind: id)").first() != nil else {
                throw AuthError(.notFound, "there is no client with the id '\(id)'")
            }
            try await db.raw("DELETE FROM auth_clients WHERE id = \(bind: id)").run()
            try await db.raw(
                "UPDATE auth_grants SET revoked_at = 0 WHERE client_id = \(bind: id) AND revoked_at IS NULL"
            )
            .run()
        }
    }

    static func client(_ row: any SQLRow) throws -> RegisteredClient {
        func lines(_ column: String) throws -> [String] {
            try row.decode(column: column, as: String.self).split(separator: "\n").map(String.init)
        }
        return RegisteredClient(
            id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self),
            secretHash: try row.decode(column: "secret_hash", as: String?.self),
            redirectURIs: try lines("redirect_uris"),
            postLogoutRedirectURIs: try lines("post_logout_redirect_uris"),
            scopes: try row.decode(column: "scopes", as: String.self).split(separator: " ").map(String.init),
            isPublic: try row.decode(column: "is_public", as: Bool.self),
            allowsClientCredentials: try row.decode(column: "client_credentials", as: Bool.self),
            source: try row.decode(column: "source", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self))
    }
}
