import FrameStorage

/// The values of an expression over one chunk: typed values and a byte mask of
/// present values (nil when none is missing). Points into the file or into scratch.
/// Strings have `offsets` (count + 1, int32 for .string, int64 for .largeString)
/// into the bytes at `values`.
public struct Vec {
  public let dtype: DType
  public let values: UnsafeRawPointer
  public let valid: UnsafePointer<UInt8>?
  public let count: Int
  public let offsets: UnsafeRawPointer?

  public init(dtype: DType, values: UnsafeRawPointer, valid: UnsafePointer<UInt8>?, count: Int,
              offsets: UnsafeRawPointer? = nil) {
    self.dtype = dtype
    self.values = values
    self.valid = valid
    self.count = count
    self.offsets = offsets
  }
}

/// A type-checked expression with scratch slots assigned to the nodes that need one.
public final class Program: @unchecked Sendable {
  public let root: TypedNode
  let slotCount: Int

  public init(_ root: TypedNode) {
    // Every node gets a slot; buffers are allocated only for slots a node writes.
    var next = 0
    func assign(_ n: TypedNode) {
      n.children.forEach(assign)
      n.slot = next
      next += 1
    }
    assign(root)
    self.root = root
    self.slotCount = next
  }

  public var dtype: DType { root.dtype }
}

/// Evaluates one program chunk by chunk on one thread, into scratch buffers
/// allocated once per pass and reused for every chunk.
public final class Evaluator {
  let scan: Scan
  let program: Program
  private let scratch: [Scratch]
  private var constantsFilled: Set<Int> = []
  /// Per source read through an index (or joined), its gather state, made on first use.
  private var gathers: [GatherSource?]

  /// An evaluator over `scan`'s sources (its rows and filter are not used here).
  public init(scan: Scan, program: Program) {
    self.scan = scan
    self.program = program
    self.scratch = (0..<program.slotCount).map { _ in Scratch() }
    self.gathers = Array(repeating: nil, count: scan.sources.count)
  }

  public convenience init(table: Table, program: Program) {
    self.init(scan: Scan(table: table, rows: 0..<table.rowCount, filter: nil), program: program)
  }

  private var table: Table { scan.table }

  /// Stored field `f` of source `s` over `chunk`, gathered through the source's index.
  private func gathered(_ s: Int, _ f: Int, _ chunk: ChunkRef, slot: Int) throws(SFError) -> Vec {
    let g = gathers[s] ?? GatherSource(scan.sources[s])
    gathers[s] = g
    try g.resolve(chunk)
    return try g.gather(f, count: chunk.count, into: scratch[slot])
  }

  private func valueBuffer(_ slot: Int) -> UnsafeMutableRawPointer { scratch[slot].values }

  private func maskBuffer(_ slot: Int) -> UnsafeMutablePointer<UInt8> { scratch[slot].mask }

  /// The values of the program over `chunk`. `rows`, when given, marks the rows the
  /// result is wanted for (the frame's filter): an error that depends on values, such as
  /// an integer to a negative power, is raised only for those rows, as numpy computing on
  /// the filtered arrays would.
  public func evaluate(_ chunk: ChunkRef, rows: UnsafePointer<UInt8>? = nil) throws(SFError) -> Vec {
    wanted = rows
    defer { wanted = nil }
    return try evaluate(program.root, chunk)
  }

  /// Rows that matter in the current chunk (nil: all).
  private var wanted: UnsafePointer<UInt8>?

  /// Validity of a node from its operands': absent if all are absent, shared if
  /// only one has one, else the AND in this node's mask slot.
  private func combine(_ slot: Int, _ parts: [UnsafePointer<UInt8>?], _ n: Int) -> UnsafePointer<UInt8>? {
    scratch[slot].count = n
    return scratch[slot].validity(parts)
  }

  /// The record batch the current chunk's stored columns come from, held until the
  /// evaluator moves to another batch: the vectors it returns point into it.
  private var loaded: (batch: Int, data: BatchData)?

  /// The stored chunk of column `field` in `chunk`'s record batch (loaded on first use).
  private func storedColumn(_ chunk: ChunkRef, _ field: Int) throws(SFError) -> ColumnChunk {
    if let loaded, loaded.batch == chunk.batch { return loaded.data.columns[field] }
    loaded = nil  // let the previous batch go before loading the next
    let data = try table.batch(chunk.batch)
    loaded = (chunk.batch, data)
    return data.columns[field]
  }

