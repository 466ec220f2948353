#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import FrameStorage

// Sorting: each key is evaluated once over the filtered rows into 64-bit codes whose
// unsigned order is the wanted order (strings through their rank among the sorted
// distinct values), then a stable, parallel argsort of the codes: a top-level radix
// pass on 16-bit prefixes into balanced buckets, each then sorted by an in-cache MSD
// radix sort. Memory: the codes (8 bytes a row
// per key) and the (code, row) pairs the argsort moves (16 bytes a row), which end as
// the row index (8 bytes a row) in the same allocation.

/// The code of a missing value (and NaN): after every present value, as pandas'
/// na_position="last", whatever the direction.
let missingCode = UInt64.max

/// Positions 0 ..< n of the filtered rows of `scan` ordered by `keys` (the most
/// significant first), stably: ties keep their order, missing values and NaN come last
/// in each key. `counts` is `filteredCounts(scan)`, `n` their sum. Returns a malloc'd
/// buffer of n positions (the caller owns it).
public func sortedPositions(_ scan: Scan, keys: [Program], ascending: [Bool], counts: [Int], count n: Int,
                            threads: Int = defaultThreadCount,
                            progress: ProgressHandler? = nil) throws(SFError) -> UnsafeMutablePointer<Int64> {
  guard !keys.isEmpty, keys.count == ascending.count else {
    throw SFError(.argument, "sort needs at least one key and one ascending flag per key")
  }
  // Buffers still owned here (freed on an error); argsortCodes consumes the one it is given.
  var codes: [UnsafeMutablePointer<UInt64>] = []
  var order: UnsafeMutablePointer<Int64>? = nil
  defer {
    codes.forEach { free($0) }
    order.map { free($0) }
  }
  for (k, key) in keys.enumerated() {
    codes += try sortCodes(scan, key, ascending: ascending[k], counts: counts, count: n, threads: threads,
                           progress: progress)
  }
  // Least significant key first: each stable argsort refines the order the next one keeps.
  while let last = codes.popLast() {
    guard let perm = order else {
      order = try argsortCodes(last, count: n, threads: threads, progress: progress)
      continue
    }
    // The codes in the current order; their stable order then maps back to positions.
    guard let gathered = try? allocateCodes(n) else {
      free(last)
      throw SFError(.outOfMemory, "cannot allocate the sort keys of \(n) rows")
    }
    for i in 0..<n { gathered[i] = last[Int(perm[i])] }
    free(last)
    let p = try argsortCodes(gathered, count: n, threads: threads, progress: progress)
    for i in 0..<n { p[i] = perm[Int(p[i])] }
    free(perm)
    order = p
  }
  guard let result = order else { throw SFError(.argument, "sort needs at least one key") }
  order = nil
  return result
}

func allocateCodes(_ n: Int) throws(SFError) -> UnsafeMutablePointer<UInt64> {
  guard n <= Int.max / 16, let raw = malloc(max(1, n) * 8) else {
    throw SFError(.outOfMemory, "cannot allocate the sort keys of \(n) rows")
  }
  return raw.bindMemory(to: UInt64.self, capacity: max(1, n))
}

/// The codes of one key over the filtered rows (one buffer; two when a present value's
/// code collides with the missing code: then a missing flag is the first key).
private func sortCodes(_ scan: Scan, _ key: Program, ascending: Bool, counts: [Int], count n: Int,
                       threads: Int, progress: ProgressHandler?) throws(SFError) -> [UnsafeMutablePointer<UInt64>] {
  var program = key
  var dtype = key.dtype
  if dtype.isString {
    // Strings by their rank among the sorted distinct values (UTF-8 byte order is code point order).
    let (labels, _) = try uniqueValues(scan, program: key, threads: threads, progress: progress)
    program = Program(TypedNode(.apply(OrdinalEncode(labels: labels)), .int32, [key.root]))
    dtype = .int32
  }
  let codes = try allocateCodes(n)
  let valid = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, n))
  defer { valid.deallocate() }
  do throws(SFError) {
    _ = try evaluate(scan, program: program, counts: counts, range: 0..<n, out: UnsafeMutableRawPointer(codes),
                     valid: valid, threads: threads, progress: progress)
  } catch {
    free(codes)
    throw error
  }
  let collides = encodeInPlace(codes, dtype, valid, n, ascending: ascending)
  guard collides else { return [codes] }
  // A present value coded UInt64.max beside missing ones: missing rows go last by a flag.
  guard let flags = try? allocateCodes(n) else {
    free(codes)
    throw SFError(.outOfMemory, "cannot allocate the sort keys of \(n) rows")
  }
  for i in 0..<n { flags[i] = valid[i] == 0 ? 1 : 0 }
  return [flags, codes]
}

