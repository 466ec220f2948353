import FrameStorage

// groupby in one aggregating pass. Each key gives every row a 64-bit word: a code for
// keys whose values are known before the pass (a small integer range, a categorical's
// codes, a stored dictionary's entries), else the value's canonical bits, or for
// strings an id in the thread's own set of the key's strings. Keys whose codes span
// few combinations index the groups directly; otherwise each worker thread numbers the
// groups it meets in its own hash table (of the one key's words, or of the tuple of
// all keys' words and a word of missing flags) and grows its aggregator states as it
// goes. At the end the thread tables merge into the first thread's, and each thread's
// states merge into the global ones through a map of its group ids.

/// Integer keys whose values span at most this many, and keys whose codes combine into
/// at most this many groups, index the groups directly (no hash table).
let directKeyRange: Int64 = 1 << 20

/// How one key turns rows into words.
enum KeyPlan {
  /// Code = value - low, labels low, low + 1, … (integers in a small range, categoricals).
  case offset(low: Int64, labels: ValueList)
  /// Stored dictionary column `field`: code = entry[index] (-1: a missing entry); labels
  /// the dictionary's distinct strings.
  case dictionary(field: Int, dictionary: ColumnDictionary, entry: [Int32], labels: ValueList)
  /// Fixed-width values hashed by their canonical bits.
  case fixed
  /// Strings hashed by their bytes.
  case string

  /// Labels of a direct key (nil: hashed).
  var labels: ValueList? {
    switch self {
    case .offset(_, let labels), .dictionary(_, _, _, let labels): labels
    case .fixed, .string: nil
    }
  }
}

/// The groups of a groupby: per key its labels and, per group, its label index (-1:
/// missing), and per task its merged state, not yet finished (results are made one
/// task at a time, so that only one task's unsorted results exist at once).
struct Groups {
  var labels: [ValueList]
  var codes: [[Int32]]
  var states: [GroupedAggregator?]
}

/// One result column of a groupby: 64-bit patterns of `dtype` (as Scalar holds them)
/// and presence, one per group.
public struct GroupedColumn {
  public let dtype: DType
  public let bits: [UInt64]
  public let present: [Bool]
}

/// The groups of `keys` over `scan` with every task computed per group, sorted by the
/// keys (numbers by value with NaN after them, strings by UTF-8 bytes, missing last):
/// per key its labels and per result row the label's index (-1: missing), and per task
/// one result per row.
public func groupby(_ scan: Scan, keys: [Program], programs: [Program], selections: [Program], tasks: [AggregateTask],
                    threads: Int = defaultThreadCount, progress: ProgressHandler? = nil)
  throws(SFError) -> (keys: [(labels: ValueList, rows: [Int32])], results: [GroupedColumn]) {
  // A count of rows per group tells the groups that exist (a direct index has empty ones).
  let counted = tasks + [AggregateTask(kind: .count, expression: nil, selection: nil)]
  var groups = try groupedByKeys(scan, keys: keys, programs: programs, selections: selections, tasks: counted,
                                 threads: threads, progress: progress)
  let sizes = groups.states[tasks.count]?.finish() ?? []
  let kept = sizes.withUnsafeBufferPointer { sizes in (0..<sizes.count).filter { sizes[$0].bits != 0 } }
  let order = try sortedGroups(kept, labels: groups.labels, codes: groups.codes, threads: threads)
  let keyColumns = keys.indices.map { k in
    (labels: groups.labels[k], rows: groups.codes[k].withUnsafeBufferPointer { codes in order.map { codes[$0] } })
  }
  var results: [GroupedColumn] = []
  for t in tasks.indices {
    let unsorted = groups.states[t]?.finish() ?? []
    groups.states[t] = nil
    results.append(unsorted.withUnsafeBufferPointer { r in
      GroupedColumn(dtype: r.first?.dtype ?? .float64, bits: order.map { r[$0].bits }, present: order.map { !r[$0].isNull })
    })
  }
  return (keyColumns, results)
}

