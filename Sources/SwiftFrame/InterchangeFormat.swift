#if canImport(Glibc)
import Glibc
#endif
import CSwiftFrame
import Synchronization

// The Arrow C Data Interface (arrow_c_data.h): how each dtype is described and
// laid out. A new fixed-width dtype is one more entry in `arrowFormats`; a new
// layout (string offsets, dictionary indices) is one more case in `arrowLayout`
// and in `fillColumn` (export) and `importChunk` (import). A dtype without an
// entry is refused by the export and listed as unsupported by the import.

/// Exported Arrow structures (streams, schemas, arrays) not yet released by their consumer.
public let arrowLiveExports = Atomic<Int>(0)
/// Imported Arrow arrays the library still holds (released when their table dies).
public let arrowLiveImports = Atomic<Int>(0)

/// Rows per exported record batch unless the caller asks otherwise (the table's
/// record batches are cut at this size; 16 chunks of a pass).
public let arrowBatchRows = 1 << 20

/// How an Arrow array of a dtype is laid out in buffers.
enum ArrowLayout {
  /// Validity, then values: `byteWidth` bytes each, or bits for bool.
  case fixedWidth
  /// Validity, offsets (int32 for utf8, int64 for large_utf8), then the bytes.
  case string

  var bufferCount: Int {
    switch self {
    case .fixedWidth: 2
    case .string: 3
    }
  }
}

extension DType {
  /// The Arrow C format string of each dtype the interchange handles, and its layout.
  static let arrowFormats: [(dtype: DType, format: String, layout: ArrowLayout)] = [
    (.bool, "b", .fixedWidth),
    (.int8, "c", .fixedWidth), (.int16, "s", .fixedWidth), (.int32, "i", .fixedWidth), (.int64, "l", .fixedWidth),
    (.uint8, "C", .fixedWidth), (.uint16, "S", .fixedWidth), (.uint32, "I", .fixedWidth), (.uint64, "L", .fixedWidth),
    (.float32, "f", .fixedWidth), (.float64, "g", .fixedWidth),
    (.date32, "tdD", .fixedWidth),
    (.timestampS, "tss:", .fixedWidth), (.timestampMS, "tsm:", .fixedWidth),
    (.timestampUS, "tsu:", .fixedWidth), (.timestampNS, "tsn:", .fixedWidth),
    (.durationS, "tDs", .fixedWidth), (.durationMS, "tDm", .fixedWidth),
    (.durationUS, "tDu", .fixedWidth), (.durationNS, "tDn", .fixedWidth),
    (.string, "u", .string), (.largeString, "U", .string),
  ]

  /// The Arrow C Data Interface format string; nil for a dtype the interchange does not handle yet.
  public var arrowFormat: String? { DType.arrowFormats.first { $0.dtype == self }?.format }

  var arrowLayout: ArrowLayout? { DType.arrowFormats.first { $0.dtype == self }?.layout }

  /// The dtype of an Arrow format string, nil for a type the engine cannot compute with.
  /// A timestamp's format carries its time zone after the colon ("tsu:Europe/Paris").
  public init?(arrowFormat: String) {
    let base = arrowFormat.hasPrefix("ts") && arrowFormat.count >= 4
      ? String(arrowFormat.prefix(4)) : arrowFormat
    guard let t = DType.arrowFormats.first(where: { $0.format == base })?.dtype else { return nil }
    self = t
  }

  /// The time zone in a timestamp's Arrow format, nil when naive (or not a timestamp).
  static func arrowTimezone(_ format: String) -> String? {
    guard format.hasPrefix("ts"), format.count > 4 else { return nil }
    return String(format.dropFirst(4))
  }
}

// MARK: Bitmaps

/// Unset bits among bits `offset ..< offset + count` of an Arrow bitmap.
func countUnsetBits(_ bitmap: UnsafePointer<UInt8>, offset: Int, count: Int) -> Int {
  var set = 0, bit = offset, end = offset + count
  while bit < end && bit & 7 != 0 {
    set += Int((bitmap[bit >> 3] >> UInt8(bit & 7)) & 1)
    bit += 1
  }
  while bit + 64 <= end {
    set += UnsafeRawPointer(bitmap + (bit >> 3)).loadUnaligned(as: UInt64.self).nonzeroBitCount
    bit += 64
  }
  while bit + 8 <= end {
    set += bitmap[bit >> 3].nonzeroBitCount
    bit += 8
  }
  while bit < end {
    set += Int((bitmap[bit >> 3] >> UInt8(bit & 7)) & 1)
    bit += 1
  }
  return count - set
}

/// Packs `count` bytes (0 or non-zero) into an Arrow bitmap, LSB first; the tail of the last byte is zero.
func packBits(_ bytes: UnsafePointer<UInt8>, count: Int, into out: UnsafeMutablePointer<UInt8>) {
  let full = count >> 3
  for j in 0..<full {
    let b = bytes + j * 8
    var v: UInt8 = 0
    for k in 0..<8 where b[k] != 0 { v |= 1 << UInt8(k) }
    out[j] = v
  }
  if count & 7 != 0 {
    var v: UInt8 = 0
    for k in 0..<(count & 7) where bytes[full * 8 + k] != 0 { v |= 1 << UInt8(k) }
    out[full] = v
  }
}

// MARK: errno

extension SFError {
  /// The errno-style code a stream callback returns for this error.
  var errno: Int32 {
    switch code {
    case .io, .corrupt: EIO
    case .outOfMemory: ENOMEM
    case .cancelled: ECANCELED
    case .notFound: ENOENT
    case .argument, .expression, .type, .name: EINVAL
    }
  }
}
