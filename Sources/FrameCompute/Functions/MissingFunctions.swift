import FrameStorage

// Missing values, as Arrow and vaex have them: a missing value (a cleared validity
// bit) is apart from NaN (a float value). isna/isnull and fillna see both;
// ismissing/fillmissing only missing values; isnan/fillnan only NaN. isin and map
// take their sets and dictionaries as literals, bound once at type check.

extension TypeChecker {
  mutating func bindMissingFunction(_ name: String, _ args: [Node]) throws(SFError) -> TypedNode? {
    switch name {
    case "isna", "isnull", "notna", "notnull", "ismissing", "notmissing":
      try arity(name, args, 1...1)
      let x = try operand(args[0])
      let nan = name != "ismissing" && name != "notmissing"
      let negate = name.hasPrefix("not")
      return TypedNode(.apply(MissingTest(nan: nan && x.dtype.isFloat, negate: negate)), .bool, [x])
    case "fillna", "fillnan", "fillmissing":
      try arity(name, args, 2...2)
      let what: Fill.Replace = name == "fillna" ? .both : name == "fillnan" ? .nan : .missing
      return try fill(name, what, args)
    case "isin":
      try arity(name, args, 1...Int(Int32.max / 2))  // slots are Int32 in the kernels
      return try isin(args)
    case "map":
      try arity(name, args, 1...Int(Int32.max / 2))
      return try map(args)
    default:
      return nil
    }
  }

  /// fillna(x, v) and its kin: numbers meet `v` with numpy's promotion (NEP 50
  /// literals); strings take a string literal or string expression.
  private mutating func fill(_ name: String, _ what: Fill.Replace, _ args: [Node]) throws(SFError) -> TypedNode {
    let x = try typed(args[0]), v = try typed(args[1])
    if case .node(let s) = x, s.dtype.isString {
      switch v {
      case .weak(.string(let text)):
        if what == .nan { return s }
        return TypedNode(.apply(FillStrings(constant: Array(text.utf8))), .largeString, [s])
      case .node(let t) where t.dtype.isString:
        if what == .nan { return s }
        return TypedNode(.apply(FillStrings(constant: nil)), .largeString, [s, t])
      default:
        throw SFError(.type, "\(name)() of strings needs a string value to fill with")
      }
    }
    // Dates, times and durations take a value of their own type (no NaN to fill).
    if case .node(let t) = x, t.dtype.isTemporal {
      guard case .node(let w) = v, w.dtype == t.dtype else {
        throw SFError(.type, "\(name)() of \(t.dtype) values needs a \(t.dtype) value to fill with")
      }
      return what == .nan ? t : TypedNode(.apply(Fill(replace: .missing)), t.dtype, [t, w])
    }
    let (a, b) = try unify(x, v, "\(name)()")
    if what == .nan && !a.dtype.isFloat { return a }
    return TypedNode(.apply(Fill(replace: a.dtype.isFloat ? what : .missing)), a.dtype, [a, b])
  }

  /// A literal element of isin() or map(): nil for None (the missing value).
  private mutating func element(_ name: String, _ args: [Node], _ i: Int) throws(SFError) -> Literal? {
    if case .column("None") = args[i] { return nil }
    return try parameter(name, args, i)
  }

  private mutating func isin(_ args: [Node]) throws(SFError) -> TypedNode {
    let x = try operand(args[0])
    var values: [Literal] = []
    var none = false
    for i in 1..<args.count {
      if let lit = try element("isin", args, i) { values.append(lit) } else { none = true }
    }
    let keys = try Keys.make(x.dtype, values, "isin()")
    return TypedNode(.apply(IsIn(keys: keys, matchMissing: none)), .bool, [x])
  }

  /// map(x, k1, …, kn, v1, …, vn[, default]): parallel literal lists of keys and values.
  private mutating func map(_ args: [Node]) throws(SFError) -> TypedNode {
    let x = try operand(args[0])
    let p = args.count - 1, n = p / 2
    var keys: [Literal] = [], values: [Literal?] = []
    var noneKey: Int? = nil
    for i in 0..<n {
      if let k = try element("map", args, 1 + i) { keys.append(k) } else { noneKey = i }
    }
    for i in 0..<n { values.append(try element("map", args, 1 + n + i)) }
    let fallback: Literal? = p % 2 == 1 ? try element("map", args, args.count - 1) : nil
    // Keys keep their position among the non-None keys; map each to its value's slot.
    var slots: [Int] = []
    for i in 0..<n where i != noneKey { slots.append(i) }
    let table = try Keys.make(x.dtype, keys, "map()", slots: slots)
    let (dtype, results) = try MapValues.make(values + [fallback])
    return TypedNode(.apply(MapFunction(keys: table, values: results, missingSlot: noneKey, defaultSlot: n, dtype: dtype)),
                     dtype, [x])
  }
}

