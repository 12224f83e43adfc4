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

    /// Regions become part of host names the helper signs requests for.
    @Test(arguments: ["evil.example#", "oss-cn-hangzhou", "cn-hangzhou.evil.example", "cn", "cn-hangzhou/x"])
    func stsRegionMustBeARegion(_ region: String) throws {
        let error = #expect(throws: ACRError.self) { try Settings(environment: ["ALIBABA_CLOUD_STS_REGION": region]) }
        #expect(error?.message.hasPrefix("ALIBABA_CLOUD_STS_REGION must be a region ID") == true)
        #expect(
            try Settings(environment: ["ALIBABA_CLOUD_STS_REGION": "cn-shanghai-finance-1"]).stsRegion
                == "cn-shanghai-finance-1")
    }

    @Test(arguments: ["oss-cn-hangzhou", "evil.example", "cn-hangzhou.evil", "x-y"])
    func instanceRegionMustBeARegion(_ region: String) {
        #expect(throws: ACRError.self) {
            try Settings(environment: ["DOCKER_CREDENTIAL_ACR_HELPER_REGION": region])
        }
    }

    /// The metadata service is reached over plain http: only its own address or this machine.
    @Test(arguments: [
        ("http://100.100.100.200", true), ("http://127.0.0.1:8080", true), ("http://[::1]:9", true),
        ("http://localhost:80", true), ("http://evil.example", false), ("http://127.evil.example.com", false),
        ("http://127.0.0.1.evil.example", false), ("https://100.100.100.200", false),
        ("http://100.100.100.200/latest", false), ("http://100.100.100.201", false), ("http://1270.0.0.1", false),
    ])
    func metadataEndpointIsTheMetadataServiceOrThisMachine(_ url: String, _ allowed: Bool) throws {
        let environment = ["DOCKER_CREDENTIAL_ACR_HELPER_ECS_METADATA_ENDPOINT": url]
        if allowed {
            #expect(try Settings(environment: environment).ecsMetadataEndpoint == url)
        } else {
            #expect(throws: ACRError.self) { try Settings(environment: environment) }
        }
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
