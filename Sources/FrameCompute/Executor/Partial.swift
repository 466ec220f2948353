import FrameStorage

// Partial results as bytes, for a pass split over processes or machines (DESIGN.md,
// "Scaling out"): each partition computes its statistics' merged states without
// finishing them; blobs merge (in any grouping, any order) and finish into the
// results one pass over all the rows gives.
//
// Blob, little-endian:
//   "SFPS" | u32 version (1) | u8 layout | u64 payload length | u64 FNV-1a of payload | payload
// payload: the header (layout-specific: tasks with kind and dtype, grid axes, key and
// result names and key dtypes), the groups (grouped: one key tuple each), then per
// task its state's bytes (PartialCoding.swift). Anything that does not fit is a
// `.corrupt` error naming what.

public enum PartialLayout: UInt8, Sendable {
  case scalar = 0, binned = 1, grouped = 2
}

/// What a blob's states are: the layout, the tasks (kind and the dtype of the
/// expression, nil for a count of rows), the grid, the groupby names and key dtypes.
/// Blobs merge only when their headers are equal.
struct PartialHeader: Equatable {
  var layout: PartialLayout
  var tasks: [TaskType]
  var axes: [AxisShape] = []
  var keyNames: [String] = []
  var keyTypes: [DType] = []
  var resultNames: [String] = []

  struct TaskType: Equatable {
    let kind: AggregateKind
    let dtype: DType?
  }

  struct AxisShape: Equatable {
    let low: Double, high: Double, bins: Int
  }
}

private let magic: [UInt8] = Array("SFPS".utf8)
private let version: UInt32 = 1

/// Merged partial states of one query over some rows.
public final class Partial {
  let header: PartialHeader
  /// Grouped: each group's key tuple (`keyTuple`); binned: one empty entry per cell;
  /// scalar: one.
  private(set) var keys: [[UInt8]]
  /// Each an `Aggregator` (scalar) or a `GroupedAggregator` of `keys.count` groups.
  private(set) var states: [PartialCodable]

  init(header: PartialHeader, keys: [[UInt8]], states: [PartialCodable]) {
    self.header = header
    self.keys = keys
    self.states = states
  }

  public var layout: PartialLayout { header.layout }
  public var groupCount: Int { keys.count }

  /// Fresh states for `header`'s tasks over `groups` groups.
  static func fresh(_ header: PartialHeader, groups: Int) throws(SFError) -> [PartialCodable] {
    var out: [PartialCodable] = []
    for t in header.tasks {
      let state: AnyObject = header.layout == .scalar ? try makeAggregator(t.kind, dtype: t.dtype)
                                                      : try makeGroupedAggregator(t.kind, dtype: t.dtype, groups: groups)
      guard let codable = state as? PartialCodable else {
        throw SFError(.argument, "\(t.kind) has no serialized partial state")
      }
      out.append(codable)
    }
    return out
  }

  /// The blob.
  public func encode() -> [UInt8] {
    var w = PartialWriter()
    w.u32(UInt32(header.tasks.count))
    for t in header.tasks {
      w.i32(t.kind.rawValue)
      w.i32(t.dtype?.rawValue ?? -1)
    }
    w.u32(UInt32(header.axes.count))
    for a in header.axes {
      w.f64(a.low)
      w.f64(a.high)
      w.u64(UInt64(a.bins))
    }
    w.u32(UInt32(header.keyTypes.count))
    for (name, t) in zip(header.keyNames, header.keyTypes) {
      w.text(name)
      w.i32(t.rawValue)
    }
    w.u32(UInt32(header.resultNames.count))
    for n in header.resultNames { w.text(n) }
    w.u64(UInt64(keys.count))
    if header.layout == .grouped { for k in keys { w.blob(k) } }
    for s in states { s.encode(&w) }
    var head = PartialWriter()
    head.u32(version)
    head.u8(header.layout.rawValue)
    head.u64(UInt64(w.bytes.count))
    head.u64(fnv1a(w.bytes))
    return magic + head.bytes + w.bytes
  }

  /// The blob's header and a reader at its groups, after checking the framing.
  private static func open(_ bytes: [UInt8]) throws(SFError) -> (PartialHeader, PartialReader) {
    guard bytes.count >= 25, Array(bytes[0..<4]) == magic else {
      throw .corrupt("not a swiftframe partial state (bad magic or shorter than its header)")
    }
    var r = PartialReader(bytes)
    r.at = 4
    let v = try r.u32()
    guard v == version else { throw .corrupt("partial state version \(v); this library reads version \(version)") }
    guard let layout = PartialLayout(rawValue: try r.u8()) else { throw r.corrupt("unknown layout") }
    let length = try r.u64(), sum = try r.u64()
    guard length == UInt64(bytes.count - r.at) else {
      throw .corrupt("partial state truncated or padded: \(bytes.count - r.at) payload bytes, header says \(length)")
    }
    guard fnv1a(bytes[r.at...]) == sum else { throw .corrupt("partial state checksum mismatch (corrupted bytes)") }
    var header = PartialHeader(layout: layout, tasks: [])
    for _ in 0..<(try r.small("task", unit: 8)) {
      guard let kind = AggregateKind(rawValue: try r.i32()) else { throw r.corrupt("unknown statistic") }
      let code = try r.i32()
      guard code == -1 || DType(rawValue: code) != nil else { throw r.corrupt("unknown dtype \(code)") }
      header.tasks.append(.init(kind: kind, dtype: DType(rawValue: code)))
    }
    for _ in 0..<(try r.small("axis", unit: 24)) {
      let low = try r.f64(), high = try r.f64(), bins = try r.u64()
      guard bins > 0, bins <= UInt64(Int32.max) else { throw r.corrupt("bad grid shape") }
      header.axes.append(.init(low: low, high: high, bins: Int(bins)))
    }
    for _ in 0..<(try r.small("key", unit: 12)) {
      header.keyNames.append(try r.text())
      guard let t = DType(rawValue: try r.i32()) else { throw r.corrupt("unknown key dtype") }
      header.keyTypes.append(t)
    }
    for _ in 0..<(try r.small("name", unit: 8)) { header.resultNames.append(try r.text()) }
    return (header, r)
  }

