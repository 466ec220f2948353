import FrameCompute
import FrameStorage

// Pipelines as state (vaex's state_get / state_set): the virtual columns, renames,
// filter, named selections and visible columns as JSON, replayable on another file
// with the same columns. Keys follow vaex's where they fit:
//
//   {"virtual_columns": {"r": "sqrt(x ** 2)"}, "column_names": ["x", "r"],
//    "renamed_columns": [["x0", "x"]], "selections": {"hot": "r > 1"},
//    "filter": "x > 0", "active_range": [0, 1000]}
//
// Virtual columns replay in order through addVirtualColumn; renamed_columns holds the
// stored columns' renames (stored name, shown name), applied before them.

extension DataFrame.FrameState {
  /// The stored field column `name` shows, honouring renames.
  func storedIndex(_ name: String, in table: Table) -> Int? {
    if let original = renamed.first(where: { $0.value == name })?.key { return table.fieldIndex(original) }
    if renamed[name] != nil { return nil }  // renamed away
    return table.fieldIndex(name)
  }
}

/// vaex's state keys that swiftframe has no use for; state_set ignores them.
private let ignoredKeys: Set<String> = ["variables", "functions", "description", "descriptions", "ucds", "units"]

extension DataFrame {
  /// The stored field that column `name` shows now, or nil.
  func storedIndex(_ name: String) -> Int? { snapshot.storedIndex(name, in: table) }

  /// Renames column `old` (stored or virtual) to `new`, as vaex's `rename`: virtual
  /// columns, the filter and selections that refer to it are rewritten to the new name,
  /// so they keep working. Reads no data; the frame is unchanged on error.
  public func rename(_ old: String, _ new: String) throws(SFError) {
    try state.withLock { (s: inout FrameState) throws(SFError) in s = try renaming(old, new, in: s) }
  }

  private func renaming(_ old: String, _ new: String, in s: FrameState) throws(SFError) -> FrameState {
    guard !new.isEmpty else { throw .argument("a column name cannot be empty") }
    let stored = s.storedIndex(old, in: table)
    let isVirtual = s.virtuals.contains { $0.name == old }
    guard stored != nil || isVirtual else { throw SFError(.name, "cannot rename '\(old)': no such column") }
    guard old != new else { return s }
    guard s.storedIndex(new, in: table) == nil, !s.virtuals.contains(where: { $0.name == new }) else {
      throw .argument("cannot rename '\(old)' to '\(new)': a column of that name exists")
    }
    var next = s
    if let i = stored {
      let original = table.fields[i].name
      next.renamed[original] = original == new ? nil : new
    }
    let reference = columnReference(new)
    for k in next.virtuals.indices {
      let v = next.virtuals[k]
      next.virtuals[k] = VirtualColumn(name: v.name == old ? new : v.name,
                                       expression: try replacingColumn(old, in: v.expression, with: reference),
                                       node: v.node.substituting(old, with: .column(new)))
    }
    if let f = next.filter { next.filter = try replacingColumn(old, in: f, with: reference) }
    for (name, e) in next.selections { next.selections[name] = try replacingColumn(old, in: e, with: reference) }
    next.visible = next.visible?.map { $0 == old ? new : $0 }
    next.counts = nil
    try check(next)
    return next
  }

  /// Every expression of `s` compiles; the filter and selections are boolean.
  private func check(_ s: FrameState) throws(SFError) {
    for v in s.virtuals { _ = try compile(columnReference(v.name), s) }
    if let f = s.filter {
      let t = try compile(f, s).dtype
      guard t == .bool else { throw SFError(.type, "a filter must be a boolean expression, got \(t): '\(f)'") }
    }
    for (name, e) in s.selections.sorted(by: { $0.key < $1.key }) {
      let t = try compile(e, s).dtype
      guard t == .bool else { throw SFError(.type, "selection '\(name)' must be a boolean expression, got \(t)") }
    }
  }

