import Synchronization
import FrameStorage

/// One statistic requested in a pass: `expression` and `selection` index the
/// pass's programs (nil: count of rows / no selection).
public struct AggregateTask: Sendable {
  public let kind: AggregateKind
  public let expression: Int?
  public let selection: Int?
  /// The second expression of covariance and correlation (an index into the programs).
  public let second: Int?

  public init(kind: AggregateKind, expression: Int?, selection: Int?, second: Int? = nil) {
    self.kind = kind
    self.expression = expression
    self.selection = selection
    self.second = second
  }
}

/// Which rows a pass reads: the logical rows `rows` of its sources (the frame's own
/// table first, then joined tables, all aligned row for row) and an optional boolean
/// filter. Stored field numbers run over the sources' fields in order.
public struct Scan: Sendable {
  public let sources: [RowSource]
  public let rows: Range<Int>
  public let filter: Program?

  public init(table: Table, rows: Range<Int>, filter: Program?) {
    self.init(source: RowSource(table: table, index: nil), rows: rows, filter: filter)
  }

  public init(source: RowSource, joined: [RowSource] = [], rows: Range<Int>, filter: Program?) {
    self.sources = [source] + joined
    self.rows = rows
    self.filter = filter
  }

  /// The frame's own table (source 0).
  public var table: Table { sources[0].table }

  public var chunks: [ChunkRef] { planChunks(self) }

  /// The same sources and filter over other logical rows.
  public func over(_ rows: Range<Int>, filter: Program?) -> Scan {
    Scan(source: sources[0], joined: Array(sources.dropFirst()), rows: rows, filter: filter)
  }

  /// Stored field `f` (numbered over all sources) as (source, field of its table).
  public func locate(_ f: Int) -> (source: Int, field: Int)? {
    var f = f
    for (s, source) in sources.enumerated() {
      if f < source.table.fields.count { return f >= 0 ? (s, f) : nil }
      f -= source.table.fields.count
    }
    return nil
  }

  /// The schema entry of stored field `f` (numbered over all sources).
  public func field(_ f: Int) -> Field? {
    locate(f).map { sources[$0.source].table.fields[$0.field] }
  }

  /// Re-checks every source's files (see Table.checkFilesUnchanged).
  public func checkFilesUnchanged() throws(SFError) {
    for s in sources { try s.table.checkFilesUnchanged() }
  }

  /// Read-ahead advice for the frame's own table when it is read in order.
  func adviseSequential() {
    if sources[0].index == nil { table.adviseSequential() }
  }
}

/// Per-thread state of a pass: one evaluator per program and reusable masks.
final class PassWorker {
  let evaluators: [Evaluator]
  let filter: Evaluator?
  let masks: UnsafeMutablePointer<UInt8>
  let maskCount: Int
  /// Where the extra programs (binby axes) start among `evaluators`.
  let extraStart: Int
  /// The current chunk, its filter mask and the values evaluated for it so far.
  private(set) var chunk: ChunkRef?
  private(set) var rows: UnsafePointer<UInt8>?
  private var values: [Vec?]

  init(scan: Scan, programs: [Program], filter: Program?, maskCount: Int, extraStart: Int = 0) {
    evaluators = programs.map { Evaluator(scan: scan, program: $0) }
    self.filter = filter.map { Evaluator(scan: scan, program: $0) }
    self.maskCount = maskCount
    self.extraStart = extraStart
    values = Array(repeating: nil, count: programs.count)
    masks = .allocate(capacity: max(1, maskCount) * chunkRows)
  }

  /// Starts a chunk: values are evaluated on demand, once each.
  func begin(_ chunk: ChunkRef, rows: UnsafePointer<UInt8>?) {
    self.chunk = chunk
    self.rows = rows
    for i in values.indices { values[i] = nil }
  }

  /// The values of program `p` over the current chunk.
  func value(_ p: Int) throws(SFError) -> Vec {
    if let v = values[p] { return v }
    guard let chunk else { throw SFError(.argument, "no chunk begun") }
    let v = try evaluators[p].evaluate(chunk, rows: rows)
    values[p] = v
    return v
  }

  deinit { masks.deallocate() }

  /// The logical row of the current chunk's first row.
  var chunkRow: Int { chunk?.row ?? 0 }

  func mask(_ i: Int) -> UnsafeMutablePointer<UInt8> { masks + i * chunkRows }

