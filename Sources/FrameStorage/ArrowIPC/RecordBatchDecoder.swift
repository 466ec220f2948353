/// Turns one RecordBatch message into column chunks pointing into its body.
/// Field nodes and buffers come in the schema's depth-first order; every field,
/// supported or not, consumes its share so the next field's buffers line up.
/// Each buffer is checked to lie in the body, and each column the engine reads
/// to have buffers long enough for its rows and aligned for its values.
struct RecordBatchDecoder {
  let header: FBTable
  let body: UnsafeRawBufferPointer
  let schema: ArrowSchema
  let index: Int
  /// Dictionary values by id, for dictionary-encoded string fields.
  let dictionaries: [Int64: ColumnChunk]

  private var nodes: (start: Int, count: Int) = (0, 0)
  private var buffers: (start: Int, count: Int) = (0, 0)
  private var variadic: (start: Int, count: Int) = (0, 0)
  private var nodeCursor = 0, bufferCursor = 0, variadicCursor = 0
  /// The codec of a compressed body: buffers are then decompressed into memory
  /// that `owners` keeps (the batch is held decompressed while the table lives).
  private var codec: BodyCodec? = nil
  private(set) var owners: [AnyObject] = []

  init(_ header: FBTable, body: UnsafeRawBufferPointer, schema: ArrowSchema, index: Int,
       dictionaries: [Int64: ColumnChunk]) {
    self.header = header
    self.body = body
    self.schema = schema
    self.index = index
    self.dictionaries = dictionaries
  }

  private func corrupt(_ detail: String) -> SFError {
    .corrupt("invalid record batch \(index): \(detail)")
  }

  /// One chunk per schema field; nil for fields the engine does not compute with.
  mutating func decode() throws(SFError) -> [ColumnChunk?] {
    // RecordBatch: length (0), nodes (1), buffers (2), compression (3), variadicBufferCounts (4).
    if let compression = try header.table(3) {
      // BodyCompression: codec (0, LZ4_FRAME by default), method (1, BUFFER only).
      let raw: Int8 = try compression.scalar(0, default: 0)
      guard let c = BodyCodec(rawValue: raw), try compression.scalar(1, default: Int8(0)) == 0 else {
        throw corrupt("unknown body compression \(raw)")
      }
      codec = c
    }
    let length = try header.scalar(0, default: Int64(0))
    guard length >= 0 else { throw corrupt("negative length \(length)") }
    nodes = try header.vector(1, elementSize: 16) ?? (0, 0)
    buffers = try header.vector(2, elementSize: 16) ?? (0, 0)
    variadic = try header.vector(4, elementSize: 8) ?? (0, 0)

    var out: [ColumnChunk?] = []
    out.reserveCapacity(schema.fields.count)
    for field in schema.fields {
      let node = try takeNode()
      guard node.length == Int(length) else {
        throw corrupt("column '\(field.name)' has \(node.length) rows, the batch \(length)")
      }
      if let dtype = field.dtype {
        if let indexType = field.dictionaryIndex?.dtype {
          out.append(try categorical(field, dtype, indexType, node))
        } else if case .binaryView = field.type {
          out.append(try viewStrings(field, node))
        } else {
          out.append(try dtype.isString ? strings(field, dtype, node) : primitive(field, dtype, node))
        }
      } else {
        try skip(field.storedType, node, depth: 0)
        out.append(nil)
      }
    }
    guard nodeCursor == nodes.count, bufferCursor == buffers.count else {
      throw corrupt("\(nodes.count) field nodes and \(buffers.count) buffers, the schema uses \(nodeCursor) and \(bufferCursor)")
    }
    return out
  }

  private struct Node { let length: Int, nullCount: Int }

  private mutating func takeNode() throws(SFError) -> Node {
    guard nodeCursor < nodes.count else { throw corrupt("fewer field nodes than the schema has fields") }
    // struct FieldNode { length: long; null_count: long }
    let p = nodes.start + 16 * nodeCursor
    nodeCursor += 1
    let length = try header.buffer.load(p, as: Int64.self)
    let nulls = try header.buffer.load(p + 8, as: Int64.self)
    guard length >= 0, nulls >= 0, nulls <= length else {
      throw corrupt("a field node with length \(length) and null count \(nulls)")
    }
    return Node(length: Int(length), nullCount: Int(nulls))
  }

  /// The next buffer, checked to lie inside the body.
  private mutating func takeBuffer() throws(SFError) -> UnsafeRawBufferPointer {
    guard bufferCursor < buffers.count else { throw corrupt("fewer buffers than the schema needs") }
    // struct Buffer { offset: long; length: long }
    let p = buffers.start + 16 * bufferCursor
    bufferCursor += 1
    let offset = try header.buffer.load(p, as: Int64.self)
    let length = try header.buffer.load(p + 8, as: Int64.self)
    guard offset >= 0, length >= 0, offset <= Int64(body.count), length <= Int64(body.count) - offset else {
      throw corrupt("buffer at \(offset) of \(length) bytes is outside the body of \(body.count) bytes")
    }
    let stored = UnsafeRawBufferPointer(rebasing: body[Int(offset)..<Int(offset + length)])
    guard let codec else { return stored }
    let (bytes, owner) = try decompress(stored, codec)
    if let owner { owners.append(owner) }
    return bytes
  }

