import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Waits for the reason to stop: SIGTERM or SIGINT, or (when asked) the parent process going
/// away, noticed because the process gets re-parented.
enum ShutdownSignal {
    static func wait(watchingParent parent: pid_t?) async -> String {
        let (reasons, continuation) = AsyncStream.makeStream(of: String.self)
        let queue = DispatchQueue(label: "cygnet-proxy.signals")
        let sources = [SIGTERM, SIGINT].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler {
                continuation.yield(signalNumber == SIGTERM ? "SIGTERM" : "SIGINT")
            }
            source.resume()
            return source
        }
        defer {
            for source in sources { source.cancel() }
        }

        return await withTaskGroup(of: String?.self) { tasks in
            tasks.addTask {
                for await reason in reasons { return reason }
                return nil
            }
            if let parent {
                tasks.addTask {
                    while (try? await Task.sleep(for: .seconds(1))) != nil {
                        if getppid() != parent { return "parent process exited" }
                    }
                    return nil
                }
            }
            let reason = await tasks.next() ?? nil
            continuation.finish()
            tasks.cancelAll()
            return reason ?? "stopped"
        }
    }
}
