import FrameStorage

/// Calendar arithmetic on the proleptic Gregorian calendar (what numpy, pandas and
/// Arrow use), on integer day numbers counted from 1970-01-01. Every operation is
/// total: no input value traps (wrapping arithmetic where a value could overflow).
enum Calendar {
  /// Python's floor division by a positive divisor.
  @inline(__always)
  static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && a < 0) ? q &- 1 : q
  }

  /// The remainder of `floorDiv` (0 ..< b).
  @inline(__always)
  static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
    let r = a % b
    return r < 0 ? r &+ b : r
  }

  /// Year, month (1-12) and day (1-31) of day number `days` (H. Hinnant's algorithm).
  @inline(__always)
  static func civil(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let z = days &+ 719_468
    let era = (z >= 0 ? z : z &- 146_096) / 146_097
    let doe = z &- era &* 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe &+ era &* 400
    return (m <= 2 ? y &+ 1 : y, m, d)
  }

  /// The day number of a date (month 1-12, day 1-31).
  @inline(__always)
  static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year &- 1 : year
    let era = (y >= 0 ? y : y &- 399) / 400
    let yoe = y &- era &* 400
    let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era &* 146_097 &+ doe &- 719_468
  }

  @inline(__always)
  static func isLeap(_ year: Int64) -> Bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
  }

  /// Day of the week, Monday = 0 (1970-01-01 was a Thursday).
  @inline(__always)
  static func weekday(_ days: Int64) -> Int64 { floorMod(days &+ 3, 7) }

  /// Day of the year, 1-366.
  @inline(__always)
  static func dayOfYear(_ days: Int64, year: Int64) -> Int64 {
    days &- Calendar.days(year: year, month: 1, day: 1) &+ 1
  }

  /// The ISO 8601 week number (1-53), as pandas' isocalendar().week: the week of the
  /// year that holds its Thursday.
  @inline(__always)
  static func isoWeek(_ days: Int64) -> Int64 {
    let thursday = days &- weekday(days) &+ 3
    let year = civil(thursday).year
    return (thursday &- Calendar.days(year: year, month: 1, day: 1)) / 7 + 1
  }
}

/// The time unit of a temporal dtype, in nanoseconds per stored tick (date32: a day).
extension DType {
  var nanosPerTick: Int64? {
    switch self {
    case .date32: 86_400_000_000_000
    case .timestampS, .durationS: 1_000_000_000
    case .timestampMS, .durationMS: 1_000_000
    case .timestampUS, .durationUS: 1_000
    case .timestampNS, .durationNS: 1
    default: nil
    }
  }

  /// Ticks per second of a timestamp or duration (date32: nil).
  var ticksPerSecond: Int64? {
    guard self != .date32, let n = nanosPerTick else { return nil }
    return 1_000_000_000 / n
  }

  var isTimestamp: Bool { self == .timestampS || self == .timestampMS || self == .timestampUS || self == .timestampNS }
  var isDuration: Bool { self == .durationS || self == .durationMS || self == .durationUS || self == .durationNS }
  /// A point in time: a timestamp or a date.
  var isTimePoint: Bool { isTimestamp || self == .date32 }

  static func timestamp(nanosPerTick n: Int64) -> DType {
    switch n {
    case 1_000_000_000: .timestampS
    case 1_000_000: .timestampMS
    case 1_000: .timestampUS
    case 1: .timestampNS
    default: .date32
    }
  }

  static func duration(nanosPerTick n: Int64) -> DType {
    switch n {
    case 1_000_000: .durationMS
    case 1_000: .durationUS
    case 1: .durationNS
    default: .durationS  // seconds, and days (numpy's timedelta64[D]) in seconds
    }
  }

  /// The dtype for numpy's unit code (`'us'`) of datetime64 (or timedelta64).
  static func temporal(unit: String, duration: Bool) -> DType? {
    switch unit {
    case "D": duration ? nil : .date32
    case "s": duration ? .durationS : .timestampS
    case "ms": duration ? .durationMS : .timestampMS
    case "us": duration ? .durationUS : .timestampUS
    case "ns": duration ? .durationNS : .timestampNS
    default: nil
    }
  }
}

/// NaT: numpy's "not a time", the int64 minimum in a timestamp or duration. The
/// datetime functions treat it as a missing value (as pyarrow does reading numpy data).
let notATime = Int64.min

extension Vec {
  /// Value `i` of a temporal vector as int64 (date32 widened).
  @inline(__always)
  func ticks(_ i: Int) -> Int64 {
    dtype == .date32 ? Int64(values.load(fromByteOffset: i * 4, as: Int32.self))
      : values.load(fromByteOffset: i * 8, as: Int64.self)
  }
}

extension Scratch {
  /// The presence of a result of `operands`: missing where any is missing, and where a
  /// timestamp or duration operand is NaT.
  func temporalPresence(_ operands: [Vec]) -> UnsafePointer<UInt8>? {
    var hasNaT = false
    for v in operands where v.dtype.isTimestamp || v.dtype.isDuration {
      let p = v.values.assumingMemoryBound(to: Int64.self)
      for i in 0..<count where p[i] == notATime {
        hasNaT = true
        break
      }
      if hasNaT { break }
    }
    if !hasNaT { return validity(operands.map(\.valid)) }
    let m = mask
    for i in 0..<count { m[i] = 1 }
    for v in operands {
      if let valid = v.valid { for i in 0..<count { m[i] &= valid[i] } }
      if v.dtype.isTimestamp || v.dtype.isDuration {
        let p = v.values.assumingMemoryBound(to: Int64.self)
        for i in 0..<count where p[i] == notATime { m[i] = 0 }
      }
    }
    return UnsafePointer(m)
  }

  /// `present` copied into this scratch's own mask (to clear more rows in it).
  func ownMask(_ present: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<UInt8> {
    let m = mask
    if let present {
      if present != UnsafePointer(m) { m.update(from: present, count: count) }
    } else {
      for i in 0..<count { m[i] = 1 }
    }
    return m
  }
}
