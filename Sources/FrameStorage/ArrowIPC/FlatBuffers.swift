/// A bounds-checked reader of FlatBuffers, the encoding of Arrow's IPC metadata.
/// Every offset read from the bytes is checked against the buffer before it is
/// followed, so a hostile file produces an error, never an out-of-bounds read.
/// Only what Arrow's schema needs is here: tables, scalars, strings, vectors of
/// tables and of structs, and unions.
struct FlatBuffer {
  let bytes: UnsafeRawBufferPointer
  /// What the buffer holds, for messages ("footer", "message of record batch 3").
  let what: String

  init(_ bytes: UnsafeRawBufferPointer, what: String) {
    self.bytes = bytes
    self.what = what
  }

  func corrupt(_ detail: String) -> SFError {
    .corrupt("invalid Arrow IPC \(what): \(detail)")
  }

  /// Little-endian load of `T` at `position` (unaligned), checked.
  func load<T: FixedWidthInteger>(_ position: Int, as: T.Type) throws(SFError) -> T {
    guard position >= 0, position <= bytes.count - MemoryLayout<T>.size else {
      throw corrupt("offset \(position) is outside its \(bytes.count) bytes")
    }
    return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
  }

  /// The table a `uoffset_t` at `position` points to.
  func table(at position: Int) throws(SFError) -> FBTable {
    let target = position + Int(try load(position, as: UInt32.self))
    return try FBTable(self, position: target)
  }

  /// The root table of the buffer.
  func root() throws(SFError) -> FBTable { try table(at: 0) }
}

/// A table: a position in the buffer and its vtable, both checked.
struct FBTable {
  let buffer: FlatBuffer
  let position: Int
  private let vtable: Int
  private let vtableSize: Int

  init(_ buffer: FlatBuffer, position: Int) throws(SFError) {
    self.buffer = buffer
    self.position = position
    let relative = Int(try buffer.load(position, as: Int32.self))
    vtable = position - relative
    let size = Int(try buffer.load(vtable, as: UInt16.self))
    guard size >= 4, size % 2 == 0, vtable + size <= buffer.bytes.count else {
      throw buffer.corrupt("a vtable of \(size) bytes at \(vtable) does not fit")
    }
    vtableSize = size
  }

  /// The absolute position of field `index`, or nil when the field is absent.
  private func field(_ index: Int) throws(SFError) -> Int? {
    let entry = 4 + 2 * index
    guard entry + 2 <= vtableSize else { return nil }
    let offset = Int(try buffer.load(vtable + entry, as: UInt16.self))
    return offset == 0 ? nil : position + offset
  }

  func scalar<T: FixedWidthInteger>(_ index: Int, default value: T) throws(SFError) -> T {
    guard let p = try field(index) else { return value }
    return try buffer.load(p, as: T.self)
  }

  func bool(_ index: Int, default value: Bool = false) throws(SFError) -> Bool {
    try scalar(index, default: UInt8(value ? 1 : 0)) != 0
  }

  func table(_ index: Int) throws(SFError) -> FBTable? {
    guard let p = try field(index) else { return nil }
    return try buffer.table(at: p)
  }

  func string(_ index: Int) throws(SFError) -> String? {
    guard let (start, count) = try vector(index, elementSize: 1) else { return nil }
    return String(decoding: UnsafeRawBufferPointer(rebasing: buffer.bytes[start..<(start + count)]), as: UTF8.self)
  }

  /// The start and element count of a vector field whose elements are `elementSize` bytes.
  func vector(_ index: Int, elementSize: Int) throws(SFError) -> (start: Int, count: Int)? {
    guard let p = try field(index) else { return nil }
    let at = p + Int(try buffer.load(p, as: UInt32.self))
    let count = Int(try buffer.load(at, as: UInt32.self))
    let start = at + 4
    guard count <= (buffer.bytes.count - start) / elementSize else {
      throw buffer.corrupt("a vector of \(count) elements at \(at) does not fit")
    }
    return (start, count)
  }

  /// The tables of a vector-of-tables field (empty when absent).
  func tables(_ index: Int) throws(SFError) -> [FBTable] {
    guard let (start, count) = try vector(index, elementSize: 4) else { return [] }
    var out: [FBTable] = []
    out.reserveCapacity(count)
    for i in 0..<count { out.append(try buffer.table(at: start + 4 * i)) }
    return out
  }

  /// A union field: its type tag (field `index`) and value table (field `index + 1`).
  func union(_ index: Int) throws(SFError) -> (type: UInt8, table: FBTable?) {
    let type: UInt8 = try scalar(index, default: 0)
    return (type, type == 0 ? nil : try table(index + 1))
  }
}
