import FrameStorage

/// Missing-value functions (isna, fillna, …).
extension TypeChecker {
  mutating func bindMissingFunction(_ name: String, _ args: [Node]) throws(SFError) -> TypedNode? {
    nil
  }
}
