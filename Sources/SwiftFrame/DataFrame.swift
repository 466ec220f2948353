import Synchronization
@_exported import FrameStorage
@_exported import FrameCompute

/// A lazy view of a table: virtual columns (name → expression), a filter, a row
/// range and a column subset. Adding a virtual column or a filter reads no data;
/// statistics run one parallel pass over the rows. Safe to share between threads.
public final class DataFrame: @unchecked Sendable {
  public let table: Table
  let state: Mutex<FrameState>

  struct VirtualColumn {
    let name: String
    let expression: String
    let node: Node
  }

  struct FrameState {
    var virtuals: [VirtualColumn] = []
    var filter: String?
    var rows: Range<Int>
    var visible: [String]?
    /// Named selections: name → boolean expression (DataFrame+Selections.swift).
    var selections: [String: String] = [:]
    /// Rows passing the filter per chunk, once a pass has counted them.
    var counts: [Int]?
    /// The table's rows in the frame's order (sorted, taken, sampled): `rows` then ranges
    /// over this index's entries (DataFrame+Rows.swift). nil: logical rows are table rows.
    var index: RowIndex? = nil
    /// Further tables read row for row beside the table, each through its own index
    /// (a join's right side); their fields follow the table's in field numbering.
    var joined: [RowSource] = []
    /// The names of the stored fields (numbered as above) when a join or `rename` renamed some
    /// (DataFrame+Join.swift); nil: the tables' own names.
    var fieldNames: [String]? = nil
  }

  public init(table: Table) {
    self.table = table
    state = Mutex(FrameState(rows: 0..<table.rowCount))
  }

  init(table: Table, state: FrameState) {
    self.table = table
    self.state = Mutex(state)
  }

  /// Opens an Arrow IPC file (.arrow/.feather/.ipc) or a vaex HDF5 file by mapping it; reads no column data.
  public static func open(_ path: String) throws(SFError) -> DataFrame {
    DataFrame(table: try TableOpener.open(path: path))
  }

  /// A frame over arrays the caller keeps alive for the frame's life (numpy arrays
  /// from Python): no copy is made. Bool data is bit-packed, as in Arrow.
  public static func wrapping(columns: [(name: String, dtype: DType, data: UnsafeRawPointer)], length: Int,
                              owners: [AnyObject] = []) throws(SFError) -> DataFrame {
    guard length >= 0 else { throw .argument("negative length \(length)") }
    var seen = Set<String>()
    for c in columns where !seen.insert(c.name).inserted {
      throw .argument("duplicate column name '\(c.name)'")
    }
    let fields = columns.map { Field(name: $0.name, dtype: $0.dtype, nullable: false) }
    let chunks = columns.map { ColumnChunk(dtype: $0.dtype, length: length, values: $0.data, validity: nil, nullCount: 0) }
    let batches = length == 0 && columns.isEmpty ? [] : [RecordBatch(length: length, columns: chunks)]
    return DataFrame(table: Table(fields: fields, batches: batches, source: "<memory>", owners: owners))
  }

  /// A frame that owns a copy of Swift arrays (all of one length).
  public convenience init<T: ColumnValue>(_ columns: [(String, [T])]) throws(SFError) {
    let length = columns.first?.1.count ?? 0
    var owners: [AnyObject] = []
    var specs: [(name: String, dtype: DType, data: UnsafeRawPointer)] = []
    for (name, values) in columns {
      guard values.count == length else { throw .argument("column '\(name)' has \(values.count) values, expected \(length)") }
      let owned = OwnedBuffer(values)
      owners.append(owned)
      specs.append((name, T.dtype, owned.pointer))
    }
    let frame = try DataFrame.wrapping(columns: specs, length: length, owners: owners)
    self.init(table: frame.table)
  }

  /// The frame's state now (Interchange reads the filter and row range).
  var snapshot: FrameState { state.withLock { $0 } }

  /// A shallow copy: same data, its own virtual columns and filter.
  public func copy() -> DataFrame { DataFrame(table: table, state: snapshot) }

  // MARK: Columns

