/// Dates and timestamps as CSV files and numpy's astype(str) write them:
/// `YYYY-MM-DD`, or `YYYY-MM-DD[T ]HH:MM:SS[.f…]` with up to 9 fraction digits.
/// Proleptic Gregorian calendar, no time zone. The CSV reader and string-to-datetime
/// casts share this one parser.
public enum ISO8601 {
  /// Days since 1970-01-01 and nanoseconds into that day (0 for a bare date), or nil
  /// when `f` is not one of the two forms or names an invalid date or time.
  public static func parse(_ f: UnsafeBufferPointer<UInt8>) -> (days: Int, nanos: Int64)? {
    guard let days = dateDays(f) else { return nil }
    if f.count == 10 { return (days, 0) }
    guard f.count >= 19, f[10] == UInt8(ascii: "T") || f[10] == UInt8(ascii: " "),
          f[13] == UInt8(ascii: ":"), f[16] == UInt8(ascii: ":"),
          let h = number(f, 11, 2), let mi = number(f, 14, 2), let s = number(f, 17, 2),
          h < 24, mi < 60, s < 60 else { return nil }
    var nanos = Int64(h * 3600 + mi * 60 + s) * 1_000_000_000
    if f.count > 19 {
      let digits = f.count - 20
      guard f[19] == UInt8(ascii: "."), digits >= 1, digits <= 9, let frac = number(f, 20, digits) else { return nil }
      var scale = 1
      for _ in digits..<9 { scale *= 10 }
      nanos += Int64(frac * scale)
    }
    return (days, nanos)
  }

  /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
  public static func days(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146097 + doe - 719468
  }

  private static func dateDays(_ f: UnsafeBufferPointer<UInt8>) -> Int? {
    guard f.count >= 10, f[4] == UInt8(ascii: "-"), f[7] == UInt8(ascii: "-"),
          let y = number(f, 0, 4), let m = number(f, 5, 2), let d = number(f, 8, 2),
          (1...12).contains(m), d >= 1 else { return nil }
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
    let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    guard d <= lengths[m - 1] else { return nil }
    return days(year: y, month: m, day: d)
  }

  @inline(__always)
  private static func number(_ f: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int? {
    var v = 0
    for k in start..<(start + count) {
      let c = f[k]
      guard c >= 48, c <= 57 else { return nil }
      v = v * 10 + Int(c - 48)
    }
    return v
  }
}
