#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FrameStorage

/// A time zone as UTC offsets over time, for the local-time fields of a timestamp
/// column that carries a zone (Arrow's timestamp timezone): a fixed offset ("+05:30")
/// or an IANA name read from the system's TZif files ($TZDIR, /usr/share/zoneinfo), whose
/// footer rule (POSIX TZ string) is expanded to transitions until the year 2500.
final class TimeZoneRule: Sendable {
  /// UTC seconds at which the offset changes, ascending.
  let transitions: [Int64]
  /// The offset (seconds east of UTC) from transitions[i] on.
  let offsets: [Int64]
  /// The offset before the first transition.
  let initial: Int64

  init(transitions: [Int64], offsets: [Int64], initial: Int64) {
    self.transitions = transitions
    self.offsets = offsets
    self.initial = initial
  }

  /// The offset at UTC second `t`.
  @inline(__always)
  func offset(_ t: Int64) -> Int64 {
    var lo = 0, hi = transitions.count  // first transition > t
    while lo < hi {
      let mid = (lo + hi) / 2
      if transitions[mid] <= t { lo = mid + 1 } else { hi = mid }
    }
    return lo == 0 ? initial : offsets[lo - 1]
  }

  /// The UTC second of local (wall clock) second `local`: the offset in force then.
  @inline(__always)
  func utc(local: Int64) -> Int64 {
    let guess = local &- offset(local)
    return local &- offset(guess)
  }

  /// The zone named `name`, nil for UTC; an error when it cannot be resolved.
  static func named(_ name: String) throws(SFError) -> TimeZoneRule? {
    if ["UTC", "Z", "utc", "Etc/UTC", "GMT", "Etc/GMT", "+00:00", "-00:00", "00:00"].contains(name) { return nil }
    if let fixed = fixedOffset(name) {
      return fixed == 0 ? nil : TimeZoneRule(transitions: [], offsets: [], initial: fixed)
    }
    let allowed = name.utf8.allSatisfy { c in
      (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 95 || c == 45 || c == 43 || c == 47
    }
    guard allowed, !name.isEmpty, !name.hasPrefix("/"), !name.contains("..") else {
      throw SFError(.argument, "time zone '\(name)' is not a valid zone name")
    }
    var bytes: [UInt8]? = nil
    // TZDIR first, as the C library reads it.
    let tzdir = getenv("TZDIR").map { String(cString: $0) }.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
    for dir in (tzdir.map { [$0] } ?? []) + ["/usr/share/zoneinfo/", "/usr/lib/zoneinfo/", "/usr/share/lib/zoneinfo/"] {
      if let b = readSmallFile(dir + name) { bytes = b; break }
    }
    guard let bytes else {
      throw SFError(.argument, "time zone '\(name)' was not found in the system's zoneinfo files (/usr/share/zoneinfo); install tzdata")
    }
    guard let rule = TZif.parse(bytes) else {
      throw SFError(.argument, "the zoneinfo file of time zone '\(name)' is not a valid TZif file")
    }
    return rule
  }

  /// "+05:30", "-0800", "+05" as seconds east of UTC.
  static func fixedOffset(_ text: String) -> Int64? {
    let b = Array(text.utf8)
    guard b.count >= 3, b[0] == 43 || b[0] == 45 else { return nil }
    let digits = b.dropFirst().filter { $0 != 58 }
    guard digits.count == 2 || digits.count == 4, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
    let d = digits.map { Int64($0 - 48) }
    let hours = d[0] * 10 + d[1], minutes = d.count == 4 ? d[2] * 10 + d[3] : 0
    guard hours <= 24, minutes < 60 else { return nil }
    let seconds = hours * 3600 + minutes * 60
    return b[0] == 45 ? -seconds : seconds
  }
}

/// Reads a file of at most 1 MB whole (nil if missing, unreadable or larger).
private func readSmallFile(_ path: String) -> [UInt8]? {
  let fd = open(path, O_RDONLY)
  guard fd >= 0 else { return nil }
  defer { close(fd) }
  var out: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
    if n < 0 { return nil }
    if n == 0 { break }
    out.append(contentsOf: chunk[0..<n])
    if out.count > 1 << 20 { return nil }
  }
  return out
}