  /// Stored then virtual column names, as the user sees them. A stored column
  /// redefined as a virtual one keeps its place, as in pandas.
  public var columnNames: [String] {
    let s = snapshot
    if let visible = s.visible { return visible }
    let stored = storedNames(s)
    let storedSet = Set(stored)
    return stored + s.virtuals.map(\.name).filter { !storedSet.contains($0) }
  }

  /// The expression of a virtual column, or nil for a stored column.
  public func virtualExpression(_ name: String) -> String? {
    snapshot.virtuals.last { $0.name == name }?.expression
  }

  /// Parses and type-checks `expression` against this frame.
  public func compile(_ expression: String) throws(SFError) -> Program {
    try compile(expression, snapshot)
  }

  public func dtype(of expression: String) throws(SFError) -> DType {
    try compile(expression).dtype
  }

  func compile(_ expression: String, _ s: FrameState) throws(SFError) -> Program {
    try compile(Parser.parse(expression), s)
  }

  private func compile(_ node: Node, _ s: FrameState) throws(SFError) -> Program {
    var checker = TypeChecker(fields: fields(s), resolve: resolver(s))
    return Program(try checker.check(node))
  }

  /// The stored fields expressions may name by number: the table's, then joined tables'.
  func fields(_ s: FrameState) -> [Field] {
    s.joined.isEmpty ? table.fields : table.fields + s.joined.flatMap(\.table.fields)
  }

  /// The names expressions use for the stored fields (numbered as `fields`).
  func storedNames(_ s: FrameState) -> [String] { s.fieldNames ?? fields(s).map(\.name) }

  /// The number of the stored field called `name` (the first, after a join's renames).
  func storedFieldIndex(_ name: String, _ s: FrameState) -> Int? {
    guard let names = s.fieldNames else { return table.fieldIndex(name) }
    return names.firstIndex(of: name)
  }

  private func resolver(_ s: FrameState) -> (String) -> Resolution {
    let virtuals = s.virtuals, table = self.table
    return { [self] name in
      if let v = virtuals.last(where: { $0.name == name }) { return .virtual(v.node) }
      if let i = storedFieldIndex(name, s) { return .stored(i) }
      if let u = table.unsupported.first(where: { $0.name == name }) { return .unsupported(u.arrowType) }
      return .unknown
    }
  }

  /// Adds (or replaces) a virtual column. A reference to `name` inside `expression`
  /// means the column's previous definition, so `x = x * 2` works as in vaex.
  public func addVirtualColumn(_ name: String, _ expression: String) throws(SFError) {
    try state.withLock { (s: inout FrameState) throws(SFError) in s = try addingVirtualColumn(name, expression, to: s) }
  }

  /// `s` with the virtual column added, checked; a reference to an earlier virtual
  /// definition of `name` is spelled out in its text, so the text alone replays it.
  func addingVirtualColumn(_ name: String, _ expression: String, to s: FrameState) throws(SFError) -> FrameState {
    guard !name.isEmpty else { throw .argument("a column name cannot be empty") }
    var node = try Parser.parse(expression)
    var text = expression
    if let previous = s.virtuals.last(where: { $0.name == name }) {
      node = node.substituting(name, with: previous.node)
      text = try replacingColumn(name, in: expression, with: "(\(previous.expression))")
    } else if let i = storedFieldIndex(name, s) {
      node = node.substituting(name, with: .storedField(i))
    }
    var next = s
    let column = VirtualColumn(name: name, expression: text, node: node)
    // A redefinition keeps the column's place.
    if let i = next.virtuals.firstIndex(where: { $0.name == name }) {
      next.virtuals[i] = column
    } else {
      next.virtuals.append(column)
    }
    if let visible = next.visible, !visible.contains(name) { next.visible = visible + [name] }
    next.counts = nil
    // Check it now, and every virtual column that may refer to it.
    for v in next.virtuals { _ = try compile(.column(v.name), next) }
    if let f = next.filter { _ = try compile(f, next) }
    return next
  }

  // MARK: Derived frames

