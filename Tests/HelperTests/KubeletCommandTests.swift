import Testing

@testable import Helper

@Suite struct KubeletCommandTests {
    @Test(
        arguments: [
            ("registry.cn-hangzhou.aliyuncs.com/ns/app:1", "registry.cn-hangzhou.aliyuncs.com"),
            ("Registry.Example.com:5000/a/b@sha256:00", "registry.example.com:5000"),
            ("localhost/app", "localhost"),
            ("nginx", nil), ("library/nginx:1", nil), ("user/repo", nil),
        ] as [(String, String?)])
    func registryHosts(_ image: String, _ host: String?) {
        #expect(KubeletCommand.registryHost(of: image) == host)
    }

    @Test func durationsAreWrittenAsGoWritesThem() {
        #expect(KubeletCommand.goDuration(0) == "0s")
        #expect(KubeletCommand.goDuration(59) == "59s")
        #expect(KubeletCommand.goDuration(3240) == "54m0s")
        #expect(KubeletCommand.goDuration(3661) == "1h1m1s")
    }
}
