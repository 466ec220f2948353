#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes an Arrow IPC file (the random-access "file" format: `ARROW1`, the
/// schema message, record batches, a footer, `ARROW1`) that ArrowFileReader,
/// pyarrow and other Arrow readers open.
///
/// The bytes go to a temporary file beside the target (`.name.tmp-<pid>`)
/// through a buffer; `finish()` writes the footer, fsyncs and renames the
/// temporary file into place, so the target name never holds a partial file.
/// After an error, or when the writer is dropped without `finish()`, the
/// temporary file is removed. Messages start at 8-byte boundaries and every
/// buffer of a record batch body at a 64-byte boundary (Arrow's recommendation).
///
/// Not thread-safe: one writer is used by one thread at a time.
public final class ArrowFileWriter {
  public let path: String
  let tempPath: String
  let fields: [ArrowField]
  private var fd: Int32
  private var buffer: [UInt8] = []
  private var position = 0
  private var blocks: [ArrowFileReader.Block] = []
  private var dictionaryBlocks: [ArrowFileReader.Block] = []
  private var finished = false
  private var failed = false
  /// Rows written so far.
  public private(set) var rowCount = 0

  static let bufferCapacity = 1 << 20
  static let bodyAlignment = 64

  /// One column of a record batch, as Arrow lays it out: the buffers in Arrow's
  /// order for its type (validity — empty when there are no nulls — then values,
  /// or offsets and bytes for strings). The memory is only read during `write`.
  public struct Column {
    public var length: Int
    public var nullCount: Int
    public var buffers: [UnsafeRawBufferPointer]

    public init(length: Int, nullCount: Int, buffers: [UnsafeRawBufferPointer]) {
      self.length = length
      self.nullCount = nullCount
      self.buffers = buffers
    }
  }

  /// A writer for columns named and typed by `schema`: (name, Arrow type name as
  /// ArrowType.name spells it: bool, int8…int64, uint8…uint64, float, double,
  /// date32[day], timestamp[s|ms|us|ns], string, large_string, binary, large_binary).
  public convenience init(path: String, schema: [(name: String, type: String)]) throws(SFError) {
    var fields: [ArrowField] = []
    for (name, typeName) in schema {
      guard let t = ArrowFileWriter.writableTypes.first(where: { $0.name == typeName }) else {
        throw .argument("cannot write a column of Arrow type '\(typeName)'")
      }
      fields.append(ArrowField(name: name, nullable: true, type: t, dictionaryIndex: nil))
    }
    try self.init(path: path, fields: fields)
  }

  /// A writer for columns of the engine's dtypes (timestamps keep their field's time
  /// zone). A categorical field is written dictionary-encoded with int32 indices: give
  /// its dictionary with `writeDictionary` before the first batch.
  public convenience init(path: String, fields: [Field]) throws(SFError) {
    var arrow: [ArrowField] = []
    for (i, f) in fields.enumerated() {
      guard let t = ArrowType(f.dtype, timezone: f.timezone) else {
        throw .argument("cannot write column '\(f.name)' of dtype \(f.dtype)")
      }
      arrow.append(ArrowField(name: f.name, nullable: true, type: t,
                              dictionaryIndex: f.categorical ? .int(bits: 32, signed: true) : nil,
                              dictionaryID: Int64(i)))
    }
    try self.init(path: path, fields: arrow)
  }

  /// Writes the dictionary of categorical column `column`: its values as a column of
  /// the field's value type (validity, offsets, bytes).
  public func writeDictionary(column: Int, values: Column) throws(SFError) {
    guard !finished, !failed, fd >= 0 else { throw .argument("the writer of '\(path)' is closed") }
    guard fields.indices.contains(column), fields[column].dictionaryIndex != nil, values.buffers.count == 3 else {
      throw .argument("column \(column) is not a categorical column, or its values are not strings")
    }
    let valueField = ArrowField(name: fields[column].name, nullable: true, type: fields[column].type, dictionaryIndex: nil)
    try ArrowFileWriter.checkBuffers(valueField, values)
    let (nodes, buffers, body, length) = layout([values])
    let batch = ArrowMetadata.recordBatch(length: Int64(values.length), nodes: nodes, buffers: buffers)
    let header = ArrowMetadata.dictionaryBatch(id: fields[column].dictionaryID, data: batch)
    do throws(SFError) {
      dictionaryBlocks.append(try writeMessage(ArrowMetadata.message(kind: 2, header: header,
                                                                     bodyLength: Int64(length)), body: body))
    } catch {
      failed = true
      abandon()
      throw error
    }
  }

