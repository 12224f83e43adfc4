import Glibc

/// A temporary registry password kept in the keyring (kind `token`), so that most `get`s make no
/// API call (docs/design.md#the-password-cache).
public struct CachedToken: Sendable, Equatable {
    /// The temporary username ACR gave with the password.
    public var username: String
    /// The temporary password.
    public var password: String
    /// When it expires, in Unix seconds of this machine's clock.
    public var expiresAt: Int
    /// When it was minted, in Unix seconds of this machine's clock: its lifetime sets the margin.
    public var mintedAt: Int
    /// The AccessKey ID (or role) it was minted with.
    package var mintedBy: String
    /// The API base URL it was minted through.
    package var endpoint: String

    /// The longest any token is trusted, whatever it claims.
    package static let longestLife = 24 * 3600
    /// Refresh no later than this before expiry…
    package static let minimumMargin = 5 * 60
    /// The times (Unix seconds, 2000 to 2100) a token's expiry or minting may be: what the API, the
    /// keyring or a `Date` header says outside them is refused before any arithmetic is done on it.
    package static let plausibleTimes = 946_684_800...4_102_444_800

    /// An expiry the API gives in milliseconds, in Unix seconds; `nil` when it is not a plausible
    /// time (not a number, infinite, negative, or past 2100).
    package static func seconds(fromMilliseconds milliseconds: Double) -> Int? {
        guard milliseconds.isFinite, milliseconds >= 0, milliseconds < Double(plausibleTimes.upperBound) * 1000 else {
            return nil
        }
        let seconds = Int(milliseconds / 1000)
        return plausibleTimes.contains(seconds) ? seconds : nil
    }

    package init(
        username: String, password: String, expiresAt: Int, mintedAt: Int, mintedBy: String, endpoint: String
    ) {
        self.username = username
        self.password = password
        self.expiresAt = expiresAt
        self.mintedAt = mintedAt
        self.mintedBy = mintedBy
        self.endpoint = endpoint
    }

    /// A freshly minted token, its expiry moved to this machine's clock through the service's
    /// `Date` header, so that a skewed clock does not serve dead passwords.
    /// - Parameters:
    ///   - token: what the service returned.
    ///   - mintedBy: the AccessKey ID that minted it.
    ///   - now: this machine's time, Unix seconds.
    package init(_ token: RegistryToken, mintedBy: String, now: Int) {
        // A Date header from outside 2000–2100 says nothing about this machine's clock.
        let serverNow = token.serverDate.flatMap(HTTPDate.parse).flatMap { Self.plausibleTimes.contains($0) ? $0 : nil }
        let offset = serverNow.map { now - $0 } ?? 0
        self.init(
            username: token.username, password: token.password, expiresAt: token.expiresAt + offset, mintedAt: now,
            mintedBy: mintedBy, endpoint: token.endpoint)
    }

    /// How long before `expiresAt` it is refreshed, in seconds: 10% of its lifetime, at least
    /// five minutes.
    public var margin: Int { max(Self.minimumMargin, (expiresAt - mintedAt) / 10) }

    /// Whether it may be answered now instead of minting a new one: minted by `mintedBy` through
    /// one of `endpoints`, outside its refresh margin, and not claiming more than 24 hours of life.
    package func isReusable(now: Int, mintedBy: String, endpoints: [String]) -> Bool {
        self.mintedBy == mintedBy && endpoints.contains(endpoint) && expiresAt - now > margin
            && expiresAt - now <= Self.longestLife && mintedAt <= now
    }

    /// Why a freshly minted token is not to be used or cached, or `nil` when it may be: it expires
    /// before `now`, or further ahead than any token lives (with an hour's leeway for clocks).
    package func implausibleExpiry(now: Int) -> String? {
        if expiresAt <= now { return "it has already expired" }
        if expiresAt - now > Self.longestLife + 3600 { return "it claims to be valid for more than 24 hours" }
        return nil
    }

    /// Whether it still works at all (the fallback when a refresh fails).
    package func isAlive(now: Int) -> Bool {
        expiresAt > now && expiresAt - now <= Self.longestLife
    }
}

/// HTTP dates (RFC 9110 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`), as the `Date` header.
enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Unix seconds, or `nil` for anything else.
    static func parse(_ text: String) -> Int? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
            let day = Int(parts[1]), (1...31).contains(day),
            let month = months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3]), (1970...9999).contains(year)
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(month)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(hour)
        fields.tm_min = Int32(minute)
        fields.tm_sec = Int32(second)
        return Int(timegm(&fields))
    }
}
