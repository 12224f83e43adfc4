import Foundation
import TestSupport
import Testing

/// What KeePassXC does differently from GNOME Keyring and KWallet, each met: its per-program item
/// access, confirmed deletions, the `default` alias that follows the database opened last, and
/// the Recycle Bin. The other keyring suites run against every service; these need KeePassXC.
@Suite(.enabled(if: PrivateKeyring.Service.current == .keePassXC, "KeePassXC's own behaviour"))
struct KeePassXCTests {
    /// With KeePassXC's defaults a service-wide search waits on an unlock dialog while every
    /// database is locked: the helper never makes one then, and says "locked" at once.
    @Test func aLockedDatabaseWithKeePassXCsDefaultsIsSaidLockedAtOnce() throws {
        let helper = try HelperBinary(keyring: PrivateKeyring(.locked, strict: true))
        for (action, input) in [
            ("get", "reg.example.com"), ("list", ""), ("store", HelperBinary.storeRequest("reg.example.com", "a", "b")),
            ("erase", "reg.example.com"),
        ] {
            expectQuickFailure(try helper.run(action, input), "the keyring collection \"Passwords\" is locked")
        }
    }

    /// With KeePassXC's defaults every new program must be allowed to use each item; each helper
    /// process is a new program. Without a display nobody can allow it: said at once, and as
    /// what it is (not "locked"). With one, KeePassXC's question waits at most the unlock time-out.
    @Test func itemsKeePassXCHasNotAllowedAreSaidSoNeverWaitedOnForever() throws {
        var helper = try HelperBinary(keyring: PrivateKeyring(strict: true))
        #expect(try helper.run("store", HelperBinary.storeRequest("reg.example.com", "alice", "one")).status == 0)
        let refused = try helper.run("get", "reg.example.com")
        expectQuickFailure(refused, "KeePassXC has not allowed this program to use its items in \"Passwords\"")
        #expect(refused.stdoutText.contains("Confirm when passwords are retrieved by clients"))
        expectQuickFailure(
            try helper.run("store", HelperBinary.storeRequest("reg.example.com", "alice", "two")),
            "KeePassXC has not allowed this program")

        helper.environment["DISPLAY"] = ":0"
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_UNLOCK_TIMEOUT"] = "2"
        let asked = try helper.run("get", "reg.example.com")
        #expect(asked.status == 1)
        #expect(asked.stdoutText.contains("has not allowed this program to use its items in \"Passwords\" (the unlock"))
        #expect(asked.stdoutText.filter { $0 == "\n" }.count == 1)
        #expect(asked.elapsed >= .seconds(2) && asked.elapsed < .seconds(2) + timingSlack, "\(asked.elapsed)")
    }