  /// The field nodes, buffer positions, body pieces and body length of `columns`.
  private func layout(_ columns: [Column]) -> ([(length: Int64, nulls: Int64)], [(offset: Int64, length: Int64)],
                                              [(UnsafeRawBufferPointer, padTo: Int)], Int) {
    var nodes: [(length: Int64, nulls: Int64)] = []
    var buffers: [(offset: Int64, length: Int64)] = []
    var body: [(UnsafeRawBufferPointer, padTo: Int)] = []
    var offset = 0
    for column in columns {
      nodes.append((Int64(column.length), Int64(column.nullCount)))
      for b in column.buffers {
        let padded = (b.count + ArrowFileWriter.bodyAlignment - 1) / ArrowFileWriter.bodyAlignment * ArrowFileWriter.bodyAlignment
        buffers.append((Int64(offset), Int64(b.count)))
        body.append((b, ArrowFileWriter.bodyAlignment))
        offset += padded
      }
    }
    return (nodes, buffers, body, offset)
  }

  static let writableTypes: [ArrowType] = {
    var types: [ArrowType] = [.bool, .float(bits: 32), .float(bits: 64), .date32,
                              .utf8(large: false), .utf8(large: true), .binary(large: false), .binary(large: true)]
    for bits in [8, 16, 32, 64] { types += [.int(bits: bits, signed: true), .int(bits: bits, signed: false)] }
    for unit in [TimeUnit.second, .millisecond, .microsecond, .nanosecond] {
      types += [.timestamp(unit, timezone: nil), .duration(unit)]
    }
    return types
  }()

