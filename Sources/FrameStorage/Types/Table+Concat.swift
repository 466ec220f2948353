extension Table {
  /// One table over the rows of `tables`, in order, without copying: the record
  /// batches are appended and every table's owners and mapped files are kept alive.
  ///
  /// Every table must have the same fields (names, dtypes, time zones, categorical or
  /// not) in the same order; the first difference is reported as an `.argument`
  /// error naming both sources.
  /// Integer and float widths are not unified (int32 next to int64 is an error).
  /// A field is nullable when it is nullable in any table. Columns the engine
  /// cannot compute with (`unsupported`) are kept when every table has them with
  /// the same Arrow type, and dropped otherwise.
  public static func concatenating(_ tables: [Table]) throws(SFError) -> Table {
    guard let first = tables.first else { throw .argument("nothing to concatenate: the list of tables is empty") }
    if tables.count == 1 { return first }

    var nullable = first.fields.map(\.nullable)
    for (k, t) in tables.enumerated().dropFirst() {
      if let difference = schemaDifference(first, t) {
        throw .argument("cannot concatenate '\(t.source)' (table \(k + 1)) after '\(first.source)' (table 1): "
                        + difference)
      }
      for (i, f) in t.fields.enumerated() where f.nullable { nullable[i] = true }
    }
    let fields = zip(first.fields, nullable).map {
      Field(name: $0.name, dtype: $0.dtype, nullable: $1, timezone: $0.timezone, categorical: $0.categorical)
    }

    var batches: [RecordBatch] = []
    var owners: [AnyObject] = []
    var files: [MappedFile] = []
    var rows = 0
    for t in tables {
      let (sum, overflow) = rows.addingReportingOverflow(t.rowCount)
      guard !overflow else { throw .argument("the tables have more rows together than an Int can count") }
      rows = sum
      batches += t.batches
      owners += t.owners
      files += t.files
    }

    // Unsupported columns common to all tables (same name and Arrow type), in the first table's order.
    let unsupported = first.unsupported.filter { u in
      tables.dropFirst().allSatisfy { t in t.unsupported.contains { $0.name == u.name && $0.arrowType == u.arrowType } }
    }
    return Table(fields: fields, batches: batches, source: concatenatedSource(tables),
                 unsupported: unsupported, owners: owners, files: files)
  }

  /// Why `t`'s fields differ from `first`'s, or nil when they agree.
  private static func schemaDifference(_ first: Table, _ t: Table) -> String? {
    for (i, (a, b)) in zip(first.fields, t.fields).enumerated() {
      if a.name != b.name {
        if let u = first.unsupported.first(where: { $0.name == b.name }) {
          return "column '\(b.name)' is \(b.dtype) where the first table has type \(u.arrowType)"
        }
        if let u = t.unsupported.first(where: { $0.name == a.name }) {
          return "column '\(a.name)' has type \(u.arrowType) where the first table has \(a.dtype)"
        }
        return "column \(i + 1) is '\(b.name)' where the first table has '\(a.name)'"
      }
      if a.dtype != b.dtype {
        return "column '\(a.name)' is \(b.dtype) where the first table has \(a.dtype)"
      }
      if a.timezone != b.timezone {
        return "column '\(a.name)' has time zone \(b.timezone ?? "none") where the first table has "
          + (a.timezone ?? "none")
      }
      if a.categorical != b.categorical {
        return "column '\(a.name)' is \(b.categorical ? "" : "not ")dictionary-encoded (categorical) where the "
          + "first table's is\(a.categorical ? "" : " not")"
      }
    }
    if t.fields.count > first.fields.count {
      let name = t.fields[first.fields.count].name
      if let u = first.unsupported.first(where: { $0.name == name }) {
        return "column '\(name)' is \(t.fields[first.fields.count].dtype) where the first table has type \(u.arrowType)"
      }
      return "it has an extra column '\(name)'"
    }
    if t.fields.count < first.fields.count {
      let name = first.fields[t.fields.count].name
      if let u = t.unsupported.first(where: { $0.name == name }) {
        return "column '\(name)' has type \(u.arrowType), which swiftframe cannot compute with yet"
      }
      return "it has no column '\(name)'"
    }
    return nil
  }

  /// A short description of the sources for messages: "a.arrow + 3 more".
  private static func concatenatedSource(_ tables: [Table]) -> String {
    var seen = Set<String>(), distinct: [String] = []
    for t in tables where seen.insert(t.source).inserted { distinct.append(t.source) }
    switch distinct.count {
    case 0: return "<memory>"
    case 1: return distinct[0]
    default: return "\(distinct[0]) + \(distinct.count - 1) more"
    }
  }
}
