#if canImport(Glibc)
import Glibc
#endif
import FrameStorage

/// How two key dtypes compare in a join. Integers of any width and signedness compare
/// by value, floats by value (NaN equal to NaN, -0.0 to 0.0), strings and categoricals
/// by their UTF-8 bytes, dates and times only with the same dtype. A uint64 value of
/// 2^63 or more equals no signed value, so that side drops its high values.
public struct JoinKeys: Sendable {
  public let left: DType
  public let right: DType
  let leftHighNeverMatches: Bool
  let rightHighNeverMatches: Bool

  public init(left: DType, right: DType) throws(SFError) {
    let bothInts = left.isInteger && right.isInteger
    guard bothInts || (left.isFloat && right.isFloat) || (left.isString && right.isString) || left == right else {
      throw SFError(.type, "cannot join a \(left) key on a \(right) key: the key types must match")
    }
    self.left = left
    self.right = right
    leftHighNeverMatches = left == .uint64 && right.isSignedInteger
    rightHighNeverMatches = right == .uint64 && left.isSignedInteger
  }
}

/// The right side of a join, hashed: each distinct key gets a dense id (missing keys
/// the last one), and the right rows of id k are `rows[starts[k] ..< starts[k + 1]]`,
/// in row order. Memory: the hash set plus 8 bytes per right row.
public struct JoinTable: Sendable {
  let isString: Bool
  let bits: UInt64Set
  let strings: ByteStringSet
  let starts: [Int]
  let rows: [Int64]
  /// Some key (missing included) is on more than one right row.
  public let hasDuplicates: Bool

  var distinct: Int { isString ? strings.count : bits.count }

  /// The rows' range of missing keys (empty when none is missing).
  var missingRange: Range<Int> { starts[distinct]..<starts[distinct + 1] }
}

/// Keys of one chunk of the right side, gathered in parallel and hashed in chunk order.
private final class GatheredKeys {
  var rows: [Int64] = []
  var bits: [UInt64] = []
  var bytes: [UInt8] = []
  var ends: [Int] = []
  var present: [Bool] = []
}

/// Hashes the key `key` of the rows of `scan` (after its filter) for `matchJoin`, which
/// reports them as the scan's logical rows.
public func buildJoinTable(_ scan: Scan, key: Program, keys: JoinKeys, threads: Int = defaultThreadCount,
                           progress: ProgressHandler? = nil) throws(SFError) -> JoinTable {
  try scan.checkFilesUnchanged()
  let chunks = scan.chunks
  let isString = keys.right.isString
  let gathered = chunks.map { _ in GatheredKeys() }
  _ = try runPass(chunkCount: chunks.count, threads: threads, progress: progress, makeState: {
    PassWorker(scan: scan, programs: [key], filter: scan.filter, maskCount: 1)
  }) { (w: PassWorker, index: Int) throws(SFError) in
    let chunk = chunks[index], g = gathered[index]
    let keep = try w.filterMask(chunk, into: w.mask(0))
    let v = try w.evaluators[0].evaluate(chunk, rows: keep)
    let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, chunk.count))
    defer { scratch.deallocate() }
    if !isString { loadKeyBits(v, into: scratch) }
    for i in 0..<chunk.count where keep.map({ $0[i] != 0 }) ?? true {
      let present = v.isPresent(i)
      if present && !isString && keys.rightHighNeverMatches && scratch[i] >> 63 != 0 { continue }
      g.rows.append(Int64(chunk.row + i))
      g.present.append(present)
      if isString {
        if present { g.bytes.append(contentsOf: v.string(i)) }
        g.ends.append(g.bytes.count)
      } else {
        g.bits.append(scratch[i])
      }
    }
  }
  let total = gathered.reduce(0) { $0 + $1.rows.count }
  guard total < Int(Int32.max) else { throw SFError(.argument, "the right side of a join has more than 2^31 rows") }
  // Dense ids in row order; missing keys get -1 until the distinct count is known.
  var bits = UInt64Set(), strings = ByteStringSet()
  var ids = [Int32](); ids.reserveCapacity(total)
  for g in gathered {
    var start = 0
    for j in 0..<g.rows.count {
      defer { if isString { start = g.ends[j] } }
      guard g.present[j] else { ids.append(-1); continue }
      if isString {
        let id = g.bytes.withUnsafeBytes { all in strings.insert(UnsafeRawBufferPointer(rebasing: all[start..<g.ends[j]])) }
        ids.append(Int32(truncatingIfNeeded: id))
      } else {
        ids.append(Int32(truncatingIfNeeded: bits.insert(g.bits[j])))
      }
    }
  }
  let distinct = isString ? strings.count : bits.count
  // Counting sort of the rows by id (stable, so rows stay in order within an id).
  var starts = [Int](repeating: 0, count: distinct + 2)
  for id in ids { starts[(id < 0 ? distinct : Int(id)) + 1] += 1 }
  for k in 0..<(distinct + 1) { starts[k + 1] += starts[k] }
  var rows = [Int64](repeating: -1, count: total)
  var next = starts
  var k = 0
  for g in gathered {
    for r in g.rows {
      let id = ids[k] < 0 ? distinct : Int(ids[k])
      rows[next[id]] = r
      next[id] += 1
      k += 1
    }
  }
  let missing = starts[distinct + 1] - starts[distinct]
  return JoinTable(isString: isString, bits: bits, strings: strings, starts: starts, rows: rows,
                   hasDuplicates: total - missing > distinct || missing > 1)
}

