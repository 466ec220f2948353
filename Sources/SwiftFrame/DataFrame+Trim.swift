extension DataFrame {
  /// This frame over only the rows of its row range (vaex's trim): the same columns,
  /// virtual columns, filter and selections over a table cut to the slice (no copy), so
  /// the slice's offset is gone and concat takes the frame.
  public func trimmed() throws(SFError) -> DataFrame {
    var s = snapshot
    if s.rows == 0..<table.rowCount { return DataFrame(table: table, state: s) }
    let cut = try table.slicing(s.rows)
    s.rows = 0..<cut.rowCount
    s.counts = nil  // counted per chunk of the old table
    return DataFrame(table: cut, state: s)
  }
}
