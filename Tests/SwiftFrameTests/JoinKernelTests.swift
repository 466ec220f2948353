import XCTest
import SwiftFrame

/// The join kernel (build the right side's hash, stream the left) against a dictionary
/// reference, over several chunks and with keys of different widths.
final class JoinKernelTests: XCTestCase {
  let n = 40_000  // three chunks on the left

  /// Left rows and right rows of every pair, as a reference loop finds them.
  func reference(_ left: [Int64], _ right: [Int64], inner: Bool) -> [(Int64, Int64)] {
    var rows: [Int64: [Int64]] = [:]
    for (r, k) in right.enumerated() { rows[k, default: []].append(Int64(r)) }
    var out: [(Int64, Int64)] = []
    for (l, k) in left.enumerated() {
      if let m = rows[k] { for r in m { out.append((Int64(l), r)) } } else if !inner { out.append((Int64(l), -1)) }
    }
    return out
  }

  func rows(_ index: RowIndex?) -> [Int64]? { index.map { i in (0..<i.count).map { i[$0] } } }

  func run(_ l: DataFrame, _ r: DataFrame, inner: Bool) throws -> JoinMatches {
    let lk = try l.compile("k"), rk = try r.compile("k")
    let keys = try JoinKeys(left: lk.dtype, right: rk.dtype)
    let table = try buildJoinTable(Scan(table: r.table, rows: 0..<r.table.rowCount, filter: nil), key: rk, keys: keys)
    return try matchJoin(Scan(table: l.table, rows: 0..<l.table.rowCount, filter: nil), key: lk, keys: keys,
                         table: table, inner: inner, rightRows: r.table.rowCount)
  }

  func testUniqueIntKeysOfMixedWidths() throws {
    let leftKeys = (0..<n).map { _ in Int32.random(in: -3000...3000) }
    let rightKeys = Array((-2000..<2000).map(Int64.init).shuffled())
    let l = try DataFrame([("k", leftKeys)]), r = try DataFrame([("k", rightKeys)])
    for inner in [false, true] {
      let m = try run(l, r, inner: inner)
      let want = reference(leftKeys.map(Int64.init), rightKeys, inner: inner)
      XCTAssertEqual(inner ? rows(m.left) : rows(m.left) ?? Array(0..<Int64(n)), want.map(\.0))
      XCTAssertEqual(rows(m.right), want.map(\.1))
    }
    let keys = try JoinKeys(left: .int32, right: .int64)
    let table = try buildJoinTable(Scan(table: r.table, rows: 0..<r.table.rowCount, filter: nil),
                                   key: try r.compile("k"), keys: keys)
    XCTAssertFalse(table.hasDuplicates)
  }

  func testDuplicateStringKeys() throws {
    let leftKeys = (0..<n).map { _ in Int64.random(in: 0..<8) }
    let rightKeys = (0..<50).map { _ in Int64.random(in: 0..<6) }
    let l = try DataFrame([("c", leftKeys)]), r = try DataFrame([("c", rightKeys)])
    // String keys made from the integers by the expression engine.
    let table = try buildJoinTable(Scan(table: r.table, rows: 0..<r.table.rowCount, filter: nil),
                                   key: try stringKey(r), keys: JoinKeys(left: .largeString, right: .largeString))
    XCTAssertTrue(table.hasDuplicates)
    for inner in [false, true] {
      let m = try matchJoin(Scan(table: l.table, rows: 0..<l.table.rowCount, filter: nil), key: try stringKey(l),
                            keys: JoinKeys(left: .largeString, right: .largeString), table: table, inner: inner,
                            rightRows: r.table.rowCount)
      let want = reference(leftKeys, rightKeys, inner: inner)
      XCTAssertEqual(rows(m.left), want.map(\.0))
      XCTAssertEqual(rows(m.right), want.map(\.1))
    }
  }

  /// `c` as decimal text.
  func stringKey(_ df: DataFrame) throws -> Program { try df.compile("astype(c, 'str')") }

  func testMismatchedKeyTypesAreATypeError() {
    XCTAssertThrowsError(try JoinKeys(left: .int64, right: .string))
    XCTAssertThrowsError(try JoinKeys(left: .float64, right: .int64))
    XCTAssertNoThrow(try JoinKeys(left: .uint8, right: .int64))
  }
}