/// Turns `n` evaluated values of `dtype` at the start of `codes` into order codes in
/// place (missing and NaN: `missingCode`); true when a present value's code is
/// `missingCode` while some value is missing.
private func encodeInPlace(_ codes: UnsafeMutablePointer<UInt64>, _ dtype: DType, _ valid: UnsafePointer<UInt8>,
                           _ n: Int, ascending: Bool) -> Bool {
  let raw = UnsafeMutableRawPointer(codes)
  let flip: UInt64 = ascending ? 0 : ~0
  var missing = false, top = false
  // Back to front: a value of w <= 8 bytes at i * w is read before code i (at 8 i) overwrites it.
  @inline(__always) func store(_ i: Int, _ code: UInt64?) {
    if let code, valid[i] != 0 {
      let c = code ^ flip
      top = top || c == missingCode
      codes[i] = c
    } else {
      missing = true
      codes[i] = missingCode
    }
  }
  @inline(__always) func float(_ d: Double) -> UInt64? {
    if d.isNaN { return nil }
    let b = (d == 0 ? 0.0 : d).bitPattern  // -0.0 == 0.0, as numpy's sort
    return b >> 63 == 1 ? ~b : b | (1 << 63)
  }
  @inline(__always) func signed(_ v: Int64) -> UInt64 { UInt64(bitPattern: v) ^ (1 << 63) }
  var i = n - 1
  switch dtype {
  case .float64: while i >= 0 { store(i, float(raw.load(fromByteOffset: i * 8, as: Double.self))); i -= 1 }
  case .float32: while i >= 0 { store(i, float(Double(raw.load(fromByteOffset: i * 4, as: Float.self)))); i -= 1 }
  case .bool, .uint8: while i >= 0 { store(i, UInt64(raw.load(fromByteOffset: i, as: UInt8.self))); i -= 1 }
  case .uint16: while i >= 0 { store(i, UInt64(raw.load(fromByteOffset: i * 2, as: UInt16.self))); i -= 1 }
  case .uint32: while i >= 0 { store(i, UInt64(raw.load(fromByteOffset: i * 4, as: UInt32.self))); i -= 1 }
  case .uint64: while i >= 0 { store(i, raw.load(fromByteOffset: i * 8, as: UInt64.self)); i -= 1 }
  case .int8: while i >= 0 { store(i, signed(Int64(raw.load(fromByteOffset: i, as: Int8.self)))); i -= 1 }
  case .int16: while i >= 0 { store(i, signed(Int64(raw.load(fromByteOffset: i * 2, as: Int16.self)))); i -= 1 }
  case .int32, .date32: while i >= 0 { store(i, signed(Int64(raw.load(fromByteOffset: i * 4, as: Int32.self)))); i -= 1 }
  default: while i >= 0 { store(i, signed(raw.load(fromByteOffset: i * 8, as: Int64.self))); i -= 1 }
  }
  return missing && top
}

// MARK: Argsort

struct KeyRow {
  var key: UInt64
  var row: Int64
}

