#if canImport(Glibc)
import Glibc
#endif
import FrameStorage

/// An immutable row index: logical row k of a frame reads table row `self[k]`; -1
/// reads as a missing row (every column missing: the unmatched rows of a join). Sorted,
/// taken and sampled frames share one index; a slice of them is a row range over it.
/// Owns its memory (malloc'd, so a sort can build it in place and shrink it).
public final class RowIndex: @unchecked Sendable {
  public let base: UnsafePointer<Int64>
  public let count: Int
  /// Whether some entry is -1.
  public let hasMissing: Bool

  /// Takes ownership of `base` (allocated with malloc, freed with the index), `count`
  /// entries each -1 or a row of a table of `rowCount` rows: checked here, so a gather
  /// never reads out of bounds.
  public init(adopting base: UnsafeMutablePointer<Int64>, count: Int, rowCount: Int) throws(SFError) {
    var missing = false, bad: Int64? = nil
    for k in 0..<count {
      let r = base[k]
      if r < 0 { if r == -1 { missing = true } else { bad = r; break } }
      else if r >= Int64(rowCount) { bad = r; break }
    }
    if let bad {
      free(base)
      throw SFError(.argument, "row index entry \(bad) is out of range for a table of \(rowCount) rows")
    }
    self.base = UnsafePointer(base)
    self.count = count
    self.hasMissing = missing
  }

  /// A copy of `rows` (each -1 or a row of a table of `rowCount` rows).
  public convenience init(_ rows: [Int64], rowCount: Int) throws(SFError) {
    let p = try allocateRows(rows.count)
    rows.withUnsafeBufferPointer { if let b = $0.baseAddress { p.initialize(from: b, count: rows.count) } }
    try self.init(adopting: p, count: rows.count, rowCount: rowCount)
  }

  deinit { free(UnsafeMutableRawPointer(mutating: base)) }

  @inline(__always) public subscript(k: Int) -> Int64 { base[k] }
}

/// malloc'd room for `n` Int64 rows (what RowIndex adopts), or an out-of-memory error.
public func allocateRows(_ n: Int) throws(SFError) -> UnsafeMutablePointer<Int64> {
  guard n >= 0, n <= Int.max / 8, let raw = malloc(max(1, n) * 8) else {
    throw SFError(.outOfMemory, "cannot allocate a row index of \(n) rows")
  }
  return raw.bindMemory(to: Int64.self, capacity: max(1, n))
}

/// A table whose rows a frame reads through an optional index aligned to the frame's
/// logical rows (nil: logical row k is table row k). A frame reads its own table and,
/// after a join, other tables whose fields follow its own in field numbering.
public struct RowSource: Sendable {
  public let table: Table
  public let index: RowIndex?

  public init(table: Table, index: RowIndex?) {
    self.table = table
    self.index = index
  }

  /// Logical rows this source can serve.
  public var rowCount: Int { index?.count ?? table.rowCount }
}

/// The stored columns of one source as one evaluator reads them through its index:
/// per chunk, each row's record batch and row within it (resolved once per chunk and
/// shared by every field), then per field a specialized gather into scratch.
final class GatherSource {
  let table: Table
  let index: RowIndex?
  /// First table row of each record batch, and the row count last.
  private let starts: [Int]
  /// Per page of 2^pageShift table rows, the batch holding the page's first row: a row's
  /// batch is then found in a step or two, without a search that mispredicts.
  private let pages: [Int32]
  private let pageShift: Int
  /// Batches loaded so far, kept for the evaluator's life: a sorted frame reads them all.
  private var loaded: [BatchData?]
  /// Whether each batch is in `loaded`: a flag the per-row loop reads without touching
  /// reference counts.
  private let isLoaded: UnsafeMutablePointer<Bool>
  /// Per row of the current chunk: the row within its batch, or -1 for a missing row.
  let local: UnsafeMutablePointer<Int>
  /// Per row: its batch (only filled when the table has several).
  let batchOf: UnsafeMutablePointer<Int32>
  private var resolved: (row: Int, count: Int)? = nil
  /// Whether the current chunk has a missing row.
  private(set) var chunkHasMissing = false
  /// Per batch, for the field being gathered: the column chunk (scratch arrays reused).
  private var columns: [ColumnChunk?]

