/// Turns one RecordBatch message into column chunks pointing into its body.
/// Field nodes and buffers come in the schema's depth-first order; every field,
/// supported or not, consumes its share so the next field's buffers line up.
///
/// Two tiers (see DESIGN, "Errors and data safety"). The structural check, when the
/// file is opened (`deep` false), is O(columns): field nodes and buffer counts, every
/// buffer inside the body, and for an uncompressed body each column's buffers long
/// enough for its rows and aligned for its values. The full decode, when the batch is
/// first used (`deep` true), also decompresses a compressed body, checks the O(rows)
/// invariants (string offsets monotone and in bounds, dictionary indices in range)
/// and gathers utf8_view strings; its chunks are then safe to read without checks.
struct RecordBatchDecoder {
  let header: FBTable
  let body: UnsafeRawBufferPointer
  let schema: ArrowSchema
  let index: Int
  /// The dictionary of each dictionary-encoded string field, by schema field index.
  let dictionaries: [Int: ColumnDictionary]
  let deep: Bool

  private var nodes: (start: Int, count: Int) = (0, 0)
  private var buffers: (start: Int, count: Int) = (0, 0)
  private var variadic: (start: Int, count: Int) = (0, 0)
  private var nodeCursor = 0, bufferCursor = 0, variadicCursor = 0
  /// The codec of a compressed body: in a full decode, buffers are decompressed into
  /// memory that `owners` keeps.
  private(set) var codec: BodyCodec? = nil
  private(set) var owners: [AnyObject] = []
  /// Whether a full decode allocates (a compressed body, or utf8_view strings to gather).
  private(set) var allocates = false
  /// The field being decoded, for messages.
  private var fieldName = ""
  /// Whether buffers hold the values themselves, so their sizes can be checked: not
  /// in a structural check of a compressed body.
  private var sized: Bool { codec == nil || deep }

  init(_ header: FBTable, body: UnsafeRawBufferPointer, schema: ArrowSchema, index: Int,
       dictionaries: [Int: ColumnDictionary], deep: Bool) {
    self.header = header
    self.body = body
    self.schema = schema
    self.index = index
    self.dictionaries = dictionaries
    self.deep = deep
  }

  private func corrupt(_ detail: String) -> SFError {
    .corrupt("invalid record batch \(index): \(detail)")
  }

