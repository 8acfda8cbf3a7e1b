/// What an object in `data/` holds; the letter after the hash in its name says so.
public enum ObjectKind: Sendable {
    case file
    case catalog
    case chunk
    case history
    case certificate
    case metaInfo

    var suffix: String {
        switch self {
        case .file: ""
        case .catalog: "C"
        case .chunk: "P"
        case .history: "H"
        case .certificate: "X"
        case .metaInfo: "M"
        }
    }
}
