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
  private let fields = FieldList()
  /// Where the current record starts (for error messages).
  var recordStart = 0
  private let scratch = GrowableBuffer()

  static let ones: UInt64 = 0x0101_0101_0101_0101
  static let lfWord: UInt64 = ones &* 0x0A
  static let quoteWord: UInt64 = ones &* 0x22

  /// The high bit of each zero byte of `x` is set, and no bit below the lowest zero byte
  /// (bits above it may be false positives: only the lowest is used).
  @inline(__always)
  static func zeroBytes(_ x: UInt64) -> UInt64 {
    (x &- ones) & ~x & 0x8080_8080_8080_8080
  }

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

  var fieldCount: Int { fields.count }

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
    fields.count = 0
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
        fields.append(start: s, count: p - s, escaped: doubled)
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
      // Eight bytes at a time while none is a separator, newline or quote (SWAR).
      let sepWord = CSVTokenizer.ones &* UInt64(sep)
      while p + 8 <= limit {
        let word = UInt64(littleEndian: UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self))
        let hits = CSVTokenizer.zeroBytes(word ^ sepWord) | CSVTokenizer.zeroBytes(word ^ CSVTokenizer.lfWord)
          | CSVTokenizer.zeroBytes(word ^ CSVTokenizer.quoteWord)
        if hits != 0 {
          p += hits.trailingZeroBitCount / 8
          break
        }
        p += 8
      }
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
      fields.append(start: s, count: e - s, escaped: false)
      if p >= limit { position = p; return true }
      if base[p] == sep { p += 1; continue }
      position = p + 1
      return true
    }
  }

  /// The bytes of field `i` of the current record, quotes collapsed. Valid until the next call.
  mutating func field(_ i: Int) -> CSVField {
    let (offset, n, escaped) = fields[i]
    let start = base + offset
    guard escaped else { return CSVField(start: start, count: n) }
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

/// The fields of one record, in memory reused from record to record.
final class FieldList {
  /// Two words per field: its start, and its length shifted left once with the
  /// "holds doubled quotes" flag in bit 0.
  private var words: UnsafeMutablePointer<Int>
  private var capacity = 64
  var count = 0

  init() { words = .allocate(capacity: 2 * 64) }
  deinit { words.deallocate() }

  @inline(__always)
  func append(start: Int, count n: Int, escaped: Bool) {
    if count == capacity {
      let grown = UnsafeMutablePointer<Int>.allocate(capacity: 4 * capacity)
      grown.update(from: words, count: 2 * capacity)
      words.deallocate()
      words = grown
      capacity *= 2
    }
    words[2 * count] = start
    words[2 * count + 1] = n << 1 | (escaped ? 1 : 0)
    count += 1
  }

  @inline(__always)
  subscript(i: Int) -> (start: Int, count: Int, escaped: Bool) {
    let packed = words[2 * i + 1]
    return (words[2 * i], packed >> 1, packed & 1 == 1)
  }
}
