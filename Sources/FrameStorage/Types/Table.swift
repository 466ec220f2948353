/// Stored columns: a schema and record batches whose memory is kept alive by
/// `owners` (a mapped file, Swift allocations, or a foreign owner such as the
/// numpy arrays Python keeps). Immutable once made; safe to share between threads.
public final class Table: @unchecked Sendable {
  public let fields: [Field]
  public let batches: [RecordBatch]
  public let rowCount: Int
  /// Where the data came from, for messages ("<memory>" for in-memory arrays).
  public let source: String
  /// Stored columns of types the engine cannot compute with yet, with their Arrow type.
  public let unsupported: [(name: String, arrowType: String)]
  let owners: [AnyObject]
  let files: [MappedFile]

  public init(fields: [Field], batches: [RecordBatch], source: String,
              unsupported: [(name: String, arrowType: String)] = [],
              owners: [AnyObject] = [], files: [MappedFile] = []) {
    self.fields = fields
    self.batches = batches
    self.rowCount = batches.reduce(0) { $0 + $1.length }
    self.source = source
    self.unsupported = unsupported
    self.owners = owners
    self.files = files
  }

  /// The columns of record batch `b`, loaded on first use (see RecordBatch.load).
  public func batch(_ b: Int) throws(SFError) -> BatchData {
    guard batches.indices.contains(b) else { throw .argument("no record batch \(b) in a table of \(batches.count)") }
    return try batches[b].load()
  }

  public func fieldIndex(_ name: String) -> Int? {
    fields.firstIndex { $0.name == name }
  }

  /// Re-checks every mapped file before a pass: a file truncated or replaced
  /// since it was opened would otherwise raise SIGBUS on the next read.
  public func checkFilesUnchanged() throws(SFError) {
    for file in files { try file.checkUnchanged() }
  }

  /// Releases the mapped pages holding rows `rows` of record batch `b` in every column
  /// (MappedFile.release), when a file of the table releases pages behind scans. A pass
  /// calls it once it is done with the rows.
  public func releasePages(batch b: Int, rows: Range<Int>) {
    guard files.contains(where: \.releasesPages), batches.indices.contains(b),
          let data = batches[b].resident else { return }
    for column in data.columns {
      for (start, count) in column.byteRanges(rows) {
        for file in files { file.release(start, count: count) }
      }
    }
  }

  /// Advises the kernel that a scan is coming (page-cache read-ahead).
  public func adviseSequential() {
    for file in files { file.adviseSequential() }
  }
}
