import FrameStorage

/// `astype(t, 'str')` of dates, timestamps and durations, as numpy's astype(str)
/// prints them: `2020-01-02`, `2020-01-02T03:04:05.123456` (the fraction's digits by
/// unit: none for seconds, 3, 6 or 9), `5 seconds`. Timestamps print in UTC (numpy
/// has no zones).
struct FormatTemporal: VectorFunction {
  let dtype: DType

  private var unitName: [UInt8] {
    switch dtype {
    case .durationS: Array(" seconds".utf8)
    case .durationMS: Array(" milliseconds".utf8)
    case .durationUS: Array(" microseconds".utf8)
    default: Array(" nanoseconds".utf8)
    }
  }

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let present = out.temporalPresence([a])
    let b = out.newStrings()
    let suffix = unitName
    let clock = LocalClock(dtype, zone: nil)
    let fraction: Int
    switch dtype {
    case .timestampMS: fraction = 3
    case .timestampUS: fraction = 6
    case .timestampNS: fraction = 9
    default: fraction = 0
    }
    for i in 0..<out.count {
      defer { b.endRow() }
      guard present.map({ $0[i] != 0 }) ?? true else { continue }
      let v = a.ticks(i)
      if dtype.isDuration {
        b.appendNumber(v)
        for c in suffix { b.append(c) }
        continue
      }
      let t = clock.split(v)
      let (year, month, day) = Calendar.civil(t.days)
      b.appendNumber(year, width: 4); b.append(45); b.appendNumber(month, width: 2); b.append(45)
      b.appendNumber(day, width: 2)
      guard dtype != .date32 else { continue }
      b.append(84)  // T
      b.appendNumber(t.second / 3600, width: 2); b.append(58)
      b.appendNumber(t.second / 60 % 60, width: 2); b.append(58)
      b.appendNumber(t.second % 60, width: 2)
      if fraction > 0 { b.append(46); b.appendNumber(t.sub, width: fraction) }
    }
    return b.vec(valid: present)
  }
}

/// `datetime64(s, unit)` of strings: ISO 8601 dates and timestamps (`2020-01-02`,
/// `2020-01-02 03:04:05.5`) as the engine's date or timestamp of `unit` (finer digits
/// truncated); text that is not one, or out of the unit's range, is missing — pandas'
/// `to_datetime(errors="coerce")`.
struct ParseTemporal: VectorFunction {
  let target: DType

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let mask = out.mask
    let perSecond = target.ticksPerSecond ?? 0
    for i in 0..<out.count {
      var value: Int64? = nil
      if a.isPresent(i) {
        let text = a.string(i)
        let parsed = text.withMemoryRebound(to: UInt8.self) { ISO8601.parse($0) }
        if let (days, nanos) = parsed {
          if target == .date32 {
            value = Int64(days)  // a timestamp's date, as numpy's astype('M8[D]')
          } else {
            let seconds = Int64(days) * 86400 + nanos / 1_000_000_000
            let (scaled, o1) = seconds.multipliedReportingOverflow(by: perSecond)
            let (total, o2) = scaled.addingReportingOverflow(nanos % 1_000_000_000 / (1_000_000_000 / perSecond))
            value = o1 || o2 || total == Int64.min ? nil : total
          }
        }
      }
      if target == .date32 {
        out.values.storeBytes(of: Int32(truncatingIfNeeded: value ?? 0), toByteOffset: i * 4, as: Int32.self)
      } else {
        out.values.storeBytes(of: value ?? 0, toByteOffset: i * 8, as: Int64.self)
      }
      mask[i] = value == nil ? 0 : 1
    }
    return out.vec(target, valid: UnsafePointer(mask))
  }
}