// MARK: - Tests and fills

/// isna/notna (missing or NaN), ismissing/notmissing (missing only): never missing.
struct MissingTest: VectorFunction {
  /// Whether NaN counts (float operands of isna/notna).
  let nan: Bool
  let negate: Bool

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0], n = out.count
    let o = out.values.assumingMemoryBound(to: UInt8.self)
    let yes: UInt8 = negate ? 0 : 1, no: UInt8 = negate ? 1 : 0
    if let v = a.valid {
      for i in 0..<n { o[i] = v[i] != 0 ? no : yes }
    } else {
      o.update(repeating: no, count: n)
    }
    if nan {
      func mark<T: BinaryFloatingPoint>(_: T.Type) {
        let x = a.values.assumingMemoryBound(to: T.self)
        for i in 0..<n where x[i].isNaN { o[i] = yes }
      }
      if a.dtype == .float32 { mark(Float.self) } else { mark(Double.self) }
    }
    return out.vec(.bool, valid: nil)
  }
}

/// fillna/fillnan/fillmissing on numbers: the value where x is missing (and/or NaN);
/// a row is missing only where the fill value used there is.
struct Fill: VectorFunction {
  enum Replace: Sendable { case missing, nan, both }
  let replace: Replace

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0], b = args[1], n = out.count
    let take = out.mask  // 1 where the fill value is taken
    if replace != .nan, let v = a.valid {
      for i in 0..<n { take[i] = v[i] == 0 ? 1 : 0 }
    } else {
      take.update(repeating: 0, count: n)
    }
    if replace != .missing {
      func mark<T: BinaryFloatingPoint>(_: T.Type) {
        let x = a.values.assumingMemoryBound(to: T.self)
        // A missing row's stored value means nothing: fillnan leaves it missing.
        if let v = a.valid {
          for i in 0..<n where x[i].isNaN && v[i] != 0 { take[i] = 1 }
        } else {
          for i in 0..<n where x[i].isNaN { take[i] = 1 }
        }
      }
      if a.dtype == .float32 { mark(Float.self) } else if a.dtype == .float64 { mark(Double.self) }
    }
    struct Pick: MathVisitor {
      let a: Vec, b: Vec, take: UnsafeMutablePointer<UInt8>, out: Scratch
      func visit<T: MathValue>(_: T.Type) {
        let x = a.values.assumingMemoryBound(to: T.self), y = b.values.assumingMemoryBound(to: T.self)
        let o = out.values.assumingMemoryBound(to: T.self)
        for i in 0..<out.count { o[i] = take[i] != 0 ? y[i] : x[i] }
      }
    }
    let pick = Pick(a: a, b: b, take: take, out: out)
    if a.dtype.visitMath(pick) == nil {  // temporal: integers of their width
      if a.dtype.byteWidth == 4 { pick.visit(Int32.self) } else { pick.visit(Int64.self) }
    }
    // Present where the chosen operand is; reuse `take` for the result.
    let av = a.valid, bv = b.valid
    if av == nil && bv == nil { return out.vec(a.dtype, valid: nil) }
    if replace != .nan && bv == nil { return out.vec(a.dtype, valid: nil) }
    for i in 0..<n { take[i] = take[i] != 0 ? (bv?[i] ?? 1) : (av?[i] ?? 1) }
    return out.vec(a.dtype, valid: UnsafePointer(take))
  }
}