  /// The validity bitmap of a column, checked to cover its rows; nil when the column
  /// has no nulls (a bitmap's bits then mean nothing, as Arrow allows).
  private mutating func takeValidity(_ field: ArrowField, _ node: Node) throws(SFError) -> UnsafePointer<UInt8>? {
    let validity = try takeBuffer()
    guard node.nullCount > 0 else { return nil }
    let bitmapBytes = node.length / 8 + (node.length % 8 == 0 ? 0 : 1)
    guard validity.count >= bitmapBytes else {
      throw corrupt("column '\(field.name)' has \(node.nullCount) nulls but a validity bitmap of \(validity.count) bytes")
    }
    return validity.baseAddress?.assumingMemoryBound(to: UInt8.self)
  }

  /// A column of fixed-width values (bit-packed for bool) and its validity bitmap.
  private mutating func primitive(_ field: ArrowField, _ dtype: DType, _ node: Node) throws(SFError) -> ColumnChunk {
    let validity = try takeValidity(field, node)
    let values = try takeBuffer()
    let n = node.length
    let bitmapBytes = n / 8 + (n % 8 == 0 ? 0 : 1)
    let (bytes, overflow) = n.multipliedReportingOverflow(by: dtype.byteWidth)
    let needed = dtype == .bool ? bitmapBytes : bytes
    guard !overflow, values.count >= needed else {
      throw corrupt("column '\(field.name)' needs \(needed) bytes for \(n) values, its buffer has \(values.count)")
    }
    // Kernels read values as typed pointers: they must be aligned to the value's width.
    guard let base = values.baseAddress ?? body.baseAddress,
          n == 0 || Int(bitPattern: base) % dtype.byteWidth == 0 else {
      throw corrupt("column '\(field.name)' has a values buffer misaligned for \(dtype)")
    }
    return ColumnChunk(dtype: dtype, length: n, values: base, validity: validity, nullCount: node.nullCount)
  }

  /// A utf8 / large_utf8 column: validity, offsets, bytes. Offsets are checked here,
  /// once, to start at 0 or more, never decrease and end inside the bytes, so string
  /// kernels can slice without checks. (UTF-8 itself is not checked: readers of the
  /// bytes decode with repair.)
  private mutating func strings(_ field: ArrowField, _ dtype: DType, _ node: Node) throws(SFError) -> ColumnChunk {
    let validity = try takeValidity(field, node)
    let offsets = try takeBuffer()
    let data = try takeBuffer()
    let n = node.length
    let width = dtype.byteWidth
    guard n <= Int.max / 16, offsets.count >= (n == 0 ? 0 : (n + 1) * width) else {
      throw corrupt("column '\(field.name)' needs \(n + 1) offsets, its buffer has \(offsets.count) bytes")
    }
    guard let base = offsets.baseAddress ?? body.baseAddress, Int(bitPattern: base) % width == 0 else {
      throw corrupt("column '\(field.name)' has an offsets buffer misaligned for \(dtype)")
    }
    if n > 0 {
      let ok = width == 4
        ? monotoneWithin(base.assumingMemoryBound(to: Int32.self), n + 1, data.count)
        : monotoneWithin(base.assumingMemoryBound(to: Int64.self), n + 1, data.count)
      guard ok else { throw corrupt("column '\(field.name)' has string offsets out of order or past its \(data.count) bytes") }
    }
    return ColumnChunk(dtype: dtype, length: n, values: data.baseAddress ?? base, validity: validity,
                       nullCount: node.nullCount, offsets: base)
  }

  /// A dictionary-encoded string column: integer indices, each present one checked
  /// to point into the field's dictionary.
  private mutating func categorical(_ field: ArrowField, _ dtype: DType, _ indexType: DType,
                                    _ node: Node) throws(SFError) -> ColumnChunk {
    let indices = try primitive(field, indexType, node)
    guard let values = dictionaries[field.dictionaryID] else {
      throw corrupt("column '\(field.name)' uses dictionary \(field.dictionaryID), which no dictionary batch defines")
    }
    struct Check: IndexVisitor {
      let chunk: ColumnChunk, limit: Int
      func visit<T: FixedWidthInteger>(_: T.Type) -> Bool {
        let p = chunk.values.assumingMemoryBound(to: T.self)
        var ok = true
        for i in 0..<chunk.length {
          let present = chunk.validity.map { ($0[i >> 3] >> UInt8(i & 7)) & 1 == 1 } ?? true
          ok = ok && (!present || (p[i] >= 0 && UInt64(truncatingIfNeeded: p[i]) < UInt64(limit)))
        }
        return ok
      }
    }
    guard indexType.visitIndex(Check(chunk: indices, limit: values.length)) else {
      throw corrupt("column '\(field.name)' has dictionary indices outside its \(values.length) values")
    }
    return ColumnChunk(dtype: dtype, length: indices.length, values: indices.values, validity: indices.validity,
                       nullCount: indices.nullCount, dictionary: ColumnDictionary(values: values, indexType: indexType))
  }

