extension String {
    /// Without leading and trailing white space, as Go's `strings.TrimSpace` and Python's `strip`.
    package func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }
}