/// fillna/fillmissing on strings: a literal (`constant`) or a second string operand.
struct FillStrings: VectorFunction {
  let constant: [UInt8]?

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0], n = out.count
    let strings = out.newStrings()
    if let constant {
      constant.withUnsafeBytes { c in
        for i in 0..<n {
          strings.append(a.isPresent(i) ? a.string(i) : c)
          strings.endRow()
        }
      }
      return strings.vec(valid: nil)
    }
    let b = args[1]
    var valid: UnsafePointer<UInt8>? = nil
    if let av = a.valid, let bv = b.valid {
      let m = out.mask
      for i in 0..<n { m[i] = av[i] != 0 ? 1 : bv[i] }
      valid = UnsafePointer(m)
    }
    for i in 0..<n {
      if a.isPresent(i) {
        strings.append(a.string(i))
      } else if b.isPresent(i) {
        strings.append(b.string(i))
      }
      strings.endRow()
    }
    return strings.vec(valid: valid)
  }
}

// MARK: - Literal sets: isin and map

/// The literal keys of isin() or map(), converted to the operand's type once: keys that
/// no value of that type can equal are dropped (1.5 for integers, 300 for uint8, 0.1
/// for float32, which compares in float64 as numpy and pandas do). `find` gives a
/// key's slot (its position in the call) or nil.
enum Keys: Sendable {
  case numbers(any NumberLookup)
  case strings(StringKeys)

  static func make(_ t: DType, _ literals: [Literal], _ what: String, slots: [Int]? = nil) throws(SFError) -> Keys {
    let slots = slots ?? Array(literals.indices)
    if t.isString {
      var pairs: [([UInt8], Int)] = []
      for (lit, slot) in zip(literals, slots) {
        guard case .string(let s) = lit else {
          throw SFError(.type, "\(what) of strings needs string values, got \(lit.text)")
        }
        pairs.append((Array(s.utf8), slot))
      }
      return .strings(StringKeys(pairs))
    }
    guard t.isNumeric else { throw SFError(.type, "\(what) is not supported for \(t) values") }
    for lit in literals {
      if case .string(let s) = lit { throw SFError(.type, "\(what) of \(t) values cannot hold the string '\(s)'") }
    }
    struct Make: MathVisitor {
      let literals: [Literal], slots: [Int], isBool: Bool
      func visit<T: MathValue>(_: T.Type) -> any NumberLookup {
        var pairs: [(T, Int)] = []
        var nanSlot: Int? = nil
        for (lit, slot) in zip(literals, slots) {
          if case .float(let d) = lit, d.isNaN {
            if T.isFloatingPoint { nanSlot = slot }
            continue
          }
          if let v: T = exactly(lit, isBool: isBool) { pairs.append((v, slot)) }
        }
        return NumberKeys<T>(pairs, nanSlot: nanSlot)
      }
    }
    guard let lookup = t.visitMath(Make(literals: literals, slots: slots, isBool: t == .bool)) else {
      throw SFError(.type, "\(what) is not supported for \(t) values")
    }
    return .numbers(lookup)
  }
}

/// The value of type T equal to the literal, if there is one (bools: 0 and 1 only).
private func exactly<T: MathValue>(_ lit: Literal, isBool: Bool) -> T? {
  var lit = lit
  if case .bool(let b) = lit { lit = .int(b ? 1 : 0) }
  if T.isFloatingPoint {
    let d: Double
    switch lit {
    case .int(let v): d = Double(v)
    case .uint(let v): d = Double(v)
    case .float(let v): d = v
    default: return nil
    }
    let t = T.make(floating: d)
    return t.doubleValue == d ? t : nil  // compared in float64, as numpy and pandas do
  }
  if case .float(let v) = lit {
    guard v.isFinite, v.rounded(.towardZero) == v else { return nil }
    if v >= -9223372036854775808.0 && v < 9223372036854775808.0 {
      lit = .int(Int64(v))
    } else if v >= 0 && v < 18446744073709551616.0 {
      lit = .uint(UInt64(v))
    } else {
      return nil
    }
  }
  guard literalFits(lit, isBool ? .uint8 : T.dtype) else { return nil }
  switch lit {
  case .int(let v): return isBool && v > 1 ? nil : T.make(integer: v)
  case .uint(let v): return isBool && v > 1 ? nil : T.make(integer: v)
  default: return nil
  }
}

/// A lookup of numbers of one type.
protocol NumberLookup: Sendable {
  /// Slot per row of `a` into `slot` (-1: not a key); missing rows are left to the caller.
  func find(_ a: Vec, _ slot: UnsafeMutablePointer<Int32>, _ n: Int)
}

struct NumberKeys<T: MathValue>: NumberLookup {
  /// Sorted, without NaN and duplicates (the later duplicate wins, as in a dict).
  let keys: [T]
  let slots: [Int32]
  let nanSlot: Int32

