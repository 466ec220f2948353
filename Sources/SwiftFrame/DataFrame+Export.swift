#if canImport(Glibc)
import Glibc
#endif

/// Exports: the frame's columns evaluated (virtual columns computed, the filter
/// applied) and streamed to a file record batch by record batch, so memory holds one
/// batch whatever the frame's size. Writers write a temporary file beside the target
/// and rename it into place only when complete.
extension DataFrame {
  /// Rows per exported record batch.
  public static let exportBatchRows = 1 << 20

  /// Writes `columns` (all visible columns by default) to an Arrow IPC file at `path`.
  /// A stored categorical column whose chunks share one dictionary, and a column
  /// encoded with string labels (ordinal_encode, categorize), are written
  /// dictionary-encoded; other categoricals (several files' dictionaries, numeric
  /// labels) as their values.
  public func exportArrow(_ path: String, columns: [String]? = nil, batchRows: Int = exportBatchRows,
                          progress: ProgressHandler? = nil) throws(SFError) {
    let names = columns ?? columnNames
    guard batchRows > 0 else { throw .argument("batchRows must be positive, got \(batchRows)") }
    var fields: [Field] = []
    var texts: [String] = []
    var dictionaries: [ColumnDictionary?] = []
    var encoded: [Bool] = []
    var labelFrames: [DataFrame] = []  // keep encoded columns' labels alive while writing
    for name in names {
      var text = "`\(name)`"  // the latest definition (a redefined column refers to the one before)
      let stored = virtualExpression(name) == nil ? storedFieldIndex(name, snapshot).map { self.fields(snapshot)[$0] } : nil
      var dictionary = sharedDictionary(name)
      var dtype = try self.dtype(of: text)
      var isEncoded = false
      if dictionary == nil, stored == nil, let (labels, offset) = try categoryLabels(name),
         let chunk = labels.table.batches.first?.resident?.columns.first, chunk.dtype.isString {
        // Codes into string labels: write the labels as the dictionary, codes as indices.
        labelFrames.append(labels)
        dictionary = ColumnDictionary(values: chunk, indexType: .int32)
        dtype = chunk.dtype
        text = "int32(`\(name)` - \(offset))"
        isEncoded = true
      }
      encoded.append(isEncoded)
      fields.append(Field(name: name, dtype: dtype, timezone: stored?.timezone, categorical: dictionary != nil))
      texts.append(text)
      dictionaries.append(dictionary)
    }
    let dtypes = fields.map(\.dtype)
    let n = try length(progress: progress)
    let writer = try ArrowFileWriter(path: path, fields: fields)
    for (c, dictionary) in dictionaries.enumerated() {
      if let values = dictionary?.values { try writer.writeDictionary(column: c, values: arrowColumn(values)) }
    }
    var batch = ExportBatch(capacity: min(batchRows, max(n, 1)))
    defer { batch.deallocate() }
    var start = 0
    while start < n {
      let range = start..<min(n, start + batchRows)
      var columns: [ArrowFileWriter.Column] = []
      for (c, dtype) in dtypes.enumerated() {
        columns.append(try batch.column(self, texts[c], dtype, range, slot: c, dictionary: dictionaries[c],
                                        encoded: encoded[c], progress: progress))
      }
      try writer.write(length: range.count, columns: columns)
      batch.reset()
      start = range.upperBound
      if let progress, !progress(Double(start) / Double(n)) { throw SFError(.cancelled, "the export was cancelled") }
    }
    try writer.finish()
    withExtendedLifetime(labelFrames) {}
  }
}

/// The buffers of one exported record batch: allocated once for the largest batch
/// and reused, plus the string bytes of the current batch.
private struct ExportBatch {
  let capacity: Int
  /// Per column: values (8 bytes a row: the widest dtype, or int64 string offsets),
  /// presence bytes, and the packed validity bitmap.
  private var values: [UnsafeMutableRawPointer] = []
  private var present: [UnsafeMutablePointer<UInt8>] = []
  private var bitmaps: [UnsafeMutablePointer<UInt8>] = []
  /// The string bytes of the current batch, freed by `reset`.
  private var strings: [UnsafeMutableRawBufferPointer] = []

  init(capacity: Int) { self.capacity = capacity }

  mutating func reset() {
    strings.forEach { $0.deallocate() }
    strings.removeAll(keepingCapacity: true)
  }

  mutating func deallocate() {
    reset()
    values.forEach { $0.deallocate() }
    present.forEach { $0.deallocate() }
    bitmaps.forEach { $0.deallocate() }
  }

