import FrameStorage

/// How a timestamp (or date) column's values map to the local calendar: its unit and
/// its time zone (nil: UTC or naive).
struct LocalClock: Sendable {
  /// Ticks per second; 0 for date32 (values are days).
  let ticksPerSecond: Int64
  let zone: TimeZoneRule?

  init(_ dtype: DType, zone: TimeZoneRule?) {
    ticksPerSecond = dtype.ticksPerSecond ?? 0
    self.zone = dtype == .date32 ? nil : zone
  }

  /// Local day number, second of the day and sub-second ticks of value `v`.
  @inline(__always)
  func split(_ v: Int64) -> (days: Int64, second: Int64, sub: Int64) {
    guard ticksPerSecond > 0 else { return (v, 0, 0) }
    var seconds = Calendar.floorDiv(v, ticksPerSecond)
    let sub = v &- seconds &* ticksPerSecond
    if let zone { seconds = seconds &+ zone.offset(seconds) }
    let days = Calendar.floorDiv(seconds, 86400)
    return (days, seconds &- days &* 86400, sub)
  }

  /// Sub-second ticks as microseconds (0-999999) and the nanoseconds beyond (0-999).
  @inline(__always)
  func microNano(_ sub: Int64) -> (Int64, Int64) {
    switch ticksPerSecond {
    case 1_000_000_000: (sub / 1000, sub % 1000)
    case 1_000_000: (sub, 0)
    case 1000: (sub * 1000, 0)
    default: (0, 0)
    }
  }
}

/// `dt_year(t)`, `dt_hour(t)`, …: one calendar field of each timestamp or date, in the
/// column's local time when it has a time zone.
struct DatetimePart: VectorFunction {
  enum Part: String, CaseIterable {
    case year, month, day, hour, minute, second, microsecond, nanosecond, dayofweek, dayofyear
    case weekofyear, quarter, is_leap_year, date
    // pandas' aliases
    case weekday, day_of_week, day_of_year, week, is_leap, days_in_month, daysinmonth

    var resultType: DType {
      switch self {
      case .is_leap_year, .is_leap: .bool
      case .date: .date32
      default: .int32
      }
    }
  }

  let part: Part
  let clock: LocalClock

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let present = out.temporalPresence([a])
    let n = out.count
    switch part.resultType {
    case .bool:
      let p = out.values.assumingMemoryBound(to: UInt8.self)
      for i in 0..<n { p[i] = Calendar.isLeap(Calendar.civil(clock.split(a.ticks(i)).days).year) ? 1 : 0 }
    case .date32:
      let p = out.values.assumingMemoryBound(to: Int32.self)
      for i in 0..<n { p[i] = Int32(truncatingIfNeeded: clock.split(a.ticks(i)).days) }
    default:
      let p = out.values.assumingMemoryBound(to: Int32.self)
      for i in 0..<n { p[i] = Int32(truncatingIfNeeded: value(clock.split(a.ticks(i)))) }
    }
    return out.vec(part.resultType, valid: present)
  }

  @inline(__always)
  private func value(_ t: (days: Int64, second: Int64, sub: Int64)) -> Int64 {
    switch part {
    case .year: return Calendar.civil(t.days).year
    case .month: return Calendar.civil(t.days).month
    case .day: return Calendar.civil(t.days).day
    case .hour: return t.second / 3600
    case .minute: return t.second / 60 % 60
    case .second: return t.second % 60
    case .microsecond: return clock.microNano(t.sub).0
    case .nanosecond: return clock.microNano(t.sub).1
    case .dayofweek, .weekday, .day_of_week: return Calendar.weekday(t.days)
    case .dayofyear, .day_of_year: return Calendar.dayOfYear(t.days, year: Calendar.civil(t.days).year)
    case .weekofyear, .week: return Calendar.isoWeek(t.days)
    case .quarter: return (Calendar.civil(t.days).month - 1) / 3 + 1
    case .days_in_month, .daysinmonth:
      let c = Calendar.civil(t.days)
      if c.month == 2 { return Calendar.isLeap(c.year) ? 29 : 28 }
      return c.month == 4 || c.month == 6 || c.month == 9 || c.month == 11 ? 30 : 31
    case .is_leap_year, .is_leap, .date: return 0
    }
  }
}

