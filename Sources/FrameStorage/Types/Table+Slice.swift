extension Table {
  /// Rows `range` of the table as a table of their own, sharing its memory: the
  /// batches at the ends are cut (their chunks get an offset), those outside dropped.
  public func slicing(_ range: Range<Int>) throws(SFError) -> Table {
    guard range.lowerBound >= 0, range.upperBound <= rowCount else {
      throw .argument("rows \(range.lowerBound)..<\(range.upperBound) are not inside a table of \(rowCount) rows")
    }
    if range == 0..<rowCount { return self }
    var kept: [RecordBatch] = []
    var row = 0
    for b in batches {
      let lo = max(range.lowerBound, row), hi = min(range.upperBound, row + b.length)
      if lo < hi { kept.append(lo == row && hi == row + b.length ? b : b.slicing((lo - row)..<(hi - row))) }
      row += b.length
    }
    return Table(fields: fields, batches: kept, source: source, unsupported: unsupported, owners: owners, files: files)
  }
}

extension RecordBatch {
  /// Rows `rows` of this batch (inside it), loaded through it.
  func slicing(_ rows: Range<Int>) -> RecordBatch {
    RecordBatch(length: rows.count, dictionaries: dictionaries, loader: SliceLoader(parent: self, rows: rows))
  }
}

/// Loads a batch and cuts its chunks to `rows` (no copy: an offset and a length).
final class SliceLoader: BatchLoader, @unchecked Sendable {
  let parent: RecordBatch
  let rows: Range<Int>

  init(parent: RecordBatch, rows: Range<Int>) {
    self.parent = parent
    self.rows = rows
  }

  func load() throws(SFError) -> BatchData { cut(try parent.load()) }

  var resident: BatchData? { parent.resident.map(cut) }

  private func cut(_ data: BatchData) -> BatchData {
    BatchData(columns: data.columns.map(cut), owners: [data])
  }

  private func cut(_ c: ColumnChunk) -> ColumnChunk {
    let start = c.offset + rows.lowerBound
    let nulls = c.validity.map { rows.count - setBits($0, start..<(start + rows.count)) } ?? 0
    return ColumnChunk(dtype: c.dtype, length: rows.count, offset: start, values: c.values, validity: c.validity,
                       nullCount: nulls, offsets: c.offsets, dictionary: c.dictionary)
  }
}

/// Set bits of `bits` at positions `range` (Arrow's LSB-first order), a byte at a time.
private func setBits(_ bits: UnsafePointer<UInt8>, _ range: Range<Int>) -> Int {
  var i = range.lowerBound, count = 0
  while i < range.upperBound && i & 7 != 0 {
    if bits[i >> 3] & (1 << UInt8(i & 7)) != 0 { count += 1 }
    i += 1
  }
  while i + 8 <= range.upperBound {
    count += bits[i >> 3].nonzeroBitCount
    i += 8
  }
  while i < range.upperBound {
    if bits[i >> 3] & (1 << UInt8(i & 7)) != 0 { count += 1 }
    i += 1
  }
  return count
}
