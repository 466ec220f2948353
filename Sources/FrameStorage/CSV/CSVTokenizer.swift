/// Splits a range of CSV bytes into records and fields (RFC 4180 with a
/// configurable separator): a field is either unquoted — no separator, newline or
/// quote inside — or enclosed in double quotes, inside which separators and
/// newlines are data and a doubled quote is one quote. Records end at LF or CRLF;
/// blank lines are skipped; the last record may lack its newline.
///
/// A quote inside an unquoted field, or anything but a separator or newline after
/// a closing quote, is an error: that strictness is what makes the parallel split
/// (CSVSplit) exact, since every quote then toggles the quoted state.
struct CSVTokenizer {
  let base: UnsafePointer<UInt8>
  /// Records are read while `position < end`; a record may run up to `limit`.
  let end: Int
  let limit: Int
  let separator: UInt8
  var position: Int

  /// The fields of the current record: start and count in the file, and whether
  /// the field holds doubled quotes to collapse.
  var starts: [Int] = []
  var counts: [Int] = []
  var escaped: [Bool] = []
  /// Where the current record starts (for error messages).
  var recordStart = 0
  private let scratch = GrowableBuffer()

  static let quote = UInt8(ascii: "\"")
  static let lf = UInt8(ascii: "\n")
  static let cr = UInt8(ascii: "\r")

  init(base: UnsafePointer<UInt8>, range: Range<Int>, limit: Int, separator: UInt8) {
    self.base = base
    self.position = range.lowerBound
    self.end = range.upperBound
    self.limit = limit
    self.separator = separator
  }

  /// A tokenizing error at byte `offset` of the file; the converter turns it into a line number.
  struct Failure: Error {
    let offset: Int
    let message: String
  }

  var fieldCount: Int { starts.count }

  /// Reads the next record into the field arrays; false when the range is done.
  mutating func next() throws(Failure) -> Bool {
    // Skip blank lines.
    while position < end {
      if base[position] == CSVTokenizer.lf { position += 1; continue }
      if base[position] == CSVTokenizer.cr, position + 1 < limit, base[position + 1] == CSVTokenizer.lf {
        position += 2
        continue
      }
      break
    }
    guard position < end else { return false }
    recordStart = position
    starts.removeAll(keepingCapacity: true)
    counts.removeAll(keepingCapacity: true)
    escaped.removeAll(keepingCapacity: true)
    let sep = separator
    var p = position
    while true {
      if p < limit, base[p] == CSVTokenizer.quote {
        let open = p
        p += 1
        let s = p
        var doubled = false
        while true {
          guard p < limit else {
            throw Failure(offset: open, message: "a quoted field is never closed (unterminated quote)")
          }
          if base[p] == CSVTokenizer.quote {
            if p + 1 < limit, base[p + 1] == CSVTokenizer.quote {
              doubled = true
              p += 2
              continue
            }
            break
          }
          p += 1
        }
        starts.append(s)
        counts.append(p - s)
        escaped.append(doubled)
        p += 1  // the closing quote
        if p >= limit { position = p; return true }
        let c = base[p]
        if c == sep { p += 1; continue }
        if c == CSVTokenizer.lf { position = p + 1; return true }
        if c == CSVTokenizer.cr, p + 1 < limit, base[p + 1] == CSVTokenizer.lf { position = p + 2; return true }
        if c == CSVTokenizer.cr, p + 1 == limit { position = p + 1; return true }
        throw Failure(offset: p, message: "unexpected character after a closing quote (a field that "
                      + "contains quotes must be quoted as a whole, with its quotes doubled)")
      }
      let s = p
      while p < limit {
        let c = base[p]
        if c == sep || c == CSVTokenizer.lf { break }
        if c == CSVTokenizer.quote {
          throw Failure(offset: p, message: "a quote inside an unquoted field (quote the whole field and double its quotes)")
        }
        p += 1
      }
      var e = p
      if (p == limit || base[p] == CSVTokenizer.lf), e > s, base[e - 1] == CSVTokenizer.cr { e -= 1 }
      starts.append(s)
      counts.append(e - s)
      escaped.append(false)
      if p >= limit { position = p; return true }
      if base[p] == sep { p += 1; continue }
      position = p + 1
      return true
    }
  }

  /// The bytes of field `i` of the current record, quotes collapsed. Valid until the next call.
  mutating func field(_ i: Int) -> CSVField {
    let start = base + starts[i]
    guard escaped[i] else { return CSVField(start: start, count: counts[i]) }
    let n = counts[i]
    // Collapsing only shrinks the field; without memory for it the field stays as written.
    guard (try? scratch.reserve(n)) != nil, let out = scratch.base?.assumingMemoryBound(to: UInt8.self) else {
      return CSVField(start: start, count: n)
    }
    var k = 0, m = 0
    while k < n {
      out[m] = start[k]
      m += 1
      k += start[k] == CSVTokenizer.quote ? 2 : 1
    }
    return CSVField(start: out, count: m)
  }
}
