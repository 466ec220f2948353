#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A guard in front of a libhdf5 bug: Debian 12's libhdf5 (1.10.8) loops forever, or reads
/// past its buffer, when it parses a damaged global heap collection (the "GCOL" blocks
/// that hold variable-length strings, such as vaex's `column_order` attribute). Before
/// any such string is read, every collection in the file's bytes outside the contiguous
/// column data is walked here the way libhdf5 walks it, and a walk that would not advance
/// or would leave the collection makes the file corrupt.
enum GlobalHeapCheck {
  static let signature: [UInt8] = Array("GCOL".utf8)

  /// Checks the collections in `bytes`, skipping `skip` (sorted, non-overlapping byte
  /// ranges of column data, which the search for signatures need not touch).
  static func check(_ bytes: UnsafeRawBufferPointer, skipping skip: [Range<Int>]) throws(SFError) {
    var start = 0
    for range in skip + [bytes.count..<bytes.count] {
      let end = max(start, min(range.lowerBound, bytes.count))
      try scan(bytes, start..<end)
      start = max(start, min(range.upperBound, bytes.count))
    }
  }

  private static func scan(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws(SFError) {
    guard let base = bytes.baseAddress, range.count >= 4 else { return }
    var at = range.lowerBound
    while at <= range.upperBound - 4 {
      guard let found = memchr(base + at, Int32(signature[0]), range.upperBound - 3 - at) else { return }
      let offset = UnsafeRawPointer(found) - base
      if bytes[offset + 1] == signature[1], bytes[offset + 2] == signature[2], bytes[offset + 3] == signature[3] {
        try collection(bytes, at: offset)
      }
      at = offset + 1
    }
  }

  /// One collection: "GCOL", version 1, 3 reserved bytes, its size (8 bytes), then
  /// objects (index 2, references 2, reserved 4, size 8, data padded to 8 bytes); object 0
  /// is the free space and its size counts its own header.
  private static func collection(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SFError) {
    guard offset <= bytes.count - 16, bytes[offset + 4] == 1 else { return }  // not a collection header
    let size = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self).littleEndian
    guard size >= 16, size <= UInt64(bytes.count - offset) else {
      throw .corrupt("the global heap collection at byte \(offset) claims \(size) bytes")
    }
    let end = offset + Int(size)
    var p = offset + 16
    while p < end {
      if p + 16 > end { break }  // too small for an object header: free space
      let index = bytes.loadUnaligned(fromByteOffset: p, as: UInt16.self).littleEndian
      let objectSize = bytes.loadUnaligned(fromByteOffset: p + 8, as: UInt64.self).littleEndian
      guard objectSize <= UInt64(end - p) else {
        throw .corrupt("an object of the global heap collection at byte \(offset) runs past its end")
      }
      let need = index > 0 ? 16 + (Int(objectSize) + 7) & ~7 : Int(objectSize)
      guard need > 0, need <= end - p else {
        throw .corrupt("the global heap collection at byte \(offset) is damaged")
      }
      p += need
    }
  }
}
