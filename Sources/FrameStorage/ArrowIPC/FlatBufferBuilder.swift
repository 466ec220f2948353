/// A small FlatBuffers encoder for Arrow's IPC metadata (Schema, Message,
/// Footer): the mirror of FlatBuffers.swift, which decodes the same tables.
///
/// A message is described as a tree of `FBValue`s and laid out front to back:
/// each table is preceded by its vtable and followed by the objects it points
/// to, so every `uoffset_t` points forward as the format requires. Scalars are
/// aligned to their size relative to the buffer's start (structs of 8-byte
/// fields to 8), which the FlatBuffers verifier of other readers checks; the
/// caller places the buffer at an 8-byte boundary of the file.
indirect enum FBValue {
  /// A table; `fields[i]` is field `i` of the schema, nil when absent.
  case table([FBField?])
  /// A UTF-8 string (NUL-terminated in the buffer, as the format requires).
  case string(String)
  /// A vector of tables.
  case tables([FBValue])
  /// A vector of structs: `count` structs of `stride` bytes, already encoded little-endian.
  case structs(bytes: [UInt8], count: Int, alignment: Int)
}

/// A field of a table: an inline scalar or an offset to another object.
enum FBField {
  case scalar(bytes: [UInt8])
  case offset(FBValue)

  static func int8(_ v: UInt8) -> FBField { .scalar(bytes: [v]) }
  static func bool(_ v: Bool) -> FBField { .scalar(bytes: [v ? 1 : 0]) }
  static func int16(_ v: Int16) -> FBField { .scalar(bytes: littleEndianBytes(v)) }
  static func int32(_ v: Int32) -> FBField { .scalar(bytes: littleEndianBytes(v)) }
  static func int64(_ v: Int64) -> FBField { .scalar(bytes: littleEndianBytes(v)) }
}

func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
  withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

struct FlatBufferBuilder {
  private(set) var bytes: [UInt8] = []

  /// Encodes `root` as a whole buffer: a root offset, then the tree.
  static func encode(_ root: FBValue) -> [UInt8] {
    var b = FlatBufferBuilder()
    b.bytes = [0, 0, 0, 0]
    b.place(root, patching: 0)
    return b.bytes
  }

  private mutating func pad(to alignment: Int, plus extra: Int = 0) {
    while (bytes.count + extra) % alignment != 0 { bytes.append(0) }
  }

  private mutating func patchOffset(at position: Int, to target: Int) {
    let value = UInt32(target - position).littleEndian
    withUnsafeBytes(of: value) { raw in
      for i in 0..<4 { bytes[position + i] = raw[i] }
    }
  }

  /// Writes `value` after everything written so far and points the uoffset at `position` to it.
  private mutating func place(_ value: FBValue, patching position: Int) {
    switch value {
    case .table(let fields):
      placeTable(fields, patching: position)
    case .string(let s):
      pad(to: 4)
      let start = bytes.count
      let utf8 = Array(s.utf8)
      bytes += littleEndianBytes(UInt32(utf8.count))
      bytes += utf8
      bytes.append(0)
      patchOffset(at: position, to: start)
    case .tables(let items):
      pad(to: 4)
      let start = bytes.count
      bytes += littleEndianBytes(UInt32(items.count))
      let slots = bytes.count
      bytes += [UInt8](repeating: 0, count: 4 * items.count)
      for (i, item) in items.enumerated() { place(item, patching: slots + 4 * i) }
      patchOffset(at: position, to: start)
    case .structs(let data, let count, let alignment):
      // The length precedes the elements, which must be aligned.
      pad(to: max(4, alignment), plus: 4)
      let start = bytes.count
      bytes += littleEndianBytes(UInt32(count))
      bytes += data
      patchOffset(at: position, to: start)
    }
  }

  private mutating func placeTable(_ fields: [FBField?], patching position: Int) {
    // Inline layout: the soffset to the vtable, then scalars and offsets by falling size.
    var order: [(index: Int, size: Int)] = []
    for (i, f) in fields.enumerated() {
      switch f {
      case .scalar(let b)?: order.append((i, b.count))
      case .offset?: order.append((i, 4))
      case nil: break
      }
    }
    order.sort { $0.size != $1.size ? $0.size > $1.size : $0.index < $1.index }
    var inline: [Int: Int] = [:]  // field index -> offset in the table
    var size = 4
    for (i, s) in order {
      // The table starts 4 bytes past an 8-byte boundary (below): align table + offset.
      while (size + 4) % s != 0 { size += 1 }
      inline[i] = size
      size += s
    }
    // The vtable: its size, the table's size, one uint16 per field.
    var vtable: [UInt8] = littleEndianBytes(UInt16(4 + 2 * fields.count)) + littleEndianBytes(UInt16(size))
    for i in fields.indices { vtable += littleEndianBytes(UInt16(inline[i] ?? 0)) }
    pad(to: 2)
    let vtableStart = bytes.count
    bytes += vtable
    // The table starts where its 8-byte fields (at table + 4 + …) land on 8-byte boundaries.
    pad(to: 8, plus: 4)
    let table = bytes.count
    bytes += littleEndianBytes(Int32(table - vtableStart))
    bytes += [UInt8](repeating: 0, count: size - 4)
    var children: [(slot: Int, value: FBValue)] = []
    for (i, f) in fields.enumerated() {
      guard let f, let at = inline[i] else { continue }
      switch f {
      case .scalar(let b): for (k, byte) in b.enumerated() { bytes[table + at + k] = byte }
      case .offset(let v): children.append((table + at, v))
      }
    }
    patchOffset(at: position, to: table)
    for child in children { place(child.value, patching: child.slot) }
  }
}

