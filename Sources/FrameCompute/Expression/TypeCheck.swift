import FrameStorage

/// What a name in an expression refers to.
public enum Resolution {
  case stored(Int)
  case virtual(Node)
  /// A stored column of a type the engine cannot compute with yet (its Arrow type).
  case unsupported(String)
  case unknown
}

/// Resolves names and checks types once, before any pass: the output is a tree
/// whose kernels need no further decisions. Virtual columns are expanded in place;
/// a virtual column that reaches itself is an error, not an endless loop.
public struct TypeChecker {
  let fields: [Field]
  let resolve: (String) -> Resolution
  private var expanding: [String] = []
  private var depth = 0

  public init(fields: [Field], resolve: @escaping (String) -> Resolution) {
    self.fields = fields
    self.resolve = resolve
  }

  public static func check(_ text: String, fields: [Field], resolve: @escaping (String) -> Resolution) throws(SFError) -> TypedNode {
    var checker = TypeChecker(fields: fields, resolve: resolve)
    return try checker.check(Parser.parse(text))
  }

  public mutating func check(_ node: Node) throws(SFError) -> TypedNode {
    try strong(typed(node))
  }

  /// A checked subtree, or a literal whose type is decided by what it meets.
  /// Function families (Functions/) bind their calls from these.
  enum Checked {
    case node(TypedNode)
    case weak(Literal)
  }

  mutating func typed(_ node: Node) throws(SFError) -> Checked {
    depth += 1
    defer { depth -= 1 }
    if depth > 1000 { throw SFError(.expression, "expression too deeply nested after expanding virtual columns") }
    switch node {
    case .literal(let lit):
      return .weak(lit)
    case .storedField(let i):
      guard fields.indices.contains(i) else { throw SFError(.name, "stored column #\(i) does not exist") }
      return .node(TypedNode(.field(i), fields[i].dtype))
    case .column(let name):
      switch resolve(name) {
      case .stored(let i):
        guard fields.indices.contains(i) else { throw SFError(.name, "name '\(name)' is not defined") }
        return .node(TypedNode(.field(i), fields[i].dtype))
      case .virtual(let definition):
        if let start = expanding.firstIndex(of: name) {
          let path = (expanding[start...] + [name]).joined(separator: " -> ")
          throw SFError(.expression, "virtual column '\(name)' refers to itself: \(path)")
        }
        expanding.append(name)
        defer { expanding.removeLast() }
        return try typed(definition)
      case .unsupported(let arrowType):
        throw SFError(.type, "column '\(name)' has Arrow type \(arrowType), which this version of swiftframe does not support")
      case .unknown:
        throw SFError(.name, "name '\(name)' is not defined (no such column or virtual column)")
      }
    case .unary(let op, let operand):
      return try unary(op, typed(operand))
    case .binary(let op, let l, let r):
      return try binary(op, typed(l), typed(r))
    case .call(let name, let args):
      return try call(name, args)
    }
  }

  func strong(_ c: Checked) throws(SFError) -> TypedNode {
    switch c {
    case .node(let n): return n
    case .weak(let lit): return try constant(lit, defaultType(lit))
    }
  }

  func defaultType(_ lit: Literal) -> DType {
    switch lit {
    case .int: .int64
    case .uint: .uint64
    case .float: .float64
    case .bool: .bool
    case .string: .int64
    }
  }

  func constant(_ lit: Literal, _ t: DType) throws(SFError) -> TypedNode {
    let s: Scalar
    switch lit {
    case .int(let v): s = Scalar(dtype: .int64, bits: UInt64(bitPattern: v))
    case .uint(let v): s = Scalar(dtype: .uint64, bits: v)
    case .float(let v): s = Scalar(dtype: .float64, bits: v.bitPattern)
    case .bool(let v): s = Scalar(dtype: .bool, bits: v ? 1 : 0)
    case .string(let text): throw SFError(.type, "the string literal '\(text)' cannot be used here")
    }
    return TypedNode(.constant(t == .bool ? Scalar(dtype: .bool, bits: s.bits == 0 ? 0 : 1) : convert(s, to: t)), t)
  }