/// Every task per group of `keys`, in one pass after the keys' plan (unsorted; empty
/// groups of a direct index included, their row count 0).
func groupedByKeys(_ scan: Scan, keys: [Program], programs: [Program], selections: [Program], tasks: [AggregateTask],
                   threads: Int, progress: ProgressHandler?) throws(SFError) -> Groups {
  let plans = try planKeys(scan, keys, threads: threads, progress: progress)
  return try aggregateByKeys(scan, keys: keys, plans: plans, programs: programs, selections: selections, tasks: tasks,
                             threads: threads, progress: progress)
}

/// How each key maps rows: one min/max pass for the integer keys tells their ranges.
private func planKeys(_ scan: Scan, _ keys: [Program], threads: Int,
                      progress: ProgressHandler?) throws(SFError) -> [KeyPlan] {
  var plans: [KeyPlan?] = Array(repeating: nil, count: keys.count)
  var ranged: [Int] = []
  for (k, program) in keys.enumerated() {
    let dtype = program.dtype
    guard dtype.isNumeric || dtype.isString || dtype.storage != nil else {
      throw SFError(.type, "cannot group by \(dtype) values")
    }
    if case .apply(let fn) = program.root.op, let category = fn as? any CategoryCodes {
      plans[k] = offsetPlan(dtype, low: category.codeOffset, count: Int64(category.labels.count))
    } else if let dictionary = try dictionaryPlan(scan, program) {
      plans[k] = dictionary
    } else if dtype == .bool {
      plans[k] = offsetPlan(.bool, low: 0, count: 2)
    } else if dtype.isInteger {
      ranged.append(k)
    } else {
      plans[k] = dtype.isString ? .string : .fixed
    }
  }
  if !ranged.isEmpty {
    var tasks: [AggregateTask] = []
    for e in ranged.indices {
      tasks += [AggregateTask(kind: .min, expression: e, selection: nil), AggregateTask(kind: .max, expression: e, selection: nil)]
    }
    let r = try aggregate(scan, programs: ranged.map { keys[$0] }, selections: [], tasks: tasks, threads: threads,
                          progress: progress)
    for (e, k) in ranged.enumerated() {
      let (low, high) = (r[2 * e], r[2 * e + 1]), dtype = keys[k].dtype
      guard !low.isNull, !high.isNull else { plans[k] = offsetPlan(dtype, low: 0, count: 0); continue }  // all missing
      let lo = Int64(bitPattern: low.bits), hi = Int64(bitPattern: high.bits)
      let (span, overflow) = hi.subtractingReportingOverflow(lo)
      let fits = !(dtype.isUnsignedInteger && high.bits > UInt64(Int64.max)) && !overflow && span < directKeyRange
      plans[k] = fits ? offsetPlan(dtype, low: lo, count: span + 1) : .fixed
    }
  }
  return plans.map { $0 ?? .fixed }
}

private func offsetPlan(_ dtype: DType, low: Int64, count: Int64) -> KeyPlan {
  .offset(low: low, labels: .fixed(dtype, (0..<max(0, count)).map { UInt64(bitPattern: low &+ $0) }))
}

/// A stored categorical column whose record batches share one dictionary: its rows
/// group by dictionary entry (entries with the same string, one group).
private func dictionaryPlan(_ scan: Scan, _ program: Program) throws(SFError) -> KeyPlan? {
  guard case .field(let f) = program.root.op, scan.table.fields.indices.contains(f), scan.table.fields[f].categorical,
        let dictionary = scan.table.batches.first?.dictionaries[f],
        scan.table.batches.allSatisfy({ $0.dictionaries[f].map(dictionary.hasSameValues) ?? false }) else { return nil }
  _ = try scan.table.batch(0)  // checks the dictionary before its strings are read
  let values = dictionary.values
  var distinct = ByteStringSet()
  var labels: [[UInt8]] = []
  var entry: [Int32] = []
  for i in 0..<values.length {
    let at = values.offset + i
    if let v = values.validity, (v[at >> 3] >> UInt8(at & 7)) & 1 == 0 { entry.append(-1); continue }
    let bytes = stringBytes(values, at)
    let id = distinct.insert(bytes)
    if id == labels.count { labels.append(Array(bytes)) }
    entry.append(Int32(truncatingIfNeeded: id))
  }
  return .dictionary(field: f, dictionary: dictionary, entry: entry, labels: .strings(labels))
}