  init(_ source: RowSource) {
    table = source.table
    index = source.index
    var s: [Int] = [], row = 0
    for b in table.batches { s.append(row); row += b.length }
    s.append(row)
    starts = s
    var shift = 0
    while (row >> shift) > 1 << 12 { shift += 1 }  // a table small enough to stay in L1
    var pageTable: [Int32] = []
    if source.table.batches.count > 1 {
      var b = 0
      for page in 0...(row >> shift) {
        while b + 1 < s.count - 1 && s[b + 1] <= page << shift { b += 1 }
        pageTable.append(Int32(b))
      }
    }
    pages = pageTable
    pageShift = shift
    loaded = Array(repeating: nil, count: table.batches.count)
    isLoaded = .allocate(capacity: max(1, table.batches.count))
    isLoaded.initialize(repeating: false, count: max(1, table.batches.count))
    columns = Array(repeating: nil, count: table.batches.count)
    local = .allocate(capacity: chunkRows)
    batchOf = .allocate(capacity: chunkRows)
  }

  deinit {
    local.deallocate()
    batchOf.deallocate()
    isLoaded.deallocate()
  }

  private var multi: Bool { table.batches.count > 1 }

  /// Resolves the rows of `chunk` (logical rows `chunk.row ..< chunk.row + chunk.count`).
  func resolve(_ chunk: ChunkRef) throws(SFError) {
    if let r = resolved, r.row == chunk.row, r.count == chunk.count { return }
    resolved = nil
    let n = chunk.count
    guard chunk.row >= 0, n <= chunkRows, chunk.row + n <= (index?.count ?? table.rowCount) else {
      throw SFError(.argument, "rows \(chunk.row)..<\(chunk.row + n) are out of range for a source of "
                    + "\(index?.count ?? table.rowCount) rows")
    }
    var missing = false
    if !multi {
      if let index {
        let rows = index.base + chunk.row
        for i in 0..<n { local[i] = Int(rows[i]) }
        missing = index.hasMissing
      } else {
        for i in 0..<n { local[i] = chunk.row + i }
      }
      if !table.batches.isEmpty, loaded[0] == nil { loaded[0] = try table.batch(0) }
    } else {
      var b: Int
      for i in 0..<n {
        let r = index.map { Int($0.base[chunk.row + i]) } ?? (chunk.row + i)
        if r < 0 {
          local[i] = -1
          batchOf[i] = 0
          missing = true
          continue
        }
        b = Int(pages[r >> pageShift])  // no data-dependent branch: rows come in any order
        while starts[b + 1] <= r { b += 1 }
        batchOf[i] = Int32(b)
        local[i] = r - starts[b]
        if !isLoaded[b] {
          loaded[b] = try table.batch(b)
          isLoaded[b] = true
        }
      }
    }
    chunkHasMissing = missing
    resolved = (chunk.row, n)
  }

  /// The values of stored field `f` over the resolved chunk of `n` rows, into `scratch`.
  func gather(_ f: Int, count n: Int, into scratch: Scratch) throws(SFError) -> Vec {
    let field = table.fields[f]
    var anyValidity = false
    var dictionaryEntries = false
    for b in loaded.indices {
      guard let data = loaded[b] else { columns[b] = nil; continue }
      guard data.columns.indices.contains(f) else { throw SFError(.corrupt, "record batch \(b) has no column \(f)") }
      let c = data.columns[f]
      columns[b] = c
      if c.validity != nil { anyValidity = true }
      if c.dictionary?.values.validity != nil { dictionaryEntries = true }
    }
    scratch.count = n
    let needsMask = anyValidity || chunkHasMissing || dictionaryEntries
    let mask = needsMask ? scratch.mask : nil
    if let mask { gatherPresence(mask, n) }
    let valid = mask.map { UnsafePointer($0) }
    if field.dtype.isString || field.categorical {
      let out = scratch.newStrings()
      gatherStrings(out, mask, n)
      return out.vec(valid: valid)
    }
    let out = scratch.values
    if field.dtype == .bool {
      gatherBits(out.assumingMemoryBound(to: UInt8.self), n)
    } else {
      switch field.dtype.byteWidth {
      case 1: gatherFixed(UInt8.self, out, n)
      case 2: gatherFixed(UInt16.self, out, n)
      case 4: gatherFixed(UInt32.self, out, n)
      default: gatherFixed(UInt64.self, out, n)
      }
    }
    return Vec(dtype: field.dtype, values: UnsafeRawPointer(out), valid: valid, count: n)
  }

