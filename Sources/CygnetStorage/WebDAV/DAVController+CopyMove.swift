import Foundation
import HTTPTypes
import Hummingbird

extension DAVController {
    func copyOrMove(_ call: Call, move: Bool) async throws -> Response {
        let verb = move ? "move" : "copy"
        guard let header = call.request.headers[.destination] else {
            throw StorageError(.badRequest, "A \(verb) needs a Destination header")
        }
        let target = try await locate(DAVTarget.destination(header), identity: call.identity)
        guard target.owner == call.owner else {
            guard !move else {
                throw StorageError(
                    .forbidden, "Moving between different people's files is not possible; copy, then delete")
            }
            return try await copyAcross(call, to: target)
        }
        let destination = target.path
        let source = call.path
        guard !source.isRoot else {
            throw StorageError(.forbidden, "The root of your space cannot be \(move ? "moved" : "copied")")
        }
        guard !destination.isRoot else {
            throw StorageError(.forbidden, "Nothing can replace the root of your space")
        }
        guard destination != source else { throw StorageError(.forbidden, "Source and destination are the same") }
        guard !destination.isWithin(source) else {
            throw StorageError(.conflict, "A folder cannot be \(move ? "moved" : "copied") into itself")
        }
        let overwrite = try Self.overwrite(call.request)
        let depth = try Self.depth(call.request, whenMissing: nil)
        if move && depth != nil {
            throw StorageError(.badRequest, "A folder is moved with everything in it (Depth: infinity)")
        }
        if depth == 1 { throw StorageError(.badRequest, "COPY takes Depth 0 or infinity") }
        let space = call.space
        let sourceEntry = try await blocking { try space.entry(source) }
        let existing = try await blocking { try space.entry(destination) }
        guard let sourceEntry else { throw StorageError(.notFound, "\(source) does not exist") }
        _ = try await blocking { try space.parentFolder(of: destination) }
        if existing != nil && !overwrite {
            throw StorageError(.preconditionFailed, "\(destination) exists and Overwrite is F")
        }
        try target.require(existing == nil ? .create : [.update, .delete], "add or replace files")
        try await checkLocks(call, paths: move ? [source, destination] : [destination], membership: true)
        let modified = try Self.clientModifiedTime(call.request)
        var reservation: QuotaTracker.Reservation?
        if !move {
            let (size, replaced) = try await blocking { () throws -> (Int64, Int64) in
                func size(_ path: SpacePath, _ entry: FileEntry?) throws -> Int64 {
                    guard let entry else { return 0 }
                    return entry.isDirectory ? try space.summary(of: path).totalSize : entry.size
                }
                return (try size(source, sourceEntry), try size(destination, existing))
            }
            reservation = try await quota.reserve(user: call.owner, space: space, bytes: size, replacing: replaced)
        }
        do {
            try await blocking { () throws in
                if existing != nil { try space.remove(destination) }
                if move {
                    try space.move(source, to: destination, replace: false)
                } else {
                    try space.copy(source, to: destination, recursive: depth == nil)
                }
                if let modified, !sourceEntry.isDirectory { try space.setModified(destination, to: modified) }
            }
        } catch {
            if let reservation { await quota.release(reservation) }
            throw error
        }
        if let reservation { await quota.release(reservation) }
        await quota.invalidate(user: call.owner)
        if move {
            try await index.moved(space: call.owner, from: source, to: destination)
            try await shareStore.moved(owner: call.owner, from: source, to: destination)
            await locks.release(space: call.owner, path: source)
        } else {
            try await index.copied(space: call.owner, from: source, to: destination)
        }
        await locks.release(space: call.owner, path: destination)
        var headers = HTTPFields()
        if let entry = try await blocking({ try space.entry(destination) }) {
            let id = try await index.record(space: call.owner, path: destination, entry: entry).id
            headers = uploadHeaders(entry: entry, id: id, modifiedAccepted: modified != nil)
            if entry.isDirectory { headers[.eTag] = nil }
        }
        return Self.empty(existing == nil ? .created : .noContent, headers: headers)
    }

    static func overwrite(_ request: Request) throws(StorageError) -> Bool {
        switch request.headers[.overwrite]?.uppercased() {
        case nil, "T": true
        case "F": false
        case let other?: throw StorageError(.badRequest, "Overwrite must be T or F, not \(other)")
        }
    }
}