/// RFC 8536 TZif files: the version 2+ (64-bit) data block and footer.
enum TZif {
  static func parse(_ b: [UInt8]) -> TimeZoneRule? {
    var pos = 0
    func u32(_ at: Int) -> Int? {
      guard at >= 0, at + 4 <= b.count else { return nil }
      return Int(UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3]))
    }
    func i32(_ at: Int) -> Int64? { u32(at).map { Int64(Int32(bitPattern: UInt32($0))) } }
    func i64(_ at: Int) -> Int64? {
      guard let hi = u32(at), let lo = u32(at + 4) else { return nil }
      return Int64(bitPattern: UInt64(hi) << 32 | UInt64(lo))
    }
    func header(_ at: Int) -> (version: UInt8, counts: [Int])? {
      guard at + 44 <= b.count, b[at] == 84, b[at + 1] == 90, b[at + 2] == 105, b[at + 3] == 102 else { return nil }
      var counts: [Int] = []
      for k in 0..<6 {
        guard let c = u32(at + 20 + 4 * k), c < 1 << 20 else { return nil }
        counts.append(c)
      }
      return (b[at + 4], counts)
    }
    guard let h1 = header(0) else { return nil }
    var (isut, isstd, leap, timecnt, typecnt, charcnt) = (h1.counts[0], h1.counts[1], h1.counts[2], h1.counts[3], h1.counts[4], h1.counts[5])
    var timeSize = 4
    pos = 44
    if h1.version >= 50 {  // '2': skip the 32-bit block, read the 64-bit one
      pos += timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut
      guard let h2 = header(pos) else { return nil }
      (isut, isstd, leap, timecnt, typecnt, charcnt) = (h2.counts[0], h2.counts[1], h2.counts[2], h2.counts[3], h2.counts[4], h2.counts[5])
      timeSize = 8
      pos += 44
    }
    guard typecnt > 0 else { return nil }
    let timesAt = pos, indexAt = pos + timecnt * timeSize, typesAt = indexAt + timecnt
    let end = typesAt + typecnt * 6 + charcnt + leap * (timeSize + 4) + isstd + isut
    guard end <= b.count else { return nil }
    var utoff: [Int64] = [], isdst: [Bool] = []
    for k in 0..<typecnt {
      guard let o = i32(typesAt + 6 * k) else { return nil }
      utoff.append(o)
      isdst.append(b[typesAt + 6 * k + 4] != 0)
    }
    var transitions: [Int64] = [], offsets: [Int64] = []
    for k in 0..<timecnt {
      guard let t = timeSize == 8 ? i64(timesAt + 8 * k) : i32(timesAt + 4 * k) else { return nil }
      let type = Int(b[indexAt + k])
      guard type < typecnt else { return nil }
      if let last = transitions.last, t <= last { continue }
      transitions.append(t)
      offsets.append(utoff[type])
    }
    // As Python's zoneinfo: before the first transition, the first standard-time type.
    let initial = utoff[isdst.firstIndex(of: false) ?? 0]
    // The footer: "\n<POSIX TZ>\n" gives the rule after the last transition.
    if timeSize == 8, end < b.count, b[end] == 10, let close = b[(end + 1)...].firstIndex(of: 10) {
      let tz = Array(b[(end + 1)..<close])
      if !tz.isEmpty {
        guard let rule = PosixTZ(tz) else { return nil }
        rule.extend(&transitions, &offsets)
      }
    }
    return TimeZoneRule(transitions: transitions, offsets: offsets, initial: initial)
  }
}

/// A POSIX TZ rule such as "CET-1CEST,M3.5.0,M10.5.0/3" (offsets west of UTC).
struct PosixTZ {
  enum DateRule { case month(m: Int64, w: Int64, d: Int64), julian(Int64), zeroBased(Int64) }
  let std: Int64  // seconds east of UTC
  let dst: Int64?
  let start: (DateRule, Int64)?
  let end: (DateRule, Int64)?