/// `dt_floor(t, freq)`: each timestamp rounded down to a multiple of `step` ticks
/// counted from the epoch, in local time for a column with a time zone (as pandas).
struct DatetimeFloor: VectorFunction {
  let step: Int64
  let clock: LocalClock
  let dtype: DType

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let present = out.temporalPresence([a])
    let p = out.values.assumingMemoryBound(to: Int64.self)
    let tps = clock.ticksPerSecond
    if let zone = clock.zone, tps > 0 {
      for i in 0..<out.count {
        let v = a.ticks(i)
        let seconds = Calendar.floorDiv(v, tps)
        let offset = zone.offset(seconds)
        let local = v &+ offset &* tps
        let floored = local &- Calendar.floorMod(local, step)
        let utcSeconds = zone.utc(local: Calendar.floorDiv(floored, tps))
        let shift = Calendar.floorDiv(floored, tps) &- utcSeconds
        p[i] = floored &- shift &* tps
      }
    } else {
      for i in 0..<out.count {
        let v = a.ticks(i)
        p[i] = v &- Calendar.floorMod(v, step)
      }
    }
    return out.vec(dtype, valid: present)
  }
}

/// Arithmetic and comparisons of timestamps, dates and durations (numpy's rules):
/// operands are brought to the finer unit by the scales.
struct TemporalArith: VectorFunction {
  enum Kind {
    /// a*scaleA ± b*scaleB (timestamp - timestamp, timestamp + duration, …).
    case add, subtract
    /// duration % duration (floored, as numpy).
    case modulo
    /// duration / duration → float64; duration // duration → int64 (floored).
    case ratio, floorRatio
    /// duration * integer; duration / or // integer (truncated, as numpy).
    case times, dividedBy
    case compare(BinaryOp)
    /// |duration| (one operand).
    case absolute
  }

  let kind: Kind
  let scaleA: Int64
  let scaleB: Int64
  let result: DType

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let n = out.count
    if case .absolute = kind {
      let p = out.values.assumingMemoryBound(to: Int64.self)
      for i in 0..<n { p[i] = Int64.absolute(a.ticks(i)) }
      return out.vec(result, valid: out.temporalPresence([a]))
    }
    let b = args[1]
    var present = out.temporalPresence([a, b])
    switch kind {
    case .add, .subtract:
      let p = out.values.assumingMemoryBound(to: Int64.self)
      let sign: Int64 = { if case .add = kind { return 1 }; return -1 }()
      for i in 0..<n { p[i] = a.ticks(i) &* scaleA &+ sign &* (b.ticks(i) &* scaleB) }
    case .modulo, .floorRatio:
      let m = out.ownMask(present)
      present = UnsafePointer(m)
      let p = out.values.assumingMemoryBound(to: Int64.self)
      let isModulo: Bool = { if case .modulo = kind { return true }; return false }()
      for i in 0..<n {
        let x = a.ticks(i) &* scaleA, y = b.ticks(i) &* scaleB
        guard y != 0, !(x == Int64.min && y == -1) else { p[i] = 0; m[i] = 0; continue }
        let q = x / y, r = x % y
        let floored = r != 0 && ((r < 0) != (y < 0))
        p[i] = isModulo ? (floored ? r &+ y : r) : (floored ? q &- 1 : q)
      }
    case .ratio:
      let p = out.values.assumingMemoryBound(to: Double.self)
      for i in 0..<n { p[i] = Double(a.ticks(i) &* scaleA) / Double(b.ticks(i) &* scaleB) }
    case .times:
      let p = out.values.assumingMemoryBound(to: Int64.self)
      for i in 0..<n { p[i] = a.ticks(i) &* b.values.load(fromByteOffset: i * 8, as: Int64.self) }
    case .dividedBy:
      let m = out.ownMask(present)
      present = UnsafePointer(m)
      let p = out.values.assumingMemoryBound(to: Int64.self)
      for i in 0..<n {
        let x = a.ticks(i), y = b.values.load(fromByteOffset: i * 8, as: Int64.self)
        guard y != 0, !(x == Int64.min && y == -1) else { p[i] = 0; m[i] = 0; continue }
        p[i] = x / y
      }
    case .absolute:
      break
    case .compare(let op):
      let p = out.values.assumingMemoryBound(to: UInt8.self)
      for i in 0..<n {
        let c = scaleA == 1 ? exactOrder(a.ticks(i), b.ticks(i), scaleB) : -exactOrder(b.ticks(i), a.ticks(i), scaleA)
        p[i] = op.holds(c) ? 1 : 0
      }
    }
    return out.vec(result, valid: present)
  }

  /// The order of `x` and `y * scale`, exactly (no overflow): -1, 0 or 1.
  @inline(__always)
  private func exactOrder(_ x: Int64, _ y: Int64, _ scale: Int64) -> Int {
    if scale == 1 { return x < y ? -1 : (x == y ? 0 : 1) }
    // x vs y*scale: compare x // scale with y, then the remainder with 0.
    let q = Calendar.floorDiv(x, scale), r = x &- q &* scale
    if q != y { return q < y ? -1 : 1 }
    return r == 0 ? 0 : 1
  }
}