/// The Arrow IPC tables (Schema.fbs, Message.fbs, File.fbs) that the writer emits,
/// with the same field numbers ArrowSchema and ArrowFileReader decode.
enum ArrowMetadata {
  /// MetadataVersion V5.
  static let version: Int16 = 4

  static func type(_ t: ArrowType) -> (tag: UInt8, table: FBValue) {
    switch t {
    case .null: return (1, .table([]))
    case .bool: return (6, .table([]))
    case .int(let bits, let signed): return (2, .table([.int32(Int32(bits)), .bool(signed)]))
    case .float(let bits): return (3, .table([.int16(bits == 16 ? 0 : bits == 32 ? 1 : 2)]))
    case .date32: return (8, .table([.int16(0)]))
    case .timestamp(let unit, let tz):
      return (10, .table([.int16(unit.rawValue), tz.map { .offset(.string($0)) }]))
    case .duration(let unit): return (18, .table([.int16(unit.rawValue)]))
    case .utf8(let large): return (large ? 20 : 5, .table([]))
    case .binary(let large): return (large ? 19 : 4, .table([]))
    case .fixedWidth, .binaryView, .nested:
      // The writer refuses these before encoding (ArrowFileWriter.init).
      return (1, .table([]))
    }
  }

  static func field(_ f: ArrowField) -> FBValue {
    let (tag, table) = type(f.type)
    // Field: name (0), nullable (1), type_type (2), type (3), dictionary (4), children (5).
    // DictionaryEncoding: id (0), indexType (1: Int), isOrdered (2).
    let dictionary: FBField? = f.dictionaryIndex.map { index in
      let (_, indexTable) = type(index)
      return .offset(.table([.int64(f.dictionaryID), .offset(indexTable), .bool(false)]))
    }
    return .table([.offset(.string(f.name)), .bool(f.nullable), .int8(tag), .offset(table), dictionary,
                   .offset(.tables([]))])
  }

  static func schema(_ fields: [ArrowField]) -> FBValue {
    // Schema: endianness (0: little), fields (1).
    .table([.int16(0), .offset(.tables(fields.map(field)))])
  }

  /// A Message: version (0), header_type (1), header (2), bodyLength (3).
  static func message(kind: UInt8, header: FBValue, bodyLength: Int64) -> FBValue {
    .table([.int16(version), .int8(kind), .offset(header), .int64(bodyLength)])
  }

  /// A RecordBatch: length (0), nodes (1: FieldNode {length, null_count}), buffers (2: Buffer {offset, length}).
  static func recordBatch(length: Int64, nodes: [(length: Int64, nulls: Int64)],
                          buffers: [(offset: Int64, length: Int64)]) -> FBValue {
    var n: [UInt8] = []
    for node in nodes { n += littleEndianBytes(node.length) + littleEndianBytes(node.nulls) }
    var b: [UInt8] = []
    for buffer in buffers { b += littleEndianBytes(buffer.offset) + littleEndianBytes(buffer.length) }
    return .table([.int64(length), .offset(.structs(bytes: n, count: nodes.count, alignment: 8)),
                   .offset(.structs(bytes: b, count: buffers.count, alignment: 8))])
  }

  /// A DictionaryBatch: id (0), data (1: a RecordBatch of the values), isDelta (2).
  static func dictionaryBatch(id: Int64, data: FBValue) -> FBValue {
    .table([.int64(id), .offset(data), .bool(false)])
  }

  /// The Footer: version (0), schema (1), dictionaries (2), recordBatches (3) as Blocks
  /// {offset: long, metaDataLength: int, (4 bytes padding), bodyLength: long}.
  static func footer(_ fields: [ArrowField], dictionaries: [ArrowFileReader.Block],
                     batches: [ArrowFileReader.Block]) -> FBValue {
    func blocks(_ list: [ArrowFileReader.Block]) -> FBField {
      var b: [UInt8] = []
      for block in list {
        b += littleEndianBytes(Int64(block.offset)) + littleEndianBytes(Int32(block.metadataLength))
        b += [0, 0, 0, 0] + littleEndianBytes(Int64(block.bodyLength))
      }
      return .offset(.structs(bytes: b, count: list.count, alignment: 8))
    }
    return .table([.int16(version), .offset(schema(fields)), blocks(dictionaries), blocks(batches)])
  }
}