  init?(_ s: [UInt8]) {
    var i = 0
    func name() -> Bool {
      if i < s.count, s[i] == 60 {  // <...>
        guard let close = s[i...].firstIndex(of: 62) else { return false }
        i = close + 1
        return true
      }
      let from = i
      while i < s.count, (s[i] >= 65 && s[i] <= 90) || (s[i] >= 97 && s[i] <= 122) { i += 1 }
      return i - from >= 3
    }
    func number() -> Int64? {
      var v: Int64 = 0, n = 0
      while i < s.count, s[i] >= 48, s[i] <= 57, n < 6 { v = v * 10 + Int64(s[i] - 48); i += 1; n += 1 }
      return n == 0 ? nil : v
    }
    func time() -> Int64? {  // [+-]hh[:mm[:ss]] in seconds
      var sign: Int64 = 1
      if i < s.count, s[i] == 43 || s[i] == 45 { sign = s[i] == 45 ? -1 : 1; i += 1 }
      guard let h = number() else { return nil }
      var t = h * 3600
      if i < s.count, s[i] == 58 { i += 1; guard let m = number() else { return nil }; t += m * 60 }
      if i < s.count, s[i] == 58 { i += 1; guard let sec = number() else { return nil }; t += sec }
      return sign * t
    }
    func date() -> (DateRule, Int64)? {
      var rule: DateRule
      if i < s.count, s[i] == 77 {  // Mm.w.d
        i += 1
        guard let m = number(), i < s.count, s[i] == 46 else { return nil }
        i += 1
        guard let w = number(), i < s.count, s[i] == 46 else { return nil }
        i += 1
        guard let d = number(), (1...12).contains(m), (1...5).contains(w), d <= 6 else { return nil }
        rule = .month(m: m, w: w, d: d)
      } else if i < s.count, s[i] == 74 {
        i += 1
        guard let n = number(), (1...365).contains(n) else { return nil }
        rule = .julian(n)
      } else {
        guard let n = number(), n <= 365 else { return nil }
        rule = .zeroBased(n)
      }
      var at: Int64 = 7200
      if i < s.count, s[i] == 47 { i += 1; guard let t = time() else { return nil }; at = t }
      return (rule, at)
    }
    guard name(), let stdWest = time() else { return nil }
    std = -stdWest
    if i == s.count {
      dst = nil; start = nil; end = nil
      return
    }
    guard name() else { return nil }
    if i < s.count, s[i] != 44 {
      guard let w = time() else { return nil }
      dst = -w
    } else {
      dst = std + 3600
    }
    guard i < s.count, s[i] == 44 else { return nil }
    i += 1
    guard let a = date(), i < s.count, s[i] == 44 else { return nil }
    i += 1
    guard let b = date(), i == s.count else { return nil }
    start = a
    end = b
  }

  private func day(_ rule: DateRule, year: Int64) -> Int64 {
    switch rule {
    case .month(let m, let w, let d):
      let first = Calendar.days(year: year, month: m, day: 1)
      let firstWeekday = Calendar.floorMod(first + 4, 7)  // Sunday = 0
      var day = first + Calendar.floorMod(d - firstWeekday, 7) + 7 * (w - 1)
      let next = m == 12 ? Calendar.days(year: year + 1, month: 1, day: 1) : Calendar.days(year: year, month: m + 1, day: 1)
      while day >= next { day -= 7 }
      return day
    case .julian(let n):  // 1-365, February 29 never counted
      let jan1 = Calendar.days(year: year, month: 1, day: 1)
      return jan1 + n - 1 + (Calendar.isLeap(year) && n >= 60 ? 1 : 0)
    case .zeroBased(let n):
      return Calendar.days(year: year, month: 1, day: 1) + n
    }
  }

  /// Appends the rule's transitions after the last one, up to the year 2500.
  func extend(_ transitions: inout [Int64], _ offsets: inout [Int64]) {
    guard let dst, let start, let end else { return }  // the last transition's offset holds
    let lastT = transitions.last ?? -4_102_444_800  // 1840
    // From the last transition's year (a crafted file may put it anywhere: clamp).
    let firstYear = max(1800, Calendar.civil(Calendar.floorDiv(lastT, 86400)).year)
    guard firstYear <= 2500 else { return }
    for year in firstYear...2500 {
      let on = day(start.0, year: year) * 86400 + start.1 - std  // begins at standard local time
      let off = day(end.0, year: year) * 86400 + end.1 - dst  // ends at daylight local time
      for (t, o) in (on < off ? [(on, dst), (off, std)] : [(off, std), (on, dst)]) where t > (transitions.last ?? Int64.min) {
        transitions.append(t)
        offsets.append(o)
      }
    }
  }
}
