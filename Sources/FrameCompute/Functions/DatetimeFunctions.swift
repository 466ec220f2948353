import FrameStorage

/// Datetime functions (`dt_*`, `td_*`, vaex's names), typed datetime constants and
/// casts (`datetime64(x, 'us')`, `timedelta64(x, 's')`, `int64(t)`).
extension TypeChecker {
  mutating func bindDatetimeFunction(_ name: String, _ args: [Node]) throws(SFError) -> TypedNode? {
    if name.hasPrefix("dt_") { return try bindDt(name, args) }
    if name.hasPrefix("td_") {
      guard let part = DurationPart.Part(rawValue: String(name.dropFirst(3))) else {
        throw SFError(.name, "unknown function '\(name)' (timedelta functions: "
                      + DurationPart.Part.allCases.map { "td_\($0.rawValue)" }.joined(separator: ", ") + ")")
      }
      try arity(name, args, 1...1)
      let d = try operand(args[0])
      guard d.dtype.isDuration, let tps = d.dtype.ticksPerSecond else {
        throw SFError(.type, "\(name)() needs a timedelta64 operand, got \(d.dtype)")
      }
      return TypedNode(.apply(DurationPart(part: part, ticksPerSecond: tps)), part == .total_seconds ? .float64 : .int64, [d])
    }
    if name == "datetime64" || name == "timedelta64" { return try bindTemporalCast(name, args) }
    if name == "abs" || name == "absolute", args.count == 1 {
      guard case .node(let d) = try typed(args[0]), d.dtype.isDuration else { return nil }
      return TypedNode(.apply(TemporalArith(kind: .absolute, scaleA: 1, scaleB: 1, result: d.dtype)), d.dtype, [d])
    }
    if let t = DType(name: name), t.isNumeric, args.count == 1 {
      // astype from a datetime or timedelta to a number: numpy gives the stored count.
      guard case .node(let n) = try typed(args[0]), n.dtype.isTemporal else { return nil }
      return TypedNode(.cast, t, [n])
    }
    return nil
  }

  private mutating func bindDt(_ name: String, _ args: [Node]) throws(SFError) -> TypedNode {
    let fname = String(name.dropFirst(3))
    let known = DatetimePart.Part.allCases.map(\.rawValue) + ["floor", "strftime"]
    guard known.contains(fname) else {
      throw SFError(.name, "unknown function '\(name)' (datetime functions: "
                    + known.map { "dt_" + $0 }.joined(separator: ", ") + ")")
    }
    try arity(name, args, fname == "floor" || fname == "strftime" ? 2...2 : 1...1)
    let t = try operand(args[0])
    guard t.dtype.isTimePoint else {
      throw SFError(.type, "\(name)() needs a datetime64 operand, got \(t.dtype)")
    }
    let clock = LocalClock(t.dtype, zone: try timeZone(of: t))
    if let part = DatetimePart.Part(rawValue: fname) {
      return TypedNode(.apply(DatetimePart(part: part, clock: clock)), part.resultType, [t])
    }
    if fname == "strftime" {
      let pieces = try DatetimeStrftime.parse(stringParameter(name, args, 1))
      return TypedNode(.apply(DatetimeStrftime(pieces: pieces, clock: clock)), .largeString, [t])
    }
    guard t.dtype.isTimestamp, let unit = t.dtype.nanosPerTick else {
      throw SFError(.type, "\(name)() needs a timestamp (datetime64[s|ms|us|ns]) operand, got \(t.dtype)")
    }
    let freq = try stringParameter(name, args, 1)
    let nanos = try frequencyNanos(freq)
    let step: Int64
    if nanos % unit == 0 {
      step = nanos / unit
    } else if nanos < unit {
      step = 1  // finer than the column's unit: values are already floored
    } else {
      throw SFError(.argument, "dt_floor(): frequency '\(freq)' is not a whole number of the column's unit (\(t.dtype))")
    }
    return TypedNode(.apply(DatetimeFloor(step: step, clock: clock, dtype: t.dtype)), t.dtype, [t])
  }