  init(_ pairs: [(T, Int)], nanSlot: Int?) {
    var byKey: [(T, Int)] = []
    for p in pairs.enumerated().sorted(by: { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }) {
      if let last = byKey.last, last.0 == p.element.0 { byKey[byKey.count - 1] = p.element } else { byKey.append(p.element) }
    }
    keys = byKey.map { $0.0 }
    slots = byKey.map { Int32($0.1) }
    self.nanSlot = nanSlot.map(Int32.init) ?? -1
  }

  func find(_ a: Vec, _ slot: UnsafeMutablePointer<Int32>, _ n: Int) {
    let x = a.values.assumingMemoryBound(to: T.self)
    keys.withUnsafeBufferPointer { k in
      for i in 0..<n {
        let v = x[i]
        if v.isNaN { slot[i] = nanSlot; continue }
        var lo = 0, hi = k.count
        while lo < hi {
          let mid = (lo + hi) >> 1
          if k[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        slot[i] = lo < k.count && k[lo] == v ? slots[lo] : -1
      }
    }
  }
}

/// String keys, sorted bytewise, in one byte buffer.
struct StringKeys: Sendable {
  let bytes: [UInt8]
  /// (start, count, slot), sorted by the key's bytes.
  let entries: [(Int, Int, Int32)]

  init(_ pairs: [([UInt8], Int)]) {
    var sorted: [([UInt8], Int)] = []
    for p in pairs.enumerated().sorted(by: { l, r in
      let c = l.element.0.lexicographicallyPrecedes(r.element.0)
      return c || (l.element.0 == r.element.0 && l.offset < r.offset)
    }) {
      if let last = sorted.last, last.0 == p.element.0 { sorted[sorted.count - 1] = p.element } else { sorted.append(p.element) }
    }
    var bytes: [UInt8] = [], entries: [(Int, Int, Int32)] = []
    for (key, slot) in sorted {
      entries.append((bytes.count, key.count, Int32(slot)))
      bytes.append(contentsOf: key)
    }
    self.bytes = bytes
    self.entries = entries
  }

  func find(_ a: Vec, _ slot: UnsafeMutablePointer<Int32>, _ n: Int) {
    bytes.withUnsafeBytes { all in
      for i in 0..<n {
        let s = a.string(i)
        var lo = 0, hi = entries.count
        while lo < hi {
          let mid = (lo + hi) >> 1
          let e = entries[mid]
          if order(UnsafeRawBufferPointer(rebasing: all[e.0..<(e.0 + e.1)]), s) < 0 { lo = mid + 1 } else { hi = mid }
        }
        if lo < entries.count {
          let e = entries[lo]
          slot[i] = order(UnsafeRawBufferPointer(rebasing: all[e.0..<(e.0 + e.1)]), s) == 0 ? e.2 : -1
        } else {
          slot[i] = -1
        }
      }
    }
  }
}

extension Keys {
  func find(_ a: Vec, _ slot: UnsafeMutablePointer<Int32>, _ n: Int) {
    switch self {
    case .numbers(let k): k.find(a, slot, n)
    case .strings(let k): k.find(a, slot, n)
    }
  }
}

/// The slots of one chunk: Int32s in the second half of the node's value scratch
/// (chunkRows * 8 bytes). An 8-byte result written in row order over the whole buffer
/// only overwrites slots already read: row i's result covers the slots of rows
/// 2i - chunkRows and 2i - chunkRows + 1, at most i, and row i's slot is read first.
private func slotBuffer(_ out: Scratch) -> UnsafeMutablePointer<Int32> {
  (out.values + chunkRows * 4).assumingMemoryBound(to: Int32.self)
}

/// isin(x, v1, v2, …): whether each value is one of the literals; a missing value is
/// in the set only when None is (pandas' isin). Never missing.
struct IsIn: VectorFunction {
  let keys: Keys
  let matchMissing: Bool

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0], n = out.count
    let slot = slotBuffer(out)
    keys.find(a, slot, n)
    let o = out.values.assumingMemoryBound(to: UInt8.self)
    let missing: UInt8 = matchMissing ? 1 : 0
    for i in 0..<n { o[i] = a.isPresent(i) ? (slot[i] >= 0 ? 1 : 0) : missing }
    return out.vec(.bool, valid: nil)
  }
}