  func convert(_ s: Scalar, to t: DType) -> Scalar {
    struct Convert: DTypeVisitor {
      let s: Scalar, t: DType
      func visit<T: ColumnValue>(_: T.Type) -> Scalar { Scalar.of(s.value(as: T.self), as: t) }
    }
    return try! t.visit(Convert(s: s, t: t))
  }

  func cast(_ n: TypedNode, _ t: DType) -> TypedNode {
    if n.dtype == t { return n }
    if case .constant(let s) = n.op {
      let v = t == .bool ? Scalar(dtype: .bool, bits: s.doubleValue != 0 || s.doubleValue.isNaN ? 1 : 0) : convert(s, to: t)
      return TypedNode(.constant(v), t)
    }
    return TypedNode(.cast, t, [n])
  }

  /// Brings two operands to one dtype with numpy's rules, literals being weak.
  func unify(_ a: Checked, _ b: Checked, _ what: String, comparison: Bool = false) throws(SFError) -> (TypedNode, TypedNode) {
    // Dates, times and strings meet only their own type, in comparisons and where();
    // their arithmetic and string comparison come with the datetime and string kernels.
    if case .node(let x) = a, case .node(let y) = b, x.dtype == y.dtype, x.dtype.isTemporal,
       comparison || what == "where()" {
      return (x, y)
    }
    for case .node(let n) in [a, b] { try requireNumeric(n, what) }
    for case .weak(.string(let text)) in [a, b] {
      throw SFError(.type, "\(what) is not supported for the string literal '\(text)'")
    }
    switch (a, b) {
    case (.node(let x), .node(let y)):
      let t = promote(x.dtype, y.dtype)
      return (cast(x, t), cast(y, t))
    case (.node(let x), .weak(let lit)):
      let (t, k) = try weakUnify(x.dtype, lit, what, comparison)
      return (cast(x, t), k)
    case (.weak(let lit), .node(let y)):
      let (t, k) = try weakUnify(y.dtype, lit, what, comparison)
      return (k, cast(y, t))
    case (.weak(let l), .weak(let r)):
      let x = try constant(l, defaultType(l)), y = try constant(r, defaultType(r))
      let t = promote(x.dtype, y.dtype)
      return (cast(x, t), cast(y, t))
    }
  }

  func weakUnify(_ t: DType, _ lit: Literal, _ what: String, _ comparison: Bool) throws(SFError) -> (DType, TypedNode) {
    var target = weakPromote(t, lit)
    if target.isInteger, !literalFits(lit, target) {
      guard comparison else {
        throw SFError(.type, "Python integer \(lit.text) out of bounds for \(target) in \(what)")
      }
      // numpy 2 compares an out-of-range Python int correctly: widen instead.
      target = literalFits(lit, .int64) && target != .uint64 ? .int64 : .float64
    }
    return (target, try constant(lit, target))
  }

  func unary(_ op: UnaryOp, _ c: Checked) throws(SFError) -> Checked {
    if case .weak(let lit) = c {
      // Python computes operators on Python numbers itself: the result stays weak.
      if op == .plus, lit != .bool(true), lit != .bool(false) { return .weak(lit) }
      if op == .negate, let folded = try LiteralFolding.negate(lit) { return .weak(folded) }
    }
    let n = try strong(c)
    if let temporal = temporalUnary(op, n) { return .node(temporal) }
    try requireNumeric(n, "'\(op.rawValue)'")
    switch op {
    case .plus:
      guard n.dtype != .bool else {
        throw SFError(.type, "the unary + operator is not supported on booleans (numpy has no 'positive' for bool)")
      }
      return .node(n)
    case .negate:
      if n.dtype == .bool {
        throw SFError(.type, "the - operator is not supported on booleans; use ~ for logical not")
      }
      return .node(TypedNode(.negate, n.dtype, [n]))
    case .invert:
      guard n.dtype.isInteger || n.dtype == .bool else {
        throw SFError(.type, "~ needs a boolean or integer operand, got \(n.dtype)")
      }
      return .node(TypedNode(.invert, n.dtype, [n]))
    }
  }

