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

/// Integer keys whose values span at most this many are grouped by their offset from
/// the minimum (a direct index: no hash table, one cheap min/max pass to find it).
let directKeyRange: Int64 = 1 << 20

/// The groupby key for `program` over `scan`: a pass finds its distinct values, or for
/// integers in a small range their minimum and maximum.
public func groupKey(_ scan: Scan, program: Program, threads: Int = defaultThreadCount,
                     progress: ProgressHandler? = nil) throws(SFError) -> GroupKey {
  guard program.dtype.isNumeric || program.dtype.isString || program.dtype.storage != nil else {
    throw SFError(.type, "cannot group by \(program.dtype) values")
  }
  if program.dtype.isInteger, let key = try directKey(scan, program, threads, progress) { return key }
  let (labels, hasMissing) = try uniqueValues(scan, program: program, threads: threads, progress: progress)
  let codes = Program(TypedNode(.apply(OrdinalEncode(labels: labels)), .int32, [program.root]))
  return GroupKey(labels: labels, hasMissing: hasMissing, codes: codes)
}

/// An integer key in a small range: every value from its minimum to its maximum is a
/// label (groups left empty are dropped with the result's empty combinations); nil when
/// the range is wide or the values do not fit in int64.
private func directKey(_ scan: Scan, _ program: Program, _ threads: Int,
                       _ progress: ProgressHandler?) throws(SFError) -> GroupKey? {
  let tasks = [AggregateTask(kind: .min, expression: 0, selection: nil), AggregateTask(kind: .max, expression: 0, selection: nil),
               AggregateTask(kind: .count, expression: 0, selection: nil), AggregateTask(kind: .count, expression: nil, selection: nil)]
  let r = try aggregate(scan, programs: [program], selections: [], tasks: tasks, threads: threads, progress: progress)
  let hasMissing = r[2].bits != r[3].bits
  guard !r[0].isNull, !r[1].isNull else {
    return GroupKey(labels: .fixed(program.dtype, []), hasMissing: hasMissing, codes: offsetCodes(program, 0))
  }
  let unsigned = program.dtype.isUnsignedInteger
  guard !unsigned || r[1].bits <= UInt64(Int64.max) else { return nil }
  let low = Int64(bitPattern: r[0].bits), high = Int64(bitPattern: r[1].bits)
  let (span, overflow) = high.subtractingReportingOverflow(low)
  guard !overflow, span < directKeyRange else { return nil }
  let labels = (0...span).map { UInt64(bitPattern: low &+ $0) }
  return GroupKey(labels: .fixed(program.dtype, labels), hasMissing: hasMissing, codes: offsetCodes(program, low))
}

private func offsetCodes(_ program: Program, _ low: Int64) -> Program {
  Program(TypedNode(.apply(OffsetCodes(low: low)), .int32, [program.root]))
}

/// An integer's offset from `low` as an int32 group code (the key is in range).
struct OffsetCodes: VectorFunction {
  let low: Int64

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let codes = out.values.assumingMemoryBound(to: Int32.self)
    for i in 0..<out.count { codes[i] = Int32(truncatingIfNeeded: Int64(bitPattern: canonicalBits(a, i)) &- low) }
    return out.vec(.int32, valid: a.valid)
  }
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
