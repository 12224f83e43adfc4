import Foundation
import TestSupport
import Testing

/// A whole session of use with a known AccessKey secret and a known temporary password, then a
/// search for them in every output, every log line at debug level, and every file the helper
/// could have written: the secret appears nowhere, the password only on `get`'s stdout.
@Suite struct LeakTests {
    static let key = ACRAPIStub.Key(id: "LTAI5tLeakKey0000001", secret: "LeakSecretXq7Zp2Wm9Vb4Nc8Hd3")
    static let password = "TemporaryPasswordKj5Tr8Yu2Io6"
    static let host = "crpi-leak01.cn-hangzhou.personal.cr.aliyuncs.com"

    @Test func theSecretAppearsNowhereAndThePasswordOnlyOnGetsStdout() throws {
        let stub = try ACRAPIStub(
            keys: [Self.key], instances: [ACRAPIStub.Instance(id: "crpi-leak01", name: "crpi-leak01")],
            fixedTokens: ["crpi-leak01": Self.password])
        let keyring = try PrivateKeyring()
        var helper = try HelperBinary(keyring: keyring)
        let home = helper.environment["HOME"]!
        let temporary = try makeTemporaryDirectory(prefix: "leak-tmp")
        helper.environment["TMPDIR"] = temporary
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT"] = stub.endpoint
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_LOG_LEVEL"] = "debug"
        helper.environment["DOCKER_CONFIG"] = home + "/.docker"
        try FileManager.default.createDirectory(atPath: home + "/.alibabacloud", withIntermediateDirectories: true)
        try Data("[default]\naccess_key_id = \(Self.key.id)\naccess_key_secret = \(Self.key.secret)\n".utf8)
            .write(to: URL(fileURLWithPath: home + "/.alibabacloud/credentials"))

        func admin(_ arguments: [String], input: String = "") throws -> ProcessResult {
            try runProcess(PackagePaths.helper, arguments, input: Data(input.utf8), environment: helper.environment)
        }
        var outputs: [(name: String, result: ProcessResult)] = []
        outputs.append(("import-keys", try admin(["import-keys", "--delete-source"])))
        outputs.append(
            (
                "add-key",
                try admin(["add-key", "--access-key-id", Self.key.id, "--server", Self.host], input: Self.key.secret)
            ))
        outputs.append(("configure-docker", try admin(["configure-docker", "--registries", Self.host])))
        let get = try helper.run("get", Self.host)
        outputs.append(("get again", try helper.run("get", Self.host)))
        outputs.append(("list", try helper.run("list")))
        outputs.append(("list-keys", try admin(["list-keys"])))
        outputs.append(("doctor", try admin(["doctor", "--online"])))
        outputs.append(
            ("store echo", try helper.run("store", HelperBinary.storeRequest(Self.host, "cr_temp_user", Self.password)))
        )
        outputs.append(("evil host", try helper.run("get", Self.host + ".evil.example")))
        outputs.append(
            (
                "wrong secret",
                try admin(
                    ["add-key", "--access-key-id", Self.key.id, "--server", Self.host, "--online"],
                    input: "Wrong" + Self.key.secret)
            ))
        outputs.append(
            (
                "bad store",
                try helper.run(
                    "store",
                    #"{"ServerURL":"\#(Self.host)","Username":"LTAI5tLeakKey0000001","Secret":"\#(Self.key.secret)""#)
            ))
        outputs.append(("erase", try helper.run("erase", Self.host)))

        #expect(get.status == 0 && get.stdoutText.contains(Self.password))
        let statuses = Dictionary(outputs.map { ($0.name, $0.result.status) }) { first, _ in first }
        #expect(statuses["import-keys"] == 0 && statuses["add-key"] == 0 && statuses["configure-docker"] == 0)
        #expect(statuses["wrong secret"] == 1 && statuses["bad store"] == 1 && statuses["erase"] == 0)
        #expect(
            outputs.first { $0.name == "evil host" }?.result.stdoutText == "credentials not found in native keychain\n")
        #expect(!get.stderrText.contains(Self.password) && !get.stderrText.contains(Self.key.secret))
        for (name, result) in outputs {
            // `get again` answers the password on stdout, as it should; nothing else may show it.
            let shown = name == "get again" ? result.stderrText : result.stdoutText + result.stderrText
            #expect(!(result.stdoutText + result.stderrText).contains(Self.key.secret), "\(name) printed the secret")
            #expect(!shown.contains(Self.password), "\(name) printed the password")
        }

        // Files: HOME, the runtime folder (locks, bus), the keyring's own (encrypted) files, TMPDIR.
        let folders = [home, keyring.environment["XDG_RUNTIME_DIR"]!, keyring.environment["XDG_DATA_HOME"]!, temporary]
        for folder in folders {
            for (path, data) in try files(under: folder) {
                #expect(data.range(of: Data(Self.key.secret.utf8)) == nil, "\(path) holds the secret")
                #expect(data.range(of: Data(Self.password.utf8)) == nil, "\(path) holds the password")
            }
        }
        // What the helper created is private: files 0600, folders 0700.
        let created = [
            keyring.environment["XDG_RUNTIME_DIR"]! + "/docker-credential-acr-helper", home + "/.docker",
            home + "/.cache/docker-credential-acr-helper",
        ].filter { FileManager.default.fileExists(atPath: $0) }
        #expect(created.count >= 2)
        for path in created {
            #expect(try mode(path) == 0o700, "\(path)")
            for (file, _) in try files(under: path) { #expect(try mode(file) == 0o600, "\(file)") }
        }
    }

    func files(under folder: String) throws -> [(String, Data)] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var found: [(String, Data)] = []
        for case let relative as String in walker {
            let path = folder + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let data = FileManager.default.contents(atPath: path)
            else { continue }
            found.append((path, data))
        }
        return found
    }

    func mode(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }
}
