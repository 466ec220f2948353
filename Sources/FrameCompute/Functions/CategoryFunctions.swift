import FrameStorage

/// A function whose values index a categorical's labels: value - `codeOffset` is the
/// position of the row's label in `labels`. Exports and `category_labels` read these
/// from a virtual column's definition, so the labels travel with the expression.
public protocol CategoryCodes: VectorFunction {
  var labels: ValueList { get }
  var codeOffset: Int64 { get }
}

/// ordinal_encode(x, l0, l1, …): the position of x among the labels (int32), missing
/// where x is missing or not a label — vaex's `df.ordinal_encode`.
struct OrdinalEncode: CategoryCodes {
  let labels: ValueList
  var codeOffset: Int64 { 0 }
  private let strings: ByteStringSet
  private let numbers: UInt64Set

  init(labels: ValueList) {
    self.labels = labels
    var strings = ByteStringSet()
    var numbers = UInt64Set()
    switch labels {
    case .strings(let words): for w in words { w.withUnsafeBytes { _ = strings.insert($0) } }
    case .fixed(_, let bits): for b in bits { numbers.insert(b) }  // distinct: ids are positions
    }
    self.strings = strings
    self.numbers = numbers
  }

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let codes = out.values.assumingMemoryBound(to: Int32.self), mask = out.mask
    let isString = a.dtype.isString
    for i in 0..<out.count {
      var code: Int32? = nil
      if a.isPresent(i) {
        code = (isString ? strings.find(a.string(i)) : numbers.find(canonicalBits(a, i))).map { Int32($0) }
      }
      codes[i] = code ?? 0
      mask[i] = code == nil ? 0 : 1
    }
    return out.vec(.int32, valid: UnsafePointer(mask))
  }
}

/// categorize(x, min_value, l0, l1, …): x itself, marked as the codes of a categorical
/// whose label for value v is labels[v - min_value] — vaex's `df.categorize`. Values
/// outside the labels are missing.
struct Categorize: CategoryCodes {
  let labels: ValueList
  let codeOffset: Int64

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let mask = out.mask
    let n = Int64(labels.count)
    for i in 0..<out.count {
      let code = Int64(bitPattern: canonicalBits(a, i)) &- codeOffset
      mask[i] = a.isPresent(i) && code >= 0 && code < n ? 1 : 0
    }
    return Vec(dtype: a.dtype, values: a.values, valid: UnsafePointer(mask), count: a.count)
  }
}

extension TypeChecker {
  mutating func bindCategoryFunction(_ name: String, _ args: [Node]) throws(SFError) -> TypedNode? {
    switch name {
    case "ordinal_encode":
      try arity(name, args, 1...Int.max)
      let x = try operand(args[0])
      guard x.dtype.isString || x.dtype.isNumeric else {
        throw SFError(.type, "ordinal_encode() needs a string or numeric operand, got \(x.dtype)")
      }
      let labels = try labelList(name, args.dropFirst(), as: x.dtype)
      return TypedNode(.apply(OrdinalEncode(labels: labels)), .int32, [x])
    case "categorize":
      try arity(name, args, 2...Int.max)
      let x = try operand(args[0])
      guard x.dtype.isInteger else { throw SFError(.type, "categorize() needs an integer column, got \(x.dtype)") }
      let minValue = try intParameter(name, args, 1)
      return TypedNode(.apply(Categorize(labels: try labelList(name, args.dropFirst(2), as: nil), codeOffset: minValue)),
                       x.dtype, [x])
    default:
      return nil
    }
  }

  /// Literal labels, all strings or all numbers, without repeats. Numbers are converted
  /// to `dtype` when given (ordinal_encode compares them with the operand's values),
  /// else kept as int64, float64 or bool as written.
  private mutating func labelList(_ name: String, _ args: ArraySlice<Node>, as dtype: DType?) throws(SFError) -> ValueList {
    var literals: [Literal] = []
    for i in args.indices { literals.append(try parameter(name, Array(args), i - args.startIndex)) }
    if dtype?.isString ?? literals.allSatisfy({ if case .string = $0 { true } else { false } }) {
      var words: [[UInt8]] = []
      var seen = ByteStringSet()
      for lit in literals {
        guard case .string(let s) = lit else { throw SFError(.type, "\(name)() labels of a string column must be strings") }
        let bytes = Array(s.utf8)
        let before = seen.count
        bytes.withUnsafeBytes { _ = seen.insert($0) }
        guard seen.count > before else { throw SFError(.argument, "\(name)() label '\(s)' is given twice") }
        words.append(bytes)
      }
      return .strings(words)
    }
    let t = dtype ?? (literals.contains { if case .float = $0 { true } else { false } } ? .float64
                      : literals.allSatisfy { if case .bool = $0 { true } else { false } } && !literals.isEmpty ? .bool : .int64)
    var bits: [UInt64] = []
    var seen = Set<UInt64>()
    for lit in literals {
      if case .string(let s) = lit { throw SFError(.type, "\(name)() label '\(s)' is a string among numbers") }
      guard case .constant(let scalar) = try constant(lit, t).op else { continue }
      var b = scalar.bits
      if t.isFloat { let d = Double(bitPattern: b); b = d.isNaN ? Double.nan.bitPattern : (d == 0 ? 0.0 : d).bitPattern }
      guard seen.insert(b).inserted else { throw SFError(.argument, "\(name)() label \(lit.text) is given twice") }
      bits.append(b)
    }
    return .fixed(t, bits)
  }
}
