/// The output of a child process `cygnet up` runs, passed through to the console line by line.
enum ChildOutput {
    /// Prints each line until the child closes its output. Cancellation (our shutdown) does not stop the reading:
    /// the child is being stopped then, and what it says while it stops — a failed flush, a lock it could not
    /// release — is often what the person at the terminal needs. Only if the output stays open well past `grace`
    /// (a grandchild holding the pipe) does the reading give up. The reader is an unstructured task because a
    /// child task would share our cancellation.
    static func passThrough<Lines: AsyncSequence & Sendable>(
        _ lines: Lines, grace: Duration, print: @escaping @Sendable (String) -> Void
    ) async throws where Lines.Element == String {
        let reader = Task {
            for try await line in lines { print(line) }
        }
        try await withTaskCancellationHandler {
            try await reader.value
        } onCancel: {
            Task {
                try? await Task.sleep(for: grace + .seconds(2))
                reader.cancel()
            }
        }
    }
}
