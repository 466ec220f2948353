#if canImport(Glibc)
import Glibc
#endif
import CSwiftFrame

// Export: a frame's columns as an Arrow C stream (ArrowArrayStream) of struct
// arrays, one per record batch. Buffers of stored columns shown unchanged point
// into the table (the array keeps the frame alive); other columns are evaluated
// into buffers the array owns. Every structure handed out is released by its
// consumer through its release callback, which frees what private_data holds.

/// What one exported ArrowArray owns: its buffer list, its children and the
/// memory its buffers point into (allocations, or the frame for stored data).
private final class ExportedArray {
  let buffers: UnsafeMutablePointer<UnsafeRawPointer?>
  let children: UnsafeMutablePointer<UnsafeMutablePointer<ArrowArray>?>?
  let childCount: Int
  var allocations: [UnsafeMutableRawPointer] = []
  var keepAlive: AnyObject?
  /// The loaded record batch stored buffers point into (a lazily loaded batch may
  /// otherwise be dropped while the consumer reads it).
  var batch: BatchData?
  /// The dictionary of a dictionary-encoded array (released with it).
  var dictionary: UnsafeMutablePointer<ArrowArray>?

  init(buffers: [UnsafeRawPointer?], childCount: Int) {
    self.buffers = .allocate(capacity: max(1, buffers.count))
    self.buffers.initialize(from: buffers, count: buffers.count)
    self.childCount = childCount
    if childCount > 0 {
      let c = UnsafeMutablePointer<UnsafeMutablePointer<ArrowArray>?>.allocate(capacity: childCount)
      for i in 0..<childCount {
        let child = UnsafeMutablePointer<ArrowArray>.allocate(capacity: 1)
        child.initialize(to: ArrowArray())
        c[i] = child
      }
      children = c
    } else {
      children = nil
    }
  }

  deinit {
    buffers.deallocate()
    if let children {
      for i in 0..<childCount { children[i]?.deallocate() }
      children.deallocate()
    }
    for p in allocations { p.deallocate() }
    dictionary?.deallocate()
  }
}

private func releaseExportedArray(_ array: UnsafeMutablePointer<ArrowArray>?) {
  guard let array, array.pointee.release != nil else { return }
  if let data = array.pointee.private_data {
    let owner = Unmanaged<ExportedArray>.fromOpaque(data).takeRetainedValue()
    // Children the consumer moved out have release == NULL and are theirs to release.
    for i in 0..<owner.childCount {
      if let child = owner.children?[i], let release = child.pointee.release { release(child) }
    }
    if let d = owner.dictionary, let release = d.pointee.release { release(d) }
  }
  array.pointee.release = nil
  array.pointee.private_data = nil
  arrowLiveExports.subtract(1, ordering: .relaxed)
}

/// Fills `out` with an array owning `owner`'s buffers and children.
private func fillArray(_ out: UnsafeMutablePointer<ArrowArray>, owner: ExportedArray, length: Int, nullCount: Int,
                       offset: Int, bufferCount: Int) {
  out.pointee = ArrowArray(
    length: Int64(length), null_count: Int64(nullCount), offset: Int64(offset), n_buffers: Int64(bufferCount),
    n_children: Int64(owner.childCount), buffers: owner.buffers, children: owner.children, dictionary: owner.dictionary,
    release: { releaseExportedArray($0) }, private_data: Unmanaged.passRetained(owner).toOpaque())
  arrowLiveExports.add(1, ordering: .relaxed)
}

// MARK: Schema

private final class ExportedSchema {
  let format: UnsafeMutablePointer<CChar>
  let name: UnsafeMutablePointer<CChar>
  let children: UnsafeMutablePointer<UnsafeMutablePointer<ArrowSchema>?>?
  let childCount: Int
  var dictionary: UnsafeMutablePointer<ArrowSchema>?