  /// A frame sharing the data with the rows where `expression` is true (and this frame's filter).
  public func filtered(_ expression: String) throws(SFError) -> DataFrame {
    var s = snapshot
    let program = try compile(expression, s)
    guard program.dtype == .bool else {
      throw SFError(.type, "a filter must be a boolean expression, got \(program.dtype): '\(expression)'")
    }
    s.filter = s.filter.map { "(\($0)) & (\(expression))" } ?? expression
    s.counts = nil
    return DataFrame(table: table, state: s)
  }

  /// A frame showing only `names` (other columns stay reachable from expressions).
  public func selecting(columns names: [String]) throws(SFError) -> DataFrame {
    let known = Set(columnNames).union(storedNames(snapshot))
    for n in names where !known.contains(n) { throw SFError(.name, "name '\(n)' is not defined (no such column)") }
    var s = snapshot
    s.visible = names
    return DataFrame(table: table, state: s)
  }

  /// Rows `range` of this frame, counted after its filter.
  public func slice(_ range: Range<Int>, progress: ProgressHandler? = nil) throws(SFError) -> DataFrame {
    var s = snapshot
    let n = try length(progress: progress)
    let lo = max(0, min(range.lowerBound, n)), hi = max(lo, min(range.upperBound, n))
    let start = try rawRow(lo, s, progress), stop = try rawRow(hi, s, progress)
    s.rows = start..<stop
    s.counts = nil
    return DataFrame(table: table, state: s)
  }

  /// The logical row of the `k`-th row after the filter (the end of the range for k == length).
  private func rawRow(_ k: Int, _ s: FrameState, _ progress: ProgressHandler?) throws(SFError) -> Int {
    let scan = try self.scan(s)
    guard scan.filter != nil else { return s.rows.lowerBound + k }
    let counts = try filterCounts(progress: progress)
    let chunks = scan.chunks
    var before = 0
    for (i, c) in chunks.enumerated() {
      if before + counts[i] > k {
        let one = scan.over(c.row..<(c.row + c.count), filter: nil)
        let mask = UnsafeMutablePointer<UInt8>.allocate(capacity: c.count)
        defer { mask.deallocate() }
        _ = try FrameCompute.evaluate(one, program: scan.filter!, counts: [c.count], range: 0..<c.count,
                                      out: UnsafeMutableRawPointer(mask), valid: nil, threads: 1)
        var seen = before
        for r in 0..<c.count where mask[r] != 0 {
          if seen == k { return c.row + r }
          seen += 1
        }
      }
      before += counts[i]
    }
    return s.rows.upperBound
  }

  // MARK: Passes

  func scan(_ s: FrameState) throws(SFError) -> Scan {
    Scan(source: RowSource(table: table, index: s.index), joined: s.joined, rows: s.rows,
         filter: try s.filter.map { f throws(SFError) in try compile(f, s) })
  }

  func filterCounts(progress: ProgressHandler?) throws(SFError) -> [Int] {
    let s = snapshot
    if let counts = s.counts { return counts }
    let counts = try filteredCounts(scan(s), progress: progress)
    state.withLock { if $0.filter == s.filter && $0.rows == s.rows { $0.counts = counts } }
    return counts
  }

  /// Rows after the filter: a pass the first time for a filtered frame, then cached.
  public func length(progress: ProgressHandler? = nil) throws(SFError) -> Int {
    let s = snapshot
    if s.filter == nil { return s.rows.count }
    return try filterCounts(progress: progress).reduce(0, +)
  }

  /// One statistic: its kind, its expression (nil: count of rows) and an optional selection.
  public struct Request: Sendable {
    public let kind: AggregateKind
    public let expression: String?
    public let selection: String?
    /// The second expression of covariance and correlation.
    public let second: String?

    public init(_ kind: AggregateKind, _ expression: String?, selection: String? = nil, second: String? = nil) {
      self.kind = kind
      self.expression = expression
      self.selection = selection
      self.second = second
    }
  }

  /// Computes all `requests` in one pass; identical expressions are evaluated once per chunk.
  public func aggregate(_ requests: [Request], progress: ProgressHandler? = nil) throws(SFError) -> [Scalar] {
    let s = snapshot
    let (programs, selections, tasks) = try plan(requests, s)
    return try FrameCompute.aggregate(scan(s), programs: programs, selections: selections, tasks: tasks, progress: progress)
  }

