import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which columns to keep: by header name or by position (0-based).
public enum CSVColumnSelector: Sendable, Hashable {
  case name(String)
  case index(Int)
}

/// How to read a CSV file.
public struct CSVOptions: Sendable {
  /// The field separator (one byte: ",", ";", "\t", "|" …).
  public var separator: UInt8 = UInt8(ascii: ",")
  /// Whether the first record names the columns; without it columns are f0, f1, ….
  public var header = true
  /// The columns to convert (nil: all), kept in the file's order.
  public var usecols: [CSVColumnSelector]? = nil
  /// Types forced per column name; a value that does not parse is then an error.
  public var dtypes: [String: CSVType] = [:]
  /// Bytes per parallel block; each block becomes one record batch.
  public var blockSize = 8 << 20
  /// Records read to infer the column types.
  public var sampleRows = 65_536
  /// Blocks converted at once (0: SWIFTFRAME_THREADS, else the number of cores).
  /// Memory stays about `threads × blockSize × (1 to 4)` whatever the file's size.
  public var threads = 0

  public init() {}
}

/// What a conversion wrote.
public struct CSVConversion: Sendable {
  public let rows: Int
  public let columns: [(name: String, type: CSVType)]
  public let batches: Int
  /// Times the conversion restarted because a value beyond the sample needed a wider type.
  public let restarts: Int
}

/// Converts a CSV file to an Arrow IPC file out of core.
///
/// The CSV is mapped, its header read, and the column types inferred from the
/// first `sampleRows` records. The data is then cut into blocks of about
/// `blockSize` bytes at record boundaries — the quoted state at each block start
/// follows from the parity of the quotes before it (counted in parallel), which
/// is exact because the tokenizer only accepts quotes that open or close a field
/// — and blocks are converted in parallel, a wave of `threads` blocks at a time,
/// each becoming one record batch written in order. Memory is bounded by the
/// wave, not the file.
///
/// A value after the sample that does not parse as its column's inferred type
/// widens that column (int64 → float64, date32 → timestamp, other → string) and
/// the conversion restarts from the beginning with the wider type (the partial
/// output is discarded), so the result never depends on the sample size; this
/// happens at most a few times per column. A value that does not parse as a
/// `dtype` override is an error naming its line, row and column.
public enum CSVConverter {
  public static func convert(csv path: String, to arrowPath: String, options: CSVOptions = CSVOptions(),
                             progress: ((Double) -> Bool)? = nil) throws(SFError) -> CSVConversion {
    let file = try MappedFile(path: path)
    var converter = try Conversion(file: file, options: options, progress: progress)
    do {
      return try converter.run(to: arrowPath)
    } catch {
      if error.code == .cancelled { throw error }
      throw SFError(error.code, "'\(path)': \(error.message)")
    }
  }
}

/// The state of one conversion.
private struct Conversion {
  let file: MappedFile
  let base: UnsafePointer<UInt8>
  let size: Int
  let options: CSVOptions
  let progress: ((Double) -> Bool)?
  var names: [String] = []
  var fieldCount = 0
  var selected: [Int] = []
  var types: [CSVType] = []
  var fixed: [Bool] = []
  var dataStart = 0
  /// Record starts: block i holds the records starting in starts[i]..<starts[i + 1].
  var starts: [Int] = []

  init(file: MappedFile, options: CSVOptions, progress: ((Double) -> Bool)?) throws(SFError) {
    guard options.separator != CSVTokenizer.quote, options.separator != CSVTokenizer.lf,
          options.separator != CSVTokenizer.cr else {
      throw .argument("the separator cannot be a quote or a newline")
    }
    guard options.blockSize >= 1, options.sampleRows >= 1 else {
      throw .argument("blockSize and sampleRows must be positive")
    }
    self.file = file
    self.options = options
    self.progress = progress
    size = file.bytes.count
    guard size > 0, let b = file.bytes.baseAddress else {
      throw SFError(.corrupt, "the file is empty: no columns to read")
    }
    base = b.assumingMemoryBound(to: UInt8.self)
  }

  /// "line L" of a byte offset (1-based; newlines inside quoted fields count, as in an editor).
  func line(_ offset: Int) -> Int {
    var n = 1
    for i in 0..<min(offset, size) where base[i] == CSVTokenizer.lf { n += 1 }
    return n
  }

  func failure(_ f: CSVTokenizer.Failure) -> SFError {
    SFError(.corrupt, "line \(line(f.offset)): \(f.message)")
  }

  mutating func run(to arrowPath: String) throws(SFError) -> CSVConversion {
    try readHeader()
    try inferTypes()
    try split()
    var restarts = 0
    while true {
      switch try attempt(arrowPath) {
      case .done(let rows, let batches):
        return CSVConversion(rows: rows, columns: selected.indices.map { (names[selected[$0]], types[$0]) },
                             batches: batches, restarts: restarts)
      case .widen(let wider):
        for (k, t) in wider {
          guard t != types[k] else {
            throw SFError(.corrupt, "column '\(names[selected[k]])' cannot be widened beyond \(t.rawValue)")
          }
          types[k] = t
        }
        restarts += 1
      }
    }
  }

