import XCTest
@testable import FrameStorage

#if canImport(Glibc)
import Glibc
#endif

/// TableOpener's choice of reader, HDF5 errors, and the global heap guard. Values are
/// checked from Python against h5py and numpy (python/tests/test_hdf5.py); here, the
/// vaex-written golden file is checked for what its generator put there by construction.
final class HDF5Tests: XCTestCase {
  static let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../python/tests/data/hdf5").standardized

  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("hdf5-tests-\(getpid())-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  func write(_ name: String, _ bytes: [UInt8]) throws -> String {
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
  }

  func openError(_ path: String) -> SFError? {
    do {
      _ = try TableOpener.open(path: path)
      return nil
    } catch {
      return error
    }
  }

  static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

  func testNeitherArrowNorHDF5IsACorruptFileError() throws {
    let path = try write("notes.txt", Array("neither Arrow nor HDF5\n".utf8))
    let error = try XCTUnwrap(openError(path))
    XCTAssertEqual(error.code, .corrupt)
    XCTAssertTrue(error.message.contains(path) && error.message.contains("Arrow"), error.message)
    XCTAssertEqual(try XCTUnwrap(openError(try write("empty", []))).code, .corrupt)
    XCTAssertEqual(try XCTUnwrap(openError(directory.appendingPathComponent("missing.hdf5").path)).code, .notFound)
  }

  func testBadHDF5GivesCorruptAndLeavesNothingOpen() throws {
    let before = try HDF5Library.openObjectCount()
    var garbage = Self.signature
    var state: UInt32 = 12345
    for _ in 0..<5000 {
      state = state &* 1_103_515_245 &+ 12345
      garbage.append(UInt8(truncatingIfNeeded: state >> 16))
    }
    for bytes in [Self.signature, garbage, Array(Self.signature + [UInt8](repeating: 0, count: 600))] {
      let path = try write("bad.hdf5", bytes)
      let error = try XCTUnwrap(openError(path))
      XCTAssertEqual(error.code, .corrupt)
      XCTAssertTrue(error.message.contains(path) && error.message.contains("HDF5"), error.message)
    }
    XCTAssertEqual(try HDF5Library.openObjectCount(), before)
  }

  func testSignatureAtUserBlockOffsets() {
    func has(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { HDF5Reader.hasSignature($0) } }
    XCTAssertTrue(has(Self.signature))
    XCTAssertTrue(has([UInt8](repeating: 0, count: 512) + Self.signature))
    XCTAssertTrue(has([UInt8](repeating: 0, count: 2048) + Self.signature))
    XCTAssertFalse(has([UInt8](repeating: 0, count: 100) + Self.signature))
    XCTAssertFalse(has(Array(Self.signature.prefix(7))))
    XCTAssertFalse(has([]))
  }

  /// A collection of `size` bytes: one object holding "abc", then the free space.
  func collection(size: UInt64 = 4096, freeSize: UInt64? = nil) -> [UInt8] {
    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    var bytes = Array("GCOL".utf8) + [1, 0, 0, 0] + le(size)
    bytes += le(UInt16(1)) + le(UInt16(1)) + [0, 0, 0, 0] + le(UInt64(3)) + Array("abc".utf8) + [0, 0, 0, 0, 0]
    bytes += le(UInt16(0)) + le(UInt16(0)) + [0, 0, 0, 0] + le(freeSize ?? (size - UInt64(bytes.count)))
    return bytes + [UInt8](repeating: 0, count: Int(size) - bytes.count)
  }

  func testGlobalHeapCheck() throws {
    func check(_ bytes: [UInt8], skipping: [Range<Int>] = []) throws {
      var failure: SFError?
      bytes.withUnsafeBytes { raw in
        do throws(SFError) { try GlobalHeapCheck.check(raw, skipping: skipping) } catch { failure = error }
      }
      if let failure { throw failure }
    }
    let good = [UInt8](repeating: 7, count: 100) + collection()
    XCTAssertNoThrow(try check(good))
    // A free-space object of size 0 (libhdf5 loops forever), and a collection past the end.
    XCTAssertThrowsError(try check([UInt8](repeating: 7, count: 100) + collection(freeSize: 0)))
    XCTAssertThrowsError(try check(Array(good.prefix(3000))))
    // The damaged collection inside a skipped range is not looked at.
    let bad = [UInt8](repeating: 7, count: 100) + collection(freeSize: 0)
    XCTAssertNoThrow(try check(bad, skipping: [50..<bad.count]))
    XCTAssertEqual(HDF5Loader.merged([5..<9, 0..<3, 2..<4, 9..<9, 8..<12]), [0..<4, 5..<12])
  }

  func testVaexGoldenFile() throws {
    let table = try TableOpener.open(path: Self.data.appendingPathComponent("vaex_mixed.hdf5").path)
    XCTAssertEqual(table.rowCount, 300)
    XCTAssertEqual(table.fields.map(\.name), ["x", "s", "t", "a", "i", "c"])
    XCTAssertEqual(table.fields.map(\.dtype), [.float64, .string, .timestampNS, .int32, .int16, .string])
    XCTAssertEqual(table.fields.map(\.categorical), [false, false, false, false, false, true])
    XCTAssertTrue(table.unsupported.isEmpty)
    // t is np.arange(300) seconds, in nanoseconds.
    let t = try table.batch(0).columns[2]
    XCTAssertEqual(t.values.loadUnaligned(fromByteOffset: 8 * 299, as: Int64.self), 299_000_000_000)
    // s holds "s<number>" strings: every one starts with "s".
    let s = try table.batch(0).columns[1]
    let offsets = try XCTUnwrap(s.offsets).assumingMemoryBound(to: Int32.self)
    for row in 0..<300 {
      XCTAssertGreaterThan(offsets[row + 1], offsets[row])
      XCTAssertEqual(s.values.load(fromByteOffset: Int(offsets[row]), as: UInt8.self), UInt8(ascii: "s"))
    }
    let i = try table.batch(0).columns[4]
    // vaex_files.py puts each integer type's minimum and maximum in rows 0 and 1.
    XCTAssertEqual(i.values.loadUnaligned(as: Int16.self), Int16.min)
    XCTAssertEqual(i.values.loadUnaligned(fromByteOffset: 2, as: Int16.self), Int16.max)
    XCTAssertNil(i.validity)
    XCTAssertGreaterThan(try table.batch(0).columns[3].nullCount, 0)
  }
}