  init(format: String, name: String, childCount: Int) {
    self.format = strdup(format)
    self.name = strdup(name)
    self.childCount = childCount
    if childCount > 0 {
      let c = UnsafeMutablePointer<UnsafeMutablePointer<ArrowSchema>?>.allocate(capacity: childCount)
      for i in 0..<childCount {
        let child = UnsafeMutablePointer<ArrowSchema>.allocate(capacity: 1)
        child.initialize(to: ArrowSchema())
        c[i] = child
      }
      children = c
    } else {
      children = nil
    }
  }

  deinit {
    free(format)
    free(name)
    dictionary?.deallocate()
    if let children {
      for i in 0..<childCount { children[i]?.deallocate() }
      children.deallocate()
    }
  }
}

private func releaseExportedSchema(_ schema: UnsafeMutablePointer<ArrowSchema>?) {
  guard let schema, schema.pointee.release != nil else { return }
  if let data = schema.pointee.private_data {
    let owner = Unmanaged<ExportedSchema>.fromOpaque(data).takeRetainedValue()
    for i in 0..<owner.childCount {
      if let child = owner.children?[i], let release = child.pointee.release { release(child) }
    }
    if let d = owner.dictionary, let release = d.pointee.release { release(d) }
  }
  schema.pointee.release = nil
  schema.pointee.private_data = nil
  arrowLiveExports.subtract(1, ordering: .relaxed)
}

private func fillSchema(_ out: UnsafeMutablePointer<ArrowSchema>, format: String, name: String, flags: Int64,
                        children: [(format: String, name: String, dictionary: String?)], dictionary: String? = nil) {
  let owner = ExportedSchema(format: format, name: name, childCount: children.count)
  for (i, c) in children.enumerated() {
    fillSchema(owner.children![i]!, format: c.format, name: c.name, flags: Int64(ARROW_FLAG_NULLABLE), children: [],
               dictionary: c.dictionary)
  }
  if let dictionary {
    let d = UnsafeMutablePointer<ArrowSchema>.allocate(capacity: 1)
    d.initialize(to: ArrowSchema())
    fillSchema(d, format: dictionary, name: "", flags: Int64(ARROW_FLAG_NULLABLE), children: [])
    owner.dictionary = d
  }
  out.pointee = ArrowSchema(
    format: UnsafePointer(owner.format), name: UnsafePointer(owner.name), metadata: nil, flags: flags,
    n_children: Int64(children.count), children: owner.children, dictionary: owner.dictionary,
    release: { releaseExportedSchema($0) }, private_data: Unmanaged.passRetained(owner).toOpaque())
  arrowLiveExports.add(1, ordering: .relaxed)
}

// MARK: Stream

/// The state behind an exported stream: a frozen copy of the frame, the columns,
/// the planned batches and the next one to hand out.
final class ArrowStreamExport {
  struct Column {
    let name: String
    let expression: String
    let program: Program
    /// The Arrow format (a timestamp's carries its zone; evaluated strings are large_utf8).
    let format: String
    let layout: ArrowLayout
    /// The stored field handed out in place for unfiltered rows (nil: evaluated).
    let storedField: Int?
    /// A categorical handed out in place: its index type and its strings' format
    /// (the stream's `format` is then the index format).
    let dictionary: (indexType: DType, format: String)?
    /// A categorical read through a row index: its int32 indices gathered into this
    /// dictionary, which every batch shares.
    var gathered: ColumnDictionary? = nil
  }

  /// Rows `rows` of the frame (after its filter); `stored` is (record batch, first
  /// row in it) when those rows are stored rows of one record batch, unfiltered.
  struct Segment {
    let rows: Range<Int>
    let stored: (batch: Int, start: Int)?
  }

  let frame: DataFrame
  let columns: [Column]
  let segments: [Segment]
  var next = 0
  var lastError: UnsafeMutablePointer<CChar>?

  init(frame: DataFrame, columns: [Column], segments: [Segment]) {
    self.frame = frame
    self.columns = columns
    self.segments = segments
  }

  deinit { free(lastError) }

  func setError(_ error: SFError) -> Int32 {
    free(lastError)
    lastError = strdup(error.message)
    return error.errno
  }