/// A stable argsort of `n` codes: positions ordered by code, ties in position order.
/// Consumes `keys` (freed); returns a malloc'd buffer of n positions.
///
/// Top level, in parallel: each code's 16-bit prefix (the top bits of its offset from
/// the smallest code) is counted per block of positions; neighbouring prefixes are
/// merged into about `topBuckets` buckets of equal size (a prefix holding many rows is a
/// bucket of its own, whatever the distribution); a stable scatter moves (code, position)
/// pairs into their buckets; then the buckets are sorted in parallel, in cache. When the
/// codes span fewer than 2^16 values a prefix is a code and nothing is left to sort.
func argsortCodes(_ keys: UnsafeMutablePointer<UInt64>, count n: Int, threads: Int,
                  progress: ProgressHandler?) throws(SFError) -> UnsafeMutablePointer<Int64> {
  guard n <= Int.max / 16, let raw = malloc(max(1, n) * MemoryLayout<KeyRow>.stride) else {
    free(keys)
    throw SFError(.outOfMemory, "cannot allocate the sort buffer of \(n) rows")
  }
  let pairs = raw.bindMemory(to: KeyRow.self, capacity: max(1, n))
  var keysOwned = true
  let input = SharedCodes(keys)
  var low = UInt64.max, high = UInt64.min
  for i in 0..<n {
    low = min(low, keys[i])
    high = max(high, keys[i])
  }
  let span = n == 0 ? 0 : high &- low
  let shift = UInt64(max(0, (UInt64.bitWidth - span.leadingZeroBitCount) - 16))
  let prefixes = Int(span >> shift) + 1
  let exact = shift == 0  // every prefix is one code
  // Contiguous blocks of positions, each with its own counts: the scatter stays stable.
  let blockCount = max(1, min(threads * 2, n / 65536))
  let blockSize = (n + blockCount - 1) / blockCount
  let counts = UnsafeMutablePointer<Int>.allocate(capacity: blockCount * prefixes)
  counts.initialize(repeating: 0, count: blockCount * prefixes)
  defer { counts.deallocate() }
  let table = UnsafeMutablePointer<Int32>.allocate(capacity: prefixes)
  defer { table.deallocate() }
  let shared = SharedInts(counts), bucketOf = SharedIDs(table)
  do throws(SFError) {
    _ = try runPass(chunkCount: blockCount, threads: threads, progress: progress, makeState: { () }) { (_, k) throws(SFError) in
      let c = shared.pointer + k * prefixes
      for i in (k * blockSize)..<min(n, (k + 1) * blockSize) { c[Int((input.pointer[i] &- low) >> shift)] += 1 }
    }
    // Prefixes merged into buckets of about n / topBuckets rows (one bucket per prefix when exact).
    let target = max(1, n / topBuckets)
    var buckets = 0, filled = 0
    for p in 0..<prefixes {
      var total = 0
      for k in 0..<blockCount { total += counts[k * prefixes + p] }
      if exact || (filled > 0 && filled + total > target) {
        if filled > 0 || exact { buckets += 1 }
        filled = 0
      }
      table[p] = Int32(exact ? p : buckets)
      filled += total
    }
    buckets = exact ? prefixes : buckets + 1
    // Per block and bucket, where its pairs go: bucket-major, block-minor.
    let offsets = UnsafeMutablePointer<Int>.allocate(capacity: blockCount * buckets)
    offsets.initialize(repeating: 0, count: blockCount * buckets)
    defer { offsets.deallocate() }
    for p in 0..<prefixes {
      for k in 0..<blockCount { offsets[k * buckets + Int(table[p])] += counts[k * prefixes + p] }
    }
    var at = 0
    var starts = [Int](repeating: 0, count: buckets + 1)
    for j in 0..<buckets {
      starts[j] = at
      for k in 0..<blockCount {
        let c = offsets[k * buckets + j]
        offsets[k * buckets + j] = at
        at += c
      }
    }
    starts[buckets] = at
    let out = SharedPairs(pairs), next = SharedInts(offsets)
    _ = try runPass(chunkCount: blockCount, threads: threads, progress: progress, makeState: { () }) { (_, k) throws(SFError) in
      let o = next.pointer + k * buckets
      for i in (k * blockSize)..<min(n, (k + 1) * blockSize) {
        let key = input.pointer[i]
        let j = Int(bucketOf.pointer[Int((key &- low) >> shift)])
        out.pointer[o[j]] = KeyRow(key: key, row: Int64(i))
        o[j] += 1
      }
    }
    free(keys)
    keysOwned = false
    if !exact {
      let bounds = starts
      _ = try runPass(chunkCount: buckets, threads: threads, progress: progress, makeState: { SortScratch() }) {
        (scratch: SortScratch, j: Int) throws(SFError) in
        let count = bounds[j + 1] - bounds[j]
        guard count > 1 else { return }
        sortPairs(out.pointer + bounds[j], count, try scratch.room(count))
      }
    }
  } catch {
    if keysOwned { free(keys) }
    free(raw)
    throw error
  }
  // The rows, compacted in place into the front half of the same allocation.
  for i in 0..<n {
    let row = raw.load(fromByteOffset: i * 16 + 8, as: Int64.self)
    raw.storeBytes(of: row, toByteOffset: i * 8, as: Int64.self)
  }
  let shrunk = realloc(raw, max(1, n) * 8) ?? raw
  return shrunk.bindMemory(to: Int64.self, capacity: max(1, n))
}

