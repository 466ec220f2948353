import XCTest
import SwiftFrame

/// The mode statistic through the Swift API, against a dictionary of counts: per-thread
/// states merged over many chunks, ties to the smallest value, NaN skipped.
final class ModeTests: XCTestCase {
  let n = 200_003  // several executor chunks, with a ragged end

  /// The most frequent value of `values`, ties to the smallest; nil when empty.
  func reference(_ values: [Double]) -> Double? {
    var counts: [Double: Int] = [:]
    for v in values where !v.isNaN { counts[v, default: 0] += 1 }
    return counts.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
  }

  func testModeMatchesCounting() throws {
    var rng = SystemRandomNumberGenerator()
    let x = (0..<n).map { _ in Double(Int.random(in: 0..<40, using: &rng)) * 0.5 }
      .map { Double.random(in: 0..<1, using: &rng) < 0.3 ? Double.nan : $0 }  // NaN the most frequent value
    let df = try DataFrame([("x", x)])
    let r = try df.aggregate([.init(.mode, "x"), .init(.mode, "x", selection: "x > 12")])
    XCTAssertEqual(r[0].dtype, .float64)
    XCTAssertEqual(r[0].doubleValue, reference(x))
    XCTAssertEqual(r[1].doubleValue, reference(x.filter { $0 > 12 }))
  }

  func testTiesGoToTheSmallestAcrossChunks() throws {
    // 9 and -3 each 70 000 times, spread over every chunk; 4 one time less.
    let values: [Int64] = Array(repeating: 9, count: 70_000) + Array(repeating: -3, count: 70_000)
      + Array(repeating: 4, count: 69_999)
    var rng = SystemRandomNumberGenerator()
    let df = try DataFrame([("k", values.shuffled(using: &rng))])
    let r = try df.aggregate([.init(.mode, "k"), .init(.mode, "k", selection: "k > 100")])
    XCTAssertEqual(r[0], .int64(-3))
    XCTAssertTrue(r[1].isNull)
  }
}