  func schema(_ out: UnsafeMutablePointer<ArrowSchema>) {
    fillSchema(out, format: "+s", name: "", flags: 0,
               children: columns.map { ($0.format, $0.name, $0.dictionary?.format) })
  }

  /// The next batch into `out`, or a released (end-of-stream) array when none is left.
  func nextBatch(_ out: UnsafeMutablePointer<ArrowArray>) throws(SFError) {
    guard next < segments.count else {
      out.pointee = ArrowArray()
      return
    }
    let segment = segments[next]
    try frame.table.checkFilesUnchanged()
    let owner = ExportedArray(buffers: [nil], childCount: columns.count)
    // On a failure the children filled so far are released with the parent.
    var filled = 0
    defer {
      if filled < columns.count {
        for i in 0..<filled { releaseExportedArray(owner.children![i]!) }
      }
    }
    for (i, column) in columns.enumerated() {
      try fillColumn(owner.children![i]!, column, segment)
      filled += 1
    }
    fillArray(out, owner: owner, length: segment.rows.count, nullCount: 0, offset: 0, bufferCount: 1)
    next += 1
  }

  private func fillColumn(_ out: UnsafeMutablePointer<ArrowArray>, _ column: Column, _ segment: Segment) throws(SFError) {
    let dtype = column.program.dtype
    let n = segment.rows.count
    if let shared = column.gathered {
      try fillGatheredCategorical(out, column, shared, segment, n: n)
      return
    }
    if column.dictionary != nil {
      try fillCategorical(out, column, segment, n: n)
      return
    }
    switch column.layout {
    case .fixedWidth:
      try fillFixedWidth(out, column, segment, dtype: dtype, n: n, bufferCount: column.layout.bufferCount)
    case .string:
      try fillString(out, column, segment, n: n)
    }
  }

  /// A chunk's rows handed out in place: the array keeps the frame and the loaded batch
  /// `data` (the chunk's memory) alive.
  private func fillStored(_ out: UnsafeMutablePointer<ArrowArray>, _ chunk: ColumnChunk, of data: BatchData,
                          start: Int, n: Int, dataBuffers: [UnsafeRawPointer?], bufferCount: Int,
                          dictionary: UnsafeMutablePointer<ArrowArray>? = nil) {
    let first = chunk.offset + start
    let nulls = chunk.validity.map { countUnsetBits($0, offset: first, count: n) } ?? 0
    let owner = ExportedArray(buffers: [nulls > 0 ? UnsafeRawPointer(chunk.validity) : nil] + dataBuffers, childCount: 0)
    owner.keepAlive = frame
    owner.batch = data
    owner.dictionary = dictionary
    fillArray(out, owner: owner, length: n, nullCount: nulls, offset: first, bufferCount: bufferCount)
  }

  /// A categorical's rows in place: its integer indices, with its strings as the dictionary.
  private func fillCategorical(_ out: UnsafeMutablePointer<ArrowArray>, _ column: Column, _ segment: Segment,
                               n: Int) throws(SFError) {
    guard let f = column.storedField, let stored = segment.stored, let expected = column.dictionary,
          let dictionary = frame.table.batches[stored.batch].dictionaries[f],
          dictionary.indexType == expected.indexType, dictionary.values.dtype.arrowFormat == expected.format,
          let offsets = dictionary.values.offsets else {
      throw SFError(.type, "column '\(column.name)' changes its dictionary types between record batches")
    }
    let data = try frame.table.batch(stored.batch)
    let chunk = data.columns[f]
    let strings = UnsafeMutablePointer<ArrowArray>.allocate(capacity: 1)
    strings.initialize(to: ArrowArray())
    fillStored(strings, dictionary.values, of: data, start: 0, n: dictionary.values.length,
               dataBuffers: [offsets, dictionary.values.values], bufferCount: 3)
    fillStored(out, chunk, of: data, start: stored.start, n: n, dataBuffers: [chunk.values], bufferCount: 2,
               dictionary: strings)
  }

