/// An error from the SQL store: opening the database, migrating it, or running a query.
///
/// `message` is written for a person (an operator or, via the service's error mapping, a user);
/// `underlying` keeps the driver's error for logs.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. Extensible: new codes may be added, so don't switch exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Hashable, Sendable {
            case cannotOpen
            case migration
            case constraintViolation
            case notFound
            case conflict
            case unavailable
            case queryFailed
            case nestedAccess
        }

        let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The database could not be opened or reached, or its location is malformed.
        public static let cannotOpen = Self(.cannotOpen)
        /// The schema could not be migrated (or the database is newer than this build).
        public static let migration = Self(.migration)
        /// A row broke a UNIQUE, PRIMARY KEY, FOREIGN KEY, NOT NULL or CHECK constraint.
        /// Use ``StoreError/isUniqueViolation(_:)`` to tell "already taken" apart from the rest.
        public static let constraintViolation = Self(.constraintViolation)
        /// A row the caller needed does not exist (thrown by callers of the store, not by the store itself).
        public static let notFound = Self(.notFound)
        /// A concurrent writer got in the way (serialization failure, deadlock, lock held too long); retrying may work.
        public static let conflict = Self(.conflict)
        /// The database connection failed or was closed while a query ran.
        public static let unavailable = Self(.unavailable)
        /// The database rejected a query (syntax, type or other error in the SQL).
        public static let queryFailed = Self(.queryFailed)
        /// `read` or `transaction` was called from inside another `read` or `transaction` of the same store,
        /// which would deadlock on SQLite's single connection.
        public static let nestedAccess = Self(.nestedAccess)

        public var description: String {
            self.base.rawValue
        }
    }

    public var code: Code
    /// What went wrong and what to do about it, for a person.
    public var message: String
    /// The driver's error, if any. Never shown to users; may be logged.
    public var underlying: (any Error)?

    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        guard let underlying else {
            return "StoreError.\(self.code): \(self.message)"
        }
        return "StoreError.\(self.code): \(self.message) (underlying: \(Self.summary(of: underlying)))"
    }
}

extension StoreError {
    static func cannotOpen(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(code: .cannotOpen, message: message, underlying: underlying)
    }

    static func migration(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(code: .migration, message: message, underlying: underlying)
    }
}
