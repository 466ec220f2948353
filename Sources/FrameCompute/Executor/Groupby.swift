import FrameStorage

/// One key of a groupby: its distinct values (sorted, NaN among them) and a program
/// giving each row's position among them — missing rows form a group of their own,
/// after the values, as pandas' `dropna=False`.
public struct GroupKey: Sendable {
  public let labels: ValueList
  public let hasMissing: Bool
  let codes: Program

  /// Groups of this key: its values, and one for missing rows when there are any.
  public var groups: Int { labels.count + (hasMissing ? 1 : 0) }
}

/// The groupby key for `program` over `scan`: a pass finds its distinct values.
public func groupKey(_ scan: Scan, program: Program, threads: Int = defaultThreadCount,
                     progress: ProgressHandler? = nil) throws(SFError) -> GroupKey {
  guard program.dtype.isNumeric || program.dtype.isString || program.dtype.storage != nil else {
    throw SFError(.type, "cannot group by \(program.dtype) values")
  }
  let (labels, hasMissing) = try uniqueValues(scan, program: program, threads: threads, progress: progress)
  let codes = Program(TypedNode(.apply(OrdinalEncode(labels: labels)), .int32, [program.root]))
  return GroupKey(labels: labels, hasMissing: hasMissing, codes: codes)
}

/// Computes every task per combination of the keys' groups (mixed radix, the last key
/// varying fastest) in one pass: per task, one result per combination.
public func aggregateGroups(_ scan: Scan, programs: [Program], selections: [Program], tasks: [AggregateTask],
                            keys: [GroupKey], threads: Int = defaultThreadCount,
                            progress: ProgressHandler? = nil) throws(SFError) -> [[Scalar]] {
  let sizes = keys.map(\.groups)
  let missingCodes = keys.map { Int32($0.labels.count) }
  return try aggregateGrouped(scan, programs: programs, selections: selections, tasks: tasks, keys: keys.map(\.codes),
                              groups: try groupCount(sizes), threads: threads, progress: progress) { values, n, ids in
    for i in 0..<n { ids[i] = 0 }
    for (k, v) in values.enumerated() {
      let codes = v.values.assumingMemoryBound(to: Int32.self), size = Int32(sizes[k])
      for i in 0..<n { ids[i] = ids[i] &* size &+ (v.isPresent(i) ? codes[i] : missingCodes[k]) }
    }
  }
}
