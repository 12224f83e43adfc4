import Foundation
import TestSupport
import Testing

@testable import Helper

/// doctor's check for the plugin KWallet's encrypted sessions need: found wherever a pattern
/// points at it, missed when none does.
@Suite struct KWalletPluginCheckTests {
    @Test func thePluginIsFoundOnlyWhereItIs() throws {
        let root = try makeTemporaryDirectory(prefix: "qca")
        let patterns = [root + "/lib/*/qt5/plugins/crypto/libqca-ossl.so"]
        #expect(!DoctorCommand.kWalletCryptoPluginInstalled(patterns: patterns))
        try FileManager.default.createDirectory(
            atPath: root + "/lib/x86_64-linux-gnu/qt5/plugins/crypto", withIntermediateDirectories: true)
        #expect(!DoctorCommand.kWalletCryptoPluginInstalled(patterns: patterns))
        #expect(
            FileManager.default.createFile(
                atPath: root + "/lib/x86_64-linux-gnu/qt5/plugins/crypto/libqca-ossl.so", contents: Data()))
        #expect(DoctorCommand.kWalletCryptoPluginInstalled(patterns: patterns))
    }
}
