import ACR
import Logging
import Testing

@Suite struct SettingsTests {
    @Test func defaults() throws {
        let settings = try Settings(environment: [:])
        #expect(settings == Settings())
        #expect(settings.collection == "default")
        #expect(settings.logLevel == .warning)
        #expect(settings.timeout == .seconds(10))
        #expect(settings.deadline == .seconds(30))
    }

    @Test func readsEachVariable() throws {
        let settings = try Settings(environment: [
            "DOCKER_CREDENTIAL_ACR_HELPER_COLLECTION": "Work",
            "DOCKER_CREDENTIAL_ACR_HELPER_LOG_LEVEL": "DEBUG",
            "DOCKER_CREDENTIAL_ACR_HELPER_TIMEOUT": "3",
            "DOCKER_CREDENTIAL_ACR_HELPER_DEADLINE": "7",
        ])
        #expect(settings.collection == "Work")
        #expect(settings.logLevel == .debug)
        #expect(settings.timeout == .seconds(3))
        #expect(settings.deadline == .seconds(7))
    }

    @Test func emptyMeansUnset() throws {
        #expect(try Settings(environment: ["DOCKER_CREDENTIAL_ACR_HELPER_COLLECTION": ""]).collection == "default")
    }

    @Test(arguments: [
        ("TIMEOUT", "soon"), ("TIMEOUT", "0"), ("TIMEOUT", "-1"), ("DEADLINE", "601"), ("LOG_LEVEL", "loud"),
    ])
    func refusesValuesItCannotUseNamingTheVariable(_ name: String, _ value: String) {
        let error = #expect(throws: ACRError.self) {
            try Settings(environment: ["DOCKER_CREDENTIAL_ACR_HELPER_" + name: value])
        }
        #expect(error?.code == .invalidSetting)
        #expect(error?.message.hasPrefix("DOCKER_CREDENTIAL_ACR_HELPER_" + name + " must be") == true)
    }
}