  /// One axis of a binby grid: `expression` cut into `bins` cells over [low, high).
  public struct Axis: Sendable {
    public let expression: String, low: Double, high: Double, bins: Int
    public init(_ expression: String, low: Double, high: Double, bins: Int) {
      self.expression = expression
      self.low = low
      self.high = high
      self.bins = bins
    }
  }

  /// Computes all `requests` over the cells of the grid `axes` in one pass: per request,
  /// one result per cell in C order (the last axis varies fastest).
  public func aggregate(_ requests: [Request], binby axes: [Axis],
                        progress: ProgressHandler? = nil) throws(SFError) -> [[Scalar]] {
    let s = snapshot
    let (programs, selections, tasks) = try plan(requests, s)
    var grid: [GridAxis] = []
    for a in axes { grid.append(try GridAxis(program: try compile(a.expression, s), low: a.low, high: a.high, bins: a.bins)) }
    return try aggregateBinned(scan(s), programs: programs, selections: selections, tasks: tasks, axes: grid,
                               progress: progress)
  }

  /// The programs, selections and tasks of `requests`, each distinct text compiled once.
  func plan(_ requests: [Request], _ s: FrameState) throws(SFError)
    -> (programs: [Program], selections: [Program], tasks: [AggregateTask]) {
    var programs: [Program] = [], selections: [Program] = []
    var programIndex: [String: Int] = [:], selectionIndex: [String: Int] = [:]
    var tasks: [AggregateTask] = []
    func program(_ text: String) throws(SFError) -> Int {
      if let i = programIndex[text] { return i }
      programs.append(try compile(text, s))
      programIndex[text] = programs.count - 1
      return programs.count - 1
    }
    for r in requests {
      var e: Int? = nil, sel: Int? = nil, second: Int? = nil
      if let text = r.expression { e = try program(text) }
      if let text = r.second { second = try program(text) }
      if let text = r.selection {
        if let i = selectionIndex[text] { sel = i } else {
          selections.append(try compile(try selectionExpression(text, s), s))
          sel = selections.count - 1
          selectionIndex[text] = sel
        }
      }
      tasks.append(AggregateTask(kind: r.kind, expression: e, selection: sel, second: second))
    }
    return (programs, selections, tasks)
  }

  /// Writes the values of `expression` for rows `range` (after the filter) into `out`,
  /// which holds `range.count` values of `dtype` (checked against the expression's).
  /// `valid`, when given, receives 1 for present values and 0 for missing ones.
  /// Returns how many values are missing.
  public func evaluate(_ expression: String, range: Range<Int>, dtype: DType, into out: UnsafeMutableRawPointer,
                       valid: UnsafeMutablePointer<UInt8>?, progress: ProgressHandler? = nil) throws(SFError) -> Int {
    let s = snapshot
    let program = try compile(expression, s)
    guard program.dtype == dtype, !dtype.isString else {
      throw .argument("'\(expression)' has dtype \(program.dtype), not \(dtype)"
                      + (dtype.isString ? " (strings are evaluated with evaluateStrings)" : ""))
    }
    let n = try length(progress: progress)
    guard range.lowerBound >= 0, range.upperBound <= n else {
      throw .argument("rows \(range.lowerBound)..<\(range.upperBound) out of range for a frame of \(n) rows")
    }
    let counts = try filterCounts(progress: progress)
    return try FrameCompute.evaluate(scan(s), program: program, counts: counts, range: range,
                                     out: out, valid: valid, progress: progress)
  }

  /// The strings of a string `expression` for rows `range` (after the filter), as
  /// Arrow large_utf8: `offsets` receives `range.count + 1` offsets into the returned
  /// bytes; `valid`, when given, 1 for present and 0 for missing values.
  public func evaluateStrings(_ expression: String, range: Range<Int>, offsets: UnsafeMutablePointer<Int64>,
                              valid: UnsafeMutablePointer<UInt8>?, progress: ProgressHandler? = nil)
    throws(SFError) -> (bytes: [UInt8], missing: Int) {
    let s = snapshot
    let program = try compile(expression, s)
    let n = try length(progress: progress)
    guard range.lowerBound >= 0, range.upperBound <= n else {
      throw .argument("rows \(range.lowerBound)..<\(range.upperBound) out of range for a frame of \(n) rows")
    }
    let counts = try filterCounts(progress: progress)
    return try FrameCompute.evaluateStrings(scan(s), program: program, counts: counts, range: range,
                                            offsets: offsets, valid: valid)
  }

