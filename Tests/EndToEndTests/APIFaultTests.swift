import Foundation
import TestSupport
import Testing

/// What the ACR API can do wrong, served by the stub: retried where a second try may pass (each
/// try signed afresh, which the stub checks by refusing a reused nonce), reported on one line
/// where it may not, and always within the deadline.
@Suite final class APIFaultTests: @unchecked Sendable {
    static let key = ACRAPIStub.Key(id: "LTAI5tFaultKey000001", secret: "FaultSecret0123456789abcdefgh")
    static let host = "crpi-fault1.cn-hangzhou.personal.cr.aliyuncs.com"

    let stub: ACRAPIStub
    var helper: HelperBinary

    init() throws {
        stub = try ACRAPIStub(
            keys: [Self.key], instances: [ACRAPIStub.Instance(id: "crpi-fault1", name: "crpi-fault1")])
        helper = try HelperBinary(keyring: PrivateKeyring())
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT"] = stub.endpoint
        #expect(try helper.run("store", HelperBinary.storeRequest(Self.host, Self.key.id, Self.key.secret)).status == 0)
    }

    func serve(_ faults: [ACRAPIStub.Fault], tokenLifetime: Int = 3600) throws {
        var configuration = ACRAPIStub.Configuration(
            keys: [Self.key], instances: [ACRAPIStub.Instance(id: "crpi-fault1", name: "crpi-fault1")],
            tokenLifetime: tokenLifetime)
        configuration.faults = faults
        try stub.reconfigure(configuration)
    }

    @Test func throttlingIsRetriedHonouringRetryAfterAndPasses() throws {
        try serve([ACRAPIStub.Fault("throttle", times: 2)])
        let result = try helper.run("get", Self.host)
        #expect(result.status == 0, "\(result.stdoutText)")
        #expect(stub.requests.map { $0.fault ?? "answered" } == ["throttle", "throttle", "answered"])
        #expect(result.elapsed >= .seconds(2))
    }

    @Test(arguments: [("503", "ServiceUnavailable (HTTP 503)"), ("html", "answered HTTP 502 with an HTML page")])
    func serverErrorsAreRetriedThreeTimesThenSaid(_ kind: String, _ said: String) throws {
        try serve([ACRAPIStub.Fault(kind, times: 5)])
        let result = try helper.run("get", Self.host)
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("cannot get a registry password for \(Self.host)"))
        #expect(result.stdoutText.contains(said), "\(result.stdoutText)")
        #expect(stub.requests.count == 3)
    }

    @Test(arguments: [
        ("truncated", "without the expected fields"), ("not_success", "INSTANCE_NOT_RUNNING (HTTP 200)"),
    ])
    func unusableAnswersAreNotRetried(_ kind: String, _ said: String) throws {
        try serve([ACRAPIStub.Fault(kind, times: 5)])
        let result = try helper.run("get", Self.host)
        #expect(result.status == 1 && result.stdoutText.contains(said), "\(result.stdoutText)")
        #expect(stub.requests.count == 1)
    }

    @Test func aServerThatNeverAnswersIsBoundedByTheDeadline() throws {
        try serve([ACRAPIStub.Fault("hang", times: 5)])
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_TIMEOUT"] = "1"
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_DEADLINE"] = "3"
        let result = try helper.run("get", Self.host)
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("did not answer in time") || result.stdoutText.contains("deadline"))
        #expect(result.elapsed >= .seconds(1) && result.elapsed < .seconds(3) + timingSlack, "\(result.elapsed)")
    }

    /// One deadline for the whole process: time spent waiting for stdin is not given again to the
    /// API (before, each step started the deadline afresh).
    @Test func theDeadlineCountsFromTheStartNotFromEachStep() throws {
        try serve([ACRAPIStub.Fault("hang", times: 5)])
        var environment = helper.environment
        environment["DOCKER_CREDENTIAL_ACR_HELPER_TIMEOUT"] = "30"
        environment["DOCKER_CREDENTIAL_ACR_HELPER_DEADLINE"] = "4"
        // docker writing the request 3 s late: the API then has what is left of the 4 s (1 s), not
        // a deadline of its own (7 s in all) nor its request time-out (33 s). The two outcomes are
        // 3 s apart, so that a loaded machine cannot make one look like the other.
        let result = try runProcess(
            "/bin/sh", ["-c", "(sleep 3; printf %s \(Self.host)) | exec \(PackagePaths.helper) get"],
            environment: environment)
        #expect(result.status == 1, "\(result.stdoutText)")
        #expect(result.stdoutText.contains("deadline") || result.stdoutText.contains("in time"), "\(result.stdoutText)")
        #expect(result.elapsed >= .seconds(3.9) && result.elapsed < .seconds(6.5), "\(result.elapsed)")
    }

    @Test func aRefusedConnectionIsSaidQuickly() throws {
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT"] = "http://127.0.0.1:9"
        let result = try helper.run("get", Self.host)
        #expect(result.status == 1 && result.stdoutText.contains("check the network connection"))
        #expect(result.elapsed < timingSlack, "\(result.elapsed)")
    }

    @Test func aFailedRefreshAnswersTheCachedPasswordWithAWarning() throws {
        // A 250-second password is always inside its 5-minute margin: every get refreshes.
        try serve([], tokenLifetime: 250)
        let first = try helper.run("get", Self.host)
        try serve([ACRAPIStub.Fault("503", times: 5)], tokenLifetime: 250)
        let second = try helper.run("get", Self.host)
        #expect(second.status == 0 && second.stdoutText == first.stdoutText)
        #expect(second.stderrText.contains("could not refresh the password for \(Self.host), answering the cached one"))
    }
}

/// An answer larger than any the API gives is cut off at 1 MiB and refused, whatever its size.
@Suite struct HugeAnswerTests {
    @Test func aHugeAnswerIsRefusedNotHeld() throws {
        let key = ACRAPIStub.Key(id: "LTAI5tHugeKey0000001", secret: "HugeSecret0123456789abcdefgh")
        var configuration = ACRAPIStub.Configuration(keys: [key])
        configuration.faults = [ACRAPIStub.Fault("huge", times: 5)]
        let stub = try ACRAPIStub(configuration)
        var helper = try HelperBinary(keyring: PrivateKeyring())
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT"] = stub.endpoint
        let host = "registry.cn-hangzhou.aliyuncs.com"
        #expect(try helper.run("store", HelperBinary.storeRequest(host, key.id, key.secret)).status == 0)
        let result = try helper.run("get", host)
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("answered more than 1 MiB: refused"), "\(result.stdoutText)")
        #expect(result.stdoutText.filter { $0 == "\n" }.count == 1)
        // Refused, not retried: a second try would be as large.
        #expect(stub.requests.count == 1)
    }
}