  init(path: String, fields: [ArrowField]) throws(SFError) {
    for f in fields {
      switch f.type {
      case .fixedWidth, .binaryView, .nested:
        throw .argument("cannot write column '\(f.name)' of Arrow type \(f.type.name)")
      default: break
      }
    }
    self.path = path
    self.fields = fields
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { String(path[...$0]) } ?? ""
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    guard !name.isEmpty else { throw .argument("'\(path)' names a folder, not a file") }
    tempPath = "\(folder).\(name).tmp-\(getpid())"
    fd = open(tempPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    if fd < 0 {
      let err = errno
      throw SFError(err == ENOENT ? .notFound : .io,
                    "cannot create '\(tempPath)' to write '\(path)': \(String(cString: strerror(err)))")
    }
    buffer.reserveCapacity(ArrowFileWriter.bufferCapacity)
    do throws(SFError) {
      append(ArrowFileReader.magic + [0, 0])
      _ = try writeMessage(ArrowMetadata.message(kind: 1, header: ArrowMetadata.schema(fields), bodyLength: 0),
                           body: [])
    } catch {
      abandon()
      throw error
    }
  }

  deinit { abandon() }

  /// Closes and removes the temporary file (no-op once finished).
  private func abandon() {
    if fd >= 0 { close(fd); fd = -1 }
    if !finished { unlink(tempPath) }
  }

  private func append(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { append($0) }
  }

  private func append(_ bytes: UnsafeRawBufferPointer) {
    buffer.append(contentsOf: bytes)
    position += bytes.count
  }

  private func appendZeros(_ n: Int) {
    if n > 0 { buffer.append(contentsOf: repeatElement(0, count: n)); position += n }
  }

  /// Sends the buffer to the file once it holds at least `threshold` bytes.
  private func flush(threshold: Int = 0) throws(SFError) {
    guard buffer.count >= threshold, !buffer.isEmpty else { return }
    let err = buffer.withUnsafeBytes { writeAll(fd, $0) }
    buffer.removeAll(keepingCapacity: true)
    if err != 0 { throw SFError(.io, "cannot write '\(tempPath)': \(String(cString: strerror(err)))") }
  }

  /// Writes large caller memory straight to the file, smaller pieces through the buffer.
  private func appendData(_ bytes: UnsafeRawBufferPointer) throws(SFError) {
    if bytes.count >= ArrowFileWriter.bufferCapacity / 2 {
      try flush()
      let err = writeAll(fd, bytes)
      if err != 0 { throw SFError(.io, "cannot write '\(tempPath)': \(String(cString: strerror(err)))") }
      position += bytes.count
    } else {
      append(bytes)
      try flush(threshold: ArrowFileWriter.bufferCapacity)
    }
  }

  /// Writes an encapsulated message (continuation, length, metadata padded to 8, body);
  /// returns its block for the footer.
  private func writeMessage(_ message: FBValue, body: [(UnsafeRawBufferPointer, padTo: Int)]) throws(SFError) -> ArrowFileReader.Block {
    let start = position
    let metadata = FlatBufferBuilder.encode(message)
    let padded = (metadata.count + 7) / 8 * 8
    append([0xFF, 0xFF, 0xFF, 0xFF] + littleEndianBytes(Int32(padded)))
    append(metadata)
    appendZeros(padded - metadata.count)
    var bodyLength = 0
    for (bytes, padTo) in body {
      try appendData(bytes)
      let padding = (padTo - bytes.count % padTo) % padTo
      appendZeros(padding)
      bodyLength += bytes.count + padding
    }
    try flush(threshold: ArrowFileWriter.bufferCapacity)
    return ArrowFileReader.Block(offset: start, metadataLength: 8 + padded, bodyLength: bodyLength)
  }

  /// Appends one record batch of `length` rows; `columns` follow the schema's order.
  public func write(length: Int, columns: [Column]) throws(SFError) {
    guard !finished, !failed, fd >= 0 else { throw .argument("the writer of '\(path)' is closed") }
    guard columns.count == fields.count else {
      throw .argument("a record batch of \(columns.count) columns for a schema of \(fields.count)")
    }
    for (field, column) in zip(fields, columns) {
      let expected: Int
      switch field.storedType {
      case .null: expected = 0
      case .utf8, .binary: expected = 3
      default: expected = 2
      }
      guard column.length == length, column.buffers.count == expected, column.nullCount >= 0,
            column.nullCount <= length else {
        throw .argument("column '\(field.name)': \(column.length) rows, \(column.buffers.count) buffers, "
                        + "\(column.nullCount) nulls for a batch of \(length) rows of \(field.type.name)")
      }
      try ArrowFileWriter.checkBuffers(field, column)
    }
    let (nodes, buffers, body, offset) = layout(columns)
    let header = ArrowMetadata.recordBatch(length: Int64(length), nodes: nodes, buffers: buffers)
    do throws(SFError) {
      blocks.append(try writeMessage(ArrowMetadata.message(kind: 3, header: header, bodyLength: Int64(offset)),
                                     body: body))
    } catch {
      failed = true
      abandon()
      throw error
    }
    rowCount += length
  }

  /// Refuses buffers too short for their rows, so a caller's mistake cannot make a file
  /// that readers reject (or, worse, that claims bytes it does not hold).
  static func checkBuffers(_ field: ArrowField, _ column: Column) throws(SFError) {
    let n = column.length
    let bitmap = (n + 7) / 8
    func need(_ index: Int, _ bytes: Int, _ what: String) throws(SFError) {
      guard column.buffers[index].count >= bytes else {
        throw .argument("column '\(field.name)': the \(what) buffer has \(column.buffers[index].count) bytes, "
                        + "\(n) rows of \(field.type.name) need \(bytes)")
      }
    }
    if case .null = field.type { return }
    if column.nullCount > 0 { try need(0, bitmap, "validity") }
    switch field.storedType {
    case .bool: try need(1, bitmap, "values")
    case .int(let bits, _), .float(let bits): try need(1, n * (bits / 8), "values")
    case .date32: try need(1, n * 4, "values")
    case .timestamp, .duration: try need(1, n * 8, "values")
    case .utf8(let large), .binary(let large):
      let width = large ? 8 : 4
      try need(1, (n + 1) * width, "offsets")
      let offsets = column.buffers[1]
      let last = large ? Int(offsets.loadUnaligned(fromByteOffset: n * 8, as: Int64.self))
                       : Int(offsets.loadUnaligned(fromByteOffset: n * 4, as: Int32.self))
      try need(2, last, "data")
    default: break
    }
  }

  /// Writes the footer, flushes, fsyncs and renames the file into place.
  public func finish() throws(SFError) {
    guard !finished, !failed, fd >= 0 else { throw .argument("the writer of '\(path)' is closed") }
    do throws(SFError) {
      // End-of-stream marker, then the footer, its length and the magic.
      append([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
      let footer = FlatBufferBuilder.encode(ArrowMetadata.footer(fields, dictionaries: dictionaryBlocks, batches: blocks))
      append(footer)
      append(littleEndianBytes(Int32(footer.count)))
      append(ArrowFileReader.magic)
      try flush()
      guard fsync(fd) == 0 else { throw SFError(.io, "cannot sync '\(tempPath)': \(String(cString: strerror(errno)))") }
      guard close(fd) == 0 else {
        fd = -1
        throw SFError(.io, "cannot close '\(tempPath)': \(String(cString: strerror(errno)))")
      }
      fd = -1
      guard rename(tempPath, path) == 0 else {
        throw SFError(.io, "cannot rename '\(tempPath)' to '\(path)': \(String(cString: strerror(errno)))")
      }
      finished = true
    } catch {
      failed = true
      abandon()
      throw error
    }
  }
}

/// Writes all of `bytes` to `fd` (retrying on EINTR); 0, or the errno of the failure.
private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
  guard let base = bytes.baseAddress else { return 0 }
  var done = 0
  while done < bytes.count {
    let n = write(fd, base + done, bytes.count - done)
    if n < 0 {
      if errno == EINTR { continue }
      return errno
    }
    done += n
  }
  return 0
}