  /// A failed allocation is a MemoryError, not a trap (found under a memory ceiling).
  private mutating func buffers(_ slot: Int) throws(SFError)
    -> (UnsafeMutableRawPointer, UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>) {
    while values.count <= slot {
      values.append(try allocateOrThrow(byteCount: (capacity + 1) * 8, alignment: 64, for: "an export batch"))
      present.append(try allocateOrThrow(byteCount: capacity, alignment: 16, for: "an export batch")
        .bindMemory(to: UInt8.self, capacity: capacity))
      bitmaps.append(try allocateOrThrow(byteCount: capacity / 8 + 1, alignment: 16, for: "an export batch")
        .bindMemory(to: UInt8.self, capacity: capacity / 8 + 1))
    }
    return (values[slot], present[slot], bitmaps[slot])
  }

  /// Evaluates one column for `range` into Arrow buffers.
  /// `dictionary` is a stored categorical's (indices are read from the column), or with
  /// `encoded` the labels of codes that `text` computes.
  mutating func column(_ frame: DataFrame, _ text: String, _ dtype: DType, _ range: Range<Int>, slot: Int,
                       dictionary: ColumnDictionary?, encoded: Bool,
                       progress: ProgressHandler?) throws(SFError) -> ArrowFileWriter.Column {
    let (out, valid, bitmap) = try buffers(slot)
    let n = range.count
    let missing: Int
    var data: [UnsafeRawBufferPointer]
    if dictionary != nil, encoded {
      // An encoded column: `text` computes its int32 codes.
      missing = try frame.evaluate(text, range: range, dtype: .int32, into: out, valid: valid, progress: progress)
      data = [UnsafeRawBufferPointer(start: out, count: n * 4)]
    } else if let dictionary {
      missing = try frame.evaluateDictionaryIndices(text, range: range, dictionary: dictionary,
                                                    into: out.assumingMemoryBound(to: Int32.self), valid: valid,
                                                    progress: progress)
      data = [UnsafeRawBufferPointer(start: out, count: n * 4)]
    } else if dtype.isString {
      let offsets = out.assumingMemoryBound(to: Int64.self)
      let (bytes, lost) = try frame.evaluateStrings(text, range: range, offsets: offsets, valid: valid, progress: progress)
      missing = lost
      let copy = UnsafeMutableRawBufferPointer(
        start: try allocateOrThrow(byteCount: bytes.count, alignment: 64, for: "an export batch's text"), count: bytes.count)
      copy.copyBytes(from: bytes)
      strings.append(copy)
      if dtype == .string {
        // utf8 keeps int32 offsets: narrow them in place (ascending, so front to back is safe).
        guard bytes.count <= Int(Int32.max) else {
          throw SFError(.argument, "a batch of column '\(text)' holds more than 2 GiB of text; export fewer rows per batch")
        }
        let narrow = out.assumingMemoryBound(to: Int32.self)
        for i in 0...n { narrow[i] = Int32(truncatingIfNeeded: offsets[i]) }
      }
      data = [UnsafeRawBufferPointer(start: out, count: (n + 1) * dtype.byteWidth)]
      data.append(UnsafeRawBufferPointer(copy))
    } else {
      missing = try frame.evaluate(text, range: range, dtype: dtype, into: out, valid: valid, progress: progress)
      if dtype == .bool {
        // Evaluated bools are bytes; Arrow packs them into bits (in place: bit i never passes byte i).
        packBits(out.assumingMemoryBound(to: UInt8.self), count: n, into: out.assumingMemoryBound(to: UInt8.self))
        data = [UnsafeRawBufferPointer(start: out, count: (n + 7) / 8)]
      } else {
        data = [UnsafeRawBufferPointer(start: out, count: n * dtype.byteWidth)]
      }
    }
    var validity = UnsafeRawBufferPointer(start: nil, count: 0)
    if missing > 0 {
      packBits(valid, count: n, into: bitmap)
      validity = UnsafeRawBufferPointer(start: bitmap, count: (n + 7) / 8)
    }
    return ArrowFileWriter.Column(length: n, nullCount: missing, buffers: [validity] + data)
  }
}

/// A dictionary's string values as the writer's column: validity, offsets, bytes, in place.
private func arrowColumn(_ values: ColumnChunk) -> ArrowFileWriter.Column {
  let n = values.length
  let width = values.dtype.byteWidth
  let last = width == 4 ? Int(values.offsets?.load(fromByteOffset: n * 4, as: Int32.self) ?? 0)
                        : Int(values.offsets?.load(fromByteOffset: n * 8, as: Int64.self) ?? 0)
  let validity = UnsafeRawBufferPointer(start: values.validity, count: values.validity == nil ? 0 : (n + 7) / 8)
  return ArrowFileWriter.Column(length: n, nullCount: values.nullCount, buffers: [
    validity, UnsafeRawBufferPointer(start: values.offsets, count: (n + 1) * width),
    UnsafeRawBufferPointer(start: values.values, count: last),
  ])
}