  /// The int32 dictionary indices of a stored categorical column for rows `range`
  /// (after the filter), into `dictionary`, which all its chunks share; returns the
  /// number of missing values (`valid` gets 0 for them).
  public func evaluateDictionaryIndices(_ expression: String, range: Range<Int>, dictionary: ColumnDictionary,
                                        into out: UnsafeMutablePointer<Int32>, valid: UnsafeMutablePointer<UInt8>,
                                        progress: ProgressHandler? = nil) throws(SFError) -> Int {
    let s = snapshot
    let program = try compile(expression, s)
    let counts = try filterCounts(progress: progress)
    return try FrameCompute.evaluateDictionaryIndices(scan(s), program: program, counts: counts, range: range,
                                                      dictionary: dictionary, into: out, valid: valid)
  }

  /// The one dictionary every chunk of stored categorical column `name` uses, if they share one.
  public func sharedDictionary(_ name: String) -> ColumnDictionary? {
    // A field of the frame's own table (a join's right fields are read through an index).
    guard virtualExpression(name) == nil, let i = storedFieldIndex(name, snapshot), i < table.fields.count,
          table.fields[i].categorical,
          let first = table.batches.first?.dictionaries[i], first.values.offset == 0,
          table.batches.allSatisfy({ $0.dictionaries[i].map(first.hasSameValues) ?? false }) else { return nil }
    return first
  }

  /// The values of `expression` as a Swift array (missing values as T's zero).
  public func values<T: ColumnValue>(_ expression: String, as: T.Type = T.self) throws(SFError) -> [T] {
    let n = try length()
    let program = try compile(expression)
    let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, n) * program.dtype.byteWidth, alignment: 8)
    defer { raw.deallocate() }
    _ = try evaluate(expression, range: 0..<n, dtype: program.dtype, into: raw, valid: nil)
    return try program.dtype.visit(ReadValues<T>(raw: raw, n: n))
  }

  /// The stored values of a column in place, when the frame shows them unchanged:
  /// unfiltered, the full row range, one chunk kept in memory for the table's life, no
  /// missing values, not bool.
  public func storedBuffer(_ name: String) -> (pointer: UnsafeRawPointer, count: Int, dtype: DType)? {
    let s = snapshot
    guard s.filter == nil, s.index == nil, s.rows == 0..<table.rowCount, !s.virtuals.contains(where: { $0.name == name }),
          let i = storedFieldIndex(name, s), i < table.fields.count, table.batches.count == 1 else { return nil }
    // No view into a file that changed since it was opened: evaluating reports the change.
    guard (try? table.checkFilesUnchanged()) != nil else { return nil }
    guard let c = table.batches[0].resident?.columns[i], c.validity == nil, c.dtype != .bool, !c.dtype.isString else {
      return nil
    }
    return (c.values + c.offset * c.dtype.byteWidth, c.length, c.dtype)
  }
}

private struct ReadValues<T: ColumnValue>: DTypeVisitor {
  let raw: UnsafeRawPointer, n: Int
  func visit<S: ColumnValue>(_: S.Type) -> [T] {
    let p = raw.assumingMemoryBound(to: S.self)
    return (0..<n).map { p[$0].converted(to: T.self) }
  }
}

/// Owns a copy of a Swift array for a frame made from Swift values.
final class OwnedBuffer {
  let pointer: UnsafeRawPointer
  init<T>(_ values: [T]) {
    let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, values.count))
    p.initialize(from: values, count: values.count)
    pointer = UnsafeRawPointer(p)
  }
  deinit { UnsafeMutableRawPointer(mutating: pointer).deallocate() }
}