/// How a chunk's key words become group ids.
private enum Layout {
  /// Mixed radix over the direct keys' codes, the missing code last (`sizes` = labels + 1).
  case dense(sizes: [Int])
  /// One hashed key: its table numbers the groups.
  case single
  /// Several keys: a table of the keys' words plus a word of missing flags.
  case tuples
}

/// Per-thread state of a groupby pass.
private final class GroupWorker {
  var aggregators: [GroupedAggregator]
  var capacity: Int
  let ids = UnsafeMutablePointer<Int32>.allocate(capacity: chunkRows)
  /// The keys' words and presence for the current chunk, chunkRows per key.
  let words: UnsafeMutablePointer<UInt64>
  let present: UnsafeMutablePointer<UInt8>
  let tuple: UnsafeMutablePointer<UInt64>
  /// The group tables: of the one key's words (`numbers`, or `strings[0]` for a string
  /// key), or of the tuples; `strings[k]` numbers string key k's values.
  var numbers = UInt64Set()
  var strings: [ByteStringSet]
  var tuples: TupleSet
  let stringKey: Bool

  init(keys: Int, stringKey: Bool, aggregators: [GroupedAggregator], capacity: Int) {
    self.stringKey = stringKey
    self.aggregators = aggregators
    self.capacity = capacity
    words = .allocate(capacity: keys * chunkRows)
    present = .allocate(capacity: keys * chunkRows)
    tuple = .allocate(capacity: keys + 1)
    strings = Array(repeating: ByteStringSet(), count: keys)
    tuples = TupleSet(width: keys + 1)
  }

  /// Lets the tables go once merged into another worker's.
  func releaseTables() {
    numbers = UInt64Set()
    strings = strings.map { _ in ByteStringSet() }
    tuples = TupleSet(width: tuples.width)
  }

  deinit {
    ids.deallocate()
    words.deallocate()
    present.deallocate()
    tuple.deallocate()
  }
}