  /// A categorical of an indexed frame: gathered int32 indices into the shared dictionary,
  /// whose strings go out in place.
  private func fillGatheredCategorical(_ out: UnsafeMutablePointer<ArrowArray>, _ column: Column,
                                       _ shared: ColumnDictionary, _ segment: Segment, n: Int) throws(SFError) {
    guard let offsets = shared.values.offsets, !frame.table.batches.isEmpty else {
      throw SFError(.type, "column '\(column.name)' has a dictionary without string offsets")
    }
    let data = try frame.table.batch(0)  // the dictionary's memory lives with the table's batches
    let indices = UnsafeMutableRawPointer.allocate(byteCount: max(1, n * 4), alignment: 64)
    let valid = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, n))
    defer { valid.deallocate() }
    let missing: Int
    do {
      missing = try frame.evaluateDictionaryIndices(column.expression, range: segment.rows, dictionary: shared,
                                                    into: indices.assumingMemoryBound(to: Int32.self), valid: valid)
    } catch {
      indices.deallocate()
      throw error
    }
    var allocations = [indices]
    var validity: UnsafeRawPointer? = nil
    if missing > 0 {
      let bits = UnsafeMutableRawPointer.allocate(byteCount: max(1, (n + 7) / 8), alignment: 64)
      packBits(valid, count: n, into: bits.assumingMemoryBound(to: UInt8.self))
      allocations.append(bits)
      validity = UnsafeRawPointer(bits)
    }
    let strings = UnsafeMutablePointer<ArrowArray>.allocate(capacity: 1)
    strings.initialize(to: ArrowArray())
    fillStored(strings, shared.values, of: data, start: 0, n: shared.values.length,
               dataBuffers: [offsets, shared.values.values], bufferCount: 3)
    let owner = ExportedArray(buffers: [validity, UnsafeRawPointer(indices)], childCount: 0)
    owner.allocations = allocations
    owner.dictionary = strings
    fillArray(out, owner: owner, length: n, nullCount: missing, offset: 0, bufferCount: 2)
  }

  private func fillString(_ out: UnsafeMutablePointer<ArrowArray>, _ column: Column, _ segment: Segment,
                          n: Int) throws(SFError) {
    if let f = column.storedField, let stored = segment.stored {
      let data = try frame.table.batch(stored.batch)
      let chunk = data.columns[f]
      if let offsets = chunk.offsets {
        fillStored(out, chunk, of: data, start: stored.start, n: n, dataBuffers: [offsets, chunk.values], bufferCount: 3)
        return
      }
      throw SFError(.type, "column '\(column.name)' has a chunk without string offsets")
    }
    let offsets = UnsafeMutablePointer<Int64>.allocate(capacity: n + 1)
    let valid = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, n))
    defer { valid.deallocate() }
    let result: (bytes: [UInt8], missing: Int)
    do {
      result = try frame.evaluateStrings(column.expression, range: segment.rows, offsets: offsets, valid: valid)
    } catch {
      offsets.deallocate()
      throw error
    }
    let bytes = UnsafeMutableRawPointer.allocate(byteCount: max(1, result.bytes.count), alignment: 64)
    result.bytes.withUnsafeBytes { if let base = $0.baseAddress { bytes.copyMemory(from: base, byteCount: $0.count) } }
    var allocations = [UnsafeMutableRawPointer(offsets), bytes]
    var validity: UnsafeRawPointer? = nil
    if result.missing > 0 {
      let bits = UnsafeMutableRawPointer.allocate(byteCount: max(1, (n + 7) / 8), alignment: 64)
      packBits(valid, count: n, into: bits.assumingMemoryBound(to: UInt8.self))
      allocations.append(bits)
      validity = UnsafeRawPointer(bits)
    }
    let owner = ExportedArray(buffers: [validity, UnsafeRawPointer(offsets), UnsafeRawPointer(bytes)], childCount: 0)
    owner.allocations = allocations
    fillArray(out, owner: owner, length: n, nullCount: result.missing, offset: 0, bufferCount: 3)
  }

  private func fillFixedWidth(_ out: UnsafeMutablePointer<ArrowArray>, _ column: Column, _ segment: Segment,
                              dtype: DType, n: Int, bufferCount: Int) throws(SFError) {
    if let f = column.storedField, let stored = segment.stored {
      let data = try frame.table.batch(stored.batch)
      let chunk = data.columns[f]
      fillStored(out, chunk, of: data, start: stored.start, n: n, dataBuffers: [chunk.values], bufferCount: bufferCount)
      return
    }
    let width = dtype.byteWidth
    let values = UnsafeMutableRawPointer.allocate(byteCount: max(1, n * width), alignment: 64)
    let valid = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, n))
    defer { valid.deallocate() }
    var allocations = [values]
    let missing: Int
    do {
      missing = try frame.evaluate(column.expression, range: segment.rows, dtype: dtype, into: values, valid: valid)
    } catch {
      values.deallocate()
      throw error
    }
    var data = UnsafeRawPointer(values)
    if dtype == .bool {
      let bits = UnsafeMutableRawPointer.allocate(byteCount: max(1, (n + 7) / 8), alignment: 64)
      packBits(values.assumingMemoryBound(to: UInt8.self), count: n, into: bits.assumingMemoryBound(to: UInt8.self))
      values.deallocate()
      allocations = [bits]
      data = UnsafeRawPointer(bits)
    }
    var validity: UnsafeRawPointer? = nil
    if missing > 0 {
      let bits = UnsafeMutableRawPointer.allocate(byteCount: max(1, (n + 7) / 8), alignment: 64)
      packBits(valid, count: n, into: bits.assumingMemoryBound(to: UInt8.self))
      allocations.append(bits)
      validity = UnsafeRawPointer(bits)
    }
    let owner = ExportedArray(buffers: [validity, data], childCount: 0)
    owner.allocations = allocations
    fillArray(out, owner: owner, length: n, nullCount: missing, offset: 0, bufferCount: bufferCount)
  }
}

