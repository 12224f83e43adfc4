import TestSupport
import Testing

/// Expects a helper run to have failed the way every keyring failure must: exit 1, one line on
/// stdout containing `message` (never the not-found text, which would send docker on
/// anonymously), at once: without waiting for any bound (a wait that ran out says "within"), and
/// well within the time a loaded machine may take.
func expectQuickFailure(
    _ result: ProcessResult, _ message: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(result.status == 1, sourceLocation: sourceLocation)
    #expect(result.stdoutText.contains(message), "\(result.stdoutText)", sourceLocation: sourceLocation)
    #expect(result.stdoutText.filter { $0 == "\n" }.count == 1, sourceLocation: sourceLocation)
    #expect(result.stdoutText != "credentials not found in native keychain\n", sourceLocation: sourceLocation)
    #expect(!result.stdoutText.contains("within"), "\(result.stdoutText)", sourceLocation: sourceLocation)
    #expect(result.elapsed < timingSlack, "\(result.elapsed)", sourceLocation: sourceLocation)
}
