import FrameCompute
import FrameStorage

/// Statistics as serialized partial states (FrameCompute's Partial.swift), for a query
/// split over row ranges, files or machines: each part returns bytes, bytes merge, and
/// the merged bytes finish into the results one pass over all the rows gives.
extension DataFrame {
  /// The partial states of `aggregate(requests)` over this frame's rows.
  public func aggregatePartial(_ requests: [Request], progress: ProgressHandler? = nil) throws(SFError) -> [UInt8] {
    let s = snapshot
    let (programs, selections, tasks) = try plan(requests, s)
    return try FrameCompute.aggregatePartial(scan(s), programs: programs, selections: selections, tasks: tasks,
                                             progress: progress).encode()
  }

  /// The partial states of `aggregate(requests, binby: axes)`.
  public func aggregatePartial(_ requests: [Request], binby axes: [Axis],
                               progress: ProgressHandler? = nil) throws(SFError) -> [UInt8] {
    let s = snapshot
    let (programs, selections, tasks) = try plan(requests, s)
    var grid: [GridAxis] = []
    for a in axes { grid.append(try GridAxis(program: try compile(a.expression, s), low: a.low, high: a.high, bins: a.bins)) }
    return try aggregateBinnedPartial(scan(s), programs: programs, selections: selections, tasks: tasks, axes: grid,
                                      progress: progress).encode()
  }

  /// The partial states of `groupby(keys, names:, requests, resultNames:)`: the groups
  /// of these rows with their key values, merged by key with other parts' groups.
  public func groupbyPartial(_ keys: [String], names: [String]? = nil, _ requests: [Request], resultNames: [String],
                             progress: ProgressHandler? = nil) throws(SFError) -> [UInt8] {
    guard !keys.isEmpty else { throw .argument("groupby needs at least one key") }
    let s = snapshot
    let sc = try scan(s)
    var keyPrograms: [Program] = []
    for k in keys { keyPrograms.append(try compile(k, s)) }
    let (programs, selections, tasks) = try plan(requests, s)
    return try groupsPartial(sc, programs: programs, selections: selections, tasks: tasks, keys: keyPrograms,
                             keyNames: names ?? keys, resultNames: resultNames, progress: progress).encode()
  }
}

/// Merging and finishing serialized partial states.
public enum Partials {
  /// One blob holding the merge of `blobs` (states of the same query over other rows).
  public static func merge(_ blobs: [[UInt8]]) throws(SFError) -> [UInt8] {
    try Partial.merge(blobs).encode()
  }

  /// The results of a scalar or binby blob: per statistic, one result per cell (one for scalars).
  public static func finish(_ blob: [UInt8]) throws(SFError) -> [[Scalar]] {
    let p = try Partial.decode(blob)
    guard p.layout != .grouped else { throw .argument("a groupby partial state finishes into a frame (finishGroupby)") }
    return p.finish()
  }

  /// The frame of a groupby blob, as `DataFrame.groupby` gives it.
  public static func finishGroupby(_ blob: [UInt8]) throws(SFError) -> DataFrame {
    let p = try Partial.decode(blob)
    let (keys, results) = try p.finishGroups()
    let (keyNames, resultNames) = p.groupNames
    var columns = OwnedColumns(length: p.groupCount)
    for (name, key) in zip(keyNames, keys) {
      columns.add(name, key.values, rows: key.present.indices.map { key.present[$0] ? $0 : nil })
    }
    for (name, cells) in zip(resultNames, results) {
      let dtype = cells.first?.dtype ?? .float64
      columns.add(name, dtype, bits: cells.map(\.bits), present: cells.map { !$0.isNull })
    }
    return columns.frame
  }
}
