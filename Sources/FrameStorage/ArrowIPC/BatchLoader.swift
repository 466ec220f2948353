import Synchronization

/// Decoded bytes (decompressed bodies, gathered utf8_view strings) that loaders keep
/// for their tables' lives, across all tables of the process.
let retainedDecodedBytes = Atomic<Int>(0)

/// Decoded batches are kept for their table's life while the process keeps fewer than
/// this many decoded bytes; past it a decoded batch lives only while a pass uses it (the
/// threads working on one batch still share one decode), so memory stays near
/// threads × batch size however large a compressed file is.
let decodedRetentionBudget = 64 << 20

/// Loads one record batch of a mapped Arrow IPC file or stream on first use: the full
/// decode of RecordBatchDecoder (decompression, O(rows) checks, view gathering), after
/// the structural check made when the file was opened. A corrupt batch's error is
/// remembered, so later passes fail the same way.
final class ArrowBatchLoader: BatchLoader, @unchecked Sendable {
  private let file: MappedFile
  /// The memory of the file's decompressed dictionaries, which categorical chunks point into.
  private let dictionaryOwners: [AnyObject]
  private let header: FBTable
  private let body: UnsafeRawBufferPointer
  private let schema: ArrowSchema
  private let index: Int
  private let dictionaries: [Int: ColumnDictionary]
  /// The schema field of each table column.
  private let columns: [Int]
  /// Whether decoding allocates (compressed body or utf8_view columns); else the
  /// loaded batch only points into the mapping and is kept for the table's life.
  private let allocates: Bool

  private struct State {
    var kept: BatchData? = nil
    weak var shared: BatchData? = nil
    var failure: SFError? = nil
    var reserved = 0
  }
  private let state = Mutex(State())

  init(file: MappedFile, dictionaryOwners: [AnyObject], header: FBTable, body: UnsafeRawBufferPointer, schema: ArrowSchema, index: Int,
       dictionaries: [Int: ColumnDictionary], columns: [Int], allocates: Bool) {
    self.file = file
    self.dictionaryOwners = dictionaryOwners
    self.header = header
    self.body = body
    self.schema = schema
    self.index = index
    self.dictionaries = dictionaries
    self.columns = columns
    self.allocates = allocates
  }

  deinit {
    let reserved = state.withLock { $0.reserved }
    if reserved > 0 { retainedDecodedBytes.subtract(reserved, ordering: .relaxed) }
  }

  func load() throws(SFError) -> BatchData {
    // Decoding under the lock: threads that want the same batch wait for one decode.
    try state.withLock { (s) throws(SFError) -> BatchData in
      if let data = s.kept ?? s.shared { return data }
      if let failure = s.failure { throw failure }
      let data: BatchData, bytes: Int
      do throws(SFError) {
        (data, bytes) = try decode()
      } catch {
        if error.code == .corrupt { s.failure = error }  // not a failed allocation: that may pass
        throw error
      }
      if !allocates {
        s.kept = data
      } else if reserve(bytes) {
        s.kept = data
        s.reserved = bytes
      } else {
        s.shared = data
      }
      return data
    }
  }

  var resident: BatchData? {
    if !allocates { return try? load() }
    return state.withLock { $0.kept }
  }

  private func reserve(_ bytes: Int) -> Bool {
    let total = retainedDecodedBytes.wrappingAdd(bytes, ordering: .relaxed).newValue
    if total <= decodedRetentionBudget { return true }
    retainedDecodedBytes.subtract(bytes, ordering: .relaxed)
    return false
  }

  /// The batch's columns and the bytes decoding allocated for them.
  private func decode() throws(SFError) -> (BatchData, Int) {
    var decoder = RecordBatchDecoder(header, body: body, schema: schema, index: index, dictionaries: dictionaries,
                                     deep: true)
    do throws(SFError) {
      let all = try decoder.decode()
      var chunks: [ColumnChunk] = []
      chunks.reserveCapacity(columns.count)
      for i in columns {
        guard all.indices.contains(i), let chunk = all[i] else {
          throw SFError.corrupt("record batch \(index) has no data for column \(i)")
        }
        chunks.append(chunk)
      }
      let bytes = decoder.owners.reduce(0) { $0 + (($1 as? OwnedBytes)?.count ?? 0) }
      return (BatchData(columns: chunks, owners: [file] + dictionaryOwners + decoder.owners), bytes)
    } catch {
      throw SFError(error.code, "'\(file.path)': \(error.message)")
    }
  }
}