  private func gatherFixed<T: FixedWidthInteger>(_: T.Type, _ out: UnsafeMutableRawPointer, _ n: Int) {
    let o = out.assumingMemoryBound(to: T.self)
    if !multi {
      guard let c = columns.first ?? nil else { for i in 0..<n { o[i] = 0 }; return }
      let p = (c.values + c.offset * MemoryLayout<T>.stride).assumingMemoryBound(to: T.self)
      for i in 0..<n {
        let r = local[i]
        o[i] = r < 0 ? 0 : p[r]
      }
      return
    }
    withBases(T.self) { bases in
      for i in 0..<n {
        let r = local[i]
        o[i] = r < 0 ? 0 : bases[Int(batchOf[i])][r]
      }
    }
  }

  /// Typed value pointers of every loaded batch's current column (offset applied).
  private func withBases<T>(_: T.Type, _ body: (UnsafeBufferPointer<UnsafePointer<T>>) -> Void) {
    let bases = UnsafeMutableBufferPointer<UnsafePointer<T>>.allocate(capacity: max(1, columns.count))
    defer { bases.deallocate() }
    let dummy = UnsafeMutablePointer<T>.allocate(capacity: 1)
    defer { dummy.deallocate() }
    for (b, c) in columns.enumerated() {
      bases[b] = c.map { ($0.values + $0.offset * MemoryLayout<T>.stride).assumingMemoryBound(to: T.self) }
        ?? UnsafePointer(dummy)  // a batch no row of this chunk reads
    }
    body(UnsafeBufferPointer(bases))
  }

  @inline(__always)
  private func bit(_ bits: UnsafePointer<UInt8>, _ at: Int) -> UInt8 { (bits[at >> 3] >> UInt8(at & 7)) & 1 }

  private func gatherBits(_ o: UnsafeMutablePointer<UInt8>, _ n: Int) {
    for i in 0..<n {
      let r = local[i]
      guard r >= 0, let c = columns[multi ? Int(batchOf[i]) : 0] else { o[i] = 0; continue }
      o[i] = bit(c.values.assumingMemoryBound(to: UInt8.self), c.offset + r)
    }
  }

  /// Presence bytes: the row is not a missing row and its value is present.
  private func gatherPresence(_ m: UnsafeMutablePointer<UInt8>, _ n: Int) {
    for i in 0..<n {
      let r = local[i]
      guard r >= 0, let c = columns[multi ? Int(batchOf[i]) : 0] else { m[i] = 0; continue }
      m[i] = c.validity.map { bit($0, c.offset + r) } ?? 1
    }
  }

  /// Plain or dictionary-encoded strings, row by row into `out`; a row whose dictionary
  /// entry is missing becomes missing in `mask` (Arrow allows both).
  private func gatherStrings(_ out: StringBuilder, _ mask: UnsafeMutablePointer<UInt8>?, _ n: Int) {
    for i in 0..<n {
      let r = local[i]
      if r >= 0, mask.map({ $0[i] != 0 }) ?? true, let c = columns[multi ? Int(batchOf[i]) : 0] {
        let at = c.offset + r
        if let d = c.dictionary, let entries = d.values.validity {
          let e = d.values.offset + dictionaryIndex(c.values, d.indexType, at)
          if bit(entries, e) == 0 { mask?[i] = 0; out.endRow(); continue }
        }
        out.append(stringBytes(c, at))
      }
      out.endRow()
    }
  }

  /// Row `i` of the resolved chunk as (its column chunk of field `f`, row within the
  /// chunk's arrays, offset applied), nil for a missing row: for the rare per-row readers.
  func cell(_ i: Int, field f: Int) -> (column: ColumnChunk, row: Int)? {
    let r = local[i]
    guard r >= 0, let data = loaded[multi ? Int(batchOf[i]) : 0], data.columns.indices.contains(f) else { return nil }
    let c = data.columns[f]
    return (c, c.offset + r)
  }
}
