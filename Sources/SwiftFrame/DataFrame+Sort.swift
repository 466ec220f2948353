extension DataFrame {
  /// The rows sorted by `keys` (expressions: numbers, strings by code point, datetimes,
  /// bools; a categorical by its labels), the first key most significant, each
  /// ascending or not as `ascending` says (one flag, or one per key); stable, missing
  /// values and NaN last, as pandas' `sort_values(kind="stable", na_position="last")`.
  /// The result is lazy over the same data (a row index); memory holds the index and
  /// the keys' codes, never the other columns. Sorting a filtered frame sorts the rows
  /// the filter keeps.
  public func sorted(by keys: [String], ascending: [Bool] = [true],
                     progress: ProgressHandler? = nil) throws(SFError) -> DataFrame {
    guard !keys.isEmpty else { throw .argument("sort needs at least one key") }
    guard ascending.count == 1 || ascending.count == keys.count else {
      throw .argument("ascending has \(ascending.count) flags for \(keys.count) keys")
    }
    let s = snapshot
    var programs: [Program] = []
    for k in keys { programs.append(try compile(k, s)) }
    let n = try length(progress: progress)
    let counts = try filterCounts(progress: progress)
    let flags = ascending.count == keys.count ? ascending : Array(repeating: ascending[0], count: keys.count)
    let positions = try sortedPositions(try scan(s), keys: programs, ascending: flags, counts: counts, count: n,
                                        progress: progress)
    return try reindexed(adoptingPositions: positions, count: n, s, progress: progress)
  }
}
