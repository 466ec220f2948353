#if canImport(Glibc)
import Glibc
#endif

/// df.join as vaex has it: the right frame's key hashed, the left frame's key streamed
/// in one pass, and the result a lazy frame over both tables, each read through a row
/// index (DataFrame+Rows.swift): nothing of either table is copied.
extension DataFrame {
  public enum JoinHow: String, Sendable { case left, inner, right }

  /// This frame joined with `other` on `leftOn`/`rightOn` (or `on` for both: names or
  /// expressions; without any, row k beside the right frame's k-th row, as in vaex).
  /// `left` keeps every row of this frame (right columns missing where nothing matches),
  /// `inner` only matched rows, `right` is `other.join(self)` with the suffixes swapped.
  /// Missing keys match missing keys, as in vaex and pandas.
  ///
  /// As in vaex: this frame's filter is kept and every one of its rows is matched (the
  /// filter may change); `other`'s filter picks the rows that can match; a key on several
  /// of `other`'s rows is an error unless `allowDuplication` (then a left row appears
  /// once per match, in this frame's row order); a name in both frames is an error unless
  /// the sides' prefixes or suffixes differ, and then each side's name gets its prefix and
  /// suffix (the key, joined on the same name without them, appears once). Virtual
  /// columns, filter and selections follow the renames.
  public func join(_ other: DataFrame, on: String? = nil, leftOn: String? = nil, rightOn: String? = nil,
                   how: JoinHow = .left, lprefix: String = "", rprefix: String = "", lsuffix: String = "",
                   rsuffix: String = "", allowDuplication: Bool = false,
                   threads: Int = defaultThreadCount, progress: ProgressHandler? = nil) throws(SFError) -> DataFrame {
    if how == .right {
      return try other.join(self, on: on, leftOn: rightOn, rightOn: leftOn, how: .left, lprefix: rprefix, rprefix: lprefix,
                            lsuffix: rsuffix, rsuffix: lsuffix, allowDuplication: allowDuplication, threads: threads,
                            progress: progress)
    }
    let leftKey = leftOn ?? on, rightKey = rightOn ?? on
    guard (leftKey == nil) == (rightKey == nil) else { throw .argument("join needs both left_on= and right_on= (or on=)") }
    let sl = snapshot, sr = other.snapshot
    // Keys first, so an unknown key or keys that cannot match are reported before any name clash.
    let lk = try leftKey.map { k throws(SFError) in try compile(k, sl) }
    let rk = try rightKey.map { k throws(SFError) in try other.compile(k, sr) }
    var keys: JoinKeys? = nil
    if let lk, let rk { keys = try JoinKeys(left: lk.dtype, right: rk.dtype) }
    let names = try JoinNames(left: self, sl, right: other, sr, leftKey: leftKey, rightKey: rightKey,
                              left: (lprefix, lsuffix), right: (rprefix, rsuffix))
    let leftScan = try scan(sl).over(sl.rows, filter: nil)
    let rightScan = try other.scan(sr)
    let m: JoinMatches
    if let lk, let rk, let keys {
      // Two passes: hashing the (smaller) right side, then streaming the left.
      let build = progress.map { p in { (f: Double) in p(0.2 * f) } }
      let probe = progress.map { p in { (f: Double) in p(0.2 + 0.8 * f) } }
      let table = try buildJoinTable(rightScan, key: rk, keys: keys, threads: threads, progress: build)
      if table.hasDuplicates && !allowDuplication {
        throw .argument("this join would duplicate rows (a key is on several rows of the right frame); "
                        + "pass allow_duplication=True to allow it")
      }
      m = try matchJoin(leftScan, key: lk, keys: keys, table: table, inner: how == .inner,
                        rightRows: rightScan.sources[0].rowCount, threads: threads, progress: probe)
    } else {
      m = try rowByRow(leftRows: sl.rows.count, rightScan, threads: threads, progress: progress)
    }
    var next = sl
    let leftSources = [RowSource(table: self.table, index: sl.index)] + sl.joined
    let rightSources = [RowSource(table: other.table, index: sr.index)] + sr.joined
    var sources: [RowSource]
    if let left = m.left {
      sources = try leftSources.map { s throws(SFError) in try composed(s, left) }
      next.rows = 0..<left.count
    } else if sl.rows.lowerBound == 0 {
      sources = leftSources
    } else {
      // A sliced frame: its rows become an index from 0, so the right rows line up.
      let n = sl.rows.count, rows = try allocateRows(n)
      for k in 0..<n { rows[k] = Int64(sl.rows.lowerBound + k) }
      let index = try RowIndex(adopting: rows, count: n, rowCount: leftScan.sources[0].rowCount)
      sources = try leftSources.map { s throws(SFError) in try composed(s, index) }
      next.rows = 0..<n
    }
    sources += try rightSources.map { s throws(SFError) in try composed(s, m.right) }
    next.index = sources[0].index
    next.joined = Array(sources.dropFirst())
    next.counts = nil
    try names.apply(to: &next, leftState: sl, rightState: sr)
    return DataFrame(table: self.table, state: next)
  }
}

