extension DataFrame {
  /// Opens several files as one frame, each as `open(_:)` opens it: their rows
  /// follow each other in the order of `paths`, nothing is copied and no column data
  /// is read. Every file must have the same columns with the same dtypes in the same
  /// order. An error in one file names that file.
  public static func open(paths: [String]) throws(SFError) -> DataFrame {
    guard !paths.isEmpty else { throw .argument("no files to open: the list of paths is empty") }
    var tables: [Table] = []
    tables.reserveCapacity(paths.count)
    for path in paths { tables.append(try DataFrame.open(path).table) }
    return DataFrame(table: try Table.concatenating(tables))
  }

  /// One frame over the rows of `frames`, in order, without copying their data.
  ///
  /// The frames may carry virtual columns, a filter, named selections and a column
  /// selection when they all carry the same ones (virtual columns of the same names and
  /// definitions, the same filter text, the same named selections, the same selected
  /// columns): the result keeps them, over all the
  /// rows. A row range (a slice) is refused: slice the result instead. Frames that
  /// differ are refused with an `.argument` error saying what differs. The tables must
  /// agree as `Table.concatenating` requires. The result keeps every frame's data
  /// alive; the frames themselves are unchanged.
  public static func concat(_ frames: [DataFrame]) throws(SFError) -> DataFrame {
    guard !frames.isEmpty else { throw .argument("nothing to concatenate: the list of frames is empty") }
    let states = frames.map(\.snapshot)
    for (k, (f, s)) in zip(frames, states).enumerated() where s.rows != 0..<f.table.rowCount {
      throw .argument("cannot concatenate frame \(k + 1) ('\(f.table.source)'): it has a row range "
                      + "(\(s.rows.lowerBound)..<\(s.rows.upperBound)); concatenate the whole frames and slice the result")
    }
    let reference = states[0]
    for k in states.indices.dropFirst() {
      if let difference = derivationDifference(reference, states[k], k + 1) {
        throw .argument("cannot concatenate: \(difference); concat keeps virtual columns, a filter and a column "
                        + "selection only when every frame has the same ones")
      }
    }
    let table = try Table.concatenating(frames.map(\.table))
    // Every table has the same fields in the same order, so the virtual columns' parsed
    // expressions (which may name stored fields by index) mean the same over the result.
    let state = FrameState(virtuals: reference.virtuals, filter: reference.filter, rows: 0..<table.rowCount,
                           visible: reference.visible, selections: reference.selections, renamed: reference.renamed,
                           counts: nil)
    return DataFrame(table: table, state: state)
  }

  /// What frame `k`'s virtual columns, filter or column selection do differently from
  /// frame 1's, or nil when they are the same.
  private static func derivationDifference(_ a: FrameState, _ b: FrameState, _ k: Int) -> String? {
    func quoted(_ names: [String]) -> String { names.map { "'\($0)'" }.joined(separator: ", ") }
    for v in a.virtuals where !b.virtuals.contains(where: { $0.name == v.name }) {
      return "frame \(k) has no virtual column '\(v.name)' (frame 1 defines it as '\(v.expression)')"
    }
    let extra = b.virtuals.filter { w in !a.virtuals.contains { $0.name == w.name } }.map(\.name)
    if !extra.isEmpty {
      return "frame \(k) has virtual columns (\(quoted(extra))) that frame 1 has not"
    }
    for v in a.virtuals {
      guard let w = b.virtuals.first(where: { $0.name == v.name }) else { continue }
      if v.expression != w.expression {
        return "virtual column '\(v.name)' is '\(v.expression)' in frame 1 but '\(w.expression)' in frame \(k)"
      }
      if v.node != w.node {
        return "virtual column '\(v.name)' ('\(v.expression)') builds on different earlier definitions of "
          + "'\(v.name)' in frame 1 and frame \(k)"
      }
    }
    switch (a.filter, b.filter) {
    case (nil, let g?): return "frame \(k) has a filter ('\(g)') and frame 1 has none"
    case (let f?, nil): return "frame \(k) has no filter and frame 1 has the filter '\(f)'"
    case (let f?, let g?) where f != g: return "frame \(k) has the filter '\(g)' and frame 1 the filter '\(f)'"
    default: break
    }
    for name in Set(a.selections.keys).union(b.selections.keys).sorted() where a.selections[name] != b.selections[name] {
      return "selection '\(name)' is \(a.selections[name].map { "'\($0)'" } ?? "not defined") in frame 1 but "
        + "\(b.selections[name].map { "'\($0)'" } ?? "not defined") in frame \(k)"
    }
    if a.renamed != b.renamed {
      return "frame \(k) renames its stored columns differently from frame 1"
    }
    switch (a.visible, b.visible) {
    case (nil, let c?): return "frame \(k) shows a column selection (\(quoted(c))) and frame 1 all columns"
    case (let c?, nil): return "frame \(k) shows all columns and frame 1 a column selection (\(quoted(c)))"
    case (let c?, let d?) where c != d:
      return "frame \(k) shows the column selection (\(quoted(d))) and frame 1 (\(quoted(c)))"
    default: return nil
    }
  }
}
