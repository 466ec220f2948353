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
      throw SFError(.type, "cannot join a \(left) key on a \(right) key: the key types must match "
                    + "(integers of any width match each other; cast one side, e.g. left_on=df.x.astype('int64'))")
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
  /// Integer keys in a narrow range (at most 8 per key, and 2^27): per key - `low`, its
  /// value (see `value(id:)`) or -1, so a probe is one array read instead of a hash probe.
  let direct: [Int64]
  let low: Int64
  /// Distinct keys (ids 0 ..< distinct; missing keys are id `distinct`).
  let distinct: Int

  /// What a probe gives for key id `id`: the right row when keys are unique (each id has
  /// one row, so `starts[id] == id`), else the id, whose rows the pairs then list.
  func value(id: Int) -> Int64 { hasDuplicates ? Int64(id) : rows[id] }

  /// The value of a missing key (-1 when no right key is missing).
  var missingValue: Int64 { starts[distinct] == starts[distinct + 1] ? -1 : value(id: distinct) }
}

/// Integer keys spanning at most this many values (and 8 per key) are looked up directly.
let directJoinSpan: Int64 = 1 << 27

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
    // Local arrays, stored once: appending to the class's arrays checks exclusivity per row.
    var rows: [Int64] = [], present: [Bool] = [], bits: [UInt64] = [], bytes: [UInt8] = [], ends: [Int] = []
    rows.reserveCapacity(chunk.count)
    present.reserveCapacity(chunk.count)
    if isString { ends.reserveCapacity(chunk.count) } else { bits.reserveCapacity(chunk.count) }
    for i in 0..<chunk.count where keep.map({ $0[i] != 0 }) ?? true {
      let p = v.isPresent(i)
      if p && !isString && keys.rightHighNeverMatches && scratch[i] >> 63 != 0 { continue }
      rows.append(Int64(chunk.row + i))
      present.append(p)
      if isString {
        if p { bytes.append(contentsOf: v.string(i)) }
        ends.append(bytes.count)
      } else {
        bits.append(scratch[i])
      }
    }
    (g.rows, g.present, g.bits, g.bytes, g.ends) = (rows, present, bits, bytes, ends)
  }
  let total = gathered.reduce(0) { $0 + $1.rows.count }
  guard total < Int(Int32.max) else { throw SFError(.argument, "the right side of a join has more than 2^31 rows") }
  // Dense ids in row order; missing keys get -1 until the distinct count is known.
  var bits = UInt64Set(), strings = ByteStringSet()
  var ids = [Int32](); ids.reserveCapacity(total)
  for g in gathered {
    let present = g.present, keyBits = g.bits, ends = g.ends
    if isString {
      g.bytes.withUnsafeBytes { all in
        var start = 0
        for j in 0..<present.count {
          defer { start = ends[j] }
          guard present[j] else { ids.append(-1); continue }
          ids.append(Int32(truncatingIfNeeded: strings.insert(UnsafeRawBufferPointer(rebasing: all[start..<ends[j]]))))
        }
      }
    } else {
      for j in 0..<present.count {
        ids.append(present[j] ? Int32(truncatingIfNeeded: bits.insert(keyBits[j])) : -1)
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
    let gatheredRows = g.rows
    for r in gatheredRows {
      let id = ids[k] < 0 ? distinct : Int(ids[k])
      rows[next[id]] = r
      next[id] += 1
      k += 1
    }
  }
  let missing = starts[distinct + 1] - starts[distinct]
  let duplicates = total - missing > distinct || missing > 1
  // Integer keys in a narrow range: a direct table (values as signed, unsigned ones ≥ 2^63 excluded).
  var direct: [Int64] = [], low: Int64 = 0
  let integral = !isString && !keys.right.isFloat
  if integral, distinct > 0, keys.right != .uint64 || bits.values.allSatisfy({ $0 >> 63 == 0 }) {
    let values = bits.values.map { Int64(bitPattern: $0) }
    let lo = values.min() ?? 0, hi = values.max() ?? 0
    let (span, overflow) = hi.subtractingReportingOverflow(lo)
    if !overflow, span < directJoinSpan, span < max(1 << 16, 8 * Int64(distinct)) {
      direct = [Int64](repeating: -1, count: Int(span) + 1)
      for (id, v) in values.enumerated() { direct[Int(v &- lo)] = duplicates ? Int64(id) : rows[id] }
      low = lo
    }
  }
  // With a direct table the hash set is not needed any more: let its memory go.
  return JoinTable(isString: isString, bits: direct.isEmpty ? bits : UInt64Set(), strings: strings, starts: starts,
                   rows: rows, hasDuplicates: duplicates, direct: direct, low: low, distinct: distinct)
}

/// The rows of a join, as logical rows of each side's scan: result row k reads left row
/// `left[k]` (nil: the left scan's rows in order, one result row each) and right row
/// `right[k]` (-1: no match). Each index is checked against its side's row count.
public struct JoinMatches: Sendable {
  public let left: RowIndex?
  public let right: RowIndex

  public init(left: RowIndex?, right: RowIndex) {
    self.left = left
    self.right = right
  }
}

/// Per-thread state of the probe: the chunk's key bits and each row's probe value.
private final class ProbeState {
  let evaluator: Evaluator
  let bits = UnsafeMutablePointer<UInt64>.allocate(capacity: chunkRows)
  let found = UnsafeMutablePointer<Int64>.allocate(capacity: chunkRows)
  init(_ scan: Scan, _ key: Program) { evaluator = Evaluator(scan: scan, program: key) }
  deinit {
    bits.deallocate()
    found.deallocate()
  }
}

/// The pairs of one chunk when the result is not one row per left row.
private final class ChunkPairs {
  var left: [Int64] = []
  var right: [Int64] = []
}

/// Looks up the keys `v` of one chunk: per row, `table.value(id:)` of its key or -1.
private func probe(_ v: Vec, _ table: JoinTable, _ keys: JoinKeys, _ s: ProbeState, into out: UnsafeMutablePointer<Int64>) {
  let n = v.count, missing = table.missingValue
  if table.isString {
    for i in 0..<n {
      if !v.isPresent(i) { out[i] = missing; continue }
      out[i] = table.strings.find(v.string(i)).map { table.value(id: $0) } ?? -1
    }
    return
  }
  loadKeyBits(v, into: s.bits)
  let bits = s.bits
  if !table.direct.isEmpty {
    table.direct.withUnsafeBufferPointer { direct in
      let low = table.low, span = UInt64(direct.count)
      for i in 0..<n {
        // Left uint64 keys ≥ 2^63 read as negative here and fall outside the range.
        let d = UInt64(bitPattern: Int64(bitPattern: bits[i]) &- low)
        out[i] = d < span && !(keys.leftHighNeverMatches && bits[i] >> 63 != 0) ? direct[Int(d)] : -1
      }
    }
  } else {
    let set = table.bits
    table.rows.withUnsafeBufferPointer { rows in
      for i in 0..<n {
        if keys.leftHighNeverMatches && bits[i] >> 63 != 0 { out[i] = -1; continue }
        guard let id = set.find(bits[i]) else { out[i] = -1; continue }
        out[i] = table.hasDuplicates ? Int64(id) : rows[id]
      }
    }
  }
  if let valid = v.valid {
    for i in 0..<n where valid[i] == 0 { out[i] = missing }
  }
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
  let first = scan.rows.lowerBound
  if !inner && !table.hasDuplicates {
    // One result per left row, written in place: no pairs kept.
    let right = try allocateRows(scan.rows.count)
    let shared = Shared(right)
    do throws(SFError) {
      _ = try runPass(chunkCount: chunks.count, threads: threads, progress: progress,
                      makeState: { ProbeState(scan, key) }) { (s: ProbeState, index: Int) throws(SFError) in
        let chunk = chunks[index]
        probe(try s.evaluator.evaluate(chunk), table, keys, s, into: shared.pointer + (chunk.row - first))
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
    probe(try s.evaluator.evaluate(chunk), table, keys, s, into: s.found)
    p.left.reserveCapacity(inner ? chunk.count / 2 : chunk.count)
    p.right.reserveCapacity(inner ? chunk.count / 2 : chunk.count)
    table.rows.withUnsafeBufferPointer { rows in
      table.starts.withUnsafeBufferPointer { starts in
        for i in 0..<chunk.count {
          let f = s.found[i]
          if f < 0 {
            if inner { continue }
            p.left.append(Int64(chunk.row + i))
            p.right.append(-1)
          } else if !table.hasDuplicates {
            p.left.append(Int64(chunk.row + i))
            p.right.append(f)
          } else {
            for j in starts[Int(f)]..<starts[Int(f) + 1] {
              p.left.append(Int64(chunk.row + i))
              p.right.append(rows[j])
            }
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
  do throws(SFError) {
    leftIndex = try RowIndex(adopting: left, count: total, rowCount: leftRows)
  } catch {
    free(right)
    throw error
  }
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
