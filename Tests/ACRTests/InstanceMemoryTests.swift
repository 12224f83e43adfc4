import ACR
import Foundation
import TestSupport
import Testing

@Suite struct InstanceMemoryTests {
    let cache: String
    var folder: String { cache + "/docker-credential-acr-helper" }

    init() throws { cache = try makeTemporaryDirectory(prefix: "instance-memory") }

    @Test func remembersAndForgetsAnInstance() throws {
        let memory = InstanceMemory(environment: ["XDG_CACHE_HOME": cache])
        memory.remember("cri-one", named: "myee", region: "cn-hangzhou")
        #expect(memory.instanceID(named: "myee", region: "cn-hangzhou") == "cri-one")
        #expect(memory.instanceID(named: "myee", region: "cn-beijing") == nil)
        let mode = try FileManager.default.attributesOfItem(atPath: folder + "/instances.json")[.posixPermissions]
        #expect(mode as? Int == 0o600)
        memory.remember(nil, named: "myee", region: "cn-hangzhou")
        #expect(memory.instanceID(named: "myee", region: "cn-hangzhou") == nil)
    }

    /// The file is the helper's own: a link put in its place is replaced, never written through.
    /// Guards against: remembering through `Files.replace` following links.
    @Test func aLinkInPlaceOfTheFileIsReplacedNotFollowed() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let elsewhere = cache + "/elsewhere.json"
        try Data("{}".utf8).write(to: URL(fileURLWithPath: elsewhere))
        try FileManager.default.createSymbolicLink(atPath: folder + "/instances.json", withDestinationPath: elsewhere)
        let memory = InstanceMemory(environment: ["XDG_CACHE_HOME": cache])
        memory.remember("cri-one", named: "myee", region: "cn-hangzhou")
        #expect(try String(contentsOfFile: elsewhere, encoding: .utf8) == "{}")
        let type = try FileManager.default.attributesOfItem(atPath: folder + "/instances.json")[.type]
        #expect(type as? FileAttributeType == .typeRegular)
        #expect(memory.instanceID(named: "myee", region: "cn-hangzhou") == "cri-one")
    }
}
