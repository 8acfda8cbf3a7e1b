extension StringProtocol {
    /// The text without whitespace (newlines too) at either end. Foundation's `trimmingCharacters(in:)` goes through
    /// NSString, which showed up in the profile of every upload's header parsing.
    public func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }
}
