import FrameCompute
import FrameStorage

extension DataFrame {
  /// Groups the rows by the values of `keys` (expressions; missing and NaN each a group
  /// of their own) and computes `requests` per group: a frame with one row per
  /// non-empty group, sorted by the keys (NaN, then missing, last), the key columns
  /// (named `names`, default the key texts) followed by one column per request (named
  /// by `resultNames`). One pass per key finds its values, then one pass aggregates.
  public func groupby(_ keys: [String], names: [String]? = nil, _ requests: [Request], resultNames: [String],
                      progress: ProgressHandler? = nil) throws(SFError) -> DataFrame {
    guard !keys.isEmpty else { throw .argument("groupby needs at least one key") }
    guard resultNames.count == requests.count, (names?.count ?? keys.count) == keys.count else {
      throw .argument("one name per key and per aggregation")
    }
    let s = snapshot
    let sc = try scan(s)
    var groupKeys: [GroupKey] = []
    for k in keys { groupKeys.append(try FrameCompute.groupKey(sc, program: try compile(k, s), progress: progress)) }
    // A count of rows per group tells the groups that exist.
    let (programs, selections, tasks) = try plan(requests + [Request(.count, nil)], s)
    let results = try aggregateGroups(sc, programs: programs, selections: selections, tasks: tasks, keys: groupKeys,
                                      progress: progress)
    guard let sizes = results.last else { return OwnedColumns(length: 0).frame }
    let kept = sizes.indices.filter { sizes[$0].bits != 0 }
    var columns = OwnedColumns(length: kept.count)
    var stride = groupKeys.reduce(1) { $0 * $1.groups }
    for (k, key) in groupKeys.enumerated() {
      stride /= max(key.groups, 1)  // a key without groups (no rows): nothing is kept
      let rows: [Int?] = kept.map { g in
        let code = (g / stride) % key.groups
        return code < key.labels.count ? code : nil
      }
      columns.add((names ?? keys)[k], key.labels, rows: rows)
    }
    for (r, name) in resultNames.enumerated() {
      let cells = kept.map { results[r][$0] }
      let dtype = cells.first?.dtype ?? .float64
      columns.add(name, dtype, bits: cells.map(\.bits), present: cells.map { !$0.isNull })
    }
    return columns.frame
  }
}