/// A timestamp, date or duration converted to another unit (numpy's astype: floored
/// to a coarser unit); NaT stays missing.
struct TemporalCast: VectorFunction {
  let from: DType
  let to: DType

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let present = out.temporalPresence([a])
    let (f, t) = (from.nanosPerTick ?? 1, to.nanosPerTick ?? 1)
    if to == .date32 {
      let p = out.values.assumingMemoryBound(to: Int32.self)
      let k = t / f
      for i in 0..<out.count { p[i] = Int32(truncatingIfNeeded: Calendar.floorDiv(a.ticks(i), k)) }
    } else {
      let p = out.values.assumingMemoryBound(to: Int64.self)
      if f >= t {
        let k = f / t
        for i in 0..<out.count { p[i] = a.ticks(i) &* k }
      } else {
        let k = t / f
        for i in 0..<out.count { p[i] = Calendar.floorDiv(a.ticks(i), k) }
      }
    }
    return out.vec(to, valid: present)
  }
}

/// `td_days(d)`, `td_seconds(d)`, … : pandas' Timedelta components (days floored, the
/// rest non-negative), and `td_total_seconds(d)` as float64.
struct DurationPart: VectorFunction {
  enum Part: String, CaseIterable {
    case total_seconds, days, seconds, microseconds, nanoseconds
  }

  let part: Part
  let ticksPerSecond: Int64

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let present = out.temporalPresence([a])
    let n = out.count
    if part == .total_seconds {
      let p = out.values.assumingMemoryBound(to: Double.self)
      let tps = Double(ticksPerSecond)
      for i in 0..<n {
        let v = a.ticks(i)
        if v.magnitude <= 1 << 53 {
          p[i] = Double(v) / tps  // exact operand: correctly rounded
        } else {
          // Whole seconds and the rest apart (same signs): no rounding of v itself.
          let (q, r) = v.quotientAndRemainder(dividingBy: ticksPerSecond)
          p[i] = Double(q) + Double(r) / tps
        }
      }
      return out.vec(.float64, valid: present)
    }
    let p = out.values.assumingMemoryBound(to: Int64.self)
    let perDay = ticksPerSecond &* 86400
    for i in 0..<n {
      let v = a.ticks(i)
      let days = Calendar.floorDiv(v, perDay)
      let rest = v &- days &* perDay
      switch part {
      case .days: p[i] = days
      case .seconds: p[i] = rest / ticksPerSecond
      case .microseconds, .nanoseconds:
        let sub = rest % ticksPerSecond
        let nanos = sub &* (1_000_000_000 / ticksPerSecond)
        p[i] = part == .microseconds ? nanos / 1000 : nanos % 1000
      case .total_seconds: p[i] = 0
      }
    }
    return out.vec(.int64, valid: present)
  }
}
