import FrameStorage

/// Rows per chunk: the unit of work of a pass and the length of every scratch buffer.
public let chunkRows = 1 << 14

/// A piece of one record batch: rows `start ..< start + count` of batch `batch`,
/// which are rows `row ..< row + count` of the table. Over an indexed source the
/// chunk is logical rows `row ..< row + count` (read through the index) and `batch` is -1.
public struct ChunkRef: Sendable {
  public let batch: Int
  public let start: Int
  public let count: Int
  public let row: Int
}

extension ChunkRef {
  /// Releases the mapped pages of this chunk's rows once a pass is done with them
  /// (Table.releasePages: only for files larger than memory allows to keep).
  func releasePages(of table: Table) {
    table.releasePages(batch: batch, rows: start ..< start + count)
  }
}

/// Cuts the rows `rows` of `table` into chunks that never cross a record batch.
public func planChunks(_ table: Table, rows: Range<Int>) -> [ChunkRef] {
  var chunks: [ChunkRef] = []
  var batchRow = 0
  for (b, batch) in table.batches.enumerated() {
    let lo = max(rows.lowerBound, batchRow), hi = min(rows.upperBound, batchRow + batch.length)
    var s = lo
    while s < hi {
      let n = min(chunkRows, hi - s)
      chunks.append(ChunkRef(batch: b, start: s - batchRow, count: n, row: s))
      s += n
    }
    batchRow += batch.length
  }
  return chunks
}

/// The chunks of a scan: cut at record batch boundaries over a plain table, or every
/// `chunkRows` logical rows when the frame's own table is read through an index.
public func planChunks(_ scan: Scan) -> [ChunkRef] {
  guard scan.sources[0].index != nil else { return planChunks(scan.table, rows: scan.rows) }
  var chunks: [ChunkRef] = []
  chunks.reserveCapacity((scan.rows.count + chunkRows - 1) / chunkRows)
  var s = scan.rows.lowerBound
  while s < scan.rows.upperBound {
    let n = min(chunkRows, scan.rows.upperBound - s)
    chunks.append(ChunkRef(batch: -1, start: s, count: n, row: s))
    s += n
  }
  return chunks
}

/// Turns positions among the rows `scan`'s filter keeps (in place, each in 0 ..< the
/// filtered length) into logical rows, in one pass over just the chunks holding
/// requested positions. `counts` is `filteredCounts(scan)`.
public func logicalRows(_ scan: Scan, counts: [Int], positions rows: UnsafeMutablePointer<Int64>, count n: Int,
                        threads: Int = defaultThreadCount, progress: ProgressHandler? = nil) throws(SFError) {
  let chunks = scan.chunks
  guard counts.count == chunks.count else { throw SFError(.argument, "stale row counts for this frame") }
  // The filtered position each chunk starts at, and the requests grouped by chunk.
  var firsts = [Int](repeating: 0, count: chunks.count + 1)
  for c in chunks.indices { firsts[c + 1] = firsts[c] + counts[c] }
  func chunkOf(_ p: Int) -> Int {
    var lo = 0, hi = max(0, chunks.count - 1)
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if firsts[mid] <= p { lo = mid } else { hi = mid - 1 }
    }
    return lo
  }
  var starts = [Int](repeating: 0, count: chunks.count + 1)
  let owner = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, n))
  defer { owner.deallocate() }
  for k in 0..<n {
    let c = chunkOf(Int(rows[k]))
    owner[k] = Int32(c)
    starts[c + 1] += 1
  }
  for c in chunks.indices { starts[c + 1] += starts[c] }
  let order = UnsafeMutablePointer<Int>.allocate(capacity: max(1, n))
  defer { order.deallocate() }
  var fill = starts
  for k in 0..<n {
    let c = Int(owner[k])
    order[fill[c]] = k
    fill[c] += 1
  }
  let active = chunks.indices.filter { starts[$0 + 1] > starts[$0] }
  final class Worker {
    let pass: PassWorker
    let kept = UnsafeMutablePointer<Int32>.allocate(capacity: chunkRows)
    init(_ pass: PassWorker) { self.pass = pass }
    deinit { kept.deallocate() }
  }
  let shared = Shared(rows)
  _ = try runPass(chunkCount: active.count, threads: threads, progress: progress, makeState: {
    Worker(PassWorker(scan: scan, programs: [], filter: scan.filter, maskCount: 1))
  }) { (w: Worker, i: Int) throws(SFError) in
    let c = active[i], chunk = chunks[c]
    let mask = try w.pass.filterMask(chunk, into: w.pass.mask(0))
    var m = 0
    for r in 0..<chunk.count where mask.map({ $0[r] != 0 }) ?? true {
      w.kept[m] = Int32(r)
      m += 1
    }
    for j in starts[c]..<starts[c + 1] {
      let k = order[j]
      let at = Int(shared.pointer[k]) - firsts[c]
      guard at >= 0, at < m else { throw SFError(.argument, "stale row counts for this frame") }
      shared.pointer[k] = Int64(chunk.row + Int(w.kept[at]))
    }
  }
}

/// Memory the workers of one pass read, or write at disjoint positions.
struct Shared<T>: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<T>
  init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