/// Without a key, as in vaex: row k of the left frame (its filter ignored, and kept)
/// beside the k-th row the right frame's filter keeps; the counts must agree.
private func rowByRow(leftRows n: Int, _ right: Scan, threads: Int,
                      progress: ProgressHandler?) throws(SFError) -> JoinMatches {
  let counts = try filteredCounts(right, threads: threads, progress: progress)
  let m = counts.reduce(0, +)
  guard m == n else {
    throw .argument("joining without a key puts rows side by side: the left frame has \(n) rows (its filter "
                    + "ignored) and the right frame \(m); pass on= or left_on= and right_on=")
  }
  let rows = try allocateRows(n)
  for k in 0..<n { rows[k] = Int64(k) }
  do throws(SFError) {
    try logicalRows(right, counts: counts, positions: rows, count: n, threads: threads, progress: progress)
  } catch {
    free(rows)
    throw error
  }
  return JoinMatches(left: nil, right: try RowIndex(adopting: rows, count: n, rowCount: right.sources[0].rowCount))
}

/// The index of `source` read at logical rows `rows` (-1, an unmatched row, stays -1):
/// `rows` itself when the source has no index of its own.
private func composed(_ source: RowSource, _ rows: RowIndex) throws(SFError) -> RowSource {
  guard let index = source.index else { return RowSource(table: source.table, index: rows) }
  let out = try allocateRows(rows.count)
  for k in 0..<rows.count {
    let r = rows[k]
    out[k] = r < 0 ? -1 : index[Int(r)]
  }
  let composed = try RowIndex(adopting: out, count: rows.count, rowCount: source.table.rowCount)
  return RowSource(table: source.table, index: composed)
}

/// The names of a joined frame: which names clash, what each side renames them to,
/// and the joined frame's stored field names, virtual columns, filter, selections and
/// column list written with them.
private struct JoinNames {
  let leftMap: [String: String]
  let rightMap: [String: String]
  let leftStored: [String]
  let rightStored: [String]
  let leftVisible: [String]
  let rightVisible: [String]
  /// The right key when it is dropped (joined on one name without suffixes): references
  /// to it from the right side's virtual columns read the right side's own key.
  let droppedKey: (name: String, node: Node)?
  let shift: Int

