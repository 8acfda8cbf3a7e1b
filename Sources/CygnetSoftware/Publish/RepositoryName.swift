/// A repository's fully qualified name (`stack.cygnet.local`): also a directory name and part of URLs, so it is
/// checked before it reaches either.
public struct RepositoryName: Sendable, Hashable, CustomStringConvertible {
    public let description: String

    public init(_ text: String) throws {
        let allowed = text.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        guard !text.isEmpty, text.utf8.count <= 64, allowed,
            text.first?.isLetter == true || text.first?.isNumber == true,
            !text.contains("..")
        else {
            throw SoftwareError(
                .invalidArgument,
                "'\(text)' is not a repository name: use lowercase letters, digits, '.', '-' and '_' "
                    + "(at most 64, starting with a letter or digit), for example software.cygnet.local")
        }
        description = text
    }
}