  private func evaluate(_ node: TypedNode, _ chunk: ChunkRef) throws(SFError) -> Vec {
    let n = chunk.count
    switch node.op {
    case .field(let global):
      guard let (source, i) = scan.locate(global) else { throw SFError(.argument, "no stored field \(global)") }
      if source != 0 || chunk.batch < 0 { return try gathered(source, i, chunk, slot: node.slot) }
      let c = try storedColumn(chunk, i)
      let first = c.offset + chunk.start
      var valid: UnsafePointer<UInt8>? = nil
      if let bitmap = c.validity {
        let m = maskBuffer(node.slot)
        unpackBits(bitmap, offset: first, count: n, into: m)
        valid = UnsafePointer(m)
      }
      if let offsets = c.offsets {
        return Vec(dtype: c.dtype, values: c.values, valid: valid, count: n, offsets: offsets + first * c.dtype.byteWidth)
      }
      if let dictionary = c.dictionary {
        return decode(c, dictionary, first: first, n: n, valid: valid, slot: node.slot)
      }
      if c.dtype == .bool {
        let out = valueBuffer(node.slot)
        unpackBits(c.values.assumingMemoryBound(to: UInt8.self), offset: first, count: n,
                   into: out.assumingMemoryBound(to: UInt8.self))
        return Vec(dtype: .bool, values: UnsafeRawPointer(out), valid: valid, count: n)
      }
      return Vec(dtype: c.dtype, values: c.values + first * c.dtype.byteWidth, valid: valid, count: n)

    case .constant(let s):
      let out = valueBuffer(node.slot)
      if !constantsFilled.contains(node.slot) {
        try node.dtype.visit(FillKernel(value: s, out: out, n: chunkRows))
        constantsFilled.insert(node.slot)
      }
      return Vec(dtype: node.dtype, values: UnsafeRawPointer(out), valid: nil, count: n)

    case .cast:
      let a = try evaluate(node.children[0], chunk)
      let out = valueBuffer(node.slot)
      try a.dtype.visit(CastKernel(from: a.dtype, to: node.dtype, a: a.values, out: out, n: n))
      return Vec(dtype: node.dtype, values: UnsafeRawPointer(out), valid: a.valid, count: n)

    case .arith(let op):
      // `x ** 2` becomes x * x over one shared subtree: evaluate it once.
      let a = try evaluate(node.children[0], chunk)
      let b = node.children[1] === node.children[0] ? a : try evaluate(node.children[1], chunk)
      let valid = combine(node.slot, [a.valid, b.valid], n)
      let out = valueBuffer(node.slot)
      try node.dtype.visit(ArithKernel(op: op, a: a.values, b: b.values, out: out, n: n, valid: valid, rows: wanted))
      return Vec(dtype: node.dtype, values: UnsafeRawPointer(out), valid: valid, count: n)

    case .compare(let op):
      let a = try evaluate(node.children[0], chunk), b = try evaluate(node.children[1], chunk)
      let out = valueBuffer(node.slot).assumingMemoryBound(to: UInt8.self)
      if a.dtype == b.dtype {
        try a.dtype.visit(CompareKernel(op: op, a: a.values, b: b.values, out: out, n: n))
      } else {
        // The type checker only mixes int64 with uint64 (exact comparison).
        mixedCompareKernel(op, signedFirst: a.dtype == .int64, a.values, b.values, out, n)
      }
      return Vec(dtype: .bool, values: UnsafeRawPointer(out), valid: combine(node.slot, [a.valid, b.valid], n), count: n)

    case .bitwise(let op):
      let a = try evaluate(node.children[0], chunk), b = try evaluate(node.children[1], chunk)
      let out = valueBuffer(node.slot)
      try node.dtype.visit(BitwiseKernel(op: op, a: a.values, b: b.values, out: out, n: n,
                                         resultIsSigned: node.dtype.isSignedInteger))
      return Vec(dtype: node.dtype, values: UnsafeRawPointer(out), valid: combine(node.slot, [a.valid, b.valid], n), count: n)

    case .invert:
      let a = try evaluate(node.children[0], chunk)
      let out = valueBuffer(node.slot)
      try node.dtype.visit(InvertKernel(a: a.values, out: out, n: n, isBool: node.dtype == .bool))
      return Vec(dtype: node.dtype, values: UnsafeRawPointer(out), valid: a.valid, count: n)

    case .negate:
      let a = try evaluate(node.children[0], chunk)
      let out = valueBuffer(node.slot)
      try node.dtype.visit(NegateKernel(a: a.values, out: out, n: n))
      return Vec(dtype: node.dtype, values: UnsafeRawPointer(out), valid: a.valid, count: n)

    case .apply(let fn):
      var args: [Vec] = []
      args.reserveCapacity(node.children.count)
      for child in node.children { args.append(try evaluate(child, chunk)) }
      let out = scratch[node.slot]
      out.count = n
      out.rows = wanted
      return try fn.evaluate(args, out)

    case .select:
      let c = try evaluate(node.children[0], chunk)
      let a = try evaluate(node.children[1], chunk), b = try evaluate(node.children[2], chunk)
      let out = valueBuffer(node.slot)
      let cond = c.values.assumingMemoryBound(to: UInt8.self)
      try node.dtype.visit(SelectKernel(cond: cond, a: a.values, b: b.values, out: out, n: n))
      var valid: UnsafePointer<UInt8>? = nil
      if c.valid != nil || a.valid != nil || b.valid != nil {
        // where() picks: a row is present when the condition and the chosen value are.
        let m = maskBuffer(node.slot)
        for i in 0..<n {
          let pick = cond[i] != 0 ? (a.valid?[i] ?? 1) : (b.valid?[i] ?? 1)
          m[i] = (c.valid?[i] ?? 1) & pick
        }
        valid = UnsafePointer(m)
      }
      return Vec(dtype: node.dtype, values: UnsafeRawPointer(out), valid: valid, count: n)
    }
  }

  /// The strings of a dictionary-encoded chunk, gathered into the node's scratch
  /// (string functions then see one layout; the reader checked the indices).
  private func decode(_ c: ColumnChunk, _ dictionary: ColumnDictionary, first: Int, n: Int,
                      valid: UnsafePointer<UInt8>?, slot: Int) -> Vec {
    let out = scratch[slot].newStrings()
    let strings = dictionary.values
    // A row is missing when it is, or when its dictionary entry is (Arrow allows both).
    let entries = strings.validity
    let mask = entries == nil ? nil : scratch[slot].mask  // may be `valid` itself: updated in place
    for i in 0..<n {
      var present = valid.map { $0[i] != 0 } ?? true
      if present {
        let at = strings.offset + dictionaryIndex(c.values, dictionary.indexType, first + i)
        if let entries { present = (entries[at >> 3] >> UInt8(at & 7)) & 1 == 1 }
        if present { out.append(stringBytes(strings, at)) }
      }
      mask?[i] = present ? 1 : 0
      out.endRow()
    }
    return out.vec(valid: mask.map { UnsafePointer($0) } ?? valid)
  }
}
