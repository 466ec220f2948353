import FrameStorage

/// One axis of a binby grid: the values of `program` cut into `bins` equal cells over
/// [low, high). As in vaex, a value outside (high itself included), missing or NaN
/// falls in no cell.
public struct GridAxis: Sendable {
  public let program: Program
  public let low: Double
  public let high: Double
  public let bins: Int

  public init(program: Program, low: Double, high: Double, bins: Int) throws(SFError) {
    guard bins > 0 else { throw SFError(.argument, "a binby shape must be positive, got \(bins)") }
    guard low.isFinite, high.isFinite, low < high else {
      throw SFError(.argument, "binby limits must be finite with low < high, got [\(low), \(high)]")
    }
    guard program.dtype.isNumeric || program.dtype.storage != nil else {
      throw SFError(.type, "cannot bin \(program.dtype) values")
    }
    self.program = program
    self.low = low
    self.high = high
    self.bins = bins
  }
}

/// Computes every task over the cells of the grid `axes` (row-major: the last axis
/// varies fastest, as numpy's C order) in one pass; per task, one result per cell.
public func aggregateBinned(_ scan: Scan, programs: [Program], selections: [Program], tasks: [AggregateTask],
                            axes: [GridAxis], threads: Int = defaultThreadCount,
                            progress: ProgressHandler? = nil) throws(SFError) -> [[Scalar]] {
  try aggregateGrouped(scan, programs: programs, selections: selections, tasks: tasks, keys: axes.map(\.program),
                       groups: try groupCount(axes.map(\.bins)), threads: threads, progress: progress) { values, n, ids in
    cellIDs(values, axes, n, into: ids)
  }
}

/// The product of `sizes`, checked to fit the int32 group ids.
func groupCount(_ sizes: [Int]) throws(SFError) -> Int {
  var total = 1
  for size in sizes {
    let (product, overflow) = total.multipliedReportingOverflow(by: size)
    guard !overflow, product <= Int(Int32.max) else { throw SFError(.argument, "more than 2^31 groups or cells") }
    total = product
  }
  return total
}

/// Computes every task for `groups` groups in one pass: per chunk, `ids` turns the
/// values of the `keys` programs into a group id per row (negative: no group).
func aggregateGrouped(_ scan: Scan, programs: [Program], selections: [Program], tasks: [AggregateTask],
                      keys: [Program], groups: Int, threads: Int, progress: ProgressHandler?,
                      ids: @escaping ([Vec], Int, UnsafeMutablePointer<Int32>) -> Void) throws(SFError) -> [[Scalar]] {
  try groupedStates(scan, programs: programs, selections: selections, tasks: tasks, keys: keys, groups: groups,
                    threads: threads, progress: progress, ids: ids).map { $0.finish() }
}

/// The merged partial states of `aggregateGrouped`, not yet finished (Partial.swift serializes them).
func groupedStates(_ scan: Scan, programs: [Program], selections: [Program], tasks: [AggregateTask],
                   keys: [Program], groups: Int, threads: Int, progress: ProgressHandler?,
                   ids: @escaping ([Vec], Int, UnsafeMutablePointer<Int32>) -> Void) throws(SFError) -> [GroupedAggregator] {
  func fresh() throws(SFError) -> [GroupedAggregator] {
    var out: [GroupedAggregator] = []
    for t in tasks {
      out.append(try makeGroupedAggregator(t.kind, dtype: t.expression.map { programs[$0].dtype }, groups: groups))
    }
    return out
  }
  // Each worker holds states for every group: at most about 40 bytes per group and statistic.
  let (perState, o1) = groups.multipliedReportingOverflow(by: 40 * max(1, tasks.count))
  let (total, o2) = perState.multipliedReportingOverflow(by: threads + 1)
  try checkMemoryBudget(o1 || o2 ? .max : total, for: "\(groups) groups or cells")
  let empty = try fresh()
  final class State {
    var aggregators: [GroupedAggregator]
    let ids = UnsafeMutablePointer<Int32>.allocate(capacity: chunkRows)
    init(_ a: [GroupedAggregator]) { aggregators = a }
    deinit { ids.deallocate() }
  }
  let states = try runTasks(scan, programs: programs, selections: selections, tasks: tasks, extra: keys,
                            threads: threads, progress: progress,
                            makeState: { State((try? fresh()) ?? []) }) { (s, w, t, v, mask, n) throws(SFError) in
    if t == 0 {  // the groups of the chunk's rows, once per chunk
      var keyValues: [Vec] = []
      for k in keys.indices { keyValues.append(try w.value(w.extraStart + k)) }
      ids(keyValues, n, s.ids)
    }
    (s.aggregators[t] as? RowOrdered)?.begin(row: w.chunkRow)
    if let second = tasks[t].second { (s.aggregators[t] as? Paired)?.pair(with: try w.value(second)) }
    s.aggregators[t].add(v, mask: mask, ids: UnsafePointer(s.ids), count: n)
  }
  guard let first = states.first else { return empty }
  for other in states.dropFirst() {
    for (a, b) in zip(first.aggregators, other.aggregators) { a.merge(b, map: .identity(groups)) }
  }
  return first.aggregators
}

/// The flat cell of each row (or -1), from the axes' values over one chunk.
func cellIDs(_ values: [Vec], _ axes: [GridAxis], _ n: Int, into ids: UnsafeMutablePointer<Int32>) {
  for i in 0..<n { ids[i] = 0 }
  for (v, axis) in zip(values, axes) {
    let scale = Double(axis.bins) / (axis.high - axis.low)
    let bins = Int32(axis.bins)
    for i in 0..<n where ids[i] >= 0 {
      guard v.isPresent(i), let x = axisValue(v, i) else { ids[i] = -1; continue }
      let position = (x - axis.low) * scale
      guard position >= 0, position < Double(axis.bins) else { ids[i] = -1; continue }  // NaN fails both
      ids[i] = ids[i] &* bins &+ Int32(position)
    }
  }
}

/// Row `i` of a numeric or temporal vector as a Double.
@inline(__always)
private func axisValue(_ v: Vec, _ i: Int) -> Double? {
  let p = v.values
  switch v.dtype {
  case .float64: return p.load(fromByteOffset: i * 8, as: Double.self)
  case .float32: return Double(p.load(fromByteOffset: i * 4, as: Float.self))
  case .bool, .uint8: return Double(p.load(fromByteOffset: i, as: UInt8.self))
  case .int8: return Double(p.load(fromByteOffset: i, as: Int8.self))
  case .int16: return Double(p.load(fromByteOffset: i * 2, as: Int16.self))
  case .uint16: return Double(p.load(fromByteOffset: i * 2, as: UInt16.self))
  case .int32, .date32: return Double(p.load(fromByteOffset: i * 4, as: Int32.self))
  case .uint32: return Double(p.load(fromByteOffset: i * 4, as: UInt32.self))
  case .uint64: return Double(p.load(fromByteOffset: i * 8, as: UInt64.self))
  case .string, .largeString: return nil
  default: return Double(p.load(fromByteOffset: i * 8, as: Int64.self))
  }
}
