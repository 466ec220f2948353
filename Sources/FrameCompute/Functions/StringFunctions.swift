import FrameStorage

/// String functions (`str_*`, vaex's names): `df.s.str.len()` is `str_len(s)`.
extension TypeChecker {
  mutating func bindStringFunction(_ name: String, _ args: [Node]) throws(SFError) -> TypedNode? {
    switch name {
    case "str_byte_length":
      try arity(name, args, 1...1)
      return TypedNode(.apply(ByteLength()), .int64, [try stringOperand(name, args[0])])
    default:
      return nil
    }
  }
}

/// The length of each string in UTF-8 bytes.
struct ByteLength: VectorFunction {
  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let p = out.values.assumingMemoryBound(to: Int64.self)
    for i in 0..<out.count { p[i] = Int64(a.string(i).count) }
    return out.vec(.int64, valid: a.valid)
  }
}
