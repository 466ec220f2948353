#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Frames over chosen rows: take (and through it sort, sample, shuffle) gives a frame
/// whose rows are a row index into the same table, read lazily; nothing is copied.
extension DataFrame {
  /// The rows at `positions` of this frame (counted after its filter; negative counts
  /// from the end, as numpy's), in that order, repeats allowed: a lazy frame over the
  /// same data with the same virtual columns, selections and column selection, and no
  /// filter (the filter is resolved into the index). Taking from a taken or sorted
  /// frame composes the indices.
  public func take(_ positions: UnsafeBufferPointer<Int64>, progress: ProgressHandler? = nil) throws(SFError) -> DataFrame {
    let s = snapshot
    let n = try length(progress: progress)
    let logical = try allocateRows(positions.count)
    defer { free(logical) }
    for (k, p) in positions.enumerated() {
      let q = p < 0 ? p + Int64(n) : p
      guard q >= 0, q < Int64(n) else {
        throw .argument("index \(p) is out of bounds for a frame of \(n) rows")
      }
      logical[k] = q
    }
    try resolveLogicalRows(logical, count: positions.count, s, progress: progress)
    return try reindexed(logical: UnsafeBufferPointer(start: logical, count: positions.count), s)
  }

  /// Turns positions among the filtered rows (in place, each in 0 ..< length) into
  /// logical rows: the row range's start added, and through the filter's per-chunk counts
  /// one pass over just the chunks holding requested positions.
  func resolveLogicalRows(_ rows: UnsafeMutablePointer<Int64>, count n: Int, _ s: FrameState,
                          progress: ProgressHandler?) throws(SFError) {
    let scan = try self.scan(s)
    guard scan.filter != nil else {
      let start = Int64(s.rows.lowerBound)
      for k in 0..<n { rows[k] += start }
      return
    }
    try logicalRows(scan, counts: try filterCounts(progress: progress), positions: rows, count: n, progress: progress)
  }

  /// A frame over logical rows `logical` of this frame's state `s` (in 0 ..< the
  /// sources' row count): each source's index composed with them; no filter.
  func reindexed(logical: UnsafeBufferPointer<Int64>, _ s: FrameState) throws(SFError) -> DataFrame {
    func compose(_ source: RowSource) throws(SFError) -> RowIndex {
      let out = try allocateRows(logical.count)
      if let index = source.index {
        for (k, r) in logical.enumerated() { out[k] = index[Int(r)] }
      } else if let base = logical.baseAddress {
        out.initialize(from: base, count: logical.count)
      }
      return try RowIndex(adopting: out, count: logical.count, rowCount: source.table.rowCount)
    }
    var next = s
    next.index = try compose(RowSource(table: table, index: s.index))
    var joined: [RowSource] = []
    for j in s.joined { joined.append(RowSource(table: j.table, index: try compose(j))) }
    next.joined = joined
    next.filter = nil
    next.counts = nil
    next.rows = 0..<logical.count
    return DataFrame(table: table, state: next)
  }
}
