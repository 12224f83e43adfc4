import ACR
import Testing

@Suite struct ServerAddressTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let input: String
        let key: String
        var testDescription: String { input }
    }

    @Test(arguments: [
        Case(input: "registry.example.com", key: "registry.example.com"),
        Case(input: "Registry.Example.COM", key: "registry.example.com"),
        Case(input: "registry.example.com:5000", key: "registry.example.com:5000"),
        Case(input: "https://registry.example.com", key: "registry.example.com"),
        Case(input: "https://registry.example.com/", key: "registry.example.com"),
        Case(input: "https://Registry.Example.com:5000/v2/", key: "registry.example.com:5000"),
        Case(input: "http://127.0.0.1:5000/v2/repo?x=1#y", key: "127.0.0.1:5000"),
        Case(input: "https://index.docker.io/v1/", key: "index.docker.io"),
        Case(input: "registry.cn-hangzhou.aliyuncs.com", key: "registry.cn-hangzhou.aliyuncs.com"),
        Case(input: "[::1]:5000", key: "[::1]:5000"),
        Case(input: "https://[FE80::1]/v2/", key: "[fe80::1]"),
        Case(input: "localhost", key: "localhost"),
        Case(input: "my_host.internal", key: "my_host.internal"),
    ])
    func normalises(_ test: Case) throws {
        #expect(try ServerAddress(parsing: test.input).description == test.key)
    }

    @Test func keepsHostAndPortApart() throws {
        let address = try ServerAddress(parsing: "https://Reg.Example.com:443/")
        #expect(address.host == "reg.example.com")
        #expect(address.port == 443)
        #expect(try ServerAddress(parsing: "reg.example.com").port == nil)
    }

    @Test(arguments: [
        "", "https://", "https:///v2/", ":5000", "reg.example.com:", "reg.example.com:0", "reg.example.com:65536",
        "reg.example.com:50a", "reg.example.com:1:2", "reg example.com", "reg.example.com\tx", "reg..example.com",
        ".reg.example.com", "reg.example.com.", "[::1", "[::g]", "[::1]x", "reg.exämple.com", "reg.example.com\0",
        "1ht tp://reg.example.com", "://reg.example.com", "reg\n.example.com",
        String(repeating: "a", count: 254),
    ])
    func refusesWhatNoHostNameHolds(_ input: String) {
        let error = #expect(throws: ACRError.self) { try ServerAddress(parsing: input) }
        #expect(error?.code == .invalidServerURL)
    }

    @Test func refusesUserInformationWithoutRepeatingIt() {
        for input in ["user:hunter2@reg.example.com", "https://user:hunter2@reg.example.com/v2/", "a@b"] {
            let error = #expect(throws: ACRError.self) { try ServerAddress(parsing: input) }
            #expect(error?.code == .invalidServerURL)
            #expect(error?.message.contains("hunter2") == false)
            #expect(error?.message.contains("user name or password") == true)
        }
    }
}