/// Buckets the top-level pass aims for: enough for both threads to share the bucket
/// sorts evenly, few enough for the scatter to write to.
let topBuckets = 512

/// Per-thread scratch for the bucket sorts, grown to the largest bucket seen.
private final class SortScratch {
  private var pointer: UnsafeMutablePointer<KeyRow>? = nil
  private var capacity = 0

  func room(_ n: Int) throws(SFError) -> UnsafeMutablePointer<KeyRow> {
    if let pointer, capacity >= n { return pointer }
    pointer?.deallocate()
    pointer = nil
    guard n <= Int.max / 16 else { throw SFError(.outOfMemory, "cannot allocate sort scratch of \(n) rows") }
    let p = UnsafeMutablePointer<KeyRow>.allocate(capacity: n)
    pointer = p
    capacity = n
    return p
  }

  deinit { pointer?.deallocate() }
}

/// Sorts `n` pairs by key, stably, with `tmp` (room for n) as scratch: an MSD radix
/// sort on the next 8 bits of the pairs' key range, insertion sort for small runs.
func sortPairs(_ a: UnsafeMutablePointer<KeyRow>, _ n: Int, _ tmp: UnsafeMutablePointer<KeyRow>) {
  if n <= 32 {
    for i in 1..<max(1, n) {
      let x = a[i]
      var j = i
      while j > 0 && a[j - 1].key > x.key {
        a[j] = a[j - 1]
        j -= 1
      }
      a[j] = x
    }
    return
  }
  var low = a[0].key, high = low
  for i in 1..<n {
    low = min(low, a[i].key)
    high = max(high, a[i].key)
  }
  if low == high { return }
  let width = UInt64.bitWidth - (high - low).leadingZeroBitCount
  let shift = UInt64(max(0, width - 8))
  withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * 257) { both in
    let counts = UnsafeMutableBufferPointer(rebasing: both[0..<257])
    let starts = UnsafeMutableBufferPointer(rebasing: both[257..<514])
    counts.initialize(repeating: 0)
    for i in 0..<n { counts[Int((a[i].key - low) >> shift) + 1] += 1 }
    for d in 0..<256 { counts[d + 1] += counts[d] }
    for d in 0...256 { starts[d] = counts[d] }
    for i in 0..<n {
      let d = Int((a[i].key - low) >> shift)
      tmp[counts[d]] = a[i]
      counts[d] += 1
    }
    a.update(from: tmp, count: n)
    for d in 0..<256 where starts[d + 1] - starts[d] > 1 {
      sortPairs(a + starts[d], starts[d + 1] - starts[d], tmp + starts[d])
    }
  }
}

private struct SharedIDs: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Int32>
  init(_ pointer: UnsafeMutablePointer<Int32>) { self.pointer = pointer }
}

private struct SharedCodes: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<UInt64>
  init(_ pointer: UnsafeMutablePointer<UInt64>) { self.pointer = pointer }
}

private struct SharedInts: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Int>
  init(_ pointer: UnsafeMutablePointer<Int>) { self.pointer = pointer }
}

private struct SharedPairs: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<KeyRow>
  init(_ pointer: UnsafeMutablePointer<KeyRow>) { self.pointer = pointer }
}