  /// The filter as a byte mask for `chunk` (missing counts as false); nil keeps all rows.
  func filterMask(_ chunk: ChunkRef, into out: UnsafeMutablePointer<UInt8>) throws(SFError) -> UnsafePointer<UInt8>? {
    guard let filter else { return nil }
    return try truth(filter.evaluate(chunk), into: out)
  }
}

/// A boolean vector as a byte mask where missing is false; shares the values when none is missing.
func truth(_ v: Vec, into out: UnsafeMutablePointer<UInt8>) -> UnsafePointer<UInt8> {
  let values = v.values.assumingMemoryBound(to: UInt8.self)
  guard let valid = v.valid else { return values }
  andMasks(values, valid, out, v.count)
  return UnsafePointer(out)
}

/// Computes every task in one pass over `scan` and returns their results in order.
/// Each program is evaluated once per chunk however many tasks use it.
public func aggregate(_ scan: Scan, programs: [Program], selections: [Program], tasks: [AggregateTask],
                      threads: Int = defaultThreadCount, progress: ProgressHandler? = nil) throws(SFError) -> [Scalar] {
  try aggregateStates(scan, programs: programs, selections: selections, tasks: tasks, threads: threads,
                      progress: progress).map { $0.finish() }
}

/// The merged partial states of `aggregate`, not yet finished (Partial.swift serializes them).
func aggregateStates(_ scan: Scan, programs: [Program], selections: [Program], tasks: [AggregateTask],
                     threads: Int, progress: ProgressHandler?) throws(SFError) -> [Aggregator] {
  func fresh() throws(SFError) -> [Aggregator] {
    var out: [Aggregator] = []
    for t in tasks { out.append(try makeAggregator(t.kind, dtype: t.expression.map { programs[$0].dtype })) }
    return out
  }
  let empty = try fresh()  // checked before the pass; each worker then makes its own states
  let states = try runTasks(scan, programs: programs, selections: selections, tasks: tasks, threads: threads,
                            progress: progress, makeState: { (try? fresh()) ?? [] }) { (states, w, t, v, mask, n) throws(SFError) in
    (states[t] as? RowOrdered)?.begin(row: w.chunkRow)
    if let s = tasks[t].second { (states[t] as? Paired)?.pair(with: try w.value(s)) }
    states[t].add(v, mask: mask, count: n)
  }
  guard let first = states.first else { return empty }
  for other in states.dropFirst() {
    for (a, b) in zip(first, other) { a.merge(b) }
  }
  return first
}

/// One pass running `tasks`: for each chunk and task, `add(state, worker, task, values,
/// mask, count)` with the task's values (nil for count(*)) and the rows it takes (filter
/// ∧ selection ∧ present; nil: all). `extra` programs are evaluated per chunk too and
/// reachable through the worker (binby axes). Returns each worker's state.
func runTasks<State>(_ scan: Scan, programs: [Program], selections: [Program], tasks: [AggregateTask],
                     extra: [Program] = [], threads: Int, progress: ProgressHandler?,
                     makeState: @escaping () -> State,
                     add: @escaping (State, PassWorker, Int, Vec?, UnsafePointer<UInt8>?, Int) throws(SFError) -> Void)
  throws(SFError) -> [State] {
  try scan.checkFilesUnchanged()
  scan.adviseSequential()
  let chunks = scan.chunks
  for sel in selections where sel.dtype != .bool {
    throw SFError(.type, "a selection must be a boolean expression, got \(sel.dtype)")
  }
  for task in tasks where takesTwoExpressions(task.kind) != (task.second != nil) {
    throw SFError(.argument, "\(task.kind) takes \(takesTwoExpressions(task.kind) ? "two expressions" : "one expression")")
  }
  for task in tasks {
    guard let s = task.second else { continue }
    let dtype = programs[s].dtype
    guard dtype.isNumeric, !dtype.isTemporal else { throw SFError(.type, "\(task.kind) of a \(dtype) expression is not supported") }
  }
  // Masks: 0 filter, 1 filter ∧ selection, 2 … per-task combination with validity.
  let all = programs + selections + extra
  let workers = try runPass(chunkCount: chunks.count, threads: threads, progress: progress, makeState: {
    (PassWorker(scan: scan, programs: all, filter: scan.filter, maskCount: 3, extraStart: programs.count + selections.count),
     makeState())
  }) { (pair: (PassWorker, State), index: Int) throws(SFError) in
    let (w, state) = pair
    let chunk = chunks[index]
    let n = chunk.count
    let rowMask = try w.filterMask(chunk, into: w.mask(0))
    w.begin(chunk, rows: rowMask)
    for (t, task) in tasks.enumerated() {
      var mask = rowMask
      if let s = task.selection {
        let sel = truth(try w.value(programs.count + s), into: w.mask(1))
        if let m = mask {
          andMasks(m, sel, w.mask(1), n)
          mask = UnsafePointer(w.mask(1))
        } else {
          mask = sel
        }
      }
      let v = try task.expression.map { e throws(SFError) in try w.value(e) }
      if let valid = v?.valid {
        if let m = mask { andMasks(m, valid, w.mask(2), n); mask = UnsafePointer(w.mask(2)) } else { mask = valid }
      }
      if let s = task.second, let valid = try w.value(s).valid {
        if let m = mask { andMasks(m, valid, w.mask(2), n); mask = UnsafePointer(w.mask(2)) } else { mask = valid }
      }
      try add(state, w, t, v, mask, n)
    }
    chunk.releasePages(of: scan.table)
  }
  return workers.map(\.1)
}