private func streamState(_ stream: UnsafeMutablePointer<ArrowArrayStream>?) -> ArrowStreamExport? {
  guard let data = stream?.pointee.private_data else { return nil }
  return Unmanaged<ArrowStreamExport>.fromOpaque(data).takeUnretainedValue()
}

private func streamGetSchema(_ stream: UnsafeMutablePointer<ArrowArrayStream>?, _ out: UnsafeMutablePointer<ArrowSchema>?) -> Int32 {
  guard let state = streamState(stream) else { return EINVAL }
  guard let out else { return state.setError(.argument("get_schema: out is NULL")) }
  state.schema(out)
  return 0
}

private func streamGetNext(_ stream: UnsafeMutablePointer<ArrowArrayStream>?, _ out: UnsafeMutablePointer<ArrowArray>?) -> Int32 {
  guard let state = streamState(stream) else { return EINVAL }
  guard let out else { return state.setError(.argument("get_next: out is NULL")) }
  do {
    try state.nextBatch(out)
    return 0
  } catch {
    return state.setError(error)
  }
}

private func streamGetLastError(_ stream: UnsafeMutablePointer<ArrowArrayStream>?) -> UnsafePointer<CChar>? {
  streamState(stream)?.lastError.map { UnsafePointer($0) }
}

private func streamRelease(_ stream: UnsafeMutablePointer<ArrowArrayStream>?) {
  guard let stream, stream.pointee.release != nil else { return }
  if let data = stream.pointee.private_data { Unmanaged<ArrowStreamExport>.fromOpaque(data).release() }
  stream.pointee.release = nil
  stream.pointee.private_data = nil
  arrowLiveExports.subtract(1, ordering: .relaxed)
}