  /// A fixed pandas frequency ('D', 'h', 'min', 's', 'ms', 'us', 'ns', with a multiple
  /// as in '15min') in nanoseconds.
  private func frequencyNanos(_ freq: String) throws(SFError) -> Int64 {
    let bytes = Array(freq.utf8)
    var i = 0, multiple: Int64 = 0
    while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
      let (m, o1) = multiple.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.addingReportingOverflow(Int64(bytes[i] - 48))
      guard !o1, !o2 else { throw SFError(.argument, "dt_floor(): frequency '\(freq)' is too large") }
      multiple = s
      i += 1
    }
    if i == 0 { multiple = 1 }
    let units: [String: Int64] = ["D": 86_400_000_000_000, "h": 3_600_000_000_000, "H": 3_600_000_000_000,
                                  "min": 60_000_000_000, "T": 60_000_000_000, "s": 1_000_000_000, "S": 1_000_000_000,
                                  "ms": 1_000_000, "L": 1_000_000, "us": 1000, "U": 1000, "ns": 1, "N": 1]
    let unit = String(decoding: bytes[i...], as: UTF8.self)
    guard let perUnit = units[unit] else {
      throw SFError(.argument, "dt_floor(): '\(freq)' is not a fixed frequency (use D, h, min, s, ms, us or ns, "
                    + "optionally with a multiple such as '15min')")
    }
    guard multiple > 0 else { throw SFError(.argument, "dt_floor(): frequency '\(freq)' must be positive") }
    let (nanos, overflow) = multiple.multipliedReportingOverflow(by: perUnit)
    guard !overflow else { throw SFError(.argument, "dt_floor(): frequency '\(freq)' is too large") }
    return nanos
  }

  /// The time zone of a timestamp expression: its stored column's, carried through
  /// unit casts, floors and arithmetic with durations.
  func timeZone(of n: TypedNode) throws(SFError) -> TimeZoneRule? {
    func name(_ n: TypedNode) -> String? {
      if case .field(let i) = n.op { return fields.indices.contains(i) ? fields[i].timezone : nil }
      guard n.dtype.isTimestamp else { return nil }
      for c in n.children where c.dtype.isTimestamp {
        if let z = name(c) { return z }
      }
      return nil
    }
    guard let zone = name(n) else { return nil }
    return try TimeZoneRule.named(zone)
  }

  /// `datetime64(x, unit)` / `timedelta64(x, unit)`: an integer literal as a typed
  /// constant (how Python writes datetime values), or a cast (astype) of a column.
  private mutating func bindTemporalCast(_ name: String, _ args: [Node]) throws(SFError) -> TypedNode {
    try arity(name, args, 2...2)
    let unit = try stringParameter(name, args, 1)
    let isDuration = name == "timedelta64"
    guard let t = DType.temporal(unit: unit, duration: isDuration) else {
      throw SFError(.argument, "\(name)(): unit '\(unit)' must be one of \(isDuration ? "" : "D, ")s, ms, us, ns")
    }
    switch try typed(args[0]) {
    case .weak(let lit):
      let value: Int64
      switch lit {
      case .int(let v): value = v
      case .uint(let v) where v <= UInt64(Int64.max): value = Int64(v)
      default: throw SFError(.type, "\(name)() takes an integer count of units, not \(lit.text)")
      }
      if t == .date32, !(Int64(Int32.min)...Int64(Int32.max)).contains(value) {
        throw SFError(.type, "\(name)(\(value), 'D') is out of the range of dates")
      }
      return TypedNode(.constant(Scalar(dtype: t, bits: UInt64(bitPattern: value))), t)
    case .node(let n):
      if n.dtype == t { return n }
      if n.dtype.isInteger { return TypedNode(.cast, t, [n]) }
      if n.dtype.isString, !isDuration { return TypedNode(.apply(ParseTemporal(target: t)), t, [n]) }
      if (isDuration && n.dtype.isDuration) || (!isDuration && n.dtype.isTimePoint) {
        return TypedNode(.apply(TemporalCast(from: n.dtype, to: t)), t, [n])
      }
      throw SFError(.type, "cannot cast \(n.dtype) to \(t)")
    }
  }

  /// `-d` and `+d` on a duration (numpy's negative / positive); nil for other operands.
  func temporalUnary(_ op: UnaryOp, _ n: TypedNode) -> TypedNode? {
    guard n.dtype.isDuration, op != .invert else { return nil }
    if op == .plus { return n }
    let minusOne = TypedNode(.constant(.int64(-1)), .int64)
    return TypedNode(.apply(TemporalArith(kind: .times, scaleA: 1, scaleB: 1, result: n.dtype)), n.dtype, [n, minusOne])
  }

  /// Arithmetic and comparisons with a timestamp, date or duration operand beyond
  /// same-type comparisons (timestamp - timestamp, timestamp + duration, …); nil
  /// when the usual rules apply.
  func temporalBinary(_ op: BinaryOp, _ a: Checked, _ b: Checked) throws(SFError) -> TypedNode? {
    func temporal(_ c: Checked) -> TypedNode? {
      if case .node(let n) = c, n.dtype.isTemporal { return n }
      return nil
    }
    func describe(_ c: Checked) -> String {
      switch c {
      case .node(let n): "\(n.dtype)"
      case .weak(let lit): "the Python value \(lit.text)"
      }
    }
    let x = temporal(a), y = temporal(b)
    guard x != nil || y != nil else { return nil }
    let unsupported = SFError(.type, "'\(op.rawValue)' is not supported between \(describe(a)) and \(describe(b))"
                              + (op.isComparison ? " (compare datetimes with datetime64 values, durations with timedelta64 values)" : ""))
    if let x, let y { return try temporalPair(op, x, y, unsupported) }

    // A duration and an integer: d * k, k * d, d / k, d // k.
    let (t, other, durationFirst) = x.map { ($0, b, true) } ?? (y!, a, false)
    guard t.dtype.isDuration else { throw unsupported }
    let k: TypedNode
    switch other {
    case .weak(.int(let v)): k = TypedNode(.constant(.int64(v)), .int64)
    case .weak(.uint(let v)) where v <= UInt64(Int64.max): k = TypedNode(.constant(.int64(Int64(v))), .int64)
    case .node(let n) where n.dtype.isInteger: k = cast(n, .int64)
    default: throw unsupported
    }
    switch op {
    case .multiply:
      return TypedNode(.apply(TemporalArith(kind: .times, scaleA: 1, scaleB: 1, result: t.dtype)), t.dtype, [t, k])
    case .divide where durationFirst, .floorDivide where durationFirst:
      return TypedNode(.apply(TemporalArith(kind: .dividedBy, scaleA: 1, scaleB: 1, result: t.dtype)), t.dtype, [t, k])
    default:
      throw unsupported
    }
  }

  private func temporalPair(_ op: BinaryOp, _ x: TypedNode, _ y: TypedNode, _ unsupported: SFError) throws(SFError) -> TypedNode {
    let (ta, tb) = (x.dtype, y.dtype)
    guard let na = ta.nanosPerTick, let nb = tb.nanosPerTick else { throw unsupported }
    if op.isComparison {
      guard (ta.isTimePoint && tb.isTimePoint) || (ta.isDuration && tb.isDuration) else { throw unsupported }
      let fine = min(na, nb)
      return TypedNode(.apply(TemporalArith(kind: .compare(op), scaleA: na / fine, scaleB: nb / fine, result: .bool)), .bool, [x, y])
    }
    // numpy computes in the finer unit; a date meets the others in seconds at least.
    var fine = min(na, nb)
    if ta == .date32 || tb == .date32 { fine = min(fine, 1_000_000_000) }
    func make(_ kind: TemporalArith.Kind, _ result: DType) -> TypedNode {
      TypedNode(.apply(TemporalArith(kind: kind, scaleA: na / fine, scaleB: nb / fine, result: result)), result, [x, y])
    }
    switch op {
    case .subtract where ta.isTimePoint && tb.isTimePoint: return make(.subtract, .duration(nanosPerTick: fine))
    case .add where ta.isTimePoint && tb.isDuration: return make(.add, .timestamp(nanosPerTick: fine))
    case .subtract where ta.isTimePoint && tb.isDuration: return make(.subtract, .timestamp(nanosPerTick: fine))
    case .add where ta.isDuration && tb.isTimePoint: return make(.add, .timestamp(nanosPerTick: fine))
    case .add where ta.isDuration && tb.isDuration: return make(.add, .duration(nanosPerTick: fine))
    case .subtract where ta.isDuration && tb.isDuration: return make(.subtract, .duration(nanosPerTick: fine))
    case .divide where ta.isDuration && tb.isDuration: return make(.ratio, .float64)
    case .floorDivide where ta.isDuration && tb.isDuration: return make(.floorRatio, .int64)
    case .modulo where ta.isDuration && tb.isDuration: return make(.modulo, .duration(nanosPerTick: fine))
    default: throw unsupported
    }
  }
}