  init(left: DataFrame, _ sl: DataFrame.FrameState, right: DataFrame, _ sr: DataFrame.FrameState,
       leftKey: String?, rightKey: String?, left affixes: (prefix: String, suffix: String),
       right rightAffixes: (prefix: String, suffix: String)) throws(SFError) {
    // vaex's mangle_name: a hidden name (`__x`) keeps its leading underscores.
    func mangled(_ name: String, _ a: (prefix: String, suffix: String)) -> String {
      name.hasPrefix("__") ? "__" + a.prefix + name.dropFirst(2) + a.suffix : a.prefix + name + a.suffix
    }
    let same = affixes == rightAffixes
    leftStored = left.storedNames(sl)
    rightStored = right.storedNames(sr)
    shift = leftStored.count
    let leftAll = leftStored + sl.virtuals.map(\.name), rightAll = rightStored + sr.virtuals.map(\.name)
    let leftSet = Set(leftAll), rightSet = Set(rightAll)
    let dropKey = leftKey != nil && leftKey == rightKey && same
      && leftSet.contains(leftKey ?? "") && rightSet.contains(rightKey ?? "")
    var clashes: [String] = []
    var seen = Set<String>()
    for name in rightAll where leftSet.contains(name) && !(dropKey && name == rightKey) && seen.insert(name).inserted {
      clashes.append(name)
    }
    if let first = clashes.first, same {
      throw .argument("column name collision: '\(first)' exists in both frames, and no proper suffix given "
                      + "(pass lsuffix= and/or rsuffix=)")
    }
    // New names stay unique among every name of the joined frame (vaex: name_1, name_2, …).
    var taken = leftSet.union(rightSet).subtracting(clashes)
    func unique(_ name: String) -> String {
      var candidate = name, k = 1
      while taken.contains(candidate) { candidate = "\(name)_\(k)"; k += 1 }
      taken.insert(candidate)
      return candidate
    }
    var lm: [String: String] = [:], rm: [String: String] = [:]
    for name in clashes {
      lm[name] = unique(mangled(name, affixes))
      rm[name] = unique(mangled(name, rightAffixes))
    }
    leftMap = lm.filter { $0.key != $0.value }
    rightMap = rm.filter { $0.key != $0.value }
    leftVisible = left.columnNames
    rightVisible = right.columnNames.filter { !(dropKey && $0 == rightKey) }
    if dropKey, let rightKey {
      let node: Node
      if let v = sr.virtuals.last(where: { $0.name == rightKey }) {
        node = v.node.renamed(rightMap, shift: leftStored.count)
      } else if let i = rightStored.firstIndex(of: rightKey) {
        node = .storedField(i + leftStored.count)
      } else {
        throw .argument("the right key '\(rightKey)' is not a column")
      }
      droppedKey = (rightKey, node)
    } else {
      droppedKey = nil
    }
  }

  func apply(to s: inout DataFrame.FrameState, leftState sl: DataFrame.FrameState,
             rightState sr: DataFrame.FrameState) throws(SFError) {
    s.fieldNames = leftStored.map { leftMap[$0] ?? $0 } + rightStored.map { rightMap[$0] ?? $0 }
    var virtuals: [DataFrame.VirtualColumn] = []
    for v in sl.virtuals {
      virtuals.append(DataFrame.VirtualColumn(name: leftMap[v.name] ?? v.name,
                                              expression: try renamingColumns(v.expression, leftMap),
                                              node: v.node.renamed(leftMap)))
    }
    for v in sr.virtuals where !(droppedKey?.name == v.name) {
      var node = v.node.renamed(rightMap, shift: shift)
      if let (key, keyNode) = droppedKey { node = node.substituting(key, with: keyNode) }
      virtuals.append(DataFrame.VirtualColumn(name: rightMap[v.name] ?? v.name,
                                              expression: try renamingColumns(v.expression, rightMap), node: node))
    }
    s.virtuals = virtuals
    s.filter = try sl.filter.map { f throws(SFError) in try renamingColumns(f, leftMap) }
    var selections: [String: String] = [:]
    for (name, e) in sl.selections { selections[name] = try renamingColumns(e, leftMap) }
    s.selections = selections
    s.visible = leftVisible.map { leftMap[$0] ?? $0 } + rightVisible.map { rightMap[$0] ?? $0 }
  }
}