/// The rows of a join, as logical rows of each side's scan: result row k reads left row
/// `left[k]` (nil: the left scan's rows in order, one result row each) and right row
/// `right[k]` (-1: no match). Each index is checked against its side's row count.
public struct JoinMatches: Sendable {
  public let left: RowIndex?
  public let right: RowIndex
}

/// Per-thread state of the probe: the chunk's key bits and, when the result is not one
/// row per left row, each chunk's pairs (concatenated in chunk order at the end).
private final class ProbeState {
  let evaluator: Evaluator
  let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: chunkRows)
  init(_ scan: Scan, _ key: Program) { evaluator = Evaluator(scan: scan, program: key) }
  deinit { scratch.deallocate() }
}

private final class ChunkPairs {
  var left: [Int64] = []
  var right: [Int64] = []
}

/// Streams the key `key` over every row of `scan` (its filter is not applied: the
/// joined frame keeps it, as in vaex) and looks each up in `table`. A left join gives
/// one result row per left row unless a key matches several right rows; an inner join
/// keeps matched left rows only. Missing keys match missing keys, as in vaex and pandas.
/// Pairs come in left row order, and within a left row in right row order.
public func matchJoin(_ scan: Scan, key: Program, keys: JoinKeys, table: JoinTable, inner: Bool, rightRows: Int,
                      threads: Int = defaultThreadCount, progress: ProgressHandler? = nil) throws(SFError) -> JoinMatches {
  try scan.checkFilesUnchanged()
  scan.adviseSequential()
  let leftRows = scan.sources[0].rowCount
  let chunks = scan.chunks
  let isString = table.isString
  let missing = table.missingRange
  let first = scan.rows.lowerBound
  let direct = !inner && !table.hasDuplicates
  // The right rows of one left key (an empty range: no match).
  @inline(__always) func lookup(_ v: Vec, _ bits: UnsafePointer<UInt64>, _ i: Int) -> Range<Int> {
    guard v.isPresent(i) else { return missing }
    let id: Int?
    if isString {
      id = table.strings.find(v.string(i))
    } else if keys.leftHighNeverMatches && bits[i] >> 63 != 0 {
      id = nil
    } else {
      id = table.bits.find(bits[i])
    }
    guard let id else { return 0..<0 }
    return table.starts[id]..<table.starts[id + 1]
  }
  if direct {
    // One result per left row, written in place: no pairs kept.
    let right = try allocateRows(scan.rows.count)
    right.initialize(repeating: -1, count: scan.rows.count)
    let shared = SharedRows(right)
    do throws(SFError) {
      _ = try runPass(chunkCount: chunks.count, threads: threads, progress: progress,
                      makeState: { ProbeState(scan, key) }) { (s: ProbeState, index: Int) throws(SFError) in
        let chunk = chunks[index]
        let v = try s.evaluator.evaluate(chunk)
        if !isString { loadKeyBits(v, into: s.scratch) }
        let dst = shared.pointer + (chunk.row - first)
        table.rows.withUnsafeBufferPointer { rows in
          for i in 0..<chunk.count {
            let r = lookup(v, s.scratch, i)
            if !r.isEmpty { dst[i] = rows[r.lowerBound] }
          }
        }
      }
    } catch {
      free(right)
      throw error
    }
    return JoinMatches(left: nil, right: try RowIndex(adopting: right, count: scan.rows.count, rowCount: rightRows))
  }
  let pairs = chunks.map { _ in ChunkPairs() }
  _ = try runPass(chunkCount: chunks.count, threads: threads, progress: progress,
                  makeState: { ProbeState(scan, key) }) { (s: ProbeState, index: Int) throws(SFError) in
    let chunk = chunks[index], p = pairs[index]
    let v = try s.evaluator.evaluate(chunk)
    if !isString { loadKeyBits(v, into: s.scratch) }
    p.left.reserveCapacity(inner ? chunk.count / 2 : chunk.count)
    p.right.reserveCapacity(inner ? chunk.count / 2 : chunk.count)
    table.rows.withUnsafeBufferPointer { rows in
      for i in 0..<chunk.count {
        let r = lookup(v, s.scratch, i)
        if r.isEmpty {
          if inner { continue }
          p.left.append(Int64(chunk.row + i))
          p.right.append(-1)
        } else {
          for j in r {
            p.left.append(Int64(chunk.row + i))
            p.right.append(rows[j])
          }
        }
      }
    }
  }
  let total = pairs.reduce(0) { $0 + $1.left.count }
  let left = try allocateRows(total)
  let right: UnsafeMutablePointer<Int64>
  do throws(SFError) { right = try allocateRows(total) } catch { free(left); throw error }
  var at = 0
  for p in pairs {
    p.left.withUnsafeBufferPointer { if let b = $0.baseAddress { (left + at).initialize(from: b, count: $0.count) } }
    p.right.withUnsafeBufferPointer { if let b = $0.baseAddress { (right + at).initialize(from: b, count: $0.count) } }
    at += p.left.count
    p.left = []
    p.right = []
  }
  let leftIndex: RowIndex
  do throws(SFError) { leftIndex = try RowIndex(adopting: left, count: total, rowCount: leftRows) } catch { free(right); throw error }
  return JoinMatches(left: leftIndex, right: try RowIndex(adopting: right, count: total, rowCount: rightRows))
}

