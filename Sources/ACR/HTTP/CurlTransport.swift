internal import CCurl
import FileSystem
import FoundationEssentials

// The only Swift file that calls libcurl: directly (through the CCurl shim, which loads it on first
// use), not through FoundationNetworking, which would add milliseconds to every start and tens of
// megabytes to a static binary.

/// HTTP over libcurl: TLS always verified, no redirects, http and https only, bounded in time.
///
/// libcurl honours the proxy variables users set for curl (`HTTPS_PROXY`, `NO_PROXY`, …) by
/// itself; `SSL_CERT_FILE` and `CURL_CA_BUNDLE`, which only the curl program reads, are passed on,
/// and so is `SSL_CERT_DIR`.
///
/// Where no variable names them, the certificate authorities come from the system's hashed
/// certificate folder rather than libcurl's bundle: OpenSSL 3.0 (Debian 12's) takes ≈ 18 ms to
/// load the 140 certificates of `/etc/ssl/certs/ca-certificates.crt` for every TLS request (curl
/// to a local TLS server: 26 ms with the bundle, 8 ms with the one certificate needed), while a
/// hashed folder is looked up for the one issuer it needs.
package struct CurlTransport: HTTPTransport {
    private let trust: Trust?
    private let userAgent: String

    /// Where the certificates that verify a server come from.
    enum Trust: Equatable {
        /// A bundle file (`CAINFO`).
        case bundle(String)
        /// A folder of certificates named by their subject hashes (`CAPATH`), and no bundle.
        case folder(String)
        /// The bundle libcurl was built with.
        case libcurlDefault
    }

    /// The system's certificate folder (Debian, Ubuntu and their kind keep it hashed).
    static let systemFolder = "/etc/ssl/certs"

    /// - Parameters:
    ///   - environment: the process environment, for the CA variables.
    ///   - userAgent: the `User-Agent` sent.
    package init(environment: [String: String], userAgent: String) {
        if let bundle = environment.variable("CURL_CA_BUNDLE") ?? environment.variable("SSL_CERT_FILE") {
            trust = .bundle(bundle)
        } else if let folder = environment.variable("SSL_CERT_DIR") {
            trust = .folder(folder)
        } else {
            // Decided at the first https request, from the system's folder: most runs make none.
            trust = nil
        }
        self.userAgent = userAgent
    }

    package func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        if let failure = acr_curl_load() {
            throw TransportError(.other, "cannot load libcurl (\(String(cString: failure))): install libcurl4")
        }
        guard request.url.hasPrefix("https:") else { return try perform(request, trust: .libcurlDefault) }
        if let trust { return try perform(request, trust: trust) }
        guard Self.systemFolderIsHashed else { return try perform(request, trust: .libcurlDefault) }
        do {
            return try perform(request, trust: .folder(Self.systemFolder))
        } catch  where error.kind == .tls {
            // A folder whose hashes miss an authority the bundle has: the bundle decides.
            return try perform(request, trust: .libcurlDefault)
        }
    }

    /// Whether the system's certificate folder holds certificates under their subject hashes
    /// (`5fd4af6a.0`), as OpenSSL's folder lookup needs.
    private static let systemFolderIsHashed: Bool = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: systemFolder)) ?? []
        return names.contains { name in
            let parts = name.split(separator: ".")
            return parts.count == 2 && parts[0].count == 8 && parts[0].allSatisfy(\.isHexDigit)
                && parts[1].allSatisfy(\.isNumber)
        }
    }()

    /// One request with `trust` for its TLS certificates.
    private func perform(_ request: HTTPRequest, trust: Trust) throws(TransportError) -> HTTPResponse {
        guard let handle = acr_curl_easy_init() else {
            throw TransportError(.other, "libcurl could not start a request")
        }
        defer { acr_curl_easy_cleanup(handle) }

        let collector = ResponseCollector()
        let context = Unmanaged.passUnretained(collector).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { acr_curl_slist_free_all(headerList) }
        for (name, value) in request.headers {
            headerList = acr_curl_slist_append(headerList, "\(name): \(value)")
        }
        // Without this libcurl adds "Expect: 100-continue" to larger bodies and waits for it.
        headerList = acr_curl_slist_append(headerList, "Expect:")

        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        // Every option is checked: a request libcurl did not take as set (an unknown option, no
        // memory) is never sent. `refused` names the first option it refused.
        var refused: (option: String, code: CURLcode)? = nil
        func set(_ option: String, _ code: CURLcode) {
            if code != CURLE_OK && refused == nil { refused = (option, code) }
        }
        let code: CURLcode = request.body.withUnsafeBufferPointer { body in
            errorBuffer.withUnsafeMutableBufferPointer { errors in
                set("URL", acr_curl_setopt_string(handle, CURLOPT_URL, request.url))
                set("PROTOCOLS", Self.onlyHTTP(handle))
                set("FOLLOWLOCATION", acr_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
                set("NOSIGNAL", acr_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
                set(
                    "CONNECTTIMEOUT_MS",
                    acr_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout)))
                set("TIMEOUT_MS", acr_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout)))
                set("SSL_VERIFYPEER", acr_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1))
                set("SSL_VERIFYHOST", acr_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2))
                switch trust {
                case .bundle(let file): set("CAINFO", acr_curl_setopt_string(handle, CURLOPT_CAINFO, file))
                case .folder(let folder):
                    set("CAPATH", acr_curl_setopt_string(handle, CURLOPT_CAPATH, folder))
                    set("CAINFO", acr_curl_setopt_string(handle, CURLOPT_CAINFO, nil))  // no bundle beside it
                case .libcurlDefault: break
                }
                if request.noProxy { set("NOPROXY", acr_curl_setopt_string(handle, CURLOPT_NOPROXY, "*")) }
                set("USERAGENT", acr_curl_setopt_string(handle, CURLOPT_USERAGENT, userAgent))
                set("HTTPHEADER", acr_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
                set("ERRORBUFFER", acr_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress))
                set("WRITEFUNCTION", acr_curl_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, collectBody))
                set("WRITEDATA", acr_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
                set("HEADERFUNCTION", acr_curl_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, collectHeader))
                set("HEADERDATA", acr_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
                switch request.method {
                case "GET":
                    set("HTTPGET", acr_curl_setopt_long(handle, CURLOPT_HTTPGET, 1))
                case "POST":
                    set("POST", acr_curl_setopt_long(handle, CURLOPT_POST, 1))
                    // The size first: COPYPOSTFIELDS copies that many bytes (bodies here are small).
                    set("POSTFIELDSIZE", acr_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count))
                    // An empty body still needs a pointer: a static empty string lives forever.
                    let fields =
                        body.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) }
                        ?? UnsafeMutableRawPointer(mutating: Self.emptyBody.utf8Start)
                    set("COPYPOSTFIELDS", acr_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, fields))
                default:
                    set("CUSTOMREQUEST", acr_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method))
                }
                guard refused == nil else { return CURLE_FAILED_INIT }
                return acr_curl_easy_perform(handle)
            }
        }
        let target = Self.describe(request.url)
        if let refused {
            throw TransportError(
                .other,
                "libcurl refused CURLOPT_\(refused.option) for \(request.method) \(target) "
                    + "(\(String(cString: acr_curl_easy_strerror(refused.code)))): the request was not sent")
        }
        if collector.overflowed {
            throw TransportError(
                .tooLarge, "\(request.method) \(target) answered more than \(Self.responseLimit >> 20) MiB: refused")
        }
        guard code == CURLE_OK else {
            let buffered = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let detail =
                buffered.isEmpty ? String(cString: acr_curl_easy_strerror(code)) : buffered.trimmingWhitespace()
            throw TransportError(Self.kind(of: code), "\(request.method) \(target) failed: \(detail)")
        }
        var status = 0
        guard acr_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK, (100...599).contains(status)
        else {
            throw TransportError(.other, "\(request.method) \(target) answered without an HTTP status")
        }
        return HTTPResponse(status: status, headers: collector.headers, body: collector.body)
    }

    /// Allows only http and https (no redirect to another protocol, no `file:`): by name where
    /// libcurl knows `CURLOPT_PROTOCOLS_STR` (7.85 and later), else by the older bit mask (Ubuntu
    /// 22.04 ships 7.81, RHEL 9 7.76).
    private static func onlyHTTP(_ handle: UnsafeMutableRawPointer) -> CURLcode {
        let byName = acr_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        guard byName == CURLE_UNKNOWN_OPTION else { return byName }
        return acr_curl_setopt_long(handle, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
    }

    /// The most a response may hold, body and headers each: every answer the helper reads is a
    /// few kilobytes; more is refused before it is held in memory.
    static let responseLimit = 1 << 20

    /// A URL without its query, for messages: the query may name an instance, never a secret, but
    /// nothing is gained by repeating it.
    private static func describe(_ url: String) -> String {
        String(url.prefix { $0 != "?" })
    }

    private static func kind(of code: CURLcode) -> TransportError.Kind {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT: .connect
        case CURLE_OPERATION_TIMEDOUT: .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS:
            .tls
        default: .other
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        max(1, Int((duration / .milliseconds(1)).rounded(.up)))
    }

    private static let emptyBody: StaticString = ""
}

/// Gathers what libcurl hands to the callbacks.
private final class ResponseCollector {
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    var headerBytes = 0
    /// Set when the body or the headers went past ``CurlTransport/responseLimit``: the transfer
    /// was stopped there.
    var overflowed = false
}

/// CURLOPT_WRITEFUNCTION: appends a piece of the body.
private let collectBody: curl_write_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    guard collector.body.count + length <= CurlTransport.responseLimit else {
        collector.overflowed = true
        return 0  // libcurl stops the transfer (CURLE_WRITE_ERROR)
    }
    data.withMemoryRebound(to: UInt8.self, capacity: length) {
        collector.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
    }
    return length
}

/// CURLOPT_HEADERFUNCTION: one header line at a time; a new status line starts a new set
/// (after a proxy's CONNECT, or a 100 Continue).
private let collectHeader: curl_write_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    collector.headerBytes += length
    guard collector.headerBytes <= CurlTransport.responseLimit else {
        collector.overflowed = true
        return 0
    }
    let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
    }
    if line.hasPrefix("HTTP/") {
        collector.headers = [:]
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        collector.headers[name] = String(line[line.index(after: colon)...]).trimmingWhitespace()
    }
    return length
}
