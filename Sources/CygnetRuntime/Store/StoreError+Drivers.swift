import PostgresNIO
import SQLiteNIO

extension StoreError {
    /// Whether `error` is a UNIQUE or PRIMARY KEY violation from either driver, raw or already wrapped in a
    /// `StoreError`, so callers can answer "that name is taken" instead of a generic failure.
    public static func isUniqueViolation(_ error: any Error) -> Bool {
        switch error {
        case let error as StoreError:
            return error.underlying.map(isUniqueViolation) ?? false
        case let error as SQLiteError:
            switch error.reason {
            case .constraintUniqueFailed, .constraintPrimaryKeyFailed, .constraintUniqueRowIDFailed:
                return true
            case .constraint:
                // Without extended result codes SQLite only says "constraint"; the message names the kind.
                return error.message.hasPrefix("UNIQUE constraint failed")
            default:
                return false
            }
        case let error as PSQLError:
            return error.code == .server && error.serverInfo?[.sqlState] == uniqueViolationState
        default:
            return false
        }
    }

    /// A one-line account of a driver error for messages and logs. A `PSQLError` describes itself only as "generic"
    /// and its debug description may show the query and binds, so this picks out the server's message instead.
    static func summary(of error: any Error) -> String {
        guard let error = error as? PSQLError else {
            return String(describing: error)
        }
        if let message = error.serverInfo?[.message] {
            return message
        }
        if let underlying = error.underlying {
            return "\(error.code): \(String(describing: underlying))"
        }
        return "\(error.code)"
    }

    /// PostgreSQL's SQLSTATE for `unique_violation`.
    private static let uniqueViolationState = "23505"

    /// Turns a driver error into a `StoreError`; leaves every other error (the caller's own, cancellation) as it is.
    static func mapped(_ error: any Error) -> any Error {
        switch error {
        case let error as SQLiteError:
            return StoreError(sqlite: error)
        case let error as PSQLError:
            return StoreError(postgres: error)
        default:
            return error
        }
    }

    init(sqlite error: SQLiteError) {
        let code: Code
        switch error.reason {
        case .constraint, .constraintCheckFailed, .constraintForeignKeyFailed, .constraintNotNullFailed,
            .constraintPrimaryKeyFailed, .constraintUniqueFailed, .constraintUniqueRowIDFailed,
            .constraintTriggerFailed, .constraintStrictDataTypeFailed:
            code = .constraintViolation
        case .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked:
            code = .conflict
        default:
            code = .queryFailed
        }
        let advice = code == .conflict ? " Another process kept the database locked for too long; try again." : ""
        self.init(code: code, message: "SQLite: \(error.message).\(advice)", underlying: error)
    }

    init(postgres error: PSQLError) {
        guard error.code == .server else {
            self.init(
                code: .unavailable,
                message: "The connection to PostgreSQL failed (\(error.code)). "
                    + "Check that the server is running and reachable.",
                underlying: error
            )
            return
        }
        let state = error.serverInfo?[.sqlState] ?? ""
        let serverMessage = error.serverInfo?[.message] ?? "unknown error"
        let code: Code
        switch state {
        case let state where state.hasPrefix("23"):
            code = .constraintViolation
        case "40001", "40P01", "55P03":  // serialization_failure, deadlock_detected, lock_not_available
            code = .conflict
        case let state where state.hasPrefix("08") || state.hasPrefix("57P"):  // connection exception, shutdown
            code = .unavailable
        default:
            code = .queryFailed
        }
        self.init(code: code, message: "PostgreSQL: \(serverMessage) (SQLSTATE \(state)).", underlying: error)
    }
}
