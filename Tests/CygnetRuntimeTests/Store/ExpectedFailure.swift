/// A deliberate failure thrown from transaction bodies.
struct ExpectedFailure: Error, Equatable {}
