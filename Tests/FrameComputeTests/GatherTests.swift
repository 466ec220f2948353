#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import FrameCompute
import FrameStorage

/// The gather kernels against a scalar reference: a table of two record batches (int32
/// with missing values, bools, strings), read through a row index with a missing row
/// (-1), and as a joined second source beside an unindexed first one.
final class GatherTests: XCTestCase {
  /// Keeps the column memory alive for a test.
  private var buffers: [UnsafeMutableRawPointer] = []

  override func tearDown() {
    buffers.forEach { $0.deallocate() }
    buffers = []
  }

  private func bytes<T>(_ values: [T]) -> UnsafeRawPointer {
    let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, values.count * MemoryLayout<T>.stride), alignment: 64)
    values.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: $0.count) } }
    buffers.append(p)
    return UnsafeRawPointer(p)
  }

  private func bits(_ flags: [Bool]) -> UnsafePointer<UInt8> {
    var packed = [UInt8](repeating: 0, count: (flags.count + 7) / 8)
    for (i, f) in flags.enumerated() where f { packed[i >> 3] |= 1 << UInt8(i & 7) }
    return bytes(packed).assumingMemoryBound(to: UInt8.self)
  }

  /// Batch of rows `values`: int32 `v` (missing where nil), bool `b`, string `s`.
  private func batch(_ values: [Int32?], _ flags: [Bool], _ words: [String]) -> RecordBatch {
    let n = values.count
    let v = ColumnChunk(dtype: .int32, length: n, values: bytes(values.map { $0 ?? 0 }),
                        validity: bits(values.map { $0 != nil }), nullCount: values.filter { $0 == nil }.count)
    let b = ColumnChunk(dtype: .bool, length: n, values: UnsafeRawPointer(bits(flags)), validity: nil, nullCount: 0)
    var offsets: [Int32] = [0], text: [UInt8] = []
    for w in words {
      text += Array(w.utf8)
      offsets.append(Int32(text.count))
    }
    let s = ColumnChunk(dtype: .string, length: n, values: bytes(text), validity: nil, nullCount: 0,
                        offsets: bytes(offsets))
    return RecordBatch(length: n, columns: [v, b, s])
  }

  private func table() -> Table {
    Table(fields: [Field(name: "v", dtype: .int32), Field(name: "b", dtype: .bool), Field(name: "s", dtype: .string)],
          batches: [batch([1, nil, 3], [true, false, true], ["a", "é", ""]),
                    batch([4, 5, nil, 7], [false, false, true, true], ["日本", "x", "yy", "z"])],
          source: "<test>")
  }

  /// The first chunk's values of `field`, and the evaluator whose scratch they live in.
  private func values(_ scan: Scan, _ field: Int, _ dtype: DType) throws -> (Vec, Evaluator) {
    let chunk = try XCTUnwrap(scan.chunks.first)
    let evaluator = Evaluator(scan: scan, program: Program(TypedNode(.field(field), dtype)))
    return (try evaluator.evaluate(chunk), evaluator)
  }

  func testGatherThroughAnIndexAcrossBatches() throws {
    let t = table()
    let rows: [Int64] = [6, 0, -1, 1, 3, 5, 2, 6]
    let scan = Scan(source: RowSource(table: t, index: try RowIndex(rows, rowCount: t.rowCount)), rows: 0..<rows.count,
                    filter: nil)
    let all: [Int32?] = [1, nil, 3, 4, 5, nil, 7]
    let (v, e0) = try values(scan, 0, .int32)
    defer { withExtendedLifetime(e0) {} }
    for (k, r) in rows.enumerated() {
      let expected = r < 0 ? nil : all[Int(r)]
      XCTAssertEqual(v.isPresent(k), expected != nil, "row \(k)")
      if let expected { XCTAssertEqual(v.values.load(fromByteOffset: k * 4, as: Int32.self), expected) }
    }
    let flags = [true, false, true, false, false, true, true]
    let (b, e1) = try values(scan, 1, .bool)
    defer { withExtendedLifetime(e1) {} }
    for (k, r) in rows.enumerated() where r >= 0 {
      XCTAssertEqual(b.values.load(fromByteOffset: k, as: UInt8.self), flags[Int(r)] ? 1 : 0, "row \(k)")
    }
    XCTAssertFalse(b.isPresent(2))
    let words = ["a", "é", "", "日本", "x", "yy", "z"]
    let (s, e2) = try values(scan, 2, .string)
    defer { withExtendedLifetime(e2) {} }
    for (k, r) in rows.enumerated() {
      XCTAssertEqual(s.isPresent(k), r >= 0)
      if r >= 0 { XCTAssertEqual(Array(s.string(k)), Array(words[Int(r)].utf8)) }
    }
  }

  func testJoinedSourceFollowsTheFieldNumbering() throws {
    let left = table(), right = table()
    let rows: [Int64] = [3, -1, 0, 6, 6, 2, 1]
    let scan = Scan(source: RowSource(table: left, index: nil),
                    joined: [RowSource(table: right, index: try RowIndex(rows, rowCount: right.rowCount))],
                    rows: 0..<left.rowCount, filter: nil)
    XCTAssertEqual(scan.locate(3)?.source, 1)
    XCTAssertEqual(scan.field(5)?.name, "s")
    var seen: [String?] = []
    let evaluator = Evaluator(scan: scan, program: Program(TypedNode(.field(5), .string)))
    for chunk in scan.chunks {
      let v = try evaluator.evaluate(chunk)
      for k in 0..<chunk.count { seen.append(v.isPresent(k) ? String(decoding: v.string(k), as: UTF8.self) : nil) }
    }
    XCTAssertEqual(seen, ["日本", nil, "a", "z", "z", "", "é"])
  }

  func testRowIndexRejectsRowsOutOfRange() {
    XCTAssertThrowsError(try RowIndex([0, 7], rowCount: 7))
    XCTAssertThrowsError(try RowIndex([-2], rowCount: 7))
    XCTAssertEqual(try RowIndex([-1, 6], rowCount: 7).hasMissing, true)
  }

  func testArgsortIsStableAgainstASortedReference() throws {
    var generator = SystemRandomNumberGenerator()
    for (n, span) in [(0, 1), (1, 1), (37, 5), (5_000, 3), (200_000, 1 << 40), (200_000, 70_000)] as [(Int, UInt64)] {
      let codes = (0..<n).map { _ in UInt64.random(in: 0..<span, using: &generator) &* 977 }
      let keys = try allocateCodes(n)
      keys.initialize(from: codes, count: n)
      let order = try argsortCodes(keys, count: n, threads: 2, progress: nil)
      defer { free(order) }
      let expected = (0..<n).sorted { (codes[$0], $0) < (codes[$1], $1) }
      XCTAssertEqual((0..<n).map { Int(order[$0]) }, expected, "n \(n), span \(span)")
    }
  }
}