  /// Reads a blob.
  public static func decode(_ bytes: [UInt8]) throws(SFError) -> Partial {
    var (header, r) = try open(bytes)
    let groups = try r.count("group")
    try checkShape(header, groups: groups, r)
    var keys: [[UInt8]] = []
    if header.layout == .grouped {
      for _ in 0..<groups { keys.append(try r.blob()) }
    } else {
      keys = Array(repeating: [], count: groups)
    }
    let states = try fresh(header, groups: groups)
    for s in states { try s.decode(&r, into: Array(0..<groups)) }
    guard r.atEnd else { throw r.corrupt("trailing bytes") }
    return Partial(header: header, keys: keys, states: states)
  }

  private static func checkShape(_ header: PartialHeader, groups: Int, _ r: PartialReader) throws(SFError) {
    switch header.layout {
    case .scalar: guard groups == 1 else { throw r.corrupt("a scalar partial state has \(groups) groups") }
    case .binned:
      var cells = 1
      for a in header.axes {
        let (p, o) = cells.multipliedReportingOverflow(by: a.bins)
        guard !o else { throw r.corrupt("grid too large") }
        cells = p
      }
      guard !header.axes.isEmpty, groups == cells else { throw r.corrupt("\(groups) cells for the grid's \(cells)") }
    case .grouped:
      guard !header.keyTypes.isEmpty, header.resultNames.count == header.tasks.count else {
        throw r.corrupt("a groupby partial state without keys or names")
      }
    }
  }

  /// Folds `others` in (the same query over other rows). Groupby states merge by key.
  public static func merge(_ blobs: [[UInt8]]) throws(SFError) -> Partial {
    guard let first = blobs.first else { throw .argument("no partial states to merge") }
    let merged = try decode(first)
    for b in blobs.dropFirst() { try merged.merge(try decode(b)) }
    return merged
  }

  func merge(_ other: Partial) throws(SFError) {
    guard other.header == header else {
      throw .argument("partial states of different queries cannot merge (statistics, dtypes, grid or keys differ)")
    }
    var incoming = other.states
    if header.layout == .grouped {
      var index: [[UInt8]: Int] = [:]
      for (g, k) in keys.enumerated() { index[k] = g }
      let before = keys.count
      var map: [Int] = []
      for k in other.keys {
        if let g = index[k] { map.append(g); continue }
        index[k] = keys.count
        map.append(keys.count)
        keys.append(k)
      }
      guard keys.count <= Int(Int32.max) else { throw .argument("more than 2^31 groups") }
      if keys.count > before { states = try Partial.regrouped(states, header, groups: keys.count, map: Array(0..<before)) }
      incoming = try Partial.regrouped(other.states, header, groups: keys.count, map: map)
    }
    for (a, b) in zip(states, incoming) {
      if let a = a as? Aggregator, let b = b as? Aggregator {
        a.merge(b)
      } else if let a = a as? GroupedAggregator, let b = b as? GroupedAggregator {
        a.merge(b, map: .identity(keys.count))
      }
    }
  }

  /// `states` (of `map.count` groups) as fresh states of `groups` groups, group j moved
  /// to `map[j]` (dropped where negative), by a round trip through their bytes.
  static func regrouped(_ states: [PartialCodable], _ header: PartialHeader, groups: Int,
                        map: [Int]) throws(SFError) -> [PartialCodable] {
    var w = PartialWriter()
    for s in states { s.encode(&w) }
    var r = PartialReader(w.bytes)
    let out = try fresh(header, groups: groups)
    for s in out { try s.decode(&r, into: map) }
    return out
  }

  /// The results, per task one per group (scalar: one; binned: per cell in C order;
  /// grouped: in the order of `keys`).
  public func finish() -> [[Scalar]] {
    states.map { s in
      if let a = s as? Aggregator { return [a.finish()] }
      return (s as? GroupedAggregator)?.finish() ?? []
    }
  }
}

/// FNV-1a, 64 bits: catches flipped or lost bytes in transit (not an adversary).
func fnv1a<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
  var h: UInt64 = 0xcbf2_9ce4_8422_2325
  for b in bytes {
    h ^= UInt64(b)
    h = h &* 0x100_0000_01b3
  }
  return h
}