  /// The frame's state as JSON (see the top of this file).
  public func stateJSON() -> String {
    let s = snapshot
    func object(_ pairs: [(String, String)]) -> String {
      "{" + pairs.map { "\(jsonString($0.0)): \(jsonString($0.1))" }.joined(separator: ", ") + "}"
    }
    let renames = s.renamed.sorted { $0.key < $1.key }.map { "[\(jsonString($0.key)), \(jsonString($0.value))]" }
    return "{\"virtual_columns\": \(object(s.virtuals.map { ($0.name, $0.expression) })), "
      + "\"column_names\": [\(columnNames.map(jsonString).joined(separator: ", "))], "
      + "\"renamed_columns\": [\(renames.joined(separator: ", "))], "
      + "\"selections\": \(object(s.selections.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })), "
      + "\"filter\": \(s.filter.map(jsonString) ?? "null"), "
      + "\"active_range\": [\(s.rows.lowerBound), \(s.rows.upperBound)]}"
  }

  /// Replaces the frame's virtual columns, renames, filter, selections and visible
  /// columns by those of `json` (a `stateJSON()`, maybe of another file with the same
  /// columns). The row range is kept unless `useActiveRange`. Everything is checked
  /// first: on error (malformed JSON, a value of the wrong type, an unknown column or
  /// function) the frame is unchanged.
  public func setState(json: String, useActiveRange: Bool = false) throws(SFError) {
    var parser = JSONParser(Array(json.utf8))
    guard case .object(let entries) = try parser.document() else { throw .argument("a state must be a JSON object") }
    var fields: [String: JSONValue] = [:]
    for (key, value) in entries {
      guard !ignoredKeys.contains(key) else { continue }
      guard ["virtual_columns", "column_names", "renamed_columns", "selections", "filter", "active_range"].contains(key)
      else { throw .argument("unknown state key '\(key)'") }
      fields[key] = value
    }
    var s = FrameState(rows: snapshot.rows)
    if useActiveRange, let range = fields["active_range"], !range.isNull {
      guard case .array(let bounds) = range, bounds.count == 2, let lo = bounds[0].integer, let hi = bounds[1].integer,
            lo >= 0, lo <= hi, hi <= table.rowCount else {
        throw .argument("state active_range must be [start, stop] within the \(table.rowCount) rows of the frame")
      }
      s.rows = lo..<hi
    }
    for pair in try list(fields["renamed_columns"], "renamed_columns") {
      guard case .array(let names) = pair, names.count == 2, case .string(let old) = names[0],
            case .string(let new) = names[1] else {
        throw .argument("state renamed_columns must hold [old, new] pairs of names")
      }
      s = try renaming(old, new, in: s)
    }
    for (name, e) in try strings(fields["virtual_columns"], "virtual_columns") {
      s = try addingVirtualColumn(name, e, to: s)
    }
    for (name, e) in try strings(fields["selections"], "selections") where name != "__filter__" {
      s.selections[name] = e
    }
    switch fields["filter"] {
    case nil, .null?: break
    case .string(let f)?: s.filter = f
    default: throw .argument("state filter must be an expression string or null")
    }
    try check(s)
    if let names = fields["column_names"], !names.isNull {
      var visible: [String] = []
      for item in try list(names, "column_names") {
        guard case .string(let n) = item else { throw .argument("state column_names must be a list of names") }
        guard s.storedIndex(n, in: table) != nil || s.virtuals.contains(where: { $0.name == n }) else {
          throw SFError(.name, "state column_names: no column '\(n)' in this frame")
        }
        visible.append(n)
      }
      let all = DataFrame(table: table, state: s).columnNames
      s.visible = visible == all ? nil : visible
    }
    state.withLock { $0 = s }
  }

  private func list(_ value: JSONValue?, _ key: String) throws(SFError) -> [JSONValue] {
    switch value {
    case nil, .null?: return []
    case .array(let items)?: return items
    default: throw .argument("state \(key) must be a list")
    }
  }

  /// The entries of an object of strings, in order.
  private func strings(_ value: JSONValue?, _ key: String) throws(SFError) -> [(String, String)] {
    switch value {
    case nil, .null?: return []
    case .object(let entries)?:
      var out: [(String, String)] = []
      for (name, v) in entries where !v.isNull {
        guard case .string(let text) = v else { throw .argument("state \(key) '\(name)' must be an expression string") }
        out.append((name, text))
      }
      return out
    default: throw .argument("state \(key) must be an object of name: expression")
    }
  }
}

extension JSONValue {
  var isNull: Bool { if case .null = self { true } else { false } }

  /// A whole number that fits an Int, or nil.
  var integer: Int? {
    guard case .number(let n) = self, n == n.rounded(), abs(n) < 9e15 else { return nil }
    return Int(n)
  }
}
