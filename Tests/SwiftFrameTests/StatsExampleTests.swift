import XCTest
import SwiftFrame

/// The job of examples/swift/main.swift (and examples/c/stats.c) on a frame built
/// from Swift arrays: the mean of r = sqrt(x**2 + y**2) where y > 0, against a loop.
final class StatsExampleTests: XCTestCase {
  let n = 200_003  // several executor chunks, with a ragged end

  func makeData() -> ([Double], [Double]) {
    var rng = SystemRandomNumberGenerator()
    let x = (0..<n).map { _ in Double.random(in: -3...3, using: &rng) }
    let y = (0..<n).map { _ in Double.random(in: -3...3, using: &rng) }
    return (x, y)
  }

  func testMeanOfVirtualColumnUnderFilter() throws {
    let (x, y) = makeData()
    let df = try DataFrame([("x", x), ("y", y)])
    try df.addVirtualColumn("r", "sqrt(x**2 + y**2)")
    let positive = try df.filtered("y > 0")

    // The reference: a plain loop over the same arrays.
    var sum = 0.0, rows = 0
    for i in 0..<n where y[i] > 0 {
      sum += (x[i] * x[i] + y[i] * y[i]).squareRoot()
      rows += 1
    }
    let mean = sum / Double(rows)

    XCTAssertEqual(try positive.length(), rows)
    XCTAssertEqual(try positive.mean("r"), mean, accuracy: 1e-9 * mean)
    // The same through a selection on the unfiltered frame, and in one batch.
    XCTAssertEqual(try df.mean("r", selection: "y > 0"), mean, accuracy: 1e-9 * mean)
    let batch = try positive.aggregate([.init(.count, nil), .init(.mean, "r"), .init(.count, "r")])
    XCTAssertEqual(batch[0], .int64(Int64(rows)))
    XCTAssertEqual(batch[1].doubleValue, mean, accuracy: 1e-9 * mean)
    XCTAssertEqual(batch[2], .int64(Int64(rows)))
    // The frame itself kept no filter.
    XCTAssertEqual(try df.length(), n)
  }

  func testNoRowPassesTheFilter() throws {
    let df = try DataFrame([("x", [1.0, 2.0]), ("y", [-1.0, -2.0])])
    try df.addVirtualColumn("r", "sqrt(x**2 + y**2)")
    let positive = try df.filtered("y > 0")
    XCTAssertEqual(try positive.length(), 0)
    XCTAssertTrue(try positive.mean("r").isNaN)
  }

  func testErrorsTheExampleReports() throws {
    let (x, y) = makeData()
    let df = try DataFrame([("x", x), ("y", y)])
    XCTAssertThrowsError(try DataFrame.open("/nonexistent/swiftframe/missing.arrow")) {
      XCTAssertEqual(($0 as? SFError)?.code, .notFound)
      XCTAssertTrue(($0 as? SFError)?.message.contains("missing.arrow") ?? false)
    }
    XCTAssertThrowsError(try df.addVirtualColumn("r", "sqrt(x**2 + nope**2)")) {
      XCTAssertEqual(($0 as? SFError)?.code, .name)
      XCTAssertTrue(($0 as? SFError)?.message.contains("nope") ?? false)
    }
    XCTAssertThrowsError(try df.addVirtualColumn("r", "sqrt(x)**2 + y**2)")) {
      XCTAssertEqual(($0 as? SFError)?.code, .expression)
    }
    XCTAssertThrowsError(try df.filtered("y + 1")) { XCTAssertEqual(($0 as? SFError)?.code, .type) }
    XCTAssertEqual(df.columnNames, ["x", "y"], "failed calls leave the frame unchanged")
  }
}