/// Aggregates every task per group of `keys` in one pass (unsorted; empty groups of a
/// direct index included, their row count 0).
private func aggregateByKeys(_ scan: Scan, keys: [Program], plans: [KeyPlan], programs: [Program],
                             selections: [Program], tasks: [AggregateTask], threads: Int,
                             progress: ProgressHandler?) throws(SFError) -> Groups {
  func fresh(_ groups: Int) throws(SFError) -> [GroupedAggregator] {
    var out: [GroupedAggregator] = []
    for t in tasks {
      out.append(try makeGroupedAggregator(t.kind, dtype: t.expression.map { programs[$0].dtype }, groups: groups))
    }
    return out
  }
  let layout = chooseLayout(plans)
  guard keys.count <= 64 else { throw SFError(.argument, "a groupby takes at most 64 keys") }
  let stringKey: Bool = if case .string = plans[0] { true } else { false }
  var denseGroups = 0
  if case .dense(let sizes) = layout { denseGroups = try groupCount(sizes) }
  let initial = max(denseGroups, 1)
  _ = try fresh(initial)  // type errors before the pass
  // Keys read from stored dictionaries skip the evaluator (it would decode the strings).
  var evaluated: [Int: Int] = [:]  // key -> index among the extra programs
  var extra: [Program] = []
  for (k, plan) in plans.enumerated() {
    if case .dictionary = plan { continue }
    evaluated[k] = extra.count
    extra.append(keys[k])
  }
  let states = try runTasks(scan, programs: programs, selections: selections, tasks: tasks, extra: extra,
                            threads: threads, progress: progress, makeState: {
    GroupWorker(keys: keys.count, stringKey: stringKey, aggregators: (try? fresh(initial)) ?? [], capacity: initial)
  }) { (s: GroupWorker, w: PassWorker, t: Int, v: Vec?, mask: UnsafePointer<UInt8>?, n: Int) throws(SFError) in
    if t == 0 {  // the groups of the chunk's rows, once per chunk
      guard let chunk = w.chunk else { throw SFError(.argument, "no chunk begun") }
      try checkMemoryBudget(growthBytes(s, layout, tasks: tasks.count), for: "the groups of a groupby")
      for (k, plan) in plans.enumerated() {
        let value: Vec? = try evaluated[k].map { e throws(SFError) in try w.value(w.extraStart + e) }
        try keyWords(plan, value, scan: scan, chunk: chunk, rows: w.rows, strings: &s.strings[k],
                     words: s.words + k * chunkRows, present: s.present + k * chunkRows, n: n)
      }
      try groupIDs(s, layout, keys: keys.count, rows: w.rows, n: n)
      let groups = groupTotal(s, layout)
      if groups > s.capacity {
        let bigger = max(groups, 2 * s.capacity)
        let grown = try fresh(bigger)
        for (a, b) in zip(grown, s.aggregators) { a.merge(b, map: .identity(s.capacity)) }
        s.aggregators = grown
        s.capacity = bigger
      }
    }
    (s.aggregators[t] as? RowOrdered)?.begin(row: w.chunkRow)
    if let second = tasks[t].second { (s.aggregators[t] as? Paired)?.pair(with: try w.value(second)) }
    s.aggregators[t].add(v, mask: mask, ids: UnsafePointer(s.ids), count: n)
  }
  guard let first = states.first else {
    return Groups(labels: plans.map { $0.labels ?? .fixed(.int64, []) }, codes: plans.map { _ in [] },
                  states: try fresh(0))
  }
  // Each thread's groups in the first thread's numbering, which becomes the global one.
  var maps: [GroupMap] = [.identity(groupTotal(first, layout))]
  if case .single = layout, !first.stringKey {  // room for every thread's groups: no rehash while merging
    first.numbers.reserve(states.reduce(0) { $0 + $1.numbers.count })
  }
  for s in states.dropFirst() {
    maps.append(mergeTables(into: first, s, layout, plans))
    s.releaseTables()
  }
  let total = groupTotal(first, layout)
  try checkMemoryBudget(total * stateBytesPerGroup * (tasks.count + 1), for: "the \(total) groups of a groupby")
  let merged = try fresh(total)
  for (s, map) in zip(states, maps) {
    for (a, b) in zip(merged, s.aggregators) { a.merge(b, map: map) }
    s.aggregators = []
  }
  let (labels, codes) = groupKeys(first, layout, plans, keys, total: total)
  return Groups(labels: labels, codes: codes, states: merged)
}

private func chooseLayout(_ plans: [KeyPlan]) -> Layout {
  var sizes: [Int] = []
  var product = 1
  for plan in plans {
    guard let labels = plan.labels else { break }
    let (p, overflow) = product.multipliedReportingOverflow(by: labels.count + 1)
    guard !overflow, p <= Int(directKeyRange) else { break }
    product = p
    sizes.append(labels.count + 1)
  }
  if sizes.count == plans.count { return .dense(sizes: sizes) }
  if plans.count == 1, plans[0].labels == nil { return .single }
  return .tuples
}

/// About the most one group's state takes in one statistic (mode and nunique grow with
/// the values, and are checked as they grow).
private let stateBytesPerGroup = 48

/// At most what a chunk's new groups may allocate in worker `s`: its tables' next growth
/// and, when the chunk may outgrow its states, states for twice the groups. Swift arrays
/// trap when an allocation fails, so this is checked first (checkMemoryBudget).
private func growthBytes(_ s: GroupWorker, _ layout: Layout, tasks: Int) -> Int {
  if case .dense = layout { return 0 }  // sized before the pass
  let tables = s.strings.reduce(s.numbers.growthBytes + s.tuples.growthBytes) { $0 + $1.growthBytes }
  guard groupTotal(s, layout) + chunkRows > s.capacity else { return tables }
  return tables + 2 * max(s.capacity, chunkRows) * stateBytesPerGroup * (tasks + 1)
}

/// Groups a worker has met (the direct index: all of them).
private func groupTotal(_ s: GroupWorker, _ layout: Layout) -> Int {
  switch layout {
  case .dense(let sizes): sizes.reduce(1, *)
  case .single: s.stringKey ? s.strings[0].count : s.numbers.count
  case .tuples: s.tuples.count
  }
}