/// A fixed-width key vector as 64-bit patterns comparable across widths (canonicalBits,
/// with the dtype switch out of the row loop).
private func loadKeyBits(_ v: Vec, into out: UnsafeMutablePointer<UInt64>) {
  let p = v.values, n = v.count
  func each<T>(_: T.Type, _ f: (T) -> UInt64) {
    let t = p.assumingMemoryBound(to: T.self)
    for i in 0..<n { out[i] = f(t[i]) }
  }
  switch v.dtype {
  case .float64: each(Double.self) { $0.isNaN ? Double.nan.bitPattern : ($0 == 0 ? 0.0 : $0).bitPattern }
  case .float32: each(Float.self) { $0.isNaN ? Double.nan.bitPattern : ($0 == 0 ? 0.0 : Double($0)).bitPattern }
  case .bool, .uint8: each(UInt8.self) { UInt64($0) }
  case .uint16: each(UInt16.self) { UInt64($0) }
  case .uint32: each(UInt32.self) { UInt64($0) }
  case .int8: each(Int8.self) { UInt64(bitPattern: Int64($0)) }
  case .int16: each(Int16.self) { UInt64(bitPattern: Int64($0)) }
  case .int32, .date32: each(Int32.self) { UInt64(bitPattern: Int64($0)) }
  default: each(UInt64.self) { $0 }
  }
}
