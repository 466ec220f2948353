import FrameCompute
import FrameStorage

extension DataFrame {
  /// Groups the rows by the values of `keys` (expressions; missing and NaN each a group
  /// of their own) and computes `requests` per group: a frame with one row per
  /// non-empty group, sorted by the keys (NaN, then missing, last), the key columns
  /// (named `names`, default the key texts) followed by one column per request (named
  /// by `resultNames`). One aggregating pass (after a min/max pass when a key is an
  /// integer, to find small ranges that index the groups directly).
  public func groupby(_ keys: [String], names: [String]? = nil, _ requests: [Request], resultNames: [String],
                      progress: ProgressHandler? = nil) throws(SFError) -> DataFrame {
    guard !keys.isEmpty else { throw .argument("groupby needs at least one key") }
    guard resultNames.count == requests.count, (names?.count ?? keys.count) == keys.count else {
      throw .argument("one name per key and per aggregation")
    }
    let s = snapshot
    var programs: [Program] = []
    for k in keys { programs.append(try compile(k, s)) }
    let (values, selections, tasks) = try plan(requests, s)
    let (keyColumns, results) = try FrameCompute.groupby(try scan(s), keys: programs, programs: values,
                                                         selections: selections, tasks: tasks, progress: progress)
    var columns = OwnedColumns(length: keyColumns.first?.rows.count ?? 0)
    for (k, key) in keyColumns.enumerated() {
      let name = (names ?? keys)[k]
      switch key.labels {
      case .strings(let words):
        columns.add(name, strings: key.rows.map { $0 < 0 ? nil : words[Int($0)][...] })
      case .fixed(let dtype, let bits):
        columns.add(name, dtype, bits: key.rows.map { $0 < 0 ? 0 : bits[Int($0)] }, present: key.rows.map { $0 >= 0 })
      }
    }
    for (r, name) in resultNames.enumerated() {
      columns.add(name, results[r].dtype, bits: results[r].bits, present: results[r].present)
    }
    return columns.frame
  }
}