/// Key `plan`'s words and presence for the chunk's rows (rows the filter drops are
/// left as they are). A string key's word is its id in the thread's `strings`.
private func keyWords(_ plan: KeyPlan, _ v: Vec?, scan: Scan, chunk: ChunkRef, rows: UnsafePointer<UInt8>?,
                      strings: inout ByteStringSet, words: UnsafeMutablePointer<UInt64>,
                      present: UnsafeMutablePointer<UInt8>, n: Int) throws(SFError) {
  switch plan {
  case .dictionary(let field, let dictionary, let entry, _):
    let data = try scan.table.batch(chunk.batch)
    let column = data.columns[field]
    guard let own = column.dictionary, own.hasSameValues(as: dictionary) else {
      throw SFError(.argument, "column '\(scan.table.fields[field].name)' does not share one dictionary")
    }
    let first = column.offset + chunk.start
    for i in 0..<n {
      let row = first + i
      var code: Int32 = -1
      if column.validity.map({ ($0[row >> 3] >> UInt8(row & 7)) & 1 == 1 }) ?? true {
        let index = dictionaryIndex(column.values, own.indexType, row)
        code = entry.indices.contains(index) ? entry[index] : -1
      }
      words[i] = UInt64(bitPattern: Int64(max(code, 0)))
      present[i] = code >= 0 ? 1 : 0
    }
    withExtendedLifetime(data) {}
  case .offset(let low, _):
    guard let v else { return }
    canonicalWords(v, n, into: words)
    for i in 0..<n { words[i] = words[i] &- UInt64(bitPattern: low) }
    copyPresence(v, n, into: present)
  case .fixed:
    guard let v else { return }
    canonicalWords(v, n, into: words)
    copyPresence(v, n, into: present)
  case .string:
    guard let v else { return }
    copyPresence(v, n, into: present)
    for i in 0..<n where present[i] != 0 && (rows.map { $0[i] != 0 } ?? true) {
      words[i] = UInt64(strings.insert(v.string(i)))
    }
  }
}

private func copyPresence(_ v: Vec, _ n: Int, into present: UnsafeMutablePointer<UInt8>) {
  if let valid = v.valid { present.update(from: valid, count: n) } else { present.update(repeating: 1, count: n) }
}

/// The chunk's group ids from the keys' words (-1 for rows the filter drops), numbering
/// new groups in the worker's table.
private func groupIDs(_ s: GroupWorker, _ layout: Layout, keys: Int, rows: UnsafePointer<UInt8>?, n: Int) throws(SFError) {
  let ids = s.ids
  switch layout {
  case .dense(let sizes):
    for i in 0..<n { ids[i] = 0 }
    for (k, size) in sizes.enumerated() {
      let words = s.words + k * chunkRows, present = s.present + k * chunkRows, missing = Int32(size - 1)
      let size = Int32(size)
      for i in 0..<n {
        let code = present[i] != 0 && words[i] < UInt64(missing) ? Int32(truncatingIfNeeded: words[i]) : missing
        ids[i] = ids[i] &* size &+ code
      }
    }
    if let rows { for i in 0..<n where rows[i] == 0 { ids[i] = -1 } }
  case .single:
    let words = s.words, present = s.present
    for i in 0..<n {
      if let rows, rows[i] == 0 { ids[i] = -1; continue }
      let id: Int
      if present[i] == 0 {
        id = s.stringKey ? s.strings[0].insertNull() : s.numbers.insertNull()
      } else {
        id = s.stringKey ? Int(words[i]) : s.numbers.insert(words[i])
      }
      ids[i] = Int32(truncatingIfNeeded: id)
    }
  case .tuples:
    let t = s.tuple
    for i in 0..<n {
      if let rows, rows[i] == 0 { ids[i] = -1; continue }
      var missing: UInt64 = 0
      for k in 0..<keys {
        if s.present[k * chunkRows + i] != 0 {
          t[k] = s.words[k * chunkRows + i]
        } else {
          t[k] = 0
          missing |= 1 << UInt64(k & 63)
        }
      }
      t[keys] = missing
      ids[i] = Int32(truncatingIfNeeded: s.tuples.insert(UnsafePointer(t)))
    }
  }
  guard groupTotal(s, layout) < Int(Int32.max) else { throw SFError(.argument, "more than 2^31 groups") }
}

