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
    let rows = try allocateRows(positions.count)
    for (k, p) in positions.enumerated() {
      let q = p < 0 ? p + Int64(n) : p
      guard q >= 0, q < Int64(n) else {
        free(rows)
        throw .argument("index \(p) is out of bounds for a frame of \(n) rows")
      }
      rows[k] = q
    }
    return try reindexed(adoptingPositions: rows, count: positions.count, s, progress: progress)
  }

  /// A frame over the rows at `positions` (malloc'd, n of them, each in 0 ..< length
  /// after the filter; consumed: it becomes the new index when it can) of this frame's
  /// state `s`: each source's index composed with them; no filter.
  func reindexed(adoptingPositions rows: UnsafeMutablePointer<Int64>, count n: Int, _ s: FrameState,
                 progress: ProgressHandler?) throws(SFError) -> DataFrame {
    do throws(SFError) {
      let scan = try self.scan(s)
      if scan.filter == nil {
        let start = Int64(s.rows.lowerBound)
        if start != 0 { for k in 0..<n { rows[k] += start } }
      } else {
        try logicalRows(scan, counts: try filterCounts(progress: progress), positions: rows, count: n, progress: progress)
      }
    } catch {
      free(rows)
      throw error
    }
    // Joined sources first (copies), then the table's own index composed in place.
    var joined: [RowSource] = []
    for j in s.joined {
      let out: UnsafeMutablePointer<Int64>
      do throws(SFError) { out = try allocateRows(n) } catch { free(rows); throw error }
      if let index = j.index {
        for k in 0..<n { out[k] = index[Int(rows[k])] }
      } else {
        out.initialize(from: rows, count: n)
      }
      do throws(SFError) {
        joined.append(RowSource(table: j.table, index: try RowIndex(adopting: out, count: n, rowCount: j.table.rowCount)))
      } catch {
        free(rows)
        throw error
      }
    }
    if let index = s.index {
      for k in 0..<n { rows[k] = index[Int(rows[k])] }
    }
    var next = s
    next.index = try RowIndex(adopting: rows, count: n, rowCount: table.rowCount)
    next.joined = joined
    next.filter = nil
    next.counts = nil
    next.rows = 0..<n
    return DataFrame(table: table, state: next)
  }
}
