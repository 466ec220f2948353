/// Opens Arrow IPC data by mapping it: the random-access "file" format (`ARROW1`,
/// messages, a footer, `ARROW1`) and the "stream" format (messages one after the
/// other, up to an end-of-stream marker or the end of the file). Opening reads only
/// metadata (and the small dictionary batches): every block, message and buffer is
/// checked against the file's size, so the columns handed out point only at bytes
/// that exist. Record batches are decompressed and fully checked a batch at a time
/// when a pass first needs them (ArrowBatchLoader).
public enum ArrowFileReader {
  static let magic: [UInt8] = Array("ARROW1".utf8)

  public static func open(path: String) throws(SFError) -> Table {
    let file = try MappedFile(path: path)
    do {
      return try read(file)
    } catch {
      throw SFError(error.code, "'\(path)': \(error.message)")
    }
  }

  static func read(_ file: MappedFile) throws(SFError) -> Table {
    let bytes = file.bytes
    let size = bytes.count
    if size >= 4, bytes.loadUnaligned(as: UInt32.self) == 0xFFFF_FFFF {
      return try readStream(file)
    }
    // Leading magic padded to 8 bytes, trailing footer length (int32) and magic.
    guard size >= 8 + 4 + 6, hasMagic(bytes, at: 0), hasMagic(bytes, at: size - 6) else {
      throw .corrupt("not an Arrow IPC file or stream (no ARROW1 magic at both ends, no stream message at the start)")
    }
    let footerLength = Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: size - 10, as: Int32.self)))
    let footerEnd = size - 10
    guard footerLength > 0, footerLength <= footerEnd - 8 else {
      throw .corrupt("footer length \(footerLength) does not fit in a file of \(size) bytes")
    }
    let footerStart = footerEnd - footerLength
    let footer = try FlatBuffer(UnsafeRawBufferPointer(rebasing: bytes[footerStart..<footerEnd]), what: "footer").root()
    // Footer: version (0), schema (1), dictionaries (2), recordBatches (3).
    let version: Int16 = try footer.scalar(0, default: 0)
    guard let schemaTable = try footer.table(1) else { throw .corrupt("the footer has no schema") }
    let schema = try ArrowSchema(schemaTable, version: version)
    // Messages live between the leading magic and the footer.
    let area = UnsafeRawBufferPointer(rebasing: bytes[0..<footerStart])
    var dictionaries: [Int64: ColumnChunk] = [:]
    var owners: [AnyObject] = []
    for (d, block) in try blocks(footer, 2).enumerated() {
      let (header, body) = try message(in: area, block, expect: .dictionaryBatch)
      try readDictionary(header, body, schema, index: d, into: &dictionaries, owners: &owners)
    }
    var batches: [Message] = []
    for block in try blocks(footer, 3) {
      let (header, body) = try message(in: area, block, expect: .recordBatch)
      batches.append(Message(header: header, body: body, dictionaries: dictionaries))
    }
    return try table(file, schema, batches, owners: owners)
  }

  /// The stream format: a schema message, then dictionary and record batch messages.
  static func readStream(_ file: MappedFile) throws(SFError) -> Table {
    let bytes = file.bytes
    var position = 0
    var schema: ArrowSchema? = nil
    var batches: [Message] = []
    var dictionaries: [Int64: ColumnChunk] = [:]  // the latest of each id, as the stream goes
    var owners: [AnyObject] = []
    while position <= bytes.count - 8 {
      // Each message: 0xFFFFFFFF, its metadata length (0 ends the stream), metadata, body.
      guard bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self) == 0xFFFF_FFFF else {
        throw .corrupt("no message marker at byte \(position) of the stream")
      }
      let length = Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: position + 4, as: Int32.self)))
      if length == 0 { break }
      guard length > 0, length <= bytes.count - position - 8 else {
        throw .corrupt("a message of \(length) bytes at byte \(position) does not fit in the stream")
      }
      let block = Block(offset: position, metadataLength: 8 + length, bodyLength: bytes.count - position - 8 - length)
      let (kind, header, body) = try message(in: bytes, block, minOffset: 0)
      switch kind {
      case .schema:
        guard schema == nil else { throw .corrupt("a second schema message at byte \(position)") }
        schema = try ArrowSchema(header, version: 4)
      case .recordBatch:
        guard schema != nil else { throw .corrupt("a record batch before the schema") }
        batches.append(Message(header: header, body: body, dictionaries: dictionaries))
      case .dictionaryBatch:
        guard let schema else { throw .corrupt("a dictionary batch before the schema") }
        try readDictionary(header, body, schema, index: batches.count, into: &dictionaries, owners: &owners)
      }
      position = block.offset + block.metadataLength + body.count
    }
    guard let schema else { throw .corrupt("the stream has no schema message") }
    return try table(file, schema, batches, owners: owners)
  }

  /// A record batch message: its header, body and the dictionaries in force for it.
  struct Message {
    let header: FBTable
    let body: UnsafeRawBufferPointer
    let dictionaries: [Int64: ColumnChunk]
  }

  /// Decodes a DictionaryBatch whose values the engine reads (strings) into `dictionaries`;
  /// dictionaries of other value types are left alone (their columns are unsupported).
  private static func readDictionary(_ header: FBTable, _ body: UnsafeRawBufferPointer, _ schema: ArrowSchema,
                                     index: Int, into dictionaries: inout [Int64: ColumnChunk],
                                     owners: inout [AnyObject]) throws(SFError) {
    // DictionaryBatch: id (0), data (1), isDelta (2).
    let id: Int64 = try header.scalar(0, default: 0)
    guard let field = schema.fields.first(where: { $0.dictionaryIndex != nil && $0.dictionaryID == id }),
          field.dtype != nil else { return }
    guard try !header.bool(2) else {
      throw .corrupt("delta dictionary batches (dictionary \(id)) are not supported")
    }
    guard let data = try header.table(1) else { throw .corrupt("dictionary batch \(index) has no data") }
    let values = ArrowSchema(fields: [ArrowField(name: field.name, nullable: true, type: field.type,
                                                 dictionaryIndex: nil)], version: schema.version)
    var decoder = RecordBatchDecoder(data, body: body, schema: values, index: index, dictionaries: [:], deep: true)
    guard let chunk = try decoder.decode()[0] else { return }
    dictionaries[id] = chunk
    owners.append(contentsOf: decoder.owners)
  }

  /// The table of the schema's supported columns over the record batches' bodies, each
  /// batch checked structurally here and loaded on first use.
  private static func table(_ file: MappedFile, _ schema: ArrowSchema, _ messages: [Message],
                            owners dictionaryOwners: [AnyObject]) throws(SFError) -> Table {
    var supported: [(index: Int, field: Field, dtype: DType)] = []
    var unsupported: [(name: String, arrowType: String)] = []
    for (i, f) in schema.fields.enumerated() {
      if let t = f.dtype {
        supported.append((i, Field(name: f.name, dtype: t, nullable: f.nullable, timezone: f.type.timezone,
                                   categorical: f.dictionaryIndex != nil), t))
      } else {
        unsupported.append((f.name, f.dictionaryIndex == nil ? f.type.name : "dictionary<\(f.type.name)>"))
      }
    }
    // A batch may claim rows that no buffer backs (no columns, null columns): bound
    // the total so that planning a pass over it stays small.
    let maxRows = 8 * file.bytes.count + (1 << 32)
    var batches: [RecordBatch] = []
    var rows = 0
    for (b, m) in messages.enumerated() {
      // The dictionaries in force for this batch, by schema field.
      var dictionaries: [Int: ColumnDictionary] = [:]
      for (i, f) in schema.fields.enumerated() {
        if f.dtype != nil, let indexType = f.dictionaryIndex?.dtype, let values = m.dictionaries[f.dictionaryID] {
          dictionaries[i] = ColumnDictionary(values: values, indexType: indexType)
        }
      }
      var check = RecordBatchDecoder(m.header, body: m.body, schema: schema, index: b, dictionaries: dictionaries,
                                     deep: false)
      _ = try check.decode()
      let length = Int(try m.header.scalar(0, default: Int64(0)))  // checked >= 0 by the decoder
      guard length <= maxRows - rows else {
        throw .corrupt("record batches claim more rows than the file can hold")
      }
      rows += length
      let loader = ArrowBatchLoader(file: file, dictionaryOwners: dictionaryOwners, header: m.header, body: m.body,
                                    schema: schema, index: b,
                                    dictionaries: dictionaries, columns: supported.map(\.index),
                                    allocates: check.allocates)
      batches.append(RecordBatch(length: length, dictionaries: supported.map { dictionaries[$0.index] },
                                 loader: loader))
    }
    return Table(fields: supported.map(\.field), batches: batches, source: file.path,
                 unsupported: unsupported, owners: dictionaryOwners, files: [file])
  }

  private static func hasMagic(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
    magic.indices.allSatisfy { bytes[offset + $0] == magic[$0] }
  }

  /// A Block of the footer: where a message starts, its metadata length and its body length.
  struct Block {
    let offset: Int, metadataLength: Int, bodyLength: Int
  }

  private static func blocks(_ footer: FBTable, _ index: Int) throws(SFError) -> [Block] {
    // struct Block { offset: long; metaDataLength: int; (pad 4); bodyLength: long } = 24 bytes.
    guard let (start, count) = try footer.vector(index, elementSize: 24) else { return [] }
    var out: [Block] = []
    out.reserveCapacity(count)
    for i in 0..<count {
      let p = start + 24 * i
      out.append(Block(offset: Int(try footer.buffer.load(p, as: Int64.self)),
                       metadataLength: Int(try footer.buffer.load(p + 8, as: Int32.self)),
                       bodyLength: Int(try footer.buffer.load(p + 16, as: Int64.self))))
    }
    return out
  }

  enum MessageKind: UInt8 {
    case schema = 1, dictionaryBatch = 2, recordBatch = 3
  }

  /// The header table of the message a block points to, and the message's body,
  /// checked to be a message of kind `kind`.
  private static func message(in file: UnsafeRawBufferPointer, _ block: Block,
                              expect kind: MessageKind) throws(SFError) -> (FBTable, UnsafeRawBufferPointer) {
    let (found, header, body) = try message(in: file, block, minOffset: 8)
    guard found == kind else { throw .corrupt("expected a \(kind) message, found a \(found) message") }
    return (header, body)
  }

  /// The kind, header table and body of the message a block points to. The body is
  /// as long as the message says, and must fit in the block.
  private static func message(in file: UnsafeRawBufferPointer, _ block: Block,
                              minOffset: Int) throws(SFError) -> (MessageKind, FBTable, UnsafeRawBufferPointer) {
    let size = file.count
    guard block.offset >= minOffset, block.offset % 8 == 0, block.metadataLength >= 8, block.bodyLength >= 0,
          block.offset < size, block.metadataLength <= size - block.offset,
          block.bodyLength <= size - block.offset - block.metadataLength else {
      throw .corrupt("a block (offset \(block.offset), metadata \(block.metadataLength) bytes, body "
                     + "\(block.bodyLength) bytes) lies outside the file's \(size) bytes of messages")
    }
    // Since Arrow 0.15 a message starts with 0xFFFFFFFF and its length; before, with the length alone.
    var prefix = 4
    if file.loadUnaligned(fromByteOffset: block.offset, as: UInt32.self) == 0xFFFF_FFFF { prefix = 8 }
    let length = Int(Int32(littleEndian: file.loadUnaligned(fromByteOffset: block.offset + prefix - 4, as: Int32.self)))
    guard length > 0, length <= block.metadataLength - prefix else {
      throw .corrupt("a message of \(length) bytes does not fit its block of \(block.metadataLength) bytes")
    }
    let start = block.offset + prefix
    let flat = FlatBuffer(UnsafeRawBufferPointer(rebasing: file[start..<(start + length)]), what: "message")
    // Message: version (0), header_type (1), header (2), bodyLength (3).
    let message = try flat.root()
    let (type, header) = try message.union(1)
    guard let kind = MessageKind(rawValue: type), let header else {
      throw flat.corrupt("message type \(type) is not a schema, dictionary batch or record batch")
    }
    let bodyLength = Int(try message.scalar(3, default: Int64(0)))
    guard bodyLength >= 0, bodyLength <= block.bodyLength else {
      throw flat.corrupt("body of \(bodyLength) bytes is larger than its block's \(block.bodyLength)")
    }
    let bodyStart = block.offset + block.metadataLength
    return (kind, header, UnsafeRawBufferPointer(rebasing: file[bodyStart..<(bodyStart + bodyLength)]))
  }
}
