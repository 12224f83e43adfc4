import Crypto
/// Alibaba Cloud's request signature V3, `ACS3-HMAC-SHA256`, as a pure function: the date and
/// the nonce are arguments, so the official test vectors reproduce exactly.
///
/// See the V3 request structure documentation: the canonical request (method, path, sorted
/// percent-encoded query, sorted lower-cased signed headers, payload hash) is hashed, and the
/// hash HMAC-ed with the AccessKey secret as it is (no `&`).
package enum V3Signer {
    /// The algorithm name, first in the string to sign and the `Authorization` header.
    package static let algorithm = "ACS3-HMAC-SHA256"

    /// A request as it is signed.
    package struct Request: Sendable, Equatable {
        package var method: String
        /// The path: `/` for RPC-style APIs, the resource path (`/tokens`) for ROA.
        package var path: String
        /// Query parameters, not yet encoded.
        package var query: [String: String]
        /// Headers to send; all of them are signed. Names in any case.
        package var headers: [String: String]
        package var body: [UInt8]

        package init(
            method: String, path: String, query: [String: String] = [:], headers: [String: String],
            body: [UInt8] = []
        ) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }
    }

    /// The key signing is done with: an AccessKey, or STS credentials with their token.
    package struct Key: Sendable, Equatable {
        package var accessKeyID: String
        package var accessKeySecret: String
        package var securityToken: String?

        package init(accessKeyID: String, accessKeySecret: String, securityToken: String? = nil) {
            self.accessKeyID = accessKeyID
            self.accessKeySecret = accessKeySecret
            self.securityToken = securityToken
        }
    }

    /// Adds the signing headers to `request` and signs it.
    /// - Parameters:
    ///   - request: the request, with `host`, `x-acs-action` and `x-acs-version` among its headers.
    ///   - key: the AccessKey (and STS token) to sign with.
    ///   - date: UTC `yyyy-MM-ddTHH:mm:ssZ`; the service accepts 15 minutes either way.
    ///   - nonce: fresh for every request, retries included (a reused one is refused).
    /// - Returns: the headers to send: the request's own, the `x-acs-*` signing headers and
    ///   `Authorization`.
    package static func sign(_ request: Request, key: Key, date: String, nonce: String) -> [String: String] {
        var headers: [String: String] = [:]
        for (name, value) in request.headers { headers[name.lowercased()] = value }
        headers["x-acs-date"] = date
        headers["x-acs-signature-nonce"] = nonce
        headers["x-acs-content-sha256"] = Crypto.sha256Hex(request.body)
        if let token = key.securityToken {
            // As the official SDK sends them with STS credentials.
            headers["x-acs-accesskey-id"] = key.accessKeyID
            headers["x-acs-security-token"] = token
        }
        let parts = canonicalParts(request, headers: headers)
        headers["authorization"] = authorization(parts, key: key)
        return headers
    }

    /// The canonical request and the signed header list of `request` with `headers`.
    static func canonicalParts(_ request: Request, headers: [String: String]) -> (canonical: String, signed: String) {
        let names = headers.keys.map { $0.lowercased() }.sorted()
        let canonicalHeaders = names.map { "\($0):\((headers[$0] ?? "").trimmingWhitespace())\n" }.joined()
        let signed = names.joined(separator: ";")
        let canonical = [
            request.method, request.path.isEmpty ? "/" : request.path, canonicalQuery(request.query), canonicalHeaders,
            signed, headers["x-acs-content-sha256"] ?? Crypto.sha256Hex(request.body),
        ].joined(separator: "\n")
        return (canonical, signed)
    }

    /// `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…` (no spaces after the commas).
    static func authorization(_ parts: (canonical: String, signed: String), key: Key) -> String {
        let stringToSign = algorithm + "\n" + Crypto.sha256Hex(Array(parts.canonical.utf8))
        let signature = Crypto.hmacSHA256Hex(key: Array(key.accessKeySecret.utf8), Array(stringToSign.utf8))
        return "\(algorithm) Credential=\(key.accessKeyID),SignedHeaders=\(parts.signed),Signature=\(signature)"
    }

    /// Parameters sorted by name (bytes), `encode(name)=encode(value)` joined with `&`.
    package static func canonicalQuery(_ query: [String: String]) -> String {
        query.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            .map { percentEncode($0.key) + "=" + percentEncode($0.value) }
            .joined(separator: "&")
    }

    /// RFC 3986 unreserved characters as they are, every other UTF-8 byte as `%XX` (upper-case).
    package static func percentEncode(_ text: String) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