  func binary(_ op: BinaryOp, _ a: Checked, _ b: Checked) throws(SFError) -> Checked {
    let what = "'\(op.rawValue)'"
    // Two Python numbers: Python computes them before numpy sees them, so the result
    // is again a weak Python number (`x + 2 ** 3` adds a weak 8).
    if case .weak(let l) = a, case .weak(let r) = b, let folded = try LiteralFolding.binary(op, l, r) {
      return .weak(folded)
    }
    if let strings = try stringBinary(op, a, b) { return .node(strings) }
    if let temporal = try temporalBinary(op, a, b) { return .node(temporal) }
    if op.isComparison {
      if let mixed = try mixedSignComparison(op, a, b) { return .node(mixed) }
      let (x, y) = try unify(a, b, what, comparison: true)
      return .node(TypedNode(.compare(op), .bool, [x, y]))
    }
    // numpy's `**` with a scalar exponent: `b ** 2` squares a bool in int8.
    if op == .power, case .node(let base) = a, base.dtype == .bool, case .weak(.int(2)) = b {
      let x = cast(base, .int8)
      return .node(TypedNode(.arith(.multiply), .int8, [x, x]))
    }
    var (x, y) = try unify(a, b, what)
    let t = x.dtype
    switch op {
    case .and, .or, .xor, .shiftLeft, .shiftRight:
      if t == .bool && (op == .shiftLeft || op == .shiftRight) {
        // numpy shifts booleans as int8.
        (x, y) = (cast(x, .int8), cast(y, .int8))
        return .node(TypedNode(.bitwise(op), .int8, [x, y]))
      }
      guard t.isInteger || t == .bool else {
        throw SFError(.type, "\(what) needs integer or boolean operands, got \(x.dtype) and \(y.dtype)")
      }
      return .node(TypedNode(.bitwise(op), t, [x, y]))
    case .divide:
      let f = t.isFloat ? t : DType.float64
      (x, y) = (cast(x, f), cast(y, f))
      return .node(TypedNode(.arith(.divide), f, [x, y]))
    case .add, .multiply, .subtract, .floorDivide, .modulo, .power:
      if t == .bool {
        // numpy: bool + bool is or, bool * bool is and; the rest compute in int8.
        switch op {
        case .add: return .node(TypedNode(.bitwise(.or), .bool, [x, y]))
        case .multiply: return .node(TypedNode(.bitwise(.and), .bool, [x, y]))
        case .subtract: throw SFError(.type, "numpy boolean subtract, the - operator, is not supported; use ^ instead")
        default: (x, y) = (cast(x, .int8), cast(y, .int8))
        }
      }
      if op == .power, x.dtype.isFloat, case .constant(let e) = y.op, let fast = fastPower(x, e.doubleValue) {
        return .node(fast)
      }
      return .node(TypedNode(.arith(op), x.dtype, [x, y]))
    default:
      throw SFError(.expression, "operator \(what) is not supported here")
    }
  }

  /// numpy computes a float power with a scalar exponent of 2, 0.5 or -1 as a square,
  /// a square root or a reciprocal (not with pow): results differ from pow in the last
  /// bit, and for -inf ** 0.5 (nan, not inf).
  private func fastPower(_ x: TypedNode, _ e: Double) -> TypedNode? {
    switch e {
    case 2: return TypedNode(.arith(.multiply), x.dtype, [x, x])  // x is evaluated once
    case 0.5: return floatFunction(.sqrt, x)
    case -1:
      let one = TypedNode(.constant(Scalar.of(1.0, as: .float64)), .float64)
      return TypedNode(.arith(.divide), x.dtype, [cast(one, x.dtype), x])
    default: return nil
    }
  }