/// Rows passing the filter in each chunk of `scan.chunks` (all rows without a filter).
public func filteredCounts(_ scan: Scan, threads: Int = defaultThreadCount,
                           progress: ProgressHandler? = nil) throws(SFError) -> [Int] {
  let chunks = scan.chunks
  guard scan.filter != nil else { return chunks.map(\.count) }
  try scan.checkFilesUnchanged()
  let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: chunks.count)
  defer { counts.deallocate() }
  _ = try runPass(chunkCount: chunks.count, threads: threads, progress: progress, makeState: {
    PassWorker(scan: scan, programs: [], filter: scan.filter, maskCount: 1)
  }) { (w: PassWorker, index: Int) throws(SFError) in
    let chunk = chunks[index]
    let m = try w.filterMask(chunk, into: w.mask(0))
    counts[index] = m.map { countSet($0, chunk.count) } ?? chunk.count
    chunk.releasePages(of: scan.table)
  }
  return Array(counts)
}

/// Writes the values of `program` for the filtered rows `range` (counted after the
/// filter) into `out` (dtype `program.dtype`, `range.count` values) and their
/// presence into `valid` (bytes 0/1) when given. `counts` is `filteredCounts(scan)`.
/// Returns the number of missing values written.
public func evaluate(_ scan: Scan, program: Program, counts: [Int], range: Range<Int>,
                     out: UnsafeMutableRawPointer, valid: UnsafeMutablePointer<UInt8>?,
                     threads: Int = defaultThreadCount, progress: ProgressHandler? = nil) throws(SFError) -> Int {
  try scan.checkFilesUnchanged()
  let chunks = scan.chunks
  guard counts.count == chunks.count else { throw SFError(.argument, "stale row counts for this frame") }
  // The chunks overlapping `range`, each with the position of its first filtered row.
  var jobs: [(chunk: ChunkRef, first: Int)] = []
  var position = 0
  for (i, c) in chunks.enumerated() {
    if position + counts[i] > range.lowerBound && position < range.upperBound { jobs.append((c, position)) }
    position += counts[i]
  }
  let width = program.dtype.byteWidth
  let missing = Atomic<Int>(0)
  _ = try runPass(chunkCount: jobs.count, threads: threads, progress: progress, makeState: {
    PassWorker(scan: scan, programs: [program], filter: scan.filter, maskCount: 1)
  }) { (w: PassWorker, index: Int) throws(SFError) in
    let (chunk, first) = jobs[index]
    let keep = try w.filterMask(chunk, into: w.mask(0))
    let v = try w.evaluators[0].evaluate(chunk, rows: keep)
    var k = first
    var lost = 0
    for i in 0..<chunk.count where keep.map({ $0[i] != 0 }) ?? true {
      defer { k += 1 }
      guard k >= range.lowerBound, k < range.upperBound else { continue }
      let at = k - range.lowerBound
      (out + at * width).copyMemory(from: v.values + i * width, byteCount: width)
      let present = v.valid.map { $0[i] } ?? 1
      valid?[at] = present
      lost += present == 0 ? 1 : 0
    }
    missing.add(lost, ordering: .relaxed)
    chunk.releasePages(of: scan.table)
  }
  return missing.load(ordering: .relaxed)
}
