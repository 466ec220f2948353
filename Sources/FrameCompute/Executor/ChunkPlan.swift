import FrameStorage

/// Rows per chunk: the unit of work of a pass and the length of every scratch buffer.
public let chunkRows = 1 << 14

/// A piece of one record batch: rows `start ..< start + count` of batch `batch`,
/// which are rows `row ..< row + count` of the table.
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