/// The values (and default) of map(), in the result's dtype.
enum MapValues: Sendable {
  /// bool, int64 or float64 bit patterns (Scalar.bits), nil for None.
  case numbers([UInt64?])
  case strings([[UInt8]?])

  /// The result dtype and values for literal values (None allowed): strings if any
  /// is a string (then all must be), else bool if all are bools, else int64 when every
  /// number is an integer that fits, uint64 when they fit that, else float64.
  static func make(_ values: [Literal?]) throws(SFError) -> (DType, MapValues) {
    let present = values.compactMap { $0 }
    let strings = present.filter { if case .string = $0 { true } else { false } }
    if !strings.isEmpty {
      guard strings.count == present.count else {
        throw SFError(.type, "map() values must be all strings or all numbers")
      }
      return (.largeString, .strings(values.map { v in
        if case .string(let s)? = v { return Array(s.utf8) }
        return nil
      }))
    }
    var allBool = !present.isEmpty, anyFloat = false, negative = false, big = false
    for v in present {
      switch v {
      case .bool: break
      case .int(let i): allBool = false; if i < 0 { negative = true }
      case .uint: allBool = false; big = true
      case .float: allBool = false; anyFloat = true
      case .string: break
      }
    }
    let t: DType = allBool ? .bool : anyFloat || (big && negative) ? .float64 : big ? .uint64 : present.isEmpty ? .float64 : .int64
    return (t, .numbers(values.map { v in
      guard let v else { return nil }
      let s: Scalar
      switch v {
      case .bool(let b): s = Scalar(dtype: .int64, bits: b ? 1 : 0)
      case .int(let i): s = .int64(i)
      case .uint(let u): s = .uint64(u)
      case .float(let d): s = .float64(d)
      case .string: s = .int64(0)
      }
      switch t {
      case .float64: return s.doubleValue.bitPattern
      case .uint64: return s.value(as: UInt64.self)
      case .bool: return s.bits == 0 ? 0 : 1
      default: return UInt64(bitPattern: s.value(as: Int64.self))
      }
    }))
  }
}

/// map(x, keys…, values…[, default]): each value's entry, the default for values not
/// among the keys, missing ones included (vaex's default_value, pandas' defaultdict),
/// and missing where there is no default; None as a key maps the missing values.
struct MapFunction: VectorFunction {
  let keys: Keys
  let values: MapValues
  /// The slot of the None key, if any.
  let missingSlot: Int?
  /// The slot of the default (the last value; nil there means no default).
  let defaultSlot: Int
  /// The result dtype: bool, int64, uint64, float64 or large_string.
  let dtype: DType

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0], n = out.count
    let slot = slotBuffer(out)
    keys.find(a, slot, n)
    let none = Int32(missingSlot ?? -1), fallback = Int32(defaultSlot)
    for i in 0..<n {
      if !a.isPresent(i) { slot[i] = none >= 0 ? none : fallback } else if slot[i] < 0 { slot[i] = fallback }
    }
    let m = out.mask
    var anyMissing = false
    switch values {
    case .numbers(let table):
      table.withUnsafeBufferPointer { table in
        func write<R>(_: R.Type, _ convert: (UInt64) -> R) {
          let o = out.values.assumingMemoryBound(to: R.self)
          for i in 0..<n {
            let s = Int(slot[i])  // read before row i's result is written (see slotBuffer)
            if s >= 0 && s < table.count, let v = table[s] {
              m[i] = 1
              o[i] = convert(v)
            } else {
              m[i] = 0
              o[i] = convert(0)
              anyMissing = true
            }
          }
        }
        if dtype == .bool { write(UInt8.self) { UInt8(truncatingIfNeeded: $0) } } else { write(UInt64.self) { $0 } }
      }
      return out.vec(dtype, valid: anyMissing ? UnsafePointer(m) : nil)
    case .strings(let table):
      let strings = out.newStrings()
      for i in 0..<n {
        let s = Int(slot[i])
        if s >= 0 && s < table.count, let v = table[s] {
          m[i] = 1
          v.withUnsafeBytes { strings.append($0) }
        } else {
          m[i] = 0
          anyMissing = true
        }
        strings.endRow()
      }
      return strings.vec(valid: anyMissing ? UnsafePointer(m) : nil)
    }
  }
}
