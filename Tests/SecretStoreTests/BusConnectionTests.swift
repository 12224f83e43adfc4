import Foundation
import TestSupport
import Testing

@testable import SecretStore

/// The D-Bus layer's own rules, without a bus: replies read only when of the type due, whatever a
/// reply holds read without a trap, arguments libdbus would abort on never handed to it, and the
/// session bus found where libdbus and GLib look for it.
@Suite struct BusConnectionTests {
    /// An item's `GetAll` reply as a Secret Service sends it.
    static let getAll: [BusValue] = [
        .array(
            element: "{sv}",
            [
                .dictEntry(.string("Label"), .variant(.string("Alibaba Cloud AccessKey"))),
                .dictEntry(.string("Modified"), .variant(.uint64(1_764_633_600))),
                .dictEntry(.string("Locked"), .variant(.boolean(true))),
                .dictEntry(
                    .string("Attributes"), .variant(.stringDictionary(["kind": "token", "server": "h.example"]))),
                .dictEntry(.string("Created"), .variant(.uint64(1))),
            ])
    ]

    @Test func aGetAllReplyReadsBackAsTheItem() throws {
        let bytes = try #require(BusConnection.wireFormat(ofReplyWith: Self.getAll))
        let read = try #require(itemProperties(wireFormat: bytes))
        #expect(read.item.label == "Alibaba Cloud AccessKey")
        #expect(read.item.modified == 1_764_633_600)
        #expect(read.locked)
        #expect(read.item.attributes == ["kind": "token", "server": "h.example"])
    }

    /// A reply GDBus wrote (the fuzz seed `Fuzz/corpus/getall`, after its selector byte), read as
    /// libdbus and this layer read one from the bus: another implementation's bytes, not only ours.
    @Test func aGetAllReplyAnotherLibraryWroteReadsBack() throws {
        let seed = try Data(contentsOf: URL(fileURLWithPath: PackagePaths.root + "/Fuzz/corpus/getall"))
        let read = try #require(itemProperties(wireFormat: Array(seed.dropFirst())))
        #expect(read.item.label == "Alibaba Cloud AccessKey LTAI****ab12 for all ACR registries")
        #expect(read.item.attributes["kind"] == "access-key" && read.item.attributes["server"] == "*")
        #expect(read.item.modified == 1_764_633_600 && !read.locked)
    }

    /// Members of the wrong type are left unread, not trusted and not trapped on.
    @Test func mistypedMembersAreIgnored() throws {
        let reply: [BusValue] = [
            .array(
                element: "{sv}",
                [
                    .dictEntry(.string("Label"), .variant(.uint32(7))),
                    .dictEntry(.string("Modified"), .variant(.string("yesterday"))),
                    .dictEntry(.string("Locked"), .variant(.objectPath("/"))),
                    .dictEntry(.string("Attributes"), .variant(.array(element: "s", [.string("kind")]))),
                ])
        ]
        let bytes = try #require(BusConnection.wireFormat(ofReplyWith: reply))
        let read = try #require(itemProperties(wireFormat: bytes))
        #expect(read.item.label == "" && read.item.modified == 0 && !read.locked && read.item.attributes.isEmpty)
    }

    /// A reply of another signature than the call's is refused whole, as are bytes that are no
    /// message, a cut one among them.
    @Test func aReplyOfAnotherTypeOrNoMessageIsRefused() throws {
        let other = try #require(BusConnection.wireFormat(ofReplyWith: [.objectPaths(["/a", "/b"])]))
        guard case .failure(.malformed(let why)) = BusConnection.read(wireFormat: other, as: "(a{sv})") else {
            Issue.record("a reply of type (ao) read as (a{sv})")
            return
        }
        #expect(why.contains("(ao)"))
        let whole = try #require(BusConnection.wireFormat(ofReplyWith: Self.getAll))
        #expect(itemProperties(wireFormat: Array(whole.dropLast(3))) == nil)
        #expect(itemProperties(wireFormat: Array(repeating: 0x6c, count: 64)) == nil)
        #expect(itemProperties(wireFormat: []) == nil)
    }

    @Test func membersThatAreNotThereReadAsNothing() {
        let value = BusValue.structure([.string("one")])
        #expect(value.child(0).string == "one")
        #expect(value.child(1) == .other("") && value.child(-1) == .other(""))
        #expect(value.child(1).child(0).count == 0 && value.child(3).unboxed == nil && value.child(2).bytes == [])
    }

    @Test func signaturesAreTheValuesTypes() {
        #expect(BusConnectionTests.getAll[0].signature == "a{sv}")
        #expect(BusValue.structure([.objectPath("/"), .bytes([]), .bytes([1]), .string("")]).signature == "(oayays)")
        #expect(BusValue.objectPaths([]).signature == "ao")
    }

    /// libdbus aborts the process on an object path it does not take: each is checked first.
    @Test(arguments: ["", "a", "/a/", "//", "/a b", "/a-b", "/ä"])
    func anInvalidObjectPathIsNeverSent(_ path: String) {
        #expect(!BusConnection.isObjectPath(path))
        #expect(BusConnection.wireFormat(ofReplyWith: [.objectPath(path)]) == nil)
        #expect(BusConnection.wireFormat(ofReplyWith: [.objectPaths(["/ok", path])]) == nil)
    }

    @Test(arguments: ["/", "/org/freedesktop/secrets/collection/login/4", "/a_b/C9"])
    func aValidObjectPathIsSent(_ path: String) {
        #expect(BusConnection.isObjectPath(path))
    }

    @Test func theSessionBusIsTheAddressGivenElseTheRuntimeFoldersSocket() {
        let given = ["DBUS_SESSION_BUS_ADDRESS": "unix:path=/tmp/b", "XDG_RUNTIME_DIR": "/run/user/1"]
        #expect(BusConnection.sessionBusAddress(given) { _ in true } == "unix:path=/tmp/b")
        // Escaped as D-Bus addresses are: a space is %20.
        let runtime = ["DBUS_SESSION_BUS_ADDRESS": "", "XDG_RUNTIME_DIR": "/run/user/1 x"]
        #expect(
            BusConnection.sessionBusAddress(runtime) { $0 == "/run/user/1 x/bus" } == "unix:path=/run/user/1%20x/bus")
        #expect(BusConnection.sessionBusAddress(runtime) { _ in false } == nil)
        #expect(BusConnection.sessionBusAddress([:]) { _ in true } == nil)
    }
}
