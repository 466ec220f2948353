import FrameStorage

/// A type-checked expression: every node has its result dtype, and operands have
/// already been cast to the dtype each kernel expects, so kernels never promote.
public final class TypedNode: @unchecked Sendable {
  public enum Op: Sendable {
    case field(Int)
    case constant(Scalar)
    case cast
    /// + - * / // % ** on operands of the node's dtype.
    case arith(BinaryOp)
    /// Comparison of two operands of one dtype; the node is bool.
    case compare(BinaryOp)
    /// & | ^ << >> on integers, & | ^ on bools (logical).
    case bitwise(BinaryOp)
    case invert
    case negate
    /// where(cond, a, b): cond is bool, a and b have the node's dtype.
    case select
    /// A function of the children bound at type-check time (Functions/).
    case apply(any VectorFunction)
  }

  public let op: Op
  public let dtype: DType
  public let children: [TypedNode]
  /// Index of this node's scratch buffer in a program; -1 for nodes that need none.
  var slot = -1

  init(_ op: Op, _ dtype: DType, _ children: [TypedNode] = []) {
    self.op = op
    self.dtype = dtype
    self.children = children
  }

  /// Stored columns read by the expression.
  public var fieldIndices: Set<Int> {
    var out = Set<Int>()
    func walk(_ n: TypedNode) {
      if case .field(let i) = n.op { out.insert(i) }
      n.children.forEach(walk)
    }
    walk(self)
    return out
  }
}