  /// One chunk per schema field; nil for fields the engine does not compute with (and,
  /// in a structural check, for utf8_view columns, gathered only in the full decode).
  mutating func decode() throws(SFError) -> [ColumnChunk?] {
    // RecordBatch: length (0), nodes (1), buffers (2), compression (3), variadicBufferCounts (4).
    if let compression = try header.table(3) {
      // BodyCompression: codec (0, LZ4_FRAME by default), method (1, BUFFER only).
      let raw: Int8 = try compression.scalar(0, default: 0)
      guard let c = BodyCodec(rawValue: raw), try compression.scalar(1, default: Int8(0)) == 0 else {
        throw corrupt("unknown body compression \(raw)")
      }
      codec = c
      allocates = true
    }
    let length = try header.scalar(0, default: Int64(0))
    guard length >= 0 else { throw corrupt("negative length \(length)") }
    nodes = try header.vector(1, elementSize: 16) ?? (0, 0)
    buffers = try header.vector(2, elementSize: 16) ?? (0, 0)
    variadic = try header.vector(4, elementSize: 8) ?? (0, 0)

    var out: [ColumnChunk?] = []
    out.reserveCapacity(schema.fields.count)
    for (f, field) in schema.fields.enumerated() {
      let node = try takeNode()
      fieldName = field.name
      guard node.length == Int(length) else {
        throw corrupt("column '\(field.name)' has \(node.length) rows, the batch \(length)")
      }
      if let dtype = field.dtype {
        if let indexType = field.dictionaryIndex?.dtype {
          out.append(try categorical(field, f, dtype, indexType, node))
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

  /// The next buffer, checked to lie inside the body; decompressed in a full decode
  /// of a compressed body unless `decompressing` is false (buffers the engine skips).
  private mutating func takeBuffer(decompressing: Bool = true) throws(SFError) -> UnsafeRawBufferPointer {
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
    guard let codec, deep, decompressing else { return stored }
    let bytes: UnsafeRawBufferPointer, owner: OwnedBytes?
    do throws(SFError) {
      (bytes, owner) = try decompress(stored, codec)
    } catch {
      let detail = "column '\(fieldName)': \(error.message)"
      throw error.code == .corrupt ? corrupt(detail) : SFError(error.code, "record batch \(index), \(detail)")
    }
    if let owner { owners.append(owner) }
    return bytes
  }

  /// The validity bitmap of a column, checked to cover its rows; nil when the column
  /// has no nulls (a bitmap's bits then mean nothing, as Arrow allows).
  private mutating func takeValidity(_ field: ArrowField, _ node: Node) throws(SFError) -> UnsafePointer<UInt8>? {
    let validity = try takeBuffer()
    guard node.nullCount > 0 else { return nil }
    let bitmapBytes = node.length / 8 + (node.length % 8 == 0 ? 0 : 1)
    guard !sized || validity.count >= bitmapBytes else {
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
    guard !overflow, !sized || values.count >= needed else {
      throw corrupt("column '\(field.name)' needs \(needed) bytes for \(n) values, its buffer has \(values.count)")
    }
    // Kernels read values as typed pointers: they must be aligned to the value's width.
    guard let base = values.baseAddress ?? body.baseAddress,
          !sized || n == 0 || Int(bitPattern: base) % dtype.byteWidth == 0 else {
      throw corrupt("column '\(field.name)' has a values buffer misaligned for \(dtype)")
    }
    return ColumnChunk(dtype: dtype, length: n, values: base, validity: validity, nullCount: node.nullCount)
  }

  /// A utf8 / large_utf8 column: validity, offsets, bytes. Offsets are checked in the
  /// full decode, once, to start at 0 or more, never decrease and end inside the bytes,
  /// so string kernels can slice without checks. (UTF-8 itself is not checked: readers of the
  /// bytes decode with repair.)
  private mutating func strings(_ field: ArrowField, _ dtype: DType, _ node: Node) throws(SFError) -> ColumnChunk {
    let validity = try takeValidity(field, node)
    let offsets = try takeBuffer()
    let data = try takeBuffer()
    let n = node.length
    let width = dtype.byteWidth
    guard n <= Int.max / 16, !sized || offsets.count >= (n == 0 ? 0 : (n + 1) * width) else {
      throw corrupt("column '\(field.name)' needs \(n + 1) offsets, its buffer has \(offsets.count) bytes")
    }
    guard let base = offsets.baseAddress ?? body.baseAddress, !sized || Int(bitPattern: base) % width == 0 else {
      throw corrupt("column '\(field.name)' has an offsets buffer misaligned for \(dtype)")
    }
    if deep && n > 0 {
      let ok = width == 4
        ? monotoneWithin(base.assumingMemoryBound(to: Int32.self), n + 1, data.count)
        : monotoneWithin(base.assumingMemoryBound(to: Int64.self), n + 1, data.count)
      guard ok else { throw corrupt("column '\(field.name)' has string offsets out of order or past its \(data.count) bytes") }
    }
    return ColumnChunk(dtype: dtype, length: n, values: data.baseAddress ?? base, validity: validity,
                       nullCount: node.nullCount, offsets: base)
  }

  /// A dictionary-encoded string column: integer indices, each present one checked
  /// (in the full decode) to point into the field's dictionary.
  private mutating func categorical(_ field: ArrowField, _ f: Int, _ dtype: DType, _ indexType: DType,
                                    _ node: Node) throws(SFError) -> ColumnChunk {
    let indices = try primitive(field, indexType, node)
    guard let dictionary = dictionaries[f] else {
      throw corrupt("column '\(field.name)' uses dictionary \(field.dictionaryID), which no dictionary batch defines")
    }
    let values = dictionary.values
    let chunk = ColumnChunk(dtype: dtype, length: indices.length, values: indices.values, validity: indices.validity,
                            nullCount: indices.nullCount, dictionary: dictionary)
    guard deep else { return chunk }
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
    return chunk
  }

  /// The data buffers of a view column: their count comes from variadicBufferCounts.
  private mutating func takeVariadicBuffers(decompressing: Bool = true) throws(SFError) -> [UnsafeRawBufferPointer] {
    guard variadicCursor < variadic.count else { throw corrupt("missing a variadic buffer count") }
    let count = try header.buffer.load(variadic.start + 8 * variadicCursor, as: Int64.self)
    variadicCursor += 1
    guard count >= 0, count <= Int64(buffers.count - bufferCursor) else {
      throw corrupt("variadic buffer count \(count) exceeds the buffers left")
    }
    var out: [UnsafeRawBufferPointer] = []
    for _ in 0..<Int(count) { out.append(try takeBuffer(decompressing: decompressing)) }
    return out
  }

  /// A utf8_view column (what polars writes): 16-byte views, each a length and either
  /// the bytes inline (up to 12) or a data buffer index and offset. Every view is
  /// checked, and the strings are gathered into large_utf8 offsets and bytes the batch
  /// owns, the one string layout the engine reads (in the full decode).
  private mutating func viewStrings(_ field: ArrowField, _ node: Node) throws(SFError) -> ColumnChunk? {
    let validity = try takeValidity(field, node)
    let views = try takeBuffer()
    let data = try takeVariadicBuffers()
    let n = node.length
    guard n <= Int.max / 16, !sized || views.count >= n * 16 else {
      throw corrupt("column '\(field.name)' needs \(n) views, its buffer has \(views.count) bytes")
    }
    allocates = true
    guard deep else { return nil }  // gathered in the full decode
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
      _ = try takeBuffer(decompressing: false); _ = try takeBuffer(decompressing: false)
    case .utf8, .binary:
      for _ in 0..<3 { _ = try takeBuffer(decompressing: false) }
    case .binaryView:
      _ = try takeBuffer(decompressing: false); _ = try takeBuffer(decompressing: false)
      _ = try takeVariadicBuffers(decompressing: false)
    case .nested(_, let own, let children):
      for _ in 0..<own { _ = try takeBuffer(decompressing: false) }
      for child in children {
        try skip(child.storedType, try takeNode(), depth: depth + 1)
      }
    }
  }
}