    /// KeePassXC confirms deleting an entry for good (a database without a Recycle Bin): without
    /// a display that is said within a second, and nothing is deleted.
    @Test func aDeletionKeePassXCWantsConfirmedIsSaidAndDeletesNothing() throws {
        let keyring = try PrivateKeyring(strict: true, recycleBin: false, autosave: true)
        let helper = try HelperBinary(keyring: keyring)
        #expect(try helper.run("store", HelperBinary.storeRequest("reg.example.com", "alice", "one")).status == 0)
        let erased = try helper.run("erase", "reg.example.com")
        #expect(erased.status == 1)
        #expect(
            erased.stdoutText.hasPrefix(
                "cannot erase credentials for reg.example.com: KeePassXC asks to confirm each deletion from "
                    + "\"Passwords\", and no one can answer without a display"), "\(erased.stdoutText)")
        #expect(erased.stdoutText.contains("Confirm when clients request entry deletion"))
        // Without a display the prompt gets a second to complete by itself, then is dismissed.
        #expect(erased.elapsed >= .seconds(1) && erased.elapsed < .seconds(1) + timingSlack, "\(erased.elapsed)")
        #expect(try keyring.keePassXCEntries().contains(#""Root","Registry login alice for reg.example.com""#))
    }

    /// KeePassXC moves its `default` alias to the database opened last: the helper says where its
    /// items are instead of finding nothing, and finds them when told.
    @Test func whenTheDefaultMovesToAnotherDatabaseTheUserIsToldWhere() throws {
        let keyring = try PrivateKeyring()
        var helper = try HelperBinary(keyring: keyring)
        #expect(try helper.run("store", HelperBinary.storeRequest("reg.example.com", "alice", "one")).status == 0)
        try keyring.openOtherDatabase()
        for (action, input) in [("get", "reg.example.com"), ("list", "")] {
            expectQuickFailure(
                try helper.run(action, input),
                "the keyring collection \"Other\" holds none of this helper's items, but \"Passwords\" does: "
                    + "set DOCKER_CREDENTIAL_ACR_HELPER_COLLECTION=\"Passwords\"")
        }
        // A host nothing was stored for is still simply not found.
        #expect(try helper.run("get", "other.example.com").stdoutText == "credentials not found in native keychain\n")
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_COLLECTION"] = "Passwords"
        #expect(
            try helper.run("get", "reg.example.com").stdoutText
                == #"{"ServerURL":"reg.example.com","Username":"alice","Secret":"one"}"# + "\n")
    }

    /// What KeePassXC deletes goes to its Recycle Bin, secret and all: erase says so on stderr.
    @Test func eraseSaysWhereKeePassXCKeepsWhatItDeleted() throws {
        let keyring = try PrivateKeyring(autosave: true)
        let helper = try HelperBinary(keyring: keyring)
        #expect(try helper.run("store", HelperBinary.storeRequest("reg.example.com", "alice", "s3cret")).status == 0)
        let erased = try helper.run("erase", "reg.example.com")
        #expect(erased.status == 0 && erased.stdoutText.isEmpty)
        #expect(
            erased.stderrText.contains("KeePassXC keeps deleted entries, their secrets readable, in the database's"))
        #expect(erased.stderrText.contains("Empty recycle bin"))
        // KeePassXC writes its database file a moment after the change.
        var entries = ""
        for _ in 0..<50 {
            entries = try keyring.keePassXCEntries()
            if entries.contains("Recycle Bin") { break }
            usleep(100_000)
        }
        #expect(entries.contains(#""Root/Recycle Bin","Registry login alice for reg.example.com""#), "\(entries)")
        // Nothing deleted, nothing to say.
        #expect(try helper.run("erase", "reg.example.com").stderrText.isEmpty)
    }
}

/// Where the Secret Service removes what is deleted for good, nothing is said about it.
@Suite struct SecretServiceDifferencesTests {
    @Test(.enabled(if: PrivateKeyring.Service.current != .keePassXC))
    func eraseSaysNothingWhereDeletedMeansGone() throws {
        let helper = try HelperBinary(keyring: PrivateKeyring())
        #expect(try helper.run("store", HelperBinary.storeRequest("reg.example.com", "alice", "s3cret")).status == 0)
        let erased = try helper.run("erase", "reg.example.com")
        #expect(erased.status == 0 && erased.stdoutText.isEmpty && erased.stderrText.isEmpty)
        #expect(try helper.independentlyStoredItems().isEmpty)
    }
}

/// `doctor` names the Secret Service that answers.
@Suite struct DoctorSecretServiceTests {
    @Test func doctorNamesTheSecretServiceAnswering() throws {
        let keyring = try PrivateKeyring()
        let helper = try HelperBinary(keyring: keyring)
        let doctor = try runProcess(PackagePaths.helper, ["doctor"], environment: helper.environment)
        let name =
            switch keyring.service {
            case .gnomeKeyring: "GNOME Keyring"
            case .keePassXC: "KeePassXC"
            case .kWallet: "KWallet"
            }
        #expect(doctor.stdoutText.contains("ok       Secret Service: \(name) answering\n"), "\(doctor.stdoutText)")
    }
}
