import FrameStorage

/// Calls `body(value, r, k)` for each row the scan's filter keeps among the filtered
/// rows `range`, in order: `value` is what `prepare` made of the row's chunk (given the
/// chunk and its filter mask), `r` the row within the chunk, `k` counts from 0.
/// `counts` is `filteredCounts(scan)`.
func forEachKeptRow<Value>(_ scan: Scan, counts: [Int], range: Range<Int>,
                           prepare: (ChunkRef, UnsafePointer<UInt8>?) throws(SFError) -> Value,
                           _ body: (Value, Int, Int) throws(SFError) -> Void) throws(SFError) {
  try scan.checkFilesUnchanged()
  let chunks = scan.chunks
  guard counts.count == chunks.count else { throw SFError(.argument, "stale row counts for this frame") }
  var position = 0
  var k = 0
  let filter = scan.filter.map { Evaluator(scan: scan, program: $0) }
  let mask = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkRows)
  defer { mask.deallocate() }
  for (i, chunk) in chunks.enumerated() {
    defer { position += counts[i] }
    guard position + counts[i] > range.lowerBound, position < range.upperBound else { continue }
    let keep = try filter.map { f throws(SFError) in truth(try f.evaluate(chunk), into: mask) }
    let value = try prepare(chunk, keep)
    var seen = position
    for r in 0..<chunk.count where keep.map({ $0[r] != 0 }) ?? true {
      defer { seen += 1 }
      guard seen >= range.lowerBound, seen < range.upperBound else { continue }
      try body(value, r, k)
      k += 1
    }
  }
}

/// The stored string column a program reads, or a type error.
private func stringField(_ program: Program) throws(SFError) -> Int {
  guard case .field(let field) = program.root.op, program.dtype.isString else {
    throw SFError(.type, "only stored string columns have dictionary indices")
  }
  return field
}

@inline(__always)
private func isPresent(_ column: ColumnChunk, _ row: Int) -> UInt8 {
  column.validity.map { ($0[row >> 3] >> UInt8(row & 7)) & 1 } ?? 1
}

/// The strings of a string expression for the filtered rows `range` (counted after
/// the filter), as Arrow large_utf8: `offsets` (range.count + 1 values, from 0), the
/// concatenated bytes, and presence bytes (0 missing). `counts` is `filteredCounts(scan)`.
public func evaluateStrings(_ scan: Scan, program: Program, counts: [Int], range: Range<Int>,
                            offsets out: UnsafeMutablePointer<Int64>, valid: UnsafeMutablePointer<UInt8>?)
  throws(SFError) -> (bytes: [UInt8], missing: Int) {
  guard program.dtype.isString else { throw SFError(.type, "expression is \(program.dtype), not a string") }
  var bytes: [UInt8] = []
  var missing = 0
  out[0] = 0
  let evaluator = Evaluator(scan: scan, program: program)
  try forEachKeptRow(scan, counts: counts, range: range, prepare: { (chunk, keep) throws(SFError) in
    try evaluator.evaluate(chunk, rows: keep)
  }) { (v: Vec, r, k) throws(SFError) in
    let present: UInt8 = v.isPresent(r) ? 1 : 0
    if present == 1 {
      let value = v.string(r)
      guard isValidUTF8(value) else {
        var source = "a string"
        if case .field(let f) = program.root.op, let field = scan.field(f) { source = "column '\(field.name)'" }
        throw SFError(.corrupt, "\(source) holds invalid UTF-8 in row \(range.lowerBound + k)")
      }
      bytes.append(contentsOf: value)
    } else {
      missing += 1
    }
    valid?[k] = present
    out[k + 1] = Int64(bytes.count)
  }
  return (bytes, missing)
}

