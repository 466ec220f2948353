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
  /// The frames must show their tables as stored: no virtual columns, filter, row
  /// range or column selection (add those to the result instead); a frame that
  /// has any is refused with an `.argument` error saying which. The tables must
  /// agree as `Table.concatenating` requires. The result keeps every frame's data
  /// alive; the frames themselves are unchanged.
  public static func concat(_ frames: [DataFrame]) throws(SFError) -> DataFrame {
    guard !frames.isEmpty else { throw .argument("nothing to concatenate: the list of frames is empty") }
    for (k, f) in frames.enumerated() {
      if let what = f.derivation {
        throw .argument("cannot concatenate frame \(k + 1) ('\(f.table.source)'): it has \(what); "
                        + "concatenate the stored frames and add virtual columns and filters to the result")
      }
    }
    return DataFrame(table: try Table.concatenating(frames.map(\.table)))
  }
}
