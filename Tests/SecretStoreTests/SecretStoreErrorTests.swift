import Testing

@testable import SecretStore

/// What a time-out says of its bound.
@Suite struct SecretStoreErrorTests {
    @Test(arguments: [
        (Duration.seconds(5), "within 5 s:"), (.milliseconds(990), "within 990 ms:"),
        (.milliseconds(1), "within 1 ms:"),
    ])
    func aTimeOutNamesItsBoundAndNeverZeroSeconds(limit: Duration, said: String) {
        let text = SecretStoreError.timedOut(after: limit, collection: "default").description
        #expect(text.contains(said), "\(text)")
    }
}