  /// Comparisons between a signed integer and a uint64 (or an integer literal outside
  /// the column's type) are exact in numpy 2, not done in float64: compare int64 with
  /// uint64 directly.
  private func mixedSignComparison(_ op: BinaryOp, _ a: Checked, _ b: Checked) throws(SFError) -> TypedNode? {
    func operand(_ c: Checked) throws(SFError) -> TypedNode? {
      switch c {
      case .node(let n):
        if n.dtype.isSignedInteger { return cast(n, .int64) }
        if n.dtype.isUnsignedInteger { return cast(n, .uint64) }
        return nil
      case .weak(.int(let v)):
        return try constant(.int(v), .int64)
      case .weak(.uint(let v)):
        return try constant(.uint(v), .uint64)
      default:
        return nil
      }
    }
    // Only when the usual rules would lose exactness: a signed integer meets a uint64,
    // or an integer literal does not fit the column's integer type.
    let needed: Bool
    switch (a, b) {
    case (.node(let x), .node(let y)):
      needed = (x.dtype.isSignedInteger && y.dtype == .uint64) || (y.dtype.isSignedInteger && x.dtype == .uint64)
    case (.node(let x), .weak(let lit)), (.weak(let lit), .node(let x)):
      guard x.dtype.isInteger, lit.isInteger else { return nil }
      needed = !literalFits(lit, x.dtype) && !(literalFits(lit, .int64) && x.dtype != .uint64)
    default:
      needed = false
    }
    guard needed, let x = try operand(a), let y = try operand(b) else { return nil }
    return TypedNode(.compare(op), .bool, [x, y])
  }

  mutating func call(_ name: String, _ args: [Node]) throws(SFError) -> Checked {
    func arity(_ n: Int) throws(SFError) {
      guard args.count == n else {
        throw SFError(.type, "\(name)() takes \(n) argument\(n == 1 ? "" : "s") (\(args.count) given)")
      }
    }
    if name == "where" {
      try arity(3)
      var cond = try strong(typed(args[0]))
      try requireNumeric(cond, "the condition of where()")
      if cond.dtype != .bool {
        cond = TypedNode(.compare(.notEqual), .bool, [cond, try constant(.int(0), cond.dtype)])
      }
      let (a, b) = try unify(typed(args[1]), typed(args[2]), "where()")
      return .node(TypedNode(.select, a.dtype, [cond, a, b]))
    }
    // Families first: they also take casts of their own types (`float64(s)` parses strings).
    if let bound = try bindStringFunction(name, args) { return .node(bound) }
    if let bound = try bindDatetimeFunction(name, args) { return .node(bound) }
    if let bound = try bindMissingFunction(name, args) { return .node(bound) }
    if let bound = try bindCategoryFunction(name, args) { return .node(bound) }
    if let t = DType(name: name), t.isNumeric {
      // A cast, as numpy's astype (and how Python writes numpy scalars: `int16(1)`).
      try arity(1)
      switch try typed(args[0]) {
      case .weak(let lit):
        if t.isInteger, !literalFits(lit, t) {
          throw SFError(.type, "Python integer \(lit.text) out of bounds for \(t)")
        }
        return .node(try constant(lit, t))
      case .node(let n):
        try requireNumeric(n, "\(name)()")
        return .node(cast(n, t))
      }
    }
    if let bound = try bindMathFunction(name, args) { return .node(bound) }
    throw SFError(.name, "unknown function '\(name)'")
  }

  func requireNumeric(_ n: TypedNode, _ what: String) throws(SFError) {
    guard n.dtype.isNumeric else {
      throw SFError(.type, "\(what) is not supported for \(n.dtype) values")
    }
  }
}