extension DataFrame {
  /// Writes into `out` an Arrow C stream of `columns` (name, expression) — the
  /// visible columns when nil — evaluated over this frame's rows after its filter,
  /// in record batches of at most `maxRows` rows. Stored columns are not copied
  /// unless `copy`. The consumer releases the stream with `out.pointee.release`.
  public func exportArrow(columns requested: [(name: String, expression: String)]? = nil,
                          maxRows: Int = arrowBatchRows, copy: Bool = false,
                          into out: UnsafeMutablePointer<ArrowArrayStream>) throws(SFError) {
    guard maxRows > 0 else { throw .argument("max_rows must be positive, got \(maxRows)") }
    let frame = self.copy()
    var pairs: [(name: String, expression: String)] = []
    if let requested {
      pairs = requested
    } else {
      for name in frame.columnNames {
        guard !name.contains("`") else {
          throw .argument("column name '\(name)' contains a backtick, which expressions cannot refer to")
        }
        pairs.append((name, "`\(name)`"))
      }
    }
    let s = frame.snapshot
    var seen = Set<String>()
    var columns: [ArrowStreamExport.Column] = []
    for (name, expression) in pairs {
      guard seen.insert(name).inserted else { throw .argument("duplicate column name '\(name)'") }
      let program = try frame.compile(expression)
      guard var format = program.dtype.arrowFormat, let layout = program.dtype.arrowLayout else {
        throw SFError(.type, "column '\(name)' has dtype \(program.dtype), which the Arrow export does not handle yet")
      }
      var field: Int? = nil
      if case .field(let f) = program.root.op { field = f }
      // Stored rows go out in place unless filtered or asked to copy; a categorical
      // as a dictionary array (when every batch has the same index and string types).
      var storedField = field.flatMap { f in !copy && s.filter == nil && s.index == nil && f < table.fields.count ? f : nil }
      var dictionary: (indexType: DType, format: String)? = nil
      if let f = storedField, table.fields[f].categorical {
        let kinds = Set(table.batches.compactMap { b in
          b.dictionaries[f].flatMap { d in d.values.dtype.arrowFormat.map { "\(d.indexType.rawValue) \($0)" } }
        })
        if kinds.count == 1, let d = table.batches.lazy.compactMap({ $0.dictionaries[f] }).first,
           let indexFormat = d.indexType.arrowFormat, let valuesFormat = d.values.dtype.arrowFormat {
          dictionary = (d.indexType, valuesFormat)
          format = indexFormat
        } else {
          storedField = nil
        }
      }
      // A categorical read through a row index goes out as gathered int32 indices.
      var gathered: ColumnDictionary? = nil
      if let f = field, !copy, s.index != nil, f < table.fields.count, table.fields[f].categorical,
         let shared = frame.sharedDictionary(table.fields[f].name), let valuesFormat = shared.values.dtype.arrowFormat {
        gathered = shared
        dictionary = (.int32, valuesFormat)
        format = "i"
        storedField = f
      }
      if layout == .string && storedField == nil { format = "U" }  // evaluated strings are large_utf8
      if let f = field, format.hasPrefix("ts"), let zone = frame.fields(s)[f].timezone { format += zone }
      columns.append(.init(name: name, expression: expression, program: program, format: format, layout: layout,
                           storedField: storedField, dictionary: dictionary, gathered: gathered))
    }
    var segments: [ArrowStreamExport.Segment] = []
    if s.filter == nil && s.index == nil {
      // Cut at record batch boundaries so stored columns can be handed out in place.
      var batchRow = 0
      for (b, batch) in table.batches.enumerated() {
        let lo = max(s.rows.lowerBound, batchRow), hi = min(s.rows.upperBound, batchRow + batch.length)
        var r = lo
        while r < hi {
          let count = min(maxRows, hi - r)
          let at = r - s.rows.lowerBound
          segments.append(.init(rows: at..<(at + count), stored: (b, r - batchRow)))
          r += count
        }
        batchRow += batch.length
      }
    } else {
      let n = try frame.length()
      var r = 0
      while r < n {
        let count = min(maxRows, n - r)
        segments.append(.init(rows: r..<(r + count), stored: nil))
        r += count
      }
    }
    let state = ArrowStreamExport(frame: frame, columns: columns, segments: segments)
    out.pointee = ArrowArrayStream(
      get_schema: { streamGetSchema($0, $1) }, get_next: { streamGetNext($0, $1) },
      get_last_error: { streamGetLastError($0) }, release: { streamRelease($0) },
      private_data: Unmanaged.passRetained(state).toOpaque())
    arrowLiveExports.add(1, ordering: .relaxed)
  }
}
