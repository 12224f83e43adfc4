import ACR
import Testing

@Suite struct RegistryHostsTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let host: String
        let expected: ACRRegistry?
        var testDescription: String { host }
    }

    static func personal(_ region: String, vpc: Bool = false) -> ACRRegistry {
        ACRRegistry(edition: .personal, region: region, vpc: vpc)
    }
    static func enterprise(_ name: String, _ region: String, vpc: Bool = false) -> ACRRegistry {
        ACRRegistry(edition: .enterprise(name: name), region: region, vpc: vpc)
    }
    static func instance(_ id: String, _ region: String, vpc: Bool = false) -> ACRRegistry {
        ACRRegistry(edition: .instance(id: id), region: region, vpc: vpc)
    }

    @Test(arguments: [
        Case(host: "registry.cn-hangzhou.aliyuncs.com", expected: personal("cn-hangzhou")),
        Case(host: "https://registry.cn-hangzhou.aliyuncs.com/v2/", expected: personal("cn-hangzhou")),
        Case(host: "registry.cn-hangzhou.aliyuncs.com:443", expected: personal("cn-hangzhou")),
        Case(host: "Registry-VPC.cn-shanghai.aliyuncs.com", expected: personal("cn-shanghai", vpc: true)),
        Case(host: "registry-internal.cn-beijing.aliyuncs.com", expected: personal("cn-beijing")),
        Case(host: "registry-intl.ap-southeast-1.aliyuncs.com", expected: personal("ap-southeast-1")),
        Case(host: "registry-intl-vpc.ap-southeast-1.aliyuncs.com", expected: personal("ap-southeast-1", vpc: true)),
        Case(host: "registry.distributed.cn-hangzhou.aliyuncs.com", expected: personal("cn-hangzhou")),
        Case(host: "registry-vpc.distributed.cn-hangzhou.aliyuncs.com", expected: personal("cn-hangzhou", vpc: true)),
        Case(host: "myee-registry.cn-hangzhou.cr.aliyuncs.com", expected: enterprise("myee", "cn-hangzhou")),
        Case(
            host: "my-ee-registry-vpc.cn-hangzhou.cr.aliyuncs.com",
            expected: enterprise("my-ee", "cn-hangzhou", vpc: true)),
        Case(
            host: "a-registry-b-registry.us-west-1.cr.aliyuncs.com", expected: enterprise("a-registry-b", "us-west-1")),
        Case(
            host: "crpi-abc123.cn-hangzhou.personal.cr.aliyuncs.com", expected: instance("crpi-abc123", "cn-hangzhou")),
        Case(
            host: "crpi-abc123-vpc.cn-hangzhou.personal.cr.aliyuncs.com",
            expected: instance("crpi-abc123", "cn-hangzhou", vpc: true)),
        // Every form of region ID Alibaba Cloud uses.
        Case(host: "registry.cn-shanghai-finance-1.aliyuncs.com", expected: personal("cn-shanghai-finance-1")),
        Case(host: "registry-vpc.cn-north-2-gov-1.aliyuncs.com", expected: personal("cn-north-2-gov-1", vpc: true)),
        Case(host: "registry.cn-wuhan-lr.aliyuncs.com", expected: personal("cn-wuhan-lr")),
        Case(host: "registry-intl.ap-southeast-7.aliyuncs.com", expected: personal("ap-southeast-7")),
        Case(host: "registry-intl.na-south-1.aliyuncs.com", expected: personal("na-south-1")),
        Case(host: "registry-intl.rus-west-1.aliyuncs.com", expected: personal("rus-west-1")),
        Case(host: "registry.eu-central-1.aliyuncs.com", expected: personal("eu-central-1")),
        Case(host: "registry.me-east-1.aliyuncs.com", expected: personal("me-east-1")),
        Case(host: "registry.sa-east-1.aliyuncs.com", expected: personal("sa-east-1")),
        Case(host: "registry.af-south-1.aliyuncs.com", expected: personal("af-south-1")),
        Case(host: "registry.us-east-1.aliyuncs.com", expected: personal("us-east-1")),
    ])
    func recognisesACRHosts(_ test: Case) throws {
        #expect(RegistryHosts.registry(for: try ServerAddress(parsing: test.host)) == test.expected)
    }

    @Test(arguments: [
        "registry.cn-hangzhou.aliyuncs.com.evil.example", "evil.example", "registry.cn-hangzhou.aliyuncs.com.cn",
        "xregistry.cn-hangzhou.aliyuncs.com", "registry-foo.cn-hangzhou.aliyuncs.com", "registry.aliyuncs.com",
        "registry.hangzhou.aliyuncs.com", "registry.cn-hangzhou.evil.aliyuncs.com",
        "-registry.cn-hangzhou.cr.aliyuncs.com",
        "registry.cn-hangzhou.cr.aliyuncs.com", "my-ee-registry.cn-hangzhou.aliyuncs.com",
        "my_ee-registry.cn-hangzhou.cr.aliyuncs.com", "crpi-.cn-hangzhou.personal.cr.aliyuncs.com",
        "crpi-abc.cn-hangzhou.cr.aliyuncs.com", "abc.cn-hangzhou.personal.cr.aliyuncs.com",
        "oss.cn-hangzhou.aliyuncs.com", "cr.cn-hangzhou.aliyuncs.com", "index.docker.io", "127.0.0.1",
        "evil.example/registry.cn-hangzhou.aliyuncs.com",
        // Alibaba Cloud domains whose middle part is not a region: a signed request for
        // registry-vpc.oss-cn-hangzhou.aliyuncs.com would go to cr-vpc.oss-cn-hangzhou.aliyuncs.com, an
        // OSS bucket's address.
        "registry-vpc.oss-cn-hangzhou.aliyuncs.com", "registry.oss-accelerate.aliyuncs.com",
        "myee-registry.oss-cn-hangzhou.cr.aliyuncs.com", "crpi-abc.oss-cn-hangzhou.personal.cr.aliyuncs.com",
        "registry.xx-hangzhou.aliyuncs.com", "registry.cn-.aliyuncs.com",
        // The ACR shapes under someone else's domain.
        "registry.cn-hangzhou.evil.example", "myee-registry.cn-hangzhou.cr.evil.com",
        "registry.cn-hangzhou.aliyuncs.com.evil.com",
    ])
    func refusesEverythingElse(_ host: String) throws {
        #expect(RegistryHosts.registry(for: try ServerAddress(parsing: host)) == nil)
    }

    @Test func configuredDomainsPinAnInstancePortFirst() throws {
        let configured = [
            "registry.example.com": ConfiguredRegistry(instanceID: "cri-one", region: "cn-hangzhou"),
            "registry.example.com:5000": ConfiguredRegistry(instanceID: "cri-two", region: "cn-beijing"),
            "myee-registry-vpc.cn-hangzhou.cr.aliyuncs.com": ConfiguredRegistry(
                instanceID: "cri-ee", region: "cn-hangzhou"),
        ]
        func registry(_ host: String) throws -> ACRRegistry? {
            RegistryHosts.registry(for: try ServerAddress(parsing: host), configured: configured)
        }
        #expect(try registry("https://Registry.Example.com/v2/") == Self.instance("cri-one", "cn-hangzhou"))
        #expect(try registry("registry.example.com:5000") == Self.instance("cri-two", "cn-beijing"))
        #expect(try registry("registry.example.com:6000") == Self.instance("cri-one", "cn-hangzhou"))
        // A pinned system domain skips ListInstance and keeps its VPC preference.
        #expect(
            try registry("myee-registry-vpc.cn-hangzhou.cr.aliyuncs.com")
                == Self.instance("cri-ee", "cn-hangzhou", vpc: true))
        #expect(try registry("other.example.com") == nil)
    }

    @Test func theInstanceVariablesMakeEveryHostThatInstance() throws {
        let pinned = ConfiguredRegistry(instanceID: "cri-pinned", region: "cn-shenzhen")
        for host in ["anything.example.com", "registry.cn-hangzhou.aliyuncs.com", "index.docker.io"] {
            #expect(
                RegistryHosts.registry(for: try ServerAddress(parsing: host), pinned: pinned)
                    == Self.instance("cri-pinned", "cn-shenzhen"))
        }
    }
}

/// The config file's regions follow the same rule as hosts' (they make the API's host name).
@Suite struct ConfigFileRegionTests {
    func config(region: String) -> [UInt8] {
        Array(#"{"registries": {"r.example.com": {"instance_id": "cri-1", "region": "\#(region)"}}}"#.utf8)
    }

    @Test(arguments: ["oss-cn-hangzhou", "evil.example", "cn-hangzhou.evil.example#", "cn"])
    func aConfiguredRegionThatIsNoRegionIsRefused(_ region: String) {
        #expect(throws: ACRError.self) { try ConfigFile.parse(config(region: region), path: "config.json") }
    }

    @Test func aConfiguredRegionOfAnyRealFormIsTaken() throws {
        let file = try ConfigFile.parse(config(region: "cn-wuhan-lr"), path: "config.json")
        #expect(file.registries["r.example.com"] == ConfiguredRegistry(instanceID: "cri-1", region: "cn-wuhan-lr"))
    }
}
