import FrameStorage

// The passes that return partial states (Partial.swift) instead of results: scalar
// statistics, a binby grid, and a groupby whose groups carry their key values so that
// partitions with different groups merge by key.

/// The partial states of `aggregate`.
public func aggregatePartial(_ scan: Scan, programs: [Program], selections: [Program], tasks: [AggregateTask],
                             threads: Int = defaultThreadCount, progress: ProgressHandler? = nil) throws(SFError) -> Partial {
  let header = PartialHeader(layout: .scalar, tasks: taskTypes(tasks, programs))
  _ = try Partial.fresh(header, groups: 1)  // every kind serializes: checked before the pass
  let states = try aggregateStates(scan, programs: programs, selections: selections, tasks: tasks, threads: threads,
                                   progress: progress)
  return Partial(header: header, keys: [[]], states: try codable(states))
}

/// The partial states of `aggregateBinned`.
public func aggregateBinnedPartial(_ scan: Scan, programs: [Program], selections: [Program], tasks: [AggregateTask],
                                   axes: [GridAxis], threads: Int = defaultThreadCount,
                                   progress: ProgressHandler? = nil) throws(SFError) -> Partial {
  var header = PartialHeader(layout: .binned, tasks: taskTypes(tasks, programs))
  header.axes = axes.map { .init(low: $0.low, high: $0.high, bins: $0.bins) }
  let groups = try groupCount(axes.map(\.bins))
  _ = try Partial.fresh(header, groups: 0)
  let states = try groupedStates(scan, programs: programs, selections: selections, tasks: tasks, keys: axes.map(\.program),
                                 groups: groups, threads: threads, progress: progress) { values, n, ids in
    cellIDs(values, axes, n, into: ids)
  }
  return Partial(header: header, keys: Array(repeating: [], count: groups), states: try codable(states))
}

/// The partial states of a groupby on `keys` (named `keyNames`; results `resultNames`):
/// the non-empty groups only, each with its key tuple.
public func groupsPartial(_ scan: Scan, programs: [Program], selections: [Program], tasks: [AggregateTask],
                          keys: [Program], keyNames: [String], resultNames: [String],
                          threads: Int = defaultThreadCount, progress: ProgressHandler? = nil) throws(SFError) -> Partial {
  guard !keys.isEmpty, keyNames.count == keys.count, resultNames.count == tasks.count else {
    throw .argument("a groupby needs keys, and one name per key and per statistic")
  }
  var header = PartialHeader(layout: .grouped, tasks: taskTypes(tasks, programs))
  header.keyNames = keyNames
  header.resultNames = resultNames
  _ = try Partial.fresh(header, groups: 0)
  let rows = AggregateTask(kind: .count, expression: nil, selection: nil)  // which groups exist
  var groups = try groupedByKeys(scan, keys: keys, programs: programs, selections: selections, tasks: tasks + [rows],
                                 threads: threads, progress: progress)
  header.keyTypes = groups.labels.map(\.dtype)
  let counts = (groups.states.removeLast() as? GroupedCount)?.counts ?? []
  var map = [Int](repeating: -1, count: counts.count)
  var tuples: [[UInt8]] = []
  for g in counts.indices where counts[g] > 0 {
    map[g] = tuples.count
    tuples.append(keyTuple(groups, group: g))
  }
  let compact = try Partial.regrouped(try codable(groups.states.compactMap { $0 }), header, groups: tuples.count, map: map)
  return Partial(header: header, keys: tuples, states: compact)
}

private func taskTypes(_ tasks: [AggregateTask], _ programs: [Program]) -> [PartialHeader.TaskType] {
  tasks.map { .init(kind: $0.kind, dtype: $0.expression.map { programs[$0].dtype }) }
}

private func codable<S>(_ states: [S]) throws(SFError) -> [PartialCodable] {
  var out: [PartialCodable] = []
  for s in states {
    guard let c = s as? PartialCodable else { throw .argument("a statistic has no serialized partial state") }
    out.append(c)
  }
  return out
}

extension ValueList {
  var dtype: DType {
    switch self {
    case .fixed(let t, _): t
    case .strings: .largeString
    }
  }
}

/// The key values of group `g`: per key a presence byte, then the value's 64 bits or
/// its UTF-8 bytes.
private func keyTuple(_ groups: Groups, group g: Int) -> [UInt8] {
  var w = PartialWriter()
  for (labels, codes) in zip(groups.labels, groups.codes) {
    let code = Int(codes[g])
    guard code >= 0 else { w.u8(0); continue }
    w.u8(1)
    switch labels {
    case .fixed(_, let bits): w.u64(bits[code])
    case .strings(let words): w.blob(words[code])
    }
  }
  return w.bytes
}

extension Partial {
  /// A grouped partial's results sorted by key as a groupby gives them (per key: values
  /// in order, NaN then missing last): per key its value per group (`present` false for
  /// missing), and per task its results.
  public func finishGroups() throws(SFError) -> (keys: [(values: ValueList, present: [Bool])], results: [[Scalar]]) {
    guard layout == .grouped else { throw .argument("not a groupby partial state") }
    let types = header.keyTypes
    // Decode the tuples: per key, per group.
    var bits = Array(repeating: [UInt64](repeating: 0, count: keys.count), count: types.count)
    var words = Array(repeating: [[UInt8]](repeating: [], count: keys.count), count: types.count)
    var present = Array(repeating: [Bool](repeating: false, count: keys.count), count: types.count)
    for (g, tuple) in keys.enumerated() {
      var r = PartialReader(tuple)
      for (k, t) in types.enumerated() {
        guard try r.u8() != 0 else { continue }
        present[k][g] = true
        if t.isString { words[k][g] = try r.blob() } else { bits[k][g] = try r.u64() }
      }
      guard r.atEnd else { throw r.corrupt("a group key longer than its values") }
    }
    let orders = types.map { $0.isString ? nil : sortOrder($0) }
    let order = keys.indices.sorted { a, b in
      for k in types.indices {
        switch (present[k][a], present[k][b]) {
        case (false, false): continue
        case (true, false): return true
        case (false, true): return false
        case (true, true):
          if let before = orders[k] {
            if before(bits[k][a], bits[k][b]) { return true }
            if before(bits[k][b], bits[k][a]) { return false }
          } else if words[k][a] != words[k][b] {
            return words[k][a].lexicographicallyPrecedes(words[k][b])
          }
        }
      }
      return false
    }
    let columns = types.indices.map { k in
      (values: types[k].isString ? ValueList.strings(order.map { words[k][$0] })
                                 : ValueList.fixed(types[k], order.map { bits[k][$0] }),
       present: order.map { present[k][$0] })
    }
    return (columns, finish().map { cells in order.map { cells[$0] } })
  }

  /// The groupby's key and result names.
  public var groupNames: (keys: [String], results: [String]) { (header.keyNames, header.resultNames) }
}
