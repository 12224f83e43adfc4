import FileSystem

/// The plaintext files Alibaba Cloud users keep keys in
/// (docs/alibaba-cloud.md#files-users-already-have): the credentials INI file
/// (`~/.alibabacloud/credentials`) and the aliyun CLI's `~/.aliyun/config.json`. Read for
/// `import-keys` and, when nothing better has a key, as a credential source.
package enum CredentialFiles {
    /// The two kinds of file.
    package enum Format: String, Sendable {
        case credentialsFile = "credentials-file"
        case aliyunCLI = "aliyun-cli"
    }

    /// A profile read from a file: its key, or why it has none.
    package struct Profile: Sendable, Equatable {
        package var file: String
        package var format: Format
        package var name: String
        /// The key (with its role), or `nil`.
        package var key: AccessKey?
        /// Why there is no key: a type that holds none, a secret already moved to the keyring.
        package var refusal: String?
        /// Where the secret lives, for `--delete-source`: the profile whose secret fields to remove
        /// (a chained profile's secret is its source profile's).
        package var secretProfile: String
    }

    /// `ALIBABA_CLOUD_CREDENTIALS_FILE`, else `~/.alibabacloud/credentials`.
    package static func credentialsFilePath(environment: [String: String]) -> String? {
        environment.variable("ALIBABA_CLOUD_CREDENTIALS_FILE")
            ?? environment.variable("HOME").map { $0 + "/.alibabacloud/credentials" }
    }

    /// `ALIBABA_CLOUD_CONFIG_FILE`, else `~/.aliyun/config.json`.
    package static func aliyunCLIPath(environment: [String: String]) -> String? {
        environment.variable("ALIBABA_CLOUD_CONFIG_FILE")
            ?? environment.variable("HOME").map { $0 + "/.aliyun/config.json" }
    }

    /// The plaintext files, in the order Alibaba Cloud's credential chain reads them: the aliyun
    /// CLI's config, then the credentials file.
    package static func files(environment: [String: String]) -> [(path: String, format: Format)] {
        [
            (aliyunCLIPath(environment: environment), Format.aliyunCLI),
            (credentialsFilePath(environment: environment), .credentialsFile),
        ].compactMap { path, format in path.map { ($0, format) } }
    }

    /// The profile `name` (else `ALIBABA_CLOUD_PROFILE`, else the file's default) of the file at
    /// `path`, or `nil` when the file does not exist.
    /// - Throws: ``ACRError`` `.invalidSetting` for a file that cannot be read or parsed, or a
    ///   profile that is not in it.
    package static func profile(
        at path: String, format: Format?, named name: String?, environment: [String: String]
    ) throws(ACRError) -> Profile? {
        guard let bytes = try UserFiles.read(path) else { return nil }
        let chosen = name ?? environment.variable("ALIBABA_CLOUD_PROFILE")
        let format =
            format
            ?? (String(decoding: bytes.prefix(64), as: UTF8.self).trimmingWhitespace().hasPrefix("{")
                ? .aliyunCLI : .credentialsFile)
        switch format {
        case .credentialsFile: return try iniProfile(bytes, path: path, name: chosen ?? "default")
        case .aliyunCLI: return try cliProfile(bytes, path: path, name: chosen)
        }
    }

    /// The profiles of the file at `path` that still hold an AccessKey secret (none when the file
    /// does not exist).
    package static func profilesWithSecrets(at path: String, format: Format) throws(ACRError) -> [String] {
        guard let bytes = try UserFiles.read(path) else { return [] }
        switch format {
        case .credentialsFile:
            return iniSections(bytes)
                .filter { !($0.values["access_key_secret"] ?? "").isEmpty }.map(\.name)
        case .aliyunCLI:
            // Every copy counts: a secret a reader does not see is still in the file.
            guard let tree = try? JSONTree.parse(bytes) else { return [] }
            let profiles = tree.all("profiles").flatMap { list -> [JSONTree] in
                if case .array(let entries) = list { entries } else { [] }
            }
            return profiles.filter { entry in
                entry.all("access_key_secret").contains { !($0.stringValue ?? "").isEmpty }
            }.compactMap { $0["name"]?.stringValue }
        }
    }

    // MARK: ~/.alibabacloud/credentials

    /// The INI file's sections, each as its keys and values (inline ` #` / ` ;` comments cut, as
    /// the Python SDK does).
    static func iniSections(_ bytes: [UInt8]) -> [(name: String, values: [String: String])] {
        var sections: [(name: String, values: [String: String])] = []
        for rawLine in lines(bytes) {
            let line = String(decoding: rawLine, as: UTF8.self).trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                sections.append((String(line.dropFirst().dropLast()).trimmingWhitespace(), [:]))
                continue
            }
            guard !sections.isEmpty, let equals = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            var value = String(line[line.index(after: equals)...])
            for marker in [" #", "\t#", " ;", "\t;"] {
                if let cut = value.firstRange(of: marker) { value = String(value[..<cut.lowerBound]) }
            }
            sections[sections.count - 1].values[String(line[..<equals]).trimmingWhitespace().lowercased()] =
                value.trimmingWhitespace()
        }
        return sections
    }

    /// The file's lines, split at "\n" bytes only (each without it; a "\r" before it stays and is
    /// trimmed as white space). The reader and the secret remover split the same way, so a secret
    /// the reader sees is one the remover removes (fuzzing found a vertical tab that split them).
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    }

    private static func iniProfile(_ bytes: [UInt8], path: String, name: String) throws(ACRError) -> Profile {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ACRError(.invalidSetting, "\(path) is not UTF-8 text")
        }
        guard let values = iniSections(bytes).last(where: { $0.name == name })?.values else {
            throw ACRError(.invalidSetting, "\(path) has no profile [\(name)]")
        }
        var profile = Profile(
            file: path, format: .credentialsFile, name: name, key: nil, refusal: nil, secretProfile: name)
        let type = values["type"] ?? "access_key"
        let id = values["access_key_id"] ?? ""
        let secret = values["access_key_secret"] ?? ""
        switch type {
        case "access_key", "sts", "ram_role_arn":
            guard !id.isEmpty, !secret.isEmpty else {
                profile.refusal = "profile [\(name)] of \(path) holds no AccessKey secret (moved to the keyring?)"
                return profile
            }
            var key = AccessKey(id: id, secret: secret)
            if type == "sts" { key.securityToken = values["security_token"] }
            if type == "ram_role_arn", let arn = values["role_arn"], !arn.isEmpty {
                key.role = RAMRole(
                    arn: arn, sessionName: values["role_session_name"], externalID: values["external_id"],
                    policy: values["policy"])
            }
            profile.key = key
        default:
            profile.refusal =
                "profile [\(name)] of \(path) is of type \(type), which holds no AccessKey to import"
        }
        return profile
    }

    /// The file's bytes with the secret fields of section `name` replaced by a comment, `# FIELD: `
    /// and `note`; every other byte unchanged.
    static func iniWithoutSecrets(_ bytes: [UInt8], section name: String, note: String) -> [UInt8] {
        var out: [UInt8] = []
        var inSection = false
        for (index, line) in lines(bytes).enumerated() {
            if index > 0 { out.append(UInt8(ascii: "\n")) }
            let trimmed = String(decoding: line, as: UTF8.self).trimmingWhitespace()
            if trimmed.hasPrefix("["), trimmed.hasSuffix("]") {
                inSection = String(trimmed.dropFirst().dropLast()).trimmingWhitespace() == name
            }
            let key = trimmed.split(whereSeparator: { $0 == "=" || $0 == ":" }).first
                .map { String($0).trimmingWhitespace().lowercased() }
            guard inSection, let key, ["access_key_secret", "security_token"].contains(key), !trimmed.hasPrefix("#")
            else {
                out += line
                continue
            }
            out += Array("# \(key): \(note)".utf8)
            if line.last == UInt8(ascii: "\r") { out.append(UInt8(ascii: "\r")) }
        }
        return out
    }

    // MARK: ~/.aliyun/config.json

    private static func cliProfile(_ bytes: [UInt8], path: String, name: String?) throws(ACRError) -> Profile {
        let tree: JSONTree
        do {
            tree = try JSONTree.parse(bytes)
        } catch {
            throw ACRError(.invalidSetting, "\(path) is \(error)")
        }
        guard case .array(let profiles)? = tree["profiles"] else {
            throw ACRError(.invalidSetting, "\(path) has no profiles")
        }
        let chosen = name ?? tree["current"]?.stringValue ?? "default"
        func find(_ name: String) -> JSONTree? { profiles.first { $0["name"]?.stringValue == name } }
        guard let entry = find(chosen) else { throw ACRError(.invalidSetting, "\(path) has no profile \(chosen)") }
        var profile = Profile(
            file: path, format: .aliyunCLI, name: chosen, key: nil, refusal: nil, secretProfile: chosen)
        func text(_ entry: JSONTree, _ key: String) -> String? {
            entry[key]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        }
        func role(_ entry: JSONTree) -> RAMRole? {
            text(entry, "ram_role_arn").map {
                RAMRole(
                    arn: $0, sessionName: text(entry, "ram_session_name"), externalID: text(entry, "external_id"),
                    policy: text(entry, "policy"))
            }
        }
        let mode = (text(entry, "mode") ?? "AK").lowercased()
        var keyEntry = entry
        switch mode {
        case "ak", "ststoken", "ramrolearn":
            break
        case "chainableramrolearn":
            // The key is the source profile's (one level, as the aliyun CLI resolves it).
            guard let source = text(entry, "source_profile"), let sourceEntry = find(source) else {
                profile.refusal = "profile \(chosen) of \(path) names no source_profile that exists"
                return profile
            }
            keyEntry = sourceEntry
            profile.secretProfile = source
        default:
            profile.refusal =
                "profile \(chosen) of \(path) is in mode \(text(entry, "mode") ?? ""), which holds no AccessKey to import"
            return profile
        }
        guard let id = text(keyEntry, "access_key_id"), let secret = text(keyEntry, "access_key_secret") else {
            profile.refusal =
                "profile \(profile.secretProfile) of \(path) holds no AccessKey secret (moved to the keyring?)"
            return profile
        }
        var key = AccessKey(id: id, secret: secret)
        if mode == "ststoken" { key.securityToken = text(keyEntry, "sts_token") }
        if mode == "ramrolearn" || mode == "chainableramrolearn" { key.role = role(entry) }
        profile.key = key
        return profile
    }

    /// The file's bytes with the secret values of profile `name` emptied; every other byte unchanged.
    static func cliWithoutSecrets(_ bytes: [UInt8], profile name: String) throws(ACRError) -> [UInt8] {
        let parsed: (tree: JSONTree, spans: [[String]: [Range<Int>]])
        do {
            parsed = try JSONTree.parseWithSpans(bytes)
        } catch {
            throw ACRError(.invalidSetting, "the file is \(error)")
        }
        guard case .array(let profiles)? = parsed.tree["profiles"],
            let index = profiles.firstIndex(where: { $0["name"]?.stringValue == name })
        else { throw ACRError(.invalidSetting, "the file has no profile \(name)") }
        // Every copy of each field (a member named twice), from the last span to the first, so
        // that earlier offsets stay right.
        let ranges = ["access_key_secret", "sts_token"].flatMap { parsed.spans[["profiles", String(index), $0]] ?? [] }
            .sorted { $0.lowerBound > $1.lowerBound }
        var out = bytes
        for range in ranges { out.replaceSubrange(range, with: Array("\"\"".utf8)) }
        return out
    }

    /// `bytes` of the file `profile` came from, without that profile's secret.
    /// - Parameter note: in an INI file, said in the comment left where each secret was (where it
    ///   went); JSON has no comments, and the secret becomes `""`.
    package static func withoutSecret(_ bytes: [UInt8], of profile: Profile, note: String) throws(ACRError)
        -> [UInt8]
    {
        switch profile.format {
        case .credentialsFile: iniWithoutSecrets(bytes, section: profile.secretProfile, note: note)
        case .aliyunCLI: try cliWithoutSecrets(bytes, profile: profile.secretProfile)
        }
    }
}