  // MARK: Header and types

  private mutating func readHeader() throws(SFError) {
    var start = 0
    if size >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF { start = 3 }  // UTF-8 BOM
    var tokenizer = CSVTokenizer(base: base, range: start..<size, limit: size, separator: options.separator)
    let found: Bool
    do { found = try tokenizer.next() } catch { throw failure(error) }
    guard found else { throw SFError(.corrupt, "the file has no records: no columns to read") }
    fieldCount = tokenizer.fieldCount
    if options.header {
      var seen: [String: Int] = [:]
      for i in 0..<fieldCount {
        let f = tokenizer.field(i)
        guard CSVParse.isValidUTF8(f) else { throw SFError(.corrupt, "line 1: column name \(i) is not valid UTF-8") }
        var name = String(decoding: f, as: UTF8.self)
        if name.isEmpty { name = "Unnamed: \(i)" }
        // Repeated names become name.1, name.2 … as pandas does.
        if let n = seen[name] {
          var k = n
          var candidate = "\(name).\(k)"
          while seen[candidate] != nil { k += 1; candidate = "\(name).\(k)" }
          seen[name] = k + 1
          name = candidate
        }
        seen[name] = 1
        names.append(name)
      }
      dataStart = tokenizer.position
    } else {
      names = (0..<fieldCount).map { "f\($0)" }
      dataStart = start
    }
    if let usecols = options.usecols {
      var chosen = Set<Int>()
      for c in usecols {
        switch c {
        case .index(let i):
          guard i >= 0, i < fieldCount else {
            throw .argument("usecols: column \(i) is out of range for \(fieldCount) columns")
          }
          chosen.insert(i)
        case .name(let n):
          guard let i = names.firstIndex(of: n) else {
            throw .argument("usecols: no column named '\(n)' (columns: \(names.joined(separator: ", ")))")
          }
          chosen.insert(i)
        }
      }
      selected = chosen.sorted()
    } else {
      selected = Array(0..<fieldCount)
    }
    let selectedNames = Set(selected.map { names[$0] })
    for name in options.dtypes.keys where !selectedNames.contains(name) {
      throw .argument("dtype: no column named '\(name)' among the converted columns")
    }
  }

  private mutating func inferTypes() throws(SFError) {
    types = selected.map { options.dtypes[names[$0]] ?? .null }
    fixed = selected.map { options.dtypes[names[$0]] != nil }
    var tokenizer = CSVTokenizer(base: base, range: dataStart..<size, limit: size, separator: options.separator)
    var rows = 0
    do {
      while rows < options.sampleRows, try tokenizer.next() {
        guard tokenizer.fieldCount == fieldCount else {
          throw SFError(.corrupt, "line \(line(tokenizer.recordStart)) (data row \(rows + 1)): expected \(fieldCount) "
                        + "fields, found \(tokenizer.fieldCount)")
        }
        for (k, column) in selected.enumerated() where !fixed[k] && types[k] != .string {
          types[k] = types[k].joined(CSVParse.classify(tokenizer.field(column)))
        }
        rows += 1
      }
    } catch let error as CSVTokenizer.Failure {
      throw failure(error)
    } catch let error as SFError {
      throw error
    } catch {
      throw SFError(.corrupt, "\(error)")
    }
  }

  // MARK: Blocks

  private var threads: Int {
    if options.threads > 0 { return options.threads }
    if let raw = getenv("SWIFTFRAME_THREADS"), let n = Int(String(cString: raw)), n > 0 { return min(n, 1024) }
    return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
  }

  /// Cuts the data into blocks at record boundaries (see CSVConverter).
  private mutating func split() throws(SFError) {
    let base = self.base, size = self.size, dataStart = self.dataStart, blockSize = options.blockSize
    let count = max(1, (size - dataStart + blockSize - 1) / blockSize)
    let bounds = (0...count).map { min(size, dataStart + $0 * blockSize) }
    let quotes = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
    let found = UnsafeMutableBufferPointer<Int>.allocate(capacity: count + 1)
    defer { quotes.deallocate(); found.deallocate() }
    DispatchQueue.concurrentPerform(iterations: count) { i in
      // memchr (vectorized in the C library) from quote to quote.
      var n = 0
      var p = UnsafeRawPointer(base + bounds[i])
      let end = UnsafeRawPointer(base + bounds[i + 1])
      while p < end, let q = memchr(p, Int32(CSVTokenizer.quote), end - p) {
        n += 1
        p = UnsafeRawPointer(q) + 1
      }
      quotes[i] = n
    }
    var parity = [Bool](repeating: false, count: count)
    var odd = false
    for i in 0..<count { parity[i] = odd; if quotes[i] & 1 == 1 { odd.toggle() } }
    found[0] = dataStart
    found[count] = size
    DispatchQueue.concurrentPerform(iterations: max(0, count - 1)) { j in
      let i = j + 1
      // The first record starting at or after bounds[i]: after a newline outside quotes.
      // Every quote toggles the state (CSVTokenizer's rule), so parity[i] is the state at
      // bounds[i]; a newline just before it (not a quote) ends a record in the same state.
      var inQuote = parity[i]
      var p = bounds[i]
      var start = size
      if !inQuote, base[p - 1] == CSVTokenizer.lf { start = p; p = size }
      while p < size {
        let c = base[p]
        if c == CSVTokenizer.quote { inQuote.toggle() }
        else if c == CSVTokenizer.lf && !inQuote { start = p + 1; break }
        p += 1
      }
      found[i] = start
    }
    starts = Array(found)
    for i in 1...count { starts[i] = max(starts[i], starts[i - 1]) }
  }

