import FrameStorage

/// `dt_strftime(t, fmt)`: timestamps as text with C/Python strftime directives, in the
/// C locale, in the column's local time. The format is parsed once at bind time;
/// an unknown directive is an error then.
struct DatetimeStrftime: VectorFunction {
  enum Piece: Sendable {
    case text([UInt8])
    case directive(UInt8)
  }

  let pieces: [Piece]
  let clock: LocalClock

  /// The directives understood (Python's, C locale).
  static let directives: Set<UInt8> = Set("YmdHMSfjaAbByp%IwuGVeFTD".utf8)

  static func parse(_ format: String) throws(SFError) -> [Piece] {
    var pieces: [Piece] = []
    var text: [UInt8] = []
    var it = Array(format.utf8).makeIterator()
    while let c = it.next() {
      guard c == 37 else { text.append(c); continue }  // '%'
      guard let d = it.next() else {
        throw SFError(.argument, "strftime format '\(format)' ends with a lone '%'")
      }
      guard directives.contains(d) else {
        throw SFError(.argument, "strftime format '\(format)' has the unsupported directive '%\(String(decoding: [d], as: UTF8.self))' (supported: "
                      + directives.sorted().map { "%" + String(decoding: [$0], as: UTF8.self) }.joined(separator: " ") + ")")
      }
      if d == 37 { text.append(37); continue }
      if !text.isEmpty { pieces.append(.text(text)); text = [] }
      pieces.append(.directive(d))
    }
    if !text.isEmpty { pieces.append(.text(text)) }
    return pieces
  }

  private static let days: [[UInt8]] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"].map { Array($0.utf8) }
  private static let months: [[UInt8]] = ["January", "February", "March", "April", "May", "June", "July", "August",
                                          "September", "October", "November", "December"].map { Array($0.utf8) }

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let present = out.temporalPresence([a])
    let b = out.newStrings()
    for i in 0..<out.count {
      if present.map({ $0[i] != 0 }) ?? true { write(a.ticks(i), b) }
      b.endRow()
    }
    return b.vec(valid: present)
  }

  private func write(_ v: Int64, _ b: StringBuilder) {
    let t = clock.split(v)
    let (year, month, day) = Calendar.civil(t.days)
    let weekday = Int(Calendar.weekday(t.days))
    let hour = t.second / 3600
    for piece in pieces {
      switch piece {
      case .text(let bytes): for c in bytes { b.append(c) }
      case .directive(let d):
        switch d {
        case 89: number(year, 4, b)  // Y, zero-padded to 4 digits as Python documents
        case 109: number(month, 2, b)  // m
        case 100: number(day, 2, b)  // d
        case 101: // e: day, space padded
          if day < 10 { b.append(32) }
          number(day, 0, b)
        case 72: number(hour, 2, b)  // H
        case 73: number(hour % 12 == 0 ? 12 : hour % 12, 2, b)  // I
        case 77: number(t.second / 60 % 60, 2, b)  // M
        case 83: number(t.second % 60, 2, b)  // S
        case 102: number(clock.microNano(t.sub).0, 6, b)  // f
        case 106: number(Calendar.dayOfYear(t.days, year: year), 3, b)  // j
        case 97: for c in Self.days[weekday].prefix(3) { b.append(c) }  // a
        case 65: for c in Self.days[weekday] { b.append(c) }  // A
        case 98: for c in Self.months[Int(max(1, min(12, month))) - 1].prefix(3) { b.append(c) }  // b
        case 66: for c in Self.months[Int(max(1, min(12, month))) - 1] { b.append(c) }  // B
        case 121: number(Calendar.floorMod(year, 100), 2, b)  // y
        case 112: b.append(hour < 12 ? 65 : 80); b.append(77)  // p: AM / PM
        case 119: number(Int64((weekday + 1) % 7), 0, b)  // w: Sunday = 0
        case 117: number(Int64(weekday + 1), 0, b)  // u: Monday = 1
        case 86: number(Calendar.isoWeek(t.days), 2, b)  // V
        case 71: number(Calendar.civil(t.days &- Int64(weekday) &+ 3).year, 4, b)  // G: ISO year
        case 70:  // F: %Y-%m-%d
          number(year, 4, b); b.append(45); number(month, 2, b); b.append(45); number(day, 2, b)
        case 84:  // T: %H:%M:%S
          number(hour, 2, b); b.append(58); number(t.second / 60 % 60, 2, b); b.append(58); number(t.second % 60, 2, b)
        case 68:  // D: %m/%d/%y
          number(month, 2, b); b.append(47); number(day, 2, b); b.append(47); number(Calendar.floorMod(year, 100), 2, b)
        default: break
        }
      }
    }
  }

  private func number(_ v: Int64, _ width: Int, _ b: StringBuilder) { b.appendNumber(v, width: width) }
}