  /// The data buffers of a view column: their count comes from variadicBufferCounts.
  private mutating func takeVariadicBuffers() throws(SFError) -> [UnsafeRawBufferPointer] {
    guard variadicCursor < variadic.count else { throw corrupt("missing a variadic buffer count") }
    let count = try header.buffer.load(variadic.start + 8 * variadicCursor, as: Int64.self)
    variadicCursor += 1
    guard count >= 0, count <= Int64(buffers.count - bufferCursor) else {
      throw corrupt("variadic buffer count \(count) exceeds the buffers left")
    }
    var out: [UnsafeRawBufferPointer] = []
    for _ in 0..<Int(count) { out.append(try takeBuffer()) }
    return out
  }

  /// A utf8_view column (what polars writes): 16-byte views, each a length and either
  /// the bytes inline (up to 12) or a data buffer index and offset. Every view is
  /// checked, and the strings are gathered into large_utf8 offsets and bytes the table
  /// owns, the one string layout the engine reads.
  private mutating func viewStrings(_ field: ArrowField, _ node: Node) throws(SFError) -> ColumnChunk {
    let validity = try takeValidity(field, node)
    let views = try takeBuffer()
    let data = try takeVariadicBuffers()
    let n = node.length
    guard n <= Int.max / 16, views.count >= n * 16 else {
      throw corrupt("column '\(field.name)' needs \(n) views, its buffer has \(views.count) bytes")
    }
    func present(_ i: Int) -> Bool { validity.map { ($0[i >> 3] >> UInt8(i & 7)) & 1 == 1 } ?? true }
    func view(_ i: Int) throws(SFError) -> UnsafeRawBufferPointer {
      let length = Int(Int32(littleEndian: views.loadUnaligned(fromByteOffset: 16 * i, as: Int32.self)))
      guard length >= 0 else { throw corrupt("column '\(field.name)' has a view of negative length") }
      if length <= 12 {
        return UnsafeRawBufferPointer(rebasing: views[(16 * i + 4)..<(16 * i + 4 + length)])
      }
      let buffer = Int(Int32(littleEndian: views.loadUnaligned(fromByteOffset: 16 * i + 8, as: Int32.self)))
      let offset = Int(Int32(littleEndian: views.loadUnaligned(fromByteOffset: 16 * i + 12, as: Int32.self)))
      guard buffer >= 0, buffer < data.count, offset >= 0, length <= data[buffer].count - offset else {
        throw corrupt("column '\(field.name)' has a view outside its data buffers")
      }
      return UnsafeRawBufferPointer(rebasing: data[buffer][offset..<(offset + length)])
    }
    var total = 0
    for i in 0..<n where present(i) {
      let (sum, overflow) = total.addingReportingOverflow(try view(i).count)
      guard !overflow else { throw corrupt("column '\(field.name)' claims more string bytes than memory holds") }
      total = sum
    }
    let offsets = try OwnedBytes(count: (n + 1) * 8, for: "the offsets of column '\(field.name)'")
    let bytes = try OwnedBytes(count: total, for: "the strings of column '\(field.name)'")
    let o = offsets.pointer.assumingMemoryBound(to: Int64.self)
    var at = 0
    o[0] = 0
    for i in 0..<n {
      if present(i) {
        let v = try view(i)
        if let base = v.baseAddress { (bytes.pointer + at).copyMemory(from: base, byteCount: v.count) }
        at += v.count
      }
      o[i + 1] = Int64(at)
    }
    owners.append(offsets)
    owners.append(bytes)
    return ColumnChunk(dtype: .largeString, length: n, values: UnsafeRawPointer(bytes.pointer), validity: validity,
                       nullCount: node.nullCount, offsets: UnsafeRawPointer(offsets.pointer))
  }

  private func monotoneWithin<T: FixedWidthInteger>(_ p: UnsafePointer<T>, _ count: Int, _ limit: Int) -> Bool {
    guard p[0] >= 0 else { return false }
    var ok = true
    for i in 1..<count { ok = ok && p[i] >= p[i - 1] }
    return ok && Int64(p[count - 1]) <= Int64(limit)
  }

  /// Consumes the buffers and child nodes of a field the engine does not read.
  private mutating func skip(_ type: ArrowType, _ node: Node, depth: Int) throws(SFError) {
    guard depth < ArrowSchema.maxDepth else { throw corrupt("fields nested too deeply") }
    switch type {
    case .null:
      break
    case .bool, .int, .float, .date32, .timestamp, .duration, .fixedWidth:
      _ = try takeBuffer(); _ = try takeBuffer()
    case .utf8, .binary:
      _ = try takeBuffer(); _ = try takeBuffer(); _ = try takeBuffer()
    case .binaryView:
      _ = try takeBuffer(); _ = try takeBuffer()
      _ = try takeVariadicBuffers()
    case .nested(_, let own, let children):
      for _ in 0..<own { _ = try takeBuffer() }
      for child in children {
        try skip(child.storedType, try takeNode(), depth: depth + 1)
      }
    }
  }
}
