import XCTest
import SwiftFrame

/// The Swift API against straightforward reference loops, over several chunks.
final class DataFrameTests: XCTestCase {
  let n = 150_001  // more than two chunks, with a ragged end

  func makeFrame() throws -> (DataFrame, [Double], [Int8]) {
    var rng = SystemRandomNumberGenerator()
    let x = (0..<n).map { i in i % 97 == 0 ? Double.nan : Double.random(in: -10...10, using: &rng) }
    let k = (0..<n).map { _ in Int8.random(in: .min ... .max, using: &rng) }
    let df = try DataFrame([("x", x)])
    return (df, x, k)
  }

  func testStatisticsMatchReference() throws {
    let (df, x, _) = try makeFrame()
    let present = x.filter { !$0.isNaN }
    let mean = present.reduce(0, +) / Double(present.count)
    let variance = present.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(present.count)
    XCTAssertEqual(try df.count("x"), Int64(present.count))
    XCTAssertEqual(try df.count(), Int64(n))
    XCTAssertEqual(try df.mean("x"), mean, accuracy: 1e-9 * abs(mean) + 1e-12)
    XCTAssertEqual(try df.variance("x"), variance, accuracy: 1e-9 * variance)
    XCTAssertEqual(try df.std("x"), variance.squareRoot(), accuracy: 1e-9)
    let (lo, hi) = try df.minmax("x")
    XCTAssertEqual(lo, present.min()!)
    XCTAssertEqual(hi, present.max()!)
  }

  func testFilterVirtualColumnAndSelection() throws {
    let (df, x, _) = try makeFrame()
    try df.addVirtualColumn("y", "x * 2 + 1")
    let positive = try df.filtered("x > 0")
    let ref = x.filter { $0 > 0 }.map { $0 * 2 + 1 }
    XCTAssertEqual(try positive.length(), ref.count)
    XCTAssertEqual(try positive.sum("y"), ref.reduce(0, +), accuracy: 1e-9 * ref.reduce(0, +))
    XCTAssertEqual(try df.count("y", selection: "x > 0"), Int64(ref.count))
    XCTAssertEqual(try positive.values("y", as: Double.self), ref)
    // Slicing after the filter counts filtered rows.
    XCTAssertEqual(try positive.slice(10..<20).values("y", as: Double.self), Array(ref[10..<20]))
  }

  func testIntegerWrapAroundAndPythonDivision() throws {
    let k: [Int8] = [-128, -7, -1, 0, 1, 7, 127]
    let df = try DataFrame([("k", k)])
    XCTAssertEqual(try df.dtype(of: "k * 3"), .int8)
    XCTAssertEqual(try df.values("k * 3", as: Int8.self), k.map { $0 &* 3 })
    XCTAssertEqual(try df.values("k // 2", as: Int8.self), [-64, -4, -1, 0, 0, 3, 63])
    XCTAssertEqual(try df.values("k % 3", as: Int8.self), [1, 2, 2, 0, 1, 1, 1])
    XCTAssertEqual(try df.dtype(of: "k / 2"), .float64)
    XCTAssertEqual(try df.aggregate([.init(.sum, "k")])[0], .int64(Int64(k.reduce(0) { $0 + Int($1) })))
  }

  func testErrors() throws {
    let (df, _, _) = try makeFrame()
    XCTAssertThrowsError(try df.mean("nope")) { XCTAssertEqual(($0 as? SFError)?.code, .name) }
    XCTAssertThrowsError(try df.mean("x +")) { XCTAssertEqual(($0 as? SFError)?.code, .expression) }
    XCTAssertThrowsError(try df.filtered("x + 1")) { XCTAssertEqual(($0 as? SFError)?.code, .type) }
    try df.addVirtualColumn("a", "x + 1")
    try df.addVirtualColumn("b", "a + 1")
    XCTAssertThrowsError(try df.addVirtualColumn("a", "b")) { XCTAssertEqual(($0 as? SFError)?.code, .expression) }
    XCTAssertEqual(df.virtualExpression("a"), "x + 1", "a failed definition leaves the frame unchanged")
  }

  func testBinbyGroupbyAndUnique() throws {
    var rng = SystemRandomNumberGenerator()
    let x = (0..<n).map { _ in Double.random(in: -10...10, using: &rng) }
    let k = (0..<n).map { _ in Int64.random(in: 0..<7, using: &rng) }
    let df = try DataFrame([("x", x)])
    let keys = try DataFrame([("k", k)])
    // Cells of x over [-10, 10) in 4 bins, counted by hand.
    var cells = [Int64](repeating: 0, count: 4)
    for v in x { let c = Int((v + 10) / 20 * 4); if c >= 0 && c < 4 { cells[c] += 1 } }
    let grid = try df.aggregate([DataFrame.Request(.count, "x")], binby: [DataFrame.Axis("x", low: -10, high: 10, bins: 4)])
    XCTAssertEqual(grid[0].map { Int64(bitPattern: $0.bits) }, cells)
    // Groups of k: one row per distinct key, sorted, with the count of each.
    let groups = try keys.groupby(["k"], [DataFrame.Request(.count, nil)], resultNames: ["n"])
    let expected = (0..<7).map { key in Int64(k.filter { $0 == Int64(key) }.count) }
    XCTAssertEqual(try groups.values("k", as: Int64.self), Array(0..<7).map(Int64.init))
    XCTAssertEqual(try groups.values("n", as: Int64.self), expected)
    XCTAssertEqual(try keys.unique("k").values("values", as: Int64.self), Array(0..<7).map(Int64.init))
  }
}
