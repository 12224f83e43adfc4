import FileSystem
import Foundation
import Testing

/// The environment the helper reads at start, from `environ` itself: every variable, whole.
@Suite struct ProcessEnvironmentTests {
    @Test func readsEveryVariableAsFoundationDoes() {
        let environment = ProcessEnvironment.current()
        // A value holding "=" is read whole: the tests' bus address (unix:path=…) is one.
        #expect(environment.values.contains { $0.contains("=") })
        #expect(environment == ProcessInfo.processInfo.environment)
    }
}
