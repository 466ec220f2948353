import FrameStorage

/// Datetime functions (`dt_*`, `td_*`, vaex's names).
extension TypeChecker {
  mutating func bindDatetimeFunction(_ name: String, _ args: [Node]) throws(SFError) -> TypedNode? {
    nil
  }

  /// Arithmetic and comparisons with a timestamp, date or duration operand beyond
  /// same-type comparisons (timestamp - timestamp, timestamp + duration, …); nil
  /// when the usual rules apply.
  func temporalBinary(_ op: BinaryOp, _ a: Checked, _ b: Checked) throws(SFError) -> TypedNode? {
    nil
  }
}
