import Foundation
import TagoodTestSupport
import Testing

@testable import Reduce

/// Parity with scikit-learn on the cases of `tools/make_metric_fixtures.py`.
@Suite struct OODMetricsTests {
    struct Case: Decodable {
        var name: String
        var id: [Double]
        var ood: [Double]
        var auroc, aupr_in, aupr_out, fpr95_tagood, fpr95_openood: Double
    }

    struct FixtureFile: Decodable { var cases: [Case] }

    static let cases: [Case] = {
        let url = Bundle.module.url(forResource: "Fixtures/metrics", withExtension: "json")!
        return try! JSONDecoder().decode(FixtureFile.self, from: Data(contentsOf: url)).cases
    }()

    @Test(arguments: cases.map(\.name))
    func matchesScikitLearn(name: String) throws {
        let c = Self.cases.first { $0.name == name }!
        let m = try OODMetrics(id: c.id, ood: c.ood)
        let tolerance = 1e-9
        #expect(abs(m.auroc - c.auroc) < tolerance, "auroc \(m.auroc) vs sklearn \(c.auroc)")
        #expect(abs(m.auprIn - c.aupr_in) < tolerance, "aupr_in \(m.auprIn) vs sklearn \(c.aupr_in)")
        #expect(abs(m.auprOut - c.aupr_out) < tolerance, "aupr_out \(m.auprOut) vs sklearn \(c.aupr_out)")
        #expect(abs(m.fpr95TagOOD - c.fpr95_tagood) < tolerance, "fpr95_tagood \(m.fpr95TagOOD) vs \(c.fpr95_tagood)")
        #expect(
            abs(m.fpr95OpenOOD - c.fpr95_openood) < tolerance, "fpr95_openood \(m.fpr95OpenOOD) vs \(c.fpr95_openood)")
    }

    @Test func fixturesCoverTheRequiredCases() {
        let names = Set(Self.cases.map(\.name))
        for required in ["heavy-ties", "all-equal", "single-ood", "ood-30pct-tied-at-zero"] {
            #expect(names.contains(required))
        }
    }

    @Test func emptyOrNonFiniteScoresAreErrors() {
        #expect(throws: MetricsError.self) { try OODMetrics(id: [], ood: [1]) }
        #expect(throws: MetricsError.self) { try OODMetrics(id: [1], ood: []) }
        #expect(throws: MetricsError.self) { try OODMetrics(id: [1, .nan], ood: [0]) }
    }
}
