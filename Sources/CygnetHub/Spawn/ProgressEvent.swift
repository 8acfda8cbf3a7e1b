/// One step of a spawn, as `/hub/api/users/<name>/server/progress` sends it (contract §9).
public struct ProgressEvent: Sendable, Equatable, Codable {
    public var progress: Int
    public var message: String
    public var ready: Bool?
    public var failed: Bool?
    public var url: String?
    public var htmlMessage: String?

    enum CodingKeys: String, CodingKey {
        case progress, message, ready, failed, url
        case htmlMessage = "html_message"
    }

    public var isFinal: Bool { ready == true || failed == true }
}
