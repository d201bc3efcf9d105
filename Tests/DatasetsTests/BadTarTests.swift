import Datasets
import Foundation
import TagoodSupport
import TagoodTestSupport
import Testing

/// Damaged tars are refused when planning, with the tar and the member named: truncated, cut inside a
/// member, a damaged header, a damaged inner tar, a member twice, a `..` in a name. Never a crash, never a
/// silent drop.
@Suite struct BadTarTests {
    static let members = ["c/a.jpg", "c/b.jpg", "c/d.jpg"]

    /// A tar of three 700-byte members and the plan error for its bytes after `damage`.
    static func planError(_ writer: TarMaker.Writer, _ damage: (inout [UInt8]) -> Void) throws -> (String, String) {
        let fx = try ArchiveFixture()
        for f in members { try fx.file(f) }
        let tar = try fx.tar("t.tar", writer, members)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: tar)))
        damage(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: tar))
        return (
            ArchiveFixture.error { _ = try fx.plan([DatasetSpec(name: "t", role: .idVal, layout: .tar, root: tar)]) },
            tar
        )
    }

    /// Where member `i`'s header is (every member is 700 bytes: 512 + 1024 per member, plus pax headers).
    static func headerOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var at = 0
        while at + 512 <= bytes.count, bytes[at..<(at + 512)].contains(where: { $0 != 0 }) {
            let flag = bytes[at + 156]
            let size =
                Int(
                    String(decoding: bytes[(at + 124)..<(at + 135)], as: UTF8.self).trimmingCharacters(
                        in: .whitespaces), radix: 8) ?? 0
            if flag == UInt8(ascii: "0") || flag == 0 { offsets.append(at) }
            at += 512 + (size + 511) / 512 * 512
        }
        return offsets
    }

    @Test(arguments: [TarMaker.Writer.pythonGNU, .gnuTarPax, .gnuTarUstar])
    func aTruncatedTarIsRefused(writer: TarMaker.Writer) throws {
        // Cut right after the second member: every header before is whole, the end marker is gone.
        let (error, tar) = try Self.planError(writer) { bytes in
            bytes.removeLast(bytes.count - Self.headerOffsets(bytes)[2])
        }
        #expect(error.contains("dataset.bad-archive") && error.contains(tar), "\(error)")
        #expect(error.contains("truncated") && error.contains("after member 'c/b.jpg'"), "\(error)")
    }

    @Test(arguments: [TarMaker.Writer.pythonPax, .gnuTarGNU])
    func aTarCutInsideAMemberIsRefusedNamingIt(writer: TarMaker.Writer) throws {
        let (error, tar) = try Self.planError(writer) { bytes in
            bytes.removeLast(bytes.count - Self.headerOffsets(bytes)[1] - 600)
        }
        #expect(error.contains("dataset.bad-archive") && error.contains(tar), "\(error)")
        #expect(error.contains("member 'c/b.jpg' needs 700 bytes") && error.contains("truncated"), "\(error)")
    }

    @Test func aDamagedHeaderIsRefused() throws {
        let (error, tar) = try Self.planError(.pythonUstar) { bytes in bytes[Self.headerOffsets(bytes)[1] + 3] ^= 0x20 }
        #expect(error.contains("dataset.bad-archive") && error.contains(tar), "\(error)")
        #expect(
            error.contains("is damaged: its checksum does not match") && error.contains("after member 'c/a.jpg'"),
            "\(error)")
    }

    @Test func aDamagedInnerTarIsRefusedNamingBothTars() throws {
        let fx = try ArchiveFixture()
        for f in ["n01/a.JPEG", "n01/b.JPEG"] { try fx.file(f) }
        let inner = fx.root + "/src/n01.tar"
        try TarMaker.pack(inner, writer: .pythonGNU, base: fx.root + "/src/n01", members: ["a.JPEG", "b.JPEG"])
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: inner)))
        bytes[Self.headerOffsets(bytes)[1] + 130] ^= 0x01 // a size digit: the checksum no longer matches
        try Data(bytes).write(to: URL(fileURLWithPath: inner))
        let outer = try fx.tar("train.tar", .gnuTarGNU, ["n01.tar"])
        let error = ArchiveFixture.error {
            _ = try fx.plan([DatasetSpec(name: "t", role: .idTrain, layout: .tar, root: outer)])
        }
        #expect(
            error.contains("dataset.bad-archive") && error.contains(outer)
                && error.contains("inner tar n01.tar is damaged"), "\(error)")
        #expect(error.contains("after member 'a.JPEG'"), "\(error)")
    }

    @Test(arguments: [TarMaker.Writer.pythonGNU, .gnuTarGNU])
    func aMemberTwiceIsRefused(writer: TarMaker.Writer) throws {
        let fx = try ArchiveFixture()
        try fx.file("c/a.jpg")
        try fx.file("c/b.jpg")
        // Python adds the file again; GNU tar stores the second as a hard link, or as a file with `tar -r`.
        let tar = try fx.tar("t.tar", writer, ["c/a.jpg", "c/b.jpg", "c/a.jpg"])
        let appended = try fx.tar("appended.tar", writer, ["c/a.jpg", "c/b.jpg"])
        try TarMaker.run("/usr/bin/env", ["tar", "-rf", appended, "-C", fx.root + "/src", "c/a.jpg"])
        let error2 = ArchiveFixture.error {
            _ = try fx.plan([DatasetSpec(name: "t", role: .idVal, layout: .tar, root: appended)])
        }
        #expect(error2.contains("dataset.duplicate-image") && error2.contains("'c/a.jpg' appears twice"), "\(error2)")
        let error = ArchiveFixture.error {
            _ = try fx.plan([DatasetSpec(name: "t", role: .idVal, layout: .tar, root: tar)])
        }
        #expect(
            error.contains("dataset.duplicate-image") && error.contains(tar)
                && error.contains("'c/a.jpg' appears twice"), "\(error)")
    }

    @Test func aMemberNameWithDotDotIsRefused() throws {
        let fx = try ArchiveFixture()
        let tar = try fx.tar("t.tar", .pythonGNU, ["c/../../escape.jpg@=bytes"])
        let error = ArchiveFixture.error {
            _ = try fx.plan([DatasetSpec(name: "t", role: .ood, layout: .tar, root: tar)])
        }
        #expect(error.contains("dataset.bad-archive") && error.contains("'..'") && error.contains(tar), "\(error)")
    }
}