  // MARK: Converting

  enum Outcome {
    case done(rows: Int, batches: Int)
    case widen([Int: CSVType])
  }

  /// One block's conversion; each runs on one thread.
  /// One slot of a wave: its builders are reused from block to block.
  final class Block: @unchecked Sendable {
    var range: Range<Int> = 0..<0
    var builders: [CSVColumnBuilder] = []
    var rows = 0
    var error: (offset: Int, row: Int, message: String)?
    var hardError: SFError?
  }

  private func convert(_ block: Block) {
    block.rows = 0
    block.error = nil
    block.hardError = nil
    do throws(SFError) {
      if block.builders.isEmpty {
        block.builders = try selected.indices.map { k throws(SFError) in try CSVColumnBuilder(type: types[k], fixed: fixed[k]) }
      } else {
        for b in block.builders { try b.reset() }
      }
    } catch {
      block.hardError = error
      return
    }
    var tokenizer = CSVTokenizer(base: base, range: block.range, limit: size, separator: options.separator)
    let builders = block.builders, selected = self.selected
    do {
      while try tokenizer.next() {
        guard tokenizer.fieldCount == fieldCount else {
          block.error = (tokenizer.recordStart, block.rows, "expected \(fieldCount) fields, found \(tokenizer.fieldCount)")
          return
        }
        for (k, column) in selected.enumerated() {
          let field = tokenizer.field(column)
          let outcome = try builders[k].append(field)
          if outcome == .ok { continue }
          let name = names[column]
          let text = String(decoding: field.prefix(80), as: UTF8.self)
          let message: String
          switch outcome {
          case .mismatch: message = "column '\(name)': '\(text)' is not a valid \(types[k].rawValue) (dtype override)"
          case .invalidUTF8: message = "column '\(name)': a value is not valid UTF-8"
          default: message = "column '\(name)': more than 2 GiB of text in one block"
          }
          block.error = (tokenizer.recordStart, block.rows, message)
          return
        }
        block.rows += 1
      }
    } catch let error as CSVTokenizer.Failure {
      block.error = (error.offset, block.rows, error.message)
    } catch let error as SFError {
      block.hardError = error
    } catch {
      block.hardError = SFError(.io, "\(error)")
    }
  }

  private func attempt(_ arrowPath: String) throws(SFError) -> Outcome {
    let fields = selected.indices.map { ArrowField(name: names[selected[$0]], nullable: true, type: types[$0].arrowType,
                                                   dictionaryIndex: nil) }
    let writer = try ArrowFileWriter(path: arrowPath, fields: fields)
    let count = starts.count - 1
    let wave = max(1, threads)
    var rows = 0
    var batches = 0
    var first = 0
    let slots = (0..<min(wave, count)).map { _ in Block() }
    while first < count {
      let blocks = Array(slots.prefix(min(count, first + wave) - first))
      for (j, block) in blocks.enumerated() { block.range = starts[first + j]..<starts[first + j + 1] }
      DispatchQueue.concurrentPerform(iterations: blocks.count) { convert(blocks[$0]) }
      var before = rows
      for block in blocks {
        if let e = block.hardError { throw e }
        if let e = block.error {
          throw SFError(.corrupt, "line \(line(e.offset)) (data row \(before + e.row + 1)): \(e.message)")
        }
        before += block.rows
      }
      var wider: [Int: CSVType] = [:]
      for block in blocks {
        for (k, b) in block.builders.enumerated() {
          if let w = b.widened { wider[k] = (wider[k] ?? types[k]).joined(w) }
        }
      }
      if !wider.isEmpty { return .widen(wider) }
      for block in blocks where block.rows > 0 {
        try writer.write(length: block.rows, columns: block.builders.map(\.column))
        rows += block.rows
        batches += 1
      }
      first += blocks.count
      if let progress, !progress(Double(starts[first]) / Double(size)) {
        throw SFError(.cancelled, "cancelled")
      }
    }
    if batches == 0 {
      // A header without records: an empty batch keeps the file's schema complete for every reader.
      let empty = try selected.indices.map { k throws(SFError) in try CSVColumnBuilder(type: types[k], fixed: true) }
      try writer.write(length: 0, columns: empty.map(\.column))
    }
    try writer.finish()
    return .done(rows: rows, batches: batches)
  }
}