/// The dictionary indices of a stored categorical column for the filtered rows
/// `range`, as int32 (into `dictionary`, which every chunk of the column must share),
/// with presence bytes; returns the number missing.
public func evaluateDictionaryIndices(_ scan: Scan, program: Program, counts: [Int], range: Range<Int>,
                                      dictionary: ColumnDictionary, into out: UnsafeMutablePointer<Int32>,
                                      valid: UnsafeMutablePointer<UInt8>) throws(SFError) -> Int {
  let global = try stringField(program)
  guard let (source, field) = scan.locate(global) else { throw SFError(.argument, "no stored field \(global)") }
  let name = scan.sources[source].table.fields[field].name
  // Through an index the rows are resolved per chunk; else read in place from the chunk's batch.
  let gather = source == 0 && scan.sources[0].index == nil ? nil : GatherSource(scan.sources[source])
  var missing = 0
  try forEachKeptRow(scan, counts: counts, range: range, prepare: { (chunk, _) throws(SFError) -> (BatchData?, Int) in
    if let gather { try gather.resolve(chunk); return (nil, 0) }
    return (try scan.table.batch(chunk.batch), chunk.start)  // kept with the column while its rows are read
  }) { (stored, r, k) throws(SFError) in
    let cell = stored.0.map { d in (d.columns[field], d.columns[field].offset + stored.1 + r) } ?? gather?.cell(r, field: field)
    guard let (column, row) = cell else {  // a missing row of the index
      valid[k] = 0
      out[k] = 0
      missing += 1
      return
    }
    guard let own = column.dictionary, own.hasSameValues(as: dictionary) else {
      throw SFError(.argument, "column '\(name)' does not share one dictionary")
    }
    let present = isPresent(column, row)
    valid[k] = present
    out[k] = present == 1 ? Int32(truncatingIfNeeded: dictionaryIndex(column.values, own.indexType, row)) : 0
    missing += present == 1 ? 0 : 1
  }
  return missing
}

/// The bytes of row `row` of a string chunk, plain or dictionary-encoded (the reader
/// has checked offsets and indices, so this slices without checks).
@inline(__always)
func stringBytes(_ column: ColumnChunk, _ row: Int) -> UnsafeRawBufferPointer {
  var strings = column, at = row
  if let dictionary = column.dictionary {
    strings = dictionary.values
    at = strings.offset + dictionaryIndex(column.values, dictionary.indexType, row)
  }
  guard let o = strings.offsets else { return UnsafeRawBufferPointer(start: nil, count: 0) }
  let (start, end) = strings.dtype == .string
    ? (Int(o.load(fromByteOffset: at * 4, as: Int32.self)), Int(o.load(fromByteOffset: (at + 1) * 4, as: Int32.self)))
    : (Int(o.load(fromByteOffset: at * 8, as: Int64.self)), Int(o.load(fromByteOffset: (at + 1) * 8, as: Int64.self)))
  return UnsafeRawBufferPointer(start: strings.values + start, count: end - start)
}

/// The dictionary index at `row` of an indices buffer of integer dtype `type`.
@inline(__always)
func dictionaryIndex(_ p: UnsafeRawPointer, _ type: DType, _ row: Int) -> Int {
  switch type {
  case .int8: Int(p.load(fromByteOffset: row, as: Int8.self))
  case .uint8: Int(p.load(fromByteOffset: row, as: UInt8.self))
  case .int16: Int(p.load(fromByteOffset: row * 2, as: Int16.self))
  case .uint16: Int(p.load(fromByteOffset: row * 2, as: UInt16.self))
  case .int32: Int(p.load(fromByteOffset: row * 4, as: Int32.self))
  case .uint32: Int(p.load(fromByteOffset: row * 4, as: UInt32.self))
  default: Int(truncatingIfNeeded: p.load(fromByteOffset: row * 8, as: Int64.self))
  }
}

/// Whether `bytes` is well-formed UTF-8 (no overlong forms, surrogates or values past
/// U+10FFFF): strings handed out are checked, since Arrow files do not guarantee it.
@inline(__always)
func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
  var i = 0
  let n = bytes.count
  while i < n {
    let b0 = bytes[i]
    if b0 < 0x80 { i += 1; continue }
    let (count, low, high): (Int, UInt8, UInt8)
    switch b0 {
    case 0xC2...0xDF: (count, low, high) = (1, 0x80, 0xBF)
    case 0xE0: (count, low, high) = (2, 0xA0, 0xBF)
    case 0xE1...0xEC, 0xEE...0xEF: (count, low, high) = (2, 0x80, 0xBF)
    case 0xED: (count, low, high) = (2, 0x80, 0x9F)
    case 0xF0: (count, low, high) = (3, 0x90, 0xBF)
    case 0xF1...0xF3: (count, low, high) = (3, 0x80, 0xBF)
    case 0xF4: (count, low, high) = (3, 0x80, 0x8F)
    default: return false
    }
    guard i + count < n, bytes[i + 1] >= low, bytes[i + 1] <= high else { return false }
    for k in stride(from: 2, through: count, by: 1) where bytes[i + k] & 0xC0 != 0x80 { return false }
    i += count + 1
  }
  return true
}