/// Adds the groups of worker `s` to `first`'s tables; the map takes `s`'s group ids to `first`'s.
private func mergeTables(into first: GroupWorker, _ s: GroupWorker, _ layout: Layout, _ plans: [KeyPlan]) -> GroupMap {
  switch layout {
  case .dense(let sizes):
    return .identity(sizes.reduce(1, *))
  case .single where s.stringKey:
    return GroupMap((0..<s.strings[0].count).map { l in
      let id = l == s.strings[0].nullID ? first.strings[0].insertNull()
        : s.strings[0].value(l).withUnsafeBytes { first.strings[0].insert($0) }
      return Int32(truncatingIfNeeded: id)
    })
  case .single:
    return GroupMap((0..<s.numbers.count).map { l in
      Int32(truncatingIfNeeded: l == s.numbers.nullID ? first.numbers.insertNull() : first.numbers.insert(s.numbers.values[l]))
    })
  case .tuples:
    let keys = plans.count
    var stringIDs: [[UInt64]] = Array(repeating: [], count: keys)
    for (k, plan) in plans.enumerated() {
      guard case .string = plan else { continue }
      stringIDs[k] = (0..<s.strings[k].count).map { l in
        UInt64(s.strings[k].value(l).withUnsafeBytes { first.strings[k].insert($0) })
      }
    }
    var ids: [Int32] = []
    ids.reserveCapacity(s.tuples.count)
    s.tuples.words.withUnsafeBufferPointer { words in
      let t = first.tuple
      for g in 0..<s.tuples.count {
        let base = g * (keys + 1), missing = words[base + keys]
        for k in 0...keys { t[k] = words[base + k] }
        for k in 0..<keys where !stringIDs[k].isEmpty && (missing >> UInt64(k)) & 1 == 0 {
          t[k] = stringIDs[k][Int(t[k])]
        }
        ids.append(Int32(truncatingIfNeeded: first.tuples.insert(UnsafePointer(t))))
      }
    }
    return GroupMap(ids)
  }
}

/// Per key its labels and each group's label index (-1: missing), from the merged tables.
private func groupKeys(_ s: GroupWorker, _ layout: Layout, _ plans: [KeyPlan], _ keys: [Program],
                       total: Int) -> ([ValueList], [[Int32]]) {
  func strings(_ set: ByteStringSet) -> ValueList { .strings((0..<set.count).map { Array(set.value($0)) }) }
  switch layout {
  case .dense(let sizes):
    var codes = sizes.map { _ in [Int32](repeating: 0, count: total) }
    for g in 0..<total {
      var rest = g
      for k in sizes.indices.reversed() {
        let code = rest % sizes[k]
        rest /= sizes[k]
        codes[k][g] = code == sizes[k] - 1 ? -1 : Int32(code)
      }
    }
    return (plans.map { $0.labels ?? .fixed(.int64, []) }, codes)
  case .single:
    let null = s.stringKey ? s.strings[0].nullID : s.numbers.nullID
    let codes = (0..<total).map { $0 == null ? Int32(-1) : Int32($0) }
    return ([s.stringKey ? strings(s.strings[0]) : .fixed(keys[0].dtype, s.numbers.values)], [codes])
  case .tuples:
    let width = plans.count + 1
    var labels: [ValueList] = [], codes: [[Int32]] = []
    s.tuples.words.withUnsafeBufferPointer { words in
      for (k, plan) in plans.enumerated() {
        let present = (0..<total).map { (words[$0 * width + plans.count] >> UInt64(k)) & 1 == 0 }
        switch plan {
        case .fixed:
          labels.append(.fixed(keys[k].dtype, (0..<total).map { words[$0 * width + k] }))
          codes.append((0..<total).map { present[$0] ? Int32($0) : -1 })
        case .string, .offset, .dictionary:
          labels.append(plan.labels ?? strings(s.strings[k]))
          codes.append((0..<total).map { present[$0] ? Int32(truncatingIfNeeded: words[$0 * width + k]) : -1 })
        }
      }
    }
    return (labels, codes)
  }
}
