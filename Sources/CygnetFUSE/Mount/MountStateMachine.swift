/// The life of one ``FUSEMount``: idle, mounting, mounted (serving), unmounting, finished. Each transition
/// returns what the owner must do; the owner holds the machine behind its lock and performs the actions.
///
/// Generic over the session so its tests need no kernel.
struct MountStateMachine<Session> {
    enum State {
        /// Not run yet; `unmountRequested` when ``unmountRequested()`` came first.
        case idle(unmountRequested: Bool)
        case mounting(unmountRequested: Bool)
        case mounted(Session)
        case unmounting(Session)
        case finished
    }

    private(set) var state: State = .idle(unmountRequested: false)

    enum StartAction: Equatable {
        /// Go ahead and mount.
        case mount
        /// `unmount()` came before `run()`: return without mounting.
        case returnAtOnce
        /// `run()` was called before: refuse, a mount runs once.
        case refuse
    }

    mutating func start() -> StartAction {
        switch state {
        case .idle(unmountRequested: false):
            state = .mounting(unmountRequested: false)
            return .mount
        case .idle(unmountRequested: true):
            state = .finished
            return .returnAtOnce
        case .mounting, .mounted, .unmounting, .finished:
            return .refuse
        }
    }

    enum MountedAction: Equatable {
        /// Run the request loop until the kernel lets go.
        case serve
        /// `unmount()` arrived while mounting: take the mount down without serving.
        case unmountAtOnce
    }

    mutating func mounted(_ session: Session) -> MountedAction {
        guard case .mounting(let unmountRequested) = state else {
            preconditionFailure("mounted while \(state)")
        }
        state = unmountRequested ? .unmounting(session) : .mounted(session)
        return unmountRequested ? .unmountAtOnce : .serve
    }

    mutating func mountFailed() {
        state = .finished
    }

    enum UnmountAction {
        /// Nothing to take down (not mounted yet, or already going).
        case none
        /// End the request loop of `session`; the serving thread then unmounts.
        case stopServing(Session)
    }

    mutating func unmountRequested() -> UnmountAction {
        switch state {
        case .idle:
            state = .idle(unmountRequested: true)
            return .none
        case .mounting:
            state = .mounting(unmountRequested: true)
            return .none
        case .mounted(let session):
            state = .unmounting(session)
            return .stopServing(session)
        case .unmounting, .finished:
            return .none
        }
    }

    /// The loop returned (or was skipped); the session may be torn down once this returns, so nobody may use
    /// it afterwards. Returns whether the stop was asked for, as opposed to an unmount from outside.
    mutating func stopped() -> Bool {
        let requested: Bool
        switch state {
        case .mounted: requested = false
        case .unmounting: requested = true
        case .idle, .mounting, .finished: preconditionFailure("stopped while \(state)")
        }
        state = .finished
        return requested
    }

    /// The session while it serves requests, for cache invalidations; nil before and once unmounting.
    var liveSession: Session? {
        guard case .mounted(let session) = state else { return nil }
        return session
    }
}

extension MountStateMachine.UnmountAction: Equatable where Session: Equatable {}
